"""A period's money per funder and group, as the ledger says it: the figures other parts use.

Allocation asks what each funder may still allocate; statements show the same figures to
funders. Both read them here, computed in SQL from postings, so there is one definition. For
fund F in period P, counting transactions dated in P (and, for a statement, on or before its
as-of date), closing entries excluded so that a closed period still shows what happened in it:

- committed: credits to Income:Contributions (commitments and money carried over into P),
  net of reversals;
- received: committed less the net change of what is receivable in the period: receipts dated
  in P and money carried over into P (already in the bank). A receipt dated in P that pays an
  earlier period's commitment counts here too, so received can exceed committed; which period
  each receipt pays is `settling.settle_across_periods`' answer (oldest claim first);
- allocated: per group, the credit balance of Budget:Allocated:G;
- spent: per group, the debits to Expenses:* (net of reversals), keyed by the posting's group
  (`NO_GROUP` for a journal line without one);
- refunded: money paid back to F: debits to Liabilities:Refundable and Income:Refunded (a
  refund event debits one or both by its amount; a closing entry that only books what is owed
  is excluded, the refund that pays it counts);
- unspent = received - spent - refunded: what F's money in the bank still holds from P;
- unallocated = committed - allocated.

Statements also need the receipts and refunds one by one (`money_movements`) and the ledger's
fingerprint as of a date (`chain_position_as_of`): the newest transaction they include.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from netfund.ledger.event_rules import (
    ALLOCATED_PREFIX,
    CONTRIBUTIONS,
    EXPENSES_PREFIX,
    RECEIVABLE,
    REFUNDABLE,
    REFUNDED,
)
from netfund.ledger.store.access import readable_funders
from netfund.ledger.store.schema import (
    chain_head_table,
    indicator_measurements_table,
    network_versions_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Connection, and_, case, func, or_, select, text

#: The group key of spending posted without a group (a journal line on Expenses:X).
NO_GROUP = ""

#: Event types whose transactions are listed one by one on a statement.
MOVEMENT_KINDS = ("receipt", "refund")


@dataclass(frozen=True)
class FunderFigures:
    """One fund's figures in one period, in cents (definitions in the module docstring).

    Attributes:
        fund: the fund code.
        committed_cents: pledged for (or carried into) the period.
        received_cents: of that, received.
        allocated_cents: per group, allocated in the period.
        spent_cents: per group (`NO_GROUP` for lines without one), spent in the period.
        refunded_cents: paid back to the funder in the period.
    """

    fund: str
    committed_cents: int = 0
    received_cents: int = 0
    allocated_cents: dict[str, int] = field(default_factory=dict)
    spent_cents: dict[str, int] = field(default_factory=dict)
    refunded_cents: int = 0

    @property
    def allocated_total_cents(self) -> int:
        return sum(self.allocated_cents.values())

    @property
    def spent_total_cents(self) -> int:
        return sum(self.spent_cents.values())

    @property
    def unspent_cents(self) -> int:
        return self.received_cents - self.spent_total_cents - self.refunded_cents

    @property
    def unallocated_cents(self) -> int:
        return self.committed_cents - self.allocated_total_cents

    def allocated_to(self, groups: Collection[str]) -> int:
        """Allocated to any of ``groups`` (the overhead groups, say)."""
        return sum(cents for group, cents in self.allocated_cents.items() if group in groups)

    def spent_on(self, groups: Collection[str]) -> int:
        """Spent on any of ``groups``."""
        return sum(cents for group, cents in self.spent_cents.items() if group in groups)


def period_figures(
    connection: Connection, period: str, as_of: datetime.date | None = None
) -> dict[str, FunderFigures]:
    """Figures of every fund with postings in ``period`` on these accounts.

    With ``as_of``, only transactions dated on or before it count (a statement's view);
    without, the whole period as stored now (what allocation may still allocate).
    """
    p, t = postings_table.c, transactions_table.c
    in_period = (
        select(p.account, p.fund, p.group, func.sum(p.amount_cents).label("total"))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(t.period == period, t.type != "close")
        .where(
            p.account.in_((CONTRIBUTIONS, RECEIVABLE, REFUNDABLE, REFUNDED))
            | p.account.like(ALLOCATED_PREFIX + "%")
            | p.account.like(EXPENSES_PREFIX + "%")
        )
        .group_by(p.account, p.fund, p.group)
    )
    if as_of is not None:
        in_period = in_period.where(t.date <= as_of)
    committed: dict[str, int] = defaultdict(int)
    receivable: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    allocated: dict[str, dict[str, int]] = defaultdict(dict)
    spent: dict[str, dict[str, int]] = defaultdict(dict)
    for account, fund, group, total in connection.execute(in_period):
        cents = int(total)
        if account == CONTRIBUTIONS:
            committed[fund] -= cents
        elif account == RECEIVABLE:
            receivable[fund] += cents
        elif account in (REFUNDABLE, REFUNDED):
            refunded[fund] += cents
        elif account.startswith(EXPENSES_PREFIX):
            if cents:
                key = group if group is not None else NO_GROUP
                spent[fund][key] = spent[fund].get(key, 0) + cents
        elif group is not None and cents:
            allocated[fund][group] = allocated[fund].get(group, 0) - cents
    funds = sorted(set(committed) | set(receivable) | set(refunded) | set(allocated) | set(spent))
    return {
        fund: FunderFigures(
            fund=fund,
            committed_cents=committed[fund],
            received_cents=committed[fund] - receivable[fund],
            allocated_cents=dict(sorted(allocated[fund].items())),
            spent_cents={group: cents for group, cents in sorted(spent[fund].items()) if cents},
            refunded_cents=refunded[fund],
        )
        for fund in funds
    }


@dataclass(frozen=True)
class MoneyMovement:
    """One receipt or refund of a fund, or the reversal of one (a negative amount).

    Attributes:
        fund: the fund code.
        kind: ``receipt`` (money in from the funder) or ``refund`` (money paid back to it).
        transaction: the transaction's position in the chain.
        external_id: its id.
        date: its booking date.
        reference: the document behind it (may be empty).
        amount_cents: the money moved, positive; a reversal's is negative.
    """

    fund: str
    kind: str
    transaction: int
    external_id: str
    date: datetime.date
    reference: str
    amount_cents: int


def money_movements(
    connection: Connection, period: str, as_of: datetime.date
) -> dict[str, tuple[MoneyMovement, ...]]:
    """Per fund, its receipts and refunds in ``period`` dated on or before ``as_of``.

    A receipt's amount is the credit to the fund's Assets:Receivable; a refund's is its debit
    to Liabilities:Refundable and Income:Refunded, as `period_figures` counts them. Reversals
    of either are listed with the negated amount. In date order, then chain order.
    """
    p, t = postings_table.c, transactions_table.c
    original = transactions_table.alias("original")
    kind = case((t.type.in_(MOVEMENT_KINDS), t.type), else_=original.c.type).label("kind")
    query = (
        select(
            t.id,
            t.date,
            t.external_id,
            t.reference,
            kind,
            p.fund,
            p.account,
            func.sum(p.amount_cents).label("total"),
        )
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .outerjoin(original, original.c.id == t.reversal_of)
        .where(t.period == period, t.date <= as_of)
        .where(
            or_(
                t.type.in_(MOVEMENT_KINDS),
                and_(t.type == "reversal", original.c.type.in_(MOVEMENT_KINDS)),
            )
        )
        .where(p.account.in_((RECEIVABLE, REFUNDABLE, REFUNDED)))
        .group_by(t.id, t.date, t.external_id, t.reference, kind, p.fund, p.account)
        .order_by(t.date, t.id, p.fund, p.account)
    )
    amounts: dict[tuple[str, int], int] = defaultdict(int)
    details: dict[tuple[str, int], MoneyMovement] = {}
    for row in connection.execute(query):
        if (row.kind == "receipt") != (row.account == RECEIVABLE):
            continue  # a receipt is its Receivable line, a refund its Refundable/Refunded lines
        sign = -1 if row.account == RECEIVABLE else 1
        key = (row.fund, row.id)
        amounts[key] += sign * int(row.total)
        details.setdefault(
            key,
            MoneyMovement(
                fund=row.fund,
                kind=row.kind,
                transaction=row.id,
                external_id=row.external_id,
                date=_as_date(row.date),
                reference=row.reference,
                amount_cents=0,
            ),
        )
    result: dict[str, list[MoneyMovement]] = defaultdict(list)
    for key, movement in details.items():
        if amounts[key]:
            result[movement.fund].append(replace(movement, amount_cents=amounts[key]))
    return {fund: tuple(movements) for fund, movements in sorted(result.items())}


@dataclass(frozen=True)
class ChainPosition:
    """A transaction's place in the hash chain: the fingerprint of the ledger up to it.

    Attributes:
        transaction: its position (1, 2, 3, ...).
        hash: its chain hash.
    """

    transaction: int
    hash: str


def _sees_part_of_the_chain(connection: Connection) -> bool:
    """True for a funder's session on PostgreSQL, whose row policies hide the transactions
    of other funders: the chain's facts then come from the functions `roles.install_roles`
    made (the statement of that funder states them too)."""
    return connection.dialect.name == "postgresql" and readable_funders(connection) is not None


def chain_position_as_of(connection: Connection, as_of: datetime.date) -> ChainPosition | None:
    """The newest transaction (highest chain position) dated on or before ``as_of``, if any."""
    if _sees_part_of_the_chain(connection):
        row = connection.execute(
            text("SELECT id, hash FROM netfund_chain_position(:as_of)"), {"as_of": as_of}
        ).one_or_none()
    else:
        t = transactions_table.c
        row = connection.execute(
            select(t.id, t.hash).where(t.date <= as_of).order_by(t.id.desc()).limit(1)
        ).one_or_none()
    return None if row is None else ChainPosition(transaction=row.id, hash=row.hash)


@dataclass(frozen=True)
class Coverage:
    """Which of a period's transactions a statement covers: those dated in the period on or
    before its as-of date, closing entries excluded (as in `period_figures`), so a reader can
    tell a whole year from part of one and count what was left out.

    Attributes:
        transactions: how many.
        first: the lowest chain position among them, or None if there are none.
        last: the highest, or None.
    """

    transactions: int
    first: int | None
    last: int | None


def coverage_of(connection: Connection, period: str, as_of: datetime.date) -> Coverage:
    """The transactions of ``period`` dated on or before ``as_of`` (see `Coverage`)."""
    if _sees_part_of_the_chain(connection):
        count, first, last = connection.execute(
            text("SELECT * FROM netfund_coverage(:period, :as_of)"),
            {"period": period, "as_of": as_of},
        ).one()
        return Coverage(int(count), first, last)
    t = transactions_table.c
    count, first, last = connection.execute(
        select(func.count(), func.min(t.id), func.max(t.id)).where(
            t.period == period, t.type != "close", t.date <= as_of
        )
    ).one()
    return Coverage(int(count), first, last)


@dataclass(frozen=True)
class LedgerState:
    """What every figure of every period is a function of: the transaction chain up to its
    head, the network's versions and the indicators' measurements. Two reads in the same
    state compute the same figures, so a reader that computes them often (the portal) may
    keep them under this key; any import, post, close, network change or import of
    measurements moves it. (Records such as sign-ins, proposals and exports change no figure
    and leave it.)

    Attributes:
        transactions: the chain's head position (0 for an empty chain).
        head_hash: the head's hash.
        network_versions: how many network versions are recorded.
        measurements: the newest indicator measurement's id, 0 for none (append-only, so it
            names the set: a statement's indicator figures are a function of it).
    """

    transactions: int
    head_hash: str
    network_versions: int
    measurements: int = 0


def ledger_state(connection: Connection) -> LedgerState:
    """The `LedgerState` of ``connection``'s snapshot: three small reads (the portal asks it
    on every page: the measurements by their newest id, an index look-up, not a count)."""
    head = connection.execute(
        select(chain_head_table.c.last_txn_id, chain_head_table.c.last_hash)
    ).one()
    versions = connection.execute(
        select(func.count()).select_from(network_versions_table)
    ).scalar_one()
    measured = connection.execute(
        select(func.coalesce(func.max(indicator_measurements_table.c.id), 0))
    ).scalar_one()
    return LedgerState(int(head.last_txn_id), str(head.last_hash), int(versions), int(measured))


def chain_hash_at(connection: Connection, transaction: int) -> str | None:
    """The stored hash of the transaction at ``transaction`` in the chain, or None."""
    t = transactions_table.c
    return connection.execute(select(t.hash).where(t.id == transaction)).scalar_one_or_none()


def transactions_after(connection: Connection, position: int, as_of: datetime.date) -> int:
    """How many transactions dated on or before ``as_of`` were appended after ``position``."""
    t = transactions_table.c
    return int(
        connection.execute(
            select(func.count())
            .select_from(transactions_table)
            .where(t.id > position, t.date <= as_of)
        ).scalar_one()
    )


def recorded_periods(connection: Connection) -> list[str]:
    """The periods with a transaction other than a closing entry, oldest first."""
    t = transactions_table.c
    return list(
        connection.execute(
            select(t.period).where(t.type != "close").distinct().order_by(t.period)
        ).scalars()
    )


def _as_date(value: datetime.date | str) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
