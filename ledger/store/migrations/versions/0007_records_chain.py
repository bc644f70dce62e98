"""records chain: what decides money (network, allocation runs, closed periods) hash-chained

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

The network (funders, groups, earmarks, caps, `unspent`), the allocation runs and the closed
periods lived in tables without hashes, and the network's tables without triggers either: a
raw `UPDATE funders SET unspent = 'carry_over'` changed what `close` did with a funder's
money, and `verify` passed. From this revision:

- `ledger_records` is a second hash chain beside the transactions (`store/records.py`): seq
  1, 2, 3, ..., kind `network`, `run` or `close`, the document as canonical JSON, the
  transaction chain position when it was written, prev_hash and hash; `records_head` is its
  single-row head. netfund reads the network and the runs from it and `verify` re-hashes it
  and holds the tables to it.
- The database refuses UPDATE and DELETE (and on PostgreSQL TRUNCATE) on ledger_records,
  network, funders, groups and earmarks, as 0001-0003 did for transactions, postings,
  closed_periods, allocation_runs and exports (allocation_runs gains PostgreSQL's TRUNCATE
  guard, which 0002 left out). `records_head` never moves back, only onto the newest record,
  and is never deleted; a record must extend the chain (the next seq, linked to the head).
  SQLite's `INSERT OR REPLACE` deletes the row it replaces without firing DELETE triggers:
  on these tables and on closed_periods, allocation_runs and exports an insert that would
  replace a row is refused (PostgreSQL's `ON CONFLICT DO UPDATE` fires the UPDATE triggers).
- The upgrade takes over an existing ledger's documents as it finds them: network version 1
  from its tables, a record per stored run, a record per closed period, with the same
  functions netfund writes records with. Settings changed around netfund before the upgrade
  are trusted; the records of the upgrade say ``"recorded_by": "migration 0007"``.

Limits (as for 0006): a role that may drop triggers can remove every guard; `verify` then
still finds a changed table or record, and only an anchor outside the database finds a
records chain rewritten from the start with correct hashes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
#: Tables this revision makes append-only (closed_periods, allocation_runs and exports were).
APPEND_ONLY = ("ledger_records", "network", "funders", "groups", "earmarks")
_WHY = {
    "ledger_records": "the records chain is never rewritten",
    "network": "load an extended network.toml with netfund init",
}
NOTE = {"recorded_by": "migration 0007"}
_RECORDS_MESSAGE = "a record must extend the records chain: the next seq, linked to its head"
#: SQLite's INSERT OR REPLACE deletes the row it conflicts with without firing DELETE
#: triggers: an insert that would replace a row is refused. Each table with its unique keys.
NO_REPLACE = {
    "ledger_records": ("seq", "prev_hash", "hash"),
    "network": ("id",),
    "funders": ("code",),
    "groups": ("code",),
    "earmarks": ("funder, \"group\"",),
    "closed_periods": ("period",),
    "allocation_runs": ("id",),
    "exports": ("id",),
}


def upgrade() -> None:
    op.create_table(
        "ledger_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("transaction_head", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind IN ('network', 'run', 'close')", name=op.f("ck_ledger_records_kind")
        ),
        sa.CheckConstraint("seq > 0", name=op.f("ck_ledger_records_positive_seq")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_records")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_ledger_records_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_records_hash")),
    )
    op.create_table(
        "records_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_records_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_head")),
    )
    op.execute(
        f"INSERT INTO records_head (id, last_seq, last_hash) VALUES (1, 0, '{GENESIS_HASH}')"
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Records of what the ledger holds now, in the order netfund would have written them:
    the network, then the runs, then the closes, each at the chain position of today."""
    from netfund.ledger.store.runs import run_content
    from netfund.ledger.store.schema import allocation_runs_table

    head = int(connection.execute(sa.text("SELECT last_txn_id FROM chain_head")).scalar_one())
    append_record = _append_record
    document = _network_document(connection)
    if document is not None:
        content = {"version": 1, "effective_after_transaction": 0, "network": document}
        append_record(connection, "network", content | NOTE, head)
    runs = connection.execute(sa.select(allocation_runs_table).order_by(allocation_runs_table.c.id))
    for row in runs.mappings():
        append_record(connection, "run", run_content(row["id"], row) | NOTE, head)
    # The table as it was at this revision (0008 made it a log of events).
    closes = connection.execute(
        sa.text("SELECT period, last_txn_id FROM closed_periods ORDER BY period")
    )
    for row in closes.mappings():
        lock = {"period": row["period"], "last_txn_id": row["last_txn_id"]}
        append_record(connection, "close", lock | NOTE, head)


