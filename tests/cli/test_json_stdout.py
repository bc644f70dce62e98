"""Nothing but netfund's own JSON on stdout: every ``--json`` command, run as the real process.

Output written from C (HiGHS printed its banner on descriptor 1 when the first solver object was
created, before PuLP switched output off; issue 13) never reaches ``sys.stdout`` and is invisible
to click's CliRunner, so these tests start the installed ``netfund`` program in a subprocess and
parse its whole stdout with `json.loads`. One test walks the example network's year through
every leaf command of the CLI; a test fails when a new command has no case here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from netfund.cli.main import cli

from tests.conftest import EXAMPLE

NETFUND = Path(sys.executable).with_name("netfund")


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    leaves: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            leaves |= leaf_commands(command, (*prefix, name))
        else:
            leaves.add(" ".join((*prefix, name)))
    return leaves


class Session:
    """Runs ``netfund --db DB ... --json`` in a folder and keeps which commands it ran."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "netfund.db"
        self.ran: set[str] = set()
        self.env = {**os.environ, "COLUMNS": "120"}
        self.env.pop("NETFUND_DB", None)

    def json(self, *words: str, command: str | None = None, exit_code: int = 0) -> Any:
        completed = subprocess.run(
            [str(NETFUND), "--db", str(self.db), *words, "--json"],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )
        assert completed.returncode == exit_code, (words, completed.stdout, completed.stderr)
        try:
            document = json.loads(completed.stdout)
        except json.JSONDecodeError as error:
            raise AssertionError(f"{words}: stdout is not JSON: {completed.stdout!r}") from error
        self.ran.add(command or words[0])
        return document


@pytest.mark.skipif(not NETFUND.exists(), reason="the netfund program is not installed")
def test_every_json_command_prints_only_json_on_stdout(tmp_path: Path) -> None:
    run = Session(tmp_path)
    run.json("init", str(EXAMPLE / "network.toml"))
    run.json("import", str(EXAMPLE / "events.csv"))
    first = run.json("allocate", str(EXAMPLE / "plan.toml"), "--explain")
    assert first["allocations"]
    second = run.json("allocate", str(EXAMPLE / "plan.toml"), "--solver", "highs")
    run.json("allocate", "--commit", "latest", "--date", "2026-01-20")
    run.json("import", str(EXAMPLE / "spending.csv"))
    run.json("allocations", "list", command="allocations list")
    run.json("allocations", "show", str(first["run"]), command="allocations show")
    run.json(
        "allocations",
        "compare",
        str(first["run"]),
        str(second["run"]),
        command="allocations compare",
    )
    run.json("balance", "--by", "fund")
    run.json("status")
    line = "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,12.50"
    run.json("post", "FIX-1", "--date", "2026-03-31", "-d", "fee", "--line", line,
             "--line", "Assets:Bank,GEM-SANIVELD-WMO,,-12.50")  # fmt: skip
    run.json("reverse", "FIX-1")
    run.json("verify")
    statements = tmp_path / "statements"
    written = run.json(
        "statements", "--period", "2026", "--out", str(statements), "--funder", "ZONMW",
        "--as-of", "2026-12-31",
    )  # fmt: skip
    assert written
    pdf = next(statements.glob("*.pdf"))
    run.json("verify-statement", str(pdf))
    for name, suffix, options in [
        ("journal", "csv", ["--format", "csv"]),
        ("trial-balance", "csv", ["--format", "csv"]),
        ("beancount", "beancount", []),
        ("hledger", "journal", []),
        ("xaf", "xaf", []),
    ]:
        out = tmp_path / f"export-{name}.{suffix}"
        run.json("export", name, "--out", str(out), *options, command=f"export {name}")
    run.json("exports", "list", command="exports list")
    run.json("close", "2026", "--force", "--reason", "closed early in a test")
    run.json("reopen", "2026", "--reason", "a late invoice")
    run.json("demo", str(tmp_path / "demo"))
    assert run.ran == leaf_commands(cli), "a command without a --json case here"


@pytest.mark.skipif(not NETFUND.exists(), reason="the netfund program is not installed")
def test_an_allocation_on_a_fresh_process_prints_no_solver_banner(tmp_path: Path) -> None:
    """The plain (not --json) output too: the table, and not a line of HiGHS."""
    run = Session(tmp_path)
    run.json("init", str(EXAMPLE / "network.toml"))
    run.json("import", str(EXAMPLE / "events.csv"))
    completed = subprocess.run(
        [str(NETFUND), "--db", str(run.db), "allocate", str(EXAMPLE / "plan.toml")],
        capture_output=True,
        text=True,
        env=run.env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "HiGHS" not in completed.stdout + completed.stderr
    assert "Copyright" not in completed.stdout + completed.stderr
