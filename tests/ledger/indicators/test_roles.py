"""Measurements on a PostgreSQL ledger with netfund's roles: the administrator imports them,
the database lets nobody but the owner change or delete one, and a funder reads them
(issue 20). Real logins against the real server, as in tests/ledger/test_roles.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import NETWORK_TOML, database_url
from tests.support.indicators import INDICATORS_TOML, ROWS, write_indicators
from tests.support.logins import as_login, dropped_afterwards, login_name


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture
def people(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A ledger of the test network with its indicators and roles installed; the URL of each
    person by job, the administrator having imported a quarter's measurements."""
    for owner in database_url("postgresql", tmp_path, prefix="ind"):
        network = tmp_path / "network.toml"
        network.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
        assert _run(owner, "init", str(network)).exit_code == 0
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
                granted = _run(owner, "roles", "grant", logins[job], "--role", role, *extra)
                assert granted.exit_code == 0, granted.output
            urls = {job: as_login(owner, login) for job, login in logins.items()}
            path = write_indicators(tmp_path / "indicators.csv", ROWS[:3])
            imported = _run(urls["administrator"], "indicators", "import", str(path))
            assert imported.exit_code == 0, imported.output
            yield {**urls, "owner": owner, "file": str(path)}


def test_the_administrators_import_is_stored_and_verifies(people: dict[str, str]) -> None:
    stored = _raw(people["owner"], "SELECT indicator, value FROM indicator_measurements")
    assert sorted(stored) == [("BEREIK", "12"), ("BEREIK", "40"), ("WACHTTIJD", "21")]
    assert _run(people["administrator"], "verify").exit_code == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE indicator_measurements SET value = '14' WHERE indicator = 'WACHTTIJD'",
        "DELETE FROM indicator_measurements WHERE group_code = 'WG-B'",
    ],
)
def test_not_even_the_writer_changes_or_deletes_a_measurement(
    people: dict[str, str], sql: str
) -> None:
    """Append-only in the database: the administrator's login may INSERT, never UPDATE or
    DELETE, whatever client it uses."""
    with pytest.raises(DBAPIError, match="permission denied for table indicator_measurements"):
        _raw(people["administrator"], sql)
    _raw(
        people["administrator"],
        "INSERT INTO indicator_measurements (indicator, group_code, measured_on, value, "
        "source, record_seq) VALUES ('BEREIK', 'WG-B', '2026-06-30', '3', 'Lijst', 1)",
    )
    # What the writer may do around netfund, verify finds: that row names no import of it.
    checked = _run(people["owner"], "verify")
    assert checked.exit_code == 4, checked.output
    assert "names record 1, which is no indicator import record" in checked.output


@pytest.mark.parametrize("job", ["controller", "funder"])
def test_who_may_not_import_is_refused_with_a_sentence_and_by_the_database(
    people: dict[str, str], job: str
) -> None:
    result = _run(people[job], "indicators", "import", people["file"])
    assert result.exit_code == 2, result.output
    assert f"role {job} may not import indicator measurements" in result.output
    assert "nothing was written" in result.output
    with pytest.raises(DBAPIError, match="permission denied for table indicator_measurements"):
        _raw(
            people[job],
            "INSERT INTO indicator_measurements (indicator, group_code, measured_on, value, "
            "source, record_seq) VALUES ('BEREIK', 'WG-B', '2026-06-30', '3', 'Lijst', 1)",
        )


def test_a_funder_reads_the_measurements(people: dict[str, str]) -> None:
    """Indicators are not a funder's money: ZONMW's login reads those of every group (its
    statement shows the groups its money went to)."""
    read = _raw(people["funder"], "SELECT indicator, group_code FROM indicator_measurements")
    assert sorted(read) == [("BEREIK", "WG-A"), ("BEREIK", "WG-B"), ("WACHTTIJD", "WG-A")]


def test_a_funders_login_sees_its_own_money_beside_the_groups_it_went_to(
    people: dict[str, str], tmp_path: Path
) -> None:
    """`netfund status` and `netfund indicators` under ZONMW's own login: the groups its money
    went to, with its money only; the administrator sees every group with every funder's."""
    events = tmp_path / "events.csv"
    events.write_text(
        "id,date,type,funder,group,amount,description,reference\n"
        "C-Z,2026-01-05,commitment,ZONMW,,1000.00,Subsidie,\n"
        "C-G,2026-01-05,commitment,GEM,,5000.00,Toezegging,\n"
        "A-Z,2026-01-10,allocation,ZONMW,WG-A,800.00,Toewijzing,\n"
        "A-G1,2026-01-10,allocation,GEM,WG-A,1000.00,Toewijzing,\n"
        "A-G2,2026-01-10,allocation,GEM,WG-B,2000.00,Toewijzing,\n"
        "E-Z,2026-02-01,expense,ZONMW,WG-A,400.00,Factuur,\n"
        "E-G,2026-02-01,expense,GEM,WG-B,1500.00,Factuur,\n",
        encoding="utf-8",
    )
    assert _run(people["administrator"], "import", str(events)).exit_code == 0

    def groups(url: str, *command: str) -> dict[str, str]:
        ran = _run(url, *command, "--period", "2026", "--json")
        assert ran.exit_code == 0, ran.output
        document = json.loads(ran.stdout)
        found = document["indicators"] if command == ("status",) else document["groups"]
        return {group["group"]: group["spent"] for group in found}

    for command in (("status",), ("indicators",)):
        assert groups(people["funder"], *command) == {"WG-A": "400.00"}
        assert groups(people["administrator"], *command) == {"WG-A": "400.00", "WG-B": "1500.00"}
