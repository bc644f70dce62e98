"""PostgreSQL logins for the tests that act as real people: made per test, dropped after.

Roles belong to the whole server, so a test drops the logins it granted; the four group roles
`netfund roles install` made for its ledger go with the test's schema (`database_url`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text


def as_login(url: str, login: str) -> str:
    """``url`` with ``login`` as its user (trust authentication on the test server)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def login_name(role: str) -> str:
    """A login name no other test uses."""
    return f"nf_{uuid.uuid4().hex[:10]}_{role}"


@contextmanager
def dropped_afterwards(url: str, logins: list[str]) -> Iterator[list[str]]:
    """Yield ``logins`` (to be created by the test) and drop those that exist afterwards
    (the ledger's group roles go with its schema: `tests.conftest.database_url`)."""
    try:
        yield logins
    finally:
        admin = create_engine(url)
        with admin.begin() as connection:
            for login in logins:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}
                ).scalar()
                if exists:
                    connection.execute(text(f'DROP OWNED BY "{login}"'))
                    connection.execute(text(f'DROP ROLE "{login}"'))
        admin.dispose()
