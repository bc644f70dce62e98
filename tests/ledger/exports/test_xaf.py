"""The XAF export (issue 5): both versions validate against the tax authority's schemas, and
the file's line counts and debit and credit totals are the ledger's."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from netfund.ledger.exports.xaf import NAMESPACES, account_id
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import case, create_engine, func, select

from tests.support.exports import (
    as_json,
    build_two_periods,
    invoke,
    ledger_balances,
    ok,
    require_schemas,
    saniveld_url,  # noqa: F401 - a fixture
)

VERSIONS = ("4.0", "3.2")


def _validate(path: Path, version: str) -> etree._ElementTree:
    schema = xmlschema.XMLSchema(str(require_schemas() / f"XmlAuditfileFinancieel{version}.xsd"))
    errors = [str(error) for error in schema.iter_errors(str(path))]
    assert errors == []
    return etree.parse(str(path))


def _ledger_totals(url: str, period: str | None) -> tuple[int, int, int]:
    """Postings, debit and credit cents straight from the database (not through an export)."""
    p, t = postings_table.c, transactions_table.c
    amount = p.amount_cents
    query = select(
        func.count(),
        func.sum(case((amount > 0, amount), else_=0)),
        func.sum(case((amount < 0, -amount), else_=0)),
    ).select_from(postings_table.join(transactions_table, p.txn_id == t.id))
    if period is not None:
        query = query.where(t.period == period)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count, debit, credit = connection.execute(query).one()
    finally:
        engine.dispose()
    return int(count), int(debit), int(credit)


def _cents(text: str) -> int:
    return int(Decimal(text).scaleb(2).to_integral_exact())


def _file_totals(tree: etree._ElementTree, version: str) -> tuple[int, int, int, int, int, int]:
    """Header count and totals, then the lines counted and summed from the file itself."""
    ns = {"x": NAMESPACES[version]}
    header = tree.find("x:company/x:transactions", ns)
    assert header is not None
    lines = tree.findall(".//x:trLine", ns)
    debit = sum(
        _cents(line.findtext("x:amnt", namespaces=ns))
        for line in lines
        if line.findtext("x:amntTp", namespaces=ns) == "D"
    )
    credit = sum(
        _cents(line.findtext("x:amnt", namespaces=ns))
        for line in lines
        if line.findtext("x:amntTp", namespaces=ns) == "C"
    )
    return (
        int(header.findtext("x:linesCount", namespaces=ns)),
        _cents(header.findtext("x:totalDebit", namespaces=ns)),
        _cents(header.findtext("x:totalCredit", namespaces=ns)),
        len(lines),
        debit,
        credit,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_saniveld_validates_and_adds_up(
    saniveld_url: str,  # noqa: F811
    tmp_path: Path,
    version: str,
) -> None:
    require_schemas()
    out = tmp_path / f"saniveld-{version}.xaf"
    record = as_json(
        invoke(
            saniveld_url,
            *("export", "xaf", "--xaf-version", version, "--period", "2026"),
            *("--out", str(out), "--json"),
        )
    )
    tree = _validate(out, version)
    count, debit, credit = _ledger_totals(saniveld_url, "2026")
    assert _file_totals(tree, version) == (count, debit, credit, count, debit, credit)
    assert record["rows"] == count and record["options"]["xaf_version"] == version
    ns = {"x": NAMESPACES[version]}
    root = tree.getroot()
    assert root.tag == f"{{{NAMESPACES[version]}}}auditfile"
    assert root.findtext("x:header/x:fiscalYear", namespaces=ns) == "2026"
    suppliers = root.findall("x:company/x:customersSuppliers/x:customerSupplier", ns)
    assert {s.findtext("x:custSupID", namespaces=ns) for s in suppliers} >= {"ZONMW", "ZK-REGIO"}
    assert all(len(s.findtext("x:custSupName", namespaces=ns)) <= 50 for s in suppliers)
    accounts = root.findall("x:company/x:generalLedger/x:ledgerAccount", ns)
    types = {
        a.findtext("x:accID", namespaces=ns): a.findtext("x:accTp", namespaces=ns) for a in accounts
    }
    assert types["Assets:Bank"] == "B" and types["Expenses:WG-WIJK-NOORD"] == "P"
    assert set(types.values()) == {"B", "P"}
    assert len(root.findall("x:company/x:periods/x:period", ns)) == 12
    journals = [
        j.findtext("x:jrnID", namespaces=ns) for j in root.iter(f"{{{NAMESPACES[version]}}}journal")
    ]
    assert journals == ["commitment", "receipt", "allocation", "expense", "refund"]
    cost, project = ("costID", "projID") if version == "3.2" else ("cost", "project")
    expense_lines = [
        line
        for line in root.iter(f"{{{NAMESPACES[version]}}}trLine")
        if line.findtext("x:accID", namespaces=ns).startswith("Expenses:")
    ]
    assert expense_lines
    for line in expense_lines:
        group = line.findtext("x:accID", namespaces=ns).removeprefix("Expenses:")
        assert line.findtext(f"x:{cost}", namespaces=ns) == group
        fund = line.findtext(f"x:{project}", namespaces=ns)
        assert line.findtext("x:custSupID", namespaces=ns) == fund


@pytest.mark.parametrize("version", VERSIONS)
def test_a_period_opens_with_the_balances_before_it(
    db_url: str, tmp_path: Path, version: str
) -> None:
    require_schemas()
    build_two_periods(db_url, tmp_path)
    out = tmp_path / "2026.xaf"
    ok(
        invoke(
            db_url,
            *("export", "xaf", "--xaf-version", version, "--period", "2026", "--out", str(out)),
        )
    )
    tree = _validate(out, version)
    count, debit, credit = _ledger_totals(db_url, "2026")
    assert _file_totals(tree, version) == (count, debit, credit, count, debit, credit)
    ns = {"x": NAMESPACES[version]}
    opening = tree.find("x:company/x:openingBalance", ns)
    lines = opening.findall("x:obLine", ns)
    found = {
        line.findtext("x:accID", namespaces=ns): _cents(line.findtext("x:amnt", namespaces=ns))
        * (1 if line.findtext("x:amntTp", namespaces=ns) == "D" else -1)
        for line in lines
    }
    expected: dict[str, int] = {}
    for (account, _fund), value in ledger_balances(db_url, "--period", "2025").items():
        expected[account] = expected.get(account, 0) + value
    assert found == {account_id(a): v for a, v in expected.items() if v}
    assert int(opening.findtext("x:linesCount", namespaces=ns)) == len(lines) > 0
    assert _cents(opening.findtext("x:totalDebit", namespaces=ns)) == _cents(
        opening.findtext("x:totalCredit", namespaces=ns)
    )
    if version == "3.2":
        assert opening.findtext("x:opBalDate", namespaces=ns) == "2026-01-01"
    whole = tmp_path / "all.xaf"
    ok(invoke(db_url, "export", "xaf", "--xaf-version", version, "--out", str(whole)))
    tree = _validate(whole, version)
    count, debit, credit = _ledger_totals(db_url, None)
    assert _file_totals(tree, version) == (count, debit, credit, count, debit, credit)
    assert tree.getroot().findtext("x:header/x:fiscalYear", namespaces=ns) == "2025-2026"
    numbers = [int(n.text) for n in tree.getroot().iter(f"{{{NAMESPACES[version]}}}periodNumber")]
    assert max(numbers) == 24
    dates = [
        datetime.date.fromisoformat(d.text)
        for d in tree.getroot().iter(f"{{{NAMESPACES[version]}}}trDt")
    ]
    assert min(dates).year == 2025 and max(dates).year == 2026


def test_long_account_names_get_short_distinct_ids() -> None:
    long_one = "Expenses:" + ":".join(["A1234567890"] * 5)
    other = long_one[:-1] + "X"
    assert len(account_id(long_one)) == 35 and account_id(long_one) != account_id(other)
    assert account_id("Assets:Bank") == "Assets:Bank"
