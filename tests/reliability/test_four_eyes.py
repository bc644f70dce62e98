"""Four eyes under attack (issue 17), on SQLite and PostgreSQL.

Each attempt to get money moved by one person, or to make one approval count twice, is
refused with nothing written, or (when written around netfund's checks, with a correct hash
chain) found by `verify` (exit 4). The attempts: the proposer approving (through the CLI,
and through the library past `approve`'s own check), an approval with other arguments than
proposed, one approval used twice, an approval of a rejected proposal, an approval after the
ledger changed the drafts (all refused); a decision copied onto another proposal, the
proposer's approval, a second decision, a write claiming an unapproved proposal, each
written around netfund (all found by verify).
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.allocation.service import commit_run
from netfund.ledger import (
    LedgerError,
    ProposalRecorded,
    approve,
    close_period,
    connect,
    list_proposals,
)
from netfund.ledger.store.database import writing
from netfund.ledger.store.records import append_record, transaction_head, verified_records
from sqlalchemy import Engine

from tests.conftest import EXAMPLE
from tests.support.people import People, people_of
from tests.support.reliability import run_cli, write_text

APPROVALS = '\n[approvals]\nallocation_commit = true\nclose = true\npost_above = "10000.00"\n'
DATE = datetime.date(2026, 1, 20)


@pytest.fixture
def people(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[People]:
    yield from people_of(db_url, monkeypatch)


@pytest.fixture
def proposed(db_url: str, tmp_path: Path, people: People) -> People:
    """The example year, four eyes required, run 1 solved and proposed for commit by alice."""
    network = EXAMPLE.joinpath("network.toml").read_text(encoding="utf-8") + APPROVALS
    for args in (
        ("init", str(write_text(tmp_path / "network.toml", network))),
        ("import", str(EXAMPLE / "events.csv")),
        ("allocate", str(EXAMPLE / "plan.toml")),
        ("allocate", "--commit", "1", "--date", DATE.isoformat()),
    ):
        result = run_cli(people.url("alice"), *args)
        assert result.exit_code == 0, (args, result.output)
    return people


def _as(people: People, name: str) -> Engine:
    return connect(people.url(name))


def _heads(db_url: str) -> tuple[Any, ...]:
    result = run_cli(db_url, "verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return report["transactions"], report["fingerprint"], report["records"]


def _refused(people: People, db_url: str, name: str, attempt: Any, reason: str) -> None:
    """``attempt(engine)`` as ``name`` raises a refusal naming ``reason``; nothing written."""
    before = _heads(db_url)
    engine = _as(people, name)
    try:
        with pytest.raises(LedgerError, match=reason):
            attempt(engine)
    finally:
        engine.dispose()
    assert _heads(db_url) == before


def _append_around(people: People, name: str, kind: str, content: dict[str, Any]) -> None:
    """A record appended as ``name`` with netfund's own chaining but none of its checks: an
    attacker with write access to the database (the hash chain is not a secret)."""
    engine = _as(people, name)
    try:
        with writing(engine) as connection:
            append_record(connection, kind, content, transaction_head(connection, lock=True))
    finally:
        engine.dispose()


def _records(db_url: str, kind: str) -> list[Any]:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return [r for r in verified_records(connection) if r.kind == kind]
    finally:
        engine.dispose()


def _verify_finds(db_url: str, words: str) -> None:
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert words in result.output, result.output


def test_the_proposer_cannot_approve_their_own_proposal(proposed: People, db_url: str) -> None:
    before = _heads(db_url)
    result = run_cli(proposed.url("alice"), "approve", "1")
    assert result.exit_code == 2 and "another person must approve it" in result.output
    assert _heads(db_url) == before
    # Past approve()'s check, straight onto the writing path: the gate refuses under the lock.
    _refused(
        proposed,
        db_url,
        "alice",
        lambda engine: commit_run(engine, "1", date=DATE, approving=1),
        "another person must approve it",
    )
    engine = _as(proposed, "bob")
    try:
        assert [p.status for p in list_proposals(engine)] == ["waiting"]
    finally:
        engine.dispose()


def test_an_approval_carries_out_exactly_the_proposal(proposed: People, db_url: str) -> None:
    _refused(
        proposed,
        db_url,
        "bob",
        lambda engine: commit_run(engine, "1", date=DATE.replace(day=21), approving=1),
        "can only be approved as proposed",
    )
    engine = _as(proposed, "bob")
    try:
        report = approve(engine, 1, {"allocation-commit": _commit})
    finally:
        engine.dispose()
    assert report.approved_by == proposed.actor("bob")
    _refused(proposed, db_url, "bob", lambda e: approve(e, 1, _COMMITS), "approved already")
    _refused(proposed, db_url, "carol", lambda e: approve(e, 1, _COMMITS), "approved already")


def _commit(engine: Engine, arguments: Any, number: int) -> object:
    return commit_run(
        engine,
        arguments["run"],
        date=datetime.date.fromisoformat(arguments["date"]),
        approving=number,
    )


_COMMITS = {"allocation-commit": _commit}


def test_a_rejected_or_outdated_proposal_is_not_carried_out(
    proposed: People, db_url: str, tmp_path: Path
) -> None:
    result = run_cli(proposed.url("alice"), "reject", "1", "--reason", "wrong date")
    assert result.exit_code == 0, result.output
    _refused(proposed, db_url, "bob", lambda e: approve(e, 1, _COMMITS), "rejected already")
    # A close proposed, then a receipt booked: the close would now settle other amounts.
    engine = _as(proposed, "alice")
    try:
        with pytest.raises(ProposalRecorded) as made:
            close_period(engine, "2026", force=True, reason="books complete")
    finally:
        engine.dispose()
    assert made.value.number == 2
    late = "id,date,type,funder,group,amount,description,reference\n"
    late += "LATE,2026-12-01,receipt,ZONMW,,5.00,,\n"
    imported = run_cli(proposed.url("alice"), "import", str(write_text(tmp_path / "l.csv", late)))
    assert imported.exit_code == 0, imported.output
    _refused(proposed, db_url, "bob", lambda e: approve(e, 2), "the ledger changed since")


def test_a_decision_copied_onto_another_proposal_is_found(
    proposed: People, db_url: str, tmp_path: Path
) -> None:
    approved = run_cli(proposed.url("bob"), "approve", "1")
    assert approved.exit_code == 0, approved.output
    # Proposal 2: a post above the amount, waiting.
    big = ("--line", "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,20000.00")
    made = run_cli(
        proposed.url("alice"), "post", "BIG", "--date", "2026-05-01", "-d", "x", *big,
        "--line", "Assets:Bank,GEM-SANIVELD-WMO,,-20000.00",
    )  # fmt: skip
    assert made.exit_code == 0 and "proposal 2 recorded" in made.output, made.output
    [decision] = _records(db_url, "decision")
    # Bob's approval of proposal 1, replayed with proposal 2's number.
    _append_around(proposed, "bob", "decision", {**decision.content, "proposal": 2})
    # It does not approve proposal 2 (a decision joins the proposal record it names) ...
    engine = connect(db_url)
    try:
        assert [p.status for p in list_proposals(engine, every=True)] == ["approved", "waiting"]
    finally:
        engine.dispose()
    # ... and verify names it.
    _verify_finds(db_url, "a decision copied from another proposal")


def test_decisions_written_around_netfund_are_found(proposed: People, db_url: str) -> None:
    [proposal] = _records(db_url, "proposal")
    naming = {"proposal": 1, "proposal_seq": proposal.seq, "proposal_hash": proposal.hash}
    # The proposer's own approval, chained correctly, the checks of approve() skipped.
    _append_around(proposed, "alice", "decision", {**naming, "decision": "approve", "at": "x"})
    _verify_finds(db_url, "was approved by its proposer")


def test_a_second_decision_and_an_unapproved_write_are_found(proposed: People, db_url: str) -> None:
    [proposal] = _records(db_url, "proposal")
    naming = {"proposal": 1, "proposal_seq": proposal.seq, "proposal_hash": proposal.hash}
    _append_around(proposed, "bob", "decision", {**naming, "decision": "reject", "at": "x"})
    _append_around(proposed, "carol", "decision", {**naming, "decision": "approve", "at": "y"})
    _verify_finds(db_url, "decides proposal 1 a second time")


def test_a_write_claiming_an_unapproved_proposal_is_found(proposed: People, db_url: str) -> None:
    _append_around(
        proposed,
        "alice",
        "write",
        {"action": "allocation-commit", "arguments": {}, "proposal": 1, "at": "x"},
    )
    _verify_finds(db_url, "which no approval before it approved")


def test_two_approvers_at_once_carry_it_out_once(proposed: People, db_url: str) -> None:
    """Both pass `approve`'s first look; the chain lock lets one decide, the other is refused."""
    engines = [_as(proposed, "bob"), _as(proposed, "carol")]
    outcomes: list[str] = []

    def attempt(engine: Engine) -> None:
        try:
            approve(engine, 1, _COMMITS)
            outcomes.append("approved")
        except LedgerError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=attempt, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert sorted(outcomes)[0] == "approved" and len(outcomes) == 2, outcomes
    assert "approved already" in sorted(outcomes)[1], outcomes
    assert len(_records(db_url, "decision")) == 1
    assert run_cli(db_url, "verify").exit_code == 0


