"""Importing bank statements: refused when they do not add up or do not follow, stored once,
each new line matched and booked through the one writing path (issue 19)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.ledger import (
    InputError,
    LedgerError,
    ProposalRecorded,
    VerificationError,
    approve,
    assign_line,
    close_period,
    connect,
    import_events,
    import_parsed,
    initialize,
    load_network,
    read_balances,
    unmatched_lines,
    verify,
)
from netfund.ledger.store.schema import (
    bank_lines_table,
    bank_statements_table,
    ledger_records_table,
    transactions_table,
)
from sqlalchemy import Engine, func, select

from tests.conftest import NETWORK_TOML, write_events
from tests.support.bank_statements import (
    GEM_IBAN,
    NETWORK_IBAN,
    STRANGER_IBAN,
    SUPPLIER_IBAN,
    ZVK_IBAN,
    line,
    statement,
    with_bank,
)
from tests.support.people import People


@pytest.fixture
def bank_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The test network with a bank account, GEM committing 1,000.00 and ZVK 400.00 in 2026
    (quarterly), both allocating to WG-A."""
    path = tmp_path / "network.toml"
    path.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    engine = connect(db_url)
    initialize(engine, load_network(path))
    events = write_events(
        tmp_path / "events.csv",
        [
            "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESLUIT-GEM-2026",
            "C-ZVK,2026-01-05,commitment,ZVK,,400.00,Toezegging,CONTRACT-ZVK-2026",
            "A-GEM,2026-01-06,allocation,GEM,WG-A,600.00,Toewijzing,",
            "A-ZVK,2026-01-06,allocation,ZVK,WG-A,400.00,Toewijzing,",
        ],
    )
    import_events(engine, events)
    yield engine
    engine.dispose()


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                transactions_table,
                ledger_records_table,
                bank_statements_table,
                bank_lines_table,
            )
        )


def _bank(engine: Engine, fund: str) -> int:
    return sum(
        row.balance_cents
        for row in read_balances(engine, by=("account", "fund"))
        if row.account == "Assets:Bank" and row.fund == fund
    )


def _lines(engine: Engine) -> dict[str, tuple[str, str | None, str]]:
    b = bank_lines_table.c
    with engine.connect() as connection:
        return {
            ref: (status, txn, explanation)
            for ref, status, txn, explanation in connection.execute(
                select(b.ref, b.status, b.txn_external_id, b.explanation)
            )
        }


def test_a_funders_payment_becomes_its_receipt_matched_to_its_instalment(
    bank_engine: Engine,
) -> None:
    january = statement(
        "2026-01",
        0,
        [line("B1", "2026-02-16", 25_000, iban=GEM_IBAN, name="Gemeente", remittance="Q1")],
        start="2026-01-01",
        end="2026-02-28",
    )
    report = import_parsed(bank_engine, [january], "jan.xml")
    assert report.posted == 1
    [result] = report.statements
    assert (result.added, result.count("booked")) == (1, 1)
    status, txn, explanation = _lines(bank_engine)["B1"]
    assert status == "booked" and txn == f"netfund:bank:{NETWORK_IBAN}:B1"
    # Quarterly: 250.00 due from 15 February; this pays exactly that instalment.
    assert "receipt of GEM" in explanation
    assert "2026-02-15 (EUR 250.00)" in explanation and "part of" not in explanation
    assert _bank(bank_engine, "GEM") == 25_000
    with bank_engine.connect() as connection:
        reference = connection.execute(
            select(transactions_table.c.reference).where(transactions_table.c.external_id == txn)
        ).scalar_one()
    assert reference == "B1"
    verify(bank_engine)


def test_a_part_payment_says_so_and_two_instalments_at_once_are_named(bank_engine: Engine) -> None:
    lines = [
        line("P1", "2026-02-16", 10_000, iban=GEM_IBAN),
        line("P2", "2026-05-20", 40_000, iban=GEM_IBAN),
    ]
    import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-01-01", end="2026-06-30")], "s.xml"
    )
    found = _lines(bank_engine)
    assert "part of 2026-02-15" in found["P1"][2]
    # 150.00 left of February's, then all of May's 250.00.
    assert "part of 2026-02-15" in found["P2"][2] and "2026-05-15 (EUR 250.00)" in found["P2"][2]