def _append_record(connection: sa.Connection, kind: str, content: dict, head: int) -> None:
    """A record as this revision writes it: the columns and hash envelope of its time (0010
    added the actor, which a record written here does not have)."""
    from netfund.ledger.store.records import canonical_text, record_hash

    last_seq, last_hash = connection.execute(
        sa.text("SELECT last_seq, last_hash FROM records_head WHERE id = 1")
    ).one()
    seq, text = int(last_seq) + 1, canonical_text(content)
    digest = record_hash(last_hash, seq, kind, head, text)
    connection.execute(
        sa.text(
            "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, hash) "
            "VALUES (:seq, :kind, :content, :head, :prev, :hash)"
        ),
        {"seq": seq, "kind": kind, "content": text, "head": head, "prev": last_hash, "hash": digest},
    )
    connection.execute(
        sa.text("UPDATE records_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": digest},
    )


# The network tables as they were at this revision (0009 gave them versions).
_NETWORK = sa.table(
    "network",
    *(sa.column(name) for name in ("name", "currency", "language", "population", "overhead_cap")),
)
_GROUPS = sa.table(
    "groups",
    sa.column("code"),
    sa.column("name"),
    sa.column("overhead", sa.Boolean),
    sa.column("parent"),
    sa.column("position"),
)
_FUNDERS = sa.table(
    "funders",
    *(
        sa.column(name)
        for name in ("code", "name", "kind", "framework", "overhead_cap", "unspent", "position")
    ),
    sa.column("earmarked", sa.Boolean),
)
_EARMARKS = sa.table("earmarks", sa.column("funder"), sa.column("group"))


def _network_document(connection: sa.Connection) -> dict | None:
    """The network the tables hold, as the document of a network record (None if none).

    This revision's own copy of the document's format, so that it reads the tables as they
    were at this revision whatever later revisions make of them.
    """
    header = connection.execute(sa.select(_NETWORK)).mappings().first()
    if header is None:
        return None
    earmarks: dict[str, list[str]] = {}
    for funder, group in connection.execute(
        sa.select(_EARMARKS.c.funder, _EARMARKS.c.group).order_by(_EARMARKS.c.group)
    ):
        earmarks.setdefault(funder, []).append(group)
    funders = connection.execute(sa.select(_FUNDERS).order_by(_FUNDERS.c.position)).mappings()
    groups = connection.execute(sa.select(_GROUPS).order_by(_GROUPS.c.position)).mappings()
    return {
        **dict(header),
        "funders": [
            {
                "code": row["code"],
                "name": row["name"],
                "kind": row["kind"],
                "framework": row["framework"],
                "overhead_cap": row["overhead_cap"],
                "eligible_groups": earmarks.get(row["code"], []) if row["earmarked"] else None,
                "unspent": row["unspent"],
            }
            for row in funders
        ],
        "groups": [
            {"code": g["code"], "name": g["name"], "overhead": g["overhead"], "parent": g["parent"]}
            for g in groups
        ],
    }


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            _sqlite_trigger(
                f"{table}_append_only_{action.lower()} BEFORE {action} ON {table}",
                None,
                f"{table} are append-only: {_WHY.get(table, _WHY['network'])}",
            )
    for table, keys in NO_REPLACE.items():
        _sqlite_trigger(
            f"{table}_no_replace BEFORE INSERT ON {table}",
            " OR ".join(
                f"EXISTS (SELECT 1 FROM {table} WHERE ({key}) = ({_new(key)}))" for key in keys
            ),
            f"{table} are append-only: an insert may not replace a row",
        )
    _sqlite_trigger(
        "ledger_records_extend BEFORE INSERT ON ledger_records",
        "NOT EXISTS (SELECT 1 FROM records_head WHERE id = 1 "
        "AND last_seq + 1 = NEW.seq AND last_hash = NEW.prev_hash)",
        _RECORDS_MESSAGE,
    )
    _sqlite_trigger(
        "records_head_forward BEFORE UPDATE ON records_head",
        "NEW.last_seq < OLD.last_seq OR NOT EXISTS (SELECT 1 FROM ledger_records "
        "WHERE seq = NEW.last_seq AND hash = NEW.last_hash AND NOT EXISTS "
        "(SELECT 1 FROM ledger_records WHERE seq > NEW.last_seq))",
        "the records head never moves back, only onto the newest record",
    )
    _sqlite_trigger(
        "records_head_kept BEFORE DELETE ON records_head", None, "the records head cannot be deleted"
    )
    _sqlite_trigger(
        "records_head_single BEFORE INSERT ON records_head",
        "EXISTS (SELECT 1 FROM records_head)",
        "the records head exists already: it moves with an UPDATE",
    )


