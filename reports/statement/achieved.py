"""What your money achieved (nl: Wat uw geld opleverde): the indicators beside the money of
each group a funder's money went to.

Every figure here comes from `netfund.ledger.indicator_outcomes` (its module doc defines
them) through `StatementData.outcomes`; this module only lays them out, in the wording of
`netfund.reports.indicator_words` (one for status, statements and portal), and draws them. It
follows the network's steering model: a reference point is where the network meant to go,
so the text says how far above or below it a value lies, never that it passed or failed. A
cost per unit is printed with its derivation (spent / count = cost), so the funder can
re-derive it from the figures beside it.
"""

from __future__ import annotations

import datetime

from babel.dates import format_date
from netfund.ledger import GroupOutcomes, IndicatorOutcome
from netfund.reports.fonts import BOLD
from netfund.reports.formatting import Formatter
from netfund.reports.indicator_words import (
    aim_words,
    better_words,
    change_with_unit,
    cost_per_unit_words,
    measured,
    number,
    reference_words,
    with_unit,
)
from netfund.reports.statement.charts import TREND_WIDTH, Trend, trend_chart
from netfund.reports.statement.data import StatementData
from netfund.reports.statement.tables import RULE, Styles, layout_table, text
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph

#: Room the section needs on a page to start there: its note and a first indicator.
_SECTION_START = 200
#: Months labelled along a trend's time axis: the first of each quarter.
_QUARTER_MONTHS = (1, 4, 7, 10)


def achieved_section(
    data: StatementData,
    words: dict[str, str],
    formatter: Formatter,
    styles: Styles,
    width: float,
) -> list[Flowable]:
    """The section, or nothing for a funder whose money went to no group with indicators
    (a network without indicators: the statement is as it was before they existed)."""
    if not data.outcomes:
        return []
    story: list[Flowable] = [
        CondPageBreak(_SECTION_START),  # the heading and its note not alone at a page's foot
        Paragraph(text(words["achieved"]), styles.heading),
        Paragraph(
            text(words["achieved_note"].format(as_of=formatter.date(data.as_of))), styles.note
        ),
    ]
    for group in data.outcomes:
        story += _group(group, data.period, words, formatter, styles, width)
    return story


def _group(
    group: GroupOutcomes,
    period: str,
    words: dict[str, str],
    formatter: Formatter,
    styles: Styles,
    width: float,
) -> list[Flowable]:
    title = Paragraph(
        text(words["achieved_group"].format(name=group.name, code=group.group)),
        ParagraphStyle("achieved_group", parent=styles.body, fontName=BOLD, spaceBefore=8),
    )
    money = Paragraph(
        text(
            words["achieved_money"].format(
                allocated=formatter.money(group.allocated_cents),
                spent=formatter.money(group.spent_cents),
            )
        ),
        ParagraphStyle("achieved_money", parent=styles.cell, spaceAfter=3),
    )
    head: list[Flowable] = [title, money]
    if all(each.latest is None for each in group.indicators):
        names = ", ".join(each.indicator.name(formatter.language) for each in group.indicators)
        none_yet = words["achieved_none_yet"].format(period=period, names=names)
        return [KeepTogether([*head, Paragraph(text(none_yet), styles.note)])]
    blocks = [_indicator(each, words, formatter, styles, width) for each in group.indicators]
    # The group's name stays with its first indicator; the others may start a new page.
    return [KeepTogether([*head, blocks[0]]), *blocks[1:]]


def _indicator(
    outcome: IndicatorOutcome,
    words: dict[str, str],
    formatter: Formatter,
    styles: Styles,
    width: float,
) -> Flowable:
    """One indicator: its text on the left, its trend on the right."""
    indicator = outcome.indicator
    language = formatter.language
    lines = [
        Paragraph("<b>" + text(indicator.name(language)) + "</b>", styles.cell),
        Paragraph(
            text(
                words["aim_line"].format(
                    aim=aim_words(indicator.aim, language),
                    better=better_words(indicator, language),
                )
            ),
            styles.note,
        ),
    ]
    lines += [Paragraph(text(line), styles.cell) for line in _sentences(outcome, words, formatter)]
    chart: Flowable | str = _trend(outcome, words, formatter) if outcome.latest else ""
    return layout_table(
        [[lines, chart]],
        [width - TREND_WIDTH, TREND_WIDTH],
        [
            ("LINEABOVE", (0, 0), (-1, 0), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )


def _sentences(outcome: IndicatorOutcome, words: dict[str, str], formatter: Formatter) -> list[str]:
    """What the text says of one indicator, a sentence a line: the figures of `outcomes.py`
    in the words of `indicator_words` (the same as `netfund status` and the portal)."""
    language = formatter.language
    latest = outcome.latest
    if latest is None:
        return [_sentence(reference_words(outcome, language))]
    indicator = outcome.indicator
    key = "count_latest" if indicator.kind == "count" else "level_latest"
    said = [words[key].format(measured=measured(latest, indicator, language))]
    changes = []
    previous, start = outcome.previous, outcome.start
    if outcome.change_since_previous is not None and previous is not None:
        # One change, not the same twice, where the previous measurement is the start.
        key = "change_previous_start" if previous is start else "change_previous"
        changes.append(
            words[key].format(
                change=change_with_unit(outcome.change_since_previous, indicator, language),
                date=formatter.date(previous.date),
            )
        )
    if outcome.change_since_start is not None and start is not None and start is not previous:
        changes.append(
            words["change_start"].format(
                change=change_with_unit(outcome.change_since_start, indicator, language),
                value=with_unit(start.value, indicator, language),
                date=formatter.date(start.date),
            )
        )
    if changes:
        said.append(words["change"].format(changes="; ".join(changes)))
    if outcome.total is not None and outcome.reference is None:  # else the reference says it
        total = with_unit(outcome.total, indicator, language)
        said.append(words["count_total"].format(period=outcome.period, total=total))
    said.append(_sentence(reference_words(outcome, language)))
    if indicator.cost_per_unit:
        derivation = cost_per_unit_words(outcome, language, formatter.currency)
        said.append(
            words["cost_per_unit"].format(derivation=derivation)
            if derivation
            else words["cost_nothing_counted"]
        )
    return said


def _sentence(words: str) -> str:
    """A phrase of `indicator_words` as a sentence of its own."""
    return words[:1].upper() + words[1:] + "."


def _trend(outcome: IndicatorOutcome, words: dict[str, str], formatter: Formatter) -> Flowable:
    """A level's values, or a count's running total from zero on the first of January, with
    the reference point dashed (a count's: pro rata, from zero to the year's reference)."""
    first = datetime.date(int(outcome.period), 1, 1)
    last = datetime.date(int(outcome.period), 12, 31)
    points = [(point.date, point.value) for point in outcome.trend]
    reference = outcome.reference_line
    if outcome.indicator.kind == "count":
        # The count's zero on 1 January is no measurement: drawn on the edge, open.
        points[0] = (first - datetime.timedelta(days=1), points[0][1])
        legend = (words["trend_cumulative"], words["trend_reference_pro_rata"])
    else:
        legend = (words["trend_measured"], words["trend_reference"])
    shown = [value for _, value in points] + list(reference or ())
    labels = {value: number(value, formatter.language) for value in (min(shown), max(shown))}
    return trend_chart(
        Trend(
            first=first,
            last=last,
            points=tuple(points),
            reference=reference,
            labels=tuple(sorted(labels.items())),
            months=tuple(
                format_date(datetime.date(first.year, month, 1), "MMM", locale=formatter.locale)
                for month in _QUARTER_MONTHS
            ),
            legend=legend,
        )
    )
