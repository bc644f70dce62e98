"""The bank reconciliation: the bank's balance against the ledger's Assets:Bank on a day,
and the lines that explain the difference, adding up to it exactly (issue 19)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.ledger import (
    AccessDenied,
    LedgerError,
    assign_line,
    connect,
    import_events,
    import_parsed,
    initialize,
    load_network,
    reading,
    reconcile,
    reconciliation_as_of,
    reverse,
)
from netfund.ledger.store.schema import (
    bank_lines_table,
    bank_statements_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Engine, func, select, update

from tests.conftest import NETWORK_TOML, write_events
from tests.support.bank_statements import (
    GEM_IBAN,
    NETWORK_IBAN,
    STRANGER_IBAN,
    SUPPLIER_IBAN,
    line,
    statement,
    with_bank,
)

#: A second account of the network's own (a savings account).
SAVINGS_IBAN = "NL69INGB0123456789"
#: The test network with the current account (`with_bank`) and the savings account.
BANK_NETWORK_TOML = (
    with_bank(NETWORK_TOML)
    + f'\n[[bank_accounts]]\niban = "{SAVINGS_IBAN}"\nname = "Spaarrekening"\n'
)
EVENTS = [
    "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESLUIT-GEM",
    "C-ZVK,2026-01-05,commitment,ZVK,,400.00,Toezegging,CONTRACT-ZVK",
    "A-GEM,2026-01-06,allocation,GEM,WG-A,600.00,Toewijzing,",
    "A-ZVK,2026-01-06,allocation,ZVK,WG-A,400.00,Toewijzing,",
    # Before the first statement: the money the statements open with.
    "R-PRE,2026-01-10,receipt,GEM,,100.00,Voorschot,GEM-PRE-2026",
    # Typed in by the administrator; it never arrives.
    "R-TYPED,2026-03-05,receipt,ZVK,,50.00,Toegezegd per mail,ZVK-MAIL-1",
    # Dated after the bank booked it, and before: the timing differences.
    "R-LATE,2026-04-02,receipt,GEM,,100.00,Voorschot Q2,GEM-Q2-2026",
    "R-EARLY,2026-03-30,receipt,GEM,,70.00,Aanvulling,GEM-X1-2026",
]


@pytest.fixture
def bank_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The test network with two bank accounts of its own and the events above."""
    path = tmp_path / "network.toml"
    path.write_text(BANK_NETWORK_TOML, encoding="utf-8")
    engine = connect(db_url)
    initialize(engine, load_network(path))
    import_events(engine, write_events(tmp_path / "events.csv", EVENTS))
    yield engine
    engine.dispose()


def _import_statements(engine: Engine) -> None:
    march = [
        line("B1", "2026-02-16", 25_000, iban=GEM_IBAN, name="Gemeente"),
        line("B2", "2026-02-17", 5_000, iban=STRANGER_IBAN, name="Onbekend", remittance="gift"),
        line("B4", "2026-03-20", -2_000, iban=SUPPLIER_IBAN, name="Drukkerij"),
        line("B3", "2026-03-31", 10_000, iban=GEM_IBAN, remittance="GEM-Q2-2026"),
    ]
    april = [line("B5", "2026-04-03", 7_000, iban=GEM_IBAN, remittance="GEM-X1-2026")]
    first = statement("S1", 10_000, march, start="2026-02-01", end="2026-03-31")
    second = statement("S2", first.closing_cents, april, start="2026-04-01", end="2026-04-30")
    import_parsed(engine, [first, second], "current.xml")
    savings = statement("V1", 0, [], start="2026-02-01", end="2026-03-31", account=SAVINGS_IBAN)
    import_parsed(engine, [savings], "savings.xml")


def _explained(found) -> dict[str, list[tuple[int, str, str]]]:  # type: ignore[no-untyped-def]
    kinds: dict[str, list[tuple[int, str, str]]] = {}
    for each in found.explanations:
        kinds.setdefault(each.kind, []).append((each.amount_cents, each.ref, each.transaction))
    return kinds


