"""Indicators: what the network agreed to watch beside the money (issue 20).

The network steers with Simons' levers of control: the participants agree indicators with the
funders as a *reference point* for the intended development, not as a bar to clear, and the
funders stay as long as the work shows results on the Quadruple Aim. An indicator is declared
in network.toml (``[[indicators]]``, `inputs/network_indicators.py`); its measurements come
from ``indicators.csv`` (`ledger/indicators/`).

Values are exact decimals (`Decimal`), never floats: a funder re-derives a cost per resident
from the figures on its statement, and the canonical bytes of the records chain hold them as
text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from netfund.ledger.model.dialect import DUTCH_HINT, STANDARD, Dialect

#: The Quadruple Aim's dimensions: residents' experience, population health, cost per
#: resident, and the professionals' work.
AIMS = ("experience", "health", "cost", "work")
#: Which way counts as better.
DIRECTIONS = ("higher", "lower")
#: ``level``: a state measured at a date (a score, a share, a waiting time in days).
#: ``count``: how many happened since the previous measurement (residents reached, admissions
#: avoided); a period's outcome is the sum of its counts, which a cost per unit divides by.
KINDS = ("level", "count")
#: A measured value: at most this many decimals (a hundredth of a percent of a share).
VALUE_DECIMALS_MAX = 4
#: At most this many digits before the decimal point.
VALUE_WHOLE_DIGITS_MAX = 12

_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DUTCH = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?|-?[0-9]+(,[0-9]+)?")


class IndicatorValueError(ValueError):
    """A measured value or reference point that is not an exact decimal number."""


@dataclass(frozen=True)
class Indicator:
    """One indicator the network agreed on (``[[indicators]]`` in network.toml).

    Attributes:
        code: unique code, letters, digits and '-'.
        name_nl: its name in Dutch.
        name_en: its name in English.
        unit_nl: what a value counts or measures, in Dutch ("dagen", "inwoners").
        unit_en: the same in English ("days", "residents").
        better: `higher` or `lower`: which way counts as better (`DIRECTIONS`).
        aim: the Quadruple Aim dimension it speaks to (`AIMS`).
        kind: `level` or `count` (`KINDS`).
        groups: the codes of the groups that agreed to it, in file order.
        references: the reference point per period (``"2026"``), where one was agreed.
        cost_per_unit: whether a statement divides a group's spending by the period's count
            (euro per resident reached); only for a `count` where `higher` is better.
    """

    code: str
    name_nl: str
    name_en: str
    unit_nl: str
    unit_en: str
    better: str
    aim: str
    kind: str
    groups: tuple[str, ...]
    references: tuple[tuple[str, Decimal], ...] = ()
    cost_per_unit: bool = False

    def name(self, language: str) -> str:
        """Its name in ``language`` (``nl`` or ``en``)."""
        return self.name_nl if language == "nl" else self.name_en

    def unit(self, language: str) -> str:
        """Its unit in ``language`` (``nl`` or ``en``)."""
        return self.unit_nl if language == "nl" else self.unit_en

    def reference(self, period: str) -> Decimal | None:
        """The reference point agreed for ``period``, or None."""
        return dict(self.references).get(period)


def parse_value(text: str, dialect: Dialect = STANDARD) -> Decimal:
    """An exact decimal from ``text`` (``12.5``; nl: ``12,5`` or ``1.234,5``); raise
    `IndicatorValueError` saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise IndicatorValueError("value is empty")
    if dialect.decimal_comma:
        if not _DUTCH.fullmatch(raw):
            raise IndicatorValueError(
                f"value {raw!r} is not a number in the nl dialect (write it like 1.234,5 or "
                "12,5: a comma before the decimals, dots only between thousands)"
            )
        plain = raw.replace(".", "").replace(",", ".")
    else:
        if not _PLAIN.fullmatch(raw):
            hint = f": {DUTCH_HINT}" if "," in raw else ""
            raise IndicatorValueError(
                f"value {raw!r} is not a plain decimal number (use '.' as decimal point, no "
                f"thousands separators, no exponent){hint}"
            )
        plain = raw
    try:
        value = Decimal(plain)
    except InvalidOperation as error:  # unreachable for text the patterns accepted
        raise IndicatorValueError(f"value {raw!r} is not a number") from error
    return check_value(value, raw)


def check_value(value: Decimal, shown: str) -> Decimal:
    """``value`` if within the decimals and digits a value may have, else `IndicatorValueError`."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > VALUE_DECIMALS_MAX:
        raise IndicatorValueError(f"value {shown!r} has more than {VALUE_DECIMALS_MAX} decimals")
    if abs(value) >= Decimal(10) ** VALUE_WHOLE_DIGITS_MAX:
        raise IndicatorValueError(
            f"value {shown!r} has more than {VALUE_WHOLE_DIGITS_MAX} digits before the point"
        )
    return value


def value_text(value: Decimal) -> str:
    """The canonical text of a value: as written, without an exponent (``12.50`` stays
    ``12.50``; ``-0`` becomes ``0``). Stored in the database and hashed into the records
    chain, so it must not depend on how Python prints a Decimal."""
    if value == 0:
        value = abs(value)
    return format(value, "f")
