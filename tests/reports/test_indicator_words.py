"""The one wording of an indicator beside the money, in Dutch and English: a reference point
is a reference, never a bar passed or failed (issue 20's steering model), and a cost per unit
is written as the division a funder can redo."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from netfund.ledger import FunderFigures, Measurement, Point, indicator_outcomes
from netfund.reports.indicator_words import (
    change,
    cost_per_unit_words,
    measured,
    number,
    reference_words,
    sparkline,
    unit_one,
    with_unit,
)

from tests.ledger.test_indicator_outcomes import MEASURED, NETWORK, REACH, WAIT

END = datetime.date(2026, 12, 31)
FIGURES = {"GEM": FunderFigures("GEM", spent_cents={"WG-A": 750_001, "WG-B": 1})}


def _outcome(code: str, group: str = "WG-A", measurements: list[Measurement] = MEASURED):  # type: ignore[no-untyped-def]
    groups = indicator_outcomes(NETWORK, "2026", END, measurements, FIGURES)
    found = next(g for g in groups if g.group == group)
    return next(o for o in found.indicators if o.indicator.code == code)


def test_values_keep_their_measured_decimals_in_each_language() -> None:
    assert number(Decimal("1234.50"), "nl") == "1.234,50"
    assert number(Decimal("1234.50"), "en") == "1,234.50"
    assert number(Decimal("7"), "nl") == "7"
    assert with_unit(Decimal("6.9"), WAIT, "en") == "6.9 days"
    assert with_unit(Decimal("1"), REACH, "nl") == "1 inwoner"
    assert change(Decimal("-0.5"), "nl") == "−0,5"
    assert change(Decimal("1.5"), "en") == "+1.5"
    assert change(Decimal("0.0"), "en") == "0.0"
    assert change(None, "nl") == "–"
    point = Point(datetime.date(2026, 6, 30), Decimal("13.0"))
    assert measured(point, WAIT, "nl") == "13,0 dagen (30 juni 2026)"
    assert measured(point, WAIT, "en") == "13.0 days (30 June 2026)"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "3,0 dagen boven het referentiepunt van 10 dagen"),
        ("en", "3.0 days above the reference point of 10 days"),
    ],
)
def test_a_level_is_above_or_below_its_reference_point(language: str, expected: str) -> None:
    assert reference_words(_outcome("WAIT"), language) == expected


def test_a_count_is_held_against_its_reference_pro_rata() -> None:
    reach = _outcome("REACH")
    assert reference_words(reach, "en") == (
        "17 residents up to 30 June 2026; reference point 36 residents for 2026, "
        "17.9 residents pro rata"
    )
    assert reference_words(reach, "nl") == (
        "17 inwoners tot en met 30 juni 2026; referentiepunt 36 inwoners voor 2026, "
        "naar rato 17,9 inwoners"
    )


def test_the_cost_per_unit_is_the_division_a_funder_can_redo() -> None:
    reach = _outcome("REACH")
    assert cost_per_unit_words(reach, "en") == "€7,500.01 / 17 residents = €441.18 per resident"
    assert cost_per_unit_words(reach, "nl") == (
        "€\u00a07.500,01 / 17 inwoners = €\u00a0441,18 per inwoner"
    )
    assert cost_per_unit_words(_outcome("WAIT"), "en") == ""  # not a cost-per-unit indicator


def test_nothing_measured_or_agreed_is_said_so() -> None:
    none = _outcome("WAIT", measurements=[])
    assert reference_words(none, "en") == "not measured yet in 2026"
    assert reference_words(none, "nl") == "nog niet gemeten in 2026"


def test_no_word_of_passing_or_failing_in_either_language() -> None:
    sentences = [
        reference_words(_outcome(code, group, measurements), language)
        for code, group in (("WAIT", "WG-A"), ("WAIT", "WG-B"), ("REACH", "WG-A"))
        for measurements in (MEASURED, MEASURED[:2])
        for language in ("nl", "en")
    ]
    for word in (
        "gehaald",
        "behaald",
        "voldoet",
        "failed",
        "passed",
        "not met",
        "missed",
        "target",
    ):
        assert not any(word in sentence for sentence in sentences), word


def test_units_of_one() -> None:
    assert unit_one(REACH, "en") == "resident"
    assert unit_one(REACH, "nl") == "inwoner"
    assert unit_one(WAIT, "nl") == "dag"


def test_the_terminal_trend_runs_from_lowest_to_highest() -> None:
    day = datetime.date(2026, 1, 1)
    points = tuple(Point(day, Decimal(v)) for v in ("1", "8", "4.5"))
    assert sparkline(points) == "▁█▅"  # 4.5 lies halfway: 3.5 × 7/7 → the fifth bar (index 4)
    assert sparkline(points[:1]) == "▄"
    assert sparkline(()) == ""
