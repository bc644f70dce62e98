"""Who may write a payment file (PostgreSQL roles): the administrator; a controller is
refused with a sentence and nothing written; a funder's login cannot even read the payments,
and no login but the administrator's changes a payment's status around netfund."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import database_url
from tests.support.logins import as_login, dropped_afterwards, login_name
from tests.support.payments import closed_example


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def people(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The example's closed ledger on PostgreSQL with roles; each person's URL by job."""
    for owner in database_url("postgresql", tmp_path, prefix="pay"):
        closed_example(owner, tmp_path).dispose()
        assert _run(owner, "roles", "install").exit_code == 0
        jobs = {
            "administrator": ("administrator", None),
            "controller": ("controller", None),
            "funder": ("funder", "ZONMW"),
        }
        logins = {job: login_name(job[:5]) for job in jobs}
        with dropped_afterwards(owner, list(logins.values())):
            for job, (role, funder) in jobs.items():
                extra = ["--funder", funder] if funder else []
                result = _run(owner, "roles", "grant", logins[job], "--role", role, *extra)
                assert result.exit_code == 0, result.output
            yield {"owner": owner} | {job: as_login(owner, login) for job, login in logins.items()}


def test_the_administrator_pays_and_a_controller_is_refused(
    people: dict[str, str], tmp_path: Path
) -> None:
    refused = tmp_path / "controller.xml"
    result = _run(people["controller"], "pay", "refunds", "--period", "2026", "--out", str(refused))
    assert result.exit_code == 2, result.output
    assert "role controller may not write payment files" in result.output
    assert not refused.exists() and not list(tmp_path.glob(".*.partial"))
    assert _raw(people["owner"], "SELECT COUNT(*) FROM bank_payments") == [(0,)]

    out = tmp_path / "refunds.xml"
    paid = _run(people["administrator"], "pay", "refunds", "--period", "2026", "--out", str(out))
    assert paid.exit_code == 0, paid.output
    assert out.exists()
    assert _raw(people["owner"], "SELECT COUNT(*), MIN(status) FROM bank_payments") == [(4, "sent")]


@pytest.mark.parametrize("job", ["controller", "funder"])
def test_no_other_login_marks_a_payment_paid_around_netfund(
    people: dict[str, str], tmp_path: Path, job: str
) -> None:
    out = tmp_path / "refunds.xml"
    paid = _run(people["administrator"], "pay", "refunds", "--period", "2026", "--out", str(out))
    assert paid.exit_code == 0, paid.output
    with pytest.raises(DBAPIError, match="permission denied"):
        _raw(people[job], "UPDATE bank_payments SET status = 'paid'")
    if job == "funder":  # the payments (every funder's IBAN and amount) are not its to read
        with pytest.raises(DBAPIError, match="permission denied"):
            _raw(people[job], "SELECT * FROM bank_payments")
    assert _raw(people["owner"], "SELECT DISTINCT status FROM bank_payments") == [("sent",)]
