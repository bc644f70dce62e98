"""Money: text to cents and back, and splits that always add up to the whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.ledger.model.dialect import DUTCH
from netfund.ledger.model.money import (
    AMOUNT_MAX_CENTS,
    AmountError,
    format_cents,
    parse_cents,
    split_largest_remainder,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1", 100), ("1.5", 150), ("1.05", 105), ("0.01", 1), (" 12.30 ", 1230), ("+7", 700)],
)
def test_parse_cents_accepts_plain_decimals(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e9", "plain decimal"),
        ("NaN", "plain decimal"),
        ("Infinity", "plain decimal"),
        ("1,5", "plain decimal"),
        ("1 000", "plain decimal"),
        ("0.001", "more than two decimals"),
        ("-5", "must be positive"),
        ("0", "zero"),
        ("-0", "zero"),
        ("", "empty"),
        ("1000000000000000", "exceeds the maximum"),
        ("9223372036854775808", "exceeds the maximum"),
    ],
)
def test_parse_cents_refuses(text: str, reason: str) -> None:
    with pytest.raises(AmountError, match=reason):
        parse_cents(text)


def test_signed_amounts_and_the_limit() -> None:
    assert parse_cents("-12.34", signed=True) == -1234
    assert parse_cents(format_cents(AMOUNT_MAX_CENTS)) == AMOUNT_MAX_CENTS
    assert format_cents(-5) == "-0.05"
    assert format_cents(123450) == "1234.50"


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_split_sums_to_the_whole_and_stays_close_to_the_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = split_largest_remainder(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert abs(part - exact) < 1  # never more than one cent from the exact share
        if weight == 0:
            assert part == 0


def test_split_is_deterministic_and_breaks_ties_by_position() -> None:
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(-100, [1, 1, 1]) == [-34, -33, -33]
    assert split_largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    with pytest.raises(ValueError):
        split_largest_remainder(5, [0, 0])


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("1234,56", 123456),
        ("1234,5", 123450),
        ("1234", 123400),
        ("12.345.678,90", 1234567890),
        ("-1.012,50", -101250),
        (" 0,01 ", 1),
        ("+7", 700),
    ],
)
def test_the_nl_dialect_reads_dutch_amounts(text: str, cents: int) -> None:
    assert parse_cents(text, signed=True, dialect=DUTCH) == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234", "has a dot and no decimal comma"),  # 1234 or 1,234: never guessed
        ("12.50", "has a dot and no decimal comma"),
        ("1.23,45", "is not an amount in the nl dialect"),
        ("1234.567,00", "is not an amount in the nl dialect"),
        (".123,00", "is not an amount in the nl dialect"),
        ("1,234,56", "is not an amount in the nl dialect"),
        ("1 234,56", "is not an amount in the nl dialect"),
        ("１２,50", "is not an amount in the nl dialect"),
        ("1e9", "is not an amount in the nl dialect"),
        ("12,345", "has more than two decimals"),
        ("0,00", "is zero"),
        ("-5,00", "must be positive"),
        ("1.000.000.000.000,00", "exceeds the maximum"),
    ],
)
def test_the_nl_dialect_refuses_what_it_cannot_read_for_sure(text: str, reason: str) -> None:
    with pytest.raises(AmountError, match=reason):
        parse_cents(text, dialect=DUTCH)


def test_a_dutch_amount_in_the_standard_dialect_names_the_flag() -> None:
    with pytest.raises(AmountError, match="a Dutch Excel file\\? use --dialect nl"):
        parse_cents("1.234,56")
    with pytest.raises(AmountError) as raised:
        parse_cents("1 000")
    assert "--dialect" not in str(raised.value)


def _dutch(cents: int) -> str:
    """Cents as Dutch Excel writes them: ``-1.234,56``."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{fraction:02d}"


@given(st.integers(-AMOUNT_MAX_CENTS, AMOUNT_MAX_CENTS).filter(bool))
def test_dutch_and_plain_text_of_an_amount_read_as_the_same_cents(cents: int) -> None:
    plain = parse_cents(format_cents(cents), signed=True)
    assert parse_cents(_dutch(cents), signed=True, dialect=DUTCH) == plain == cents
    assert parse_cents(_dutch(cents).replace(".", ""), signed=True, dialect=DUTCH) == cents


@given(
    st.from_regex(r"[+-]?[0-9]{1,15}(\.[0-9]{0,2})?", fullmatch=True),
    st.booleans(),
)
def test_cents_are_what_decimal_arithmetic_says(text: str, signed: bool) -> None:
    """parse_cents counts the digits with integers (issue 21: it runs once per imported row);
    the cents are those of the decimal the text writes, exactly as `Decimal` computes them."""
    exact = int((Decimal(text) * 100).to_integral_exact())
    if exact == 0 or (exact < 0 and not signed) or abs(exact) > AMOUNT_MAX_CENTS:
        with pytest.raises(AmountError):
            parse_cents(text, signed=signed)
    else:
        assert parse_cents(text, signed=signed) == exact


@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=8).filter(any),
)
def test_split_gives_the_largest_remainders_their_cents(total: int, weights: list[int]) -> None:
    """The split against its definition written out plainly: floors, then one cent each to
    the largest remainders, ties to the earlier position (a negative total mirrored)."""
    magnitude = abs(total)
    floors = [magnitude * weight // sum(weights) for weight in weights]
    remainders = [magnitude * weight % sum(weights) for weight in weights]
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[: magnitude - sum(floors)]:
        floors[index] += 1
    expected = [part if total >= 0 else -part for part in floors]
    assert split_largest_remainder(total, weights) == expected
