"""The audit trail (issue 17, item 4): who did what and when, from the records chain.

One year of the test network, every kind of action through the CLI, then the trail read back
through the library, ``netfund log`` and the auditors' export; a second person (another
PostgreSQL login, another OS user on SQLite) filtered by ``--actor``; proposals, approvals,
rejections and grants rendered from records in the agreed formats; records from before
identities were recorded shown as by an unknown actor.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from netfund.ledger import audit_trail
from netfund.ledger.audit import PeriodIndex, _entries
from netfund.ledger.store.database import connect, writing
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import Record, append_record, canonical_text, transaction_head
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.people import People
from tests.support.records import rewrite_records
from tests.support.reliability import PLAN, drop_guards, run_cli, write_text

EVENTS = """\
c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1
r-gem,2026-01-20,receipt,GEM,,1000.00,Betaling,BANK-1
c-zvk,2026-01-05,commitment,ZVK,,500.00,Toezegging,B-2
"""
EVENTS_2027 = "c-gem-27,2027-01-05,commitment,GEM,,800.00,Toezegging 2027,B-27\n"


def _ok(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def _me(db_url: str) -> str:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return current_actor(connection)
    finally:
        engine.dispose()


def _trail(db_url: str, **filters: Any) -> list[Any]:
    engine = connect(db_url)
    try:
        return audit_trail(engine, **filters)
    finally:
        engine.dispose()


def _year(db_url: str, folder: Path) -> None:
    """Every kind of write, an allocation run, an export, a close and reopen, a network
    change and a second year's import."""
    _ok(db_url, "init", str(write_text(folder / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(folder / "e.csv", EVENTS_HEADER + EVENTS)))
    _ok(db_url, "allocate", str(write_text(folder / "plan.toml", PLAN)))
    _ok(db_url, "allocate", "--commit", "latest", "--date", "2026-02-01")
    line = ("--line", "Expenses:WG-B,GEM,WG-B,12.50", "--line", "Assets:Bank,GEM,,-12.50")
    _ok(db_url, "post", "FIX-1", "--date", "2026-03-31", "-d", "fee", *line)
    _ok(db_url, "reverse", "FIX-1")
    _ok(db_url, "export", "journal", "--format", "csv", "--out", str(folder / "j.csv"))
    _ok(db_url, "close", "2026", "--force", "--reason", "closed early in a test")
    _ok(db_url, "reopen", "2026", "--reason", "a late invoice")
    changed = write_text(folder / "n2.toml", NETWORK_TOML.replace("0.15", "0.12"))
    _ok(db_url, "network", "apply", str(changed), "--from", "2027", "--reason", "cap")
    _ok(db_url, "import", str(write_text(folder / "e27.csv", EVENTS_HEADER + EVENTS_2027)))


def test_every_action_is_one_entry_naming_who_and_when(db_url: str, tmp_path: Path) -> None:
    _year(db_url, tmp_path)
    entries = _trail(db_url)
    assert [entry.event for entry in entries] == [
        "network change",
        "import",
        "allocation run",
        "allocation commit",
        "post",
        "reverse",
        "export",
        "close",
        "reopen",
        "network change",
        "import",
    ]
    me = _me(db_url)
    assert {entry.actor for entry in entries} == {me}
    assert all(entry.at and entry.at.startswith("20") for entry in entries)
    # A close writes a close record and a write record: one entry, the lock its detail.
    close = entries[7]
    assert close.details["lock"]["event"] == "close" and close.details["lock"]["period"] == "2026"
    assert "closed early in a test" in close.summary
    assert entries[8].details["lock"]["event"] == "reopen"
    assert close.seq == entries[8].seq - 2  # the reopen's lock record lies between
    # The writes' transaction ranges run on without gap, from 1 to the chain's end.
    ranges = [(e.first_txn, e.last_txn) for e in entries if e.first_txn is not None]
    assert ranges[0][0] == 1
    assert all(after[0] == before[1] + 1 for before, after in itertools.pairwise(ranges))
    assert entries[4].summary == "post FIX-1 dated 2026-03-31: fee"
    assert entries[2].summary.startswith("allocation run 1 for 2026")
    assert entries[6].summary.startswith("export 1: journal (csv), all periods")
    assert (
        entries[9].summary.startswith("network version 2 from 2027")
        and "(cap)" in entries[9].summary
    )
    assert entries[10].periods == ("2027",)
    # The library, netfund log --json and the filters agree.
    logged = _ok(db_url, "log", "--json")
    assert [row["seq"] for row in logged] == [entry.seq for entry in entries]
    assert logged[1]["details"]["arguments"]["file"].endswith("e.csv")
    in_2027 = _ok(db_url, "log", "--period", "2027", "--json")
    assert [row["event"] for row in in_2027] == [
        "close",  # the carry-over openings are dated 2027
        "reopen",
        "network change",
        "import",
    ]
    assert _ok(db_url, "log", "--actor", "nobody-at-all", "--json") == []
    text_output = _ok(db_url, "log", "--period", "2026")
    assert "audit trail: " in text_output and "allocation commit" in text_output
    assert "no entries for these filters" in _ok(db_url, "log", "--period", "2031")


def test_a_second_person_is_named_and_filtered(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(tmp_path / "e.csv", EVENTS_HEADER + EVENTS)))
    people = People(db_url, monkeypatch)  # another login on PostgreSQL, OS user on SQLite
    try:
        other_url, other = people.url("other"), people.actor("other")
        _ok(other_url, "import", str(write_text(tmp_path / "e27.csv", EVENTS_HEADER + EVENTS_2027)))
        monkeypatch.undo()
        _check_second_person(db_url, other)
    finally:
        people.close()


