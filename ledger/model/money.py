"""Money as integer cents: the one place where text becomes money and money becomes text.

A float never becomes money. Amounts are read from their digits with integer arithmetic,
checked for at most two decimals (more is an input error, never a silent rounding) and turned
into an `int` of cents.
Splits of an amount use largest-remainder rounding so the parts always add up to the whole.

The nl dialect (`dialect.py`) writes ``1.234,56``: its text is first rewritten to the plain
form (dots that group thousands dropped, the decimal comma made a point) and then read by the
same rules. An amount with a dot and no comma (``1.234``) could be 1234 or 1,234: it is refused,
never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from netfund.ledger.model.dialect import DUTCH_HINT, STANDARD, Dialect

#: Largest amount accepted on one input line: EUR 999,999,999,999.99. Far below the BigInteger
#: limit (9.2e18 cents), so that sums over millions of postings cannot overflow the column.
AMOUNT_MAX_CENTS = 99_999_999_999_999

# Plain decimal notation only: no exponent, no thousands separator, no NaN or Infinity, no
# comma as decimal mark, ASCII digits only (`\d` and `Decimal` would take fullwidth digits).
# `Decimal("1e9")` would accept what a spreadsheet mangled.
_AMOUNT_PATTERN = re.compile(r"[+-]?([0-9]+)(?:\.([0-9]*))?")
# The nl dialect: dots only between groups of three digits, a comma before the decimals.
_DUTCH_PATTERN = re.compile(r"([+-]?)([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]*))?")


class AmountError(ValueError):
    """Text that is not a valid amount; the message says why, in words for the user."""


def parse_cents(text: str, *, signed: bool = False, dialect: Dialect = STANDARD) -> int:
    """Parse an amount like ``1234.5`` or ``-12.00`` (nl: ``1.234,5``) into cents.

    ``signed=False`` (events) requires a positive amount; ``signed=True`` (journal lines)
    accepts either sign but still refuses zero, since a zero line carries no money.
    """
    raw = text.strip()
    if not raw:
        raise AmountError("amount is empty")
    plain = _plain_dutch(raw) if dialect.decimal_comma else raw
    match = _AMOUNT_PATTERN.fullmatch(plain)
    if match is None:
        hint = ""
        if "," in raw and _DUTCH_PATTERN.fullmatch(raw):
            hint = f": {DUTCH_HINT}"
        raise AmountError(
            f"amount {raw!r} is not a plain decimal number (use '.' as decimal point, "
            f"no thousands separators, no exponent){hint}"
        )
    whole, fraction = match.groups("")
    if len(fraction) > 2:
        raise AmountError(f"amount {raw!r} has more than two decimals")
    if len(whole) > 15:
        raise AmountError(f"amount {raw!r} exceeds the maximum of {format_cents(AMOUNT_MAX_CENTS)}")
    # The digits the pattern took apart, read as one integer of cents: exact, as Decimal
    # would be, and a fraction of its cost (an import parses an amount per row).
    cents = int(whole + fraction.ljust(2, "0"))
    if plain[0] == "-":
        cents = -cents
    if cents == 0:
        raise AmountError(f"amount {raw!r} is zero")
    if cents < 0 and not signed:
        raise AmountError(f"amount {raw!r} must be positive")
    if abs(cents) > AMOUNT_MAX_CENTS:
        raise AmountError(f"amount {raw!r} exceeds the maximum of {format_cents(AMOUNT_MAX_CENTS)}")
    return cents


def _plain_dutch(raw: str) -> str:
    """An nl-dialect amount (``-1.234,5``) in the plain form (``-1234.5``), or an error."""
    if "." in raw and "," not in raw:
        raise AmountError(
            f"amount {raw!r} has a dot and no decimal comma, which the nl dialect does not "
            "guess at (a dot groups thousands there, a comma marks the decimals): write it "
            "like 1.234,00 or 1234,00"
        )
    match = _DUTCH_PATTERN.fullmatch(raw)
    if match is None:
        raise AmountError(
            f"amount {raw!r} is not an amount in the nl dialect (write it like 1.234,56 or "
            "1234,56: a comma before the decimals, dots only between thousands, no exponent)"
        )
    sign, whole, fraction = match.groups()
    plain = sign + whole.replace(".", "")
    return plain if fraction is None else f"{plain}.{fraction}"


def format_cents(cents: int) -> str:
    """Cents as a plain decimal string with two decimals: ``123450`` → ``"1234.50"``."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def format_grouped(cents: int) -> str:
    """Cents for a person to read, thousands grouped: ``123456789`` → ``"1,234,567.89"``."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{fraction:02d}"


def cents_to_decimal(cents: int) -> Decimal:
    """Cents as an exact `Decimal` in euros, for exports and JSON."""
    return Decimal(cents).scaleb(-2)


def split_largest_remainder(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights`` so the parts sum exactly to the total.

    Every part first gets the floor of its exact share; the cents left over go one each to the
    parts with the largest remainders, ties broken by position, so the result is deterministic.
    A negative total is split as its absolute value and negated, so a reversal mirrors the
    original split exactly.
    """
    if not weights:
        raise ValueError("cannot split over no weights")
    if min(weights) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("cannot split over weights that sum to zero")
    if total_cents < 0:
        return [-part for part in split_largest_remainder(-total_cents, weights)]
    # An import splits every expense without a funder: one loop, no tuple per share, and the
    # remainders ranked by C-level look-ups rather than a key function per part.
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(total_cents * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    left_over = total_cents - sum(parts)
    if left_over == 1:  # the usual case: `index` finds the first of equal largest remainders
        parts[remainders.index(max(remainders))] += 1
    elif left_over:
        # A stable sort keeps equal remainders in position order, reversed or not.
        largest = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
        for index in largest[:left_over]:
            parts[index] += 1
    return parts
