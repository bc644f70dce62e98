"""Alembic environment: runs migrations on the connection netfund hands it.

netfund calls Alembic from code (`netfund init`), never through an alembic.ini, so the
connection always comes from `config.attributes["connection"]`; a URL fallback keeps the
`alembic` command usable for developers writing a new migration.
"""

from __future__ import annotations

from alembic import context
from netfund.ledger.store.schema import Base
from sqlalchemy import create_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///netfund.db")
    with engine.connect() as own_connection:
        context.configure(connection=own_connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
