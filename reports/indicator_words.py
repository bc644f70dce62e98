"""How an indicator beside the money is said, in Dutch and English: one wording for the status
dashboard, `netfund indicators`, the funder statements and the portal.

The steering model asks that a reference point be read as where the network meant to go, not
as a bar to clear: nothing here says "met", "failed", "behaald" or "niet gehaald". A value is
"above" or "below" its reference point, by how much, and the reader is told which way is
better. The figures are `IndicatorOutcome`'s (ledger/indicators/outcomes.py); this only words
them.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from netfund.ledger import Indicator, IndicatorOutcome, Point
from netfund.reports.formatting import Formatter

_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "experience": "ervaring van inwoners",
        "health": "gezondheid van de bevolking",
        "cost": "kosten",
        "work": "werkplezier van professionals",
        "higher": "hoger is beter",
        "lower": "lager is beter",
        "above": "{gap} boven het referentiepunt van {reference}",
        "below": "{gap} onder het referentiepunt van {reference}",
        "at": "op het referentiepunt van {reference}",
        "count_reference": (
            "{total} tot en met {day}; referentiepunt {reference} voor {period}, "
            "naar rato {pro_rata}"
        ),
        "count_reference_whole": (
            "{total} tot en met {day}; referentiepunt {reference} voor {period}"
        ),
        "no_reference": "geen referentiepunt afgesproken voor {period}",
        "not_measured": "nog niet gemeten in {period}",
        "cost_per_unit": "{spent} / {total} = {each} per {unit_one}",
        "no_change": "–",
        "points": "procentpunt",
    },
    "en": {
        "experience": "residents' experience",
        "health": "population health",
        "cost": "cost",
        "work": "professionals' work",
        "higher": "higher is better",
        "lower": "lower is better",
        "above": "{gap} above the reference point of {reference}",
        "below": "{gap} below the reference point of {reference}",
        "at": "at the reference point of {reference}",
        "count_reference": (
            "{total} up to {day}; reference point {reference} for {period}, {pro_rata} pro rata"
        ),
        "count_reference_whole": "{total} up to {day}; reference point {reference} for {period}",
        "no_reference": "no reference point agreed for {period}",
        "not_measured": "not measured yet in {period}",
        "cost_per_unit": "{spent} / {total} = {each} per {unit_one}",
        "no_change": "–",
        "points": "percentage points",
    },
}

#: Eight heights of a terminal sparkline, lowest first.
_BARS = "▁▂▃▄▅▆▇█"


def aim_words(aim: str, language: str) -> str:
    """The Quadruple Aim dimension, as a reader says it."""
    return _WORDS[language][aim]


def better_words(indicator: Indicator, language: str) -> str:
    """``higher is better`` / ``lager is beter``."""
    return _WORDS[language][indicator.better]


def number(value: Decimal, language: str) -> str:
    """An exact value with the decimals it was measured with: ``7,0`` (nl), ``1,234.5`` (en)."""
    decimals = _decimals(value)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=Formatter(language).locale)


def change(value: Decimal | None, language: str) -> str:
    """A change with its sign (``+0,4``, ``−1.5``, ``0``), or ``–`` when there is none."""
    if value is None:
        return _WORDS[language]["no_change"]
    if value == 0:
        return number(abs(value), language)
    sign = "+" if value > 0 else "−"
    return sign + number(abs(value), language)


def change_with_unit(value: Decimal | None, indicator: Indicator, language: str) -> str:
    """A change with its sign and unit: ``+2,5 dagen``; a share's in points (``−0,4
    procentpunt``, a difference of percentages is no percentage); ``–`` when there is none."""
    if value is None:
        return _WORDS[language]["no_change"]
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + distance(abs(value), indicator, language)


def with_unit(value: Decimal, indicator: Indicator, language: str) -> str:
    """``17,0 dagen``, ``6,9%`` (a percent sign follows the number without a space)."""
    unit = unit_one(indicator, language) if value == 1 else indicator.unit(language)
    return f"{number(value, language)}{'' if unit == '%' else ' '}{unit}"


def measured(point: Point, indicator: Indicator, language: str) -> str:
    """``17,0 dagen (31 december 2026)``."""
    day = Formatter(language).date(point.date)
    return f"{with_unit(point.value, indicator, language)} ({day})"


def reference_words(outcome: IndicatorOutcome, language: str) -> str:
    """Where the value stands against the reference point, as a reference, never pass/fail."""
    words = _WORDS[language]
    if outcome.latest is None:
        return words["not_measured"].format(period=outcome.period)
    if outcome.reference is None or outcome.compared is None or outcome.reference_now is None:
        return words["no_reference"].format(period=outcome.period)
    reference = with_unit(outcome.reference, outcome.indicator, language)
    if outcome.indicator.kind == "count":
        whole = outcome.reference_now == outcome.reference  # the whole period: no pro rata
        return words["count_reference_whole" if whole else "count_reference"].format(
            total=with_unit(outcome.compared, outcome.indicator, language),
            day=Formatter(language).date(outcome.latest.date),
            reference=reference,
            period=outcome.period,
            pro_rata=with_unit(
                _shown_like(outcome.reference_now, outcome.reference), outcome.indicator, language
            ),
        )
    difference = outcome.compared - outcome.reference
    if difference == 0:
        return words["at"].format(reference=reference)
    key = "above" if difference > 0 else "below"
    gap = distance(abs(difference), outcome.indicator, language)
    return words[key].format(gap=gap, reference=reference)


def distance(value: Decimal, indicator: Indicator, language: str) -> str:
    """How far apart two values lie, with the unit: ``7,0 dagen``; a difference of shares in
    points (``1,9 procentpunt``), never in percent of a percent."""
    if indicator.unit(language) == "%":
        return f"{number(value, language)} {_WORDS[language]['points']}"
    return with_unit(value, indicator, language)


def gap_words(outcome: IndicatorOutcome, gap: Decimal, language: str) -> str:
    """A distance from ``outcome``'s reference point (its gap now or at the start) as
    `reference_words` shows the reference: a count's, measured against a pro-rata reference of
    four decimals, with one decimal more than the reference (``12,0 opnames``)."""
    if outcome.indicator.kind == "count" and outcome.reference is not None:
        gap = _shown_like(gap, outcome.reference)
    return distance(gap, outcome.indicator, language)


def _shown_like(value: Decimal, reference: Decimal) -> Decimal:
    """A pro-rata reference (four decimals) shown with one decimal more than the reference."""
    return value.quantize(Decimal(1).scaleb(-(_decimals(reference) + 1)))


def _decimals(value: Decimal) -> int:
    """How many decimals ``value`` was written with (``7.0``: 1, ``14``: 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def cost_per_unit_words(outcome: IndicatorOutcome, language: str, currency: str = "EUR") -> str:
    """The derivation a funder can redo: ``€ 6.891,00 / 501 inwoners = € 13,75 per inwoner``;
    empty when the indicator has no cost per unit (yet)."""
    each = outcome.cost_per_unit_cents
    if each is None or outcome.total is None:
        return ""
    money = Formatter(language, currency)
    return _WORDS[language]["cost_per_unit"].format(
        spent=money.money(outcome.spent_cents),
        total=with_unit(outcome.total, outcome.indicator, language),
        each=money.money(each),
        unit_one=unit_one(outcome.indicator, language),
    )


def unit_one(indicator: Indicator, language: str) -> str:
    """The unit of one (``inwoner``, ``resident``): the plural's usual singular, good enough
    for the units a count has (people, admissions)."""
    unit = indicator.unit(language)
    if language == "en":
        return unit[:-1] if unit.endswith("s") else unit
    for ending, one in (("ners", "ner"), ("mes", "me"), ("en", ""), ("s", "")):
        if unit.endswith(ending) and len(unit) > len(ending) + 2:
            return unit[: -len(ending)] + one
    return unit


def sparkline(points: tuple[Point, ...]) -> str:
    """The trend as one line of block characters, for a terminal (a chart where a reader
    would rather look): lowest value ▁, highest █; flat when all are equal."""
    if not points:
        return ""
    values = [point.value for point in points]
    low, high = min(values), max(values)
    if high == low:
        return _BARS[3] * len(values)
    scale = Decimal(len(_BARS) - 1) / (high - low)
    return "".join(_BARS[int(((value - low) * scale).to_integral_value())] for value in values)
