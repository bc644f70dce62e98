"""Closing a period: lock it and settle each funder's unspent money as its policy says.

For every funder the money its fund still holds is what it received minus what was spent
and refunded: the fund's bank balance up to the period's end, less what is already owed back
to it. `return` books that amount as owed to the funder (paid later by a refund event);
`carry_over` moves it into the next period as an opening contribution, keeping the earmark
(the money stays in the same fund). Budget balances of the period close to zero. The closing
transactions are ordinary chained transactions dated on the period's last day; then the
period is marked closed, and the database refuses anything dated in it from then on.

Closing refuses what would lock the wrong year:

- a period that has not begun (after the current calendar year): closing 2099 would book
  every fund's money as unspent in 2099 and, since periods close in order, lock out the
  close of the real year;
- a period that has not ended (today is on or before its last day) unless ``force`` is given
  with a ``reason``, which the close record keeps: the rest of the year could no longer be
  booked;
- a period while an earlier period holding transactions is still open, or after a later
  period was closed: periods close in order, oldest first.

Reopening (`reopen_period`, issue 16) undoes the newest close of a period as an event of its
own: a reopen record (who, when, why) lifts the lock, then every closing entry and every
carry-over opening it made in the next year is reversed by an ordinary chained transaction of
the same type that names it (`reversal_of`), so the figures, which leave closing entries out,
see the same year as before the close. It is refused when something depends on the close: a
later period closed (reopen that first), or a refund already paid from the money the close
made owed to a funder (reverse the refund first); the standing budget rules refuse it when the
next year allocated money the carry-over brought. Closing again books new closing entries
(their ids numbered by the round: ``netfund:close:2026:ZONMW:2``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from netfund.ledger.event_rules import BANK, CONTRIBUTIONS, REFUNDABLE, REFUNDED
from netfund.ledger.model.entries import Draft, Posting, is_budget_account, source_hash
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import RESERVED_ID_PREFIX, parse_period
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.post import Action, UnitOfWork, post_drafts, standing
from netfund.ledger.store.records import recorded_note
from netfund.ledger.store.schema import (
    bank_payments_table,
    closed_periods_table,
    postings_table,
    transactions_table,
)
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
    """What closing did, and who closed when and why, as the close record keeps it.

    Attributes:
        period: the period closed.
        settlements: per fund, what was settled.
        transactions: transactions appended (closing entries and next year's openings).
        head_id: chain position of the newest transaction afterwards.
        head_hash: its hash.
        by: the OS user who closed it.
        at: when, UTC, ISO 8601 to the second.
        reason: the reason given with ``force`` (None for a close after the period's end).
    """

    period: str
    settlements: tuple[Settlement, ...]
    transactions: int
    head_id: int
    head_hash: str
    by: str
    at: str
    reason: str | None


@dataclass(frozen=True)
class ReopenReport:
    """What reopening did.

    Attributes:
        period: the period reopened.
        reversed: the external ids of the closing entries and openings reversed, in order.
        transactions: transactions appended (one reversal per entry).
        head_id: chain position of the newest transaction afterwards.
        head_hash: its hash.
        by: the OS user who reopened it, as the reopen record keeps it.
        at: when, UTC, ISO 8601 to the second.
        reason: why.
    """

    period: str
    reversed: tuple[str, ...]
    transactions: int
    head_id: int
    head_hash: str
    by: str
    at: str
    reason: str


def close_period(
    engine: Engine,
    period: str,
    *,
    force: bool = False,
    reason: str | None = None,
    today: datetime.date | None = None,
    approving: int | None = None,
) -> CloseReport:
    """Close ``period``; ``force`` with a ``reason`` closes it before its last day, ``today``
    is for tests, ``approving`` carries out that proposal (`approvals.py`)."""
    period = parse_period(period)
    if force and not (reason or "").strip():
        raise LedgerError("--force needs --reason TEXT: why the period is closed before its end")
    on = today or datetime.date.today()
    note = recorded_note(reason)
    report = post_drafts(
        engine,
        f"close {period}",
        lambda unit: _close(unit, period, force, on, note),
        action=Action(
            "close",
            {"period": period, "force": force, "reason": note.get("reason")},
            approving=approving,
        ),
    )
    return CloseReport(
        period=period,
        settlements=report.outcome,
        transactions=report.posted,
        head_id=report.head_id,
        head_hash=report.head_hash,
        by=report.actor,
        at=note["at"],
        reason=note.get("reason"),
    )


def reopen_period(
    engine: Engine, period: str, *, reason: str, approving: int | None = None
) -> ReopenReport:
    """Undo the newest close of ``period`` as a recorded event (module docstring);
    ``approving`` carries out that proposal (`approvals.py`)."""
    period = parse_period(period)
    if not reason.strip():
        raise LedgerError("reopen needs --reason TEXT: why the closed period is opened again")
    note = recorded_note(reason)
    report = post_drafts(
        engine,
        f"reopen {period}",
        lambda unit: _reopen(unit, period, note),
        action=Action("reopen", {"period": period, "reason": note["reason"]}, approving=approving),
    )
    return ReopenReport(
        period=period,
        reversed=report.outcome,
        transactions=report.posted,
        head_id=report.head_id,
        head_hash=report.head_hash,
        by=report.actor,
        at=note["at"],
        reason=note["reason"],
    )


def _check_may_close(unit: UnitOfWork, period: str, force: bool, today: datetime.date) -> None:
    """Refuse to close ``period`` twice, out of order, before it began or (unless ``force``)
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
            "with --force --reason TEXT)"
        )
    if today <= last_day and not force:
        days = (last_day - today).days + 1
        raise LedgerError(
            f"period {period} has not ended: it ends {last_day.isoformat()}, today is "
            f"{today.isoformat()}. Closing now would settle each funder's unspent money and "
            f"lock {period} against anything dated in its last {days} day(s) until it is "
            f"reopened; close it after {last_day.isoformat()}, or give --force --reason TEXT "
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
    unit: UnitOfWork, period: str, force: bool, today: datetime.date, note: dict[str, str]
) -> tuple[Settlement, ...]:
    """Append the closing entries of ``period``, lock it, then the next year's openings."""
    _check_may_close(unit, period, force, today)
    year = int(period)
    last_day = datetime.date(year, 12, 31)
    next_period = f"{year + 1:04d}"
    connection = unit.connection
    c = closed_periods_table.c
    closes_before = connection.execute(
        select(func.count()).where(c.period == period, c.event == "close")
    ).scalar_one()
    # Ids are unique: a close after a reopen numbers its entries by its round.
    round_ = f":{closes_before + 1}" if closes_before else ""
    network = unit.network_for(period)  # the settings the year is closed with
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
                        f"{RESERVED_ID_PREFIX}carry-over:{next_period}:{fund}{round_}",
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
                    f"{RESERVED_ID_PREFIX}close:{period}:{fund}{round_}",
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
    unit.close_period(period, note)
    for opening in openings:
        unit.append(opening)
    return tuple(settlements)


def _check_no_payment_file_waits(unit: UnitOfWork, period: str) -> None:
    """Refuse to reopen a period whose refunds are in a payment file the bank may still pay
    (`bank/payments.py`): reopening makes them owed no more, and the bank's debit would then
    pay money nobody owes."""
    c = bank_payments_table.c
    waiting = unit.connection.execute(
        select(c.end_to_end_id, c.funder, c.file_name)
        .where(c.period == period, c.status == "sent")
        .order_by(c.end_to_end_id)
    ).all()
    if waiting:
        first = waiting[0]
        raise LedgerError(
            f"the refunds of {period} are in a payment file not yet on a bank statement "
            f"({first.end_to_end_id} to {first.funder} in {first.file_name}"
            f"{f' and {len(waiting) - 1} more' if len(waiting) > 1 else ''}): import the "
            f"statement that pays them first, then reopen {period} and reverse those refunds"
        )


def _reopen(unit: UnitOfWork, period: str, note: dict[str, str]) -> tuple[str, ...]:
    """Check that the newest close of ``period`` can be undone, lift the lock, reverse it."""
    closed = unit.closed_periods
    if period not in closed:
        raise LedgerError(f"period {period} is not closed: there is nothing to reopen")
    later = sorted(p for p in closed if p > period)
    if later:
        raise LedgerError(
            f"period {later[-1]} is closed too; periods reopen newest first: reopen "
            f"{later[-1]} first"
        )
    connection = unit.connection
    t, p = transactions_table.c, postings_table.c
    next_period = f"{int(period) + 1:04d}"
    undone = connection.execute(
        select(transactions_table)
        .where(standing())
        .where(
            ((t.period == period) & (t.type == "close"))
            | (
                (t.period == next_period)
                & (t.type == "carry_over")
                & t.external_id.like(f"{RESERVED_ID_PREFIX}carry-over:{next_period}:%")
            )
        )
        .order_by(t.id)
    ).all()
    lines = {
        row.id: [
            Posting(q.account, q.fund, q.group, -q.amount_cents)
            for q in connection.execute(
                select(postings_table).where(p.txn_id == row.id).order_by(p.line_no)
            )
        ]
        for row in undone
    }
    _check_refunds_unpaid(unit, period, undone, lines)
    _check_no_payment_file_waits(unit, period)
    unit.reopen_period(period, note)
    for row in undone:
        external_id = f"{RESERVED_ID_PREFIX}reopen:{row.external_id}"
        unit.append(
            Draft(
                external_id=external_id,
                date=row.date,
                type=row.type,
                description=f"Reopening {period}: {row.description} undone",
                reference=row.reference,
                postings=tuple(lines[row.id]),
                source_hash=source_hash(external_id, row.hash),
                funder=row.funder,
                group=row.group,
                reversal_of=row.id,
            )
        )
    return tuple(row.external_id for row in undone)


def _check_refunds_unpaid(
    unit: UnitOfWork, period: str, undone: list[Any], lines: dict[int, list[Posting]]
) -> None:
    """Refuse to take back what a close made owed to a funder once a refund paid it out."""
    owed_by_close: dict[str, int] = defaultdict(int)
    closes_at: dict[str, int] = {}
    for row in undone:
        for posting in lines[row.id]:
            if posting.account == REFUNDABLE and row.type == "close":
                owed_by_close[posting.fund] += posting.amount_cents  # the reversal's debit
                closes_at[posting.fund] = row.id
    if not owed_by_close:
        return
    t, p = transactions_table.c, postings_table.c
    for fund, amount in sorted(owed_by_close.items()):
        owed_now = -int(
            unit.connection.execute(
                select(func.coalesce(func.sum(p.amount_cents), 0)).where(
                    p.account == REFUNDABLE, p.fund == fund
                )
            ).scalar_one()
        )
        if owed_now >= amount:
            continue
        paid = unit.connection.execute(
            select(t.external_id)
            .join_from(transactions_table, postings_table, p.txn_id == t.id)
            .where(t.type == "refund", p.fund == fund, p.account == REFUNDABLE)
            .where(t.id > closes_at[fund])
            .distinct()
            .order_by(t.external_id)
        ).scalars()
        names = ", ".join(repr(i) for i in paid) or "a refund"
        raise LedgerError(
            f"closing {period} made {fund} owed {format_cents(amount)}, and {names} paid "
            f"{format_cents(amount - owed_now)} of it out already; reopening would take back "
            "money the funder has received: reverse the refund first (netfund reverse ID), "
            "then reopen"
        )


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