def test_importing_the_same_statement_again_adds_nothing(bank_engine: Engine) -> None:
    january = statement(
        "2026-01",
        0,
        [line("B1", "2026-02-16", 25_000, iban=GEM_IBAN)],
        start="2026-02-01",
        end="2026-02-28",
    )
    import_parsed(bank_engine, [january], "jan.xml")
    before = _counts(bank_engine)
    report = import_parsed(bank_engine, [january], "jan.xml")
    assert report.posted == 0
    assert report.statements[0].added == 0 and report.statements[0].record_seq is None
    after = _counts(bank_engine)
    # Only the import's own write record is new: no transaction, statement or line.
    assert (after[0], after[2], after[3]) == (before[0], before[2], before[3])
    assert _bank(bank_engine, "GEM") == 25_000


def test_a_statement_that_does_not_add_up_is_refused_and_nothing_is_written(
    bank_engine: Engine,
) -> None:
    wrong = statement(
        "2026-01",
        0,
        [line("B1", "2026-02-16", 25_000, iban=GEM_IBAN)],
        start="2026-02-01",
        end="2026-02-28",
        closing_cents=25_001,
    )
    before = _counts(bank_engine)
    with pytest.raises(InputError) as raised:
        import_parsed(bank_engine, [wrong], "jan.xml")
    message = str(raised.value)
    assert "jan.xml:2:" in message and "does not add up" in message
    assert "EUR 250.00" in message and "EUR 250.01" in message
    assert _counts(bank_engine) == before


def test_a_statement_of_another_account_is_refused(bank_engine: Engine) -> None:
    other = statement(
        "X",
        0,
        [line("B1", "2026-02-16", 100, iban=GEM_IBAN)],
        start="2026-02-01",
        end="2026-02-28",
        account=STRANGER_IBAN,
    )
    with pytest.raises(InputError, match="not one of the network's bank accounts"):
        import_parsed(bank_engine, [other], "x.xml")
    assert _counts(bank_engine)[2] == 0


def test_a_statement_must_follow_the_previous_one(bank_engine: Engine) -> None:
    first = statement(
        "1",
        0,
        [line("B1", "2026-02-16", 25_000, iban=GEM_IBAN)],
        start="2026-02-01",
        end="2026-02-28",
    )
    import_parsed(bank_engine, [first], "1.xml")
    # The statement in between (10,000 in) is missing: this one opens with 35,000.
    gap = statement(
        "3",
        35_000,
        [line("B3", "2026-05-16", 10_000, iban=ZVK_IBAN)],
        start="2026-05-01",
        end="2026-05-31",
    )
    before = _counts(bank_engine)
    with pytest.raises(InputError, match="does not follow the previous statement 1"):
        import_parsed(bank_engine, [gap], "3.xml")
    assert _counts(bank_engine) == before
    # Beginning before the previous one ended, with none of its lines: refused too.
    early = statement(
        "2",
        25_000,
        [line("B2", "2026-02-20", 10_000, iban=ZVK_IBAN)],
        start="2026-02-15",
        end="2026-03-31",
    )
    with pytest.raises(InputError, match="before the previous statement 1 ended"):
        import_parsed(bank_engine, [early], "2.xml")
    following = statement(
        "2",
        25_000,
        [line("B2", "2026-03-02", 10_000, iban=ZVK_IBAN)],
        start="2026-03-01",
        end="2026-03-31",
    )
    assert import_parsed(bank_engine, [following], "2.xml").statements[0].added == 1


