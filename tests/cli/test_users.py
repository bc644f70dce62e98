"""`netfund user add|list` and the portal's events in `netfund log` (issue 18), both engines.

The password comes from NETFUND_PASSWORD, a hidden prompt asked twice, or a pipe's first
line; it is never printed, never an argument, never in the trail. Bad input is refused with
one sentence and exit 2 before the password is asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from netfund.cli.commands import users
from netfund.cli.main import cli
from netfund.ledger import check_password, connect, record_sign_in, verify
from netfund.ledger.store.database import reading
from netfund.ledger.store.identity import current_actor

PASSWORD = "correct horse battery"


@pytest.fixture
def ledger(db_url: str, network_file: Path) -> str:
    result = CliRunner().invoke(cli, ["--db", db_url, "init", str(network_file)])
    assert result.exit_code == 0, result.output
    return db_url


def _run(db_url: str, *args: str, password: str | None = None, given: str | None = None) -> Result:
    env = {"NETFUND_PASSWORD": password} if password is not None else {}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        if password is None:
            patch.delenv("NETFUND_PASSWORD", raising=False)
        return runner.invoke(cli, ["--db", db_url, *args], env=env, input=given)


def _json(db_url: str, *args: str, **kwargs: Any) -> Any:
    result = _run(db_url, *args, "--json", **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _check(db_url: str, name: str, password: str) -> bool:
    engine = connect(db_url)
    try:
        return check_password(engine, name, password) is not None
    finally:
        engine.dispose()


def test_add_from_the_environment_and_list(ledger: str) -> None:
    added = _json(ledger, "user", "add", "anna", "--role", "administrator", password=PASSWORD)
    assert added == {"name": "anna", "role": "administrator", "funder": None, "change": "added"}
    text = _run(ledger, "user", "add", "gem.boek", "--role", "funder", "--funder", "GEM",
                password=PASSWORD + "!")  # fmt: skip
    assert text.exit_code == 0, text.output
    assert text.output == (
        "portal login gem.boek added as funder reading GEM; recorded in the audit trail\n"
    )
    listed = _json(ledger, "user", "list")
    assert [(r["name"], r["role"], r["funder"]) for r in listed] == [
        ("anna", "administrator", None),
        ("gem.boek", "funder", "GEM"),
    ]
    assert all(set(row) == {"name", "role", "funder", "created_at", "created_by"} for row in listed)
    table = _run(ledger, "user", "list")
    assert "gem.boek" in table.output and "argon2" not in table.output
    assert _check(ledger, "anna", PASSWORD) and _check(ledger, "gem.boek", PASSWORD + "!")
    assert not _check(ledger, "anna", PASSWORD + "!")


def test_the_password_from_a_pipe_and_from_the_prompt(
    ledger: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    piped = _run(ledger, "user", "add", "piet", "--role", "controller", given=PASSWORD + "\n")
    assert piped.exit_code == 0, piped.output
    assert _check(ledger, "piet", PASSWORD)
    monkeypatch.setattr(users, "_on_terminal", lambda: True)
    typed = "typed at a terminal"
    prompted = _run(ledger, "user", "add", "tom", "--role", "controller", given=f"{typed}\n" * 2)
    assert prompted.exit_code == 0, prompted.output
    assert "password:" in prompted.stderr and "Repeat for confirmation" in prompted.stderr
    assert typed not in prompted.output
    assert _check(ledger, "tom", typed)
    # Typed differently twice, then the input ends: nothing is added.
    mismatch = _run(ledger, "user", "add", "kim", "--role", "controller",
                    given="first one typed\nsecond one typed\n")  # fmt: skip
    assert mismatch.exit_code == 2, mismatch.output
    assert "no password given" in mismatch.stderr and "typed" not in mismatch.output
    replaced = _run(ledger, "user", "add", "tom", "--role", "controller", "--replace",
                    given="a brand new passphrase\n" * 2)  # fmt: skip
    assert replaced.exit_code == 0, replaced.output
    assert "has a new password" in replaced.output
    assert _check(ledger, "tom", "a brand new passphrase") and not _check(ledger, "tom", typed)
    assert [r["name"] for r in _json(ledger, "user", "list")] == ["piet", "tom"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("Anna", "--role", "controller"), "lower-case letters"),
        (("anna", "--role", "funder"), "names its funder (--funder CODE)"),
        (("anna", "--role", "controller", "--funder", "GEM"), "names its funder"),
        (("anna", "--role", "funder", "--funder", "NOPE"), "unknown funder 'NOPE'"),
        (("bert", "--role", "controller"), "exists already: --replace"),
        (("anna", "--role", "controller", "--replace"), "no portal login 'anna'"),
    ],
)
def test_refused_before_the_password_is_asked(
    ledger: str, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], says: str
) -> None:
    _json(ledger, "user", "add", "bert", "--role", "controller", password=PASSWORD)
    monkeypatch.setattr(users, "_on_terminal", lambda: True)
    result = _run(ledger, "user", "add", *args, given=f"{PASSWORD}\n" * 2)
    assert result.exit_code == 2, result.output
    assert "password" not in result.stderr.split(":", 1)[0]  # no prompt was shown
    assert result.stderr.startswith("netfund: ") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    as_json = _run(ledger, "user", "add", *args, "--json", password=PASSWORD)
    assert as_json.exit_code == 2 and says in json.loads(as_json.stdout)["message"]
    assert [r["name"] for r in _json(ledger, "user", "list")] == ["bert"]


@pytest.mark.parametrize("password", ["", "eleven char", " " * 11])
def test_a_short_password_is_refused(ledger: str, password: str) -> None:
    result = _run(ledger, "user", "add", "anna", "--role", "controller", password=password)
    assert result.exit_code == 2, result.output
    assert "needs at least 12 characters" in result.stderr
    assert _json(ledger, "user", "list") == []


def test_there_is_no_password_option(ledger: str) -> None:
    result = _run(ledger, "user", "add", "anna", "--role", "controller", "--password", PASSWORD)
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert _json(ledger, "user", "list") == []


def test_the_log_shows_logins_and_sign_ins(ledger: str) -> None:
    _json(ledger, "user", "add", "anna", "--role", "administrator", password=PASSWORD)
    _json(ledger, "user", "add", "anna", "--role", "administrator", "--replace",
          password=PASSWORD + "?")  # fmt: skip
    _json(ledger, "user", "add", "gem.boek", "--role", "funder", "--funder", "GEM",
          password=PASSWORD)  # fmt: skip
    engine = connect(ledger)
    try:
        record_sign_in(engine, "anna", "signed in", "192.0.2.1")
        record_sign_in(engine, "anna", "signed out", "192.0.2.1")
        record_sign_in(engine, "gem.boek", "refused", "192.0.2.2")
        record_sign_in(engine, PASSWORD, "refused", "192.0.2.3")
        record_sign_in(engine, "gem.boek", "throttled", "192.0.2.2")
        with reading(engine) as connection:
            me = current_actor(connection)
        verify(engine)
    finally:
        engine.dispose()
    trail = _json(ledger, "log")
    portal = [(e["event"], e["summary"]) for e in trail if e["event"] != "network change"]
    assert portal == [
        ("user", "portal login anna added: administrator"),
        ("user", "new password for portal login anna"),
        ("user", "portal login gem.boek added: funder GEM"),
        ("sign-in", "anna signed in from 192.0.2.1"),
        ("sign-out", "anna signed out from 192.0.2.1"),
        ("failed sign-in", "failed sign-in as gem.boek from 192.0.2.2"),
        ("failed sign-in", "failed sign-in as an unknown name from 192.0.2.3"),
        ("throttled sign-in", "throttled sign-in as gem.boek from 192.0.2.2"),
    ]
    assert all(e["actor"] == me and e["at"] and e["periods"] == [] for e in trail)
    assert PASSWORD not in json.dumps(trail) and "argon2" not in json.dumps(trail)
    by_anna = _json(ledger, "log", "--actor", "anna")
    assert [e["event"] for e in by_anna] == ["sign-in", "sign-out"]
    assert len(_json(ledger, "log", "--actor", me)) == len(trail)
    assert _json(ledger, "log", "--period", "2026") == []
    shown = _run(ledger, "log")
    assert shown.exit_code == 0 and "throttled sign-in" in shown.output
    verified = _run(ledger, "verify", "--json")
    assert verified.exit_code == 0, verified.output
