"""The trial balance export: per account (and fund or group), opening, debits, credits, closing.

Definitions, for ``--period P``:

- opening: the balance of everything booked before the period (every transaction dated before
  1 January of P). netfund never closes income and expense accounts into equity, so their
  opening balance is what they accumulated in earlier periods, as `netfund balance` shows it;
- debits and credits: the sums of the period's debit and credit postings (both positive);
- closing: opening + debits - credits, the balance at the end of the period.

Without a period the whole ledger is one period: opening is 0, closing the current balance.
Amounts are signed with debit positive, like every netfund balance.

``by`` chooses the rows: ``account`` gives one row per account; ``fund`` one row per fund and
account, so each fund's rows make its own trial balance (its closing balances, and its debits
less its credits, sum to zero, actual and budget accounts each on their own); ``group`` one
row per group and account (postings without a group under an empty group). Rows whose four
amounts are all zero are left out. The sums are computed in the database, in integer cents:
from `balance_totals` (kept by the appender, checked by `verify`) at the chain head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from netfund.ledger.exports.arrow_values import int64_array, string_array
from netfund.ledger.exports.registry import TRIAL_BALANCE_DIMENSIONS, Writer
from netfund.ledger.exports.rows import EURO_DECIMAL, to_decimal_euros
from netfund.ledger.exports.scope import Scope
from netfund.ledger.exports.sheets import write_csv, write_xlsx
from netfund.ledger.model.errors import InvariantViolation, LedgerError
from netfund.ledger.store.schema import (
    balance_totals_table,
    chain_head_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import ColumnElement, Connection, Row, case, func, literal, select

AMOUNT_COLUMNS = ("opening", "debit", "credit", "closing")


@dataclass(frozen=True)
class TrialBalanceLine:
    """One line of a trial balance.

    Attributes:
        key: the fund or group of the line (None when by account, or a posting without group).
        account: the account.
        opening_cents: balance before the period, debit positive.
        debit_cents: the period's debits (positive).
        credit_cents: the period's credits (positive).
        closing_cents: opening + debits - credits.
    """

    key: str | None
    account: str
    opening_cents: int
    debit_cents: int
    credit_cents: int

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + self.debit_cents - self.credit_cents


def check_dimension(by: str) -> str:
    if by not in TRIAL_BALANCE_DIMENSIONS:
        raise LedgerError(
            f"unknown trial balance dimension {by!r}: use {', '.join(TRIAL_BALANCE_DIMENSIONS)}"
        )
    return by


def trial_balance(
    connection: Connection, scope: Scope, by: str = "account"
) -> list[TrialBalanceLine]:
    """The trial balance of ``scope``'s period (the whole ledger without one), ordered.

    When ``scope`` ends at the chain head this read transaction sees (an export's own scope),
    the sums come from `balance_totals`, which the appender keeps equal to the postings up to
    the head; a scope pinned at an earlier position sums the postings up to it.
    """
    check_dimension(by)
    head_id = connection.execute(select(chain_head_table.c.last_txn_id)).scalar_one()
    rows = (
        _sums_from_totals(connection, scope.period, by)
        if head_id == scope.head_id
        else _sums_from_postings(connection, scope, by)
    )
    lines = []
    for values in rows:
        line = TrialBalanceLine(
            key=None if by == "account" else (values[0] or None),
            account=values[-4],
            opening_cents=int(values[-3]),
            debit_cents=int(values[-2]),
            credit_cents=int(values[-1]),
        )
        if line.opening_cents or line.debit_cents or line.credit_cents:
            lines.append(line)
    lines.sort(key=lambda line: (line.key or "", line.account))
    _check_balanced(lines, by)
    return lines


def _sums_from_totals(connection: Connection, period: str | None, by: str) -> Iterable[Row[Any]]:
    """(key,) account, opening, debits, credits from `balance_totals` (group '' = none)."""
    b = balance_totals_table.c
    if period is None:
        opening: ColumnElement[int] = literal(0)
        debit = func.sum(b.debit_cents)
        credit = func.sum(b.credit_cents)
    else:
        opening = func.sum(case((b.period < period, b.debit_cents - b.credit_cents), else_=0))
        debit = func.sum(case((b.period == period, b.debit_cents), else_=0))
        credit = func.sum(case((b.period == period, b.credit_cents), else_=0))
    keys = [b.account] if by == "account" else [getattr(b, by), b.account]
    query = select(*keys, opening, debit, credit).group_by(*keys)
    if period is not None:
        query = query.where(b.period <= period)
    return connection.execute(query)


def _sums_from_postings(connection: Connection, scope: Scope, by: str) -> Iterable[Row[Any]]:
    """The same sums straight from the postings up to ``scope.head_id``."""
    p, t = postings_table.c, transactions_table.c
    amount = p.amount_cents
    if scope.period is None:
        # The whole ledger is the period: nothing comes before it.
        opening: ColumnElement[int] = literal(0)
        debit = func.sum(case((amount > 0, amount), else_=0))
        credit = func.sum(case((amount < 0, -amount), else_=0))
    else:
        in_period = t.period == scope.period
        opening = func.sum(case((t.period < scope.period, amount), else_=0))
        debit = func.sum(case((in_period & (amount > 0), amount), else_=0))
        credit = func.sum(case((in_period & (amount < 0), -amount), else_=0))
    keys = [p.account] if by == "account" else [getattr(p, by), p.account]
    if scope.period is None:
        # Every posting belongs to a transaction (a foreign key): without a period the sums
        # come from the postings alone, one pass over the table (migration 0015 dropped the
        # covering index that answered it: an export reads its scope in its own snapshot, so
        # only a caller that pins an earlier position comes here).
        query = (
            select(*keys, opening, debit, credit).where(p.txn_id <= scope.head_id).group_by(*keys)
        )
    else:
        query = (
            select(*keys, opening, debit, credit)
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(t.id <= scope.head_id, t.period <= scope.period)
            .group_by(*keys)
        )
    return connection.execute(query)


def _check_balanced(lines: list[TrialBalanceLine], by: str) -> None:
    """Every transaction balances per fund, so a trial balance must: asserted where it is read."""
    totals: dict[str | None, list[int]] = {}
    for line in lines:
        key = line.key if by == "fund" else None
        total = totals.setdefault(key, [0, 0])
        total[0] += line.closing_cents
        total[1] += line.debit_cents - line.credit_cents
    for key, (closing, movement) in totals.items():
        if closing or movement:
            where = f"fund {key}" if key else "the ledger"
            raise InvariantViolation(f"the trial balance of {where} does not sum to zero")


def trial_balance_schema(by: str) -> pa.Schema:
    key = [] if by == "account" else [pa.field(by, pa.string(), nullable=True)]
    return pa.schema(
        [
            *key,
            pa.field("account", pa.string(), nullable=False),
            *(pa.field(name, EURO_DECIMAL, nullable=False) for name in AMOUNT_COLUMNS),
        ]
    )


def trial_balance_table(lines: list[TrialBalanceLine], by: str) -> pa.Table:
    schema = trial_balance_schema(by)
    columns: list[pa.Array] = []
    if by != "account":
        columns.append(string_array([line.key for line in lines]))
    columns.append(string_array([line.account for line in lines]))
    for values in (
        [line.opening_cents for line in lines],
        [line.debit_cents for line in lines],
        [line.credit_cents for line in lines],
        [line.closing_cents for line in lines],
    ):
        columns.append(to_decimal_euros(int64_array(values)))
    return pa.Table.from_arrays(columns, schema=schema)


def trial_balance_writer(format: str, by: str) -> Writer:
    """The `registry.Writer` of a trial balance in ``format`` by ``by``; the registry checked
    that ``format`` is one of the kind's (csv, xlsx)."""
    check_dimension(by)

    def write(connection: Connection, scope: Scope, path: Path) -> int:
        table = trial_balance_table(trial_balance(connection, scope, by), by)
        schema = trial_balance_schema(by)
        if format == "csv":
            return write_csv(path, schema, [table])
        return write_xlsx(path, schema, [table], "trial balance")

    return write