def test_the_difference_is_explained_line_by_line(bank_engine: Engine) -> None:
    _import_statements(bank_engine)
    found = reconcile(bank_engine, datetime.date(2026, 3, 31))
    # Bank: 100.00 opening + 250 + 50 - 20 + 100; ledger: 100 + 250 + 50 + 70 (R-LATE later).
    assert (found.bank_cents, found.ledger_cents) == (48_000, 47_000)
    assert found.difference_cents == -1_000 and not found.reconciled
    [current, savings] = found.accounts
    assert (current.iban, current.name, current.balance_cents) == (
        NETWORK_IBAN, "Stichting Testnetwerk", 48_000)  # fmt: skip
    assert current.statement_date == datetime.date(2026, 3, 31)
    assert current.statement_closing_cents == 48_000
    assert (savings.iban, savings.balance_cents) == (SAVINGS_IBAN, 0)
    bank_b3 = f"netfund:bank:{NETWORK_IBAN}:B3"
    assert _explained(found) == {
        "bank_only": [(-5_000, "B2", ""), (2_000, "B4", "")],
        "ledger_only": [(5_000, "", "R-TYPED")],
        "timing": [(7_000, "B5", "R-EARLY"), (-10_000, "B3", "R-LATE")],
        "opening": [(10_000, "", ""), (-10_000, "", "")],
    }
    assert bank_b3 not in {e.transaction for e in found.explanations}
    assert sum(e.amount_cents for e in found.explanations) == found.difference_cents
    assert found.subtotal_cents("timing") == -3_000
    assert (found.unmatched_count, found.unmatched_in_cents, found.unmatched_out_cents) == (
        2, 5_000, 2_000)  # fmt: skip
    stranger = found.of_kind("bank_only")[0]
    assert stranger.counterparty == f"Onbekend ({STRANGER_IBAN})" and stranger.text == "gift"


def test_by_default_as_of_the_newest_statement_and_reconciled_once_explained_away(
    bank_engine: Engine,
) -> None:
    _import_statements(bank_engine)
    found = reconcile(bank_engine)
    assert found.as_of == datetime.date(2026, 4, 30)
    # The timing differences are gone by the end of April; the rest remains.
    assert "timing" not in _explained(found)
    assert found.difference_cents == 5_000 - 5_000 + 2_000
    # The stranger's gift booked as GEM's receipt, the printer as WG-A's expense, and the
    # receipt that never came reversed: reconciled, nothing left to explain but the opening.
    assign_line(bank_engine, "B2", funder="GEM")
    assign_line(bank_engine, "B4", group="WG-A")
    reverse(bank_engine, "R-TYPED", description="nooit ontvangen")
    after = reconcile(bank_engine)
    assert after.reconciled and after.difference_cents == 0
    assert {e.kind for e in after.explanations} == {"opening"}
    assert after.subtotal_cents("opening") == 0
    assert after.unmatched_count == 0


