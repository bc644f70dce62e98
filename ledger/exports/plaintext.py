"""The ledger as a Beancount file and as an hledger journal, with balance assertions.

Auditors re-perform netfund's totals with tools they trust: ``bean-check FILE`` and
``hledger -f FILE bal`` must arrive at `netfund balance` to the cent. Both files hold the
ledger (or one period's transactions) in chain order, EUR amounts with two decimals, and at
the end one balance assertion per account and fund, so the tool itself checks the totals.

Account names: netfund's account with the fund as a last segment, ``Assets:Bank:ZONMW``;
the group of a posting is metadata (``group:``), and it is already part of the
``Expenses:G`` and ``Budget:Allocated:G`` names. Beancount knows only the roots Assets,
Liabilities, Equity, Income and Expenses, so the budget memo ledger ``Budget:...`` becomes
``Equity:Budget:...`` there (its accounts sum to zero per fund, so equity is unchanged); a
segment that does not start with a capital or a digit gets its first letter capitalised. If
two netfund accounts would get the same name, the export is refused. hledger takes netfund's
names as they are.

Period exports hold the period's transactions only, so their assertions check the movements
within the period, as ``netfund balance --period P`` shows them. Beancount asserts a balance
at the start of a day, so its assertions are dated the day after the last transaction;
Beancount's assertion includes sub-accounts, hledger's ``=`` does not, and the asserted
amounts follow each tool's rule.

Escaping: Beancount strings escape ``\\`` and ``"``. hledger has no quoting: a description
is written on one line with line breaks as spaces and ``;`` (which would start a comment) as
``,``; tag values encode ``%`` and ``,`` as ``%25`` and ``%2C``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyarrow as pa
from netfund.ledger.exports.rows import stream_postings
from netfund.ledger.exports.scope import Scope
from netfund.ledger.model.errors import InvariantViolation, LedgerError
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Connection, func, select

CURRENCY = "EUR"
BEANCOUNT_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
#: Where the budget memo ledger goes in Beancount, which has no Budget root.
BEANCOUNT_BUDGET_ROOT = "Equity:Budget"
#: Bytes buffered by the output file between writes.
WRITE_BUFFER_BYTES = 1024 * 1024


@dataclass
class AccountTotal:
    """What the database says about one account and fund in the export's scope.

    Attributes:
        first_date: the first day it is posted to (Beancount opens it then).
        cents: its balance (the movement within the period, for a period export).
        postings: how many postings it has.
    """

    first_date: datetime.date
    cents: int
    postings: int


def account_totals(connection: Connection, scope: Scope) -> dict[tuple[str, str], AccountTotal]:
    """Per (account, fund): first posting date, balance and posting count, summed in SQL."""
    p, t = postings_table.c, transactions_table.c
    query = (
        select(p.account, p.fund, func.min(t.date), func.sum(p.amount_cents), func.count())
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(t.id <= scope.head_id)
        .group_by(p.account, p.fund)
    )
    if scope.period is not None:
        query = query.where(t.period == scope.period)
    totals = {}
    for account, fund, first, cents, count in connection.execute(query):
        if isinstance(first, str):  # SQLite: MIN() of a date column comes back as text
            first = datetime.date.fromisoformat(first)
        totals[(account, fund)] = AccountTotal(first, int(cents), int(count))
    return totals


def _beancount_segment(segment: str) -> str:
    if segment[:1].isupper() or segment[:1].isdigit():
        return segment
    return segment[:1].upper() + segment[1:]


def beancount_account(account: str, fund: str) -> str:
    """netfund's account and fund as one valid Beancount account name."""
    if account == "Budget" or account.startswith("Budget:"):
        account = BEANCOUNT_BUDGET_ROOT + account[len("Budget") :]
    segments = [_beancount_segment(segment) for segment in account.split(":")]
    if segments[0] not in BEANCOUNT_ROOTS:
        raise LedgerError(
            f"account {account!r} has no Beancount root ({', '.join(BEANCOUNT_ROOTS)})"
        )
    return ":".join([*segments, _beancount_segment(fund)])


