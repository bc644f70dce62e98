"""Balances: sums of postings grouped by account, fund and group, computed in the database.

Without a period, a balance is everything ever posted; with a period it is the movement
within that period (as `hledger bal -p 2026` shows it). Either way each fund's balances sum to
zero, actuals and budget each on their own, because every transaction does.
"""

from __future__ import annotations

from dataclasses import dataclass

from netfund.ledger.model.fields import parse_period
from netfund.ledger.store.database import reading, require_schema
from netfund.ledger.store.schema import balance_totals_table
from sqlalchemy import Connection, Engine, func, select

DIMENSIONS = ("account", "fund", "group")


@dataclass(frozen=True)
class Balance:
    """One balance line; a dimension not grouped by is None.

    Attributes:
        account: account name or None.
        fund: fund code or None.
        group: group code or None.
        balance_cents: signed sum, debit positive.
    """

    account: str | None
    fund: str | None
    group: str | None
    balance_cents: int


def parse_dimensions(text: str) -> tuple[str, ...]:
    """``"account,fund"`` → ``("account", "fund")``; raise ValueError on an unknown name."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown or not names:
        raise ValueError(
            f"unknown dimension(s) {', '.join(unknown) or '(none given)'}: "
            f"use a comma list of {', '.join(DIMENSIONS)}"
        )
    return tuple(name for name in DIMENSIONS if name in names)


def balances(
    connection: Connection,
    period: str | None = None,
    by: tuple[str, ...] = ("account", "fund"),
    include_zero: bool = False,
) -> list[Balance]:
    """Balances grouped by the dimensions ``by``, sorted by them; zero lines left out.

    Read from `balance_totals`, which the appender keeps equal to the sums of the postings
    (checked by `verify`): a few hundred rows however long the ledger is.
    """
    b = balance_totals_table.c
    columns = [getattr(b, name) for name in by]
    total = func.sum(b.debit_cents - b.credit_cents).label("total")
    query = select(*columns, total).group_by(*columns)
    if period is not None:
        query = query.where(b.period == period)
    result: list[Balance] = []
    for row in connection.execute(query):
        values = dict(zip(by, row[: len(by)], strict=True))
        cents = int(row.total)
        if cents == 0 and not include_zero:
            continue
        result.append(
            Balance(
                account=values.get("account"),
                fund=values.get("fund"),
                group=values.get("group") or None,
                balance_cents=cents,
            )
        )
    # Postings without a group first, as an empty group sorts.
    result.sort(key=lambda line: tuple(getattr(line, name) or "" for name in by))
    return result


def read_balances(
    engine: Engine,
    period: str | None = None,
    by: tuple[str, ...] = ("account", "fund"),
    include_zero: bool = False,
) -> list[Balance]:
    """`balances` in a read transaction of their own, on a ledger netfund initialised."""
    if period is not None:
        period = parse_period(period)
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return balances(connection, period=period, by=by, include_zero=include_zero)
