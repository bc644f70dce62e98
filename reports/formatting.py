"""Amounts, shares and dates as a funder reads them, in its language.

Money arrives as integer cents and becomes a `Decimal` in euros before Babel formats it, so a
float never touches an amount: nl prints ``€ 1.234.567,89`` (with a no-break space, so the
sign never ends a line alone), en ``€1,234,567.89``. Shares are exact `Decimal` quotients of
cents, rounded only for display.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from netfund.ledger import cents_to_decimal

#: The Babel locale of each statement language. en_GB: European day-month order.
LOCALES = {"nl": "nl_NL", "en": "en_GB"}

_CENT = Decimal("0.01")


@cache
def _locale(language: str) -> Locale:
    """The parsed Babel locale (parsing it per amount is a third of the formatting time)."""
    return Locale.parse(LOCALES[language])


@dataclass(frozen=True)
class Formatter:
    """Formats figures for one language and currency.

    Attributes:
        language: ``nl`` or ``en``.
        currency: ISO code of the network's currency (EUR).
    """

    language: str
    currency: str = "EUR"

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    def money(self, cents: int) -> str:
        """``123456789`` → ``€ 1.234.567,89`` (nl) or ``€1,234,567.89`` (en)."""
        return self.money_decimal(cents_to_decimal(cents))

    def money_decimal(self, euros: Decimal) -> str:
        """An exact amount in euros, rounded half-even to the cent for display."""
        return format_currency(
            euros.quantize(_CENT, rounding=ROUND_HALF_EVEN), self.currency, locale=self.locale
        )

    def money_whole(self, cents: int) -> str:
        """Whole euros, for chart axes where cents would be noise: ``€ 250.000``."""
        euros = cents_to_decimal(cents).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        # The same spacing as `money`: Dutch puts a no-break space after the sign.
        pattern = "¤\u00a0#,##0" if self.language == "nl" else "¤#,##0"
        return format_currency(
            euros, self.currency, format=pattern, locale=self.locale, currency_digits=False
        )

    def per_inhabitant(self, cents: int, population: int) -> str:
        """Cents divided over ``population`` inhabitants, exactly, shown to the cent."""
        return self.money_decimal(cents_to_decimal(cents) / Decimal(population))

    def share(self, share: Decimal | None, decimals: int = 1) -> str:
        """``Decimal("0.1234")`` → ``12,3%``; None (a share of nothing) → ``–``."""
        if share is None:
            return "–"
        pattern = "#,##0%" if decimals == 0 else "#,##0." + "0" * decimals + "%"
        return format_percent(share, pattern, locale=self.locale, decimal_quantization=True)

    def count(self, number: int) -> str:
        """``18000`` → ``18.000`` (nl) or ``18,000`` (en)."""
        return format_decimal(number, locale=self.locale)

    def date(self, value: datetime.date) -> str:
        """``31 december 2026`` (nl) or ``31 December 2026`` (en)."""
        return format_date(value, format="long", locale=self.locale)


def share_of(part_cents: int, whole_cents: int) -> Decimal | None:
    """``part / whole`` as an exact-enough Decimal (28 digits), or None when whole is 0."""
    if whole_cents == 0:
        return None
    return Decimal(part_cents) / Decimal(whole_cents)