def test_messy_data_still_adds_up_exactly(bank_engine: Engine) -> None:
    """Lines relinked at random (to other transactions, to ones without a bank movement, to
    ids the ledger does not have, to the same transaction twice), some unmatched, reversals:
    whatever the tables hold, the explanations add up to the difference, on every day."""
    _import_statements(bank_engine)
    reverse(bank_engine, f"netfund:bank:{NETWORK_IBAN}:B1", datetime.date(2026, 3, 1))
    reverse(bank_engine, "R-TYPED", datetime.date(2026, 4, 10))
    reverse(bank_engine, "R-PRE", datetime.date(2026, 2, 10))
    b, t, p, s = (
        bank_lines_table.c,
        transactions_table.c,
        postings_table.c,
        bank_statements_table.c,
    )
    with bank_engine.connect() as connection:
        ids = [*connection.execute(select(t.external_id)).scalars(), "NOT-IN-LEDGER"]
        refs = list(connection.execute(select(b.ref).order_by(b.ref)).scalars())
    chance = random.Random(19)
    days = [datetime.date(2026, 1, 1) + datetime.timedelta(days=n) for n in range(0, 140, 6)]
    for _round in range(4):
        with bank_engine.begin() as connection:
            for ref in refs:
                target = chance.choice([None, *ids])
                connection.execute(
                    update(bank_lines_table)
                    .where(b.ref == ref)
                    .values(
                        status="unmatched" if target is None else "linked",
                        txn_external_id=target,
                    )
                )
        with bank_engine.connect() as connection:
            for day in days:
                if day < datetime.date(2026, 2, 1):
                    with pytest.raises(LedgerError, match="no bank statement covers"):
                        reconcile(bank_engine, day)
                    continue
                found = reconcile(bank_engine, day)
                ledger = connection.execute(
                    select(func.coalesce(func.sum(p.amount_cents), 0))
                    .join_from(postings_table, transactions_table)
                    .where(p.account == "Assets:Bank", t.date <= day)
                ).scalar_one()
                openings = connection.execute(
                    select(func.sum(s.opening_cents)).where(s.statement_id.in_(("S1", "V1")))
                ).scalar_one()
                moved = connection.execute(
                    select(func.coalesce(func.sum(b.amount_cents), 0)).where(b.booking_date <= day)
                ).scalar_one()
                assert (found.ledger_cents, found.bank_cents) == (ledger, openings + moved)
                explained = sum(e.amount_cents for e in found.explanations)
                assert explained == found.difference_cents, (day, found.explanations)


def test_without_a_statement_it_says_how_to_import_one(bank_engine: Engine) -> None:
    with pytest.raises(LedgerError, match="no bank statement imported yet: netfund bank import"):
        reconcile(bank_engine)
    with reading(bank_engine) as connection:
        assert reconciliation_as_of(connection, datetime.date(2026, 12, 31)) is None


def test_a_gap_between_statements_is_warned_about(bank_engine: Engine) -> None:
    first = statement("S1", 0, [line("G1", "2026-02-03", 1_000, iban=STRANGER_IBAN)],
                      start="2026-02-01", end="2026-02-28")  # fmt: skip
    import_parsed(bank_engine, [first], "feb.xml")
    # Rows written straight into the tables (a fixture: the importer refuses such a gap),
    # as if March's statement were missing: April opens at 30.00, not 10.00.
    with bank_engine.begin() as connection:
        row = connection.execute(select(bank_statements_table).where(
            bank_statements_table.c.statement_id == "S1")).one()._asdict()  # fmt: skip
        row.pop("id")
        row |= {
            "statement_id": "S3",
            "opening_cents": 3_000,
            "opening_date": datetime.date(2026, 4, 1),
            "from_date": datetime.date(2026, 4, 1),
            "closing_cents": 3_000,
            "closing_date": datetime.date(2026, 4, 30),
            "to_date": datetime.date(2026, 4, 30),
        }
        connection.execute(bank_statements_table.insert().values(**row))
    found = reconcile(bank_engine)
    assert found.accounts[0].balance_cents == 1_000
    assert any("closes at 3000 cents, its lines reach 1000" in w for w in found.warnings)
    assert any(f"{SAVINGS_IBAN} has no bank statement imported" in w for w in found.warnings)


def test_a_funders_login_is_refused(bank_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _import_statements(bank_engine)
    from netfund.ledger.bank import reconcile as module

    monkeypatch.setattr(module, "readable_funders", lambda _connection: frozenset({"GEM"}))
    with pytest.raises(AccessDenied, match="administrator and the controller"):
        reconcile(bank_engine)
    with reading(bank_engine) as connection:
        assert reconciliation_as_of(connection, datetime.date(2026, 12, 31)) is None