def test_an_overlapping_statement_is_reconciled_line_by_line_never_doubled(
    bank_engine: Engine,
) -> None:
    days = [
        statement(
            "D1",
            0,
            [line("A", "2026-02-16", 25_000, iban=GEM_IBAN)],
            start="2026-02-16",
            end="2026-02-16",
        ),
        statement(
            "D2",
            25_000,
            [line("B", "2026-02-17", 10_000, iban=ZVK_IBAN)],
            start="2026-02-17",
            end="2026-02-17",
        ),
    ]
    import_parsed(bank_engine, days, "days.xml")
    # The month's statement repeats B and adds C; A is before its start.
    month = statement(
        "M2",
        25_000,
        [
            line("B", "2026-02-17", 10_000, iban=ZVK_IBAN),
            line("C", "2026-02-27", -1_000, iban=SUPPLIER_IBAN, remittance="factuur 7"),
        ],
        start="2026-02-17",
        end="2026-02-28",
    )
    report = import_parsed(bank_engine, [month], "month.xml")
    assert report.statements[0].added == 1
    assert set(_lines(bank_engine)) == {"A", "B", "C"}
    assert _bank(bank_engine, "GEM") + _bank(bank_engine, "ZVK") == 35_000
    # A line seen before with another amount is refused with its line.
    changed = statement(
        "M2b",
        25_000,
        [line("B", "2026-02-17", 10_001, iban=ZVK_IBAN, number=31)],
        start="2026-02-17",
        end="2026-02-28",
    )
    with pytest.raises(InputError, match=r"month\.xml:31: bank line B was imported before"):
        import_parsed(bank_engine, [changed], "month.xml")


def test_a_receipt_the_ledger_already_has_is_linked_not_booked_again(
    bank_engine: Engine, tmp_path: Path
) -> None:
    events = write_events(
        tmp_path / "receipts.csv",
        ["R-GEM-1,2026-02-14,receipt,GEM,,250.00,Voorschot Q1,GEM-Q1-2026"],
    )
    import_events(bank_engine, events)
    lines = [
        line("B1", "2026-02-16", 25_000, iban=GEM_IBAN, remittance="betaling GEM-Q1-2026"),
        # Same amount from ZVK: not GEM's receipt, so it is ZVK's own.
        line("B2", "2026-02-16", 25_000, iban=ZVK_IBAN),
    ]
    report = import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
    )
    assert report.posted == 1
    found = _lines(bank_engine)
    assert found["B1"][:2] == ("linked", "R-GEM-1")
    assert "reference GEM-Q1-2026" in found["B1"][2]
    assert found["B2"][0] == "booked"
    assert _bank(bank_engine, "GEM") == 25_000


def test_more_than_a_funder_owes_and_money_from_strangers_stay_unmatched(
    bank_engine: Engine,
) -> None:
    lines = [
        line("B1", "2026-02-16", 100_001, iban=GEM_IBAN),
        line("B2", "2026-02-17", 5_000, iban=STRANGER_IBAN, name="Onbekend"),
        line("B3", "2026-02-18", -2_000, iban=SUPPLIER_IBAN, remittance="zonder regel"),
    ]
    report = import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
    )
    assert report.posted == 0 and report.statements[0].count("unmatched") == 3
    listed = {item.line.ref: item for item in unmatched_lines(bank_engine)}
    assert "more than it still owes (EUR 1,000.00" in listed["B1"].explanation
    assert "names for no funder" in listed["B2"].explanation
    assert "no rule" in listed["B3"].explanation
    assert listed["B3"].line.amount_cents == -2_000


def test_assigning_an_unmatched_line_books_it_through_the_standing_rules(
    bank_engine: Engine,
) -> None:
    lines = [
        line("B1", "2026-02-18", -2_000, iban=SUPPLIER_IBAN, remittance="zaalhuur"),
        line("B2", "2026-02-19", 5_000, iban=STRANGER_IBAN),
    ]
    import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
    )
    # ZONMW's earmark excludes WG-B: the ledger refuses it, the line stays unmatched.
    with pytest.raises(LedgerError, match="cannot be booked so"):
        assign_line(bank_engine, "B1", group="WG-B", funder="ZONMW")
    with pytest.raises(LedgerError, match="give --funder"):
        assign_line(bank_engine, "B2", group="WG-A")
    report = assign_line(bank_engine, "B1", group="WG-A", description="Zaalhuur februari")
    assert report.posted == 1
    status, _txn, explanation = _lines(bank_engine)["B1"]
    assert status == "booked" and "expense of WG-A, pro rata" in explanation
    # Attributed pro rata to the allocations (600 : 400).
    assert (_bank(bank_engine, "GEM"), _bank(bank_engine, "ZVK")) == (-1_200, -800)
    with pytest.raises(LedgerError, match="booked already"):
        assign_line(bank_engine, "B1", group="WG-A")
    assert [item.line.ref for item in unmatched_lines(bank_engine)] == ["B2"]


