"""balanced transactions: the database refuses a transaction that does not balance per fund

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24

Invariant 1 (every transaction's postings sum to zero per fund, actual and budget lines
apart: `entries.unbalanced_funds`) was checked only by the writer, in Python. A write around
netfund (raw SQL, another tool) could store an unbalanced transaction. From this revision the
database refuses it too, on each dialect with what the dialect offers. Rows stored before
the upgrade are not checked again: `verify` re-checks every transaction.

PostgreSQL, checked at commit (as django-hordak's deferred `check_leg` trigger does):

- A statement trigger on postings (`postings_balanced`) adds up the statement's inserted
  rows (a transition table) per (transaction, fund, budget or actual). A transaction whose
  rows in this statement sum to zero everywhere is as balanced as it was before; any other is
  noted in `pending_balance_checks`. netfund's writer sends each transaction's postings in
  one `COPY`, so it notes nothing and pays one grouped sum per `COPY`.
- A deferred constraint trigger on `pending_balance_checks` fires at commit for each noted
  transaction, sums all its postings and raises unless they balance; a balanced one's note is
  deleted. A writer may therefore insert a transaction's postings one row at a time, in any
  order, as long as they balance when it commits. Deleting a note does not escape the check:
  the trigger's event was queued when the note was inserted.
- A PL/pgSQL call per posting at commit (hordak's way) would cost a million calls for a
  year of a million expenses; the statement trigger costs one grouped sum per `COPY`.

SQLite has no deferred triggers and no statement triggers, so there is no "at commit" to
check in; the check runs when the chain head moves, which netfund's writer does once per
write, after the rows (`Appender.finish`). Three rules make that check cover every
transaction a writer can store:

- The head seals (`postings_sealed`): a posting of a transaction at or below the chain head
  is refused, so a transaction's postings are complete when the head passes it.
- The head checks (`chain_head_balanced`): moving the head from A to B adds up the postings
  of transactions A+1..B per (transaction, fund, budget or actual) and refuses the move if a
  sum is not zero. The head never moves back (`chain_head_forward`), and its row can be
  neither deleted nor replaced (`chain_head_kept`, `chain_head_single`: `INSERT OR REPLACE`
  would move it without an UPDATE).
- The head must move: inserting a transaction beyond the head inserts a row into
  `pending_head_move`, whose foreign key is deferred and can never be met (it points at
  chain head 0; the only head row is 1). Moving the head past every transaction deletes the
  row; deleting it any other way is refused while a transaction is beyond the head. A write
  that leaves a transaction beyond the head therefore fails at COMMIT, with SQLite's
  "FOREIGN KEY constraint failed".

Limits, written down in ledger/docs.md too: SQLite enforces foreign keys only on
connections that turn them on (`PRAGMA foreign_keys = ON`; netfund's always do, the sqlite3
shell and Python's sqlite3 do not by default). Without them a raw write can leave a
transaction beyond the head unchecked; netfund's next write then fails on its id, and
`verify` reports the chain longer than its head. On either database, a role that may drop
triggers or tables (or, on PostgreSQL, set `session_replication_role`) can remove every
guard; `verify` re-checks invariant 1 for every transaction. A transaction without postings
sums to zero and is not refused here (the writer requires two postings; `verify` checks it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: `entries.is_budget_account` in SQL: budget lines balance apart from the actual ones.
#: PostgreSQL's LIKE is case-sensitive and a quarter faster here than substr; SQLite's LIKE
#: ignores case, so SQLite compares the prefix.
BUDGET_LINE_POSTGRESQL = "(account = 'Budget' OR account LIKE 'Budget:%')"
BUDGET_LINE_SQLITE = "(account = 'Budget' OR substr(account, 1, 7) = 'Budget:')"
UNBALANCED_MESSAGE = "does not balance per fund (actual and budget lines apart)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _postgresql_upgrade() -> None:
    op.execute("CREATE TABLE pending_balance_checks (txn_id BIGINT PRIMARY KEY)")
    op.execute(
        "CREATE FUNCTION netfund_note_unbalanced() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO pending_balance_checks (txn_id) SELECT DISTINCT txn_id FROM new_rows "
        f"GROUP BY txn_id, fund, {BUDGET_LINE_POSTGRESQL} HAVING SUM(amount_cents) <> 0 "
        "ON CONFLICT DO NOTHING; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER postings_balanced AFTER INSERT ON postings "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION netfund_note_unbalanced()"
    )
    op.execute(
        "CREATE FUNCTION netfund_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE bad record; BEGIN "
        f"SELECT fund, {BUDGET_LINE_POSTGRESQL} AS budget, SUM(amount_cents) AS total INTO bad "
        "FROM postings WHERE txn_id = NEW.txn_id "
        f"GROUP BY fund, {BUDGET_LINE_POSTGRESQL} HAVING SUM(amount_cents) <> 0 LIMIT 1; "
        f"IF FOUND THEN RAISE EXCEPTION 'transaction % {UNBALANCED_MESSAGE}: its % lines of "
        "fund % sum to % cents', NEW.txn_id, CASE WHEN bad.budget THEN 'budget' "
        "ELSE 'actual' END, bad.fund, bad.total USING ERRCODE = 'check_violation'; END IF; "
        "DELETE FROM pending_balance_checks WHERE txn_id = NEW.txn_id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER pending_balance_checks_at_commit "
        "AFTER INSERT ON pending_balance_checks DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION netfund_check_balanced()"
    )


_HEAD = "(SELECT last_txn_id FROM chain_head WHERE id = 1)"
_CLOSED = (
    "EXISTS (SELECT 1 FROM closed_periods JOIN transactions "
    "ON transactions.period = closed_periods.period WHERE transactions.id = NEW.txn_id)"
)


def _sqlite_upgrade() -> None:
    # A posting of a closed period is left to postings_closed_period: its message says more.
    _sqlite_trigger(
        "postings_sealed BEFORE INSERT ON postings",
        f"NEW.txn_id <= {_HEAD} AND NOT {_CLOSED}",
        "postings of a transaction up to the chain head cannot be added: the head sealed it",
    )
    _sqlite_trigger(
        "chain_head_forward BEFORE UPDATE ON chain_head",
        "NEW.last_txn_id < OLD.last_txn_id",
        "the chain head never moves back",
    )
    _sqlite_trigger(
        "chain_head_balanced BEFORE UPDATE ON chain_head",
        "NEW.last_txn_id > OLD.last_txn_id AND EXISTS (SELECT 1 FROM postings "
        "WHERE txn_id > OLD.last_txn_id AND txn_id <= NEW.last_txn_id "
        f"GROUP BY txn_id, fund, {BUDGET_LINE_SQLITE} HAVING SUM(amount_cents) <> 0)",
        f"a transaction the chain head moves past {UNBALANCED_MESSAGE}",
    )
    _sqlite_trigger(
        "chain_head_kept BEFORE DELETE ON chain_head", None, "the chain head cannot be deleted"
    )
    _sqlite_trigger(
        "chain_head_single BEFORE INSERT ON chain_head",
        "EXISTS (SELECT 1 FROM chain_head)",
        "the chain head exists already: move it with an UPDATE",
    )
    op.execute(
        "CREATE TABLE pending_head_move ("
        "id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), "
        "never_head INTEGER NOT NULL CHECK (never_head = 0) "
        "REFERENCES chain_head (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    # The row exists after a batch's first transaction: later rows stop at the first test.
    op.execute(
        "CREATE TRIGGER transactions_beyond_head AFTER INSERT ON transactions "
        f"WHEN NOT EXISTS (SELECT 1 FROM pending_head_move) AND NEW.id > {_HEAD} "
        "BEGIN INSERT INTO pending_head_move (id, never_head) VALUES (1, 0); END"
    )
    op.execute(
        "CREATE TRIGGER chain_head_moved AFTER UPDATE ON chain_head BEGIN "
        "DELETE FROM pending_head_move "
        "WHERE NOT EXISTS (SELECT 1 FROM transactions WHERE id > NEW.last_txn_id); END"
    )
    _sqlite_trigger(
        "pending_head_move_kept BEFORE DELETE ON pending_head_move",
        f"EXISTS (SELECT 1 FROM transactions WHERE id > {_HEAD})",
        "a transaction is beyond the chain head: move the head past it, which checks that it "
        "balances",
    )


def _sqlite_trigger(head: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(
        f"CREATE TRIGGER {head}{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


_SQLITE_TRIGGERS = (
    "postings_sealed",
    "chain_head_forward",
    "chain_head_balanced",
    "chain_head_kept",
    "chain_head_single",
    "transactions_beyond_head",
    "chain_head_moved",
    "pending_head_move_kept",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER pending_balance_checks_at_commit ON pending_balance_checks")
        op.execute("DROP TRIGGER postings_balanced ON postings")
        op.execute("DROP FUNCTION netfund_check_balanced()")
        op.execute("DROP FUNCTION netfund_note_unbalanced()")
        op.execute("DROP TABLE pending_balance_checks")
        return
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE pending_head_move")
