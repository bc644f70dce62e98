"""The overhead cap, decided once and in integers: is overhead of ``total`` cents within a share?

A cap is a share between 0 and 1: the ledger reads it from network.toml as a `Decimal` (at
most four decimals), allocation holds it as a `Fraction`. Both are exact, so both become the
same `Fraction` and every question about a cap is a comparison of integers,
``denominator * overhead`` against ``numerator * total``. A float near a cap would put a cent
on the wrong side of it (0.15 is not a binary fraction), so a float is refused outright, as a
cap and as an amount. Allocation (rounding, checks, diagnosis, explanation), the statements
and the status dashboard all ask these functions, so they cannot disagree about a cent.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def cap_fraction(cap: Fraction | Decimal) -> Fraction:
    """``cap`` as an exact `Fraction` (a finite `Decimal` converts without loss).

    Raises `TypeError` for anything else (a float above all) and `ValueError` outside 0..1.
    """
    if isinstance(cap, Fraction):
        share = cap
    elif isinstance(cap, Decimal) and cap.is_finite():
        share = Fraction(cap)
    else:
        raise TypeError(f"must be a Fraction (or a Decimal), got {cap!r}")
    # The denominator of a Fraction is positive: 0 <= n/d <= 1 is 0 <= n <= d, in integers.
    if not 0 <= share.numerator <= share.denominator:
        raise ValueError(f"must be between 0 and 1, got {share}")
    return share


def cap_excess(overhead_cents: int, total_cents: int, cap: Fraction | Decimal) -> int:
    """``denominator * overhead - numerator * total``: above 0 exactly when the overhead is
    above the cap, 0 exactly at it. The unit is 1/denominator of a cent, so two excesses
    compare only under the same cap (as the rounding does to pick the corner nearest to it)."""
    share = cap_fraction(cap)
    _require_cents(overhead_cents, total_cents)
    return share.denominator * overhead_cents - share.numerator * total_cents


def over_cap(overhead_cents: int, total_cents: int, cap: Fraction | Decimal) -> bool:
    """Whether ``overhead_cents`` is more than ``cap`` of ``total_cents``; at the cap is within."""
    return cap_excess(overhead_cents, total_cents, cap) > 0


def cents_over_cap(overhead_cents: int, total_cents: int, cap: Fraction | Decimal) -> int:
    """By how many whole cents the overhead is above ``cap * total`` (a part of a cent counts
    as a cent, so this is above 0 exactly when `over_cap` holds); 0 or less within the cap."""
    share = cap_fraction(cap)
    _require_cents(overhead_cents, total_cents)
    return overhead_cents - share.numerator * total_cents // share.denominator


def room_under_cap(overhead_cents: int, total_cents: int, cap: Fraction | Decimal) -> int | None:
    """How many whole cents of overhead still fit under ``cap`` when each also adds to the
    total: the floor of ``(cap * total - overhead) / (1 - cap)``, negative when over the cap,
    and None at a 100% cap (overhead can never exceed it)."""
    share = cap_fraction(cap)
    _require_cents(overhead_cents, total_cents)
    numerator, denominator = share.numerator, share.denominator
    if numerator == denominator:
        return None
    # cap * total - overhead = (n*total - d*overhead) / d, and 1 - cap = (d - n) / d.
    return (numerator * total_cents - denominator * overhead_cents) // (denominator - numerator)


def _require_cents(*amounts: int) -> None:
    for amount in amounts:
        if type(amount) is not int:
            raise TypeError(f"amounts against a cap are integer cents, got {amount!r}")
