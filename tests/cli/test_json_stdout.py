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
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from netfund.cli.main import cli

from tests.conftest import EXAMPLE

# The commands load on first use (issue 21); these tests walk every one of them.
cli.load_every_command()

NETFUND = Path(sys.executable).with_name("netfund")
#: netfund run as another person (a second OS user, which a test process cannot become):
#: the actor patched in the process, for the four-eyes commands (issue 17).
AS_SECRETARY = (
    "import sys; from netfund.ledger.store import identity; "
    "identity.os_user = lambda: 'secretaris'; "
    "from netfund.cli.main import cli; cli(sys.argv[1:], prog_name='netfund')"
)


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    leaves: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            leaves |= leaf_commands(command, (*prefix, name))
            if command.invoke_without_command:  # a group that is a command itself too
                leaves.add(" ".join((*prefix, name)))
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

    def run(self, *words: str, program: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*(program or (str(NETFUND),)), "--db", str(self.db), *words, "--json"],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=300,
            check=False,
        )

    def json(
        self,
        *words: str,
        command: str | None = None,
        exit_code: int = 0,
        program: tuple[str, ...] = (),
    ) -> Any:
        completed = self.run(*words, program=program)
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
    # No bank statement imported yet: the reconciliation says so, in JSON.
    unreconciled = run.json("bank", "reconcile", command="bank reconcile", exit_code=2)
    assert "no bank statement imported yet" in unreconciled["message"]
    # The year's money in, from its bank statement (issue 19).
    camt, rules = EXAMPLE / "bank" / "2026.camt053.xml", EXAMPLE / "bank-rules.toml"
    imported = run.json("bank", "import", str(camt), "--rules", str(rules), command="bank import")
    assert sum(s["unmatched"] for s in imported["statements"]) == 0, imported
    assert run.json("bank", "unmatched", command="bank unmatched") == []
    assert run.json("bank", "reconcile", command="bank reconcile")["reconciled"] is True
    reassigned = run.json("bank", "assign", "--rules", str(rules), command="bank assign")
    assert reassigned["decided"] == [] and reassigned["posted"] == 0
    # The groups' measurements beside the money (issue 20); a second import adds nothing.
    measured = run.json("indicators", "import", str(EXAMPLE / "indicators.csv"),
                        command="indicators import")  # fmt: skip
    assert measured["added"] == measured["rows"] > 0, measured
    again = run.json("indicators", "import", str(EXAMPLE / "indicators.csv"),
                     command="indicators import")  # fmt: skip
    assert (again["added"], again["record"]) == (0, None), again
    view = run.json("indicators", "--period", "2026", command="indicators")
    assert view["moved_away"] and view["groups"], view
    run.json("balance", "--by", "fund")
    assert run.json("status")["indicators"]
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
        ("audit-trail", "xlsx", ["--format", "xlsx"]),
    ]:
        out = tmp_path / f"export-{name}.{suffix}"
        run.json("export", name, "--out", str(out), *options, command=f"export {name}")
    run.json("exports", "list", command="exports list")
    run.json("close", "2026", "--force", "--reason", "closed early in a test")
    # Reopened before its refunds go out (a year whose refunds wait in a payment file is
    # not reopened), then closed again.
    run.json("reopen", "2026", "--reason", "a late invoice")
    run.json("close", "2026", "--force", "--reason", "closed again")
    refunds = tmp_path / "refunds-2026.xml"
    paid = run.json("pay", "refunds", "--period", "2026", "--out", str(refunds),
                    command="pay refunds")  # fmt: skip
    assert [p["funder"] for p in paid["payments"]] == ["ZK-REGIO", "ZV-NOORDWAARD",
                                                        "ZV-LINGEZORG", "ZONMW"], paid  # fmt: skip
    assert refunds.exists()
    refused = run.json("reopen", "2026", "--reason", "too late", exit_code=2)
    assert "payment file not yet on a bank statement" in refused["message"]
    network_2027 = tmp_path / "network-2027.toml"
    network_2027.write_text(
        (EXAMPLE / "network.toml").read_text(encoding="utf-8").replace("0.10", "0.12")
        + '\n[approvals]\npost_above = "10000.00"\n',
        encoding="utf-8",
    )
    applied = run.json("network", "apply", str(network_2027), "--from", "2027",
                       command="network apply")  # fmt: skip
    assert applied["version"] == 2, applied
    # Four eyes in 2027: a post above 10,000.00 is a proposal; another person approves it.
    big = ["--line", "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,20000.00",
           "--line", "Assets:Bank,GEM-SANIVELD-WMO,,-20000.00"]  # fmt: skip
    secretary = (sys.executable, "-c", AS_SECRETARY)
    proposed = run.json("post", "BIG-1", "--date", "2027-02-01", "-d", "x", *big, program=secretary)
    assert proposed["status"] == "waiting", proposed
    assert [p["proposal"] for p in run.json("proposals")] == [1]
    assert run.json("approve", "1")["status"] == "approved"
    assert run.json("post", "BIG-2", "--date", "2027-02-01", "-d", "x", *big)["proposal"] == 2
    assert run.json("reject", "2", "--reason", "booked twice")["status"] == "rejected"
    versions = run.json("network", "versions", command="network versions")
    assert [v["version"] for v in versions] == [1, 2]
    trail = run.json("log", "--period", "2026")
    assert [e["event"] for e in trail if e["event"] in ("close", "reopen")] == [
        "close",
        "reopen",
        "close",
    ]
    assert all(e["actor"] for e in trail), trail
    ready = run.json("serve", "--check", "--port", "8123")
    assert ready["url"] == "http://127.0.0.1:8123/" and ready["language"] == "nl", ready
    demo = run.json("demo", str(tmp_path / "demo"))
    assert demo["portal"]["password"] and len(demo["portal"]["logins"]) == 8, demo["portal"]
    # Portal logins (issue 18): the password from the environment, never in the JSON.
    run.env["NETFUND_PASSWORD"] = "correct horse battery"
    added = run.json("user", "add", "anna", "--role", "administrator", command="user add")
    assert added == {"name": "anna", "role": "administrator", "funder": None, "change": "added"}
    del run.env["NETFUND_PASSWORD"]
    listed = run.json("user", "list", command="user list")
    assert [row["name"] for row in listed] == ["anna"]
    assert "correct horse" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    removed = run.json("user", "remove", "anna", command="user remove")
    assert removed == {"name": "anna", "role": "administrator", "funder": None, "change": "removed"}
    assert run.json("user", "list", command="user list") == []
    # Roles are PostgreSQL's (their JSON there: tests/ledger/test_roles.py); on this SQLite
    # ledger each is refused, in JSON.
    for words in (("install",), ("grant", "anna", "--role", "controller"), ("list",)):
        document = _error(run, "roles", *words, exit_code=2, command=f"roles {words[0]}")
        assert "roles need a PostgreSQL ledger" in document["message"]
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


