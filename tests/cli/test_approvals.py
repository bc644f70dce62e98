"""Four-eyes approvals through the CLI (issue 17), on SQLite and PostgreSQL.

The example network with an ``[approvals]`` table: an allocation commit, a close, a reopen,
a post or reversal above 10,000.00 become proposals; another person approves them (the
proposer is refused) or anyone rejects them; `proposals` lists them; the statement names
who proposed and approved each allocation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from netfund.ledger import connect
from netfund.ledger.store.records import verified_records
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import select

from tests.conftest import EXAMPLE
from tests.support.people import People, people_of
from tests.support.reliability import run_cli, write_text
from tests.support.statements import page_texts

APPROVALS = """
[approvals]
allocation_commit = true
close = true
reopen = true
post_above = "10000.00"
reverse_above = "10000.00"
"""
BIG_POST = (
    "--line",
    "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,20000.00",
    "--line",
    "Assets:Bank,GEM-SANIVELD-WMO,,-20000.00",
)
SMALL_POST = (
    "--line",
    "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,12.50",
    "--line",
    "Assets:Bank,GEM-SANIVELD-WMO,,-12.50",
)


@pytest.fixture
def people(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[People]:
    yield from people_of(db_url, monkeypatch)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path, people: People) -> People:
    """The example network, four eyes required, its year imported and one run solved."""
    network = EXAMPLE.joinpath("network.toml").read_text(encoding="utf-8") + APPROVALS
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", network)))
    _ok(people.url("alice"), "import", str(EXAMPLE / "events.csv"))
    _ok(people.url("alice"), "allocate", str(EXAMPLE / "plan.toml"))
    return people


def _ok(url: str, *args: str) -> Result:
    result = run_cli(url, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


def _json(url: str, *args: str) -> object:
    return json.loads(_ok(url, *args, "--json").stdout)


def _state(db_url: str) -> tuple[int, str, int, str]:
    """Both chains' heads: what a refused command leaves as it was."""
    report = _json(db_url, "verify")
    assert isinstance(report, dict)
    return (
        report["transactions"],
        report["fingerprint"],
        report["records"],
        report["records_fingerprint"],
    )


def _refused(url: str, db_url: str, *args: str, reason: str) -> None:
    before = _state(db_url)
    result = run_cli(url, *args)
    assert result.exit_code == 2, (args, result.output)
    assert reason in result.output, result.output
    assert "Traceback" not in result.output
    assert _state(db_url) == before


def _records(db_url: str, kind: str) -> list[dict]:  # type: ignore[type-arg]
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return [r.content for r in verified_records(connection) if r.kind == kind]
    finally:
        engine.dispose()


def _actor_of(db_url: str, external_id: str) -> str | None:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            t = transactions_table.c
            return connection.execute(
                select(t.actor).where(t.external_id == external_id)
            ).scalar_one_or_none()
    finally:
        engine.dispose()


def test_an_allocation_commit_waits_for_another_person(ledger: People, db_url: str) -> None:
    before = _state(db_url)
    proposed = _json(ledger.url("alice"), "allocate", "--commit", "latest")
    assert isinstance(proposed, dict)
    assert (proposed["proposal"], proposed["status"]) == (1, "waiting")
    # "latest" and the default date are recorded as performed: run 1, today's date in 2026.
    assert proposed["arguments"]["run"] == "1" and proposed["arguments"]["date"]
    assert proposed["summary"]["external_ids"] == ["netfund:allocation-run:1"]
    assert proposed["by"] == ledger.actor("alice")
    assert _state(db_url)[:2] == before[:2]  # not one transaction posted
    assert _actor_of(db_url, "netfund:allocation-run:1") is None

    waiting = _json(ledger.url("alice"), "proposals")
    assert [(p["proposal"], p["action"], p["status"]) for p in waiting] == [
        (1, "allocation-commit", "waiting")
    ]
    _refused(ledger.url("alice"), db_url, "approve", "1", reason="another person must approve it")

    approved = _json(ledger.url("bob"), "approve", "1")
    assert approved["approved_by"] == ledger.actor("bob")
    assert approved["proposed_by"] == ledger.actor("alice")
    assert approved["outcome"]["external_id"] == "netfund:allocation-run:1"
    assert _actor_of(db_url, "netfund:allocation-run:1") == ledger.actor("bob")
    writes = [w for w in _records(db_url, "write") if w["action"] == "allocation-commit"]
    assert [w.get("proposal") for w in writes] == [1]
    decision = _records(db_url, "decision")[0]
    assert (decision["decision"], decision["by"]) == ("approve", ledger.actor("bob"))

    assert _json(ledger.url("bob"), "proposals") == []
    [done] = _json(ledger.url("bob"), "proposals", "--all")  # type: ignore[misc]
    assert done["status"] == "approved" and done["decision"]["by"] == ledger.actor("bob")
    assert done["transactions"]["first"] == done["transactions"]["last"]
    _refused(ledger.url("bob"), db_url, "approve", "1", reason="was approved already")
    _refused(ledger.url("bob"), db_url, "approve", "7", reason="there is no proposal 7")
    _ok(ledger.url("bob"), "verify")


def test_the_statement_says_who_proposed_and_who_approved(
    ledger: People, db_url: str, tmp_path: Path
) -> None:
    _ok(ledger.url("alice"), "allocate", "--commit", "latest", "--date", "2026-01-20")
    _ok(ledger.url("bob"), "approve", "1")
    out = tmp_path / "statements"
    _ok(ledger.url("bob"), "statements", "--period", "2026", "--out", str(out), "--lang", "en")
    [pdf] = sorted(out.glob("2026-ZONMW*.pdf"))
    words = " ".join(" ".join(page_texts(pdf)).split())
    assert "Allocation decisions" in words
    assert f"proposed by {ledger.actor('alice')} on" in words
    assert f"approved by {ledger.actor('bob')} on" in words
    _ok(ledger.url("bob"), "verify-statement", str(pdf))


