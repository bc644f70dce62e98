"""The CLI as a user meets it: help everywhere, exit codes, JSON, no traceback, no password."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from netfund.cli.main import COMMAND_MODULES, cli
from netfund.ledger.store.database import connect
from sqlalchemy import text

from tests.conftest import EXAMPLE, ROOT, write_events
from tests.support.saniveld import BANK_IMPORT

# The commands load on first use (issue 21); these tests walk every one of them.
cli.load_every_command()


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the CLI, found from the group itself so a new one cannot be missed."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


COMMANDS = _command_paths(cli)


def test_the_cli_has_the_commands_of_the_issues() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {
        "init",
        "import",
        "post",
        "balance",
        "verify",
        "close",
        "reverse",
        "allocate",
        "allocations list",
        "allocations show",
        "allocations compare",
        "demo",
        "status",
    } <= names


def _command(path: tuple[str, ...]) -> click.Command:
    found: click.Command = cli
    for name in path:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return found


LEAVES = [path for path in COMMANDS if not isinstance(_command(path), click.Group)]


@pytest.mark.parametrize("command", LEAVES, ids=" ".join)
def test_every_command_takes_json(command: tuple[str, ...]) -> None:
    """Each command reports something (a result, a file written, a table): scripts get JSON."""
    assert any("--json" in option.opts for option in _command(command).params)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_ci_runs_the_readme_commands_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start")[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick_start, re.S)
    # The two one-line commands a new user copies: the demo and the tests (each starts from
    # a fresh venv); and the status command the demo's output is looked at with.
    fresh = [block for block in blocks if block.startswith("python3 -m venv")]
    assert len(fresh) == 2
    assert any("netfund demo" in block for block in fresh)
    assert any("pytest" in block for block in fresh)
    for command in [*fresh, ".venv-run/bin/netfund --db netfund-demo/netfund.db status"]:
        assert command in blocks
        assert command.strip() in ci, command


def test_the_example_network_end_to_end(run_cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    """The administrator's year by hand: commitments, plan committed, spending, the bank
    statement (the money in), close."""
    assert run_cli("init", str(EXAMPLE / "network.toml")).exit_code == 0
    imported = run_cli("import", str(EXAMPLE / "events.csv"), "--json")
    assert imported.exit_code == 0, imported.output
    assert (json.loads(imported.stdout)["read"], json.loads(imported.stdout)["posted"]) == (42, 42)
    assert run_cli("allocate", str(EXAMPLE / "plan.toml")).exit_code == 0
    assert run_cli("allocate", "--commit", "latest", "--date", "2026-02-02").exit_code == 0
    spent = run_cli("import", str(EXAMPLE / "spending.csv"), "--json")
    assert spent.exit_code == 0, spent.output
    report = json.loads(spent.stdout)
    assert (report["read"], report["posted"]) == (271, 271)
    banked = run_cli(*BANK_IMPORT, "--json")
    assert banked.exit_code == 0, banked.output
    bank = json.loads(banked.stdout)
    assert bank["posted"] == 24 + 12  # the receipts and the bank's monthly costs
    assert sum(statement["unmatched"] for statement in bank["statements"]) == 0
    by_fund = json.loads(run_cli("balance", "--by", "fund", "--json").stdout)
    assert len(by_fund) == 6 and {line["balance"] for line in by_fund} == {"0.00"}
    verified = json.loads(run_cli("verify", "--json").stdout)
    assert verified == {
        "status": "ok",
        "transactions": 42 + 1 + 271 + 36,
        "postings": verified["postings"],
        "fingerprint": bank["head_hash"],
        "anchors": verified["anchors"],
        "checkpoints": verified["checkpoints"],
        "unreadable_checkpoint_lines": [],
        # the network; the write of each import; the run; the commit's write; the bank
        # import's write and a record per statement (12)
        "records": 6 + 12,
        "records_fingerprint": verified["records_fingerprint"],
        # Every transaction in one of the four writes, by the actor it names.
        "audit_trail": {
            "writes": 4,
            "first_covered_transaction": 1,
            "covered_transactions": 42 + 1 + 271 + 36,
            "transactions_without_actor": 0,
            "exports": 0,
        },
    }
    # A SQLite file has its checkpoint file by default (a line per write); PostgreSQL none.
    sqlite = db_url.startswith("sqlite")
    assert (verified["checkpoints"] is not None, verified["anchors"] > 0) == (sqlite, sqlite)
    closed = run_cli("close", "2026", "--force", "--reason", "closed early in a test", "--json")
    assert closed.exit_code == 0
    assert {s["fund"] for s in json.loads(closed.stdout)["settlements"]} >= {"ZONMW"}


def test_bad_input_exits_2_without_traceback_and_writes_nothing(
    run_cli,
    network_file: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run_cli("init", str(network_file))
    bad = write_events(tmp_path / "bad.csv", ["x,2026-02-30,commitment,GEM,,10.00,,"])
    result = run_cli("import", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:2: date '2026-02-30' does not exist" in result.output
    assert "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert json.loads(run_cli("verify", "--json").stdout)["transactions"] == 0


def test_verify_failure_exits_4_naming_the_transaction(
    run_cli,
    db_url: str,
    network_file: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    run_cli("init", str(network_file))
    run_cli(
        "import", str(write_events(tmp_path / "e.csv", ["c1,2026-01-01,commitment,GEM,,5.00,,"]))
    )
    engine = connect(db_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE postings DISABLE TRIGGER postings_append_only"))
        else:
            connection.execute(text("DROP TRIGGER postings_append_only_update"))
        connection.execute(text("UPDATE postings SET amount_cents = 600 WHERE line_no = 1"))
    engine.dispose()
    result = run_cli("verify")
    assert result.exit_code == 4
    assert "transaction 1 ('c1'): its content does not match its hash" in result.output


def test_post_command_and_reverse(run_cli, network_file: Path) -> None:  # type: ignore[no-untyped-def]
    run_cli("init", str(network_file))
    posted = run_cli(
        "post",
        "FIX-1",
        "--date",
        "2026-03-31",
        "-d",
        "Bankkosten",
        "--line",
        "Expenses:WG-A,GEM,WG-A,12.50",
        "--line",
        "Assets:Bank,GEM,,-12.50",
    )
    assert posted.exit_code == 0, posted.output
    unbalanced = run_cli(
        "post",
        "FIX-2",
        "--date",
        "2026-03-31",
        "-d",
        "x",
        "--line",
        "Expenses:WG-A,GEM,WG-A,12.50",
        "--line",
        "Assets:Bank,ZVK,,-12.50",
    )
    assert unbalanced.exit_code == 2 and "GEM off by 12.50" in unbalanced.output
    reversed_ = run_cli("reverse", "FIX-1", "--json")
    assert json.loads(reversed_.stdout)["reversal"] == "netfund:reversal:FIX-1"
    assert run_cli("reverse", "FIX-1").exit_code == 2


def test_uninitialised_database_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/none.db", "balance"])
    assert result.exit_code == 2
    assert "run 'netfund init network.toml' first" in result.output


def test_a_database_password_is_never_printed() -> None:
    url = "postgresql://postgres:s3cr3t-pw@127.0.0.1:1/test"
    result = CliRunner().invoke(cli, ["--db", url, "verify"])
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.output
    assert "***" in result.output


def test_runs_as_a_module_and_as_a_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "NETFUND_DB": f"sqlite:///{tmp_path}/m.db"}
    module = subprocess.run(
        [sys.executable, "-m", "netfund.cli", "init", str(EXAMPLE / "network.toml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert module.returncode == 0, module.stderr
    script = Path(sys.executable).with_name("netfund")
    verified = subprocess.run(
        [str(script), "verify", "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["transactions"] == 0


def test_the_solver_choice_is_the_engines() -> None:
    from netfund.allocation.solver import SOLVER_NAMES
    from netfund.cli.commands.allocation import SOLVERS

    assert SOLVERS == SOLVER_NAMES


def test_a_reporting_command_starts_without_the_heavy_libraries() -> None:
    """Start-up is part of every command's time: Alembic, PuLP, ReportLab, Babel, Arrow and its
    SQLite driver load only for the commands that need them (init, allocate, statements,
    exports), and nothing loads SQLAlchemy's ORM (the schema is Core tables, issue 21)."""
    heavy = (
        "sqlalchemy.orm",
        "alembic",
        "pulp",
        "reportlab",
        "pyhanko",
        "openpyxl",
        "babel",
        "pyarrow",
        "adbc_driver_manager",
        "adbc_driver_sqlite",
    )
    probe = (
        "import sys; import netfund.cli.main; netfund.cli.main.cli.load_every_command(); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_command_imports_only_its_own_command_module() -> None:
    """`netfund balance` pays for the ledger commands' module, not for the approvals', bank's
    or exports' modules and the library they import (issue 21)."""
    probe = (
        "import sys\n"
        "from netfund.cli.main import cli\n"
        "try:\n"
        "    cli(['balance', '--help'], prog_name='netfund')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('netfund.cli.commands.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "Usage: netfund balance" in result.stdout
    assert result.stdout.splitlines()[-1] == "['netfund.cli.commands.ledger']"


def test_the_command_map_names_where_each_command_is_defined() -> None:
    """The group loads a command from the modules `COMMAND_MODULES` names: a command missing
    there, or a module no command names, would vanish from the CLI."""
    folder = ROOT / "cli" / "commands"
    modules = {f"netfund.cli.commands.{path.stem}" for path in folder.glob("[!_]*.py")}
    assert {module for named in COMMAND_MODULES.values() for module in named} == modules
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == COMMAND_MODULES[name][0], name
