"""The portal's test ledger: the example year (as `netfund demo` builds it) with one portal
user per role, and TestClients signed in as each of them.

Building the year takes seconds, so it is built once per database kind and test session
(`tests/web/conftest.py`); each test gets a fresh app (fresh sessions and throttle) on it. The
portal writes only sign-in records, which no test of figures looks at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.cli.commands import demo
from netfund.ledger import add_user, connect, install_roles
from netfund.web.app import create_app
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import EXAMPLE

#: Funder A and funder B of the route × role tests.
FUNDER_A = "GEM-SANIVELD-WMO"
FUNDER_B = "ZK-REGIO"
#: name -> (role, funder, password); the passwords are long enough for the policy and
#: distinctive, so a test can grep every output for them.
USERS: dict[str, tuple[str, str | None, str]] = {
    "beheer": ("administrator", None, "Beheer-wachtwoord-7731"),
    "controle": ("controller", None, "Controle-wachtwoord-4412"),
    "wmo": ("funder", FUNDER_A, "Wmo-wachtwoord-9057"),
    "zorgkantoor": ("funder", FUNDER_B, "Zorgkantoor-wachtwoord-2268"),
}
#: The roles of the route × role tests and who plays them (None: anonymous).
ROLE_USERS = {
    "anonymous": None,
    "administrator": "beheer",
    "controller": "controle",
    "funder_a": "wmo",
    "funder_b": "zorgkantoor",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PortalLedger:
    """The example year on one database, with its statements and exports folder.

    Attributes:
        kind: ``sqlite`` or ``postgresql``.
        url: the ledger's URL.
        engine: an engine on it.
        folder: holds ``statements/`` and ``exports/`` (the portal's --files).
        outputs: what the demo steps reported (statements, exports, fingerprint ...).
    """

    kind: str
    url: str
    engine: Engine
    folder: Path
    outputs: dict[str, Any]

    def app(self, **options: Any) -> Starlette:
        """A fresh portal on this ledger (its own sessions and throttle)."""
        return create_app(self.engine, files=self.folder, **options)


def build_example_year(kind: str, url: str, folder: Path) -> PortalLedger:
    """Run the demo's steps on ``url``: the example year, its statements and its exports
    in ``folder``; on PostgreSQL install the roles; add `USERS`."""
    engine = connect(url)
    inputs = {name: EXAMPLE / name for name in demo.INPUTS}
    outputs: dict[str, Any] = {}
    for _, work in demo._STEPS:
        work(engine, folder, inputs, outputs)
    if kind == "postgresql":
        install_roles(engine)
    for name, (role, funder, password) in USERS.items():
        add_user(engine, name, role, funder, password)
    return PortalLedger(kind, url, engine, folder, outputs)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in ``html``."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match[1]


def client(app: Starlette, **options: Any) -> TestClient:
    """A TestClient that does not follow redirects (the tests look at them)."""
    return TestClient(app, follow_redirects=False, **options)


def sign_in(app: Starlette, name: str | None, **options: Any) -> TestClient:
    """A client signed in as portal user ``name`` (None: anonymous, with a session)."""
    browser = client(app, **options)
    form = browser.get("/login")
    assert form.status_code == 200, form.text
    if name is None:
        return browser
    answer = browser.post(
        "/login",
        data={
            "username": name,
            "password": USERS[name][2],
            "csrf_token": csrf_token(form.text),
        },
    )
    assert answer.status_code == 303, answer.text
    return browser