def _around_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes as netfund's own code makes them, but with the four-eyes gate off: what a login
    that may write the tables (an administrator with psql) can produce around netfund, with
    correct hashes and a write record in its own name."""
    from netfund.ledger.store import approvals

    monkeypatch.setattr(approvals.Gate, "passed", lambda self, unit: self.action)


def test_an_allocation_committed_around_the_four_eyes_rule_is_found(
    proposed: People, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice, tired of waiting, commits run 1 herself around netfund's gate: every hash and
    the audit trail hold (her transaction, her write record), so only the network's rule
    read back from the records chain can say it was not approved."""
    engine = _as(proposed, "alice")
    try:
        with monkeypatch.context() as around:
            _around_the_gate(around)
            commit_run(engine, "1", DATE)
    finally:
        engine.dispose()
    _verify_finds(db_url, "reserves for two people, but write record")


def test_a_close_written_around_the_four_eyes_rule_is_found(
    proposed: People, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netfund.ledger import close_period

    engine = _as(proposed, "alice")
    try:
        with monkeypatch.context() as around:
            _around_the_gate(around)
            close_period(engine, "2026", force=True, reason="alone", today=DATE)
    finally:
        engine.dispose()
    _verify_finds(db_url, "the network reserves a close for two people")


def test_what_four_eyes_did_not_reserve_then_is_not_found_later(
    db_url: str, tmp_path: Path, people: People
) -> None:
    """A commit made by one person while the network asked for one is not made wrong by a
    version recorded afterwards that asks for two, from that year on."""
    url = people.url("alice")
    for args in (
        ("init", str(EXAMPLE / "network.toml")),
        ("import", str(EXAMPLE / "events.csv")),
        ("allocate", str(EXAMPLE / "plan.toml")),
        ("allocate", "--commit", "1", "--date", DATE.isoformat()),
    ):
        assert run_cli(url, *args).exit_code == 0, args
    four_eyes = str(EXAMPLE / "four-eyes.toml")
    assert run_cli(url, "network", "apply", four_eyes, "--from", "2026").exit_code == 0
    assert run_cli(url, "verify").exit_code == 0
