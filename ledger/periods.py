"""Closing a period: lock it and settle each funder's unspent money as its policy says.

For every funder the money its fund still holds is what it received minus what was spent
and refunded: the fund's bank balance up to the period's end, less what is already owed back
to it. `return` books that amount as owed to the funder (paid later by a refund event);
`carry_over` moves it into the next period as an opening contribution, keeping the earmark
(the money stays in the same fund). Budget balances of the period close to zero. The closing
transactions are ordinary chained transactions dated on the period's last day; then the
period is marked closed, and the database refuses anything dated in it from then on.

Closing cannot be undone, so it refuses what would lock the wrong year:

- a period that has not begun (after the current calendar year): closing 2099 would book
  every fund's money as unspent in 2099 and, since periods close in order, lock out the
  close of the real year for good;
- a period that has not ended (today is on or before its last day) unless ``early`` is
  given: the rest of the year could no longer be booked;
- a period while an earlier period holding transactions is still open, or after a later
  period was closed: periods close in order, oldest first.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from netfund.ledger.event_rules import BANK, CONTRIBUTIONS, REFUNDABLE, REFUNDED
from netfund.ledger.model.entries import Draft, Posting, is_budget_account, source_hash
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import RESERVED_ID_PREFIX, parse_period
from netfund.ledger.store.post import UnitOfWork, post_drafts
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Engine, func, select

CARRIED_FORWARD = "Equity:CarriedForward"
CARRY_OVER_INCOME = "Income:CarriedOver"


@dataclass(frozen=True)
class Settlement:
    """What closing did for one fund.

    Attributes:
        fund: the fund code.
        policy: `return` or `carry_over` (None for the network's own fund).
        unspent_cents: the money the fund still held, settled by the policy (0 if none).
        budget_lines: budget balances closed to zero.
    """

    fund: str
    policy: str | None
    unspent_cents: int
    budget_lines: int


@dataclass(frozen=True)
class CloseReport:
    period: str
    settlements: tuple[Settlement, ...]
    transactions: int
    head_id: int
    head_hash: str


def close_period(
    engine: Engine, period: str, *, early: bool = False, today: datetime.date | None = None
) -> CloseReport:
    """Close ``period``; ``early`` allows it before its last day, ``today`` is for tests."""
    period = parse_period(period)
    on = today or datetime.date.today()
    report = post_drafts(engine, f"close {period}", lambda unit: _close(unit, period, early, on))
    return CloseReport(
        period=period,
        settlements=report.outcome,
        transactions=report.posted,
        head_id=report.head_id,
        head_hash=report.head_hash,
    )


def _check_may_close(unit: UnitOfWork, period: str, early: bool, today: datetime.date) -> None:
    """Refuse to close ``period`` twice, out of order, before it began or (unless ``early``)
    before it ended; read under the chain lock, so no other close can come between."""
    closed = unit.closed_periods
    if period in closed:
        raise LedgerError(f"period {period} is already closed")
    later = sorted(p for p in closed if p > period)
    if later:
        raise LedgerError(
            f"period {later[0]} is closed already; periods close in order, so {period} "
            "cannot be closed after it"
        )
    last_day = datetime.date(int(period), 12, 31)
    if int(period) > today.year:
        raise LedgerError(
            f"period {period} has not begun (today is {today.isoformat()}): only a period "
            f"that has ended can be closed ({today.year - 1} or earlier, or {today.year} "
            "with --early)"
        )
    if today <= last_day and not early:
        days = (last_day - today).days + 1
        raise LedgerError(
            f"period {period} has not ended (it ends {last_day.isoformat()}, today is "
            f"{today.isoformat()}): closing now would lock its last {days} day(s) against "
            f"anything dated in them; close it after {last_day.isoformat()}, or give --early "
            "to close it now all the same"
        )
    t = transactions_table.c
    earlier = unit.connection.execute(
        select(t.period)
        .where(t.period < period, t.period.not_in(sorted(closed)))
        .order_by(t.period)
        .limit(1)
    ).scalar_one_or_none()
    if earlier is not None:
        raise LedgerError(
            f"period {earlier} holds transactions and is still open; periods close in order: "
            f"close {earlier} first"
        )


def _close(
    unit: UnitOfWork, period: str, early: bool, today: datetime.date
) -> tuple[Settlement, ...]:
    """Append the closing entries of ``period``, lock it, then the next year's openings."""
    _check_may_close(unit, period, early, today)
    year = int(period)
    last_day = datetime.date(year, 12, 31)
    next_period = f"{year + 1:04d}"
    connection = unit.connection
    network = read_network(connection)
    p, t = postings_table.c, transactions_table.c
    cash: dict[str, int] = defaultdict(int)
    for fund, _account, total in connection.execute(
        select(p.fund, p.account, func.sum(p.amount_cents))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(p.account.in_((BANK, REFUNDABLE)), t.period <= period)
        .group_by(p.fund, p.account)
    ):
        cash[fund] += int(total)  # bank debit, less what is owed back (a credit)
    budget: dict[str, list[Posting]] = defaultdict(list)
    for account, fund, group, total in connection.execute(
        select(p.account, p.fund, p.group, func.sum(p.amount_cents))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(p.account.like("Budget%"), t.period == period)
        .group_by(p.account, p.fund, p.group)
        .order_by(p.fund, p.account, p.group)
    ):
        if int(total) != 0 and is_budget_account(account):
            budget[fund].append(Posting(account, fund, group, -int(total)))
    settlements: list[Settlement] = []
    openings: list[Draft] = []
    funds = [f.code for f in network.funders] + sorted(
        fund for fund in set(budget) if network.funder(fund) is None
    )
    for fund in funds:
        funder = network.funder(fund)
        lines = list(budget.get(fund, []))
        unspent = max(cash.get(fund, 0), 0) if funder is not None else 0
        if unspent:
            assert funder is not None
            if funder.unspent == "return":
                lines += [
                    Posting(REFUNDED, fund, None, unspent),
                    Posting(REFUNDABLE, fund, None, -unspent),
                ]
            else:
                lines += [
                    Posting(CARRY_OVER_INCOME, fund, None, unspent),
                    Posting(CARRIED_FORWARD, fund, None, -unspent),
                ]
                openings.append(
                    _draft(
                        f"{RESERVED_ID_PREFIX}carry-over:{next_period}:{fund}",
                        datetime.date(year + 1, 1, 1),
                        "carry_over",
                        f"Opening: unspent {period} money of {fund} carried over",
                        (
                            Posting(CARRIED_FORWARD, fund, None, unspent),
                            Posting(CONTRIBUTIONS, fund, None, -unspent),
                        ),
                        fund,
                    )
                )
        if lines:
            unit.append(
                _draft(
                    f"{RESERVED_ID_PREFIX}close:{period}:{fund}",
                    last_day,
                    "close",
                    f"Closing {period} for {fund}",
                    tuple(lines),
                    fund,
                )
            )
        settlements.append(
            Settlement(
                fund=fund,
                policy=funder.unspent if funder is not None else None,
                unspent_cents=unspent,
                budget_lines=len(budget.get(fund, [])),
            )
        )
    unit.close_period(period)
    for opening in openings:
        unit.append(opening)
    return tuple(settlements)


def _draft(
    external_id: str,
    date: datetime.date,
    kind: str,
    description: str,
    postings: tuple[Posting, ...],
    fund: str,
) -> Draft:
    return Draft(
        external_id=external_id,
        date=date,
        type=kind,
        description=description,
        reference="",
        postings=postings,
        source_hash=source_hash(external_id, date.isoformat(), kind, postings),
        funder=fund,
    )
