"""cheap write guards on SQLite: the closed-period and seal checks of postings move to the head

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Issue 21 (import at columnar speed): on SQLite every posting row ran two triggers,
`postings_closed_period` (0001, read as 0008 says) and `postings_sealed` (0006), and each of
their WHEN clauses looked the posting's transaction up and searched `closed_periods` for it:
a third of the time to insert a 100,000-expense import (600,000 postings) into the database
(docs/BENCHMARKS.md, "Issue 21: the write guards"). The rows an import writes belong to
transactions beyond the chain head, and what those two triggers refuse for such a row can be
refused once per head move instead, before anything can commit:

- `postings_sealed` is now the only posting trigger, and its WHEN is one look-up of the head:
  a posting of a transaction at or below the chain head is refused, with 'the period of this
  transaction is closed' when its period is closed (0008's reading: the newest lock event is a
  close), else with the seal's message. A posting beyond the head pays that one comparison.
- `chain_head_open_periods` refuses moving the head past a transaction whose period is closed
  (same message, and that the head cannot pass it). A transaction of a closed period cannot be
  inserted at all (`transactions_closed_period`, unchanged), so the only way to have one beyond
  the head is to close its period while it waits there; its postings, added before or after the
  close, were refused per row before and now fail the head move, which the write must make
  (0006: a transaction left beyond the head fails the COMMIT on `pending_head_move`). The check
  reads the transactions the head passes, and nothing at all while no period is closed.

netfund's own writes are not refused: a close flushes its entries and moves the head before it
writes the lock row (`ledger/store/post.py`, `_lock_event`), a reopen writes its row before the
entries that undo the close, and carry-overs are dated in the open year.

PostgreSQL is unchanged: its closed-period checks are statement triggers since 0004 (one look
per `COPY`) and the seal is the deferred balance check of 0006.

Limits: those of 0006 (ledger/docs.md). Without `PRAGMA foreign_keys = ON` a raw write can
leave a transaction beyond the head, and its postings of a closed period, uncommitted-checked:
as before, such a transaction was never passed by the head, netfund's next write fails on its
id, and `verify` reports the chain longer than its head.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEAD = "(SELECT last_txn_id FROM chain_head WHERE id = 1)"
_CLOSED_MESSAGE = "the period of this transaction is closed"
_SEALED_MESSAGE = (
    "postings of a transaction up to the chain head cannot be added: the head sealed it"
)
#: The periods closed now: each whose newest lock event (highest seq) is a close (0008).
_CLOSED_PERIODS = (
    "SELECT c.period FROM closed_periods c WHERE c.event = 'close' AND NOT EXISTS "
    "(SELECT 1 FROM closed_periods r WHERE r.period = c.period AND r.seq > c.seq)"
)
_POSTING_PERIOD = "(SELECT period FROM transactions WHERE id = NEW.txn_id)"


def upgrade() -> None:
    op.drop_index("ix_postings_balance", table_name="postings")
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("DROP TRIGGER postings_closed_period")
    op.execute("DROP TRIGGER postings_sealed")
    # Several statements in one body: the first RAISE that selects a row aborts.
    op.execute(
        f"CREATE TRIGGER postings_sealed BEFORE INSERT ON postings WHEN NEW.txn_id <= {_HEAD} "
        f"BEGIN SELECT RAISE(ABORT, '{_CLOSED_MESSAGE}') "
        f"WHERE {_POSTING_PERIOD} IN ({_CLOSED_PERIODS}); "
        f"SELECT RAISE(ABORT, '{_SEALED_MESSAGE}'); END"
    )
    # The IN list is computed once per head move (an uncorrelated subquery), each passed
    # transaction then costs one look-up in it.
    op.execute(
        "CREATE TRIGGER chain_head_open_periods BEFORE UPDATE ON chain_head "
        "WHEN NEW.last_txn_id > OLD.last_txn_id AND EXISTS (SELECT 1 FROM closed_periods) "
        "AND EXISTS (SELECT 1 FROM transactions WHERE id > OLD.last_txn_id "
        f"AND id <= NEW.last_txn_id AND period IN ({_CLOSED_PERIODS})) "
        f"BEGIN SELECT RAISE(ABORT, '{_CLOSED_MESSAGE}: the chain head cannot move past it'); "
        "END"
    )


def downgrade() -> None:
    """Back to 0004's covering index and 0008's two per-row posting triggers."""
    op.create_index(
        "ix_postings_balance",
        "postings",
        ["account", "fund", "group", "txn_id", "amount_cents"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("DROP TRIGGER chain_head_open_periods")
    op.execute("DROP TRIGGER postings_sealed")
    closed = (
        "EXISTS (SELECT 1 FROM closed_periods c WHERE c.period = "
        f"{_POSTING_PERIOD} AND c.event = 'close' AND NOT EXISTS (SELECT 1 FROM closed_periods r "
        "WHERE r.period = c.period AND r.seq > c.seq))"
    )
    op.execute(
        f"CREATE TRIGGER postings_closed_period BEFORE INSERT ON postings WHEN {closed} "
        f"BEGIN SELECT RAISE(ABORT, '{_CLOSED_MESSAGE}'); END"
    )
    op.execute(
        "CREATE TRIGGER postings_sealed BEFORE INSERT ON postings "
        f"WHEN NEW.txn_id <= {_HEAD} AND NOT {closed} "
        f"BEGIN SELECT RAISE(ABORT, '{_SEALED_MESSAGE}'); END"
    )
