"""The reconciliation on PostgreSQL with netfund's roles: the controller reads it; a funder's
login is refused in one sentence (and the database refuses its read of the bank anyway), and
its status and statements stay as they were."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import AccessDenied, connect, import_events, reading
from sqlalchemy import text

from tests.conftest import database_url, write_events
from tests.ledger.bank.test_reconcile import BANK_NETWORK_TOML, EVENTS, _import_statements
from tests.support.logins import as_login, dropped_afterwards, login_name


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[dict[str, str]]:
    for url in database_url("postgresql", tmp_path, prefix="bankroles"):
        network = tmp_path / "network.toml"
        network.write_text(BANK_NETWORK_TOML, encoding="utf-8")
        assert _run(url, "init", str(network)).exit_code == 0
        engine = connect(url)
        import_events(engine, write_events(tmp_path / "events.csv", EVENTS))
        _import_statements(engine)
        engine.dispose()
        assert _run(url, "roles", "install").exit_code == 0
        logins = {job: login_name(job[:5]) for job in ("controller", "funder")}
        with dropped_afterwards(url, list(logins.values())):
            for job, login in logins.items():
                extra = ["--funder", "GEM"] if job == "funder" else []
                granted = _run(url, "roles", "grant", login, "--role", job, *extra)
                assert granted.exit_code == 0, granted.output
            yield {job: as_login(url, login) for job, login in logins.items()}


def test_the_controller_reconciles(ledger: dict[str, str]) -> None:
    result = _run(ledger["controller"], "bank", "reconcile", "--as-of", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["difference"] == "-10.00"
    status = json.loads(_run(ledger["controller"], "status", "--period", "2026", "--json").stdout)
    assert status["bank"]["difference"] == "20.00"


def test_a_funders_login_is_refused_and_its_status_has_no_bank(ledger: dict[str, str]) -> None:
    result = _run(ledger["funder"], "bank", "reconcile", "--json")
    assert result.exit_code == 2
    assert "for the administrator and the controller" in json.loads(result.stdout)["message"]
    # What netfund refuses first, the database refuses too.
    engine = connect(ledger["funder"])
    try:
        with (
            pytest.raises(AccessDenied, match="permission denied for table bank_lines"),
            reading(engine) as connection,
        ):
            connection.execute(text("SELECT count(*) FROM bank_lines")).scalar_one()
    finally:
        engine.dispose()
    status = _run(ledger["funder"], "status", "--period", "2026", "--json")
    assert status.exit_code == 0, status.output
    document = json.loads(status.stdout)
    assert "bank" not in document
    assert [f["funder"] for f in document["funders"]] == ["GEM"]
