"""Budget against actual per group, as an SVG drawn on the server and written into the page.

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

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from netfund.reports.formatting import Formatter
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
