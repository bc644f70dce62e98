"""The figures a statement shows, as `netfund.ledger.figures` defines them, on both databases.

A small year on the test network exercises every rule of the definitions: pro-rata and named
expenses, a group that spends without allocation, a journal line without a group, a
reversed expense and a reversed receipt, a refund, the as-of date, closing entries (left out)
and money carried into the next period (committed and received there).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from netfund.ledger.corrections import reverse
from netfund.ledger.figures import (
    NO_GROUP,
    chain_position_as_of,
    money_movements,
    period_figures,
)
from netfund.ledger.importer import import_events, post
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.periods import close_period
from netfund.ledger.store.database import reading
from netfund.reports.statement.data import OverheadCheck, read_period_inputs, statement_data
from sqlalchemy import Engine

from tests.conftest import write_events

YEAR_END = datetime.date(2026, 12, 31)


def _year(engine: Engine, folder: Path) -> None:
    import_events(
        engine,
        write_events(
            folder / "events.csv",
            [
                "c1,2026-01-02,commitment,GEM,,1000.00,,",
                "c2,2026-01-02,commitment,ZVK,,500.00,,",
                "a1,2026-01-10,allocation,GEM,WG-A,400.00,,",
                "a2,2026-01-10,allocation,GEM,PMO,100.00,,",
                "a3,2026-01-10,allocation,ZVK,WG-A,300.00,,",
                "r1,2026-02-01,receipt,GEM,,600.00,,BANK-1",
                "r2,2026-02-01,receipt,ZVK,,500.00,,BANK-2",
                "e1,2026-03-01,expense,,WG-A,140.00,pro rata 400:300,INV-1",
                "e2,2026-03-02,expense,GEM,PMO,30.00,,INV-2",
                "r3,2026-05-01,receipt,GEM,,100.00,,BANK-3",
                "e3,2026-08-01,expense,GEM,WG-B,10.00,no allocation,INV-3",
                "t1,2026-09-01,refund,ZVK,,50.00,,BACK-1",
            ],
        ),
    )
    reverse(engine, "e2", date=datetime.date(2026, 3, 5))
    reverse(engine, "r3", date=datetime.date(2026, 5, 2))
    lines = (
        Posting("Expenses:Bankkosten", "GEM", None, 500),
        Posting("Assets:Bank", "GEM", None, -500),
    )
    date = datetime.date(2026, 4, 1)
    post(
        engine,
        [
            Draft(
                external_id="J1",
                date=date,
                type="journal",
                description="bank fees",
                reference="",
                postings=lines,
                source_hash=lines_fingerprint("J1", date, "bank fees", "", lines),
            )
        ],
    )


def test_the_definitions_hold_on_a_small_year(engine: Engine, tmp_path: Path) -> None:
    _year(engine, tmp_path)
    with reading(engine) as connection:
        figures = period_figures(connection, "2026", as_of=YEAR_END)
        movements = money_movements(connection, "2026", YEAR_END)
        early = period_figures(connection, "2026", as_of=datetime.date(2026, 3, 3))
        first_of_march = chain_position_as_of(connection, datetime.date(2026, 3, 1))
        nothing_yet = chain_position_as_of(connection, datetime.date(2025, 12, 31))
        inputs = read_period_inputs(connection, "2026", YEAR_END)
    gem, zvk = figures["GEM"], figures["ZVK"]
    assert (gem.committed_cents, gem.received_cents) == (100000, 60000)
    assert gem.allocated_cents == {"PMO": 10000, "WG-A": 40000}
    # 140.00 split 400:300 → 80.00 GEM; PMO's 30.00 reversed; WG-B spent without allocation;
    # the bank fee was posted without a group.
    assert gem.spent_cents == {NO_GROUP: 500, "WG-A": 8000, "WG-B": 1000}
    assert (gem.refunded_cents, gem.unspent_cents, gem.unallocated_cents) == (0, 50500, 50000)
    assert zvk.spent_cents == {"WG-A": 6000}
    assert (zvk.refunded_cents, zvk.unspent_cents, zvk.unallocated_cents) == (5000, 39000, 20000)
    assert "ZONMW" not in figures
    # As of 3 March: the pro-rata expense and PMO's (not yet reversed) one count.
    assert early["GEM"].spent_cents == {"PMO": 3000, "WG-A": 8000}
    assert early["GEM"].received_cents == 60000
    assert first_of_march is not None and nothing_yet is None
    # Receipts one by one, the reversed one twice; refunds likewise.
    assert [(m.kind, m.external_id, m.amount_cents) for m in movements["GEM"]] == [
        ("receipt", "r1", 60000),
        ("receipt", "r3", 10000),
        ("receipt", "netfund:reversal:r3", -10000),
    ]
    assert [(m.kind, m.reference, m.amount_cents) for m in movements["ZVK"]] == [
        ("receipt", "BANK-2", 50000),
        ("refund", "BACK-1", 5000),
    ]
    data = statement_data(inputs, "GEM", "en", "test")
    assert [(g.code, g.allocated_cents, g.spent_cents) for g in data.groups] == [
        ("WG-A", 40000, 8000),
        ("WG-B", 0, 1000),
        ("PMO", 10000, 0),
        (NO_GROUP, 0, 500),
    ]
    assert [g.code for g in data.groups if g.overspent] == ["WG-B", NO_GROUP]
    assert data.receipts_other_cents == 0
    checks = {check.key: check for check in data.overhead}
    assert checks["funder_of_allocation"].share is not None
    assert checks["funder_of_allocation"].passes is None  # GEM has no own cap
    assert checks["network_of_allocation"].overhead_cents == 10000
    assert checks["network_of_allocation"].total_cents == 80000
    assert checks["network_of_allocation"].passes is True  # 12.5% ≤ 15%
    assert data.network.spent_cents == gem.spent_total_cents + zvk.spent_total_cents


def test_closing_entries_are_left_out_and_carried_money_counts_next_year(
    engine: Engine, tmp_path: Path
) -> None:
    _year(engine, tmp_path)
    with reading(engine) as connection:
        before = period_figures(connection, "2026", as_of=YEAR_END)
    close_period(engine, "2026", force=True, reason="closed early in a test")
    with reading(engine) as connection:
        after = period_figures(connection, "2026", as_of=YEAR_END)
        next_year = period_figures(connection, "2027", as_of=datetime.date(2027, 12, 31))
        movements = money_movements(connection, "2027", datetime.date(2027, 12, 31))
    assert after == before
    # GEM carries its unspent 505.00 over: committed and, already in the bank, received.
    assert next_year["GEM"].committed_cents == next_year["GEM"].received_cents == 50500
    assert "GEM" not in movements  # no receipt event: the statement shows it as carried over
    assert "ZVK" not in next_year  # ZVK's money is owed back, not carried over


def test_an_overhead_share_exactly_at_its_cap_passes_and_a_cent_more_does_not() -> None:
    def passes(overhead_cents: int, total_cents: int) -> bool | None:
        return OverheadCheck(
            "network_of_allocation", overhead_cents, total_cents, Decimal("0.15")
        ).passes

    assert passes(15_000_00, 100_000_00) is True
    assert passes(15_000_01, 100_000_00) is False
    assert passes(15, 101) is True  # 15% of 101 cents is 15.15 cents
    assert passes(0, 0) is True
    assert OverheadCheck("funder_of_spending", 1, 1, None).passes is None