def test_a_refund_owed_after_a_return_close_is_matched_and_a_returned_one_undone(
    bank_engine: Engine, tmp_path: Path
) -> None:
    receipts = statement(
        "2026",
        0,
        [line("R1", "2026-05-16", 40_000, iban=ZVK_IBAN)],
        start="2026-01-01",
        end="2026-12-31",
    )
    import_parsed(bank_engine, [receipts], "2026.xml")
    close_period(bank_engine, "2026", force=True, reason="test", today=datetime.date(2026, 12, 31))
    # ZVK (return) is owed back its unspent 400.00.
    january = statement(
        "2027-01",
        40_000,
        [
            line("F1", "2027-01-10", -40_000, iban=ZVK_IBAN, end_to_end_id="BY-HAND-1"),
            line(
                "F2",
                "2027-01-20",
                40_000,
                iban=ZVK_IBAN,
                end_to_end_id="BY-HAND-1",
                returned=True,
                reason="AC04",
            ),
        ],
        start="2027-01-01",
        end="2027-01-31",
    )
    import_parsed(bank_engine, [january], "2027-01.xml")
    found = _lines(bank_engine)
    assert found["F1"][0] == "booked" and "refund to ZVK" in found["F1"][2]
    assert found["F2"][0] == "booked", found["F2"]
    assert "returned by the bank (AC04)" in found["F2"][2]
    assert found["F2"][1] == f"netfund:reversal:netfund:bank:{NETWORK_IBAN}:F1"
    # The refund undone: owed again, the money back in the bank.
    balances = read_balances(bank_engine, by=("account", "fund"))
    owed = {
        row.fund: row.balance_cents for row in balances if row.account == "Liabilities:Refundable"
    }
    assert owed["ZVK"] == -40_000
    assert _bank(bank_engine, "ZVK") == 40_000
    verify(bank_engine)


def test_a_line_in_a_closed_period_stays_unmatched(bank_engine: Engine) -> None:
    close_period(bank_engine, "2026", force=True, reason="test", today=datetime.date(2026, 12, 31))
    late = statement(
        "S",
        0,
        [line("B1", "2026-12-30", 25_000, iban=GEM_IBAN)],
        start="2026-12-01",
        end="2026-12-31",
    )
    import_parsed(bank_engine, [late], "s.xml")
    assert "closed period 2026" in _lines(bank_engine)["B1"][2]


def test_one_account_paying_for_two_funders_is_decided_by_remittance_or_amount(
    db_url: str, tmp_path: Path
) -> None:
    text = with_bank(NETWORK_TOML).replace(f'ibans = ["{ZVK_IBAN}"]', f'ibans = ["{GEM_IBAN}"]')
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    engine = connect(db_url)
    try:
        initialize(engine, load_network(path))
        import_events(
            engine,
            write_events(
                tmp_path / "e.csv",
                [
                    "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESLUIT-GEM-2026",
                    "C-ZVK,2026-01-05,commitment,ZVK,,400.00,Toezegging,CONTRACT-ZVK-2026",
                ],
            ),
        )
        lines = [
            line("N", "2026-02-16", 7_000, iban=GEM_IBAN, remittance="CONTRACT-ZVK-2026 deel"),
            line("F", "2026-02-17", 25_000, iban=GEM_IBAN),  # GEM's quarter; ZVK's is 100.00
            line("?", "2026-02-18", 3_000, iban=GEM_IBAN),
        ]
        import_parsed(
            engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
        )
        found = _lines(engine)
        assert "receipt of ZVK" in found["N"][2] and "named in the remittance" in found["N"][2]
        assert "receipt of GEM" in found["F"][2] and "fits its instalments" in found["F"][2]
        assert found["?"][0] == "unmatched" and "pays for GEM, ZVK" in found["?"][2]
    finally:
        engine.dispose()


