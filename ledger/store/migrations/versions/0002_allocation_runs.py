"""allocation runs: stored, append-only documents of each allocation solved

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('optimal', 'infeasible')", name=op.f("ck_allocation_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER allocation_runs_append_only BEFORE UPDATE OR DELETE ON allocation_runs "
            "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER allocation_runs_append_only_{action.lower()} BEFORE {action} "
                "ON allocation_runs BEGIN SELECT RAISE(ABORT, "
                "'allocation_runs are append-only: run the plan again instead'); END"
            )


def downgrade() -> None:
    op.drop_table("allocation_runs")