def _new(key: str) -> str:
    """``NEW.`` before each column of ``key`` (a comma list)."""
    return ", ".join(f"NEW.{column.strip()}" for column in key.split(","))


def _sqlite_trigger(head: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(f"CREATE TRIGGER {head}{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _postgresql_triggers() -> None:
    # netfund_refuse_change() (0001) says "<table> are append-only: ...".
    for table in (*APPEND_ONLY, "records_head"):
        if table != "records_head":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_change()"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION netfund_refuse_change()"
        )
    op.execute(
        "CREATE TRIGGER allocation_runs_no_truncate BEFORE TRUNCATE ON allocation_runs "
        "FOR EACH STATEMENT EXECUTE FUNCTION netfund_refuse_change()"
    )
    op.execute(
        "CREATE FUNCTION netfund_records_extend() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM records_head WHERE id = 1 "
        "AND last_seq + 1 = NEW.seq AND last_hash = NEW.prev_hash) THEN "
        f"RAISE EXCEPTION '{_RECORDS_MESSAGE}'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER ledger_records_extend BEFORE INSERT ON ledger_records "
        "FOR EACH ROW EXECUTE FUNCTION netfund_records_extend()"
    )
    op.execute(
        "CREATE FUNCTION netfund_records_head() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the records head cannot be deleted'; END IF; "
        "IF NEW.last_seq < OLD.last_seq OR NOT EXISTS (SELECT 1 FROM ledger_records "
        "WHERE seq = NEW.last_seq AND hash = NEW.last_hash) OR EXISTS (SELECT 1 FROM "
        "ledger_records WHERE seq > NEW.last_seq) THEN RAISE EXCEPTION "
        "'the records head never moves back, only onto the newest record'; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER records_head_forward BEFORE UPDATE OR DELETE ON records_head "
        "FOR EACH ROW EXECUTE FUNCTION netfund_records_head()"
    )


_SQLITE_TRIGGERS = (
    *(f"{table}_append_only_{action}" for table in APPEND_ONLY for action in ("update", "delete")),
    *(f"{table}_no_replace" for table in NO_REPLACE),
    "ledger_records_extend",
    "records_head_forward",
    "records_head_kept",
    "records_head_single",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("network", "funders", "groups", "earmarks"):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER allocation_runs_no_truncate ON allocation_runs")
        op.drop_table("ledger_records")
        op.drop_table("records_head")
        op.execute("DROP FUNCTION netfund_records_extend()")
        op.execute("DROP FUNCTION netfund_records_head()")
        return
    for name in _SQLITE_TRIGGERS:
        if not name.startswith("ledger_records") and not name.startswith("records_head"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("ledger_records")
    op.drop_table("records_head")
