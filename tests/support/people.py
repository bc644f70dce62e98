"""Two people on one ledger, for the four-eyes tests (issue 17).

netfund's actor is the login role on PostgreSQL and the operating-system user on SQLite. Here
each person is a LOGIN role of its own on PostgreSQL (created for the test, granted the test
schema, dropped afterwards), and on SQLite the same process with `identity.os_user` patched
to the person's name: `url(name)` returns the URL to act as ``name`` and makes it so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from netfund.ledger.store import identity
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class People:
    """The people acting on the ledger at ``db_url``; `close` drops what was created."""

    def __init__(self, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db_url = db_url
        self.postgresql = not db_url.startswith("sqlite")
        self._monkeypatch = monkeypatch
        self._roles: dict[str, str] = {}
        self._tag = uuid.uuid4().hex[:10]

    def actor(self, name: str) -> str:
        """The actor netfund records for ``name``."""
        return self._roles.setdefault(name, f"nf_t_{self._tag}_{name}") if self.postgresql else name

    def url(self, name: str) -> str:
        """The URL to act as ``name`` (on SQLite: from now on this process is ``name``)."""
        if not self.postgresql:
            self._monkeypatch.setattr(identity, "os_user", lambda: name)
            return self.db_url
        role = self.actor(name)
        self._grant(role)
        return make_url(self.db_url).set(username=role).render_as_string(hide_password=False)

    def _grant(self, role: str) -> None:
        schema = self._schema()
        admin = create_engine(self.db_url)
        try:
            with admin.begin() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                ).first()
                if exists is None:
                    connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
                # Granted again each time: tables created since (a migration) are covered.
                connection.execute(text(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}"'))
                for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
                    connection.execute(
                        text(f'GRANT ALL ON ALL {kind} IN SCHEMA "{schema}" TO "{role}"')
                    )
        finally:
            admin.dispose()

    def _schema(self) -> str:
        options = unquote(str(make_url(self.db_url).query.get("options", "")))
        return options.split("search_path=", 1)[1]

    def close(self) -> None:
        if not self._roles:
            return
        admin = create_engine(self.db_url)
        try:
            with admin.begin() as connection:
                for role in self._roles.values():
                    if connection.execute(
                        text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                    ).first():
                        connection.execute(text(f'DROP OWNED BY "{role}"'))
                        connection.execute(text(f'DROP ROLE "{role}"'))
        finally:
            admin.dispose()


def people_of(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[People]:
    """A fixture body: the people of ``db_url``, their roles dropped afterwards."""
    people = People(db_url, monkeypatch)
    try:
        yield people
    finally:
        people.close()
