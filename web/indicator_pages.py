"""The indicators beside the money (issue 20): a funder's pages and the steering group's view.

A funder sees, per group its money went to in the period, its own money beside the indicators
that group agreed to (`funder_indicators`: `indicator_outcomes` with ``funder=`` its code, as
its statement shows them). Staff see the steering group's diagnostic (`steering_view`): the
indicators that moved away from their reference point, with every funder's money behind them.
Nothing is computed here: the pages word and format the outcomes' own figures, and carry the
exact values in ``data-*`` attributes (a test, or a reader's script, compares them without
parsing a formatted number).

The reference point is worded as a reference, never as a pass or a fail: where the value lies
from it (how far to go, at it, past it) and whether it moved away since the period began.

Who may see what (`guards`): a funder its own code's pages, and of a group's page only a group
its money went to (404 otherwise, as for a group that does not exist: `funded_group`); the
steering view holds every funder's money, so only staff (403 for a funder). A funder's reads
run under its own database role (`read_for`), the second wall.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from netfund.ledger import GroupOutcomes, IndicatorOutcome, Point, recorded_periods
from netfund.reports.formatting import Formatter
from netfund.reports.indicator_words import (
    aim_words,
    better_words,
    change,
    cost_per_unit_words,
    gap_words,
    measured,
    reference_words,
    with_unit,
)
from netfund.reports.indicators import exact, read_indicators_view
from netfund.reports.portal import NotInPeriod
from netfund.web import figure_cache
from netfund.web.charts import TrendWords, trend_chart
from netfund.web.funder_params import period_param
from netfund.web.guards import STAFF, funded_group, funder_view, read_for, staff_view
from netfund.web.render import language_of, page
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

WORDS: dict[str, tuple[str, str]] = {
    "ind_nav": ("Indicatoren", "Indicators"),
    "ind_nav_steering": ("Indicatoren: stuurgroep", "Indicators: steering group"),
    "ind_title": ("Indicatoren · {funder} · {period}", "Indicators · {funder} · {period}"),
    "ind_group_title": (
        "{group} · indicatoren · {funder} · {period}",
        "{group} · indicators · {funder} · {period}",
    ),
    "ind_intro": (
        "Per groep waar uw geld in {period} heen ging: uw geld naast de indicatoren die die "
        "groep met de financiers heeft afgesproken. Een referentiepunt is waar het netwerk "
        "naartoe wil, geen lat om overheen te springen.",
        "Per group your money went to in {period}: your money beside the indicators that "
        "group agreed with the funders. A reference point is where the network means to go, "
        "not a bar to clear.",
    ),
    "ind_intro_staff": (
        "Per groep waar het geld van deze financier in {period} heen ging: zijn geld naast de "
        "indicatoren van die groep.",
        "Per group this funder's money went to in {period}: its money beside that group's "
        "indicators.",
    ),
    "ind_as_of": (
        "Metingen en transacties gedateerd tot en met {as_of}.",
        "Measurements and transactions dated up to and including {as_of}.",
    ),
    "ind_none": (
        "Geen van de groepen waar uw geld in deze periode heen ging heeft indicatoren afgesproken.",
        "None of the groups your money went to in this period agreed to an indicator.",
    ),
    "ind_your_money": ("Uw geld", "Your money"),
    "ind_money": ("Geld", "Money"),
    "ind_allocated": ("Toegewezen", "Allocated"),
    "ind_spent": ("Besteed", "Spent"),
    "ind_indicator": ("Indicator", "Indicator"),
    "ind_latest": ("Laatste meting", "Latest measurement"),
    "ind_since_previous": ("Sinds de vorige meting", "Since the previous measurement"),
    "ind_since_start": ("Sinds het begin van {period}", "Since the start of {period}"),
    "ind_reference": ("Referentiepunt", "Reference point"),
    "ind_cost_per_unit": ("Kosten per eenheid", "Cost per unit"),
    "ind_from_date": ("sinds {date}", "since {date}"),
    "ind_moved_away": (
        "verder van het referentiepunt dan aan het begin van de periode",
        "further from the reference point than at the start of the period",
    ),
    "ind_cost_nothing_counted": ("nog niets geteld", "nothing counted yet"),
    "ind_cost_not_applicable": ("–", "–"),
    "ind_total_so_far": ("totaal tot nu toe: {total}", "total so far: {total}"),
    "ind_trend": ("Verloop", "Trend"),
    "ind_trend_level": ("gemeten", "measured"),
    "ind_trend_count": ("totaal tot nu toe", "total so far"),
    "ind_trend_reference": ("referentiepunt", "reference point"),
    "ind_trend_reference_pro_rata": ("referentiepunt naar rato", "reference point pro rata"),
    "ind_back": ("Terug naar alle indicatoren", "Back to every indicator"),
    "ind_steering_title": (
        "Indicatoren: stuurgroep · {period}",
        "Indicators: steering group · {period}",
    ),
    "ind_steering_intro": (
        "De indicatoren die in {period} verder van hun referentiepunt kwamen te liggen dan aan "
        "het begin van de periode, de verste eerst, met de groepen en wat elke financier "
        "eraan besteedde. Een referentiepunt is geen norm: dit is waar het gesprek begint.",
        "The indicators that moved further from their reference point in {period} than they "
        "were at the start of the period, the furthest first, with the groups and what every "
        "funder spent on them. A reference point is not a norm: this is where the "
        "conversation starts.",
    ),
    "ind_steering_none": (
        "Geen indicator kwam in deze periode verder van zijn referentiepunt te liggen.",
        "No indicator moved away from its reference point in this period.",
    ),
    "ind_group": ("Groep", "Group"),
    "ind_gap": ("Afstand tot het referentiepunt", "Distance from the reference point"),
    "ind_gap_now": ("nu {gap}", "now {gap}"),
    "ind_gap_start": ("aan het begin {gap}", "at the start {gap}"),
    "ind_funders_money": ("Besteed per financier", "Spent per funder"),
    "ind_all_funders": ("alle financiers", "every funder"),
    "ind_funder": ("Financier", "Funder"),
    "ind_allocated_all": (
        "Toegewezen door alle financiers: {amount}",
        "Allocated by every funder: {amount}",
    ),
}


def funder_indicators_page(request: Request) -> Response:
    code = request.path_params["code"]
    who = funder_view(request, code)
    period = period_param(request.query_params)
    with read_for(request, who) as connection:
        try:
            found = figure_cache.indicators(request, who, connection, code, period)
        except NotInPeriod:
            raise HTTPException(404) from None
    formatter = Formatter(language_of(request), request.app.state.currency)
    base = f"/funders/{code}"
    return page(
        request,
        "indicators_funder.html",
        {
            "ov": found,
            "base": base,
            "groups": [_group(request, formatter, each, found.period) for each in found.groups],
            "group_link": lambda group: f"{base}/indicators/{group}?period={found.period}",
        },
    )


def funder_group_page(request: Request) -> Response:
    code, group = request.path_params["code"], request.path_params["group"]
    who = funder_view(request, code)
    period = period_param(request.query_params)
    with read_for(request, who) as connection:
        try:
            found = figure_cache.indicators(request, who, connection, code, period)
        except NotInPeriod:
            raise HTTPException(404) from None
    outcomes = funded_group(found, group)
    formatter = Formatter(language_of(request), request.app.state.currency)
    base = f"/funders/{code}"
    return page(
        request,
        "indicators_group.html",
        {
            "ov": found,
            "base": base,
            "group": _group(request, formatter, outcomes, found.period),
            "back_link": f"{base}/indicators?period={found.period}",
        },
    )


def steering_page(request: Request) -> Response:
    who = staff_view(request, STAFF)
    period = period_param(request.query_params)
    with read_for(request, who) as connection:
        periods = recorded_periods(connection)
        if period is None and not periods:
            return page(request, "indicators_steering.html", {"view": None})
        view = read_indicators_view(connection, period or periods[-1])
    formatter = Formatter(language_of(request), request.app.state.currency)
    rows = [
        {
            "group": group,
            "indicator": _indicator(request, formatter, outcome, f"{group.group}-moved"),
            "spent_by": view.spent_by.get(group.group, ()),
        }
        for group, outcome in view.moved
    ]
    return page(
        request,
        "indicators_steering.html",
        {"view": view, "rows": rows, "periods": [p for p in periods if p != view.period]},
    )


def _group(
    request: Request, formatter: Formatter, outcomes: GroupOutcomes, period: str
) -> dict[str, Any]:
    """What the page shows of one group: its money and each of its indicators, worded."""
    return {
        "outcomes": outcomes,
        "indicators": [
            _indicator(request, formatter, each, f"{outcomes.group}-{index}")
            for index, each in enumerate(outcomes.indicators)
        ],
        "period": period,
    }


def _indicator(
    request: Request, formatter: Formatter, outcome: IndicatorOutcome, chart_id: str
) -> dict[str, Any]:
    """One indicator's cells: its figures in `indicator_words`' wording, their exact values
    for the ``data-*`` attributes, and its trend chart."""
    language = language_of(request)
    words = request.app.state.words

    def t(key: str, **values: object) -> str:
        return str(words.text(language, key, **values))

    indicator = outcome.indicator
    latest = outcome.latest
    count = indicator.kind == "count"
    cost = None
    if indicator.cost_per_unit:
        cost = cost_per_unit_words(outcome, language, formatter.currency) or t(
            "ind_cost_nothing_counted"
        )
    return {
        "outcome": outcome,
        "name": indicator.name(language),
        "aim": aim_words(indicator.aim, language),
        "better": better_words(indicator, language),
        "latest": None if latest is None else measured(latest, indicator, language),
        "total": None
        if outcome.total is None or latest is None
        else t("ind_total_so_far", total=with_unit(outcome.total, indicator, language)),
        "since_previous": _change(formatter, outcome.change_since_previous, outcome.previous),
        "since_start": _change(formatter, outcome.change_since_start, outcome.start),
        "reference": reference_words(outcome, language),
        "moved_away": outcome.moved_away,
        "gap": _distance(outcome.gap, outcome, language),
        "gap_at_start": _distance(outcome.gap_at_start, outcome, language),
        "cost": cost,
        "data": _data(outcome),
        "chart": trend_chart(
            outcome,
            formatter,
            TrendWords(
                title=indicator.name(language),
                series=t("ind_trend_count" if count else "ind_trend_level"),
                reference=t("ind_trend_reference_pro_rata" if count else "ind_trend_reference"),
            ),
            f"trend-{chart_id}",
        ),
    }


def _change(formatter: Formatter, value: Decimal | None, since: Point | None) -> dict[str, str]:
    """A change and the date it is counted from (``–`` alone when there is none)."""
    said = change(value, formatter.language)
    if value is None or since is None:
        return {"value": said, "date": ""}
    return {"value": said, "date": formatter.date(since.date)}


def _distance(value: Decimal | None, outcome: IndicatorOutcome, language: str) -> str:
    """A gap to the reference point in words (``–`` without one)."""
    if value is None:
        return change(None, language)
    return gap_words(outcome, value, language)


def _data(outcome: IndicatorOutcome) -> dict[str, str]:
    """The exact figures as ``data-*`` attributes (canonical value text; empty: none)."""

    def text(value: Decimal | None) -> str:
        return exact(value) or ""

    latest = outcome.latest
    return {
        "data-indicator": outcome.indicator.code,
        "data-group": outcome.group,
        "data-latest": text(None if latest is None else latest.value),
        "data-latest-date": "" if latest is None else latest.date.isoformat(),
        "data-change-previous": text(outcome.change_since_previous),
        "data-change-start": text(outcome.change_since_start),
        "data-total": text(outcome.total),
        "data-reference": text(outcome.reference),
        "data-reference-now": text(outcome.reference_now),
        "data-gap": text(outcome.gap),
        "data-side": outcome.side or "",
        "data-moved-away": "true" if outcome.moved_away else "false",
        "data-spent-cents": str(outcome.spent_cents),
        "data-cost-cents": ""
        if outcome.cost_per_unit_cents is None
        else str(outcome.cost_per_unit_cents),
    }


routes: list[BaseRoute] = [
    Route("/funders/{code}/indicators", funder_indicators_page, methods=["GET"]),
    Route("/funders/{code}/indicators/{group}", funder_group_page, methods=["GET"]),
    Route("/indicators", steering_page, methods=["GET"]),
]
