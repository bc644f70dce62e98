"""Writing a ledger as netfund wrote it before schema 0010: no actor, no write records.

The migration tests build an old ledger with today's code and take the schema back; rows that
name their actor (hashed with it) cannot go back below 0010, so while such a ledger is written
the actor is None, the write records are left out and, on PostgreSQL, the triggers that insist
on the login are off (the test's superuser may turn them off; netfund never does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from netfund.ledger.store import post, records, writer
from sqlalchemy import Engine, text

_TRIGGERS = (("transactions", "transactions_actor"), ("ledger_records", "ledger_records_actor"))


def _triggers(engine: Engine, state: str) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table, trigger in _TRIGGERS:
            connection.execute(text(f"ALTER TABLE {table} {state} TRIGGER {trigger}"))


@contextmanager
def written_before_actors(engine: Engine) -> Iterator[None]:
    """Within the block, netfund writes ``engine`` as it did before schema 0010."""

    def nobody(_connection: Any) -> None:
        return None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer, "current_actor", nobody)
        patch.setattr(records, "current_actor", nobody)
        patch.setattr(post, "_record_write", lambda *args, **kwargs: None)
        _triggers(engine, "DISABLE")
        try:
            yield
        finally:
            _triggers(engine, "ENABLE")
