"""One voice (issue 16): every command shows amounts the same way, ends quietly when its reader
leaves, shows no library's warnings and takes a period the same way.

The pipe and warning cases run the installed program as a process: a closed pipe and the
warnings printed at import time are invisible to click's CliRunner.
"""

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
from netfund.cli.app import PeriodType
from netfund.cli.main import cli

from tests.conftest import EXAMPLE
from tests.support.saniveld import BANK_IMPORT
from tests.support.statements import write_pkcs12

# The commands load on first use (issue 21); these tests walk every one of them.
cli.load_every_command()

NETFUND = Path(sys.executable).with_name("netfund")
#: An amount printed without its thousands grouped: 888350.40 where status prints 888,350.40.
UNGROUPED = re.compile(r"(?<![\d,.])\d{4,}\.\d{2}(?![\d])")


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "NETFUND_DB"}
    return env | {"COLUMNS": "200"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example network's year (netfund demo): its ledger and statements."""
    folder = tmp_path_factory.mktemp("voice") / "demo"
    completed = subprocess.run(
        [str(NETFUND), "demo", str(folder), "--json"],
        capture_output=True,
        text=True,
        env=_environment(),
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return folder


def test_every_command_prints_amounts_grouped_as_status_does(tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'voice.db'}"]

    def run(*words: str) -> str:
        result = runner.invoke(cli, [*db, *words], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("init", str(EXAMPLE / "network.toml"))
    run("import", str(EXAMPLE / "events.csv"))
    outputs = {
        "allocate": run("allocate", str(EXAMPLE / "plan.toml"), "--explain"),
        "allocations list": run("allocations", "list"),
        "allocations show": run("allocations", "show", "1", "--explain"),
        "allocations compare": run("allocations", "compare", "1", "1"),
        "allocate --commit": run("allocate", "--commit", "1", "--date", "2026-01-20"),
    }
    run("import", str(EXAMPLE / "spending.csv"))
    run(*BANK_IMPORT)  # the money in
    outputs |= {
        "balance": run("balance"),
        "status": run("status"),
        "export": run("export", "xaf", "--out", str(tmp_path / "a.xaf")),
        "close": run("close", "2026", "--force", "--reason", "closed early in a test"),
    }
    for command, output in outputs.items():
        assert UNGROUPED.findall(output) == [], (command, output)
    # The figures the issue names, as status prints them.
    assert "GEM-SANIVELD-WMO  888,350.40  888,350.40" in outputs["allocate"]
    assert "priority value 7,600,439.95" in outputs["allocate"]
    assert "(here 7,600,439.95)" in outputs["allocate"]
    # What close settles as WMO's unspent money is the figure status shows, written alike.
    unspent = re.search(r"GEM-SANIVELD-WMO +carry_over +([\d,]+\.\d\d)", outputs["close"])
    assert unspent is not None and "," in unspent[1], outputs["close"]
    assert unspent[1] in outputs["status"]
    assert "(xaf, all periods;" in outputs["export"]


@pytest.mark.skipif(not NETFUND.exists(), reason="the netfund program is not installed")
@pytest.mark.parametrize("words", [("status",), ("balance",), ("status", "--json")])
def test_a_reader_that_leaves_ends_the_command_quietly(demo: Path, words: tuple[str, ...]) -> None:
    """`netfund status | head -3`: the pipe is closed before netfund writes; exit 0, no word."""
    process = subprocess.Popen(
        [str(NETFUND), "--db", str(demo / "netfund.db"), *words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert stderr == ""


@pytest.mark.skipif(not NETFUND.exists(), reason="the netfund program is not installed")
def test_the_statement_commands_show_no_library_warnings(demo: Path, tmp_path: Path) -> None:
    """pyHanko's import of cryptography's DSA printed a CryptographyDeprecationWarning."""
    key, _ = write_pkcs12(tmp_path, "geheim")
    env = _environment() | {"KEY_PASSWORD": "geheim"}
    db = ["--db", str(demo / "netfund.db")]
    signed = subprocess.run(
        [str(NETFUND), *db, "statements", "--period", "2026", "--out", str(tmp_path / "s"),
         "--funder", "ZONMW", "--as-of", "2026-12-31", "--sign", str(key),
         "--sign-password-env", "KEY_PASSWORD", "--json"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert signed.stderr == ""
    (statement,) = (item["file"] for item in json.loads(signed.stdout)["statements"])
    checked = subprocess.run(
        [str(NETFUND), *db, "verify-statement", statement],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""
    assert "verified" in checked.stdout


def _leaves(group: click.Group) -> list[click.Command]:
    found = []
    for command in group.commands.values():
        found += _leaves(command) if isinstance(command, click.Group) else [command]
    return found


def test_every_period_is_read_by_the_one_period_type() -> None:
    """`balance --period 2025-Q1` was accepted where status refused it: every command's period
    (option or argument) goes through the ledger's parse_period."""
    periods = [
        (command.name, param)
        for command in _leaves(cli)
        for param in command.params
        if param.name == "period"
    ]
    assert len(periods) >= 9  # balance, status, close, statements and the five exports
    for name, param in periods:
        assert isinstance(param.type, PeriodType), name
    for words in (["balance"], ["status"], ["export", "xaf", "--out", "x.xaf"]):
        result = CliRunner().invoke(cli, [*words, "--period", "2025-Q1"])
        assert result.exit_code == 2, (words, result.output)
        assert "2025-Q1" in result.output
