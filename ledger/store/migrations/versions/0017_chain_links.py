"""the database checks that each transaction links to the one before it, not that hashes differ

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Issue 21 (import at columnar speed): since 0001, `transactions` had two unique constraints,
on `prev_hash` and on `hash`. Each is an index on 64 random hex characters: every row an
import writes lands at a random place in two B-trees, and once those outgrow the page cache
the writer waits on them. At 1M expenses, inserting the transactions took 24.7 s with them
and 4.7 s without (docs/BENCHMARKS.md, "Issue 21: the chain links").

What they guarded, and what guards it now:

- A fork (two transactions naming the same predecessor) was refused by UNIQUE(prev_hash).
  Now the database checks the chain itself: each transaction's `prev_hash` must be the `hash`
  of the transaction before it (id - 1; the genesis hash, 64 zeros, for id 1). That refuses
  a fork and also what no unique index could see: a transaction naming a predecessor that is
  not the one before it, or none at all (0016 accepted those; `verify` found them later).
- A duplicate `hash` was refused by UNIQUE(hash). The database never computed a hash: a row
  with any made-up hash was accepted before and is now; a made-up hash that happens to equal
  another row's is one case of that. `verify` recomputes every hash, as before.

Where the check runs, per dialect:

- SQLite: when the chain head moves (`chain_head_linked`), over the transactions it moves
  past, as 0006 checks their balance there: one statement per batch of the writer. A
  transaction beyond the head must be passed by the head before COMMIT (0006's
  `pending_head_move`), so none is committed unchecked. `chain_head_hash` also refuses a head
  whose hash is not its transaction's (the head names the newest hash verify anchors to).
  SQLite cannot drop a table constraint: the table is built again without the two (its
  rows, indexes and triggers as they were; the postings' foreign key is deferred for the
  rebuild and holds again when it commits).
- PostgreSQL: a statement trigger over each statement's inserted transactions
  (`transactions_linked`, like 0016's), which raises SQLSTATE 23000 naming the first that does
  not link. The writer's COPY inserts a batch in chain order, so a batch links within itself
  and to the transaction before it.

Rows stored before the upgrade are not checked again: `verify` re-checks the whole chain.
Limits: those of 0006 (ledger/docs.md).
"""

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
#: The two table constraints, as 0001 wrote them into SQLite's schema.
_UNIQUE_HASHES = (
    "CONSTRAINT uq_transactions_hash UNIQUE (hash), \n\t"
    "CONSTRAINT uq_transactions_prev_hash UNIQUE (prev_hash), \n\t"
)
#: What they follow in that text: the downgrade puts them back exactly there.
_BEFORE_THEM = "CONSTRAINT uq_transactions_external_id UNIQUE (external_id), \n\t"
_UNLINKED = "does not link to the one before it: its prev_hash is not that transaction''s hash"
#: The hash a transaction's prev_hash must be: the one before it, or genesis for the first.
_PREDECESSOR = (
    "coalesce((SELECT p.hash FROM transactions p WHERE p.id = t.id - 1), "
    f"CASE WHEN t.id = 1 THEN '{GENESIS_HASH}' END)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
        return
    _rebuild_transactions(_without_unique_hashes)
    op.execute(
        "CREATE TRIGGER chain_head_linked BEFORE UPDATE ON chain_head "
        "WHEN NEW.last_txn_id > OLD.last_txn_id AND EXISTS (SELECT 1 FROM transactions t "
        "WHERE t.id > OLD.last_txn_id AND t.id <= NEW.last_txn_id "
        f"AND t.prev_hash IS NOT {_PREDECESSOR}) "
        "BEGIN SELECT RAISE(ABORT, 'a transaction the chain head moves past "
        f"{_UNLINKED}'); END"
    )
    op.execute(
        "CREATE TRIGGER chain_head_hash BEFORE UPDATE ON chain_head "
        "WHEN NEW.last_txn_id >= OLD.last_txn_id AND NEW.last_hash IS NOT "
        "coalesce((SELECT hash FROM transactions "
        f"WHERE id = NEW.last_txn_id), CASE WHEN NEW.last_txn_id = 0 THEN '{GENESIS_HASH}' END) "
        "BEGIN SELECT RAISE(ABORT, 'the chain head must hold the hash of its transaction'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER transactions_linked ON transactions")
        op.execute("DROP FUNCTION netfund_transactions_linked()")
        op.execute(
            "ALTER TABLE transactions ADD CONSTRAINT uq_transactions_prev_hash UNIQUE (prev_hash)"
        )
        op.execute("ALTER TABLE transactions ADD CONSTRAINT uq_transactions_hash UNIQUE (hash)")
        return
    op.execute("DROP TRIGGER chain_head_hash")
    op.execute("DROP TRIGGER chain_head_linked")
    _rebuild_transactions(_with_unique_hashes)


def _postgresql_upgrade() -> None:
    op.execute("ALTER TABLE transactions DROP CONSTRAINT uq_transactions_prev_hash")
    op.execute("ALTER TABLE transactions DROP CONSTRAINT uq_transactions_hash")
    op.execute(
        "CREATE FUNCTION netfund_transactions_linked() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE unlinked bigint; BEGIN "
        f"SELECT t.id INTO unlinked FROM new_rows t WHERE t.prev_hash IS DISTINCT FROM "
        f"{_PREDECESSOR} ORDER BY t.id LIMIT 1; "
        f"IF FOUND THEN RAISE EXCEPTION 'transaction % {_UNLINKED}', unlinked "
        "USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER transactions_linked AFTER INSERT ON transactions "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION netfund_transactions_linked()"
    )


def _without_unique_hashes(sql: str) -> str:
    if _UNIQUE_HASHES not in sql:
        raise RuntimeError("transactions has not the unique hash constraints 0001 made")
    return sql.replace(_UNIQUE_HASHES, "")


def _with_unique_hashes(sql: str) -> str:
    if _BEFORE_THEM not in sql or _UNIQUE_HASHES in sql:
        raise RuntimeError("transactions is not as 0017 left it")
    return sql.replace(_BEFORE_THEM, _BEFORE_THEM + _UNIQUE_HASHES)


def _rebuild_transactions(new_definition: Callable[[str], str]) -> None:
    """Build SQLite's `transactions` again from its own definition changed by
    ``new_definition``, with its rows, indexes and triggers as they were.

    Without a rename: ALTER TABLE ... RENAME would rewrite the references of postings and of
    other tables' triggers, or refuse while they name a dropped table. The rows wait in a
    plain copy while the table is dropped and created again; the foreign keys on it
    (postings, a reversal's `reversal_of`) are deferred meanwhile, so dropping it counts
    their rows as unresolved and inserting the rows back resolves them before COMMIT.
    """
    connection = op.get_bind()
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    (definition,) = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'transactions'"
    ).one()
    # Dropped with the table; put back in the order they were made (triggers on the same
    # event fire in an order that follows it).
    dependants = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'transactions' "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid"
    ).all()
    op.execute("CREATE TABLE netfund_rebuild_0017 AS SELECT * FROM transactions")
    op.execute("DROP TABLE transactions")
    connection.exec_driver_sql(new_definition(definition))
    op.execute("INSERT INTO transactions SELECT * FROM netfund_rebuild_0017")
    op.execute("DROP TABLE netfund_rebuild_0017")
    for (sql,) in dependants:
        connection.exec_driver_sql(sql)
