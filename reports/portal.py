"""What a funder sees of its own money on the portal: its statement's figures, as data.

The portal's overview, its JSON twin and the PDF statement must agree to the cent, so the
overview is not computed here: it is `statement_data` of the funder, read from the ledger by
`read_period_inputs` exactly as `netfund statements` reads it, with the same default period
end as-of date (`default_as_of`). This module only picks from it what a funder may see.

What it leaves out, on purpose: the network's totals, the other funders' commitments and the
network's overhead shares. A statement shows them; a funder's web session reads the ledger
under the funder's own database login (row-level security on PostgreSQL), where the other
funders' postings are invisible, so those totals would be partial there and wrong. Keeping
them out of `FunderOverview` means no template can show them by mistake.

A funder's indicators beside its money (issue 20) are `indicator_outcomes`'s with
``funder=`` its code (its money only, and only the groups its money went to, as on its
statement), never computed here; they read the period's inputs the same way the overview
does (``read``), so the money on the indicator pages is the overview's to the cent. (The
steering group's view is `netfund indicators`' own, `reports.indicators`.)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from netfund.ledger import (
    ChainPosition,
    Coverage,
    Due,
    Funder,
    GroupOutcomes,
    LedgerError,
    MoneyMovement,
    Network,
    indicator_outcomes,
    parse_period,
    read_network,
    recorded_periods,
)
from netfund.reports.statement.data import (
    GroupLine,
    OverheadCheck,
    PeriodInputs,
    Summary,
    default_as_of,
    read_period_inputs,
    statement_data,
)
from netfund.reports.statement.wording import LANGUAGES
from netfund.reports.statements import netfund_version
from sqlalchemy import Connection

#: The seven figures a funder's overview shows, in order (`Summary` fields without _cents).
FIGURES = ("committed", "received", "allocated", "spent", "refunded", "unspent", "unallocated")
#: The overhead checks of the funder's own money; the network's are left out (see above).
OWN_OVERHEAD_CHECKS = ("funder_of_allocation", "funder_of_spending")


class NotInPeriod(LedgerError):
    """The funder (or group) has no place in the period's network: nothing to show.

    Its message names only what was asked, never the network's other funders, so a page may
    treat it like an unknown address.
    """


@dataclass(frozen=True)
class FunderPeriod:
    """Which funder, period and groups a funder's page is about.

    Attributes:
        funder: the funder, as the period's network defines it.
        period: the period shown.
        periods: the periods the reader's view of the ledger holds, oldest first (a
            funder's login sees the periods with its own money only).
        groups: every group of the period's network, code → name, in the network's order.
        currency: the network's currency.
    """

    funder: Funder
    period: str
    periods: tuple[str, ...]
    groups: dict[str, str]
    currency: str


@dataclass(frozen=True)
class FunderOverview:
    """One funder's figures for one period as of one date: its statement, without the
    network's totals.

    Attributes:
        scope: the funder, period, periods and groups.
        as_of: transactions dated after it are not counted.
        interim: True when ``as_of`` is before the period's end.
        fingerprint: the newest transaction included (as on the statement), or None.
        coverage: the period's transactions counted.
        summary: the statement's summary figures (`FIGURES` and the overhead parts).
        overhead: the funder's own overhead checks (`OWN_OVERHEAD_CHECKS`).
        groups: per group, its allocated and spent money, in the network's order.
        receipts: its receipts, in date order.
        refunds: its refunds.
        receipts_other_cents: received but not by a listed receipt (carried over, journal).
        refunds_other_cents: refunded but not by a listed refund.
        due: its payment schedule against its commitment by ``as_of``.
        received_for_period_cents: what it paid of the period's commitment by ``as_of``.
        overdue_cents: due by ``as_of`` and not received for the period.
    """

    scope: FunderPeriod
    as_of: datetime.date
    interim: bool
    fingerprint: ChainPosition | None
    coverage: Coverage
    summary: Summary
    overhead: tuple[OverheadCheck, ...]
    groups: tuple[GroupLine, ...]
    receipts: tuple[MoneyMovement, ...]
    refunds: tuple[MoneyMovement, ...]
    receipts_other_cents: int
    refunds_other_cents: int
    due: Due
    received_for_period_cents: int
    overdue_cents: int

    @property
    def funder(self) -> Funder:
        return self.scope.funder

    @property
    def period(self) -> str:
        return self.scope.period

    def figures(self) -> dict[str, int]:
        """The seven figures in cents, keyed ``committed_cents`` ... ``unallocated_cents``."""
        return {f"{name}_cents": getattr(self.summary, f"{name}_cents") for name in FIGURES}

    def group(self, code: str) -> GroupLine:
        """The line of group ``code``: zeros when the funder has no money on it this period."""
        for line in self.groups:
            if line.code == code:
                return line
        name = self.scope.groups.get(code)
        if name is None:
            raise NotInPeriod(f"group {code!r} is not in the network in period {self.period}")
        return GroupLine(code, name, False, None, 0, 0)


def funder_period(connection: Connection, funder: str, period: str | None = None) -> FunderPeriod:
    """The funder ``funder`` in ``period`` (None: the newest period the reader sees).

    Raise `FieldError` for a malformed period and `NotInPeriod` when the period's network
    has no such funder.
    """
    periods, period = _periods(connection, period)
    network = read_network(connection, period)
    return _scope(network, funder, period, periods)


def _periods(connection: Connection, period: str | None) -> tuple[tuple[str, ...], str]:
    """The periods the reader sees, oldest first, and ``period`` checked (None: the newest
    of them, or this year in an empty ledger)."""
    periods = tuple(recorded_periods(connection))
    if period is None:
        period = periods[-1] if periods else str(datetime.date.today().year)
    return periods, parse_period(period)


def _scope(network: Network, funder: str, period: str, periods: tuple[str, ...]) -> FunderPeriod:
    found = network.funder(funder)
    if found is None:
        raise NotInPeriod(f"funder {funder!r} is not in the network in period {period}")
    return FunderPeriod(
        funder=found,
        period=period,
        periods=periods,
        groups={group.code: group.name for group in network.groups},
        currency=network.currency,
    )


def funder_overview(
    connection: Connection,
    funder: str,
    period: str | None = None,
    as_of: datetime.date | None = None,
    language: str = "nl",
    read: Callable[[Connection, str, datetime.date], PeriodInputs] = read_period_inputs,
) -> FunderOverview:
    """``funder``'s overview of ``period`` (None: the newest) as of ``as_of`` (None: the
    period's last day, as statements default), from the statement's own data.

    Read within the caller's read transaction (`reading`, or `funder_reading` for a funder's
    session): the figures come from one snapshot. ``read`` reads the period's inputs: a
    caller that keeps them per state of the ledger (the portal) passes its own, so every
    funder's overview of a period is built from one read.
    """
    if language not in LANGUAGES:
        raise LedgerError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    periods, period = _periods(connection, period)
    inputs = read(connection, period, as_of or default_as_of(period))
    scope = _scope(inputs.network, funder, period, periods)
    data = statement_data(inputs, scope.funder.code, language, netfund_version())
    return FunderOverview(
        scope=scope,
        as_of=data.as_of,
        interim=data.interim,
        fingerprint=data.fingerprint,
        coverage=data.coverage,
        summary=data.summary,
        overhead=tuple(check for check in data.overhead if check.key in OWN_OVERHEAD_CHECKS),
        groups=data.groups,
        receipts=data.receipts,
        refunds=data.refunds,
        receipts_other_cents=data.receipts_other_cents,
        refunds_other_cents=data.refunds_other_cents,
        due=data.due,
        received_for_period_cents=data.received_for_period_cents,
        overdue_cents=data.overdue_cents,
    )


@dataclass(frozen=True)
class FunderIndicators:
    """What a funder's money went to in a period, beside the indicators each group agreed to.

    Attributes:
        scope: the funder, period, periods and groups.
        as_of: measurements and transactions dated after it are not counted.
        groups: the groups the funder's money went to in the period that agreed to an
            indicator, in the network's order, with the funder's own money only.
    """

    scope: FunderPeriod
    as_of: datetime.date
    groups: tuple[GroupOutcomes, ...]

    @property
    def period(self) -> str:
        return self.scope.period

    def group(self, code: str) -> GroupOutcomes | None:
        """Group ``code``'s outcomes, or None when the funder's money did not go to it."""
        return next((each for each in self.groups if each.group == code), None)


def funder_indicators(
    connection: Connection,
    funder: str,
    period: str | None = None,
    as_of: datetime.date | None = None,
    read: Callable[[Connection, str, datetime.date], PeriodInputs] = read_period_inputs,
) -> FunderIndicators:
    """``funder``'s indicators beside its money in ``period`` (None: the newest) as of
    ``as_of`` (None: the period's last day), as its statement shows them.

    Read within the caller's read transaction; raise `NotInPeriod` as `funder_overview` does.
    """
    periods, period = _periods(connection, period)
    inputs = read(connection, period, as_of or default_as_of(period))
    scope = _scope(inputs.network, funder, period, periods)
    groups = indicator_outcomes(
        inputs.network,
        period,
        inputs.as_of,
        inputs.measurements,  # kept per LedgerState, which an import of measurements moves
        inputs.figures,
        funder=scope.funder.code,
    )
    return FunderIndicators(scope=scope, as_of=inputs.as_of, groups=groups)
