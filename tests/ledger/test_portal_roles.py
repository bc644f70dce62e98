"""The funder portal on PostgreSQL: a funder's pages read under that funder's own role.

`funder_reading` runs its queries under ``SET LOCAL ROLE <ledger>_funder_<code>``, so row-level
security shows that funder's money only even if a page asks for more: a raw ``SELECT`` of
every posting returns the funder's own. The serving login is an administrator (or the owner);
the actor stays the login. Password hashes are the administrator group's only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import (
    AccessDenied,
    LedgerError,
    add_user,
    check_password,
    connect,
    funder_reading,
    readable_funders,
    reading,
)
from netfund.ledger.store.access import funder_role, group_roles
from netfund.ledger.store.records import verified_records
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import NETWORK_TOML, PG_BASE_URL, database_url, write_events
from tests.support.logins import as_login, dropped_afterwards, login_name

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,777.77,Toezegging,B-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "r-zvk,2026-02-01,receipt,ZVK,,777.77,Tranche,BANK-2",
    "a-gem,2026-02-02,allocation,GEM,WG-A,600.00,Budget,",
    "a-zvk,2026-02-02,allocation,ZVK,WG-A,700.00,Budget,",
]
PASSWORD = "correct horse battery"


def _run(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False, env=env)


def _pg_roles(prefix: str) -> set[str]:
    """The server's roles whose names start with ``prefix``."""
    engine = create_engine(PG_BASE_URL)
    with engine.connect() as connection:
        names = set(
            connection.execute(
                text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"), {"p": prefix}
            ).scalars()
        )
    engine.dispose()
    return names


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A PostgreSQL ledger with roles installed and money of GEM and ZVK; URLs by job."""
    for url in database_url("postgresql", tmp_path, prefix="portal"):
        network = tmp_path / "network.toml"
        network.write_text(NETWORK_TOML, encoding="utf-8")
        assert _run(url, "init", str(network)).exit_code == 0
        installed = _run(url, "roles", "install", "--json")
        assert installed.exit_code == 0, installed.output
        assert set(json.loads(installed.output)["funders"]) == {"GEM", "ZVK", "ZONMW"}
        logins = {job: login_name(job[:5]) for job in ("administrator", "controller", "funder")}
        with dropped_afterwards(url, list(logins.values())):
            for job, login in logins.items():
                extra = ["--funder", "ZVK"] if job == "funder" else []
                granted = _run(url, "roles", "grant", login, "--role", job, *extra)
                assert granted.exit_code == 0, granted.output
            urls = {job: as_login(url, login) for job, login in logins.items()}
            urls["owner"] = url
            events = write_events(tmp_path / "events.csv", EVENTS)
            assert _run(urls["administrator"], "import", str(events)).exit_code == 0
            yield urls


def _funds_seen(engine: Engine, funder: str) -> tuple[set[str], frozenset[str] | None, str]:
    with funder_reading(engine, funder) as connection:
        funds = set(connection.execute(text("SELECT fund FROM postings")).scalars())
        totals = set(connection.execute(text("SELECT fund FROM balance_totals")).scalars())
        assert totals == funds
        records = verified_records(connection)
        assert records and {r.kind for r in records} <= {"network", "close"}
        who = connection.execute(text("SELECT session_user || ' ' || current_user")).scalar_one()
        return funds, readable_funders(connection), str(who)


@pytest.mark.parametrize("server", ["owner", "administrator"])
def test_a_funders_pages_read_its_money_only(ledger: dict[str, str], server: str) -> None:
    engine = connect(ledger[server])
    try:
        with reading(engine) as connection:
            everything = set(connection.execute(text("SELECT fund FROM postings")).scalars())
            assert readable_funders(connection) is None
        assert everything >= {"GEM", "ZVK"}
        for funder in ("GEM", "ZVK"):
            funds, readable, who = _funds_seen(engine, funder)
            assert funds == {funder}
            assert readable == frozenset({funder})
            login, role = who.split(" ")
            assert login == engine.url.username and role != login  # the actor stays the login
        with funder_reading(engine, "ZONMW") as connection:  # no money yet: nothing at all
            assert connection.execute(text("SELECT count(*) FROM postings")).scalar_one() == 0
        # The role ends with the transaction: the next read sees everything again.
        with reading(engine) as connection:
            assert set(connection.execute(text("SELECT fund FROM postings")).scalars()) == (
                everything
            )
        with (
            pytest.raises(LedgerError, match="has no database role"),
            funder_reading(engine, "NOPE"),
        ):
            pass
    finally:
        engine.dispose()


def test_a_funder_login_cannot_become_another_funder(ledger: dict[str, str]) -> None:
    """A person holding ZVK's funder role (a real login) cannot SET ROLE to GEM's role."""
    engine = connect(ledger["funder"])
    try:
        with (
            pytest.raises(AccessDenied, match="permission denied to set role"),
            funder_reading(engine, "GEM"),
        ):
            pass
        with reading(engine) as connection:
            funds = set(connection.execute(text("SELECT fund FROM postings")).scalars())
        assert funds == {"ZVK"}  # the policies, asking current_user, still hold for logins
    finally:
        engine.dispose()


def test_installing_again_renews_the_policies_of_an_older_install(
    ledger: dict[str, str],
) -> None:
    """A ledger installed before issue 18 has funder policies on session_user, under which a
    funder's own role (SET ROLE) sees nothing; `roles install` again re-creates them."""
    owner = create_engine(ledger["owner"])
    with owner.begin() as connection:
        group = funder_role(connection, "GEM").removesuffix("_GEM")
        connection.execute(text("DROP POLICY netfund_funder_read ON postings"))
        connection.execute(
            text(
                f'CREATE POLICY netfund_funder_read ON postings FOR SELECT TO "{group}" USING '
                "(fund IN (SELECT l.funder FROM funder_logins l WHERE l.login = session_user))"
            )
        )
    owner.dispose()
    engine = connect(ledger["administrator"])
    try:
        with funder_reading(engine, "GEM") as connection:
            assert connection.execute(text("SELECT count(*) FROM postings")).scalar_one() == 0
        assert _run(ledger["owner"], "roles", "install").exit_code == 0
        assert _funds_seen(engine, "GEM")[0] == {"GEM"}
    finally:
        engine.dispose()


