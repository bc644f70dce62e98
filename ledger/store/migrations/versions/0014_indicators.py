"""indicators beside the money: the measurements imported from indicators.csv

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Issue 20: the groups' indicators are declared in network.toml (part of the network record);
their measurements are stored here, one row per indicator, group and day, never changed, each
import a ``indicator-import`` record in the records chain holding the sha256 of what it added.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netfund.ledger.store.migrations.sqlite_rebuild import rebuild_with_check

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant', "
    "'user', 'sign-in', 'bank-statement', 'payment-file')"
)
_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant', "
    "'user', 'sign-in', 'bank-statement', 'payment-file', 'indicator-import')"
)


def upgrade() -> None:
    connection = op.get_bind()
    _record_kinds(connection, _OLD_RECORD_KINDS, _RECORD_KINDS)
    op.create_table(
        "indicator_measurements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("group_code", sa.String(length=32), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_measurements")),
    )
    op.create_index(
        "ix_indicator_measurements_key",
        "indicator_measurements",
        ["indicator", "group_code", "measured_on"],
        unique=True,
    )
    # Append-only in the database too, as every other append-only table is: a measurement is
    # never changed (roles make it INSERT-only for the logins; this holds the owner as well).
    if connection.dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER indicator_measurements_append_only BEFORE UPDATE OR DELETE ON "
            "indicator_measurements FOR EACH ROW EXECUTE FUNCTION netfund_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER indicator_measurements_no_truncate BEFORE TRUNCATE ON "
            "indicator_measurements FOR EACH STATEMENT EXECUTE FUNCTION netfund_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER indicator_measurements_append_only_{action.lower()} BEFORE "
                f"{action} ON indicator_measurements BEGIN SELECT RAISE(ABORT, "
                "'indicator measurements are append-only: a measurement is never changed'); END"
            )


def downgrade() -> None:
    """Back to 0013, for a ledger that imported no measurement: their records have no place
    in 0013's chain."""
    connection = op.get_bind()
    written = connection.execute(
        sa.text(f"SELECT count(*) FROM ledger_records WHERE NOT ({_OLD_RECORD_KINDS})")
    ).scalar_one()
    if written:
        raise RuntimeError(
            "migration 0014: this ledger holds records of indicator imports, which 0013 does "
            "not know; going back would break its records chain. Restore a backup taken "
            "before the upgrade instead."
        )
    op.drop_index("ix_indicator_measurements_key", table_name="indicator_measurements")
    op.drop_table("indicator_measurements")
    _record_kinds(connection, _RECORD_KINDS, _OLD_RECORD_KINDS)


def _record_kinds(connection: sa.Connection, old: str, new: str) -> None:
    if connection.dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_records DROP CONSTRAINT ck_ledger_records_kind")
        op.execute(f"ALTER TABLE ledger_records ADD CONSTRAINT ck_ledger_records_kind CHECK ({new})")
    else:
        rebuild_with_check(connection, "ledger_records", old, new, revision="0014")
