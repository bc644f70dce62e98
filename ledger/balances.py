"""Balances: sums of postings grouped by account, fund and group, computed in the database.

Without a period, a balance is everything ever posted; with a period it is the movement
within that period (as `hledger bal -p 2026` shows it). Either way each fund's balances sum to
zero, actuals and budget each on their own, because every transaction does.
"""

from __future__ import annotations

from dataclasses import dataclass

from netfund.ledger.schema import postings_table, transactions_table
from sqlalchemy import Connection, func, select

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
    """Balances grouped by the dimensions ``by``, sorted by them; zero lines left out."""
    p, t = postings_table.c, transactions_table.c
    columns = [getattr(p, name) for name in by]
    total = func.sum(p.amount_cents).label("total")
    query = select(*columns, total).group_by(*columns).order_by(*columns)
    if period is not None:
        query = query.join_from(postings_table, transactions_table, p.txn_id == t.id).where(
            t.period == period
        )
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
                group=values.get("group"),
                balance_cents=cents,
            )
        )
    return result
