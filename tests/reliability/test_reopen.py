"""Closing early and reopening a closed year (issue 16, deliverable 1), on SQLite and PostgreSQL.

Before: `close 2026` on 2026-12-05 needed only `--early` and kept no reason; nothing could
reopen a year, so an expense dated 2026-12-20 was refused for good. Now an early close needs
`--force --reason TEXT`, which the close record keeps, and `netfund reopen YEAR --reason TEXT`
undoes the newest close as a recorded event: its closing entries and the next year's
carry-over openings reversed by chained transactions, the lock lifted, who/when/why kept.
`verify` follows close → reopen → close.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest
from netfund.ledger import connect
from netfund.ledger.figures import period_figures
from netfund.ledger.store.records import append_record, transaction_head, verified_records
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.raw_writes import BALANCED, driver_connection, write_raw
from tests.support.reliability import assert_refused, drop_guards, run_cli, write_text

#: 2025: GEM (carry_over) and ZVK (return) receive money, GEM spends some of it.
YEAR_2025 = """\
c-g,2025-01-05,commitment,GEM,,1000.00,,
r-g,2025-01-10,receipt,GEM,,1000.00,,
c-z,2025-01-05,commitment,ZVK,,500.00,,
r-z,2025-01-10,receipt,ZVK,,500.00,,
e-1,2025-03-01,expense,GEM,WG-A,200.00,,
"""
LATE = "e-late,2025-12-20,expense,GEM,WG-A,100.00,late invoice,\n"
REFUND = "ref-z,2026-02-01,refund,ZVK,,500.00,,\n"


def _ok(db_url: str, *args: str) -> str:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture
def year(db_url: str, tmp_path: Path) -> str:
    """The test network with 2025 booked and closed (it has ended)."""
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(tmp_path / "2025.csv", EVENTS_HEADER + YEAR_2025)))
    _ok(db_url, "close", "2025")
    return db_url


def _carried_into_2026(db_url: str) -> int:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            figures = period_figures(connection, "2026")
    finally:
        engine.dispose()
    return figures["GEM"].committed_cents if "GEM" in figures else 0


def _lock_records(db_url: str) -> list[dict]:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            return [r.content for r in verified_records(connection) if r.kind == "close"]
    finally:
        engine.dispose()


def test_close_reopen_post_close_again_verifies(year: str, tmp_path: Path) -> None:
    assert _carried_into_2026(year) == 80000
    late = write_text(tmp_path / "late.csv", EVENTS_HEADER + LATE)
    refused = run_cli(year, "import", str(late))
    assert refused.exit_code == 2 and "period 2025 is closed" in refused.output

    reopened = json.loads(_ok(year, "reopen", "2025", "--reason", "late invoice of WG-A", "--json"))
    assert reopened["reversed"] == [
        "netfund:close:2025:GEM",
        "netfund:close:2025:ZVK",
        "netfund:carry-over:2026:GEM",
    ]
    assert _carried_into_2026(year) == 0  # the opening is undone with the close
    _ok(year, "verify")

    _ok(year, "import", str(late))  # the year takes the late expense now
    closed = json.loads(_ok(year, "close", "2025", "--json"))
    by_fund = {s["fund"]: s["unspent"] for s in closed["settlements"]}
    assert by_fund["GEM"] == "700.00" and by_fund["ZVK"] == "500.00"
    assert _carried_into_2026(year) == 70000
    _ok(year, "verify")

    close_1, reopen, close_2 = _lock_records(year)
    assert (close_1["event"], reopen["event"], close_2["event"]) == ("close", "reopen", "close")
    assert reopen["reason"] == "late invoice of WG-A"
    assert reopen["by"] and datetime.datetime.fromisoformat(reopen["at"]).tzinfo is not None
    assert close_1["last_txn_id"] < reopen["last_txn_id"] < close_2["last_txn_id"]

    # Closed again, the year refuses what is dated in it, through netfund and raw SQL.
    again = write_text(tmp_path / "again.csv", EVENTS_HEADER + LATE.replace("e-late", "e-2"))
    assert "period 2025 is closed" in run_cli(year, "import", str(again)).output
    with driver_connection(year) as (connection, paramstyle):
        with pytest.raises(Exception, match="closed"):
            write_raw(
                connection.cursor(),
                BALANCED,
                paramstyle=paramstyle,
                date=datetime.date(2025, 6, 1),
            )
        connection.rollback()
    _ok(year, "verify")


def test_reopen_is_refused_when_it_should_be(year: str, tmp_path: Path) -> None:
    assert_refused(year, "reopen", "2024", "--reason", "x", reason="period 2024 is not closed")
    assert_refused(year, "reopen", "2025", reason="--reason")
    assert_refused(year, "reopen", "2025", "--reason", "  ", reason="--reason")
    _ok(year, "close", "2026", "--force", "--reason", "the network stops in December")
    assert_refused(year, "reopen", "2025", "--reason", "x", reason="period 2026 is closed too")
    # Newest first works.
    _ok(year, "reopen", "2026", "--reason", "the network goes on after all")
    _ok(year, "reopen", "2025", "--reason", "late invoice")
    _ok(year, "verify")


def test_an_early_close_needs_force_and_a_reason(year: str) -> None:
    this_year = str(datetime.date.today().year)
    assert_refused(year, "close", this_year, reason="--force --reason TEXT")
    assert_refused(year, "close", this_year, "--force", reason="--force needs --reason")
    assert_refused(year, "close", this_year, "--reason", "why", reason="--reason goes with --force")
    _ok(year, "close", this_year, "--force", "--reason", "the network stops in December")
    assert _lock_records(year)[-1]["reason"] == "the network stops in December"


def test_a_refund_paid_from_the_owed_money_blocks_the_reopen(year: str, tmp_path: Path) -> None:
    _ok(year, "import", str(write_text(tmp_path / "refund.csv", EVENTS_HEADER + REFUND)))
    assert_refused(
        year,
        "reopen",
        "2025",
        "--reason",
        "late invoice",
        reason="closing 2025 made ZVK owed 500.00, and 'ref-z' paid 500.00 of it out already",
    )
    _ok(year, "reverse", "ref-z")
    _ok(year, "reopen", "2025", "--reason", "late invoice")
    _ok(year, "verify")


def test_a_reopen_written_around_netfund_is_found(year: str, tmp_path: Path) -> None:
    """The attack: a reopen record with a correct hash and its lock row, written with raw
    access, without reversing the closing entries. netfund still refuses the year (its
    closing entries stand) and verify names the reopen (exit 4)."""
    engine = connect(year)
    try:
        with engine.begin() as connection:
            head = transaction_head(connection, lock=True)
            lock = {"period": "2025", "last_txn_id": head, "event": "reopen"}
            record = append_record(connection, "close", lock, head)
            connection.execute(
                text(
                    "INSERT INTO closed_periods (seq, period, event, last_txn_id) "
                    "VALUES (:seq, '2025', 'reopen', :head)"
                ),
                {"seq": record.seq, "head": head},
            )
    finally:
        engine.dispose()
    late = write_text(tmp_path / "late.csv", EVENTS_HEADER + LATE)
    assert "period 2025 is closed" in run_cli(year, "import", str(late)).output
    verified = run_cli(year, "verify")
    assert verified.exit_code == 4, verified.output
    assert "period 2025 is reopened but its closing entry 'netfund:close:2025:GEM'" in (
        verified.output
    )


def test_reopen_on_the_library_call_keeps_the_lock_table_and_records_in_step(year: str) -> None:
    from netfund.ledger import reopen_period
    from netfund.ledger.store.schema import closed_periods_table

    engine = connect(year)
    try:
        report = reopen_period(engine, "2025", reason="late invoice")
        assert report.transactions == 3
        with engine.connect() as connection:
            rows = connection.execute(
                select(closed_periods_table).order_by(closed_periods_table.c.seq)
            ).all()
        assert [(r.period, r.event) for r in rows] == [("2025", "close"), ("2025", "reopen")]
        assert rows[1].last_txn_id == report.head_id - 3  # recorded before its reversals
    finally:
        engine.dispose()


def test_what_was_added_while_a_reopened_year_was_closed_is_still_found(year: str) -> None:
    """The attack: with the triggers dropped, a transaction is slipped into 2025 while it is
    closed; then the year is reopened, as if to cover it. Its position lies between the
    close and the reopen, so verify still names it (exit 4)."""
    engine = connect(year)
    try:
        drop_guards(engine)
    finally:
        engine.dispose()
    with driver_connection(year) as (connection, paramstyle):
        slipped = write_raw(
            connection.cursor(),
            BALANCED,
            paramstyle=paramstyle,
            external_id="slipped-in",
            date=datetime.date(2025, 6, 1),
        )
        connection.commit()
    _ok(year, "reopen", "2025", "--reason", "covering the slipped transaction")
    verified = run_cli(year, "verify")
    assert verified.exit_code == 4, verified.output
    assert f"transaction {slipped}" in verified.output
    assert "added to period 2025 after it was closed" in verified.output


def test_next_year_allocating_the_carried_money_blocks_the_reopen(
    year: str, tmp_path: Path
) -> None:
    """The carry-over opening of 2026 is money 2026 may allocate; once it did, undoing the
    opening would leave 2026 allocating more than committed: the standing budget rules
    refuse the reopen, and nothing is written."""
    allocation = "a-26,2026-02-01,allocation,GEM,WG-A,800.00,,\n"
    _ok(year, "import", str(write_text(tmp_path / "a.csv", EVENTS_HEADER + allocation)))
    before = len(_lock_records(year))
    result = run_cli(year, "reopen", "2025", "--reason", "late invoice")
    assert result.exit_code == 2, result.output
    assert "GEM would have EUR 800.00 allocated in 2026 but EUR 0.00 committed" in result.output
    assert "Traceback" not in result.output
    assert len(_lock_records(year)) == before
    _ok(year, "verify")


def test_a_reopen_without_a_login_name_records_the_uid(
    year: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service account or container may have no login name: on SQLite the record keeps
    the uid; on PostgreSQL the actor is the login, whatever the operating system says."""
    import pwd

    from netfund.ledger import reopen_period

    def no_user(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_user)
    engine = connect(year)
    try:
        reopen_period(engine, "2025", reason="late invoice")
    finally:
        engine.dispose()
    by = _lock_records(year)[-1]["by"]
    if year.startswith("sqlite"):
        assert by == f"uid {os.geteuid()}"
    else:
        assert by == make_url(year).username  # the login the test connects as
