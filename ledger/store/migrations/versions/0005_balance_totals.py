"""balance totals: debits and credits per period, account, fund and group

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

`balance_totals` holds, per (period, account, fund, group), the sum of the debit postings and
the sum of the credit postings, so that `netfund balance` and the trial balance read a few
hundred rows instead of summing millions of postings. The appender adds to it in the same
database transaction that moves the chain head; `verify` recomputes it from the postings.
The upgrade fills it from the postings already stored, in one grouped insert.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "balance_totals",
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("fund", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("debit_cents", sa.BigInteger(), nullable=False),
        sa.Column("credit_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "debit_cents >= 0 AND credit_cents >= 0", name=op.f("ck_balance_totals_non_negative")
        ),
        sa.PrimaryKeyConstraint("period", "account", "fund", "group", name=op.f("pk_balance_totals")),
    )
    op.execute(
        'INSERT INTO balance_totals (period, account, fund, "group", debit_cents, credit_cents) '
        "SELECT t.period, p.account, p.fund, COALESCE(p.\"group\", ''), "
        "SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END), "
        "SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END) "
        "FROM postings p JOIN transactions t ON t.id = p.txn_id "
        "GROUP BY t.period, p.account, p.fund, COALESCE(p.\"group\", '')"
    )


def downgrade() -> None:
    op.drop_table("balance_totals")