def hledger_account(account: str, fund: str) -> str:
    return f"{account}:{fund}"


def _names(
    totals: dict[tuple[str, str], AccountTotal], name_of: Callable[[str, str], str], tool: str
) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    owners: dict[str, tuple[str, str]] = {}
    for key in sorted(totals):
        name = name_of(*key)
        if name in owners:
            first, second = owners[name], key
            raise LedgerError(
                f"{tool}: accounts {first[0]} (fund {first[1]}) and {second[0]} (fund "
                f"{second[1]}) would both be named {name}; rename one in the ledger's journal"
            )
        owners[name] = key
        names[key] = name
    return names


def _inclusive(cents_by_name: dict[str, int]) -> dict[str, int]:
    """Each name's balance with its sub-accounts' (Beancount's balance rule)."""
    inclusive = dict.fromkeys(cents_by_name, 0)
    for name, cents in cents_by_name.items():
        parts = name.split(":")
        for depth in range(1, len(parts) + 1):
            ancestor = ":".join(parts[:depth])
            if ancestor in inclusive:
                inclusive[ancestor] += cents
    return inclusive


def _beancount_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hledger_text(text: str) -> str:
    return " ".join(text.replace(";", ",").split())


def _hledger_tag(text: str) -> str:
    return _hledger_text(text).replace("%", "%25").replace(",", "%2C")


def _amount(cents: int) -> str:
    return f"{format_cents(cents)} {CURRENCY}"


@dataclass(frozen=True)
class _Line:
    account: str
    fund: str
    group: str | None
    cents: int


@dataclass(frozen=True)
class _Transaction:
    id: int
    external_id: str
    date: datetime.date
    type: str
    description: str
    reference: str
    reversal_of: int | None
    hash: str
    lines: tuple[_Line, ...]


def _transactions(table: pa.Table) -> Iterator[_Transaction]:
    """The chunk's rows grouped into transactions (a chunk holds whole transactions)."""
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    count = table.num_rows
    start = 0
    while start < count:
        stop = start
        while stop < count and columns["txn_id"][stop] == columns["txn_id"][start]:
            stop += 1
        yield _Transaction(
            id=columns["txn_id"][start],
            external_id=columns["external_id"][start],
            date=columns["date"][start],
            type=columns["type"][start],
            description=columns["description"][start],
            reference=columns["reference"][start],
            reversal_of=columns["reversal_of"][start],
            hash=columns["txn_hash"][start],
            lines=tuple(
                _Line(
                    columns["account"][row],
                    columns["fund"][row],
                    columns["group"][row],
                    columns["amount_cents"][row],
                )
                for row in range(start, stop)
            ),
        )
        start = stop


class _Tally:
    """What was written, checked against the database's sums at the end (paired assertion)."""

    def __init__(self) -> None:
        self.postings = 0
        self.cents: dict[tuple[str, str], int] = {}

    def add(self, line: _Line) -> None:
        key = (line.account, line.fund)
        self.cents[key] = self.cents.get(key, 0) + line.cents
        self.postings += 1

    def check(self, totals: dict[tuple[str, str], AccountTotal]) -> None:
        expected = {key: total.cents for key, total in totals.items()}
        count = sum(total.postings for total in totals.values())
        if self.cents != expected or self.postings != count:
            raise InvariantViolation(
                "the postings written do not add up to the ledger's balances: "
                f"{self.postings} written, {count} in the ledger"
            )


def _header(out: TextIO, title: str, scope: Scope, check: str) -> None:
    # Both tools take ";" at the start of a line as a comment.
    what = f"period {scope.period}" if scope.period else "all periods"
    out.write(f"; netfund export of {title}, {what}\n")
    out.write(f"; ledger fingerprint {scope.head_hash} (transaction {scope.head_id})\n")
    out.write(f"; check: {check}\n\n")


