"""A period's money per funder and group, as the ledger says it: the figures other parts use.

Allocation asks what each funder may still allocate; statements (later) show the same figures
to funders. Both read them here, computed in SQL from postings, so there is one definition:

- committed: credits to Income:Contributions in the period (commitments and money carried
  over into it), net of reversals;
- received: committed less what is still receivable from the period's commitments (so money
  carried over, which is already in the bank, counts as received);
- allocated: per group, the credit balance of Budget:Allocated:G from the period's
  allocations (closing entries excluded, so a closed period still shows what was allocated).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from netfund.ledger.event_rules import ALLOCATED_PREFIX, CONTRIBUTIONS, RECEIVABLE
from netfund.ledger.schema import postings_table, transactions_table
from sqlalchemy import Connection, func, select


@dataclass(frozen=True)
class FunderFigures:
    """One fund's figures in one period, in cents.

    Attributes:
        fund: the fund code.
        committed_cents: pledged for (or carried into) the period.
        received_cents: of that, received.
        allocated_cents: per group, allocated in the period.
    """

    fund: str
    committed_cents: int = 0
    received_cents: int = 0
    allocated_cents: dict[str, int] = field(default_factory=dict)

    @property
    def allocated_total_cents(self) -> int:
        return sum(self.allocated_cents.values())


def period_figures(connection: Connection, period: str) -> dict[str, FunderFigures]:
    """Figures of every fund with postings in ``period`` that concern these accounts."""
    p, t = postings_table.c, transactions_table.c
    in_period = (
        select(p.account, p.fund, p.group, func.sum(p.amount_cents).label("total"))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(t.period == period, t.type != "close")
        .where(
            (p.account == CONTRIBUTIONS)
            | (p.account == RECEIVABLE)
            | p.account.like(ALLOCATED_PREFIX + "%")
        )
        .group_by(p.account, p.fund, p.group)
    )
    committed: dict[str, int] = defaultdict(int)
    receivable: dict[str, int] = defaultdict(int)
    allocated: dict[str, dict[str, int]] = defaultdict(dict)
    for account, fund, group, total in connection.execute(in_period):
        cents = int(total)
        if account == CONTRIBUTIONS:
            committed[fund] -= cents
        elif account == RECEIVABLE:
            receivable[fund] += cents
        elif group is not None and cents:
            allocated[fund][group] = allocated[fund].get(group, 0) - cents
    funds = sorted(set(committed) | set(receivable) | set(allocated))
    return {
        fund: FunderFigures(
            fund=fund,
            committed_cents=committed[fund],
            received_cents=committed[fund] - receivable[fund],
            allocated_cents=dict(sorted(allocated[fund].items())),
        )
        for fund in funds
    }
