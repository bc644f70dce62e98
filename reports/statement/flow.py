"""The flow of one funder's money into the groups, drawn as a two-column Sankey diagram.

ReportLab has no Sankey chart, so it is built from shapes: the funder's commitment is one bar
on the left, each group a bar on the right, and a band of Bézier curves joins them, as wide as
the money that flows. Inside each group's bar a darker part shows what is spent (red and
marked when a group spent more than it was given). Money not yet allocated flows to a pale
"unallocated" bar. At most `FLOWS_MAX` groups get their own band; the smallest are joined
into one, for the reason the bar chart does the same.

Heights are proportional to the money, plus a minimum so that a small group is still a
visible band; the left bar is the sum of the bands, so every band meets both ends exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netfund.reports.fonts import BOLD, REGULAR
from netfund.reports.formatting import Formatter
from netfund.reports.statement.charts import OVERSPENT_COLOR
from reportlab.graphics.shapes import Drawing, Path, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

#: Groups that get a band of their own; the rest share one.
FLOWS_MAX = 16
#: Height of the bars' column, gaps included, in points.
COLUMN_HEIGHT = 230
GAP = 5.0
LABEL_SIZE = 7
#: The thinnest band drawn, in points: a small flow stays visible, and with the gap below it
#: there is a line's height for its label, so labels never overlap.
BAND_MIN = LABEL_SIZE + 2 - GAP
#: Room below the column for the left bar's amount.
BOTTOM = 12.0
NODE_WIDTH = 12.0
FUNDER_COLOR = colors.HexColor("#2f6f9f")
BAND_COLOR = colors.HexColor("#2f6f9f")
GROUP_COLOR = colors.HexColor("#9fc3dd")
SPENT_COLOR = colors.HexColor("#1f4f73")
UNALLOCATED_COLOR = colors.HexColor("#dddddd")


@dataclass(frozen=True)
class Flow:
    """One band: money from the funder to a group (or to no group yet).

    Attributes:
        label: the group's code, or a word such as "unallocated".
        amount_cents: the money that flows (the allocation).
        spent_cents: of that, spent (0 for money not allocated).
        unallocated: True for the band of money not yet allocated.
    """

    label: str
    amount_cents: int
    spent_cents: int = 0
    unallocated: bool = False


def keep_largest_flows(flows: Sequence[Flow], other_label: str) -> list[Flow]:
    """At most `FLOWS_MAX` group flows in their order, the smallest joined into one."""
    groups = [flow for flow in flows if not flow.unallocated]
    rest_flows = [flow for flow in flows if flow.unallocated]
    if len(groups) <= FLOWS_MAX:
        return list(flows)
    ranked = sorted(range(len(groups)), key=lambda i: (-groups[i].amount_cents, i))
    kept = [groups[i] for i in sorted(ranked[: FLOWS_MAX - 1])]
    joined = [groups[i] for i in ranked[FLOWS_MAX - 1 :]]
    other = Flow(
        label=other_label.format(count=len(joined)),
        amount_cents=sum(flow.amount_cents for flow in joined),
        spent_cents=sum(flow.spent_cents for flow in joined),
    )
    return [*kept, other, *rest_flows]


def flow_diagram(
    funder_label: str, flows: Sequence[Flow], formatter: Formatter, width: float
) -> Drawing:
    """The diagram for ``flows`` (positive amounts only) leaving a bar labelled by the funder."""
    drawn = [flow for flow in flows if flow.amount_cents > 0]
    total = sum(flow.amount_cents for flow in drawn)
    # The column of bars runs from y=BOTTOM up to y=BOTTOM+COLUMN_HEIGHT; the funder's name
    # sits above it, the left bar's amount below.
    funder_lines = _wrap(funder_label, 40)
    height = BOTTOM + COLUMN_HEIGHT + 6 + len(funder_lines) * (LABEL_SIZE + 2)
    drawing = Drawing(width, height, initialFontName=REGULAR, initialFontSize=LABEL_SIZE)
    if total == 0:
        return drawing
    label_width = max(stringWidth(_label(flow, formatter), REGULAR, LABEL_SIZE) for flow in drawn)
    right_x = width - label_width - NODE_WIDTH - 8
    left_x = 0.0
    gaps = GAP * (len(drawn) - 1)
    spare = COLUMN_HEIGHT - gaps - BAND_MIN * len(drawn)
    heights = [BAND_MIN + spare * flow.amount_cents / total for flow in drawn]
    # The left bar is the sum of the bands (no gaps), centred on the column.
    left_height = sum(heights)
    left_top = BOTTOM + (COLUMN_HEIGHT + left_height) / 2
    drawing.add(
        Rect(
            left_x,
            left_top - left_height,
            NODE_WIDTH,
            left_height,
            fillColor=FUNDER_COLOR,
            strokeColor=None,
        )
    )
    for index, line in enumerate(funder_lines):
        drawing.add(
            String(
                left_x,
                height - (index + 1) * (LABEL_SIZE + 2) + 2,
                line,
                fontName=BOLD,
                fontSize=LABEL_SIZE,
            )
        )
    drawing.add(
        String(
            left_x,
            left_top - left_height - LABEL_SIZE - 2,
            formatter.money(total),
            fontName=REGULAR,
            fontSize=LABEL_SIZE,
        )
    )
    source_top = left_top
    target_top = BOTTOM + COLUMN_HEIGHT
    band_start = left_x + NODE_WIDTH
    middle = (band_start + right_x) / 2
    for flow, band in zip(drawn, heights, strict=True):
        path = Path(fillColor=BAND_COLOR, fillOpacity=0.25, strokeColor=None)
        path.moveTo(band_start, source_top)
        path.curveTo(middle, source_top, middle, target_top, right_x, target_top)
        path.lineTo(right_x, target_top - band)
        path.curveTo(
            middle, target_top - band, middle, source_top - band, band_start, source_top - band
        )
        path.closePath()
        drawing.add(path)
        _group_bar(drawing, flow, right_x, target_top - band, band, formatter)
        source_top -= band
        target_top -= band + GAP
    return drawing


def _group_bar(
    drawing: Drawing, flow: Flow, x: float, y: float, height: float, formatter: Formatter
) -> None:
    """A group's bar, its spent part shaded from the bottom, and its label to the right."""
    fill = UNALLOCATED_COLOR if flow.unallocated else GROUP_COLOR
    drawing.add(Rect(x, y, NODE_WIDTH, height, fillColor=fill, strokeColor=None))
    overspent = flow.spent_cents > flow.amount_cents
    if flow.spent_cents > 0 and not flow.unallocated:
        spent_height = height * min(flow.spent_cents, flow.amount_cents) / flow.amount_cents
        color = OVERSPENT_COLOR if overspent else SPENT_COLOR
        drawing.add(Rect(x, y, NODE_WIDTH, spent_height, fillColor=color, strokeColor=None))
    drawing.add(
        String(
            x + NODE_WIDTH + 4,
            y + height / 2 - LABEL_SIZE / 2 + 1,
            _label(flow, formatter),
            fontName=REGULAR,
            fontSize=LABEL_SIZE,
            fillColor=OVERSPENT_COLOR if overspent else colors.black,
        )
    )


def _label(flow: Flow, formatter: Formatter) -> str:
    text = f"{flow.label}  {formatter.money(flow.amount_cents)}"
    return "▲ " + text if flow.spent_cents > flow.amount_cents else text


def _wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of about ``width`` characters at spaces (at most 3 lines)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines[:3]
