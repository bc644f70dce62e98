"""Budget against actual per group, and an indicator's trend beside its reference point (issue
20), as SVG drawn on the server and written into the page.

The portal works without JavaScript and its Content-Security-Policy forbids inline style, so
the chart is plain SVG markup with presentation attributes (``fill=``, ``stroke=``), never a
``style`` attribute or a script. Each group gets two bars on one value scale starting at 0:
allocated (light) and spent (dark; red where the group spent more than it was allocated).

Accessible: the ``<svg>`` is an image (``role="img"``) labelled by its ``<title>`` and a
``<desc>`` that says every figure in words, and each bar carries its own ``<title>`` (what a
screen reader or a hovering pointer reads). The same figures are in the table beside it.

Bar lengths are computed in integer arithmetic from the cents (no float ever holds an
amount); every text is escaped, since group names come from the network file.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from markupsafe import Markup
from netfund.ledger import IndicatorOutcome, Point
from netfund.reports.formatting import Formatter
from netfund.reports.indicator_words import measured, number, reference_words
from netfund.reports.statement.data import GroupLine

#: The drawing's width in SVG user units (it scales with the page: viewBox).
WIDTH = 640
#: Room left of the bars is not needed: each group's name is written above its bars.
_LEFT = 4
#: Room right of the longest bar for its amount.
_AMOUNT_ROOM = 150
_BAR_HEIGHT = 12
_ROW_HEIGHT = 50
_LEGEND_HEIGHT = 28
#: The most groups drawn; a network has a few dozen, the table lists every one anyway.
GROUPS_MAX = 60

ALLOCATED_FILL = "#9ecae1"
SPENT_FILL = "#08519c"
OVERSPENT_FILL = "#b30000"
TEXT_FILL = "#222222"
AXIS_STROKE = "#888888"


@dataclass(frozen=True)
class ChartWords:
    """The words the chart writes, in the page's language.

    Attributes:
        title: the chart's title.
        allocated: the allocated bar's label.
        spent: the spent bar's label.
        overspent: what an overspent group is called.
        no_group: the name of spending posted without a group.
    """

    title: str
    allocated: str
    spent: str
    overspent: str
    no_group: str


def budget_chart(
    groups: Sequence[GroupLine], formatter: Formatter, words: ChartWords, chart_id: str
) -> Markup:
    """The bar chart of ``groups`` as SVG markup; empty when there is nothing to draw.

    ``chart_id`` makes the ids of its title and description unique within the page.
    """
    lines = list(groups[:GROUPS_MAX])
    if not lines:
        return Markup("")
    largest = max(max(line.allocated_cents, line.spent_cents) for line in lines)
    plot = WIDTH - _LEFT - _AMOUNT_ROOM
    height = _LEGEND_HEIGHT + _ROW_HEIGHT * len(lines) + 4
    described = "; ".join(_sentence(line, formatter, words) for line in lines)
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            'aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="12">'
        ).format(w=WIDTH, h=height, id=chart_id),
        Markup('<title id="{id}-title">{title}</title>').format(id=chart_id, title=words.title),
        Markup('<desc id="{id}-desc">{text}</desc>').format(id=chart_id, text=described),
        *_legend(words),
    ]
    for index, line in enumerate(lines):
        top = _LEGEND_HEIGHT + index * _ROW_HEIGHT
        parts.extend(_row(line, top, plot, largest, formatter, words))
    bottom = _LEGEND_HEIGHT + _ROW_HEIGHT * len(lines)
    parts.append(
        Markup(
            '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{stroke}" stroke-width="1"/>'
        ).format(x=_LEFT, top=_LEGEND_HEIGHT, bottom=bottom, stroke=AXIS_STROKE)
    )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def bar_length(cents: int, largest_cents: int, plot: int) -> int:
    """The length in user units of a bar of ``cents`` when ``largest_cents`` fills ``plot``:
    integer arithmetic, rounded half up; a non-zero amount gets at least one unit, so it
    never looks like nothing. Negative amounts (a net reversal) draw no bar."""
    if cents <= 0 or largest_cents <= 0:
        return 0
    return max(1, (2 * cents * plot + largest_cents) // (2 * largest_cents))


def _label(line: GroupLine, words: ChartWords) -> str:
    return line.name or line.code or words.no_group


def _sentence(line: GroupLine, formatter: Formatter, words: ChartWords) -> str:
    text = (
        f"{_label(line, words)}: {words.allocated} {formatter.money(line.allocated_cents)}, "
        f"{words.spent} {formatter.money(line.spent_cents)}"
    )
    return f"{text} ({words.overspent})" if line.overspent else text


def _legend(words: ChartWords) -> list[Markup]:
    swatch = Markup(
        '<rect x="{x}" y="6" width="12" height="12" fill="{fill}"/>'
        '<text x="{tx}" y="16" fill="{text}">{label}</text>'
    )
    return [
        swatch.format(
            x=_LEFT, tx=_LEFT + 16, fill=ALLOCATED_FILL, text=TEXT_FILL, label=words.allocated
        ),
        swatch.format(
            x=_LEFT + 160, tx=_LEFT + 176, fill=SPENT_FILL, text=TEXT_FILL, label=words.spent
        ),
        swatch.format(
            x=_LEFT + 320,
            tx=_LEFT + 336,
            fill=OVERSPENT_FILL,
            text=TEXT_FILL,
            label=words.overspent,
        ),
    ]


def _row(
    line: GroupLine, top: int, plot: int, largest: int, formatter: Formatter, words: ChartWords
) -> list[Markup]:
    allocated = bar_length(line.allocated_cents, largest, plot)
    spent = bar_length(line.spent_cents, largest, plot)
    spent_fill = OVERSPENT_FILL if line.overspent else SPENT_FILL
    bar = Markup(
        '<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="{fill}">'
        "<title>{title}</title></rect>"
        '<text x="{tx}" y="{ty}" fill="{text}">{amount}</text>'
    )
    name = _label(line, words)
    return [
        Markup('<text x="{x}" y="{y}" fill="{text}" font-weight="bold">{name}</text>').format(
            x=_LEFT, y=top + 12, text=TEXT_FILL, name=name
        ),
        bar.format(
            x=_LEFT,
            y=top + 16,
            width=allocated,
            height=_BAR_HEIGHT,
            fill=ALLOCATED_FILL,
            title=f"{name}: {words.allocated} {formatter.money(line.allocated_cents)}",
            tx=_LEFT + allocated + 6,
            ty=top + 26,
            text=TEXT_FILL,
            amount=formatter.money(line.allocated_cents),
        ),
        bar.format(
            x=_LEFT,
            y=top + 30,
            width=spent,
            height=_BAR_HEIGHT,
            fill=spent_fill,
            title=f"{name}: {words.spent} {formatter.money(line.spent_cents)}",
            tx=_LEFT + spent + 6,
            ty=top + 40,
            text=TEXT_FILL,
            amount=formatter.money(line.spent_cents),
        ),
    ]


# The trend of one indicator (issue 20): its measurements over the period beside its
# reference point, drawn as small as a table cell's neighbour.

#: The trend's drawing in SVG user units.
TREND_WIDTH = 320
TREND_HEIGHT = 150
#: Room left of the plot for the value scale, below it for the dates, above it for the legend.
_TREND_LEFT = 56
_TREND_RIGHT = 12
_TREND_TOP = 26
_TREND_BOTTOM = 22
#: Room inside the axes, so that no line or point lies on an axis and hides there.
_TREND_INSET = 6
TREND_STROKE = "#08519c"
REFERENCE_STROKE = "#8c4a00"
#: The reference point's line: dashed, so that it reads as a reference without colour.
REFERENCE_DASH = "6 4"


@dataclass(frozen=True)
class TrendWords:
    """The words a trend chart writes, in the page's language (values and dates are
    `indicator_words`').

    Attributes:
        title: the chart's title (the indicator's name).
        series: what the line shows ("measured", or "total so far" for a count).
        reference: what the dashed line is ("reference point", "... pro rata" for a count).
    """

    title: str
    series: str
    reference: str


def trend_chart(
    outcome: IndicatorOutcome, formatter: Formatter, words: TrendWords, chart_id: str
) -> Markup:
    """The trend of ``outcome`` as SVG markup: a line through its points and the reference
    point as a dashed line (a level's flat, a count's rising pro rata from 0 to the
    reference at the period's end); empty without a measurement.

    Positions are computed in `Decimal` and rounded to whole units: no float holds a value.
    ``chart_id`` makes the ids of its title and description unique within the page.
    """
    points = list(outcome.trend)
    if not points:
        return Markup("")
    period_start = datetime.date(int(outcome.period), 1, 1)
    period_end = datetime.date(int(outcome.period), 12, 31)
    first_day = min(points[0].date, period_start)
    line = outcome.reference_line
    reference_line = (
        []
        if line is None
        # A level's flat line from its first point on (it may start before the period).
        else [Point(first_day if line[0] == line[1] else period_start, line[0]),
              Point(period_end, line[1])]
    )  # fmt: skip
    values = [point.value for point in points + reference_line]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    scale = _TrendScale(first_day, period_end, low, high)
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" role="img" '
            'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            'aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="11">'
        ).format(w=TREND_WIDTH, h=TREND_HEIGHT, id=chart_id),
        Markup('<title id="{id}-title">{title}</title>').format(id=chart_id, title=words.title),
        Markup('<desc id="{id}-desc">{text}</desc>').format(
            id=chart_id, text=_trend_sentence(outcome, points, formatter, words)
        ),
        *_trend_frame(scale, formatter, words, has_reference=bool(reference_line)),
    ]
    if reference_line:
        parts.append(
            Markup(
                '<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="2" '
                'stroke-dasharray="{dash}" data-line="reference"/>'
            ).format(
                points=scale.polyline(reference_line), stroke=REFERENCE_STROKE, dash=REFERENCE_DASH
            )
        )
    parts.append(
        Markup(
            '<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="2" '
            'data-line="trend"/>'
        ).format(points=scale.polyline(points), stroke=TREND_STROKE)
    )
    for point in points:
        x, y = scale.at(point)
        parts.append(
            Markup(
                '<circle cx="{x}" cy="{y}" r="3" fill="{fill}"><title>{title}</title></circle>'
            ).format(x=x, y=y, fill=TREND_STROKE, title=_point_text(outcome, point, formatter))
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


@dataclass(frozen=True)
class _TrendScale:
    """Dates and values to positions in the plot, in exact arithmetic rounded half up."""

    first: datetime.date
    last: datetime.date
    low: Decimal
    high: Decimal

    def at(self, point: Point) -> tuple[int, int]:
        width = TREND_WIDTH - _TREND_LEFT - _TREND_RIGHT - 2 * _TREND_INSET
        height = TREND_HEIGHT - _TREND_TOP - _TREND_BOTTOM - 2 * _TREND_INSET
        days = max((self.last - self.first).days, 1)
        x = _rounded(Decimal((point.date - self.first).days * width) / days)
        y = _rounded((self.high - point.value) * height / (self.high - self.low))
        return _TREND_LEFT + _TREND_INSET + x, _TREND_TOP + _TREND_INSET + y

    def polyline(self, points: Sequence[Point]) -> str:
        return " ".join(f"{x},{y}" for x, y in (self.at(point) for point in points))


def _rounded(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_UP))


def _trend_frame(
    scale: _TrendScale, formatter: Formatter, words: TrendWords, has_reference: bool
) -> list[Markup]:
    """The axes, the value scale's ends, the period's first and last day, and the legend."""
    bottom = TREND_HEIGHT - _TREND_BOTTOM
    right = TREND_WIDTH - _TREND_RIGHT
    text = Markup('<text x="{x}" y="{y}" fill="{fill}" text-anchor="{anchor}">{label}</text>')
    parts = [
        Markup(
            '<polyline points="{left},{top} {left},{bottom} {right},{bottom}" fill="none" '
            'stroke="{stroke}" stroke-width="1"/>'
        ).format(left=_TREND_LEFT, top=_TREND_TOP, bottom=bottom, right=right, stroke=AXIS_STROKE),
        text.format(
            x=_TREND_LEFT - 4, y=_TREND_TOP + _TREND_INSET + 4, fill=TEXT_FILL, anchor="end",
            label=number(scale.high, formatter.language),
        ),
        text.format(
            x=_TREND_LEFT - 4, y=bottom - _TREND_INSET + 4, fill=TEXT_FILL, anchor="end",
            label=number(scale.low, formatter.language),
        ),
        text.format(
            x=_TREND_LEFT, y=TREND_HEIGHT - 6, fill=TEXT_FILL, anchor="start",
            label=_short_date(scale.first, formatter),
        ),
        text.format(
            x=right, y=TREND_HEIGHT - 6, fill=TEXT_FILL, anchor="end",
            label=_short_date(scale.last, formatter),
        ),
        Markup(
            '<line x1="4" y1="10" x2="24" y2="10" stroke="{stroke}" stroke-width="2"/>'
        ).format(stroke=TREND_STROKE),
        text.format(x=28, y=14, fill=TEXT_FILL, anchor="start", label=words.series),
    ]  # fmt: skip
    if has_reference:
        parts += [
            Markup(
                '<line x1="164" y1="10" x2="184" y2="10" stroke="{stroke}" stroke-width="2" '
                'stroke-dasharray="{dash}"/>'
            ).format(stroke=REFERENCE_STROKE, dash=REFERENCE_DASH),
            text.format(
                x=188,
                y=14,
                fill=TEXT_FILL,
                anchor="start",
                label=words.reference,
            ),
        ]
    return parts


def _short_date(day: datetime.date, formatter: Formatter) -> str:
    return format_date(day, format="medium", locale=formatter.locale)


def _point_text(outcome: IndicatorOutcome, point: Point, formatter: Formatter) -> str:
    return measured(point, outcome.indicator, formatter.language)


def _trend_sentence(
    outcome: IndicatorOutcome, points: Sequence[Point], formatter: Formatter, words: TrendWords
) -> str:
    """Every point of the line in words, then where it stands against the reference point:
    the chart for a reader without sight."""
    said = "; ".join(_point_text(outcome, point, formatter) for point in points)
    return f"{words.series}: {said}. {reference_words(outcome, formatter.language)}."
