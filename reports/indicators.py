"""The steering group's view of the indicators: which moved away from their reference point,
with the groups and the money behind them (`netfund indicators`, the portal's staff page),
and the outcomes as JSON values for every ``--json`` that shows them.

The figures are `indicator_outcomes`' (ledger/indicators/outcomes.py); the words
`indicator_words.py`'s.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from netfund.ledger import (
    FunderFigures,
    GroupOutcomes,
    IndicatorOutcome,
    Network,
    Point,
    format_cents,
    indicator_outcomes,
    moved_away,
    parse_period,
    period_figures,
    read_measurements,
    read_network,
    readable_funders,
    reading,
    recorded_periods,
    require_schema,
    value_text,
)
from netfund.reports.statement.data import default_as_of
from sqlalchemy import Connection, Engine


@dataclass(frozen=True)
class IndicatorsView:
    """The indicators of one period, for the steering group.

    Attributes:
        network_name: the network's name.
        period: the period.
        as_of: measurements and transactions dated on or before it count.
        declared: how many indicators network.toml declares for the period.
        groups: every group with indicators, its money (every funder's) beside them.
        moved: the indicators that moved away from their reference point, furthest first.
        spent_by: per group, each funder's spending on it in the period (largest first): whose
            money is behind an indicator that moved away.
    """

    network_name: str
    period: str
    as_of: datetime.date
    declared: int
    groups: tuple[GroupOutcomes, ...]
    moved: tuple[tuple[GroupOutcomes, IndicatorOutcome], ...]
    spent_by: dict[str, tuple[tuple[str, int], ...]]


def read_outcomes(
    connection: Connection,
    network: Network,
    period: str,
    as_of: datetime.date,
    figures: dict[str, FunderFigures],
    readable: frozenset[str] | None,
) -> tuple[GroupOutcomes, ...]:
    """The period's groups with indicators beside the money the reader may see: every
    funder's for staff, a funder login's own (the groups its money went to) otherwise
    (``readable``: `readable_funders`, which the caller has read already)."""
    if not network.indicators:
        return ()
    outcomes = indicator_outcomes(
        network, period, as_of, read_measurements(connection, until=as_of, period=period), figures
    )
    if readable is not None:
        outcomes = tuple(g for g in outcomes if g.allocated_cents or g.spent_cents)
    return outcomes


def load_indicators_view(
    engine: Engine, period: str | None, as_of: datetime.date | None = None
) -> IndicatorsView | None:
    """The view of ``period`` (default: the newest period in the ledger), read in one
    snapshot; None when the ledger has no transactions and no period was asked for."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        if period is None:
            known = recorded_periods(connection)
            if not known:
                return None
            period = known[-1]
        return read_indicators_view(connection, parse_period(period), as_of)


def read_indicators_view(
    connection: Connection, period: str, as_of: datetime.date | None = None
) -> IndicatorsView:
    """The view of ``period`` as the caller's snapshot reads it (the portal's staff page
    reads it in the viewer's own snapshot, `web.guards.read_for`)."""
    as_of = as_of or default_as_of(period)
    network = read_network(connection, period)
    figures = period_figures(connection, period, as_of=as_of)
    groups = read_outcomes(
        connection, network, period, as_of, figures, readable_funders(connection)
    )
    return IndicatorsView(
        network_name=network.name,
        period=period,
        as_of=as_of,
        declared=len(network.indicators),
        groups=groups,
        moved=tuple(moved_away(groups)),
        spent_by={group.group: _spent_by(figures, group.group) for group in groups},
    )


def _spent_by(figures: dict[str, FunderFigures], group: str) -> tuple[tuple[str, int], ...]:
    spent = [(fund, each.spent_cents.get(group, 0)) for fund, each in figures.items()]
    return tuple(sorted(((f, c) for f, c in spent if c), key=lambda pair: (-pair[1], pair[0])))


def group_document(group: GroupOutcomes) -> dict[str, Any]:
    """A group's money and indicators as JSON values: amounts as decimal text in euros,
    values as their exact text, as every ``--json`` writes them."""
    return {
        "group": group.group,
        "name": group.name,
        "allocated": format_cents(group.allocated_cents),
        "spent": format_cents(group.spent_cents),
        "indicators": [outcome_document(each) for each in group.indicators],
    }


def outcome_document(outcome: IndicatorOutcome) -> dict[str, Any]:
    """One indicator of one group (`IndicatorOutcome`'s figures) as JSON values."""
    indicator = outcome.indicator
    cost = outcome.cost_per_unit_cents
    return {
        "indicator": indicator.code,
        "name": {"nl": indicator.name_nl, "en": indicator.name_en},
        "unit": {"nl": indicator.unit_nl, "en": indicator.unit_en},
        "aim": indicator.aim,
        "better": indicator.better,
        "kind": indicator.kind,
        "points": [point_document(p) for p in outcome.points],
        "before": point_document(outcome.before),
        "latest": point_document(outcome.latest),
        "change_since_previous": exact(outcome.change_since_previous),
        "change_since_start": exact(outcome.change_since_start),
        "total": exact(outcome.total),
        "reference": exact(outcome.reference),
        "reference_now": exact(outcome.reference_now),
        "side": outcome.side,
        "gap": exact(outcome.gap),
        "moved_away": outcome.moved_away,
        "spent": format_cents(outcome.spent_cents),
        "cost_per_unit": None if cost is None else format_cents(cost),
    }


def point_document(point: Point | None) -> dict[str, str] | None:
    """A measurement as JSON values: ISO date, exact value text."""
    if point is None:
        return None
    return {"date": point.date.isoformat(), "value": value_text(point.value)}


def exact(value: Decimal | None) -> str | None:
    """Exact decimal text (never a JSON float: a reader compares it digit by digit)."""
    return None if value is None else value_text(value)
