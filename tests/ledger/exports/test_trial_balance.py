"""The trial balance export (issue 5): opening, debits, credits, closing; each fund sums to zero."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from tests.support.exports import (
    as_json,
    build_two_periods,
    cents,
    invoke,
    ledger_balances,
    ok,
    saniveld_url,  # noqa: F401 - a fixture
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _export(url: str, out: Path, *args: str) -> list[dict[str, str]]:
    ok(invoke(url, "export", "trial-balance", "--format", "csv", "--out", str(out), *args))
    return _rows(out)


def test_every_fund_sums_to_zero(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    rows = _export(saniveld_url, tmp_path / "tb.csv", "--by", "fund", "--period", "2026")
    assert list(rows[0]) == ["fund", "account", "opening", "debit", "credit", "closing"]
    funds = {row["fund"] for row in rows}
    assert {"GEM-SANIVELD-WMO", "ZONMW", "ZV-LINGEZORG"} <= funds
    for fund in funds:
        own = [row for row in rows if row["fund"] == fund]
        assert sum(cents(row["closing"]) for row in own) == 0, fund
        assert sum(cents(row["debit"]) for row in own) == sum(cents(row["credit"]) for row in own)
        budget = [row for row in own if row["account"].startswith("Budget")]
        assert sum(cents(row["closing"]) for row in budget) == 0, fund  # the memo ledger too
    closing = {(row["account"], row["fund"]): cents(row["closing"]) for row in rows}
    assert {key: value for key, value in closing.items() if value} == ledger_balances(saniveld_url)
    for row in rows:
        assert cents(row["opening"]) == 0  # the example starts in 2026
        assert cents(row["closing"]) == cents(row["debit"]) - cents(row["credit"])


def test_by_account_and_by_group(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    by_account = _export(saniveld_url, tmp_path / "a.csv")
    assert list(by_account[0]) == ["account", "opening", "debit", "credit", "closing"]
    accounts = {row["account"]: cents(row["closing"]) for row in by_account}
    balances = as_json(invoke(saniveld_url, "balance", "--by", "account", "--json"))
    expected = {line["account"]: cents(line["balance"]) for line in balances}
    assert {account: value for account, value in accounts.items() if value} == expected
    assert sum(accounts.values()) == 0
    by_group = _export(saniveld_url, tmp_path / "g.csv", "--by", "group")
    assert list(by_group[0])[:2] == ["group", "account"]
    expenses = [row for row in by_group if row["account"] == "Expenses:WG-WIJK-NOORD"]
    assert [row["group"] for row in expenses] == ["WG-WIJK-NOORD"]
    bank = [row for row in by_group if row["account"] == "Assets:Bank"]
    assert [row["group"] for row in bank] == [""]  # bank lines carry no group


def test_the_opening_balance_is_everything_before_the_period(db_url: str, tmp_path: Path) -> None:
    build_two_periods(db_url, tmp_path)
    rows = _export(db_url, tmp_path / "2026.csv", "--by", "fund", "--period", "2026")
    before = ledger_balances(db_url, "--period", "2025")
    within = ledger_balances(db_url, "--period", "2026")
    after = ledger_balances(db_url)
    opening = {(row["account"], row["fund"]): cents(row["opening"]) for row in rows}
    movement = {
        (row["account"], row["fund"]): cents(row["debit"]) - cents(row["credit"]) for row in rows
    }
    closing = {(row["account"], row["fund"]): cents(row["closing"]) for row in rows}
    assert {key: value for key, value in opening.items() if value} == before
    assert {key: value for key, value in movement.items() if value} == within
    assert {key: value for key, value in closing.items() if value} == after
    for fund in {row["fund"] for row in rows}:
        own = [row for row in rows if row["fund"] == fund]
        for column in ("opening", "closing"):
            assert sum(cents(row[column]) for row in own) == 0, (fund, column)
    assert any(value for value in opening.values())  # 2025 left balances behind


def test_the_xlsx_trial_balance_has_numbers(db_url: str, tmp_path: Path) -> None:
    build_two_periods(db_url, tmp_path)
    out = tmp_path / "tb.xlsx"
    ok(
        invoke(
            db_url,
            *("export", "trial-balance", "--format", "xlsx", "--period", "2026"),
            *("--out", str(out)),
        )
    )
    sheet = load_workbook(out)["trial balance"]
    assert [cell.value for cell in sheet[1]] == ["account", "opening", "debit", "credit", "closing"]
    assert sheet.freeze_panes == "A2"
    totals = [Decimal(0)] * 4
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type == "n" and "€" in cell.number_format for cell in row[1:])
        values = [Decimal(str(cell.value)) for cell in row[1:]]
        assert values[3] == values[0] + values[1] - values[2]
        totals = [total + value for total, value in zip(totals, values, strict=True)]
    assert totals[0] == totals[3] == 0 and totals[1] == totals[2] > 0