def _error(run: Session, *words: str, exit_code: int, command: str | None = None) -> Any:
    """An error of a --json command line: one JSON object on stdout, nothing on stderr."""
    completed = run.run(*words)
    assert completed.returncode == exit_code, (words, completed.stdout, completed.stderr)
    assert completed.stderr == "", (words, completed.stderr)
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"{words}: stdout is not JSON: {completed.stdout!r}") from error
    assert document["status"] == "error" and document["exit_code"] == exit_code, document
    if "problems" in document:
        assert document["problems"], document
        for problem in document["problems"]:
            assert {"file", "line", "message"} <= problem.keys() and problem["message"], problem
    else:
        assert isinstance(document["message"], str) and document["message"], document
    run.ran.add(command or words[0])
    return document


@pytest.mark.skipif(not NETFUND.exists(), reason="the netfund program is not installed")
def test_every_json_command_reports_its_errors_as_json(tmp_path: Path) -> None:
    """Bad input (exit 2), an infeasible plan (3), a damaged ledger (4): a script that asked for
    JSON gets JSON, with the exit code the contract gives."""
    run = Session(tmp_path)
    missing = str(tmp_path / "missing.toml")
    # Before the ledger exists: every reading command says to run init first.
    _error(run, "allocations", "list", exit_code=2, command="allocations list")
    _error(run, "exports", "list", exit_code=2, command="exports list")
    _error(run, "network", "versions", exit_code=2, command="network versions")
    _error(run, "proposals", exit_code=2)
    _error(run, "log", exit_code=2)
    _error(run, "serve", "--check", exit_code=2)
    _error(run, "user", "list", exit_code=2, command="user list")
    _error(run, "bank", "reconcile", exit_code=2, command="bank reconcile")
    _error(run, "bank", "unmatched", exit_code=2, command="bank unmatched")
    for words in (("install",), ("grant", "anna", "--role", "controller"), ("list",)):
        _error(run, "roles", *words, exit_code=2, command=f"roles {words[0]}")
    document = _error(run, "init", missing, exit_code=2)
    assert document["problems"][0]["file"] == missing
    run.json("init", str(EXAMPLE / "network.toml"))
    # An empty ledger is no error, and still JSON (status printed a sentence).
    assert run.json("status")["funders"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,date,type,funder,group,amount,description,reference\n"
        "x,2026-02-30,commitment,ZONMW,,10.00,,\n",
        encoding="utf-8",
    )
    document = _error(run, "import", str(bad), exit_code=2)
    assert document["problems"] == [
        {"file": str(bad), "line": 2, "message": "date '2026-02-30' does not exist"}
    ]
    run.json("import", str(EXAMPLE / "events.csv"))
    document = _error(run, "bank", "import", str(bad), exit_code=2, command="bank import")
    assert document["problems"][0]["line"] == 1
    assert "not a CAMT.053" in document["problems"][0]["message"]
    document = _error(run, "bank", "assign", "NO-SUCH-REF", "--group", "STUURGROEP",
                      exit_code=2, command="bank assign")  # fmt: skip
    assert "no bank line 'NO-SUCH-REF'" in document["message"]
    document = _error(run, "indicators", "import", str(bad), exit_code=2,
                      command="indicators import")  # fmt: skip
    assert document["problems"][0]["line"] == 1  # the events header is not indicators.csv's
    document = _error(run, "indicators", "--as-of", "2026-02-30", exit_code=2,
                      command="indicators")  # fmt: skip
    assert "2026-02-30" in document["message"]
    _error(run, "allocate", missing, exit_code=2)
    _error(run, "allocate", "--commit", "99", exit_code=2)
    _error(run, "allocations", "show", "99", exit_code=2, command="allocations show")
    _error(run, "allocations", "compare", "1", "99", exit_code=2, command="allocations compare")
    for words in (("balance",), ("status",), ("statements", "--out", "s"), ("log",)):
        document = _error(run, *words, "--period", "2025-Q1", exit_code=2)
        assert "2025-Q1" in document["message"]
    document = _error(run, "close", "2025-Q1", exit_code=2)
    assert "2025-Q1" in document["message"]
    document = _error(
        run, "post", "FIX-1", "--date", "2026-03-31", "-d", "x", "--line", "Assets:Bank,ZONMW",
        exit_code=2,
    )  # fmt: skip
    assert document["problems"][0]["file"] == "--line"
    _error(run, "reverse", "NO-SUCH-ID", exit_code=2)
    document = _error(run, "bank", "reconcile", "--as-of", "2026-02-30", exit_code=2,
                      command="bank reconcile")  # fmt: skip
    assert "2026-02-30" in document["message"]
    run.env["NETFUND_PASSWORD"] = "too short"
    document = _error(run, "user", "add", "anna", "--role", "controller", exit_code=2,
                      command="user add")  # fmt: skip
    assert "at least 12 characters" in document["message"]
    assert "too short" not in document["message"]
    del run.env["NETFUND_PASSWORD"]
    document = _error(run, "user", "remove", "nobody", exit_code=2, command="user remove")
    assert "no portal login 'nobody'" in document["message"]
    _error(run, "reopen", "2026", "--reason", "not closed", exit_code=2)
    document = _error(run, "pay", "refunds", "--period", "2026", "--out", "r.xml", exit_code=2,
                      command="pay refunds")  # fmt: skip
    assert "period 2026 is not closed" in document["message"]
    assert "no proposal 1" in _error(run, "approve", "1", exit_code=2)["message"]
    _error(run, "reject", "1", "--reason", "none made", exit_code=2)
    document = _error(run, "network", "apply", missing, "--from", "2027", exit_code=2,
                      command="network apply")  # fmt: skip
    assert document["problems"][0]["file"] == missing
    _error(run, "statements", "--period", "2026", "--out", "s", "--funder", "NOPE", exit_code=2)
    _error(run, "verify-statement", str(EXAMPLE / "plan.toml"), exit_code=2)
    for name in ("journal", "trial-balance", "beancount", "hledger", "xaf", "audit-trail"):
        _error(
            run, "export", name, "--out", "x", "--period", "twenty", exit_code=2,
            command=f"export {name}",
        )  # fmt: skip
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("not the demo's", encoding="utf-8")
    _error(run, "demo", str(tmp_path / "taken"), exit_code=2)
    _error(run, "no-such-command", exit_code=2, command="verify")
    # An infeasible plan is exit 3, and its one JSON document is the stored run.
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[allocation]\nperiod = "2026"\nbasis = "committed"\nobjective = "priority"\n\n'
        '[[requests]]\ngroup = "STUURGROEP"\nmin = "90000000.00"\nmax = "95000000.00"\n'
        "weight = 1\n",
        encoding="utf-8",
    )
    assert run.json("allocate", str(plan), exit_code=3)["status"] == "infeasible"
    # A damaged ledger is exit 4, the message naming what changed.
    with sqlite3.connect(run.db) as connection:
        connection.execute("DROP TRIGGER postings_append_only_update")
        connection.execute("UPDATE postings SET amount_cents = amount_cents + 1 WHERE txn_id = 1")
    document = _error(run, "verify", exit_code=4)
    assert "transaction 1" in document["message"]
    assert run.ran == leaf_commands(cli), "a command without an error case here"
