"""`netfund indicators import`: the CLI contract for measurements in (issue 20): exit 0 or 2,
every problem as file:line on stderr, one valid JSON document on stdout with --json (errors
included), nothing written on error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger.store.schema import indicator_measurements_table, ledger_records_table
from sqlalchemy import create_engine, func, select

from tests.conftest import NETWORK_TOML
from tests.support.indicators import INDICATORS_TOML, ROWS, write_indicators


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> str:
    """The test network with its indicators, initialised at ``db_url``."""
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
    assert _run(db_url, "init", str(network)).exit_code == 0
    return db_url


def _run(url: str, *args: str) -> Result:
    obj: dict = {}
    try:
        return CliRunner().invoke(cli, ["--db", url, *args], obj=obj, catch_exceptions=False)
    finally:
        if "engine" in obj:
            obj["engine"].dispose()


def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(  # type: ignore[return-value]
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (indicator_measurements_table, ledger_records_table)
            )
    finally:
        engine.dispose()


def test_import_prints_what_was_added_and_skipped(ledger: str, tmp_path: Path) -> None:
    path = write_indicators(tmp_path / "indicators.csv", ROWS)
    first = _run(ledger, "indicators", "import", str(path))
    assert first.exit_code == 0, first.output
    assert "indicators.csv: 4 measurement(s) added, 0 already in the ledger" in first.stdout
    assert "WACHTTIJD" in first.stdout and "BEREIK" in first.stdout
    counts = _counts(ledger)
    again = _run(ledger, "indicators", "import", str(path), "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {
        "file": "indicators.csv",
        "rows": 4,
        "added": 0,
        "skipped": 4,
        "record": None,
        "indicators": [
            {"indicator": "WACHTTIJD", "added": 0, "skipped": 2},
            {"indicator": "BEREIK", "added": 0, "skipped": 2},
        ],
    }
    assert _counts(ledger) == counts
    text = _run(ledger, "indicators", "import", str(path))
    assert "nothing new (4 measurement(s), all in the ledger already)" in text.stdout
    log = _run(ledger, "log", "--json")
    events = [entry["event"] for entry in json.loads(log.stdout)]
    assert events.count("indicator import") == 1 and events.count("indicator measurements") == 1


def test_the_nl_dialect(ledger: str, tmp_path: Path) -> None:
    path = tmp_path / "metingen.csv"
    path.write_bytes(
        "indicator;group;date;value;source\r\nWACHTTIJD;WG-A;31-3-2026;17,5;Enquête\r\n".encode(
            "cp1252"
        )
    )
    refused = _run(ledger, "indicators", "import", str(path))
    assert refused.exit_code == 2
    assert f"{path}:1: the header is separated by ';'" in refused.stderr
    result = _run(ledger, "indicators", "import", str(path), "--dialect", "nl", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 1


def test_a_bad_file_exits_2_with_every_problem_and_writes_nothing(
    ledger: str, tmp_path: Path
) -> None:
    path = write_indicators(
        tmp_path / "indicators.csv",
        [
            ROWS[0],
            "WACHTTIJD,WG-B,2026-03-31,21,Registratie",
            ROWS[1],
            "BEREIK,WG-A,2026-06-30,2.5,Lijsten",
        ],
    )
    counts = _counts(ledger)
    result = _run(ledger, "indicators", "import", str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"{path}:3: group WG-B did not agree to indicator WACHTTIJD (its groups: WG-A)",
        f"{path}:5: value '2.5' is not a whole number of at least 0: BEREIK counts what "
        "happened since the previous measurement",
        "2 problem(s) found; nothing was written.",
    ]
    assert result.stdout == ""
    as_json = _run(ledger, "indicators", "import", str(path), "--json")
    assert as_json.exit_code == 2
    document = json.loads(as_json.stdout)
    assert document["status"] == "error" and document["exit_code"] == 2
    assert [(p["file"], p["line"]) for p in document["problems"]] == [
        (str(path), 3),
        (str(path), 5),
    ]
    assert _counts(ledger) == counts


def test_a_changed_measurement_exits_2_naming_the_import_that_recorded_it(
    ledger: str, tmp_path: Path
) -> None:
    assert _run(ledger, "indicators", "import", str(write_indicators(tmp_path / "q1.csv", ROWS)))
    counts = _counts(ledger)
    path = write_indicators(
        tmp_path / "q1-again.csv", ["WACHTTIJD,WG-A,2026-03-31,19,Registratie voordeur"]
    )
    for extra in ((), ("--json",)):
        result = _run(ledger, "indicators", "import", str(path), *extra)
        assert result.exit_code == 2
        shown = result.stdout if extra else result.stderr
        assert "was recorded as 21 (Registratie voordeur) by import record" in shown
        assert "of q1.csv; a measurement is never changed" in shown
        if extra:
            assert json.loads(result.stdout)["problems"][0]["line"] == 2
    assert _counts(ledger) == counts


def test_a_missing_file_exits_2(ledger: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    result = _run(ledger, "indicators", "import", str(missing), "--json")
    assert result.exit_code == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["file"] == str(missing) and "cannot read file" in problem["message"]


def test_the_group_itself_shows_what_moved_away_from_its_reference_point(
    ledger: str, tmp_path: Path
) -> None:
    """`netfund indicators`: the steering group's view, in words and as JSON."""
    before = _run(ledger, "indicators", "--period", "2026")
    assert before.exit_code == 0, before.output
    assert "nothing measured in 2026 yet: netfund indicators import indicators.csv" in before.stdout
    # WG-A's waiting time started the year 7 days over its reference point of 14, came back
    # to 3.5 over, then went to 9 over: further than at the start.
    rows = [*ROWS, "WACHTTIJD,WG-A,2026-09-30,23,Registratie voordeur"]
    path = write_indicators(tmp_path / "indicators.csv", rows)
    assert _run(ledger, "indicators", "import", str(path)).exit_code == 0
    shown = _run(ledger, "indicators", "--period", "2026")
    assert shown.exit_code == 0, shown.output
    assert "1 moved away from their reference point since the start of 2026" in shown.stdout
    assert "9 days above the reference point of 14 days" in shown.stdout
    document = json.loads(_run(ledger, "indicators", "--period", "2026", "--json").stdout)
    [moved] = document["moved_away"]
    assert (moved["group"], moved["indicator"]["indicator"]) == ("WG-A", "WACHTTIJD")
    assert (moved["indicator"]["gap"], moved["indicator"]["change_since_start"]) == ("9", "2")
    assert [g["group"] for g in document["groups"]] == ["WG-A", "WG-B"]
