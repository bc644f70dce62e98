"""The indicators beside the money: what a group's spending bought, per period (issue 20).

A pure function of the network, the period's measurements and the period's figures, so that
`netfund status`, the funder statements (rendered in other processes, re-derived by
`verify-statement`), `netfund indicators` and the portal all say the same thing.

The definitions, which the README repeats for the readers of a statement:

- *the period's points*: the measurements dated in the period up to the as-of date;
  *before*: the newest one dated before the period (where the period started from).
- *latest*, *previous*: the newest point and the one before it (from before the period if the
  period has one point).
- *change since the start*: latest minus the start: *before*, else the period's first point.
- *compared with the reference point*: for a ``level``, the latest value; for a ``count``, the
  period's total so far against the reference for the whole period pro rata to the days up to
  the latest measurement (a count of 30 by 30 June is on course for a reference of 60).
- *gap*: how far the compared value lies on the worse side of the reference (0 when at or on
  the better side). *Moved away*: the gap grew since the start of the period (for a count, the
  gap at the start is 0). Never pass/fail: a reference point is where the network meant to go.
- *cost per unit* (``cost_per_unit = true``, a count where higher is better): the spending
  behind it divided by the period's total, in whole cents rounded half up; the spending is the
  group's in the period up to the as-of date (on a funder's statement, that funder's share).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from netfund.ledger.figures import FunderFigures
from netfund.ledger.inputs.network import Network
from netfund.ledger.model.indicators import Indicator

#: Pro-rata references keep this many decimals (a value's own maximum).
_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Measurement:
    """One measured value of an indicator for a group (a row of ``indicators.csv``).

    Attributes:
        indicator: the indicator's code.
        group: the group's code.
        date: the day it was measured (for a count: the end of what it counts).
        value: the exact value.
        source: where it comes from (a monitor, a registration, a survey).
    """

    indicator: str
    group: str
    date: datetime.date
    value: Decimal
    source: str


@dataclass(frozen=True)
class Point:
    """A measurement as a trend shows it."""

    date: datetime.date
    value: Decimal


@dataclass(frozen=True)
class IndicatorOutcome:
    """One indicator of one group in one period, beside the money (module doc).

    Attributes:
        indicator: what was agreed (network.toml).
        group: the group's code.
        points: the period's measurements up to the as-of date, oldest first (the trend).
        before: the newest measurement before the period, or None.
        reference: the reference point agreed for the period, or None.
        spent_cents: the spending behind it: the group's in the period (one funder's share
            on its statement).
        period: the period (a year).
    """

    indicator: Indicator
    group: str
    points: tuple[Point, ...]
    before: Point | None
    reference: Decimal | None
    spent_cents: int
    period: str

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def previous(self) -> Point | None:
        if len(self.points) >= 2:
            return self.points[-2]
        return self.before if self.points else None

    @property
    def start(self) -> Point | None:
        """Where the period started from: *before*, else the period's first point."""
        return self.before if self.before is not None else (self.points[0] if self.points else None)

    @property
    def change_since_previous(self) -> Decimal | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.value - self.previous.value

    @property
    def change_since_start(self) -> Decimal | None:
        if self.latest is None or self.start is None or self.start is self.latest:
            return None
        return self.latest.value - self.start.value

    @property
    def total(self) -> Decimal | None:
        """A count's total over the period so far; None for a level."""
        if self.indicator.kind != "count":
            return None
        return sum((point.value for point in self.points), Decimal(0))

    @property
    def compared(self) -> Decimal | None:
        """What is held against the reference point: a level's latest value, a count's total."""
        if self.latest is None:
            return None
        return self.total if self.indicator.kind == "count" else self.latest.value

    @property
    def reference_now(self) -> Decimal | None:
        """The reference point as it applies at the latest measurement: a level's as agreed,
        a count's pro rata to the days of the period up to it."""
        if self.reference is None or self.latest is None:
            return None
        if self.indicator.kind != "count":
            return self.reference
        return _pro_rata(self.reference, self.period, self.latest.date)

    @property
    def gap(self) -> Decimal | None:
        """How far the compared value lies on the worse side of the reference (0: at or on the
        better side); None without a reference or a measurement."""
        if self.compared is None or self.reference_now is None:
            return None
        return _worse_by(self.indicator, self.compared, self.reference_now)

    @property
    def side(self) -> str | None:
        """``better``, ``at`` or ``worse`` than the reference point, or None."""
        if self.compared is None or self.reference_now is None:
            return None
        if self.compared == self.reference_now:
            return "at"
        return "worse" if self.gap else "better"

    @property
    def gap_at_start(self) -> Decimal | None:
        if self.reference is None:
            return None
        if self.indicator.kind == "count":
            return Decimal(0)
        if self.start is None:
            return None
        return _worse_by(self.indicator, self.start.value, self.reference)

    @property
    def moved_away(self) -> bool:
        """Whether it lies on the worse side of its reference point further than at the start
        of the period (module doc): what the steering group looks at first."""
        if self.gap is None or self.gap_at_start is None:
            return False
        return self.gap > self.gap_at_start

    @property
    def trend(self) -> tuple[Point, ...]:
        """What a trend chart draws, on the statement and on the portal alike: a level's
        measurements from where the period started (*before*, then the period's); a count's
        running total from 0 on the period's first day (its reference is for the whole
        period, so the total is what approaches it). Empty when the period has no
        measurement."""
        if not self.points:
            return ()
        if self.indicator.kind != "count":
            return ((self.before,) if self.before is not None else ()) + self.points
        running = Decimal(0)
        trend = [Point(datetime.date(int(self.period), 1, 1), running)]
        for point in self.points:
            running += point.value
            trend.append(Point(point.date, running))
        return tuple(trend)

    @property
    def reference_line(self) -> tuple[Decimal, Decimal] | None:
        """The reference point as a chart draws it, at the period's first and last day: a
        level's flat; a count's from 0 to the whole period's reference (pro rata between)."""
        if self.reference is None:
            return None
        if self.indicator.kind == "count":
            return Decimal(0), self.reference
        return self.reference, self.reference

    @property
    def cost_per_unit_cents(self) -> int | None:
        """The spending behind it per unit of the period's total, or None (not a
        cost-per-unit indicator, or nothing counted yet)."""
        total = self.total
        if not self.indicator.cost_per_unit or total is None or total <= 0:
            return None
        return int((Decimal(self.spent_cents) / total).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class GroupOutcomes:
    """A group's money in the period beside the indicators it agreed to.

    Attributes:
        group: the group's code.
        name: its name.
        allocated_cents: allocated to it in the period (one funder's on its statement).
        spent_cents: spent by it.
        indicators: its indicators, in the order of network.toml.
    """

    group: str
    name: str
    allocated_cents: int
    spent_cents: int
    indicators: tuple[IndicatorOutcome, ...]


def indicator_outcomes(
    network: Network,
    period: str,
    as_of: datetime.date,
    measurements: Iterable[Measurement],
    figures: Mapping[str, FunderFigures],
    funder: str | None = None,
) -> tuple[GroupOutcomes, ...]:
    """Every group with an indicator, in the network's order, its money beside its
    indicators: the money of ``funder`` only (its statement, its portal: the groups it
    funded in the period), or of every funder (status, the steering group's view)."""
    start = datetime.date(int(period), 1, 1)
    until = min(as_of, datetime.date(int(period), 12, 31))
    series: dict[tuple[str, str], list[Measurement]] = {}
    for each in measurements:
        if each.date <= until:
            series.setdefault((each.indicator, each.group), []).append(each)
    funds = [funder] if funder is not None else list(figures)
    result = []
    for group in network.groups:
        agreed = network.indicators_of(group.code)
        if not agreed:
            continue
        allocated = sum(
            figures[f].allocated_cents.get(group.code, 0) for f in funds if f in figures
        )
        spent = sum(figures[f].spent_cents.get(group.code, 0) for f in funds if f in figures)
        if funder is not None and not (allocated or spent):
            continue  # not a group this funder's money went to
        result.append(
            GroupOutcomes(
                group=group.code,
                name=group.name,
                allocated_cents=allocated,
                spent_cents=spent,
                indicators=tuple(
                    _outcome(indicator, group.code, series.get((indicator.code, group.code), ()),
                             start, period, spent)
                    for indicator in agreed
                ),
            )
        )  # fmt: skip
    return tuple(result)


def moved_away(groups: Sequence[GroupOutcomes]) -> list[tuple[GroupOutcomes, IndicatorOutcome]]:
    """The indicators that moved away from their reference point (`IndicatorOutcome.moved_away`),
    the furthest first: the steering group's diagnostic (`netfund indicators`, the portal)."""
    found = [(group, each) for group in groups for each in group.indicators if each.moved_away]
    return sorted(found, key=lambda pair: (-_relative_gap(pair[1]), pair[0].group))


def _relative_gap(outcome: IndicatorOutcome) -> Decimal:
    """The gap as a share of the reference, to order gaps in days beside gaps in residents."""
    gap = outcome.gap or Decimal(0)
    reference = abs(outcome.reference_now or Decimal(0))
    return gap / reference if reference else gap


def _outcome(
    indicator: Indicator,
    group: str,
    measured: Sequence[Measurement],
    start: datetime.date,
    period: str,
    spent_cents: int,
) -> IndicatorOutcome:
    ordered = sorted(measured, key=lambda m: m.date)
    before = [m for m in ordered if m.date < start]
    return IndicatorOutcome(
        indicator=indicator,
        group=group,
        points=tuple(Point(m.date, m.value) for m in ordered if m.date >= start),
        before=Point(before[-1].date, before[-1].value) if before else None,
        reference=indicator.reference(period),
        spent_cents=spent_cents,
        period=period,
    )


def _worse_by(indicator: Indicator, value: Decimal, reference: Decimal) -> Decimal:
    shortfall = reference - value if indicator.better == "higher" else value - reference
    return max(shortfall, Decimal(0))


def _pro_rata(reference: Decimal, period: str, day: datetime.date) -> Decimal:
    first = datetime.date(int(period), 1, 1)
    days = (datetime.date(int(period), 12, 31) - first).days + 1
    elapsed = min(max((day - first).days + 1, 0), days)
    return (reference * elapsed / days).quantize(_QUANTUM, ROUND_HALF_UP)
