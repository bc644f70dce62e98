"""What one funder's statement says, as frozen data: built from ledger figures, then rendered.

The ledger is read once per period (`read_period_inputs`: every fund's figures, the receipts
and refunds, how they settle across periods, the fingerprint); each statement is then a pure
function of that (`statement_data`), so statements for many funders can be rendered in other
processes without touching the database, and `verify-statement` recomputes exactly the same
data to compare. The definitions of the figures are in `netfund.ledger.figures`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal

from netfund.ledger import (
    NO_GROUP,
    AllocationApproval,
    ChainPosition,
    Coverage,
    Due,
    Funder,
    FunderFigures,
    GroupOutcomes,
    LedgerError,
    Measurement,
    MoneyMovement,
    Network,
    Settling,
    allocation_approvals,
    chain_position_as_of,
    coverage_of,
    due_by,
    indicator_outcomes,
    money_movements,
    over_cap,
    period_figures,
    read_measurements,
    read_network,
    reconciliation_as_of,
    settle_across_periods,
)
from netfund.reports.formatting import share_of
from sqlalchemy import Connection


@dataclass(frozen=True)
class Summary:
    """The summary rows of a statement, in cents (see `netfund.ledger.figures`).

    Attributes:
        committed_cents: pledged for or carried into the period.
        received_cents: of that, received.
        allocated_cents: allocated to groups.
        overhead_allocated_cents: of that, to overhead groups.
        spent_cents: spent by the groups.
        overhead_spent_cents: of that, by overhead groups.
        refunded_cents: paid back to the funder.
        unspent_cents: received - spent - refunded.
        unallocated_cents: committed - allocated.
    """

    committed_cents: int = 0
    received_cents: int = 0
    allocated_cents: int = 0
    overhead_allocated_cents: int = 0
    spent_cents: int = 0
    overhead_spent_cents: int = 0
    refunded_cents: int = 0
    unspent_cents: int = 0
    unallocated_cents: int = 0

    @classmethod
    def of(cls, figures: FunderFigures | None, overhead_groups: frozenset[str]) -> Summary:
        if figures is None:
            return cls()
        return cls(
            committed_cents=figures.committed_cents,
            received_cents=figures.received_cents,
            allocated_cents=figures.allocated_total_cents,
            overhead_allocated_cents=figures.allocated_to(overhead_groups),
            spent_cents=figures.spent_total_cents,
            overhead_spent_cents=figures.spent_on(overhead_groups),
            refunded_cents=figures.refunded_cents,
            unspent_cents=figures.unspent_cents,
            unallocated_cents=figures.unallocated_cents,
        )

    def plus(self, other: Summary) -> Summary:
        """Field by field sum: the network's totals are the sum of its funders'."""
        return Summary(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class GroupLine:
    """One group's money in the period, in cents: from one funder on that funder's statement,
    from every funder together on the status dashboard (both built by `group_lines`).

    Attributes:
        code: the group code (`NO_GROUP` for spending posted without a group).
        name: its name ("" for `NO_GROUP`).
        overhead: True for an overhead group.
        parent: its cluster, or None.
        allocated_cents: allocated to it in the period.
        spent_cents: spent by it.
    """

    code: str
    name: str
    overhead: bool
    parent: str | None
    allocated_cents: int
    spent_cents: int

    @property
    def remaining_cents(self) -> int:
        return self.allocated_cents - self.spent_cents

    @property
    def overspent(self) -> bool:
        return self.spent_cents > self.allocated_cents

    @property
    def used_share(self) -> Decimal | None:
        return share_of(self.spent_cents, self.allocated_cents)


@dataclass(frozen=True)
class OverheadCheck:
    """One overhead share against its cap.

    Attributes:
        key: which share: ``funder_of_allocation``, ``funder_of_spending``,
            ``network_of_allocation`` or ``network_of_spending``.
        overhead_cents: the part on overhead groups.
        total_cents: the whole it is a share of.
        cap: the cap that applies, or None (a funder without its own cap).
    """

    key: str
    overhead_cents: int
    total_cents: int
    cap: Decimal | None

    @property
    def share(self) -> Decimal | None:
        return share_of(self.overhead_cents, self.total_cents)

    @property
    def passes(self) -> bool | None:
        """True within the cap (at it included), False above it, None without a cap."""
        if self.cap is None:
            return None
        return not over_cap(self.overhead_cents, self.total_cents, self.cap)


@dataclass(frozen=True)
class FunderTotal:
    """One funder's place in the network's funding (the funding chart).

    Attributes:
        code: the funder code.
        name: its name.
        committed_cents: committed in the period.
    """

    code: str
    name: str
    committed_cents: int


@dataclass(frozen=True)
class BankCheck:
    """The ledger against the bank, as a statement's header states it (`netfund bank
    reconcile` explains it). Not among the embedded figures: the bank's side changes as
    statements are imported, and it is no figure of the funder's money, so a statement made
    before the bank's statement arrived still verifies.

    Attributes:
        day: the day reconciled: the statement's as-of date, or the newest bank statement's
            closing date if that is earlier.
        reconciled: whether the ledger's Assets:Bank equals the bank's balance that day.
        difference_cents: ledger − bank.
    """

    day: datetime.date
    reconciled: bool
    difference_cents: int


@dataclass(frozen=True)
class StatementData:
    """Everything one statement shows; rendering adds only words and layout.

    Attributes:
        network_name: the network's name.
        currency: the network's currency code.
        population: inhabitants, or None.
        language: the statement's language.
        period: the period (a year).
        as_of: transactions dated after it are not included.
        fingerprint: the newest transaction included, or None if none is.
        coverage: the period's transactions it covers (count, first and last position).
        funder: the funder the statement is for.
        summary: its summary figures.
        groups: its money per group, in the network's group order.
        overhead: the overhead shares against their caps.
        receipts: its receipts (and reversals of them), in date order.
        refunds: its refunds likewise.
        network: the network's totals (the sum over every funder).
        funders: every funder's commitment, in the network's order.
        netfund_version: the version that made the statement.
        due: the funder's payment schedule against its commitment, by the as-of date.
        received_for_period_cents: what the funder paid of this period's commitment by the
            as-of date (`received_for_period`: receipts matched to the commitments they pay).
        approvals: each allocation committed in the period by the as-of date, with who
            proposed and who approved it (four eyes) or who committed it alone.
        bank: the ledger against the bank, or None (no bank statement imported, or read by a
            funder's login, which does not read the bank).
        outcomes: what its money bought: each group with indicators that its money went to,
            its allocation and spending beside those indicators (`indicator_outcomes` with
            this funder: its own share only); empty for a network without indicators.
    """

    network_name: str
    currency: str
    population: int | None
    language: str
    period: str
    as_of: datetime.date
    fingerprint: ChainPosition | None
    coverage: Coverage
    funder: Funder
    summary: Summary
    groups: tuple[GroupLine, ...]
    overhead: tuple[OverheadCheck, ...]
    receipts: tuple[MoneyMovement, ...]
    refunds: tuple[MoneyMovement, ...]
    network: Summary
    funders: tuple[FunderTotal, ...]
    netfund_version: str
    due: Due
    received_for_period_cents: int
    approvals: tuple[AllocationApproval, ...] = ()
    bank: BankCheck | None = None
    outcomes: tuple[GroupOutcomes, ...] = ()

    @property
    def overdue_cents(self) -> int:
        """What has fallen due by the as-of date and was not received for the period."""
        return max(self.due.due_cents - self.received_for_period_cents, 0)

    @property
    def interim(self) -> bool:
        """True for an interim statement (as of a day before the period's end)."""
        return is_interim(self.period, self.as_of)

    @property
    def receipts_other_cents(self) -> int:
        """Received, but not by a listed receipt: carried-over money and journal corrections."""
        return self.summary.received_cents - sum(m.amount_cents for m in self.receipts)

    @property
    def refunds_other_cents(self) -> int:
        """Refunded, but not by a listed refund: journal corrections."""
        return self.summary.refunded_cents - sum(m.amount_cents for m in self.refunds)


@dataclass(frozen=True)
class PeriodInputs:
    """What the ledger says about one period as of one date, read in one snapshot.

    Attributes:
        network: the network definition.
        period: the period.
        as_of: the date up to which transactions count.
        figures: per fund, its figures.
        movements: per fund, its receipts and refunds.
        fingerprint: the newest transaction dated on or before ``as_of``.
        coverage: the period's transactions dated on or before ``as_of``.
        settled: per fund, its receipts and refunds dated on or before ``as_of`` matched to
            the periods they pay (`settle_across_periods`).
        approvals: the period's allocation commits dated on or before ``as_of``, with who
            proposed, approved or committed them (`allocation_approvals`).
        bank: the ledger against the bank by ``as_of``, or None (see `BankCheck`).
        measurements: the indicators' measurements dated on or before ``as_of``, those
            before the period included (where it started from).
    """

    network: Network
    period: str
    as_of: datetime.date
    figures: dict[str, FunderFigures]
    movements: dict[str, tuple[MoneyMovement, ...]]
    fingerprint: ChainPosition | None
    coverage: Coverage
    settled: dict[str, Settling] = field(default_factory=dict)
    approvals: tuple[AllocationApproval, ...] = ()
    bank: BankCheck | None = None
    measurements: tuple[Measurement, ...] = ()


def received_for_period(summary: Summary, settled: Settling | None) -> int:
    """What a funder has paid of the period's commitments, wherever the receipt was dated: a
    late receipt counts, one paying an earlier period does not (without a matching, the
    receipts dated in the period). Statements and `netfund status` both ask this."""
    if settled is None:
        return summary.received_cents
    return summary.committed_cents - settled.outstanding_cents


def default_as_of(period: str) -> datetime.date:
    """The period's last day: everything dated in the period. Statements and `status` share
    this default, so a statement and the dashboard of the same period show the same figures
    whatever day they are made on (a default of "today" left out whatever was dated later)."""
    return datetime.date(int(period), 12, 31)


def is_interim(period: str, as_of: datetime.date) -> bool:
    """True when ``as_of`` falls before the period's end: the statement leaves out whatever
    is dated later in the period, so it is labelled interim and gets a file name of its own."""
    return as_of < default_as_of(period)


def read_period_inputs(connection: Connection, period: str, as_of: datetime.date) -> PeriodInputs:
    """Read everything the period's statements need, in the caller's (one) read transaction."""
    if as_of < datetime.date(int(period), 1, 1):
        raise LedgerError(f"as-of date {as_of.isoformat()} is before period {period} begins")
    return PeriodInputs(
        network=read_network(connection, period),  # the settings in force for the period
        period=period,
        as_of=as_of,
        figures=period_figures(connection, period, as_of=as_of),
        movements=money_movements(connection, period, as_of),
        fingerprint=chain_position_as_of(connection, as_of),
        coverage=coverage_of(connection, period, as_of),
        # By the as-of date, so that the statement's schedule figures stay what they were
        # when later-dated receipts arrive (verify-statement compares them).
        settled=settle_across_periods(connection, period, as_of),
        approvals=tuple(
            each for each in allocation_approvals(connection, period) if each.date <= as_of
        ),
        bank=_bank_check(connection, as_of),
        # By the as-of date like the transactions: a measurement imported later but dated
        # within it changes the statement's outcomes, which verify-statement then names.
        measurements=read_measurements(connection, until=as_of, period=period),
    )


def _bank_check(connection: Connection, as_of: datetime.date) -> BankCheck | None:
    found = reconciliation_as_of(connection, as_of)
    if found is None:
        return None
    return BankCheck(found.as_of, found.reconciled, found.difference_cents)


def funder_of(network: Network, code: str) -> Funder:
    """The funder ``code``; raise `LedgerError` naming the known codes if there is none."""
    funder = network.funder(code)
    if funder is None:
        known = ", ".join(f.code for f in network.funders) or "(none)"
        raise LedgerError(f"unknown funder {code!r}; the network's funders are {known}")
    return funder


def statement_data(
    inputs: PeriodInputs, funder_code: str, language: str, netfund_version: str
) -> StatementData:
    """The statement of one funder, from the period's inputs."""
    network = inputs.network
    funder = funder_of(network, funder_code)
    overhead_groups = frozenset(group.code for group in network.groups if group.overhead)
    own = inputs.figures.get(funder.code)
    summaries = {
        f.code: Summary.of(inputs.figures.get(f.code), overhead_groups) for f in network.funders
    }
    summary = summaries[funder.code]
    totals = Summary()
    for each in summaries.values():
        totals = totals.plus(each)
    movements = inputs.movements.get(funder.code, ())
    return StatementData(
        network_name=network.name,
        currency=network.currency,
        population=network.population,
        language=language,
        period=inputs.period,
        as_of=inputs.as_of,
        fingerprint=inputs.fingerprint,
        coverage=inputs.coverage,
        funder=funder,
        summary=summary,
        groups=() if own is None else group_lines(network, own.allocated_cents, own.spent_cents),
        overhead=(
            OverheadCheck(
                "funder_of_allocation",
                summary.overhead_allocated_cents,
                summary.allocated_cents,
                funder.overhead_cap,
            ),
            OverheadCheck(
                "funder_of_spending",
                summary.overhead_spent_cents,
                summary.spent_cents,
                funder.overhead_cap,
            ),
            OverheadCheck(
                "network_of_allocation",
                totals.overhead_allocated_cents,
                totals.allocated_cents,
                network.overhead_cap,
            ),
            OverheadCheck(
                "network_of_spending",
                totals.overhead_spent_cents,
                totals.spent_cents,
                network.overhead_cap,
            ),
        ),
        receipts=tuple(m for m in movements if m.kind == "receipt"),
        refunds=tuple(m for m in movements if m.kind == "refund"),
        network=totals,
        funders=tuple(
            FunderTotal(
                code=f.code,
                name=f.name,
                committed_cents=summaries[f.code].committed_cents,
            )
            for f in network.funders
        ),
        netfund_version=netfund_version,
        due=due_by(funder.schedule, inputs.period, summary.committed_cents, inputs.as_of),
        received_for_period_cents=received_for_period(summary, inputs.settled.get(funder.code)),
        approvals=inputs.approvals,
        bank=inputs.bank,
        outcomes=indicator_outcomes(
            network,
            inputs.period,
            inputs.as_of,
            inputs.measurements,
            inputs.figures,
            funder=funder.code,
        ),
    )


def group_lines(
    network: Network, allocated: Mapping[str, int], spent: Mapping[str, int]
) -> tuple[GroupLine, ...]:
    """Every group with money allocated to it or spent by it (cents by group code), in the
    network's order, then spending posted without a group, if any."""
    lines = [
        GroupLine(
            code=group.code,
            name=group.name,
            overhead=group.overhead,
            parent=group.parent,
            allocated_cents=allocated.get(group.code, 0),
            spent_cents=spent.get(group.code, 0),
        )
        for group in network.groups
        if allocated.get(group.code) or spent.get(group.code)
    ]
    without_group = spent.get(NO_GROUP, 0)
    if without_group:
        lines.append(GroupLine(NO_GROUP, "", False, None, 0, without_group))
    return tuple(lines)
