"""Payment schedules in `netfund status` and the statements (issue 16), on SQLite and
PostgreSQL: a funder paying in two halves is not reminded before its first due date and is
reminded of the right amount after it; one paying fixed amounts owes what fell due, never
more than it committed; the statement lists the instalments, what fell due, what was received
for the period (a late receipt counted for the period it pays) and what is overdue."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from netfund.ledger.model.schedule import QUARTERLY
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.registry import read_network
from netfund.reports.status import read_status

from tests.conftest import EVENTS_HEADER
from tests.support.statements import embedded, page_texts

NETWORK = """\
[network]
name = "Schemanet"
language = "en"

[[groups]]
code = "WG-A"
name = "Working group A"

[[funders]]
code = "GEM"
name = "Gemeente Lingewaard"
kind = "municipality"
framework = "Wmo"
schedule = [ { due = "01-15", share = 0.5 }, { due = "07-15", share = 0.5 } ]

[[funders]]
code = "ZK"
name = "Zorgkantoor"
kind = "care_office"
framework = "Wlz"
schedule = [
  { due = "03-31", amount = "250000.00" },
  { due = "09-30", amount = 250000 },
]

[[funders]]
code = "ZV"
name = "Zorgverzekeraar"
kind = "insurer"
framework = "Zvw"
"""

EVENTS = """\
c-gem,2025-01-05,commitment,GEM,,1000.01,,
c-zk,2025-01-05,commitment,ZK,,600000.00,,
c-zv,2025-01-05,commitment,ZV,,400.00,,
r-zk,2025-04-02,receipt,ZK,,250000.00,,BANK-ZK-1
r-zv,2025-02-10,receipt,ZV,,100.00,,BANK-ZV-1
"""
#: Long after 2025: the due date is the as-of date asked for, whatever today is.
LATER = datetime.date(2100, 1, 1)


def row(*cells: str) -> str:
    """A table row as the PDF's text has it: one cell per line."""
    return "\n".join(cells)


