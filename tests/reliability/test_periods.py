"""Periods (invariant 6) on SQLite and PostgreSQL: closing settles every fund and locks the year.

The test network with ZonMw turned into a `carry_over` funder (it keeps its earmark: WG-A and
PMO only), so the three policies meet: GEM carry_over without earmark, ZVK return, ZONMW
carry_over with earmark. A year of commitments, receipts, allocations, pro-rata and explicit
expenses (odd cents) and refunds is closed. Then:

- `return` (ZVK): Liabilities:Refundable holds received - spent - refunded, as a credit; a
  refund in the next year pays it off exactly.
- `carry_over` (GEM, ZONMW): the same amount is an Income:Contributions credit in the next
  year, on 1 January, and ZONMW's earmark still holds there: an explicit expense or an
  allocation to an excluded group is refused, one to an eligible group is accepted.
- Budget balances of the closed year are zero.
- Everything dated in the closed year is refused with exit 2 and nothing written: import (a
  file that also holds a valid next-year row), journal, post, reverse with a date in it (or
  the original's date), the Python post API, committing an allocation run solved before the
  close or solving one; closing it again, or an earlier year after it.
- A reversal is never reversed, and a transaction is reversed only once.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from netfund.ledger.importer import post
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.database import connect

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import PLAN, assert_refused, run_cli, write_text

CARRY_OVER_ZONMW = 'eligible_groups = ["WG-A", "PMO"]\nunspent = "return"'
assert CARRY_OVER_ZONMW in NETWORK_TOML
NETWORK = NETWORK_TOML.replace(CARRY_OVER_ZONMW, CARRY_OVER_ZONMW.replace("return", "carry_over"))

YEAR = """\
c-gem,2026-01-05,commitment,GEM,,1000.00,,
c-zvk,2026-01-05,commitment,ZVK,,500.00,,
c-zonmw,2026-01-05,commitment,ZONMW,,300.00,,
r-gem,2026-01-10,receipt,GEM,,800.00,,
r-zvk,2026-01-10,receipt,ZVK,,450.00,,
r-zonmw,2026-01-10,receipt,ZONMW,,299.99,,
a-gem-a,2026-01-15,allocation,GEM,WG-A,600.00,,
a-gem-b,2026-01-15,allocation,GEM,WG-B,200.00,,
a-zvk-a,2026-01-15,allocation,ZVK,WG-A,300.00,,
a-zonmw-a,2026-01-15,allocation,ZONMW,WG-A,100.00,,
a-zonmw-pmo,2026-01-15,allocation,ZONMW,PMO,10.00,,
e-1,2026-03-01,expense,,WG-A,123.45,Pro rata,
e-2,2026-03-02,expense,ZVK,WG-B,10.00,Explicit,
e-3,2026-03-03,expense,,PMO,33.33,Pro rata PMO,
e-4,2026-03-04,expense,GEM,WG-B,50.01,Explicit,
e-5,2026-04-01,expense,,WG-A,0.07,Afronding,
f-zvk,2026-06-01,refund,ZVK,,20.00,Terug,
f-gem,2026-06-02,refund,GEM,,5.00,Terug,
"""
RECEIVED = {"GEM": Decimal("800.00"), "ZVK": Decimal("450.00"), "ZONMW": Decimal("299.99")}
REFUNDED = {"GEM": Decimal("5.00"), "ZVK": Decimal("20.00"), "ZONMW": Decimal("0")}


def _state(db_url: str) -> tuple[int, str]:
    result = run_cli(db_url, "verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return report["transactions"], report["fingerprint"]


def _balances(db_url: str, *args: str) -> dict[tuple[str, str], Decimal]:
    result = run_cli(db_url, "balance", "--by", "account,fund", "--json", *args)
    assert result.exit_code == 0, result.output
    return {(b["account"], b["fund"]): Decimal(b["balance"]) for b in json.loads(result.stdout)}


def _events(folder: Path, name: str, rows: str) -> str:
    return str(write_text(folder / name, EVENTS_HEADER + rows))


@pytest.fixture
def closed(db_url: str, tmp_path: Path) -> str:
    """The ledger with 2026 recorded, an allocation run solved (not committed), a reversal of
    e-2, and 2026 closed."""
    for args in [
        ("init", str(write_text(tmp_path / "network.toml", NETWORK))),
        ("import", _events(tmp_path, "2026.csv", YEAR)),
        ("allocate", str(write_text(tmp_path / "plan.toml", PLAN))),
        ("reverse", "e-2", "--date", "2026-05-01"),
        ("close", "2026", "--force", "--reason", "closed early in a test"),
    ]:
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, (args, result.output)
    return db_url


def test_close_settles_each_policy_and_keeps_the_earmark(closed: str, tmp_path: Path) -> None:
    db_url = closed
    year = _balances(db_url, "--period", "2026")
    spent = {
        fund: sum(
            (a for (account, f), a in year.items() if f == fund and account.startswith("Expenses")),
            Decimal(0),
        )
        for fund in RECEIVED
    }
    assert spent["ZVK"] > 0 and spent["ZONMW"] > 0 and spent["GEM"] > 0
    unspent = {fund: RECEIVED[fund] - spent[fund] - REFUNDED[fund] for fund in RECEIVED}
    assert all(amount > 0 for amount in unspent.values()), unspent

    everything = _balances(db_url)
    assert everything[("Liabilities:Refundable", "ZVK")] == -unspent["ZVK"]
    assert ("Liabilities:Refundable", "GEM") not in everything
    assert ("Liabilities:Refundable", "ZONMW") not in everything
    assert all(amount == 0 for (account, _), amount in year.items() if account.startswith("Budget"))

    next_year = _balances(db_url, "--period", "2027")
    for fund in ("GEM", "ZONMW"):
        assert next_year[("Income:Contributions", fund)] == -unspent[fund], fund
    assert ("Income:Contributions", "ZVK") not in next_year

    # ZONMW's carried-over money keeps its earmark in 2027.
    assert_refused(
        db_url,
        "import",
        _events(tmp_path, "x1.csv", "z-1,2027-02-01,expense,ZONMW,WG-B,1.00,,\n"),
        reason="earmark excludes group WG-B",
    )
    assert_refused(
        db_url,
        "import",
        _events(tmp_path, "x2.csv", "z-2,2027-02-01,allocation,ZONMW,WG-B,1.00,,\n"),
        reason="earmark excludes group WG-B",
    )
    eligible = (
        "z-3,2027-02-01,allocation,ZONMW,WG-A,50.00,,\nz-4,2027-02-02,expense,ZONMW,PMO,1.00,,\n"
    )
    assert run_cli(db_url, "import", _events(tmp_path, "ok.csv", eligible)).exit_code == 0

    # The return funder's refund in 2027 pays what it is owed, exactly.
    refund = f"f-zvk-27,2027-01-20,refund,ZVK,,{unspent['ZVK']},,\n"
    assert run_cli(db_url, "import", _events(tmp_path, "refund.csv", refund)).exit_code == 0
    after = _balances(db_url)
    assert ("Liabilities:Refundable", "ZVK") not in after
    assert ("Assets:Bank", "ZVK") not in after
    assert run_cli(db_url, "verify").exit_code == 0


def test_nothing_can_be_posted_into_a_closed_period(closed: str, tmp_path: Path) -> None:
    db_url = closed
    mixed = "n-1,2027-02-01,receipt,GEM,,10.00,,\nn-2,2026-12-31,receipt,GEM,,10.00,,\n"
    assert_refused(
        db_url,
        "import",
        _events(tmp_path, "late.csv", mixed),
        reason="late.csv:3: period 2026 is closed",
    )
    journal = write_text(
        tmp_path / "late-journal.csv",
        "txn_id,date,description,account,fund,group,amount\n"
        "J-1,2026-06-30,Correctie,Assets:Bank,NET,,1.00\n"
        "J-1,2026-06-30,Correctie,Income:Other,NET,,-1.00\n",
    )
    assert_refused(db_url, "import", "--journal", str(journal), reason="period 2026 is closed")
    assert_refused(
        db_url,
        *("post", "P-1", "--date", "2026-06-30", "-d", "Late"),
        *("--line", "Assets:Bank,NET,,1.00", "--line", "Income:Other,NET,,-1.00"),
        reason="period 2026 is closed",
    )
    assert_refused(db_url, "reverse", "e-1", reason="period 2026 is closed")
    assert_refused(db_url, "reverse", "e-1", "--date", "2026-12-31", reason="period 2026 is closed")
    assert_refused(db_url, "reverse", "netfund:close:2026:ZVK", reason="cannot be reversed")
    assert_refused(db_url, "reverse", "netfund:carry-over:2027:GEM", reason="cannot be reversed")
    assert_refused(db_url, "allocate", "--commit", "latest", reason="period 2026 is closed")
    assert_refused(db_url, "allocate", str(tmp_path / "plan.toml"), reason="period 2026 is closed")
    assert_refused(db_url, "close", "2026", reason="already closed")
    assert_refused(db_url, "close", "2025", reason="periods close in order")

    lines = (Posting("Assets:Bank", "NET", None, 100), Posting("Income:Other", "NET", None, -100))
    date = datetime.date(2026, 7, 1)
    draft = Draft(
        "api-1", date, "journal", "", "", lines, lines_fingerprint("api-1", date, "", "", lines)
    )
    before = _state(db_url)
    engine = connect(db_url)
    try:
        with pytest.raises(LedgerError, match="period 2026 is closed"):
            post(engine, [draft])
    finally:
        engine.dispose()
    assert _state(db_url) == before

    # A closed period's transaction may be reversed in an open one.
    result = run_cli(db_url, "reverse", "e-1", "--date", "2027-01-10")
    assert result.exit_code == 0, result.output


def test_a_reversal_is_never_reversed_and_nothing_twice(closed: str) -> None:
    db_url = closed
    assert_refused(db_url, "reverse", "e-2", "--date", "2027-01-02", reason="reversed already")
    assert_refused(
        db_url,
        "reverse",
        "netfund:reversal:e-2",
        "--date",
        "2027-01-02",
        reason="is itself a reversal",
    )
    first = run_cli(db_url, "reverse", "e-1", "--date", "2027-01-03")
    assert first.exit_code == 0, first.output
    assert_refused(db_url, "reverse", "e-1", "--date", "2027-01-04", reason="reversed already")
    assert_refused(
        db_url,
        "reverse",
        "netfund:reversal:e-1",
        "--date",
        "2027-01-04",
        reason="is itself a reversal",
    )


@pytest.mark.parametrize("description", ["x" * 1001, "bad\x01control"], ids=["long", "control"])
def test_reverse_checks_its_description_like_every_input(closed: str, description: str) -> None:
    assert_refused(
        closed, "reverse", "e-1", "--date", "2027-01-05", "-d", description, reason="description"
    )
