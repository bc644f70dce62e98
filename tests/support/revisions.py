"""A ledger taken down to an older schema, to show an attack against the guards before and
after the migration that changed them (the attack tests of issue 21's migrations)."""

from __future__ import annotations

from alembic import command
from netfund.ledger.store import database
from netfund.ledger.store.database import current_revision, reading, writing
from sqlalchemy import Engine


def take_down(engine: Engine, revision: str) -> None:
    """Downgrade ``engine``'s ledger to ``revision`` (nothing to do at the newest) and check
    that it is there."""
    if revision != database.head_revision():
        with writing(engine) as connection:
            config = database._alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    with reading(engine) as connection:
        assert current_revision(connection) == revision
