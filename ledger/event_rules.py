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
from collections.abc import Iterable

from netfund.ledger.inputs.events import Event
from netfund.ledger.model.entries import Draft, Line, Posting, Transaction, lines_of
from netfund.ledger.model.money import split_largest_remainder
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
        #: (period, group) → the funds with a positive allocation and their cents, in fund
        #: order: what an expense without funder is split over, until an allocation changes.
        self._weights: dict[tuple[str, str], tuple[tuple[str, ...], tuple[int, ...]]] = {}
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
        self.record_lines(draft.type, draft.period, lines_of(draft.postings))

    def record_lines(self, kind: str, period: str, lines: Iterable[Line]) -> None:
        """Update the balances with the lines of a ``kind`` transaction of ``period`` that
        was just appended (`record`, and the batch import's rows, which have no draft)."""
        if kind == "close":
            for account, fund, _, cents in lines:
                if account == REFUNDABLE:
                    self.refundable[fund] -= cents
            return
        for account, fund, group, cents in lines:
            # The group first: most lines of a file without one (the bank's) are past here
            # without a look at the account name.
            if group is not None and account.startswith(ALLOCATED_PREFIX):
                self.allocated[(period, group)][fund] -= cents
                self._weights.pop((period, group), None)
            elif account == REFUNDABLE:
                self.refundable[fund] -= cents

    def weights(self, period: str, group: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The funds with a positive allocation to ``group`` in ``period`` and their cents,
        in fund order (remembered until an allocation there changes)."""
        key = (period, group)
        found = self._weights.get(key)
        if found is None:
            positive = sorted(
                (fund, cents) for fund, cents in self.allocated.get(key, {}).items() if cents > 0
            )
            found = self._weights[key] = (
                tuple(fund for fund, _ in positive),
                tuple(cents for _, cents in positive),
            )
        return found


def event_draft(event: Event, state: AttributionState) -> Draft:
    """The transaction an event becomes; raise `AttributionError` if the state forbids it."""
    return Draft(
        external_id=event.id,
        date=event.date,
        type=event.type,
        description=event.description,
        reference=event.reference,
        postings=tuple(
            Posting(*line)
            for line in event_lines(
                event.type,
                event.funder,
                event.group,
                event.amount_cents,
                f"{event.date.year:04d}",
                state,
            )
        ),
        source_hash=event.source_hash,
        funder=event.funder,
        group=event.group,
    )


def event_lines(
    kind: str,
    funder: str | None,
    group: str | None,
    amount: int,
    period: str,
    state: AttributionState,
) -> list[Line]:
    """The posting lines of an event of ``kind`` (the table above), in stored order; raise
    `AttributionError` if the state forbids it. Both import paths call this: one set of rules."""
    if kind == "commitment":
        assert funder is not None
        return [(RECEIVABLE, funder, None, amount), (CONTRIBUTIONS, funder, None, -amount)]
    if kind == "receipt":
        assert funder is not None
        return [(BANK, funder, None, amount), (RECEIVABLE, funder, None, -amount)]
    if kind == "allocation":
        assert funder is not None and group is not None
        return [
            (UNALLOCATED, funder, None, amount),
            (allocated_account(group), funder, group, -amount),
        ]
    if kind == "expense":
        assert group is not None
        if funder is not None:
            funds: tuple[str, ...] = (funder,)
            shares = [amount]
        else:
            funds, weights = state.weights(period, group)
            if not funds:
                raise AttributionError(
                    f"group {group} has no allocation in period {period}, so an expense "
                    "without funder cannot be attributed: record an allocation first or name "
                    "the funder"
                )
            shares = split_largest_remainder(amount, weights)
        account = expense_account(group)
        # The expense lines, then the bank's, each in fund order (a share rounded to zero
        # gets neither): built in one pass, as most rows of a large file are expenses.
        lines: list[Line] = []
        paid: list[Line] = []
        for fund, share in zip(funds, shares, strict=True):
            if share:
                lines.append((account, fund, group, share))
                paid.append((BANK, fund, None, -share))
        lines += paid
        return lines
    if kind == "refund":
        assert funder is not None
        from_liability = min(max(state.refundable[funder], 0), amount)
        refund: list[Line] = []
        if from_liability:
            refund.append((REFUNDABLE, funder, None, from_liability))
        if amount - from_liability:
            refund.append((REFUNDED, funder, None, amount - from_liability))
        refund.append((BANK, funder, None, -amount))
        return refund
    raise AttributionError(f"unknown event type {kind!r}")
