"""`netfund demo` as a new user runs it (a subprocess of the installed command), and the CLI's
look at a terminal (a pseudo-terminal) against its plain text when piped.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from netfund.cli.commands import demo as demo_module

from tests.conftest import EXAMPLE
from tests.support.shell import shell
from tests.support.statements import FUNDERS

NETFUND = [sys.executable, "-m", "netfund.cli"]
BIN = Path(sys.executable).parent


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "NETFUND_DB"}
    return subprocess.run(
        [*NETFUND, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """One run of the demo with its default folder, from an empty working directory."""
    cwd = tmp_path_factory.mktemp("user")
    result = _run("demo", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "netfund-demo", json.loads(result.stdout)


def test_the_demo_writes_everything_under_its_folder(demo) -> None:  # type: ignore[no-untyped-def]
    folder, summary = demo
    names = {p.name for p in folder.iterdir()} - {"netfund.db-wal", "netfund.db-shm"}
    assert names == {
        ".netfund-demo",
        "exports",
        "inputs",
        "netfund.db",
        "netfund.db.checkpoints",
        "statements",
    }
    statements = sorted(p.name for p in (folder / "statements").iterdir())
    assert statements == sorted(f"2026-{code}.nl.pdf" for code in FUNDERS)
    assert sorted(p.name for p in (folder / "exports").iterdir()) == [
        "audit-trail-2026.xlsx",
        "auditfile-2026.xaf",
        "journal-2026.csv",
        "journal-2026.xlsx",
        "ledger.beancount",
        "ledger.journal",
        "trial-balance-2026.csv",
    ]
    for listed in (*summary["statements"], *summary["exports"], *summary["inputs"]):
        assert (folder.parent / listed).is_file(), listed  # relative to where it ran
    # The summary's steps are the whole cycle, in the administrator's order.
    assert [step["step"].split()[0] for step in summary["steps"]] == [
        *("create", "import", "allocate", "commit", "import", "import", "import", "write"),
        *("write", "create", "verify"),
    ]
    # The inputs are the example's, the bank's statements and rules and the indicators among them.
    inputs = sorted(
        str(Path(p).relative_to(Path(summary["folder"]) / "inputs")) for p in summary["inputs"]
    )
    assert inputs == [
        "bank-rules.toml",
        "bank/2026.camt053.xml",
        "bank/2026.mt940",
        "events.csv",
        "indicators.csv",
        "network.toml",
        "plan.toml",
        "spending.csv",
    ]
    for name in inputs:
        assert (folder / "inputs" / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_the_demo_imports_the_bank_statement_and_reconciles(demo) -> None:  # type: ignore[no-untyped-def]
    """The bank step: every line of the year's statement is booked (the funders' payments,
    the bank's costs) or linked (the payments of spending.csv), none is left unmatched, and
    the bank's balance on 31 December is the ledger's to the cent."""
    folder, summary = demo
    (step,) = [s for s in summary["steps"] if "bank statement" in s["step"]]
    assert step["result"] == "12 statements, 307 lines: 36 booked, 271 linked, 0 unmatched"
    bank = summary["bank"]
    assert bank == {
        "file": "bank/2026.camt053.xml",
        "statements": 12,
        "lines": 307,
        "booked": 36,
        "linked": 271,
        "unmatched": 0,
        "as_of": "2026-12-31",
        "accounts": [
            {
                "iban": "NL17INGB0007081296",
                "name": "Stichting Netwerkfonds Saniveld",
                "balance": "1988138.60",
            }
        ],
        "bank_balance": "1988138.60",
        "ledger_balance": "1988138.60",
        "difference": "0.00",
        "reconciled": True,
    }
    # The ledger says so too, by itself.
    db = str(folder / "netfund.db")
    reconciled = json.loads(_run("--db", db, "bank", "reconcile", "--json").stdout)
    assert (reconciled["reconciled"], reconciled["ledger"]) == (True, bank["ledger_balance"])
    assert json.loads(_run("--db", db, "bank", "unmatched", "--json").stdout) == []


def test_the_demo_ledger_verifies_and_the_statements_match_it(demo) -> None:  # type: ignore[no-untyped-def]
    folder, summary = demo
    db = str(folder / "netfund.db")
    verified = _run("--db", db, "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["fingerprint"] == summary["fingerprint"]
    assert json.loads(verified.stdout)["transactions"] == summary["transactions"] == 350
    pdf = folder / "statements" / "2026-ZONMW.nl.pdf"
    checked = _run("--db", db, "verify-statement", str(pdf), "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    by_fund = json.loads(_run("--db", db, "balance", "--by", "fund", "--json").stdout)
    assert {line["balance"] for line in by_fund} == {"0.00"}
    assert {(w["kind"], w["subject"]) for w in summary["warnings"]} == {
        ("overspent", "WG-JEUGD-NOORD"),
        ("receipts_lag", "ZV-LINGEZORG"),
    }


def test_the_demos_audit_trail_names_every_action_and_the_exports_before_it(demo) -> None:  # type: ignore[no-untyped-def]
    """The demo writes the audit trail last: the file holds the year's actions (the bank
    statement's import among them) and the six exports written before it, each by one actor,
    and the ledger's own log of 2026 adds the trail's export."""
    import openpyxl

    folder, _ = demo
    sheet = openpyxl.load_workbook(folder / "exports" / "audit-trail-2026.xlsx").worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    assert [row["event"] for row in rows] == [
        "network change",
        "import",
        "allocation run",
        "allocation commit",
        "import",
        *["bank statement"] * 12,  # one a month, then the import that read them
        "bank import",
        # The year's measurements (the import's own write entry moved no money of a period).
        "indicator measurements",
        *["export"] * 6,
    ]
    assert len({row["actor"] for row in rows}) == 1 and rows[0]["actor"]
    log = json.loads(_run("--db", str(folder / "netfund.db"), "log", "--json").stdout)
    # The log of 2026: the trail's entries and the trail's own export; then the portal's
    # demo logins (added after the exports, of no period).
    exported = [entry for entry in log if "2026" in entry["periods"]]
    assert [entry["seq"] for entry in exported[:-1]] == [row["seq"] for row in rows]
    assert exported[-1]["details"]["kind"] == "audit-trail"
    logins = [entry for entry in log if entry["seq"] > exported[-1]["seq"]]
    assert [entry["event"] for entry in logins] == ["user"] * 8


def test_the_demos_portal_logins_sign_in_with_the_password_it_prints(demo) -> None:  # type: ignore[no-untyped-def]
    from netfund.ledger import check_password, connect

    folder, summary = demo
    portal = summary["portal"]
    assert portal["start"].endswith(f"--db {folder.name}/netfund.db serve"), portal["start"]
    engine = connect(f"sqlite:///{folder / 'netfund.db'}")
    try:
        for login in portal["logins"]:
            user = check_password(engine, login["name"], portal["password"])
            assert user is not None, login
            assert (user.role, user.funder) == (login["role"], login["funder"])
            assert check_password(engine, login["name"], "not-the-demo-password") is None
    finally:
        engine.dispose()
    funders = {login["funder"] for login in portal["logins"] if login["role"] == "funder"}
    assert funders == set(FUNDERS)


def test_running_the_demo_again_gives_the_same_ledger_and_statements(
    demo,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    folder, summary = demo
    again = _run("demo", str(tmp_path / "second"), "--json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["fingerprint"] == summary["fingerprint"]
    for name in ("2026-ZONMW.nl.pdf", "2026-GEM-SANIVELD-WMO.nl.pdf"):
        first_bytes = (folder / "statements" / name).read_bytes()
        assert (tmp_path / "second" / "statements" / name).read_bytes() == first_bytes
    # And over the same folder: the earlier run's files are replaced, not added to.
    replaced = _run("demo", str(tmp_path / "second"), "--json")
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads(replaced.stdout)["transactions"] == 350


def test_the_demo_never_writes_into_a_folder_it_did_not_make(tmp_path: Path) -> None:
    mine = tmp_path / "my-files"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = _run("demo", str(mine))
    assert result.returncode == 2
    assert f"{mine}: is not empty and was not made by netfund demo" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def _through_a_terminal(*args: str, cwd: Path, stream: str = "stdout") -> str:
    """Run netfund with ``stream`` (stdout or stderr) on a pseudo-terminal, as in a user's
    shell, the other one piped; return what the terminal showed."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    env.pop("NETFUND_DB", None)
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: secondary}
    process = subprocess.Popen([*NETFUND, *args], cwd=cwd, env=env, **streams)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    process.communicate(timeout=60)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_a_terminal_gets_rich_tables_and_a_pipe_plain_text(demo) -> None:  # type: ignore[no-untyped-def]
    folder, _ = demo
    db = str(folder / "netfund.db")
    shown = _through_a_terminal("--db", db, "status", cwd=folder)
    assert "┃" in shown or "│" in shown  # box drawing: a rich table
    assert "WG-JEUGD-NOORD" in shown
    piped = _run("--db", db, "status")
    assert piped.returncode == 0
    assert "│" not in piped.stdout and "\x1b[" not in piped.stdout  # no boxes, no colour codes
    overspent = next(line for line in piped.stdout.splitlines() if line.startswith("WG-JEUGD"))
    assert overspent.rstrip().endswith("!")  # the mark survives the pipe


