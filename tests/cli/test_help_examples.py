"""Every command's help example runs, as written, against the example network (issue 16).

A user copies an example from ``--help``: ids, codes and files must be the example network's
(examples/saniveld), not made-up ones. The examples run in a shell, in a folder laid out like
the repository (``examples/saniveld`` there), in the order an administrator works; the files a
user brings themselves (a journal of corrections, a signing key, a copy of the checkpoint file)
are made beside them first.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import click
import pytest
from netfund.cli.main import cli
from netfund.examples.bank_files import bank_line
from netfund.examples.bank_files import statement as bank_statement
from netfund.examples.bank_files import write as write_bank_file
from netfund.ledger import read_statements

from tests.conftest import EXAMPLE, PG_BASE_URL, database_url
from tests.support.logins import dropped_afterwards
from tests.support.shell import shell
from tests.support.statements import write_pkcs12

# The commands load on first use (issue 21); these tests walk every one of them.
cli.load_every_command()

BIN = Path(sys.executable).parent

AS_SECRETARY = (
    "import sys; from netfund.ledger.store import identity; "
    "identity.os_user = lambda: 'secretaris'; "
    "from netfund.cli.main import cli; cli(sys.argv[1:], prog_name='netfund')"
)
BIG_POST = (
    '--date 2027-02-01 -d "Reclassification" '
    '--line "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,20000.00" '
    '--line "Assets:Bank,GEM-SANIVELD-WMO,,-20000.00"'
)

#: The commands with examples in the order they run; a setup step (the test's, not an
#: example) is a tuple of the shell line to run first.
ORDER = [
    "demo",
    "init",
    "network",
    "network apply",
    "network versions",
    "import",
    "allocate",
    "allocations",
    "allocations list",
    "allocations show",
    "allocations compare",
    ("netfund import examples/saniveld/spending.csv",),
    "post",
    "reverse",
    # Four eyes (issue 17): 2027 asks a second person for posts above 10,000.00; the
    # secretary (another OS user, which a test cannot become: the actor patched in its
    # process) proposes one, which the examples approve; then one the examples reject.
    ("netfund network apply examples/saniveld/four-eyes.toml --from 2027",),
    (f'python -c "{AS_SECRETARY}" post BIG-2027 {BIG_POST}',),
    "proposals",
    "approve",
    (f"netfund post BIG-2027-B {BIG_POST}",),
    "reject",
    "balance",
    "status",
    # The year's bank statement (issue 19), after the spending its payments are linked to:
    # the group's examples import it, list the unmatched lines (none) and reconcile; the
    # import's own example then finds nothing new.
    "bank",
    "bank import",
    "bank unmatched",
    # January's statement (the test writes it, following the year's) has a printer's bill no
    # rule names: bank assign's example books it.
    ("netfund bank import january.xml",),
    "bank assign",
    "bank reconcile",
    # The groups' measurements (issue 20), before the statements that show them beside the
    # money: the group's example imports the file, the import's own then finds nothing new.
    "indicators",
    "indicators import",
    "statements",
    "verify-statement",
    ("mkdir -p backup && cp netfund.db.checkpoints backup/",),
    "verify",
    "export",
    "export journal",
    "export trial-balance",
    "export beancount",
    "export hledger",
    "export xaf",
    "export audit-trail",
    "exports",
    "exports list",
    "close",
    # Reopened before its refunds go out (a year whose refunds wait in a payment file is not
    # reopened), closed again, then the refunds of the closed year paid (issue 19).
    "reopen",
    ('netfund close 2026 --force --reason "books complete again"',),
    "pay refunds",
    "pay",
    "log",
    "serve",
    # Portal logins (issue 18): the test hands the password in NETFUND_PASSWORD.
    "user",
    "user add",
    "user list",
    "user remove",
]
#: The roles commands' examples run on PostgreSQL (a SQLite ledger has no roles), in a schema
#: of the test's own, with the example network; their login names are made unique.
ROLE_STEPS = ["roles", "roles install", "roles grant", "roles list"]

CORRECTIONS = (
    "txn_id,date,description,account,fund,group,amount\n"
    "COR-1,2026-02-28,Bank fee booked to the wrong fund,Assets:Bank,ZONMW,,-1.00\n"
    "COR-1,2026-02-28,Bank fee booked to the wrong fund,Expenses:RG-DATA,ZONMW,RG-DATA,1.00\n"
)


def _write_january(path: Path) -> None:
    """January 2027's statement of the example's account, following its last 2026 statement:
    one printer's bill that no rule of bank-rules.toml names (left for `bank assign`)."""
    last = read_statements(EXAMPLE / "bank" / "2026.camt053.xml")[-1]
    bill = bank_line(datetime.date(2027, 1, 5), -24_500, ref="2027-0105-001",
                     counterparty_iban="NL38RABO0300000001", counterparty_name="Drukkerij De Linge",
                     remittance="factuur 2027-014 folders")  # fmt: skip
    january = bank_statement(last.account_iban, "2027-01", [bill],
                             opening_cents=last.closing_cents, from_date=datetime.date(2027, 1, 1),
                             to_date=datetime.date(2027, 1, 31))  # fmt: skip
    write_bank_file(path, [january], "camt.053.001.08")


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[" ".join((*prefix, name))] = command
        if isinstance(command, click.Group):
            found |= _commands(command, (*prefix, name))
    return found


