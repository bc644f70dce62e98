"""A command given a ledger path where there is none creates nothing (issue 16).

SQLite creates a missing file on the first connection, so `netfund --db typo.db balance` used
to leave an empty database behind, which the next command took for an uninitialised ledger.
Only `init` (and `demo`, in its own folder) may create a ledger; every other command exits 2
saying to run `init` first, and the folder stays as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from netfund.cli.main import cli
from netfund.ledger import LedgerError, initialize
from netfund.ledger.store.database import connect, reading

from tests.cli.test_cli import COMMANDS
from tests.conftest import EXAMPLE

#: Commands that create a ledger: `init` at --db, `demo` in its own folder.
CREATING = {("init",), ("demo",)}
#: Every other command with arguments that get it past its own checks to the ledger. A new
#: command must be added here (the test below fails until it is).
ARGUMENTS: dict[tuple[str, ...], list[str]] = {
    ("allocate",): [str(EXAMPLE / "plan.toml")],
    ("allocations",): ["list"],
    ("allocations", "compare"): ["1", "2"],
    ("allocations", "list"): [],
    ("allocations", "show"): ["latest"],
    ("approve",): ["1"],
    ("balance",): [],
    ("bank",): ["unmatched"],
    ("bank", "assign"): ["2027-0105-001", "--group", "PROGRAMMABUREAU"],
    ("bank", "import"): [str(EXAMPLE / "bank" / "2026.camt053.xml")],
    ("bank", "reconcile"): ["--as-of", "2026-12-31"],
    ("bank", "unmatched"): [],
    ("close",): ["2025"],
    ("export", "audit-trail"): ["--format", "csv", "--out", "{out}/trail.csv"],
    ("export", "beancount"): ["--out", "{out}/ledger.beancount"],
    ("export", "hledger"): ["--out", "{out}/ledger.journal"],
    ("export", "journal"): ["--format", "csv", "--out", "{out}/journal.csv"],
    ("export", "trial-balance"): ["--format", "csv", "--out", "{out}/tb.csv"],
    ("export",): ["xaf", "--out", "{out}/audit.xaf"],
    ("export", "xaf"): ["--period", "2026", "--out", "{out}/audit.xaf"],
    ("exports",): ["list"],
    ("exports", "list"): [],
    ("import",): [str(EXAMPLE / "events.csv")],
    ("indicators",): ["import", str(EXAMPLE / "indicators.csv")],
    ("indicators", "import"): [str(EXAMPLE / "indicators.csv")],
    ("log",): ["--period", "2026"],
    ("network",): ["versions"],
    ("network", "apply"): [str(EXAMPLE / "network.toml"), "--from", "2027"],
    ("network", "versions"): [],
    ("pay",): ["refunds", "--period", "2026", "--out", "{out}/refunds.xml"],
    ("pay", "refunds"): ["--period", "2026", "--out", "{out}/refunds.xml"],
    ("roles",): ["list"],
    ("roles", "install"): [],
    ("roles", "grant"): ["anna", "--role", "administrator"],
    ("roles", "list"): [],
    ("proposals",): [],
    ("post",): ["FIX-1", "--date", "2026-03-31", "-d", "x", "--line", "Assets:Bank,GEM,,1.00"],
    ("reject",): ["1", "--reason", "not needed"],
    ("reopen",): ["2025", "--reason", "a late invoice"],
    ("reverse",): ["FIX-1"],
    ("serve",): ["--check"],
    ("statements",): ["--period", "2026", "--out", "{out}/statements"],
    ("status",): [],
    ("user",): ["list"],
    ("user", "add"): ["anna", "--role", "administrator"],
    ("user", "list"): [],
    ("user", "remove"): ["anna"],
    ("verify",): [],
    ("verify-statement",): ["{statement}"],
}
READING = [path for path in COMMANDS if path not in CREATING]


@pytest.fixture(scope="module")
def statement(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real statement PDF (of another ledger), so verify-statement gets to the ledger."""
    folder = tmp_path_factory.mktemp("other")
    database = str(folder / "other.db")
    for command in (
        ["init", str(EXAMPLE / "network.toml")],
        ["import", str(EXAMPLE / "events.csv")],
        ["statements", "--period", "2026", "--funder", "ZONMW", "--out", str(folder)],
    ):
        result = CliRunner().invoke(cli, ["--db", database, *command])
        assert result.exit_code == 0, result.output
    (written,) = folder.glob("*.pdf")
    return written


def test_every_command_but_init_and_demo_is_listed_here() -> None:
    assert [path for path in READING if path not in ARGUMENTS] == []


@pytest.mark.parametrize("path", READING, ids=" ".join)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_command_on_a_missing_ledger_creates_nothing(
    tmp_path: Path, statement: Path, path: tuple[str, ...], as_json: bool
) -> None:
    ledger_folder = tmp_path / "ledger"
    ledger_folder.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    database = ledger_folder / "netfund.db"
    arguments = [argument.format(out=out, statement=statement) for argument in ARGUMENTS[path]]
    command = ["--db", str(database), *path, *arguments]
    if as_json and ("--json" in _options(path)):
        command.append("--json")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    expected = f"no netfund ledger at sqlite:///{database}: run 'netfund init network.toml' first"
    if "--json" in command:
        assert json.loads(result.stdout)["message"] == expected
    else:
        assert expected in result.stderr
    assert list(ledger_folder.iterdir()) == []  # no database, no -wal, no checkpoint file
    assert list(out.iterdir()) == []


def _options(path: tuple[str, ...]) -> set[str]:
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return {option for parameter in command.params for option in parameter.opts}


def test_the_library_refuses_a_missing_file_and_init_creates_it(tmp_path: Path) -> None:
    database = tmp_path / "netfund.db"
    engine = connect(f"sqlite:///{database}")
    with pytest.raises(LedgerError, match=r"no netfund ledger at .*netfund init"), reading(engine):
        pass
    assert not database.exists()
    report = initialize(engine)
    assert report.revision_before is None and report.revision_after is not None
    assert database.stat().st_mode & 0o777 == 0o600
    engine.dispose()


def test_init_in_a_missing_folder_says_so(tmp_path: Path) -> None:
    database = tmp_path / "no-such-folder" / "netfund.db"
    result = CliRunner().invoke(cli, ["--db", str(database), "init", str(EXAMPLE / "network.toml")])
    assert result.exit_code == 2, result.output
    assert f"cannot create the ledger {database}: No such file or directory" in result.stderr
    assert not database.parent.exists()
