"""bulk speed: a covering index for balances; PostgreSQL checks closed periods per statement

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

- `ix_postings_balance` on postings (account, fund, group, txn_id, amount_cents) replaces
  `ix_postings_account_fund` (account, fund): balances and the trial balance are sums grouped
  by these columns, answered from the index alone instead of a table look-up per posting.
  `txn_id` before the amount keeps inserts at the end of each (account, fund, group) run, so
  a bulk import does not write into random places of a large index.
- PostgreSQL: the closed-period triggers on transactions and postings run once per
  statement over its inserted rows (a transition table), not once per row, so a bulk COPY
  is checked in one join. They refuse exactly what the row triggers of 0001 refused, and the
  append-only triggers are unchanged. SQLite has no statement triggers and keeps its own.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_postings_account_fund", table_name="postings")
    op.create_index(
        "ix_postings_balance",
        "postings",
        ["account", "fund", "group", "txn_id", "amount_cents"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_statement_triggers()


def _postgresql_statement_triggers() -> None:
    op.execute("DROP TRIGGER transactions_closed_period ON transactions")
    op.execute("DROP TRIGGER postings_closed_period ON postings")
    op.execute("DROP FUNCTION netfund_refuse_closed_transaction()")
    op.execute("DROP FUNCTION netfund_refuse_closed_posting()")
    op.execute(
        "CREATE FUNCTION netfund_refuse_closed_transactions() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ DECLARE closed_period text; BEGIN "
        "SELECT c.period INTO closed_period FROM new_rows n "
        "JOIN closed_periods c ON c.period = n.period LIMIT 1; "
        "IF FOUND THEN RAISE EXCEPTION 'the period % is closed', closed_period; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER transactions_closed_period AFTER INSERT ON transactions "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION netfund_refuse_closed_transactions()"
    )
    # No closed period (the common case while a year runs): nothing to join.
    op.execute(
        "CREATE FUNCTION netfund_refuse_closed_postings() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ DECLARE closed_txn bigint; BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM closed_periods) THEN RETURN NULL; END IF; "
        "SELECT n.txn_id INTO closed_txn FROM new_rows n "
        "JOIN transactions t ON t.id = n.txn_id "
        "JOIN closed_periods c ON c.period = t.period LIMIT 1; "
        "IF FOUND THEN RAISE EXCEPTION 'the period of transaction % is closed', closed_txn; "
        "END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER postings_closed_period AFTER INSERT ON postings "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION netfund_refuse_closed_postings()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER transactions_closed_period ON transactions")
        op.execute("DROP TRIGGER postings_closed_period ON postings")
        op.execute("DROP FUNCTION netfund_refuse_closed_transactions()")
        op.execute("DROP FUNCTION netfund_refuse_closed_postings()")
        op.execute(
            "CREATE FUNCTION netfund_refuse_closed_transaction() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ "
            "BEGIN IF EXISTS (SELECT 1 FROM closed_periods WHERE period = NEW.period) THEN "
            "RAISE EXCEPTION 'the period % is closed', NEW.period; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER transactions_closed_period BEFORE INSERT ON transactions "
            "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_closed_transaction()"
        )
        op.execute(
            "CREATE FUNCTION netfund_refuse_closed_posting() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ "
            "BEGIN IF EXISTS (SELECT 1 FROM closed_periods JOIN transactions "
            "ON transactions.period = closed_periods.period "
            "WHERE transactions.id = NEW.txn_id) THEN "
            "RAISE EXCEPTION 'the period of transaction % is closed', NEW.txn_id; END IF; "
            "RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER postings_closed_period BEFORE INSERT ON postings "
            "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_closed_posting()"
        )
    op.drop_index("ix_postings_balance", table_name="postings")
    op.create_index("ix_postings_account_fund", "postings", ["account", "fund"], unique=False)