def test_only_administrators_read_the_password_hashes(ledger: dict[str, str]) -> None:
    """Before issue 18's grants every staff role read every table: a controller could copy
    the hashes and guess passwords offline. Now only the administrator group reads them."""
    env = {"NETFUND_PASSWORD": PASSWORD}
    added = _run(ledger["administrator"], "user", "add", "ann", "--role", "controller", env=env)
    assert added.exit_code == 0, added.output
    query = "SELECT password_hash FROM portal_users"
    # The attack, as the install before issue 18 allowed it (SELECT on every table to staff):
    owner = create_engine(ledger["owner"])
    with owner.begin() as connection:
        controllers = funder_role(connection, "X").replace("_funder_X", "_controller")
        connection.execute(text(f'GRANT SELECT ON portal_users TO "{controllers}"'))
    owner.dispose()
    stolen = create_engine(ledger["controller"])
    with stolen.connect() as connection:
        assert connection.execute(text(query)).scalar_one().startswith("$argon2id$")
    stolen.dispose()
    # Installing again (this version) takes it back.
    assert _run(ledger["owner"], "roles", "install").exit_code == 0
    for job in ("controller", "funder"):
        engine = create_engine(ledger[job])
        with pytest.raises(DBAPIError, match="permission denied"), engine.connect() as c:
            c.execute(text(query))
        engine.dispose()
        listed = _run(ledger[job], "user", "list")
        assert listed.exit_code != 0 and "argon2" not in listed.output
    engine = connect(ledger["administrator"])
    try:
        assert check_password(engine, "ann", PASSWORD) is not None
    finally:
        engine.dispose()
    refused = _run(ledger["controller"], "user", "add", "bob", "--role", "controller", env=env)
    assert refused.exit_code == 2, refused.output
    assert "may not add portal logins" in refused.output


def test_a_funder_login_for_a_funder_without_role(ledger: dict[str, str]) -> None:
    """A funder's portal login needs its funder's role: an administrator cannot make one
    (no CREATEROLE) and is told so, writing nothing; the owner makes it on the way."""
    owner = create_engine(ledger["owner"])
    with owner.begin() as connection:
        role = funder_role(connection, "ZONMW")
        connection.execute(text("DELETE FROM funder_logins WHERE login = :r"), {"r": role})
        connection.execute(text(f'DROP ROLE "{role}"'))
    env = {"NETFUND_PASSWORD": PASSWORD}
    args = ("user", "add", "zon", "--role", "funder", "--funder", "ZONMW")
    refused = _run(ledger["administrator"], *args, env=env)
    assert refused.exit_code == 2, refused.output
    assert "has no database role in this ledger yet" in refused.output
    assert _run(ledger["owner"], "user", "list", "--json").output.strip() == "[]"
    added = _run(ledger["owner"], *args, env=env)
    assert added.exit_code == 0, added.output
    engine = connect(ledger["administrator"])
    try:
        with funder_reading(engine, "ZONMW") as connection:
            assert readable_funders(connection) == frozenset({"ZONMW"})
        assert add_user(engine, "gem", "funder", "GEM", PASSWORD).funder == "GEM"
    finally:
        engine.dispose()
    owner.dispose()


def test_no_role_is_left_behind(tmp_path: Path) -> None:
    """Roles are the server's: the per-funder roles go with the test's schema. (Only this
    ledger's roles are compared: other tests may make and drop roles meanwhile.)"""
    for url in database_url("postgresql", tmp_path, prefix="portal"):
        network = tmp_path / "network.toml"
        network.write_text(NETWORK_TOML, encoding="utf-8")
        assert _run(url, "init", str(network)).exit_code == 0
        engine = create_engine(url)
        with engine.connect() as connection:
            ledger = group_roles(connection)["funder"].removesuffix("_funder")
        engine.dispose()
        assert not _pg_roles(ledger)
        assert _run(url, "roles", "install").exit_code == 0
        made = _pg_roles(ledger)
        assert len(made) == 7, made  # four group roles, three funders' own
    assert not _pg_roles(ledger)