def examples(command: click.Command) -> list[str]:
    """The command lines under "Example(s):" in the help text, continuation lines joined."""
    lines = (command.help or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Example"))
    found: list[str] = []
    joining = False
    for line in lines[start + 1 :]:
        text = line.strip()
        if not text:
            break
        if joining:
            found[-1] = found[-1][:-1].rstrip() + " " + text
        else:
            found.append(text)
        joining = text.endswith("\\")
    return found


def test_every_command_with_examples_is_run() -> None:
    commands = _commands(cli)
    assert {step for step in [*ORDER, *ROLE_STEPS] if isinstance(step, str)} == set(commands)
    assert all(examples(command) for command in commands.values())


@pytest.mark.skipif(not (BIN / "netfund").exists(), reason="the netfund program is not installed")
def test_every_help_example_runs_on_the_example_network(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "saniveld")
    (tmp_path / "corrections.csv").write_text(CORRECTIONS, encoding="utf-8")
    _write_january(tmp_path / "january.xml")
    key, _ = write_pkcs12(tmp_path, "...")
    key.rename(tmp_path / "fondsbeheer.p12")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "HOME": str(tmp_path)}
    env["NETFUND_PASSWORD"] = "an example portal password"
    commands = _commands(cli)
    ran = []
    for step in ORDER:
        lines = list(step) if isinstance(step, tuple) else examples(commands[step])
        for line in lines:
            if not shutil.which(line.split("&& ")[-1].split()[0], path=env["PATH"]):
                line = line.split(" && ")[0]  # an outside tool (hledger) is not installed
            if line.startswith("netfund serve") and "--check" not in line:
                assert_serves(line, tmp_path, env)
                ran.append(line)
                continue
            completed = shell(line, tmp_path, env)
            ran.append(line)
            assert completed.returncode == 0, (line, completed.stdout, completed.stderr)
            assert "Traceback" not in completed.stderr
    assert len(ran) >= 30
    # Whatever today's date: the examples closed 2025 and 2026 and reopened 2026.
    closes = shell("netfund verify --json && netfund close 2025", tmp_path, env)
    assert closes.returncode == 2 and "period 2025 is already closed" in closes.stderr


@pytest.mark.skipif(not (BIN / "netfund").exists(), reason="the netfund program is not installed")
def test_the_roles_examples_run_on_postgresql(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "saniveld")
    commands = _commands(cli)
    tag = uuid.uuid4().hex[:8]
    logins: list[str] = []

    def unique(line: str) -> str:
        match = re.search(r"roles grant (\S+)", line)
        if match is None:
            return line
        logins.append(f"{match[1]}_{tag}")
        return line.replace(f"grant {match[1]} ", f"grant {match[1]}_{tag} ")

    for url in database_url("postgresql", tmp_path, prefix="help"):
        env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
        env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "NETFUND_DB": url}
        with dropped_afterwards(PG_BASE_URL, logins):
            init = shell("netfund init examples/saniveld/network.toml", tmp_path, env)
            assert init.returncode == 0, init.stderr
            for step in ROLE_STEPS:
                for line in examples(commands[step]):
                    completed = shell(unique(line), tmp_path, env)
                    assert completed.returncode == 0, (line, completed.stdout, completed.stderr)
                    assert "Traceback" not in completed.stderr
            listed = shell("netfund roles list --json", tmp_path, env)
            assert {row["login"] for row in json.loads(listed.stdout)} == set(logins)


def assert_serves(line: str, folder: Path, env: dict[str, str]) -> None:
    """Run a ``netfund serve`` example until its sign-in page answers, then stop it; on a
    free port of the test's (8000 may be taken on the machine running the tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = re.sub(r"--port \d+", f"--port {port}", line)
    server = subprocess.Popen(
        ["bash", "-c", f"exec {line}"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200 and "csrf_token" in page.read().decode()
                    break
            except OSError:
                assert server.poll() is None, (line, server.communicate())
                assert time.monotonic() < deadline, f"{line}: no answer within 30 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "Traceback" not in err, err


def test_the_close_examples_close_ended_years_or_say_why_early() -> None:
    """A close example must run on any day after 2026: a year that has ended, or --force
    with its --reason (the help examples test runs them whatever the date)."""
    for line in examples(_commands(cli)["close"]):
        period = int(line.split()[2])
        assert period <= 2025 or ("--force" in line and "--reason" in line), line


@pytest.mark.skipif(not (BIN / "netfund").exists(), reason="the netfund program is not installed")
def test_the_typical_year_of_netfund_help_runs_as_written(tmp_path: Path) -> None:
    """`netfund --help` shows a typical year; it runs, line by line, on the example network
    on any date, and shows the administrator something in every step (not a column of 0.00)."""
    help_lines = (cli.help or "").split("Typical year")[1].splitlines()[1:]
    year: list[str] = []
    for line in (line.strip() for line in help_lines):
        if year and year[-1].endswith("\\"):  # a continuation line
            year[-1] = year[-1][:-1].rstrip() + " " + line
        elif line.startswith("netfund "):
            year.append(line)
    assert len(year) >= 8 and year[-1].startswith("netfund close 2026 --force --reason ")
    # The money comes in on the bank statement, after the spending it pays.
    bank = "netfund bank import examples/saniveld/bank/2026.camt053.xml --rules "
    assert any(line.startswith(bank) for line in year), year
    (tmp_path / "examples").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "saniveld")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for line in year:
        completed = shell(line, tmp_path, env)
        assert completed.returncode == 0, (line, completed.stdout, completed.stderr)
        assert completed.stdout.strip(), line
        amounts = set(re.findall(r"-?\d[\d,]*\.\d\d\b", completed.stdout))
        assert not amounts or amounts - {"0.00"}, (line, completed.stdout)  # not all zero
    assert len(list((tmp_path / "statements").glob("2026-*.pdf"))) == 6
