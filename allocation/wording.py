"""Amounts, shares and prices as words for people: diagnoses and explanations use these.

Machine formats (CSV, JSON) use `netfund.ledger.model.money.format_cents`; sentences for the
administrator use thousands separators and the currency, so "EUR 1,200,000.00" reads at a glance.
"""

from __future__ import annotations

from fractions import Fraction

from netfund.ledger import format_cents


def format_euros(cents: int) -> str:
    """``120000000`` → ``"EUR 1,200,000.00"``; negative amounts keep their sign after EUR."""
    plain = format_cents(cents)
    sign = "-" if plain.startswith("-") else ""
    whole, fraction = plain.lstrip("-").split(".")
    return f"EUR {sign}{int(whole):,}.{fraction}"


def euros_to_cents(euros: float) -> int:
    """A solver's euro figure (a float) rounded half away from zero to whole cents, for words."""
    scaled = round(abs(euros) * 100)
    return scaled if euros >= 0 else -scaled


def format_share(share: Fraction) -> str:
    """``Fraction(3, 20)`` → ``"15%"``, ``Fraction(1, 8)`` → ``"12.5%"`` (at most 2 decimals)."""
    percent = share * 100
    if percent.denominator == 1:
        return f"{percent.numerator}%"
    return f"{float(percent):.2f}".rstrip("0").rstrip(".") + "%"  # money-safe


def format_share_against(share: Fraction, cap: Fraction) -> str:
    """A share beside its cap, never rounded onto it: with 2 decimals, or as many more as it
    takes for the text to compare with the cap as the share does (``14.996%`` against 15% is
    ``"14.996%"``, not ``"15%"``)."""
    if share == cap:
        return format_share(cap)
    percent = share * 100
    for decimals in range(2, 19):
        text = f"{float(percent):.{decimals}f}"  # money-safe
        shown = Fraction(text) / 100
        if (shown < cap) == (share < cap) and shown != cap:
            break
    return text.rstrip("0").rstrip(".") + "%"


def format_price(price: float) -> str:
    """A shadow price per euro as a short number: ``3.0``, ``0.85``, ``-1.25``."""
    rounded = round(price, 4)
    if rounded == 0:
        rounded = 0.0  # no "-0.0" in a sentence
    text = f"{rounded:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def join_codes(codes: list[str], limit: int = 8) -> str:
    """``["A", "B"]`` → ``"A, B"``; long lists end in ``"and N more"`` so a sentence stays short."""
    if len(codes) <= limit:
        return ", ".join(codes)
    return ", ".join(codes[:limit]) + f" and {len(codes) - limit} more"
