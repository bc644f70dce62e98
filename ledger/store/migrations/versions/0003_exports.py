"""exports: the append-only log of every export written (what, which period, how many rows, the
ledger's fingerprint at that moment, the file's sha256)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPORT_KINDS = ("journal", "trial-balance", "beancount", "hledger", "xaf")


def upgrade() -> None:
    kinds = ", ".join(f"'{kind}'" for kind in EXPORT_KINDS)
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("last_txn_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_exports_kind")),
        sa.CheckConstraint(
            "row_count >= 0 AND last_txn_id >= 0 AND file_bytes >= 0",
            name=op.f("ck_exports_counts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER exports_append_only BEFORE UPDATE OR DELETE ON exports "
            "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER exports_no_truncate BEFORE TRUNCATE ON exports "
            "FOR EACH STATEMENT EXECUTE FUNCTION netfund_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER exports_append_only_{action.lower()} BEFORE {action} "
                "ON exports BEGIN SELECT RAISE(ABORT, "
                "'exports are append-only: the export log is never rewritten'); END"
            )


def downgrade() -> None:
    op.drop_table("exports")
