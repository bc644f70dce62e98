""" "What your money achieved": per group a funder's money went to, the indicators beside it.

Every figure here comes from `netfund.ledger.indicator_outcomes` (its module doc defines
them) through `StatementData.outcomes`; this module only words and draws them. The wording
follows the network's steering model: a reference point is where the network meant to go,
so the text says how far above or below it a value lies, never that it passed or failed. A
cost per unit is printed with its derivation (spent / count = cost), so the funder can
re-derive it from the figures beside it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from babel.dates import format_date
from netfund.ledger import GroupOutcomes, IndicatorOutcome
from netfund.reports.fonts import BOLD
from netfund.reports.formatting import Formatter
from netfund.reports.statement.charts import TREND_WIDTH, Trend, trend_chart
from netfund.reports.statement.data import StatementData
from netfund.reports.statement.tables import RULE, Styles, layout_table, text
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, Paragraph

#: Months labelled along a trend's time axis: the first of each quarter.
_QUARTER_MONTHS = (1, 4, 7, 10)

#: Writes one of an indicator's numbers: (value, signed) → text.
_Number = Callable[..., str]


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
                    aim=words[f"aim_{indicator.aim}"], better=words[f"better_{indicator.better}"]
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
    """What the text says of one indicator, a sentence a line (module doc of `outcomes.py`
    for each figure)."""
    latest = outcome.latest
    if latest is None:
        return [words["not_measured"].format(period=outcome.period)]
    indicator = outcome.indicator
    unit = indicator.unit(formatter.language)
    decimals = _decimals(outcome)

    def number(value: Decimal, signed: bool = False) -> str:
        return formatter.number(value, decimals, signed)

    if indicator.kind == "count" and outcome.total is not None:
        total = number(outcome.total)
        said = [
            words["count_latest"].format(
                period=outcome.period,
                total=total,
                unit=unit,
                value=number(latest.value),
                date=formatter.date(latest.date),
            )
        ]
    else:
        total = ""
        said = [
            words["level_latest"].format(
                value=number(latest.value), unit=unit, date=formatter.date(latest.date)
            )
        ]
    changes = []
    previous, start = outcome.previous, outcome.start
    if outcome.change_since_previous is not None and previous is not None:
        # One change, not the same twice, where the previous measurement is the start.
        key = "change_previous_start" if previous is start else "change_previous"
        changes.append(
            words[key].format(
                change=_change(outcome.change_since_previous, unit, words, number),
                date=formatter.date(previous.date),
            )
        )
    if outcome.change_since_start is not None and start is not None and start is not previous:
        changes.append(
            words["change_start"].format(
                change=_change(outcome.change_since_start, unit, words, number),
                value=f"{number(start.value)} {unit}",
                date=formatter.date(start.date),
            )
        )
    if changes:
        said.append(words["change"].format(changes="; ".join(changes)))
    said.append(_reference(outcome, total, unit, words, formatter, number))
    if indicator.cost_per_unit:
        cost = outcome.cost_per_unit_cents
        if cost is None:
            said.append(words["cost_nothing_counted"])
        else:
            said.append(
                words["cost_per_unit"].format(
                    spent=formatter.money(outcome.spent_cents),
                    total=total,
                    unit=unit,
                    cost=formatter.money(cost),
                )
            )
    return said


def _change(change: Decimal, unit: str, words: dict[str, str], number: _Number) -> str:
    return words["unchanged"] if change == 0 else f"{number(change, True)} {unit}"


def _reference(
    outcome: IndicatorOutcome,
    total: str,
    unit: str,
    words: dict[str, str],
    formatter: Formatter,
    number: _Number,
) -> str:
    """Where it stands beside its reference point, in words that hold no verdict."""
    reference, now, latest = outcome.reference, outcome.reference_now, outcome.latest
    if reference is None or now is None or latest is None:
        return words["no_reference"].format(period=outcome.period)
    if outcome.indicator.kind == "count":
        return words["reference_count"].format(
            total=total,
            now=formatter.number(now, max(_decimals(outcome), 1)),
            date=formatter.date(latest.date),
            reference=number(reference),
            period=outcome.period,
        )
    compared = outcome.compared
    assert compared is not None  # a level with a latest point is compared by its value
    if compared == now:
        return words["reference_at"].format(reference=number(now), unit=unit)
    key = "reference_above" if compared > now else "reference_below"
    return words[key].format(gap=number(abs(compared - now)), reference=number(now), unit=unit)


def _decimals(outcome: IndicatorOutcome) -> int:
    """Decimals to show an indicator's numbers with: as many as its most precise measured
    value or reference point, so no value is rounded and the numbers of one indicator line up
    (16 beside 17.5 is shown as 16.0)."""
    values = [point.value for point in outcome.points]
    if outcome.before is not None:
        values.append(outcome.before.value)
    if outcome.reference is not None:
        values.append(outcome.reference)
    exponents = [value.as_tuple().exponent for value in values]
    return max([-e for e in exponents if isinstance(e, int)] + [0])


def _trend(outcome: IndicatorOutcome, words: dict[str, str], formatter: Formatter) -> Flowable:
    """A level's values, or a count's running total from zero on the first of January, with
    the reference point dashed (a count's: pro rata, from zero to the year's reference)."""
    first = datetime.date(int(outcome.period), 1, 1)
    last = datetime.date(int(outcome.period), 12, 31)
    decimals = _decimals(outcome)
    if outcome.indicator.kind == "count":
        running = Decimal(0)
        points = [(first, running)]
        for point in outcome.points:
            running += point.value
            points.append((point.date, running))
        reference = None if outcome.reference is None else (Decimal(0), outcome.reference)
        legend = (words["trend_cumulative"], words["trend_reference_pro_rata"])
    else:
        points = [(point.date, point.value) for point in outcome.points]
        if outcome.before is not None:
            points.insert(0, (outcome.before.date, outcome.before.value))
        reference = None if outcome.reference is None else (outcome.reference,) * 2
        legend = (outcome.indicator.unit(formatter.language), words["trend_reference"])
    shown = [value for _, value in points] + list(reference or ())
    labels = {value: formatter.number(value, decimals) for value in (min(shown), max(shown))}
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