def test_an_import_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    events = str(EXAMPLE / "events.csv")
    assert _run("--db", db, "init", str(EXAMPLE / "network.toml")).returncode == 0
    shown = _through_a_terminal("--db", db, "import", events, cwd=tmp_path, stream="stderr")
    assert "import" in shown and "42/42" in shown  # the bar reached the end
    again = _run("--db", db, "import", events)  # stderr piped: no bar, nothing on stderr
    assert again.returncode == 0 and again.stderr == ""


@pytest.mark.skipif(not (BIN / "netfund").exists(), reason="the netfund program is not installed")
def test_every_command_the_demo_suggests_runs_and_shows_something(tmp_path: Path) -> None:
    """The "next:" lines are pasted into a shell as they stand (a folder name with a space
    too) and each shows what it promises; the PDF line names a statement the demo wrote."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    ran = shell(f"{BIN / 'netfund'} demo 'my demo'", tmp_path, env)
    assert ran.returncode == 0, ran.stderr
    bank = ran.stdout.split("\nthe bank:\n")[1].split("\n\n")[0]
    assert "NL17 INGB 0007 0812 96 (Stichting Netwerkfonds Saniveld): EUR 1,988,138.60" in bank
    assert "ledger (Assets:Bank): EUR 1,988,138.60; difference EUR 0.00: reconciled" in bank
    assert "307 lines of 12 statements: 36 booked" in bank and ", 0 unmatched" in bank
    suggested = ran.stdout.split("\nnext:\n")[1].split("\n\n")[0].splitlines()
    assert all(line.startswith("  - ") for line in suggested)
    *commands, viewer = [line.removeprefix("  - ") for line in suggested]
    assert [shlex.split(line)[3] for line in commands] == [
        *("status", "balance", "bank", "indicators", "verify-statement")
    ]
    shown = {}
    for line in commands:
        assert line.startswith(f"{BIN / 'netfund'} --db 'my demo/netfund.db' ")
        completed = shell(line, tmp_path, env)
        assert completed.returncode == 0, (line, completed.stderr)
        assert completed.stderr == "", line  # no warning of a library reaches the user
        shown[shlex.split(line)[3]] = completed.stdout
    assert "WG-JEUGD-NOORD" in shown["status"] and "warning(s)" in shown["status"]
    bank = re.search(r"^Assets:Bank +([\d,]+\.\d\d)$", shown["balance"], re.M)
    assert bank is not None and bank[1] == "1,988,138.60"  # not a column of 0.00
    assert "reconciled as of 2026-12-31: the ledger and the bank agree" in shown["bank"]
    assert "6 moved away from their reference point" in shown["indicators"]
    assert "WACHTTIJD-VOORDEUR" in shown["indicators"] and "Indicators beside" in shown["status"]
    assert re.search(r"verified: .* all \d+ figures equal the ledger's", shown["verify-statement"])
    pdf = "my demo/statements/2026-GEM-SANIVELD-WMO.nl.pdf"
    assert f"'{pdf}'" in viewer and (tmp_path / pdf).read_bytes().startswith(b"%PDF")
    assert viewer == demo_module.viewer_line(f"'{pdf}'")  # this platform's opener
    # Then the portal: its command starts the portal on the demo's ledger (--check: ready,
    # without serving), and the demo's password signs in (test_the_demos_portal_logins...).
    serve, sign_in = [
        line.removeprefix("  - ") for line in ran.stdout.split("\nthe portal:\n")[1].splitlines()
    ]
    assert serve == f"{BIN / 'netfund'} --db 'my demo/netfund.db' serve"
    ready = shell(f"{serve} --check", tmp_path, env)
    assert ready.returncode == 0 and "ready to serve" in ready.stdout, ready.stderr
    assert demo_module.DEMO_PASSWORD in sign_in and "zonmw" in sign_in


@pytest.mark.parametrize(
    ("platform", "installed", "expected"),
    [
        ("darwin", None, "open a.pdf"),
        ("linux", "/usr/bin/xdg-open", "xdg-open a.pdf"),
        ("linux", None, "a.pdf is a PDF: open it in a PDF viewer"),
        ("freebsd14", "/usr/local/bin/xdg-open", "xdg-open a.pdf"),
        ("win32", None, 'start "" a.pdf'),
    ],
)
def test_the_pdf_is_opened_with_the_platforms_own_opener(
    platform: str, installed: str | None, expected: str
) -> None:
    seen: list[str] = []

    def which(name: str) -> str | None:
        seen.append(name)
        return installed

    assert demo_module.viewer_line("a.pdf", platform, which) == expected
    assert seen in ([], ["xdg-open"])
