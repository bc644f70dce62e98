"""every write names its actor; records for the audit trail and four-eyes approvals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Issue 17: who booked this, and who approved it?

- `transactions.actor` and `ledger_records.actor`: who wrote the row, part of its hash
  (`model/canonical.py`, `store/records.py`: the key is left out while NULL, so every row
  written before this revision keeps its hash; those rows stay NULL: nobody knows who wrote
  them). On PostgreSQL the column defaults to ``session_user`` and a row trigger refuses any
  other value: the database, not the client, says who is writing. SQLite has no logins: there
  netfund writes the operating-system user, and nothing stops a process that can write the
  file from writing another name (the README says so).
- `ledger_records.kind` also allows ``write`` (one per write: what, by whom, which
  transactions), ``proposal`` and ``decision`` (four-eyes approvals), ``export`` and
  ``grant`` (who was given which role). `exports.kind` allows ``audit-trail``.
- `funder_logins`: which login reads which funder's money (`netfund roles grant --funder`);
  the row-level security policies of `netfund roles install` read it.

SQLite cannot change a CHECK constraint: ledger_records and exports are rebuilt with their
rows, indexes and triggers (`migrations/sqlite_rebuild.py`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netfund.ledger.store.migrations.sqlite_rebuild import rebuild_with_check

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_RECORD_KINDS = "kind IN ('network', 'run', 'close')"
_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant')"
)
_OLD_EXPORT_KINDS = "kind IN ('journal', 'trial-balance', 'beancount', 'hledger', 'xaf')"
_EXPORT_KINDS = (
    "kind IN ('journal', 'trial-balance', 'beancount', 'hledger', 'xaf', 'audit-trail')"
)
_ACTOR_TABLES = ("transactions", "ledger_records")


def upgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    if not postgresql:  # before the column is added: the rebuild copies the table's text
        _sqlite_rebuild(connection, "ledger_records", _OLD_RECORD_KINDS, _RECORD_KINDS)
        _sqlite_rebuild(connection, "exports", _OLD_EXPORT_KINDS, _EXPORT_KINDS)
    for table in _ACTOR_TABLES:
        op.add_column(table, sa.Column("actor", sa.Text(), nullable=True))
    if postgresql:
        _postgresql_checks(_RECORD_KINDS, _EXPORT_KINDS)
        op.execute(
            "CREATE FUNCTION netfund_actor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.actor IS DISTINCT FROM session_user THEN RAISE EXCEPTION "
            "'% is written by the login role %, not by %', TG_TABLE_NAME, session_user, "
            "coalesce(NEW.actor, 'nobody') USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN NEW; END $$"
        )
        for table in _ACTOR_TABLES:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN actor SET DEFAULT session_user")
            op.execute(
                f"CREATE TRIGGER {table}_actor BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION netfund_actor()"
            )
    op.create_table(
        "funder_logins",
        sa.Column("login", sa.String(length=63), nullable=False),
        sa.Column("funder", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("login", "funder", name=op.f("pk_funder_logins")),
    )


def downgrade() -> None:
    """Back to 0009, for a ledger that has not been written since this revision: a row that
    names its actor is hashed with it, and a record of a new kind has no place in 0009's
    chain, so going back would break the hash chains; restore a backup instead."""
    connection = op.get_bind()
    written = connection.execute(
        sa.text(
            "SELECT (SELECT count(*) FROM transactions WHERE actor IS NOT NULL) + "
            "(SELECT count(*) FROM ledger_records WHERE actor IS NOT NULL "
            f"OR NOT ({_OLD_RECORD_KINDS}))"
        )
    ).scalar_one()
    if written:
        raise RuntimeError(
            "migration 0010: this ledger was written at schema 0010 (rows name their actor, "
            "records of kinds 0009 does not know); going back would break its hash chains. "
            "Restore a backup taken before the upgrade instead."
        )
    op.drop_table("funder_logins")
    if connection.dialect.name == "postgresql":
        for table in _ACTOR_TABLES:
            op.execute(f"DROP TRIGGER {table}_actor ON {table}")
        op.execute("DROP FUNCTION netfund_actor()")
        _postgresql_checks(_OLD_RECORD_KINDS, _OLD_EXPORT_KINDS)
    for table in _ACTOR_TABLES:
        op.drop_column(table, "actor")
    if connection.dialect.name != "postgresql":
        _sqlite_rebuild(connection, "ledger_records", _RECORD_KINDS, _OLD_RECORD_KINDS)
        _sqlite_rebuild(connection, "exports", _EXPORT_KINDS, _OLD_EXPORT_KINDS)


def _postgresql_checks(record_kinds: str, export_kinds: str) -> None:
    for table, check in (("ledger_records", record_kinds), ("exports", export_kinds)):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_kind")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_kind CHECK ({check})")


def _sqlite_rebuild(connection: sa.Connection, table: str, old: str, new: str) -> None:
    rebuild_with_check(connection, table, old, new, revision="0010")
