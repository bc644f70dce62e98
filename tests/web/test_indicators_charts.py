"""The trend chart of an indicator (issue 20): SVG the page's Content-Security-Policy allows,
its reference point a dashed line, readable without sight, positions exact from `Decimal`s.

Built against outcomes made here directly (`IndicatorOutcome`), so each position is known.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from xml.etree import ElementTree

from netfund.ledger import Indicator, IndicatorOutcome, Point
from netfund.reports.formatting import Formatter
from netfund.web.charts import (
    REFERENCE_DASH,
    TREND_HEIGHT,
    TREND_WIDTH,
    TrendWords,
    trend_chart,
)

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
WORDS = TrendWords("Wachttijd <voordeur> & co", "gemeten", "referentiepunt")
WAIT = Indicator(
    "WAIT", "Wachttijd <voordeur> & co", "Waiting time", "dagen", "days", "lower", "experience",
    "level", ("WG-A",), (("2026", D("10")),),
)  # fmt: skip
REACH = Indicator(
    "REACH", "Bereik", "Reach", "inwoners", "residents", "higher", "health", "count",
    ("WG-A",), (("2026", D("365")),), cost_per_unit=True,
)  # fmt: skip


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def outcome(
    indicator: Indicator, points: list[tuple[str, str]], before: tuple[str, str] | None = None
) -> IndicatorOutcome:
    return IndicatorOutcome(
        indicator=indicator,
        group="WG-A",
        points=tuple(Point(day(d), D(v)) for d, v in points),
        before=None if before is None else Point(day(before[0]), D(before[1])),
        reference=indicator.reference("2026"),
        spent_cents=100_000,
        period="2026",
    )


def parse(markup: object) -> ElementTree.Element:
    svg = str(markup)
    assert "style=" not in svg and "<script" not in svg
    return ElementTree.fromstring(svg)  # well-formed: every text escaped


def polyline(root: ElementTree.Element, line: str) -> list[tuple[int, int]]:
    found = [e for e in root.iter(f"{SVG}polyline") if e.get("data-line") == line]
    assert len(found) == 1
    pairs = (pair.split(",") for pair in found[0].get("points").split())
    return [(int(x), int(y)) for x, y in pairs]


def test_a_level_trend_is_accessible_svg_with_a_dashed_flat_reference() -> None:
    wait = outcome(WAIT, [("2026-03-31", "13.5"), ("2026-12-31", "17.0")], ("2025-12-31", "12.0"))
    root = parse(trend_chart(wait, Formatter("nl"), WORDS, "trend-a"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-a-title trend-a-desc"
    assert root.find(f"{SVG}title").text == "Wachttijd <voordeur> & co"
    assert root.find(f"{SVG}desc").text == (
        "gemeten: 12,0 dagen (31 december 2025); 13,5 dagen (31 maart 2026); "
        "17,0 dagen (31 december 2026). 7,0 dagen boven het referentiepunt van 10 dagen."
    )
    # the line passes through every point, from the one before the period on; the highest
    # value at the top of the plot, the lowest (the reference, 10) at its bottom
    trend = polyline(root, "trend")
    assert [y for _, y in trend] == [96, 77, 32]  # 32 + (17 - v) * 90 / 7, half up: 96.29, 77
    assert trend[0][0] == 62 and trend[-1][0] == TREND_WIDTH - 18  # 31 Dec 2025 .. 31 Dec 2026
    reference = next(e for e in root.iter(f"{SVG}polyline") if e.get("data-line") == "reference")
    assert reference.get("stroke-dasharray") == REFERENCE_DASH
    assert polyline(root, "reference") == [(62, TREND_HEIGHT - 28), (TREND_WIDTH - 18, 122)]
    # each point says itself to a pointer or a screen reader
    titles = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]
    assert titles == [
        "12,0 dagen (31 december 2025)",
        "13,5 dagen (31 maart 2026)",
        "17,0 dagen (31 december 2026)",
    ]


def test_english_words_and_dates() -> None:
    wait = outcome(WAIT, [("2026-06-30", "9.5")])
    words = TrendWords("Waiting time", "measured", "reference point")
    root = parse(trend_chart(wait, Formatter("en"), words, "t"))
    assert root.find(f"{SVG}desc").text == (
        "measured: 9.5 days (30 June 2026). 0.5 days below the reference point of 10 days."
    )


def test_a_count_is_drawn_as_its_running_total_against_a_pro_rata_reference() -> None:
    reach = outcome(REACH, [("2026-03-31", "40"), ("2026-06-30", "50"), ("2026-12-31", "100")])
    assert reach.trend == (
        Point(day("2026-01-01"), D(0)),
        Point(day("2026-03-31"), D(40)),
        Point(day("2026-06-30"), D(90)),
        Point(day("2026-12-31"), D(190)),
    )
    root = parse(trend_chart(reach, Formatter("nl"), WORDS, "r"))
    # the reference rises from 0 on 1 January to 365 on 31 December: the plot's full height
    assert polyline(root, "reference") == [(62, 122), (TREND_WIDTH - 18, 32)]
    # 31 March is day 89 of 364: x = 62 + 89 * 240 / 364 = 120.7 -> 121; 40 of 365 -> y 112
    assert polyline(root, "trend") == [(62, 122), (121, 112), (181, 100), (302, 75)]
    assert "190 inwoners tot en met 31 december 2026; referentiepunt 365 inwoners" in (
        root.find(f"{SVG}desc").text
    )


def test_without_a_reference_point_there_is_no_dashed_line_and_the_text_says_so() -> None:
    loose = Indicator(
        "LOOSE", "Los", "Loose", "dagen", "days", "lower", "experience", "level", ("WG-A",)
    )
    root = parse(trend_chart(outcome(loose, [("2026-05-01", "3")]), Formatter("nl"), WORDS, "l"))
    assert not [e for e in root.iter(f"{SVG}polyline") if e.get("data-line") == "reference"]
    assert "stroke-dasharray" not in ElementTree.tostring(root, encoding="unicode")
    assert root.find(f"{SVG}desc").text.endswith("geen referentiepunt afgesproken voor 2026.")


def test_nothing_measured_draws_nothing() -> None:
    assert str(trend_chart(outcome(WAIT, []), Formatter("nl"), WORDS, "n")) == ""
    assert str(trend_chart(outcome(REACH, []), Formatter("nl"), WORDS, "n")) == ""


def test_positions_are_whole_numbers() -> None:
    wait = outcome(WAIT, [("2026-02-13", "10.3333"), ("2026-09-07", "11.0001")])
    svg = str(trend_chart(wait, Formatter("en"), WORDS, "w"))
    numbers = re.findall(r' (?:points|cx|cy|x|y|x1|y1|x2|y2)="([^"]+)"', svg)
    assert numbers and all(re.fullmatch(r"[0-9]+(,[0-9]+)?( [0-9]+,[0-9]+)*", n) for n in numbers)
