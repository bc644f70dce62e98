"""portal logins: who may sign in to the funder portal, and the records of it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Issue 18: the funder portal (netfund.web) signs people in with a name and a password.

- `portal_users`: one row per portal login: its role (administrator, controller or funder),
  the funder whose money a funder's login reads (NULL for staff, required for a funder: a
  CHECK), the Argon2id hash of its password (`ledger/accounts.py`), when and by whom it was
  added and when its password last changed. The hash lives only here, never in a record.
- `ledger_records.kind` also allows ``user`` (a login added or its password changed) and
  ``sign-in`` (every sign-in, refused or throttled attempt and sign-out): the audit trail.

SQLite cannot change a CHECK constraint: ledger_records is rebuilt with its rows, indexes and
triggers (`migrations/sqlite_rebuild.py`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netfund.ledger.store.migrations.sqlite_rebuild import rebuild_with_check

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant')"
)
_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant', "
    "'user', 'sign-in')"
)


def upgrade() -> None:
    connection = op.get_bind()
    _record_kinds(connection, _OLD_RECORD_KINDS, _RECORD_KINDS)
    op.create_table(
        "portal_users",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("funder", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=25), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(length=25), nullable=False),
        sa.CheckConstraint(
            "role IN ('administrator', 'controller', 'funder')", name=op.f("ck_portal_users_role")
        ),
        sa.CheckConstraint(
            "(role = 'funder' AND funder IS NOT NULL) OR (role <> 'funder' AND funder IS NULL)",
            name=op.f("ck_portal_users_funder_role"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_portal_users")),
    )


def downgrade() -> None:
    """Back to 0010, for a ledger without portal records: a record of a new kind has no
    place in 0010's chain, so going back would break the records chain; restore a backup
    instead."""
    connection = op.get_bind()
    written = connection.execute(
        sa.text(f"SELECT count(*) FROM ledger_records WHERE NOT ({_OLD_RECORD_KINDS})")
    ).scalar_one()
    if written:
        raise RuntimeError(
            "migration 0011: this ledger holds records of portal logins, which 0010 does not "
            "know; going back would break its records chain. Restore a backup taken before "
            "the upgrade instead."
        )
    op.drop_table("portal_users")
    _record_kinds(connection, _RECORD_KINDS, _OLD_RECORD_KINDS)


def _record_kinds(connection: sa.Connection, old: str, new: str) -> None:
    if connection.dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_records DROP CONSTRAINT ck_ledger_records_kind")
        op.execute(f"ALTER TABLE ledger_records ADD CONSTRAINT ck_ledger_records_kind CHECK ({new})")
    else:
        rebuild_with_check(connection, "ledger_records", old, new, revision="0011")
