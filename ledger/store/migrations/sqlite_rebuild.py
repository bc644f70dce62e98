"""Changing a CHECK constraint on SQLite, for the migrations that widen one (0010, 0011).

SQLite cannot alter a constraint: the table is made again from its own text with the check
replaced, its rows copied, and its indexes and triggers re-created as sqlite_master holds them
(so they are exactly the ones the earlier revisions made).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op


def rebuild_with_check(
    connection: sa.Connection, table: str, old: str, new: str, *, revision: str
) -> None:
    """Make ``table`` again with its CHECK ``old`` replaced by ``new``: same columns, rows,
    indexes and triggers. The rename runs with legacy_alter_table on, so SQLite does not
    rewrite or re-check the triggers of other tables that name this one."""
    master = connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).all()
    created = next(sql for kind, _name, sql in master if kind == "table")
    if old not in created:
        raise RuntimeError(f"migration {revision}: {table} does not have the check {old}")
    # After a rename SQLite keeps the name quoted in the table's text.
    created = re.sub(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE {table}", created)
    columns = [row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")]
    names = ", ".join(f'"{name}"' for name in columns)
    staging = f"{table}_{revision}"
    op.execute(
        created.replace(f"CREATE TABLE {table}", f"CREATE TABLE {staging}", 1).replace(old, new)
    )
    op.execute(f"INSERT INTO {staging} ({names}) SELECT {names} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute("PRAGMA legacy_alter_table = ON")
    op.execute(f"ALTER TABLE {staging} RENAME TO {table}")
    op.execute("PRAGMA legacy_alter_table = OFF")
    for kind, _name, sql in master:
        if kind in ("index", "trigger"):
            op.execute(sql)
