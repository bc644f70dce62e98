"""cheap write guards: SQLite checks closed periods at the head move, the covering index goes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Issue 21 (import at columnar speed): the SQLite writer is the import's critical path, and two
things in the schema made every posting row dear (docs/BENCHMARKS.md, "Issue 21: the write
guards"; 100k expenses, 600,000 postings):

- Two row triggers on postings, `postings_closed_period` (0001, read as 0008 says) and
  `postings_sealed` (0006), each of whose conditions looked the posting's transaction up and
  searched `closed_periods` for its period: about 0.8 s of CPU, 0.45 s now.
- The covering index `ix_postings_balance` (account, fund, group, txn_id, amount_cents) of
  0004: about 1.3 s of CPU on SQLite (2.3 s of a 14 s import on PostgreSQL). Since 0005 the
  balances and the trial balance at the head read `balance_totals`; what still sums postings
  by account gained a few hundredths of a second from it, and no command asks for the one
  reader it made much faster (a trial balance pinned below the head). Dropped on both
  databases; the postings keep their primary key.

The rows an import writes belong to transactions beyond the chain head, and what the two
triggers refused for such a row is now refused once per head move, before anything can commit:

- `postings_sealed` is SQLite's only posting trigger, and its condition is one look-up of the
  head: a posting of a transaction at or below the chain head is refused, with 'the period of
  this transaction is closed' when its period is closed (0008's reading: its newest lock event
  is a close), else with the seal's message, as before. A posting beyond the head pays the call
  of the trigger and that look-up.
- `chain_head_open_periods` refuses moving the head past a transaction whose period is closed
  (the same message, and that the head cannot move past it), reading nothing while no period
  is closed. A transaction of a closed period cannot be inserted (`transactions_closed_period`,
  unchanged), so one can be beyond the head in a closed period only if its period was locked
  while it waited there. Its postings added after the lock were refused per row; now the head
  move is, and a write that leaves the head behind fails at COMMIT (0006's
  `pending_head_move`). One refusal is new: such a transaction whose postings were all in
  before the lock was accepted, and `verify` reported it added to the period after it was
  closed. The check reads the lock as it stands when the head moves: a write that adds the
  postings while the period is locked and reopens it before the head moves is accepted, as
  0014 accepted the same rows written in the other order.

netfund's own writes are not refused: a close flushes its entries and moves the head before it
writes the lock row (`ledger/store/post.py`, `_lock_event`), a reopen writes its row before the
entries that undo the close, and carry-overs are dated in the next, open year.

PostgreSQL's guards are unchanged: its closed-period checks are statement triggers since 0004
(one look per `COPY`, none while no period is closed) and its seal is 0006's balance check at
commit.

Limits: those of 0006 (ledger/docs.md). Without `PRAGMA foreign_keys = ON` a raw write can
leave a transaction beyond the head, with postings added after its period was locked, that no
head move checked: as before, netfund's next write then fails on its id and `verify` reports
the chain longer than its head.
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
