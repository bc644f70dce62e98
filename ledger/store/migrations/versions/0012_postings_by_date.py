"""a period's transactions in date order: the portal's postings pages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Issue 18: a funder's postings page sorts the lines of its fund in a period by date (then chain
position and line). Without an index SQLite sorted all of the period's transactions in a
temporary B-tree for every page: 0.25 s a page at 100,000 expenses. With
``transactions (period, date, id)`` the first page reads 50 lines in order (0.1 ms) and a page
in the middle of the year walks to its offset (0.14 s at 60,000 lines). The index is on the
transactions, not the postings (six times as many rows), so an import pays little for it
(docs/BENCHMARKS.md, "The funder portal under load").
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_period_date", "transactions", ["period", "date", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_period_date", table_name="transactions")
