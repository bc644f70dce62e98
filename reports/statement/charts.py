"""The statement's charts: allocated against spent per group, the network's funding (bar
charts), and a small trend per indicator beside what the money achieved.

Both are horizontal bar charts (group and funder codes read along the left edge, however
many there are), drawn with reportlab.graphics shapes so they are vectors in the PDF. Rules that
keep them honest and legible: the value axis starts at 0, ticks fall on round amounts in
whole euros, the font is DejaVu Sans everywhere (a Drawing left to its defaults would
reference Helvetica), and at most `BARS_MAX` categories are drawn (the largest; a note under
the chart says what is left out), because a chart of 300 bars says nothing the table does not
say better.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from netfund.reports.fonts import REGULAR
from netfund.reports.formatting import Formatter
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

#: Categories drawn at most; the smallest others are summed into one bar.
BARS_MAX = 15
#: Height of one category (its bars and the gap), in points.
CATEGORY_HEIGHT = 18
CATEGORY_GAP = 4
#: Room below the bars for the value axis labels, and right of them for a bar's value.
AXIS_HEIGHT = 14
VALUE_LABEL_ROOM = 62
LABEL_SIZE = 7
GRID_COLOR = colors.HexColor("#dddddd")
ALLOCATED_COLOR = colors.HexColor("#2f6f9f")
SPENT_COLOR = colors.HexColor("#e0902f")
OVERSPENT_COLOR = colors.HexColor("#c0392b")
OTHER_FUNDER_COLOR = colors.HexColor("#9fb7c9")
THIS_FUNDER_COLOR = colors.HexColor("#2f6f9f")
#: Tick steps tried, in tenths of a power of ten: 1, 2, 2.5 and 5.
_STEP_TENTHS = (10, 20, 25, 50)
_TICKS_MAX = 6


@dataclass(frozen=True)
class Bar:
    """One category of a chart.

    Attributes:
        label: shown beside the bars (a group or funder code).
        values_cents: one value per series.
        highlight: draw the category in the highlight colour (this funder; an overspent group).
    """

    label: str
    values_cents: tuple[int, ...]
    highlight: bool = False


@dataclass(frozen=True)
class Selection:
    """The bars a chart draws, and what it leaves out.

    Attributes:
        bars: at most `BARS_MAX` bars, in their original order.
        left_out: how many bars were left out.
        left_out_cents: per series, the sum of the bars left out.
    """

    bars: tuple[Bar, ...]
    left_out: int
    left_out_cents: tuple[int, ...]


def keep_largest(bars: Sequence[Bar], always: str | None = None) -> Selection:
    """The `BARS_MAX` largest bars (by their largest value), ``always`` among them.

    The rest are left out rather than summed into an "other" bar: a bar for hundreds of
    groups together would dwarf the ones shown. The caller says what was left out.
    """
    if len(bars) <= BARS_MAX:
        return Selection(tuple(bars), 0, tuple(0 for _ in (bars[0].values_cents if bars else ())))
    ranked = sorted(
        range(len(bars)),
        key=lambda i: (bars[i].label != always, -max(bars[i].values_cents), i),
    )
    kept = sorted(ranked[:BARS_MAX])
    rest = [bars[i] for i in ranked[BARS_MAX:]]
    series = len(bars[0].values_cents)
    return Selection(
        bars=tuple(bars[i] for i in kept),
        left_out=len(rest),
        left_out_cents=tuple(sum(bar.values_cents[s] for bar in rest) for s in range(series)),
    )


def tick_step(largest_cents: int) -> int:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten, whole euros, in cents)
    that covers ``largest_cents`` in at most `_TICKS_MAX` steps."""
    power = 100  # one euro
    while True:
        for tenths in _STEP_TENTHS:
            step = tenths * power // 10
            if step % 100 == 0 and step * _TICKS_MAX >= largest_cents:
                return step
        power *= 10