def write_beancount(connection: Connection, scope: Scope, path: Path) -> int:
    """The scope as a Beancount file; return the postings written."""
    network = read_network(connection)
    totals = account_totals(connection, scope)
    names = _names(totals, beancount_account, "Beancount")
    tally = _Tally()
    with path.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER_BYTES) as out:
        _header(out, network.name, scope, "bean-check FILE")
        out.write(f'option "title" {_beancount_string(network.name)}\n')
        out.write(f'option "operating_currency" "{CURRENCY}"\n\n')
        for key in sorted(totals, key=lambda key: (totals[key].first_date, names[key])):
            out.write(f"{totals[key].first_date.isoformat()} open {names[key]} {CURRENCY}\n")
        last_date: datetime.date | None = None
        for chunk in stream_postings(connection, scope):
            for txn in _transactions(chunk):
                out.write(f"\n{txn.date.isoformat()} * {_beancount_string(txn.description)}\n")
                out.write(f"  netfund-id: {_beancount_string(txn.external_id)}\n")
                out.write(f"  netfund-txn: {txn.id}\n")
                out.write(f"  type: {_beancount_string(txn.type)}\n")
                if txn.reference:
                    out.write(f"  reference: {_beancount_string(txn.reference)}\n")
                if txn.reversal_of is not None:
                    out.write(f"  reversal-of: {txn.reversal_of}\n")
                out.write(f'  hash: "{txn.hash}"\n')
                for line in txn.lines:
                    tally.add(line)
                    out.write(f"  {names[(line.account, line.fund)]}  {_amount(line.cents)}\n")
                    if line.group is not None:
                        out.write(f"    group: {_beancount_string(line.group)}\n")
                last_date = txn.date if last_date is None else max(last_date, txn.date)
        tally.check(totals)
        if last_date is not None:
            # A Beancount balance holds at the start of its day: the day after the last entry.
            asserted = last_date + datetime.timedelta(days=1)
            inclusive = _inclusive({names[key]: totals[key].cents for key in totals})
            out.write("\n")
            for name in sorted(inclusive):
                out.write(f"{asserted.isoformat()} balance {name}  {_amount(inclusive[name])}\n")
    return tally.postings


def write_hledger(connection: Connection, scope: Scope, path: Path) -> int:
    """The scope as an hledger journal; return the postings written."""
    network = read_network(connection)
    totals = account_totals(connection, scope)
    names = _names(totals, hledger_account, "hledger")
    tally = _Tally()
    with path.open("w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER_BYTES) as out:
        _header(out, network.name, scope, "hledger -f FILE bal")
        out.write("decimal-mark .\n")
        out.write(f"commodity 1000.00 {CURRENCY}\n\n")
        for key in sorted(totals, key=lambda key: names[key]):
            out.write(f"account {names[key]}\n")
        last_date: datetime.date | None = None
        for chunk in stream_postings(connection, scope):
            for txn in _transactions(chunk):
                # The code (the chain position) keeps a description starting with "(" intact.
                out.write(f"\n{txn.date.isoformat()} * ({txn.id}) ")
                out.write(f"{_hledger_text(txn.description)}\n")
                out.write(f"    ; netfund-id: {_hledger_tag(txn.external_id)}\n")
                out.write(f"    ; type: {txn.type}\n")
                if txn.reference:
                    out.write(f"    ; reference: {_hledger_tag(txn.reference)}\n")
                if txn.reversal_of is not None:
                    out.write(f"    ; reversal-of: {txn.reversal_of}\n")
                out.write(f"    ; hash: {txn.hash}\n")
                for line in txn.lines:
                    tally.add(line)
                    posting = f"    {names[(line.account, line.fund)]}  {_amount(line.cents)}"
                    if line.group is not None:
                        posting += f"  ; group: {line.group}"
                    out.write(posting + "\n")
                last_date = txn.date if last_date is None else max(last_date, txn.date)
        tally.check(totals)
        if last_date is not None:
            # Dated on the last day and written last: every transaction comes before it.
            out.write(f"\n{last_date.isoformat()} * netfund balance assertions\n")
            for key in sorted(totals, key=lambda key: names[key]):
                cents = totals[key].cents
                out.write(f"    {names[key]}  0 {CURRENCY} = {_amount(cents)}\n")
    return tally.postings
