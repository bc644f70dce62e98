"""What each event means in double entry: the chart of accounts of docs/CONTRACT.md, in code.

| event        | debit                               | credit                          |
|--------------|-------------------------------------|---------------------------------|
| commitment   | Assets:Receivable (F)               | Income:Contributions (F)        |
| receipt      | Assets:Bank (F)                     | Assets:Receivable (F)           |
| allocation   | Budget:Unallocated (F)              | Budget:Allocated:G (F, G)       |
| expense      | Expenses:G (F, G) per funder share  | Assets:Bank (F) per share       |
| refund       | Liabilities:Refundable (F), the rest| Assets:Bank (F)                 |
|              | Income:Refunded (F)                 |                                 |

An expense without a funder is attributed to the funders pro rata to their allocation to the
group in the event's period (the budget balance as the ledger knows it when the expense is
posted), with largest-remainder rounding. `AttributionState` holds the balances the rules need
and is updated as each transaction is appended, so a file may allocate and then spend.
"""

from __future__ import annotations

from collections import defaultdict

from netfund.ledger.inputs.events import Event
from netfund.ledger.model.entries import Draft, Posting, Transaction
from netfund.ledger.model.money import format_cents, split_largest_remainder
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Connection, func, select

RECEIVABLE = "Assets:Receivable"
BANK = "Assets:Bank"
CONTRIBUTIONS = "Income:Contributions"
REFUNDED = "Income:Refunded"
REFUNDABLE = "Liabilities:Refundable"
UNALLOCATED = "Budget:Unallocated"
ALLOCATED_PREFIX = "Budget:Allocated:"
EXPENSES_PREFIX = "Expenses:"


def allocated_account(group: str) -> str:
    return ALLOCATED_PREFIX + group


def expense_account(group: str) -> str:
    return EXPENSES_PREFIX + group


class AttributionError(ValueError):
    """An event the ledger's state does not allow, such as spending without an allocation."""


class AttributionState:
    """Balances the posting rules depend on, loaded once and kept current while appending.

    Attributes:
        allocated: (period, group) → fund → allocated cents (closing entries excluded).
        refundable: fund → cents owed back to that funder.
    """

    def __init__(self, connection: Connection) -> None:
        self.allocated: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.refundable: dict[str, int] = defaultdict(int)
        p, t = postings_table.c, transactions_table.c
        rows = connection.execute(
            select(t.period, p.group, p.fund, func.sum(p.amount_cents))
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(p.account.like(ALLOCATED_PREFIX + "%"), t.type != "close")
            .group_by(t.period, p.group, p.fund)
        )
        for period, group, fund, total in rows:
            self.allocated[(period, group)][fund] -= int(total)
        for fund, total in connection.execute(
            select(p.fund, func.sum(p.amount_cents)).where(p.account == REFUNDABLE).group_by(p.fund)
        ):
            self.refundable[fund] -= int(total)

    def record(self, transaction: Transaction) -> None:
        """Update the balances with a transaction that was just appended."""
        draft = transaction.draft
        if draft.type == "close":
            for posting in draft.postings:
                if posting.account == REFUNDABLE:
                    self.refundable[posting.fund] -= posting.amount_cents
            return
        for posting in draft.postings:
            if posting.account.startswith(ALLOCATED_PREFIX) and posting.group is not None:
                self.allocated[(draft.period, posting.group)][posting.fund] -= posting.amount_cents
            elif posting.account == REFUNDABLE:
                self.refundable[posting.fund] -= posting.amount_cents


def event_draft(event: Event, state: AttributionState) -> Draft:
    """The transaction an event becomes; raise `AttributionError` if the state forbids it."""
    return Draft(
        external_id=event.id,
        date=event.date,
        type=event.type,
        description=event.description,
        reference=event.reference,
        postings=_postings(event, state),
        source_hash=event.source_hash,
        funder=event.funder,
        group=event.group,
    )


def _postings(event: Event, state: AttributionState) -> tuple[Posting, ...]:
    amount, funder, group = event.amount_cents, event.funder, event.group
    if event.type == "commitment":
        assert funder is not None
        return (
            Posting(RECEIVABLE, funder, None, amount),
            Posting(CONTRIBUTIONS, funder, None, -amount),
        )
    if event.type == "receipt":
        assert funder is not None
        return (Posting(BANK, funder, None, amount), Posting(RECEIVABLE, funder, None, -amount))
    if event.type == "allocation":
        assert funder is not None and group is not None
        return (
            Posting(UNALLOCATED, funder, None, amount),
            Posting(allocated_account(group), funder, group, -amount),
        )
    if event.type == "expense":
        assert group is not None
        shares = {funder: amount} if funder is not None else attribute(event, state)
        expense_lines = [
            Posting(expense_account(group), fund, group, share)
            for fund, share in shares.items()
            if share
        ]
        bank_lines = [Posting(BANK, fund, None, -share) for fund, share in shares.items() if share]
        return (*expense_lines, *bank_lines)
    if event.type == "refund":
        assert funder is not None
        from_liability = min(max(state.refundable[funder], 0), amount)
        lines = []
        if from_liability:
            lines.append(Posting(REFUNDABLE, funder, None, from_liability))
        if amount - from_liability:
            lines.append(Posting(REFUNDED, funder, None, amount - from_liability))
        lines.append(Posting(BANK, funder, None, -amount))
        return tuple(lines)
    raise AttributionError(f"unknown event type {event.type!r}")


def attribute(event: Event, state: AttributionState) -> dict[str, int]:
    """Split an unattributed expense over the funders' allocations to its group and period."""
    assert event.group is not None
    period = f"{event.date.year:04d}"
    allocations = {
        fund: cents
        for fund, cents in sorted(state.allocated.get((period, event.group), {}).items())
        if cents > 0
    }
    if not allocations:
        raise AttributionError(
            f"group {event.group} has no allocation in period {period}, so an expense "
            "without funder cannot be attributed: record an allocation first or name the funder"
        )
    shares = split_largest_remainder(event.amount_cents, list(allocations.values()))
    return dict(zip(allocations, shares, strict=True))


def describe_allocations(allocations: dict[str, int]) -> str:
    return ", ".join(f"{fund} {format_cents(cents)}" for fund, cents in allocations.items())
