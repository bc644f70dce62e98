"""The indicators beside the money (issue 20): every figure `indicator_outcomes` derives,
exactly, from a network, measurements and a period's figures (ledger/indicators/outcomes.py
defines them; statements, status, `netfund indicators` and the portal all show these)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from netfund.ledger import (
    FunderFigures,
    Indicator,
    Measurement,
    Network,
    Point,
    indicator_outcomes,
    moved_away,
)
from netfund.ledger.inputs.network import Group

D = Decimal
END = datetime.date(2026, 12, 31)

WAIT = Indicator(
    "WAIT", "Wachttijd", "Waiting time", "dagen", "days", "lower", "experience", "level",
    ("WG-A", "WG-B"), (("2026", D("10")),),
)  # fmt: skip
REACH = Indicator(
    "REACH", "Bereik", "Reach", "inwoners", "residents", "higher", "health", "count",
    ("WG-A",), (("2026", D("36")),), cost_per_unit=True,
)  # fmt: skip
NETWORK = Network(
    name="N",
    currency="EUR",
    language="nl",
    population=None,
    overhead_cap=D("0.15"),
    groups=(
        Group("WG-A", "Werkgroep A", False, None),
        Group("WG-B", "Werkgroep B", False, None),
        Group("PMO", "Programmabureau", True, None),
    ),
    indicators=(WAIT, REACH),
)
FIGURES = {
    "GEM": FunderFigures("GEM", allocated_cents={"WG-A": 600_000}, spent_cents={"WG-A": 450_001}),
    "ZVK": FunderFigures(
        "ZVK",
        allocated_cents={"WG-A": 400_000, "WG-B": 100_000},
        spent_cents={"WG-A": 300_000, "WG-B": 50_000},
    ),
}


def m(indicator: str, group: str, day: str, value: str) -> Measurement:
    return Measurement(indicator, group, datetime.date.fromisoformat(day), D(value), "test")


MEASURED = [
    m("WAIT", "WG-A", "2025-12-31", "12.0"),  # where 2026 started
    m("WAIT", "WG-A", "2026-03-31", "11.5"),
    m("WAIT", "WG-A", "2026-06-30", "13.0"),
    m("WAIT", "WG-A", "2027-01-31", "5.0"),  # after the period: not in it
    m("WAIT", "WG-B", "2026-06-30", "9.5"),
    m("REACH", "WG-A", "2026-03-31", "10"),
    m("REACH", "WG-A", "2026-06-30", "7"),
]


def _by_code(groups: tuple, group: str, indicator: str):  # type: ignore[no-untyped-def]
    found = next(g for g in groups if g.group == group)
    return found, next(o for o in found.indicators if o.indicator.code == indicator)


def test_a_level_from_where_the_period_started() -> None:
    groups = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES)
    group, wait = _by_code(groups, "WG-A", "WAIT")
    assert (group.allocated_cents, group.spent_cents) == (1_000_000, 750_001)  # every funder's
    assert wait.before == Point(datetime.date(2025, 12, 31), D("12.0"))
    assert [p.value for p in wait.points] == [D("11.5"), D("13.0")]  # 2027 left out
    assert wait.latest == Point(datetime.date(2026, 6, 30), D("13.0"))
    assert wait.previous == Point(datetime.date(2026, 3, 31), D("11.5"))
    assert wait.change_since_previous == D("1.5")
    assert wait.change_since_start == D("1.0")  # from 12.0 at the end of 2025
    assert wait.total is None and wait.cost_per_unit_cents is None
    # Lower is better: 13.0 days lies 3.0 on the worse side of 10; it started 2.0 there.
    assert (wait.side, wait.gap, wait.gap_at_start) == ("worse", D("3.0"), D("2.0"))
    assert wait.moved_away


def test_one_measurement_in_the_period_compares_with_the_one_before_or_with_nothing() -> None:
    groups = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES)
    _, wait_b = _by_code(groups, "WG-B", "WAIT")
    assert wait_b.previous is None and wait_b.before is None
    assert wait_b.change_since_previous is None and wait_b.change_since_start is None
    assert (wait_b.side, wait_b.gap) == ("better", D(0))
    assert not wait_b.moved_away  # better than the reference point: nothing to look at
    as_of_april = indicator_outcomes(NETWORK, "2026", datetime.date(2026, 4, 30), MEASURED, FIGURES)
    _, wait_a = _by_code(as_of_april, "WG-A", "WAIT")
    assert wait_a.previous == Point(datetime.date(2025, 12, 31), D("12.0"))
    assert wait_a.change_since_previous == wait_a.change_since_start == D("-0.5")
    assert not wait_a.moved_away  # 1.5 worse than the reference, less than the 2.0 at the start


def test_a_count_totals_the_period_against_a_pro_rata_reference_and_costs_per_unit() -> None:
    groups = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES)
    _, reach = _by_code(groups, "WG-A", "REACH")
    assert reach.total == D(17)
    # 181 of 2026's 365 days by 30 June: 36 × 181 / 365 = 17.8520..., to four decimals.
    assert reach.reference_now == D("17.8521")
    assert (reach.side, reach.gap, reach.gap_at_start) == ("worse", D("0.8521"), D(0))
    assert reach.moved_away
    # EUR 7,500.01 of every funder's spending on WG-A / 17 residents = 441.17705... → 441.18.
    assert reach.spent_cents == 750_001
    assert reach.cost_per_unit_cents == 44_118


def test_a_funder_sees_its_own_money_and_only_the_groups_it_went_to() -> None:
    own = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES, funder="GEM")
    assert [g.group for g in own] == ["WG-A"]  # GEM's money never went to WG-B
    _, reach = _by_code(own, "WG-A", "REACH")
    assert reach.spent_cents == 450_001
    # 450,001 / 17 = 26,470.647... cents: half up to 26,471.
    assert reach.cost_per_unit_cents == 26_471
    zvk = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES, funder="ZVK")
    assert [g.group for g in zvk] == ["WG-A", "WG-B"]
    assert _by_code(zvk, "WG-B", "WAIT")[0].spent_cents == 50_000


def test_half_a_cent_per_unit_rounds_up_and_nothing_counted_has_no_cost() -> None:
    figures = {"GEM": FunderFigures("GEM", spent_cents={"WG-A": 1_001})}
    two = [m("REACH", "WG-A", "2026-01-31", "2")]
    _, reach = _by_code(indicator_outcomes(NETWORK, "2026", END, two, figures), "WG-A", "REACH")
    assert reach.cost_per_unit_cents == 501  # 500.5 cents
    zero = [m("REACH", "WG-A", "2026-01-31", "0")]
    _, none = _by_code(indicator_outcomes(NETWORK, "2026", END, zero, figures), "WG-A", "REACH")
    assert none.total == 0 and none.cost_per_unit_cents is None


def test_no_measurement_and_no_reference_give_no_figures_rather_than_zeros() -> None:
    groups = indicator_outcomes(NETWORK, "2027", datetime.date(2027, 12, 31), [], FIGURES)
    _, wait = _by_code(groups, "WG-A", "WAIT")
    assert wait.latest is None and wait.reference is None
    assert wait.side is None and wait.gap is None and not wait.moved_away
    assert wait.total is None and wait.cost_per_unit_cents is None


def test_the_diagnostic_lists_what_moved_away_furthest_first() -> None:
    measured = [
        *MEASURED,
        m("WAIT", "WG-B", "2026-09-30", "16.0"),  # 6.0 worse than 10: 60% of the reference
    ]
    groups = indicator_outcomes(NETWORK, "2026", END, measured, FIGURES)
    listed = [(g.group, o.indicator.code) for g, o in moved_away(groups)]
    # WG-B waits 60% over, WG-A 30% over, WG-A's reach 0.8521/17.8521 = 4.8% short.
    assert listed == [("WG-B", "WAIT"), ("WG-A", "WAIT"), ("WG-A", "REACH")]


def test_the_trend_a_chart_draws_is_the_same_for_the_statement_and_the_portal() -> None:
    groups = indicator_outcomes(NETWORK, "2026", END, MEASURED, FIGURES)
    _, wait = _by_code(groups, "WG-A", "WAIT")
    # A level from where the period started: the end of 2025, then 2026's.
    assert [(p.date.isoformat(), p.value) for p in wait.trend] == [
        ("2025-12-31", D("12.0")),
        ("2026-03-31", D("11.5")),
        ("2026-06-30", D("13.0")),
    ]
    assert wait.reference_line == (D(10), D(10))
    _, reach = _by_code(groups, "WG-A", "REACH")
    # A count's running total from 0 on 1 January, against its reference from 0 to 36.
    assert [(p.date.isoformat(), p.value) for p in reach.trend] == [
        ("2026-01-01", D(0)),
        ("2026-03-31", D(10)),
        ("2026-06-30", D(17)),
    ]
    assert reach.reference_line == (D(0), D(36))
    nothing = indicator_outcomes(NETWORK, "2027", datetime.date(2027, 12, 31), [], FIGURES)
    assert _by_code(nothing, "WG-A", "WAIT")[1].trend == ()
