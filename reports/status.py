"""The administrator's dashboard: where every funder's money stands, and what needs attention.

`netfund status` answers the questions a network manager asks before a steering-group
meeting, from the same figures the statements use (`netfund.ledger.figures`), so the
dashboard and the statements can never disagree. The warnings are the diagnostic controls
such a manager watches; each says what is wrong in euros and what the usual remedy is:

- **overhead**: the overhead groups' share of what was allocated, and of what was spent, per
  funder with its own cap and for the whole network against the network cap. At or above
  `NEAR_CAP` (90%) of the cap it is a warning that the cap is near; above the cap, exact in
  integers as in allocation, it is a breach.
- **overspent**: a group has spent more than was allocated to it in the period (naming the
  funders whose allocation it overspent); **allocation overspent**: a group within its budget
  has spent more of one funder's money than that funder allocated to it.
- **receipts lag**: a funder has paid less than is due (receipts dated after the period that
  pay its commitments count: `settle_across_periods` matches each receipt to the oldest
  open commitment). What is due is the ledger's `due_by` over the funder's payment schedule
  (network.toml; without one, quarterly advances: a quarter from 15 February, 15 May,
  15 August and 15 November); after the period, all of it. The warning names the instalments
  that have fallen due.
- **spent beyond received**: a funder's money has been spent beyond what it has paid; the
  network pre-finances the difference. Receipts that paid another period's commitments and
  refunds that paid what an earlier close owed (the refund after a `return` close) are that
  other period's money, not this one's.

- **bank**: once a bank statement is imported, the ledger's Assets:Bank against the bank's
  balance (`netfund.ledger.reconciliation_as_of`: as of the status's as-of date, or the
  newest statement's closing date if that is earlier, as far as the bank's balance is
  known), and the bank lines not matched yet. Read by the staff only: a funder's login does
  not read the bank, and its dashboard is as before.

The dashboard covers what its statements cover: by default everything dated in the period
(`default_as_of`, the period's last day), so `status` and `statements` agree to the cent.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from netfund.ledger import (
    ChainPosition,
    Due,
    FunderFigures,
    GroupOutcomes,
    Network,
    Reconciliation,
    Settling,
    cap_excess,
    cents_over_cap,
    chain_position_as_of,
    due_by,
    format_grouped,
    over_cap,
    parse_period,
    period_figures,
    read_network,
    readable_funders,
    reading,
    reconciliation_as_of,
    recorded_periods,
    require_schema,
    settle_across_periods,
)
from netfund.reports.formatting import share_of
from netfund.reports.indicators import read_outcomes
from netfund.reports.statement.data import (
    GroupLine,
    Summary,
    default_as_of,
    group_lines,
    is_interim,
    received_for_period,
)
from sqlalchemy import Connection, Engine

#: The share of a cap from which the overhead is reported as approaching it.
NEAR_CAP = Decimal("0.9")


@dataclass(frozen=True)
class FunderLine:
    """One funder's money in the period.

    Attributes:
        code: the funder code (``total`` for the network's line).
        name: its name.
        money: its figures, exactly as its statement's summary shows them.
        cap: its own overhead cap, or None (for ``total``: the network cap).
        settled: its receipts and refunds matched across periods, or None.
        due: what its payment schedule asks of its commitment by the status's due date
            (None for ``total``).
    """

    code: str
    name: str
    money: Summary
    cap: Decimal | None
    settled: Settling | None = None
    due: Due | None = None

    @property
    def received_for_period_cents(self) -> int:
        """What the funder has paid of this period's commitments, wherever the receipt was
        dated (a late receipt counts, one paying an earlier period does not)."""
        return received_for_period(self.money, self.settled)

    @property
    def overdue_cents(self) -> int:
        """What has fallen due under the schedule and is not paid yet (0 if none)."""
        if self.due is None:
            return 0
        return max(self.due.due_cents - self.received_for_period_cents, 0)

    @property
    def unspent_for_period_cents(self) -> int:
        """What this period's money still holds: `received_for_period_cents` less what was
        spent and refunded of it (a refund paying an earlier close's debt is that period's)."""
        refunded = self.money.refunded_cents
        if self.settled is not None:
            refunded -= self.settled.refunded_for_earlier_cents
        return self.received_for_period_cents - self.money.spent_cents - refunded

    @property
    def overhead_share(self) -> Decimal | None:
        """The overhead groups' share of what this funder's money was allocated to."""
        return share_of(self.money.overhead_allocated_cents, self.money.allocated_cents)


@dataclass(frozen=True)
class Warning:
    """Something the administrator should look at.

    Attributes:
        kind: ``overhead_near_cap``, ``overhead_over_cap``, ``overspent``,
            ``allocation_overspent``, ``receipts_lag``, ``spent_beyond_received``,
            ``bank_difference`` or ``bank_unmatched``.
        subject: the funder or group code, ``network``, or ``bank``.
        message: one sentence in euros, with what to do about it.
    """

    kind: str
    subject: str
    message: str


@dataclass(frozen=True)
class Status:
    """The dashboard of one period.

    Attributes:
        network_name: the network's name.
        period: the period.
        as_of: only transactions dated on or before it count (default: the period's last
            day, as for the statements).
        due_date: the date receipts are compared against (the as-of date, or today if
            earlier).
        fingerprint: the newest transaction included, or None.
        network_cap: the network's overhead cap.
        funders: every funder, in the network's order.
        total: the sum over the funders (code ``total``).
        groups: every group with money in the period, in the network's order.
        warnings: what needs attention, most serious kinds first.
        periods: the periods the ledger has transactions in (set by `load_status`).
        bank: the bank reconciliation beside it, or None (no statement imported, or a
            funder's login).
        outcomes: every group with indicators (network.toml), its money beside them
            (`indicator_outcomes`): every funder's money, or a funder login's own.
    """

    network_name: str
    period: str
    as_of: datetime.date
    due_date: datetime.date
    fingerprint: ChainPosition | None
    network_cap: Decimal
    funders: tuple[FunderLine, ...]
    total: FunderLine
    groups: tuple[GroupLine, ...]
    warnings: tuple[Warning, ...]
    periods: tuple[str, ...] = ()
    bank: Reconciliation | None = None
    outcomes: tuple[GroupOutcomes, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing was committed, allocated or spent in the period."""
        t = self.total.money
        return not (t.committed_cents or t.allocated_cents or t.spent_cents or self.groups)


def percent(value: Decimal | None) -> str:
    """A share as a percentage with two decimals (``7.94``), or ``-`` for None."""
    if value is None:
        return "-"
    return f"{(value * 100).quantize(Decimal('0.01'))}"


def load_status(
    engine: Engine, period: str | None, today: datetime.date, as_of: datetime.date | None = None
) -> Status | None:
    """The dashboard of ``period`` (default: the newest period in the ledger), read in one
    snapshot; None when the ledger has no transactions and no period was asked for."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        known = tuple(recorded_periods(connection))
        if period is None:
            if not known:
                return None
            period = known[-1]
        status = read_status(connection, parse_period(period), today, as_of)
    return replace(status, periods=known)


def read_status(
    connection: Connection, period: str, today: datetime.date, as_of: datetime.date | None = None
) -> Status:
    """The dashboard of ``period`` as the ledger holds it up to ``as_of`` (default: the
    period's last day). Receipts and refunds are matched across periods with everything
    recorded, except for an interim view, which sees only what was dated by its as-of date."""
    network = read_network(connection, period)  # the settings in force for the period
    readable = readable_funders(connection)
    if readable is not None:  # a funder's login: its own funds only (row policies hold it)
        network = replace(network, funders=tuple(f for f in network.funders if f.code in readable))
    as_of = as_of or default_as_of(period)
    figures = period_figures(connection, period, as_of=as_of)
    settled = settle_across_periods(
        connection, period, as_of if is_interim(period, as_of) else None
    )
    due_date = min(as_of, today)
    fingerprint = chain_position_as_of(connection, as_of)
    status = build_status(network, period, figures, as_of, due_date, fingerprint, settled)
    outcomes = read_outcomes(connection, network, period, as_of, figures, readable)
    if outcomes:
        status = replace(status, outcomes=outcomes)
    bank = reconciliation_as_of(connection, as_of)
    if bank is None:
        return status
    return replace(status, bank=bank, warnings=(*status.warnings, *bank_warnings(bank)))


def bank_warnings(bank: Reconciliation) -> list[Warning]:
    """The ledger and the bank differing on the reconciliation's day, and bank lines that
    are not matched yet: each with the command that shows why."""
    found = []
    if not bank.reconciled:
        which = (
            f"statement of {bank.statement_date.isoformat()}"
            if bank.statement_date is not None
            else f"as of {bank.as_of.isoformat()}"
        )
        found.append(
            Warning(
                "bank_difference",
                "bank",
                f"the ledger's bank balance EUR {format_grouped(bank.ledger_cents)} differs "
                f"from the bank's EUR {format_grouped(bank.bank_cents)} ({which}) by EUR "
                f"{format_grouped(bank.difference_cents)}: netfund bank reconcile",
            )
        )
    if bank.unmatched_count:
        lines = "line is" if bank.unmatched_count == 1 else "lines are"
        found.append(
            Warning(
                "bank_unmatched",
                "bank",
                f"{bank.unmatched_count} bank {lines} not matched (EUR "
                f"{format_grouped(bank.unmatched_in_cents)} in, EUR "
                f"{format_grouped(bank.unmatched_out_cents)} out): netfund bank unmatched",
            )
        )
    return found


def build_status(
    network: Network,
    period: str,
    figures: dict[str, FunderFigures],
    as_of: datetime.date,
    due_date: datetime.date,
    fingerprint: ChainPosition | None,
    settled: dict[str, Settling] | None = None,
) -> Status:
    """The dashboard from a period's figures (and its receipts and refunds matched across
    periods, if given); pure, so it is tested without a database."""
    overhead = frozenset(group.code for group in network.groups if group.overhead)
    settled = settled or {}
    lines = []
    for f in network.funders:
        money = Summary.of(figures.get(f.code), overhead)
        due = due_by(f.schedule, period, money.committed_cents, due_date)
        lines.append(FunderLine(f.code, f.name, money, f.overhead_cap, settled.get(f.code), due))
    funders = tuple(lines)
    money = Summary()
    for line in funders:
        money = money.plus(line.money)
    total = FunderLine("total", "", money, network.overhead_cap)
    groups = _group_lines(network, figures)
    warnings = [
        *_overhead_warnings(funders, total, network.overhead_cap),
        *_overspent_warnings(groups, figures),
        *_receipt_warnings(funders, due_date),
        *_prefinanced_warnings(funders),
    ]
    return Status(
        network_name=network.name,
        period=period,
        as_of=as_of,
        due_date=due_date,
        fingerprint=fingerprint,
        network_cap=network.overhead_cap,
        funders=funders,
        total=total,
        groups=groups,
        warnings=tuple(warnings),
    )


def settled_elsewhere(status: Status) -> list[str]:
    """One line per funder whose receipts or refunds were dated in another period than the
    one they settle: why the warnings differ from what the figures alone would say."""
    lines = []
    for line in status.funders:
        settled = line.settled
        if settled is None:
            continue
        parts = [
            f"EUR {format_grouped(cents)} {what}"
            for cents, what in (
                (settled.received_later_cents, f"received after {status.period} for it"),
                (settled.received_for_earlier_cents, "received for earlier periods"),
                (settled.refunded_for_earlier_cents, "refunded of what earlier closes owed"),
            )
            if cents
        ]
        if parts:
            lines.append(f"{line.code}: {', '.join(parts)}")
    return lines


def _group_lines(network: Network, figures: dict[str, FunderFigures]) -> tuple[GroupLine, ...]:
    """Every group's money from every funder together."""
    allocated: dict[str, int] = {}
    spent: dict[str, int] = {}
    for each in figures.values():
        for code, cents in each.allocated_cents.items():
            allocated[code] = allocated.get(code, 0) + cents
        for code, cents in each.spent_cents.items():
            spent[code] = spent.get(code, 0) + cents
    return group_lines(network, allocated, spent)


def _overhead_warnings(
    funders: tuple[FunderLine, ...], total: FunderLine, network_cap: Decimal
) -> list[Warning]:
    checks = [("network", "the network", total, network_cap)]
    checks += [(f.code, f.code, f, f.cap) for f in funders if f.cap is not None]
    found: list[Warning] = []
    for subject, who, line, cap in checks:
        for what, part, whole in (
            ("allocated", line.money.overhead_allocated_cents, line.money.allocated_cents),
            ("spent", line.money.overhead_spent_cents, line.money.spent_cents),
        ):
            if whole <= 0:
                continue
            cap_text = f"{percent(cap)}%"
            text = (
                f"overhead is {percent(share_of(part, whole))}% of what {who} {what} "
                f"(EUR {format_grouped(part)} of EUR {format_grouped(whole)}; cap {cap_text})"
            )
            if over_cap(part, whole, cap):
                over = cents_over_cap(part, whole, cap)
                found.append(
                    Warning(
                        "overhead_over_cap",
                        subject,
                        f"{text}: EUR {format_grouped(over)} above the cap; move overhead "
                        "spending to another funder or reverse it",
                    )
                )
            elif cap_excess(part, whole, NEAR_CAP * cap) >= 0:  # at or above 90% of the cap
                found.append(
                    Warning(
                        "overhead_near_cap",
                        subject,
                        f"{text}: near the cap; check the overhead plans before allocating more",
                    )
                )
    return found


def _overspent_warnings(
    groups: tuple[GroupLine, ...], figures: dict[str, FunderFigures]
) -> list[Warning]:
    """A group that spent more than its allocations together (``overspent``), and otherwise
    a group that spent more of one funder's money than that funder allocated to it
    (``allocation_overspent``: explicit-funder expenses can do that while the group as a
    whole stays within its budget). Each names the funders' allocations that are overspent."""
    found = []
    for group in groups:
        overs = {
            fund: each.spent_cents.get(group.code, 0) - each.allocated_cents.get(group.code, 0)
            for fund, each in sorted(figures.items())
        }
        over_text = ", ".join(
            f"{fund} EUR {format_grouped(cents)}" for fund, cents in overs.items() if cents > 0
        )
        name = group.code or "spending without a group"
        if group.spent_cents > group.allocated_cents:
            found.append(
                Warning(
                    "overspent",
                    group.code or "(no group)",
                    f"{name} spent EUR {format_grouped(group.spent_cents)} of EUR "
                    f"{format_grouped(group.allocated_cents)} allocated: EUR "
                    f"{format_grouped(group.spent_cents - group.allocated_cents)} over "
                    f"({over_text}); allocate more or agree a correction with the group",
                )
            )
        elif over_text:
            found.append(
                Warning(
                    "allocation_overspent",
                    group.code or "(no group)",
                    f"{name} is within its budget but spent more of some funders' money than "
                    f"they allocated to it ({over_text} over); reclassify the expenses "
                    "charged to those funders",
                )
            )
    return found


def _receipt_warnings(funders: tuple[FunderLine, ...], due_date: datetime.date) -> list[Warning]:
    found = []
    for line in funders:
        if line.due is None or not line.overdue_cents:
            continue
        found.append(
            Warning(
                "receipts_lag",
                line.code,
                f"{line.code} has paid EUR {format_grouped(line.received_for_period_cents)} of "
                f"EUR {format_grouped(line.due.due_cents)} due by {due_date.isoformat()} "
                f"({instalments_text(line.due)}; committed EUR "
                f"{format_grouped(line.money.committed_cents)}): EUR "
                f"{format_grouped(line.overdue_cents)} outstanding; send a reminder",
            )
        )
    return found


def instalments_text(due: Due) -> str:
    """The instalments fallen due, for a warning: ``instalments 2026-01-15, 2026-07-15`` (and
    ``the rest after 2026`` once the period is over and amounts left part of it)."""
    dates = [row.date.isoformat() for row in due.fallen_due if row.instalment is not None]
    rest = any(row.instalment is None for row in due.fallen_due)
    parts = [f"instalment{'s' if len(dates) > 1 else ''} {', '.join(dates)}"] if dates else []
    if rest:
        parts.append(f"the rest after {due.period}")
    return " and ".join(parts)


def _prefinanced_warnings(funders: tuple[FunderLine, ...]) -> list[Warning]:
    return [
        Warning(
            "spent_beyond_received",
            line.code,
            f"EUR {format_grouped(-line.unspent_for_period_cents)} of {line.code}'s money was "
            "spent before it was received; the network pre-finances it until the next receipt",
        )
        for line in funders
        if line.unspent_for_period_cents < 0
    ]