def test_reject_ends_a_proposal_and_the_proposer_may_withdraw(ledger: People, db_url: str) -> None:
    proposed = _json(ledger.url("alice"), "close", "2026", "--force", "--reason", "books complete")
    assert proposed["action"] == "close" and proposed["reason"] == "books complete"
    missing = run_cli(ledger.url("alice"), "reject", "1")
    assert missing.exit_code == 2 and "--reason" in missing.output
    rejected = _json(ledger.url("alice"), "reject", "1", "--reason", "one more invoice to come")
    assert (rejected["status"], rejected["by"]) == ("rejected", ledger.actor("alice"))
    _refused(ledger.url("bob"), db_url, "approve", "1", reason="was rejected already")
    # The period stays open: what is dated in it is still accepted.
    _ok(
        ledger.url("alice"), "post", "LATE-1", "--date", "2026-12-01", "-d", "late fee", *SMALL_POST
    )
    [done] = _json(ledger.url("alice"), "proposals", "--all")  # type: ignore[misc]
    assert done["decision"]["reason"] == "one more invoice to come"


def test_close_and_reopen_each_need_a_second_person(ledger: People, db_url: str) -> None:
    _ok(ledger.url("alice"), "close", "2026", "--force", "--reason", "books complete")
    _json(ledger.url("bob"), "approve", "1")
    status = run_cli(
        ledger.url("alice"), "post", "LATE-2", "--date", "2026-12-01", "-d", "x", *SMALL_POST
    )
    assert status.exit_code == 2 and "closed" in status.output
    proposed = _json(ledger.url("alice"), "reopen", "2026", "--reason", "a late invoice")
    assert proposed["proposal"] == 2 and proposed["action"] == "reopen"
    _json(ledger.url("bob"), "approve", "2")
    _ok(ledger.url("alice"), "post", "LATE-2", "--date", "2026-12-01", "-d", "x", *SMALL_POST)
    closes = _records(db_url, "close")
    assert [(c["event"], c["by"]) for c in closes] == [
        ("close", ledger.actor("bob")),
        ("reopen", ledger.actor("bob")),
    ]
    _ok(ledger.url("alice"), "verify")


def test_posts_and_reversals_above_the_amount_need_a_second_person(
    ledger: People, db_url: str
) -> None:
    small = _json(
        ledger.url("alice"), "post", "FIX-S", "--date", "2026-03-31", "-d", "bank fee", *SMALL_POST
    )
    assert small["posted"] == 1  # 12.50 is below the amount: posted at once
    big = _json(
        ledger.url("alice"), "post", "FIX-B", "--date", "2026-03-31", "-d", "reclass", *BIG_POST
    )
    assert big["status"] == "waiting" and big["summary"]["debit_cents"] == 2_000_000
    assert _actor_of(db_url, "FIX-B") is None
    reversed_small = _json(ledger.url("alice"), "reverse", "FIX-S")
    assert reversed_small["reversal"].endswith("FIX-S")
    # The steering group's EUR 40,000.00 of ZonMw's money for RG-DATA (events.csv).
    proposed = _json(ledger.url("alice"), "reverse", "2026-A-ZONMW-RG-DATA")
    assert proposed["proposal"] == 2 and proposed["arguments"]["date"] == "2026-01-13"
    _ok(ledger.url("bob"), "approve", "2")
    _ok(ledger.url("bob"), "approve", "1")
    assert _actor_of(db_url, "FIX-B") == ledger.actor("bob")
    assert _actor_of(db_url, "netfund:reversal:2026-A-ZONMW-RG-DATA") == ledger.actor("bob")
    assert [w.get("proposal") for w in _records(db_url, "write")][-2:] == [2, 1]
    _ok(ledger.url("bob"), "verify")


def test_an_approval_is_refused_when_the_ledger_moved_under_the_proposal(
    ledger: People, db_url: str, tmp_path: Path
) -> None:
    _ok(ledger.url("alice"), "close", "2026", "--force", "--reason", "books complete")
    # A receipt after the proposal changes what closing settles: the drafts differ now.
    late = "id,date,type,funder,group,amount,description,reference\n"
    late += "2026-LATE,2026-12-01,receipt,ZONMW,,500.00,late receipt,\n"
    _ok(ledger.url("alice"), "import", str(write_text(tmp_path / "late.csv", late)))
    _refused(
        ledger.url("bob"),
        db_url,
        "approve",
        "1",
        reason="the ledger changed since proposal 1 was made",
    )
    [waiting] = _json(ledger.url("alice"), "proposals")  # type: ignore[misc]
    assert waiting["status"] == "waiting"
    _ok(ledger.url("alice"), "reject", "1", "--reason", "superseded")
    _ok(ledger.url("alice"), "close", "2026", "--force", "--reason", "books complete")
    _ok(ledger.url("bob"), "approve", "2")


def test_a_network_without_approvals_lets_one_person_do_everything(
    db_url: str, people: People
) -> None:
    _ok(db_url, "init", str(EXAMPLE / "network.toml"))
    _ok(people.url("alice"), "import", str(EXAMPLE / "events.csv"))
    _ok(people.url("alice"), "allocate", str(EXAMPLE / "plan.toml"))
    committed = _json(people.url("alice"), "allocate", "--commit", "latest", "--date", "2026-01-20")
    assert committed["external_id"] == "netfund:allocation-run:1"
    assert _json(people.url("alice"), "proposals", "--all") == []
    assert "proposal" not in _records(db_url, "write")[-1]