def _check_second_person(db_url: str, other: str) -> None:
    me = _me(db_url)
    assert me != other
    theirs = _trail(db_url, actor=other)
    assert [(e.event, e.first_txn, e.last_txn) for e in theirs] == [("import", 4, 4)]
    assert all(e.actor == me for e in _trail(db_url, actor=me))
    assert len(_trail(db_url, actor=me)) == 2
    # Each transaction lies in the write record of the person it names.
    verified = _ok(db_url, "verify", "--json")
    assert verified["audit_trail"] == {
        "writes": 2,
        "first_covered_transaction": 1,
        "covered_transactions": 4,
        "transactions_without_actor": 0,
        "exports": 0,
    }


def test_people_taking_turns_are_each_held_to_their_writes(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Me, the other person, me again: an actor's transactions no longer fill one block, so
    verify finds the runs of one actor with its window query. A write record re-attributed
    to the other person (the records chain re-hashed, the trigger dropped) is found there."""
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(tmp_path / "e.csv", EVENTS_HEADER + EVENTS)))
    people = People(db_url, monkeypatch)  # another login on PostgreSQL, OS user on SQLite
    try:
        _people_taking_turns(db_url, tmp_path, people, monkeypatch)
    finally:
        people.close()


def _people_taking_turns(
    db_url: str, tmp_path: Path, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_url, other = people.url("other"), people.actor("other")
    _ok(other_url, "import", str(write_text(tmp_path / "f.csv", EVENTS_HEADER + EVENTS_2027)))
    monkeypatch.undo()
    line = ("--line", "Expenses:WG-B,GEM,WG-B,12.50", "--line", "Assets:Bank,GEM,,-12.50")
    _ok(db_url, "post", "FIX-1", "--date", "2026-03-31", "-d", "fee", *line)
    assert [(e.actor == other, e.first_txn) for e in _trail(db_url)[1:]] == [
        (False, 1),
        (True, 4),
        (False, 5),
    ]
    assert _ok(db_url, "verify", "--json")["audit_trail"]["covered_transactions"] == 5

    def claimed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        row = rows[-1]  # the post's write record
        row["content"] = canonical_text({**json.loads(row["content"]), "by": other})
        row["actor"] = other
        return rows

    engine = connect(db_url)
    try:
        drop_guards(engine)
        with engine.begin() as connection:
            rewrite_records(connection, claimed)
    finally:
        engine.dispose()
    if make_url(db_url).get_backend_name() == "sqlite":
        Path(make_url(db_url).database + ".checkpoints").unlink()  # it would name the rewrite
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert "transaction 5 names" in result.output and f"{other!r}" in result.output


def _append(engine: Engine, kind: str, content: dict[str, Any]) -> Record:
    with writing(engine) as connection:
        return append_record(connection, kind, content, transaction_head(connection))


def test_proposals_decisions_and_grants_are_entries(engine: Engine, tmp_path: Path) -> None:
    """Records in the formats agreed with the approvals helper and the lead, appended by hand:
    each is an entry of its own, and verify holds them to the four-eyes rules."""
    summary = {"transactions": 1, "debit_cents": 1_250_000, "external_ids": ["FIX-9"]}
    proposal = _append(
        engine,
        "proposal",
        {
            "proposal": 1,
            "action": "post",
            "arguments": {"id": "FIX-9", "date": "2026-04-01", "description": "big fix"},
            "summary": summary,
            "drafts_sha256": "ab" * 32,
            "at": "2026-04-01T09:00:00+00:00",
        },
    )
    decision = {"proposal": 1, "proposal_seq": proposal.seq, "proposal_hash": proposal.hash}
    _append(
        engine, "decision", {**decision, "decision": "approve", "at": "2026-04-02T10:00:00+00:00"}
    )
    _append(
        engine,
        "decision",
        {**decision, "decision": "reject", "reason": "twice", "at": "2026-04-03T10:00:00+00:00"},
    )
    _append(
        engine,
        "grant",
        {"login": "els", "role": "controller", "funder": None, "at": "2026-04-04T08:00:00+00:00"},
    )
    entries = audit_trail(engine)
    assert [e.event for e in entries] == [
        "network change",
        "proposal",
        "approval",
        "rejection",
        "grant",
    ]
    assert entries[1].summary == (
        "proposal 1: post (id FIX-9, date 2026-04-01), 1 transaction, debits 12,500.00"
    )
    assert entries[2].summary == "proposal 1 approved"
    assert entries[3].summary == "proposal 1 rejected (twice)"
    assert entries[2].periods == entries[3].periods == ("2026",)  # the proposal's
    assert entries[4].summary == "grant role controller to els" and entries[4].periods == ()
    assert [e.at for e in entries[1:]] == [
        "2026-04-01T09:00:00+00:00",
        "2026-04-02T10:00:00+00:00",
        "2026-04-03T10:00:00+00:00",
        "2026-04-04T08:00:00+00:00",
    ]
    assert [e.event for e in audit_trail(engine, period="2026")] == [
        "proposal",
        "approval",
        "rejection",
    ]
    # Made by hand and by one person, these decisions are what four eyes forbid: verify holds
    # the records to the rules (the real flow, two people: tests/cli/test_approvals.py).
    from netfund.ledger import VerificationError, verify

    with pytest.raises(VerificationError, match="proposal 1 was approved by its proposer"):
        verify(engine)


def test_a_write_that_carries_out_a_proposal_says_so() -> None:
    write = Record(
        seq=2,
        kind="write",
        content={
            "action": "allocation-commit",
            "arguments": {"run": 3, "date": "2026-02-01"},
            "source": "allocation run 3",
            "posted": 1,
            "skipped": 0,
            "first_txn": 5,
            "last_txn": 5,
            "proposal": 4,
            "at": "2026-02-02T08:00:00+00:00",
            "by": "els",
        },
        transaction_head=5,
        hash="h",
        actor="els",
    )
    (entry,) = _entries([write], PeriodIndex((1,), ("2026",)))
    assert entry.summary == (
        "commit allocation run 3 dated 2026-02-01: 1 transaction (carries out proposal 4)"
    )
    assert (entry.event, entry.actor, entry.periods) == ("allocation commit", "els", ("2026",))


def test_records_from_before_actors_show_what_they_say_and_unknown_otherwise() -> None:
    """Before migration 0010 records had no actor: a network version or a close says by
    and at in its content (shown), a run says neither (unknown); a migration's takeover says
    so."""
    records = [
        Record(
            1, "network", {"version": 1, "network": {}, "recorded_by": "migration 0007"}, 0, "a"
        ),
        Record(2, "run", {"run": 1, "period": "2025", "status": "optimal"}, 4, "b"),
        Record(
            3,
            "close",
            {"period": "2025", "last_txn_id": 9, "by": "piet", "at": "2026-01-03T10:00:00+00:00"},
            9,
            "c",
        ),
    ]
    entries = _entries(records, PeriodIndex((1,), ("2025",)))
    assert [(e.event, e.actor, e.at) for e in entries] == [
        ("network change", None, None),
        ("allocation run", None, None),
        ("close", "piet", "2026-01-03T10:00:00+00:00"),
    ]
    assert entries[0].summary.endswith("(taken over by migration 0007)")
    assert entries[0].periods == ("2025",)  # the version in force for the ledger's years


def test_the_period_index_reads_boundaries_not_rows() -> None:
    index = PeriodIndex((1, 5, 9, 12), ("2025", "2026", "2025", "2026"))
    assert index.between(1, 4) == {"2025"}
    assert index.between(4, 5) == {"2025", "2026"}
    assert index.between(6, 8) == {"2026"}
    assert index.between(10, 30) == {"2025", "2026"}
    assert index.between(3, 2) == set()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_auditors_export_holds_the_trail_and_is_itself_logged(
    db_url: str, tmp_path: Path, file_format: str
) -> None:
    _year(db_url, tmp_path)
    out = tmp_path / f"trail.{file_format}"
    written = _ok(
        db_url, "export", "audit-trail", "--format", file_format, "--period", "2026",
        "--out", str(out), "--json",
    )  # fmt: skip
    expected = _ok(db_url, "log", "--period", "2026", "--json")[:-1]  # less the export itself
    rows = _rows(out, file_format)
    assert written["rows"] == len(rows) == len(expected)
    assert [int(row["seq"]) for row in rows] == [entry["seq"] for entry in expected]
    assert [row["actor"] for row in rows] == [entry["actor"] for entry in expected]
    assert [row["event"] for row in rows] == [entry["event"] for entry in expected]
    assert json.loads(rows[1]["details"])["action"] == "import"
    assert rows[1]["record_hash"] == expected[1]["record_hash"]
    # The export is logged like every export: a row in the exports log and an export record.
    newest = _ok(db_url, "log", "--json")[-1]
    assert newest["event"] == "export" and newest["details"]["kind"] == "audit-trail"
    assert newest["details"]["file_sha256"] == written["file_sha256"]
    assert newest["details"]["export"] == written["export"]
    assert _ok(db_url, "verify", "--json")["audit_trail"]["exports"] == 2


def _rows(path: Path, file_format: str) -> list[dict[str, Any]]:
    if file_format == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_with_roles_each_person_is_in_the_trail_and_a_controller_logs_its_exports(
    tmp_path: Path,
) -> None:
    """PostgreSQL with `netfund roles install`: the administrator's import and the
    controller's export (the controller may write nothing but its exports' log and records)
    are entries by their own logins; a funder's login may not write an export record."""
    from tests.conftest import database_url
    from tests.support.logins import as_login, dropped_afterwards, login_name

    for owner in database_url("postgresql", tmp_path, prefix="trail"):
        _ok(owner, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
        _ok(owner, "roles", "install")
        logins = {job: login_name(job[:5]) for job in ("administrator", "controller", "funder")}
        with dropped_afterwards(owner, list(logins.values())):
            for job, login in logins.items():
                extra = ["--funder", "GEM"] if job == "funder" else []
                _ok(owner, "roles", "grant", login, "--role", job, *extra)
            admin, controller, funder = (as_login(owner, logins[job]) for job in logins)
            _ok(admin, "import", str(write_text(tmp_path / "e.csv", EVENTS_HEADER + EVENTS)))
            out = tmp_path / "trail.csv"
            _ok(controller, "export", "audit-trail", "--format", "csv", "--out", str(out))
            refused = run_cli(funder, "export", "journal", "--format", "csv", "--out", str(out))
            assert refused.exit_code == 2, refused.output
            entries = _trail(owner)
            by = {(entry.event, entry.actor) for entry in entries}
            assert ("import", logins["administrator"]) in by
            assert ("export", logins["controller"]) in by
            assert [e.event for e in _trail(owner, actor=logins["controller"])] == ["export"]
            grants = [e for e in entries if e.event == "grant"]
            assert {e.details["login"] for e in grants} == set(logins.values())
            assert all(e.summary.startswith("grant role ") for e in grants)
            assert _ok(owner, "verify", "--json")["audit_trail"]["exports"] == 1


def test_a_ledger_written_before_actors_is_covered_from_its_first_named_write(
    db_url: str, tmp_path: Path
) -> None:
    """Transactions from before schema 0010 name nobody and are in no write record; verify
    holds the trail from the first transaction that names its actor, and a NULL actor after
    it is still found (the next test file's attacks)."""
    from tests.support.before_actors import written_before_actors

    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    engine = connect(db_url)
    try:
        with written_before_actors(engine):
            _ok(db_url, "import", str(write_text(tmp_path / "e.csv", EVENTS_HEADER + EVENTS)))
    finally:
        engine.dispose()
    _ok(db_url, "import", str(write_text(tmp_path / "f.csv", EVENTS_HEADER + EVENTS_2027)))
    assert _ok(db_url, "verify", "--json")["audit_trail"] == {
        "writes": 1,
        "first_covered_transaction": 4,
        "covered_transactions": 1,
        "transactions_without_actor": 3,
        "exports": 0,
    }
    assert [(e.event, e.first_txn) for e in _trail(db_url)] == [
        ("network change", None),
        ("import", 4),
    ]
    assert "3 written before actors were recorded" in _ok(db_url, "verify")
