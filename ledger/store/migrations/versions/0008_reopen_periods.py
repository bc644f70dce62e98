"""closed periods become a log of close and reopen events, so a year can be reopened

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

`closed_periods` held one row per period (its primary key), append-only: a closed year could
never be opened again, and a year closed too early stayed locked for good (issue 16). From this
revision the table is a log, still append-only:

- `seq`: the position of the matching record in the records chain (primary key), `period`,
  `event` (`close` or `reopen`) and `last_txn_id`: the transaction chain's position at the event.
- A period is closed while its newest event (highest seq) is a `close`. The closed-period
  triggers on transactions and postings, and SQLite's `postings_sealed` (0006), read it so.
- The rows already there become `close` events, each with the seq of its close record (0007).

The append-only triggers (no UPDATE, DELETE, TRUNCATE; SQLite: no replacing insert) are made
again on the new table, and a row must mirror the close record at its seq (same period and
event): a raw INSERT of a `reopen` row cannot lift a lock without a record, and a record
written around netfund is found by `verify` (a reopened period's closing entries must be
reversed).
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEAD = "(SELECT last_txn_id FROM chain_head WHERE id = 1)"
_RECORDED = (
    "closed_periods rows mirror close records: a close or reopen is written by netfund, "
    "its record first"
)


def closed_now(period: str) -> str:
    """SQL: whether ``period`` (an SQL expression) is closed, its newest event a close."""
    return (
        "EXISTS (SELECT 1 FROM closed_periods c WHERE c.period = "
        f"{period} AND c.event = 'close' AND NOT EXISTS (SELECT 1 FROM closed_periods r "
        "WHERE r.period = c.period AND r.seq > c.seq))"
    )


def closed_before(period: str) -> str:
    """SQL: whether ``period`` is closed in the one-row-per-period table before 0008."""
    return f"EXISTS (SELECT 1 FROM closed_periods c WHERE c.period = {period})"


def upgrade() -> None:
    connection = op.get_bind()
    rows = list(connection.execute(sa.text("SELECT period, last_txn_id FROM closed_periods")))
    seqs: dict[str, int] = {}
    records = connection.execute(
        sa.text("SELECT seq, content FROM ledger_records WHERE kind = 'close' ORDER BY seq")
    )
    for seq, content in records:
        seqs[str(json.loads(content)["period"])] = int(seq)
    _drop_table(connection)
    op.create_table(
        "closed_periods",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("event", sa.String(length=6), nullable=False),
        sa.Column("last_txn_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("event IN ('close', 'reopen')", name=op.f("ck_closed_periods_event")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_closed_periods")),
    )
    op.create_index("ix_closed_periods_period", "closed_periods", ["period", "seq"])
    _insert(
        ("seq", "period", "event", "last_txn_id"),
        [(seqs[r.period], r.period, "close", r.last_txn_id) for r in rows],
    )
    _lock_triggers(connection, closed_now, "seq")
    if connection.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION netfund_lock_recorded() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NOT EXISTS (SELECT 1 FROM ledger_records WHERE seq = NEW.seq "
            "AND kind = 'close' AND content::jsonb->>'period' = NEW.period "
            "AND coalesce(content::jsonb->>'event', 'close') = NEW.event) THEN "
            f"RAISE EXCEPTION '{_RECORDED}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER closed_periods_recorded BEFORE INSERT ON closed_periods "
            "FOR EACH ROW EXECUTE FUNCTION netfund_lock_recorded()"
        )
    else:
        _sqlite_trigger(
            "closed_periods_recorded BEFORE INSERT ON closed_periods",
            "NOT EXISTS (SELECT 1 FROM ledger_records WHERE seq = NEW.seq AND kind = 'close' "
            "AND json_extract(content, '$.period') = NEW.period "
            "AND coalesce(json_extract(content, '$.event'), 'close') = NEW.event)",
            _RECORDED,
        )


def downgrade() -> None:
    """Back to one row per closed period: each period whose newest event is a close, at it."""
    connection = op.get_bind()
    latest: dict[str, tuple[str, int]] = {}
    for _seq, period, event, last in connection.execute(
        sa.text("SELECT seq, period, event, last_txn_id FROM closed_periods ORDER BY seq")
    ):
        latest[period] = (event, int(last))
    _drop_table(connection)
    if connection.dialect.name == "postgresql":
        op.execute("DROP FUNCTION netfund_lock_recorded()")
    op.create_table(
        "closed_periods",
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("last_txn_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_closed_periods")),
    )
    _insert(
        ("period", "last_txn_id"),
        [(p, last) for p, (event, last) in sorted(latest.items()) if event == "close"],
    )
    _lock_triggers(connection, closed_before, "period")


def _drop_table(connection: sa.Connection) -> None:
    """Drop closed_periods with its triggers (dropping fires none) and, on SQLite, the
    triggers of other tables that read it."""
    if connection.dialect.name != "postgresql":
        for name in ("transactions_closed_period", "postings_closed_period", "postings_sealed"):
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE closed_periods")


def _insert(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    if rows:
        table = sa.table("closed_periods", *(sa.column(name) for name in columns))
        op.bulk_insert(table, [dict(zip(columns, row, strict=True)) for row in rows])


def _lock_triggers(connection: sa.Connection, closed: Callable[[str], str], key: str) -> None:
    """The append-only guards of closed_periods (``key``: its primary key) and the triggers
    that refuse transactions and postings of a period ``closed`` says is closed."""
    if connection.dialect.name == "postgresql":
        for name, timing, each in (
            ("append_only", "UPDATE OR DELETE", "ROW"),
            ("no_truncate", "TRUNCATE", "STATEMENT"),
        ):
            op.execute(
                f"CREATE TRIGGER closed_periods_{name} BEFORE {timing} ON closed_periods "
                f"FOR EACH {each} EXECUTE FUNCTION netfund_refuse_change()"
            )
        # 0004's statement triggers, reading the lock as ``closed`` says.
        op.execute(
            "CREATE OR REPLACE FUNCTION netfund_refuse_closed_transactions() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ DECLARE closed_period text; BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM closed_periods) THEN RETURN NULL; END IF; "
            f"SELECT n.period INTO closed_period FROM new_rows n WHERE {closed('n.period')} "
            "LIMIT 1; IF FOUND THEN RAISE EXCEPTION 'the period % is closed', closed_period; "
            "END IF; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE OR REPLACE FUNCTION netfund_refuse_closed_postings() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ DECLARE closed_txn bigint; BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM closed_periods) THEN RETURN NULL; END IF; "
            "SELECT n.txn_id INTO closed_txn FROM new_rows n "
            f"JOIN transactions t ON t.id = n.txn_id WHERE {closed('t.period')} LIMIT 1; "
            "IF FOUND THEN RAISE EXCEPTION 'the period of transaction % is closed', "
            "closed_txn; END IF; RETURN NULL; END $$"
        )
        return
    for action in ("UPDATE", "DELETE"):
        _sqlite_trigger(
            f"closed_periods_append_only_{action.lower()} BEFORE {action} ON closed_periods",
            None,
            "closed_periods are append-only: reopen a period with netfund reopen",
        )
    _sqlite_trigger(
        "closed_periods_no_replace BEFORE INSERT ON closed_periods",
        f"EXISTS (SELECT 1 FROM closed_periods WHERE {key} = NEW.{key})",
        "closed_periods are append-only: an insert may not replace a row",
    )
    _sqlite_trigger(
        "transactions_closed_period BEFORE INSERT ON transactions",
        closed("NEW.period"),
        "the period of this transaction is closed",
    )
    posting_closed = closed("(SELECT period FROM transactions WHERE id = NEW.txn_id)")
    _sqlite_trigger(
        "postings_closed_period BEFORE INSERT ON postings",
        posting_closed,
        "the period of this transaction is closed",
    )
    # 0006's seal, leaving a posting of a closed period to postings_closed_period's message.
    _sqlite_trigger(
        "postings_sealed BEFORE INSERT ON postings",
        f"NEW.txn_id <= {_HEAD} AND NOT {posting_closed}",
        "postings of a transaction up to the chain head cannot be added: the head sealed it",
    )


def _sqlite_trigger(head: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(f"CREATE TRIGGER {head}{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")