def test_assigning_above_the_networks_post_limit_needs_a_second_person(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = People(db_url, monkeypatch)
    text = with_bank(NETWORK_TOML) + '\n[approvals]\npost_above = "10.00"\n'
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    anna = connect(people.url("anna"))
    try:
        initialize(anna, load_network(path))
        import_events(
            anna,
            write_events(
                tmp_path / "e.csv",
                [
                    "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,",
                    "A-GEM,2026-01-06,allocation,GEM,WG-A,600.00,Toewijzing,",
                ],
            ),
        )
        lines = [line("B1", "2026-02-18", -2_000, iban=SUPPLIER_IBAN, remittance="zaal")]
        import_parsed(anna, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s")
        with pytest.raises(ProposalRecorded) as proposed:
            assign_line(anna, "B1", group="WG-A")
        assert _lines(anna)["B1"][0] == "unmatched"
        with pytest.raises(LedgerError, match="another person"):
            approve(anna, proposed.value.number)
        bert = connect(people.url("bert"))
        try:
            approve(bert, proposed.value.number)
            assert _lines(bert)["B1"][0] == "booked"
        finally:
            bert.dispose()
    finally:
        anna.dispose()
        people.close()


@pytest.mark.parametrize(
    ("tampering", "found"),
    [
        ("UPDATE bank_lines SET amount_cents = 99999 WHERE ref = 'B1'", "are not the lines"),
        ("DELETE FROM bank_lines WHERE ref = 'B2'", "are not the lines"),
        # A receipt the bank never saw made to look reconciled: B2's link moved to it.
        ("UPDATE bank_lines SET txn_external_id = 'R-NEVER' WHERE ref = 'B2'", "moves 7700 cents"),
        ("UPDATE bank_statements SET closing_cents = 1", "closing_cents is 1 in the table"),
    ],
)
def test_verify_finds_bank_tables_changed_around_netfund(
    bank_engine: Engine, tmp_path: Path, tampering: str, found: str
) -> None:
    """The attack: rows of the bank's tables changed with SQL; verify names it (exit 4)."""
    import_events(
        bank_engine,
        write_events(tmp_path / "r.csv", ["R-NEVER,2026-02-20,receipt,ZVK,,77.00,Nooit,"]),
    )
    lines = [
        line("B1", "2026-02-16", 25_000, iban=GEM_IBAN),
        line("B2", "2026-02-17", 10_000, iban=ZVK_IBAN),
    ]
    import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
    )
    verify(bank_engine)  # as imported: holds
    with bank_engine.begin() as connection:
        connection.exec_driver_sql(tampering)
    with pytest.raises(VerificationError, match=found):
        verify(bank_engine)


def test_payments_of_equal_amounts_link_to_the_invoice_their_remittance_names(
    bank_engine: Engine, tmp_path: Path
) -> None:
    events = write_events(
        tmp_path / "invoices.csv",
        [
            "E-1,2026-02-02,expense,,WG-A,10.00,Factuur,INV-1",
            "E-2,2026-02-02,expense,,WG-A,10.00,Factuur,INV-12",
            "E-3,2026-02-02,expense,,WG-A,10.00,Factuur,#INV 3",
        ],
    )
    import_events(bank_engine, events)
    lines = [
        line("B3", "2026-02-10", -1_000, iban=SUPPLIER_IBAN, remittance="betaling #INV 3"),
        line("B2", "2026-02-11", -1_000, iban=SUPPLIER_IBAN, remittance="factuur inv-12."),
        line("B1", "2026-02-12", -1_000, iban=SUPPLIER_IBAN, remittance="INV-1/2026"),
    ]
    report = import_parsed(
        bank_engine, [statement("S", 0, lines, start="2026-02-01", end="2026-02-28")], "s.xml"
    )
    assert report.posted == 0
    found = _lines(bank_engine)
    assert {ref: found[ref][:2] for ref in found} == {
        "B1": ("linked", "E-1"),
        "B2": ("linked", "E-2"),
        "B3": ("linked", "E-3"),
    }
