"""The XML Auditfile Financieel (XAF) export, version 4.0 (default) or 3.2.

XAF is the Dutch tax authority's audit file: the format Dutch auditors and their tools
import. netfund writes it with lxml's incremental writer (`etree.xmlfile`), one transaction
element at a time, so a large ledger never sits in memory. How netfund maps onto XAF:

- header: the fiscal year is the period (``2026``), or ``2025-2027`` for a whole ledger that
  spans years; start and end dates are 1 January and 31 December of those years.
- company: the network's name; country NL; the tax registration number is empty, because a
  network.toml has none. Funders are customers/suppliers (type B, both: they pay
  contributions in and get unspent money back), by funder code; XAF allows 50 characters of
  name, so longer names are cut.
- general ledger: one ledger account per netfund account posted to, with the account name as
  description; Income and Expenses accounts are type P (profit and loss), every other
  account type B (balance; 4.0 allows only B and P). The budget memo accounts (Budget:...)
  are included, type B, and balance on their own. XAF account ids hold 35 characters: a
  longer account name gets a shortened id (22 characters, ``~``, 12 hex digits of its sha256)
  and keeps its full name in the description.
- periods: the calendar months, numbered 1..12 within the year (13..24 in the second year of a
  whole-ledger export, and so on).
- opening balance: with a period, each account's balance of everything before it (summed
  over funds: XAF has no project on opening lines); without one, empty.
- transactions: one journal per netfund transaction type (bank journals B for receipts,
  expenses and refunds, memorial journals M for the rest), transactions by chain position
  (``nr``), the external id as source and as document reference when there is no reference;
  on every line the fund as project (and as customer/supplier unless it is NET) and the
  working group as cost centre. Amounts are positive with D or C.

The header's line count and debit and credit totals are computed in the database first and
checked again against what was written (a paired assertion).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lxml import etree
from netfund.ledger.exports.registry import XAF_VERSIONS, Writer
from netfund.ledger.exports.rows import stream_postings
from netfund.ledger.exports.scope import NETWORK_FUND, Scope
from netfund.ledger.model.errors import InvariantViolation, LedgerError
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import TRANSACTION_TYPES, postings_table, transactions_table
from sqlalchemy import Connection, case, func, select

NAMESPACES = {
    "4.0": "http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.1/structures/XmlauditfileXAF_4.0",
    "3.2": "http://www.auditfiles.nl/XAF/3.2",
}
ID_LENGTH_MAX = 35
NAME_LENGTH_MAX = 50
COMPANY_NAME_LENGTH_MAX = 255
PERIOD_NUMBER_MAX = 999
SOFTWARE = "netfund"
CURRENCY = "EUR"
COUNTRY = "NL"
#: Journal per transaction type: its description and XAF journal type (B bank, M memorial).
JOURNALS: dict[str, tuple[str, str]] = {
    "commitment": ("Commitments: funders' pledges, receivable against contributions", "M"),
    "receipt": ("Receipts: funders' payments into the bank", "B"),
    "allocation": ("Allocations: budget decisions on the memo accounts", "M"),
    "expense": ("Expenses of the working groups, paid from the bank", "B"),
    "refund": ("Refunds of unspent money to funders", "B"),
    "journal": ("Journal entries: controllers' corrections", "M"),
    "reversal": ("Reversals of earlier transactions", "M"),
    "close": ("Period closing: unspent money settled, budget closed", "M"),
    "carry_over": ("Unspent money carried over into the next period", "M"),
}


def _software_version() -> str:
    try:
        return version("netfund")[:20]
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def account_id(account: str) -> str:
    """An XAF account id (at most 35 characters) for a netfund account name."""
    if len(account) <= ID_LENGTH_MAX:
        return account
    return account[:22] + "~" + hashlib.sha256(account.encode("utf-8")).hexdigest()[:12]


def account_type(account: str) -> str:
    return "P" if account.split(":", 1)[0] in ("Income", "Expenses") else "B"


@dataclass(frozen=True)
class _Totals:
    lines: int
    debit_cents: int
    credit_cents: int


class _Xaf:
    """Element building for one XAF version: names, order and lengths differ a little."""

    def __init__(self, xaf_version: str) -> None:
        if xaf_version not in XAF_VERSIONS:
            raise LedgerError(
                f"unknown XAF version {xaf_version!r}: use {' or '.join(XAF_VERSIONS)}"
            )
        self.version = xaf_version
        self.namespace = NAMESPACES[xaf_version]
        self.nsmap = {None: self.namespace}

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def element(self, name: str, children: list[tuple[str, Any]]) -> etree._Element:
        """``<name>`` with text children in order; None values are left out."""
        # Every written subtree declares the default namespace itself: lxml's incremental
        # writer does not know the enclosing element's declaration.
        node = etree.Element(self.tag(name), nsmap=self.nsmap)
        self.fill(node, children)
        return node

    def stream(self, out: Any, name: str, children: list[tuple[str, Any]] | str) -> None:
        """Write ``<name>`` in place, inside the enclosing element's namespace declaration.

        For the file's bounded parts (header, funders, accounts, periods, opening balance);
        the transactions, which can be millions, are built as elements and written whole.
        """
        with out.element(self.tag(name)):
            if isinstance(children, str):
                out.write(children)
                return
            for child, value in children:
                if value is None:
                    continue
                self.stream(out, child, value if isinstance(value, list) else str(value))

    def fill(self, node: etree._Element, children: list[tuple[str, Any]]) -> None:
        for child, value in children:
            if value is None:
                continue
            if isinstance(value, list):
                self.fill(etree.SubElement(node, self.tag(child)), value)
            else:
                etree.SubElement(node, self.tag(child)).text = str(value)


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _scope_years(connection: Connection, scope: Scope, today: datetime.date) -> tuple[int, int]:
    if scope.period is not None:
        return int(scope.period), int(scope.period)
    t = transactions_table.c
    first, last = connection.execute(
        select(func.min(t.date), func.max(t.date)).where(t.id <= scope.head_id)
    ).one()
    if first is None:
        return today.year, today.year
    return _date(first).year, _date(last).year


def _amount(cents: int) -> tuple[str, str]:
    return format_cents(abs(cents)), "D" if cents >= 0 else "C"


def _opening_balances(connection: Connection, scope: Scope) -> dict[str, int]:
    if scope.period is None:
        return {}
    p, t = postings_table.c, transactions_table.c
    query = (
        select(p.account, func.sum(p.amount_cents))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(t.id <= scope.head_id, t.period < scope.period)
        .group_by(p.account)
    )
    return {account: int(cents) for account, cents in connection.execute(query) if int(cents)}


def _scope_filter(query: Any, scope: Scope) -> Any:
    t = transactions_table.c
    query = query.where(t.id <= scope.head_id)
    if scope.period is not None:
        query = query.where(t.period == scope.period)
    return query


def _transaction_totals(
    connection: Connection, scope: Scope
) -> tuple[_Totals, list[str], list[str]]:
    """Line count and totals, the accounts posted to and the transaction types present."""
    p, t = postings_table.c, transactions_table.c
    joined = postings_table.join(transactions_table, p.txn_id == t.id)
    amount = p.amount_cents
    lines, debit, credit = connection.execute(
        _scope_filter(
            select(
                func.count(),
                func.coalesce(func.sum(case((amount > 0, amount), else_=0)), 0),
                func.coalesce(func.sum(case((amount < 0, -amount), else_=0)), 0),
            ).select_from(joined),
            scope,
        )
    ).one()
    accounts = connection.execute(
        _scope_filter(select(p.account).select_from(joined).distinct(), scope)
    ).scalars()
    types = set(connection.execute(_scope_filter(select(t.type).distinct(), scope)).scalars())
    ordered_types = [name for name in TRANSACTION_TYPES if name in types]
    if types - set(ordered_types):
        raise InvariantViolation(f"unknown transaction types {sorted(types - set(ordered_types))}")
    return _Totals(int(lines), int(debit), int(credit)), sorted(accounts), ordered_types


def xaf_writer(
    xaf_version: str = "4.0", today: Callable[[], datetime.date] | None = None
) -> Writer:
    """The `registry.Writer` of an XAF file of ``xaf_version``."""
    xaf = _Xaf(xaf_version)
    clock = today or datetime.date.today

    def write(connection: Connection, scope: Scope, path: Path) -> int:
        return _write(xaf, connection, scope, path, clock())

    return write


def _write(
    xaf: _Xaf, connection: Connection, scope: Scope, path: Path, today: datetime.date
) -> int:
    network = read_network(connection)
    first_year, last_year = _scope_years(connection, scope, today)
    if (last_year - first_year + 1) * 12 > PERIOD_NUMBER_MAX:
        raise LedgerError(
            f"the ledger spans {first_year}..{last_year}, more months than XAF can number: "
            "export one period at a time with --period"
        )
    totals, accounts, types = _transaction_totals(connection, scope)
    opening = _opening_balances(connection, scope)
    all_accounts = sorted(set(accounts) | set(opening))
    ids = {account: account_id(account) for account in all_accounts}
    if len(set(ids.values())) != len(ids):
        raise InvariantViolation("two accounts got the same XAF account id")
    # Customers/suppliers are the funders; NET (the network's own money) is none of them.
    funders = frozenset(funder.code for funder in network.funders) - {NETWORK_FUND}
    start = datetime.date(first_year, 1, 1)
    end = datetime.date(last_year, 12, 31)
    is_32 = xaf.version == "3.2"
    written = _Totals(0, 0, 0)
    company: list[tuple[str, Any]] = [
        ("companyName", network.name[:COMPANY_NAME_LENGTH_MAX]),
        ("taxRegistrationCountry", COUNTRY),
        ("taxRegIdent", ""),
    ]
    if network.funders:
        suppliers = [
            (
                "customerSupplier",
                [
                    ("custSupID", funder.code),
                    ("custSupName", funder.name[:NAME_LENGTH_MAX]),
                    ("custSupTp", "B"),
                ],
            )
            for funder in network.funders
        ]
        company.append(("customersSuppliers", suppliers))
    if all_accounts:
        ledger_accounts = [
            (
                "ledgerAccount",
                [
                    ("accID", ids[account]),
                    ("accDesc", account),
                    ("accTp", account_type(account)),
                ],
            )
            for account in all_accounts
        ]
        company.append(("generalLedger", ledger_accounts))
    company.append(("periods", _periods(first_year, last_year, is_32)))
    company.append(("openingBalance", _opening(opening, ids, start, is_32)))
    fiscal_year = str(first_year) if first_year == last_year else f"{first_year}-{last_year}"
    header: list[tuple[str, Any]] = [
        ("fiscalYear", fiscal_year),
        ("startDate", start.isoformat()),
        ("endDate", end.isoformat()),
        ("curCode", CURRENCY),
        ("dateCreated", today.isoformat()),
        ("softwareDesc", SOFTWARE),
        ("softwareVersion", _software_version()),
    ]
    written = _Totals(0, 0, 0)
    with etree.xmlfile(str(path), encoding="UTF-8") as out:
        out.write_declaration()
        with out.element(xaf.tag("auditfile"), nsmap=xaf.nsmap):
            xaf.stream(out, "header", header)
            with out.element(xaf.tag("company")):
                for name, value in company:
                    xaf.stream(out, name, value)
                with out.element(xaf.tag("transactions")):
                    xaf.stream(out, "linesCount", str(totals.lines))
                    xaf.stream(out, "totalDebit", format_cents(totals.debit_cents))
                    xaf.stream(out, "totalCredit", format_cents(totals.credit_cents))
                    for transaction_type in types:
                        written = _write_journal(
                            xaf,
                            out,
                            connection,
                            scope,
                            transaction_type,
                            ids,
                            funders,
                            first_year,
                            written,
                        )
    if written != totals:
        raise InvariantViolation(
            f"XAF lines written ({written.lines}, debit {written.debit_cents}, credit "
            f"{written.credit_cents}) differ from the ledger's ({totals.lines}, "
            f"{totals.debit_cents}, {totals.credit_cents})"
        )
    return written.lines


def _periods(first_year: int, last_year: int, is_32: bool) -> list[tuple[str, Any]]:
    periods: list[tuple[str, Any]] = []
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            start = datetime.date(year, month, 1)
            following = datetime.date(year + month // 12, month % 12 + 1, 1)
            periods.append(
                (
                    "period",
                    [
                        ("periodNumber", (year - first_year) * 12 + month),
                        ("periodDesc", start.strftime("%Y-%m") if is_32 else None),
                        ("startDatePeriod", start.isoformat()),
                        ("endDatePeriod", (following - datetime.timedelta(days=1)).isoformat()),
                    ],
                )
            )
    return periods


def _opening(
    opening: dict[str, int], ids: dict[str, str], start: datetime.date, is_32: bool
) -> list[tuple[str, Any]]:
    debit = sum(cents for cents in opening.values() if cents > 0)
    credit = -sum(cents for cents in opening.values() if cents < 0)
    children: list[tuple[str, Any]] = []
    if is_32:
        children += [
            ("opBalDate", start.isoformat()),
            ("opBalDesc", f"Balances before {start.isoformat()}"),
        ]
    children += [
        ("linesCount", len(opening)),
        ("totalDebit", format_cents(debit)),
        ("totalCredit", format_cents(credit)),
    ]
    for number, account in enumerate(sorted(opening), start=1):
        amount, side = _amount(opening[account])
        children.append(
            (
                "obLine",
                [("nr", number), ("accID", ids[account]), ("amnt", amount), ("amntTp", side)],
            )
        )
    return children


def _write_journal(
    xaf: _Xaf,
    out: Any,
    connection: Connection,
    scope: Scope,
    transaction_type: str,
    ids: dict[str, str],
    funders: frozenset[str],
    first_year: int,
    written: _Totals,
) -> _Totals:
    """Write one journal (the transactions of one type); return the running totals."""
    description, journal_type = JOURNALS[transaction_type]
    is_32 = xaf.version == "3.2"
    lines, debit_cents, credit_cents = written.lines, written.debit_cents, written.credit_cents
    with out.element(xaf.tag("journal")):
        xaf.stream(out, "jrnID", transaction_type)
        xaf.stream(out, "desc", description)
        xaf.stream(out, "jrnTp", journal_type)
        for chunk in stream_postings(connection, scope, types=[transaction_type]):
            columns = {name: chunk.column(name).to_pylist() for name in chunk.column_names}
            row, count = 0, chunk.num_rows
            while row < count:
                txn_id = columns["txn_id"][row]
                date = columns["date"][row]
                external_id = columns["external_id"][row]
                reference = columns["reference"][row] or external_id
                period_number = (date.year - first_year) * 12 + date.month
                trlines: list[tuple[str, Any]] = []
                while row < count and columns["txn_id"][row] == txn_id:
                    cents = columns["amount_cents"][row]
                    fund = columns["fund"][row]
                    group = columns["group"][row]
                    amount, side = _amount(cents)
                    trlines.append(
                        (
                            "trLine",
                            [
                                ("nr", columns["line_no"][row]),
                                ("accID", ids[columns["account"][row]]),
                                ("docRef", reference),
                                ("effDate", date.isoformat()),
                                ("amnt", amount),
                                ("amntTp", side),
                                ("custSupID", fund if fund in funders else None),
                                ("costID" if is_32 else "cost", group),
                                ("projID" if is_32 else "project", fund),
                            ],
                        )
                    )
                    lines += 1
                    if cents > 0:
                        debit_cents += cents
                    else:
                        credit_cents -= cents
                    row += 1
                # 3.2 holds a 35-character source id; the id is in docRef when it is longer.
                source = None if is_32 and len(external_id) > ID_LENGTH_MAX else external_id
                description_text = columns["description"][row - 1]
                out.write(
                    xaf.element(
                        "transaction",
                        [
                            ("nr", txn_id),
                            ("desc", description_text or None),
                            ("periodNumber", period_number),
                            ("trDt", date.isoformat()),
                            ("sourceID" if is_32 else "Source", source),
                            *trlines,
                        ],
                    )
                )
    return _Totals(lines, debit_cents, credit_cents)