@pytest.fixture
def ledger(run_cli, db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    network = tmp_path / "network.toml"
    network.write_text(NETWORK, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS_HEADER + EVENTS, encoding="utf-8")
    for args in (("init", str(network)), ("import", str(events))):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
    return run_cli, db_url, tmp_path


def _lags(db_url: str, as_of: str) -> dict[str, str]:
    engine = connect(db_url)
    with reading(engine) as connection:
        status = read_status(connection, "2025", LATER, datetime.date.fromisoformat(as_of))
    engine.dispose()
    return {w.subject: w.message for w in status.warnings if w.kind == "receipts_lag"}


def test_the_schedule_is_stored_and_read_back(ledger) -> None:  # type: ignore[no-untyped-def]
    run_cli, db_url, tmp_path = ledger
    engine = connect(db_url)
    with reading(engine) as connection:
        network = read_network(connection)
    engine.dispose()
    gem, zk, zv = network.funders
    assert [(i.due, str(i.share)) for i in gem.schedule] == [("01-15", "0.5"), ("07-15", "0.5")]
    assert [(i.due, i.amount_cents) for i in zk.schedule] == [
        ("03-31", 250_000_00),
        ("09-30", 250_000_00),
    ]
    assert zv.schedule == QUARTERLY
    # Loading the same file again changes nothing; the records and tables still verify.
    again = run_cli("init", str(tmp_path / "network.toml"), "--json")
    assert again.exit_code == 0, again.output
    assert run_cli("verify").exit_code == 0


def test_no_reminder_before_the_first_instalment_and_the_right_one_after(ledger) -> None:  # type: ignore[no-untyped-def]
    run_cli, db_url, tmp_path = ledger
    assert "GEM" not in _lags(db_url, "2025-01-14")
    first = _lags(db_url, "2025-01-15")["GEM"]
    assert first == (
        "GEM has paid EUR 0.00 of EUR 500.01 due by 2025-01-15 (instalment 2025-01-15; "
        "committed EUR 1,000.01): EUR 500.01 outstanding; send a reminder"
    )
    paid = tmp_path / "paid.csv"
    paid.write_text(EVENTS_HEADER + "r-gem,2025-01-20,receipt,GEM,,500.01,,BANK-GEM-1\n")
    assert run_cli("import", str(paid)).exit_code == 0
    assert "GEM" not in _lags(db_url, "2025-07-14")
    second = _lags(db_url, "2025-07-15")["GEM"]
    assert "of EUR 1,000.01 due by 2025-07-15 (instalments 2025-01-15, 2025-07-15;" in second
    assert second.endswith(": EUR 500.00 outstanding; send a reminder")


def test_fixed_amounts_fall_due_as_written(ledger) -> None:  # type: ignore[no-untyped-def]
    _, db_url, _ = ledger
    assert "ZK" not in _lags(db_url, "2025-03-30")
    assert "ZK" in _lags(db_url, "2025-03-31")  # paid on 2 April
    assert "ZK" not in _lags(db_url, "2025-09-29")
    late = _lags(db_url, "2025-12-31")["ZK"]
    # Two amounts of 250,000.00 fell due; the remaining 100,000.00 only after the year.
    assert "of EUR 500,000.00 due by 2025-12-31" in late
    assert late.endswith(": EUR 250,000.00 outstanding; send a reminder")
    # The funder without a schedule pays quarterly: a quarter by 15 February, half by 15 May.
    assert "ZV" not in _lags(db_url, "2025-05-14")
    assert "EUR 100.00 outstanding" in _lags(db_url, "2025-05-15")["ZV"]


def test_status_json_shows_what_is_due_per_funder(ledger) -> None:  # type: ignore[no-untyped-def]
    run_cli, _, _ = ledger
    result = run_cli("status", "--period", "2025", "--as-of", "2025-10-01", "--json")
    assert result.exit_code == 0, result.output
    funders = {line["funder"]: line for line in json.loads(result.stdout)["funders"]}
    zk = funders["ZK"]
    assert (zk["due"], zk["received_for_period"], zk["overdue"]) == (
        "500000.00",
        "250000.00",
        "250000.00",
    )
    assert [(i["date"], i["amount"], i["fallen_due"]) for i in zk["instalments"]] == [
        ("2025-03-31", "250000.00", True),
        ("2025-09-30", "250000.00", True),
        ("2026-01-01", "100000.00", False),
    ]
    assert funders["GEM"]["due"] == "1000.01" and funders["GEM"]["overdue"] == "1000.01"
    assert [i["date"] for i in funders["ZV"]["instalments"]] == [
        "2025-02-15",
        "2025-05-15",
        "2025-08-15",
        "2025-11-15",
    ]
    assert (funders["ZV"]["due"], funders["ZV"]["overdue"]) == ("300.00", "200.00")


def test_the_statement_shows_the_instalments_and_what_is_overdue(ledger) -> None:  # type: ignore[no-untyped-def]
    run_cli, _, tmp_path = ledger
    # Half of GEM's commitment arrives in January of the next year: it pays 2025's commitment.
    late = tmp_path / "late.csv"
    late.write_text(EVENTS_HEADER + "r-gem-late,2026-01-10,receipt,GEM,,500.00,,BANK-GEM-2\n")
    assert run_cli("import", str(late)).exit_code == 0
    out = tmp_path / "statements"
    for as_of in ("2025-10-01", "2025-12-31"):
        result = run_cli(
            "statements", "--period", "2025", "--out", str(out), "--as-of", as_of, "--lang", "en"
        )
        assert result.exit_code == 0, result.output
    interim = out / "2025-ZK.interim-2025-10-01.en.pdf"
    text = "\n".join(page_texts(interim))
    for line in (
        "Payment schedule",
        row("31 March 2025", "fixed amount", "€250,000.00", "due"),
        row("30 September 2025", "fixed amount", "€250,000.00", "due"),
        row("after 31 December 2025", "rest of the commitment", "€100,000.00", "not yet"),
        row("Due up to and including 1 October 2025", "€500,000.00"),
        row("Received for 2025 up to and including 1 October 2025", "€250,000.00"),
        row("Overdue as of 1 October 2025", "€250,000.00"),
        row("Still to receive of the commitment", "€350,000.00"),
    ):
        assert line in text, line
    assert embedded(interim)["figures"]["schedule"] == {
        "instalments": [
            {"date": "2025-03-31", "cents": 250_000_00, "rest": False},
            {"date": "2025-09-30", "cents": 250_000_00, "rest": False},
            {"date": "2026-01-01", "cents": 100_000_00, "rest": True},
        ],
        "due_cents": 500_000_00,
        "received_for_period_cents": 250_000_00,
        "overdue_cents": 250_000_00,
    }
    # GEM by 31 December: nothing received yet (the January receipt is after the as-of date).
    annual = out / "2025-GEM.en.pdf"
    text = "\n".join(page_texts(annual))
    assert row("15 January 2025", "50%", "€500.01", "due") in text
    assert row("15 July 2025", "50%", "€500.00", "due") in text
    assert row("Overdue as of 31 December 2025", "€1,000.01") in text
    zv = "\n".join(page_texts(out / "2025-ZV.en.pdf"))
    assert "No schedule of its own: quarterly advances" in zv
    assert row("15 November 2025", "25%", "€100.00", "due") in zv
    # The statements still verify after the later receipt: they count what was dated by
    # their as-of date, and the January receipt is dated after it.
    for pdf in sorted(out.glob("*.pdf")):
        checked = run_cli("verify-statement", str(pdf))
        assert checked.exit_code == 0, checked.output


def test_a_receipt_paying_last_year_counts_there_on_an_interim_statement(ledger) -> None:  # type: ignore[no-untyped-def]
    """The received-for-the-period figure is the matching `status` uses: 2026's January
    receipt pays 2025's open commitment first, so 2026's statement does not count it."""
    run_cli, _, tmp_path = ledger
    events = tmp_path / "2026.csv"
    events.write_text(
        EVENTS_HEADER
        + "c-gem-26,2026-01-05,commitment,GEM,,2000.00,,\n"
        + "r-gem-26,2026-01-20,receipt,GEM,,1500.01,,BANK-GEM-3\n"
    )
    assert run_cli("import", str(events)).exit_code == 0
    out = tmp_path / "s26"
    result = run_cli(
        "statements", "--period", "2026", "--out", str(out), "--as-of", "2026-02-01",
        "--funder", "GEM", "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = embedded(out / "2026-GEM.interim-2026-02-01.en.pdf")["figures"]
    # 1,000.01 of the receipt paid 2025; 500.00 is 2026's; 1,000.00 fell due on 15 January.
    assert figures["summary"]["received_cents"] == 1500_01
    assert figures["schedule"]["received_for_period_cents"] == 500_00
    assert figures["schedule"]["overdue_cents"] == 500_00


def test_a_new_schedule_from_next_year_leaves_this_year_as_it_was(ledger) -> None:  # type: ignore[no-untyped-def]
    """The schedule belongs to the network version in force for the period: a version from
    2026 on with another schedule changes 2026's reminders, not 2025's."""
    run_cli, db_url, tmp_path = ledger
    changed = tmp_path / "network-2026.toml"
    changed.write_text(
        NETWORK.replace(
            '{ due = "01-15", share = 0.5 }, { due = "07-15", share = 0.5 }',
            '{ due = "03-01", share = 0.25 }, { due = "09-01", share = 0.75 }',
        ),
        encoding="utf-8",
    )
    applied = run_cli("network", "apply", str(changed), "--from", "2026", "--reason", "test")
    assert applied.exit_code == 0, applied.output
    assert (
        'funder GEM schedule: [{ due = "01-15", share = 0.5 }, { due = "07-15", share = 0.5 }] '
        '-> [{ due = "03-01", share = 0.25 }, { due = "09-01", share = 0.75 }]'
    ) in applied.output
    events = tmp_path / "2026.csv"
    events.write_text(EVENTS_HEADER + "c-gem-26,2026-01-05,commitment,GEM,,2000.00,,\n")
    assert run_cli("import", str(events)).exit_code == 0
    # 2025 still reminds on 15 January; 2026 not before 1 March, then of a quarter.
    assert "instalment 2025-01-15;" in _lags(db_url, "2025-01-15")["GEM"]
    engine = connect(db_url)
    with reading(engine) as connection:
        early = read_status(connection, "2026", LATER, datetime.date(2026, 2, 28))
        march = read_status(connection, "2026", LATER, datetime.date(2026, 3, 1))
    engine.dispose()
    assert "GEM" not in {w.subject for w in early.warnings if w.kind == "receipts_lag"}
    (lag,) = [w.message for w in march.warnings if w.subject == "GEM" and w.kind == "receipts_lag"]
    assert "of EUR 500.00 due by 2026-03-01 (instalment 2026-03-01;" in lag
