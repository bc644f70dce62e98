"""Money that settles another period: late receipts and refunds matched to what they pay.

A receipt is booked in the period of its date, and so is a refund; but a receipt in January
can pay last year's commitment, and the refund after a `return` close (necessarily dated in
the next year, the closed one being locked) pays what that close booked as owed. Period by
period, the figures (`netfund.ledger.figures`) would then show last year still owed and this
year's money paid back before it was received: the dashboard's warnings would send a
reminder for money that has arrived and report pre-financing that is none.

`settle_across_periods` matches them per fund across periods, oldest open claim first
(first in, first out, as a payment without a designation settles the oldest debt, BW
6:43-44):

- receivable: the debits to Assets:Receivable (commitments, reversed receipts) are claims
  in their period; the credits (receipts, reversed commitments) pay the oldest open claim,
  so a payment arriving after its period settles that period;
- refundable: the credits to Liabilities:Refundable (what a close booked as owed back, a
  reversed refund) are claims; the debits (refunds) pay the oldest.

The figures themselves are not changed: a statement still shows what was dated in its
period. The warnings of `netfund status` use this matching.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from netfund.ledger.event_rules import RECEIVABLE, REFUNDABLE
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Connection, case, func, select


@dataclass(frozen=True)
class Settling:
    """One fund's claims of one period P matched against payments of every period, in cents.

    Attributes:
        fund: the fund code.
        outstanding_cents: what is still receivable from P's commitments once every receipt
            has paid the oldest open commitment.
        received_later_cents: receipts dated after P that paid P's commitments.
        received_for_earlier_cents: receipts dated in P that paid earlier periods'.
        refunded_for_earlier_cents: refunds dated in P that paid what was owed back from an
            earlier period (a `return` close's amount).
        refunded_later_cents: refunds dated after P that paid what was owed back from P.
    """

    fund: str
    outstanding_cents: int = 0
    received_later_cents: int = 0
    received_for_earlier_cents: int = 0
    refunded_for_earlier_cents: int = 0
    refunded_later_cents: int = 0


#: (paying period, claim period, cents): one payment's part matched to one period's claim.
Match = tuple[str, str, int]


def match_oldest_first(claims: dict[str, int], payments: dict[str, int]) -> list[Match]:
    """Match payments to claims, both by period: each period's payments pay the oldest claim
    still open (a payment made before any claim waits for the next one)."""
    open_claims: list[list[str | int]] = []
    waiting: list[list[str | int]] = []
    matches: list[Match] = []

    def pay(payer: list[str | int]) -> None:
        while payer[1] and open_claims:
            claim = open_claims[0]
            cents = min(int(payer[1]), int(claim[1]))
            matches.append((str(payer[0]), str(claim[0]), cents))
            payer[1] = int(payer[1]) - cents
            claim[1] = int(claim[1]) - cents
            if not claim[1]:
                open_claims.pop(0)

    for period in sorted(set(claims) | set(payments)):
        if claims.get(period, 0) > 0:
            open_claims.append([period, claims[period]])
        for payer in waiting:
            pay(payer)
        waiting = [payer for payer in waiting if payer[1]]
        if payments.get(period, 0) > 0:
            payer: list[str | int] = [period, payments[period]]
            pay(payer)
            if payer[1]:
                waiting.append(payer)
    return matches


def settle_across_periods(
    connection: Connection, period: str, as_of: datetime.date | None = None
) -> dict[str, Settling]:
    """Per fund, how ``period``'s claims and payments settle across periods (module doc),
    counting transactions dated on or before ``as_of`` (None: everything recorded)."""
    p, t = postings_table.c, transactions_table.c
    debit = func.sum(case((p.amount_cents > 0, p.amount_cents), else_=0))
    credit = func.sum(case((p.amount_cents < 0, -p.amount_cents), else_=0))
    query = (
        select(p.fund, p.account, t.period, debit, credit)
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(p.account.in_((RECEIVABLE, REFUNDABLE)))
        .group_by(p.fund, p.account, t.period)
    )
    if as_of is not None:
        query = query.where(t.date <= as_of)
    sides: dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]] = defaultdict(
        lambda: ({}, {})
    )
    for fund, account, in_period, debits, credits in connection.execute(query):
        claims, payments = sides[(fund, account)]
        if account == RECEIVABLE:
            claims[in_period], payments[in_period] = int(debits), int(credits)
        else:
            claims[in_period], payments[in_period] = int(credits), int(debits)
    result: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (fund, account), (claims, payments) in sorted(sides.items()):
        figures = result[fund]
        if account == RECEIVABLE:
            figures["outstanding_cents"] += claims.get(period, 0)
        for paying, claimed, cents in match_oldest_first(claims, payments):
            if account == RECEIVABLE:
                if claimed == period:
                    figures["outstanding_cents"] -= cents
                    if paying > period:
                        figures["received_later_cents"] += cents
                elif paying == period and claimed < period:
                    figures["received_for_earlier_cents"] += cents
            elif claimed == period and paying > period:
                figures["refunded_later_cents"] += cents
            elif paying == period and claimed < period:
                figures["refunded_for_earlier_cents"] += cents
    return {fund: Settling(fund, **values) for fund, values in sorted(result.items())}