def bar_chart(
    bars: Sequence[Bar],
    series_names: Sequence[str],
    series_colors: Sequence[colors.Color],
    formatter: Formatter,
    width: float,
    highlight_color: colors.Color,
    highlight_series: int | None = None,
) -> Drawing:
    """A horizontal bar chart, first bar at the top, with a legend when there are 2+ series.

    ``highlight_series`` None colours every series of a highlighted bar; a number colours
    only that series (the spent bar of an overspent group). Drawn from rectangles, lines
    and strings: ReportLab's HorizontalBarChart widget took 40% of a statement's rendering
    time for what these few shapes show.
    """
    series = len(series_names)
    label_width = max([stringWidth(bar.label, REGULAR, LABEL_SIZE) for bar in bars] + [0])
    legend_height = 16 if series > 1 else 0
    plot_height = CATEGORY_HEIGHT * max(len(bars), 1)
    height = AXIS_HEIGHT + plot_height + legend_height + 4
    drawing = Drawing(width, height, initialFontName=REGULAR, initialFontSize=LABEL_SIZE)
    left = label_width + 8
    plot_width = width - left - VALUE_LABEL_ROOM
    largest = max([max(bar.values_cents) for bar in bars] + [0])
    step = tick_step(largest)
    axis_max = step * max(1, -(-largest // step))  # bars start at zero and fit below the top
    top = AXIS_HEIGHT + plot_height
    for tick in range(0, axis_max + 1, step):
        x = left + plot_width * tick / axis_max
        drawing.add(Line(x, AXIS_HEIGHT, x, top, strokeColor=GRID_COLOR, strokeWidth=0.5))
        drawing.add(
            String(
                x,
                AXIS_HEIGHT - LABEL_SIZE - 2,
                formatter.money_whole(tick),
                fontName=REGULAR,
                fontSize=LABEL_SIZE - 0.5,
                textAnchor="middle",
            )
        )
    drawing.add(Line(left, AXIS_HEIGHT, left, top, strokeColor=colors.grey, strokeWidth=0.7))
    bar_height = (CATEGORY_HEIGHT - CATEGORY_GAP) / series
    for index, bar in enumerate(bars):
        category_top = top - index * CATEGORY_HEIGHT - CATEGORY_GAP / 2
        drawing.add(
            String(
                left - 4,
                category_top - (CATEGORY_HEIGHT - CATEGORY_GAP) / 2 - LABEL_SIZE / 2 + 1,
                bar.label,
                fontName=REGULAR,
                fontSize=LABEL_SIZE,
                textAnchor="end",
            )
        )
        for number, value in enumerate(bar.values_cents):
            highlighted = bar.highlight and highlight_series in (None, number)
            y = category_top - (number + 1) * bar_height
            length = plot_width * max(value, 0) / axis_max
            color = highlight_color if highlighted else series_colors[number]
            drawing.add(Rect(left, y, length, bar_height - 0.5, fillColor=color, strokeColor=None))
            if value:
                drawing.add(
                    String(
                        left + length + 2,
                        y + bar_height / 2 - (LABEL_SIZE - 1) / 2 + 0.5,
                        formatter.money_whole(value),
                        fontName=REGULAR,
                        fontSize=LABEL_SIZE - 1,
                    )
                )
    if legend_height:
        x = left
        for name, color in zip(series_names, series_colors, strict=True):
            drawing.add(Rect(x, height - 11, 8, 8, fillColor=color, strokeColor=None))
            drawing.add(String(x + 12, height - 10, name, fontName=REGULAR, fontSize=LABEL_SIZE))
            x += 12 + stringWidth(name, REGULAR, LABEL_SIZE) + 18
    return drawing


#: A trend chart's size, in points: small enough to sit beside an indicator's text.
TREND_WIDTH = 165
TREND_HEIGHT = 70
TREND_COLOR = colors.HexColor("#2f6f9f")
REFERENCE_COLOR = colors.HexColor("#e0902f")
_TREND_LEFT = 30
_TREND_BOTTOM = 22
_TREND_TOP_ROOM = 5
_TREND_RIGHT_ROOM = 6


@dataclass(frozen=True)
class Trend:
    """What one indicator's trend chart draws; values arrive as exact decimals and become
    coordinates only here.

    Attributes:
        first: the period's first day (the left edge).
        last: the period's last day (the right edge).
        points: (day, value) oldest first; a day before ``first`` is drawn on the edge
            (where the period started from) with an open marker.
        reference: the reference as a line from the left edge to the right: (value at
            ``first``, value at ``last``), or None.
        labels: the y-axis values to label, already formatted, by value.
        months: the x-axis labels at the first of January, April, July and October.
        legend: (series name, reference name).
    """

    first: datetime.date
    last: datetime.date
    points: tuple[tuple[datetime.date, Decimal], ...]
    reference: tuple[Decimal, Decimal] | None
    labels: tuple[tuple[Decimal, str], ...]
    months: tuple[str, ...]
    legend: tuple[str, str]


def trend_chart(trend: Trend) -> Drawing:
    """A small line chart: the values over the period, the reference point dashed.

    The value axis spans the values and the reference (not from zero: a waiting time moving
    between 14 and 18 days would be a flat line), labelled at its lowest and highest value,
    so the reader sees the scale it was drawn at.
    """
    size = LABEL_SIZE - 1.5
    drawing = Drawing(TREND_WIDTH, TREND_HEIGHT, initialFontName=REGULAR, initialFontSize=size)
    plot_width = TREND_WIDTH - _TREND_LEFT - _TREND_RIGHT_ROOM
    top = TREND_HEIGHT - _TREND_TOP_ROOM
    values = [value for _, value in trend.points] + list(trend.reference or ())
    low, high = min(values, default=Decimal(0)), max(values, default=Decimal(1))
    if high == low:
        low, high = low - 1, high + 1
    span = (trend.last - trend.first).days or 1

    def x(day: datetime.date) -> float:
        return _TREND_LEFT + plot_width * min(max((day - trend.first).days, 0), span) / span

    def y(value: Decimal) -> float:
        return _TREND_BOTTOM + float((top - _TREND_BOTTOM) * (value - low) / (high - low))

    right = _TREND_LEFT + plot_width
    drawing.add(Line(_TREND_LEFT, _TREND_BOTTOM, right, _TREND_BOTTOM, strokeColor=colors.grey,
                     strokeWidth=0.5))  # fmt: skip
    for value, shown in trend.labels:
        drawing.add(Line(_TREND_LEFT, y(value), right, y(value), strokeColor=GRID_COLOR,
                         strokeWidth=0.4))  # fmt: skip
        drawing.add(String(_TREND_LEFT - 3, y(value) - 2, shown, textAnchor="end",
                           fontName=REGULAR, fontSize=size))  # fmt: skip
    for index, month in enumerate(trend.months):
        at = x(datetime.date(trend.first.year, 1 + 3 * index, 1))
        drawing.add(Line(at, _TREND_BOTTOM, at, _TREND_BOTTOM - 2, strokeColor=colors.grey,
                         strokeWidth=0.5))  # fmt: skip
        drawing.add(String(at + 1, _TREND_BOTTOM - 8, month, fontName=REGULAR, fontSize=size))
    if trend.reference is not None:
        start, end = trend.reference
        drawing.add(Line(x(trend.first), y(start), x(trend.last), y(end), **_REFERENCE_STROKE))
    coordinates = [(x(day), y(value)) for day, value in trend.points]
    if len(coordinates) > 1:
        flat = [c for pair in coordinates for c in pair]
        drawing.add(PolyLine(flat, strokeColor=TREND_COLOR, strokeWidth=1.1))
    for (day, _), (cx, cy) in zip(trend.points, coordinates, strict=True):
        fill = colors.white if day < trend.first else TREND_COLOR  # before the period: open
        drawing.add(Circle(cx, cy, 1.6, strokeColor=TREND_COLOR, strokeWidth=0.7, fillColor=fill))
    # The legend along the bottom edge, under the months.
    left = 0.0
    keys = [(trend.legend[0], {"strokeColor": TREND_COLOR, "strokeWidth": 1.1})]
    if trend.reference is not None:
        keys.append((trend.legend[1], _REFERENCE_STROKE))
    for name, stroke in keys:
        drawing.add(Line(left, 3, left + 10, 3, **stroke))
        drawing.add(String(left + 13, 1, name, fontName=REGULAR, fontSize=size))
        left += 13 + stringWidth(name, REGULAR, size) + 10
    return drawing


_REFERENCE_STROKE: dict[str, object] = {
    "strokeColor": REFERENCE_COLOR,
    "strokeWidth": 0.9,
    "strokeDashArray": [3, 2],
}
