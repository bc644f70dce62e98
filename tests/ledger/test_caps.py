"""The overhead cap, decided in integers: at the cap is within, a cent more is over, whatever
the cap's type (the network's `Decimal` or allocation's `Fraction`)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.ledger import cap_excess, cap_fraction, cents_over_cap, over_cap, room_under_cap

CENTS = st.integers(0, 10**16)
#: Caps as network.toml holds them: 0 to 1 with at most four decimals.
DECIMAL_CAPS = st.integers(0, 10_000).map(lambda n: Decimal(n).scaleb(-4))


@pytest.mark.parametrize("cap", [Decimal("0.15"), Fraction(3, 20)])
def test_exactly_at_the_cap_is_within_and_a_cent_more_is_over(cap: Decimal | Fraction) -> None:
    assert cap_excess(15_000_00, 100_000_00, cap) == 0
    assert not over_cap(15_000_00, 100_000_00, cap)
    assert cents_over_cap(15_000_00, 100_000_00, cap) == 0
    assert room_under_cap(15_000_00, 100_000_00, cap) == 0
    assert over_cap(15_000_01, 100_000_00, cap)
    assert cents_over_cap(15_000_01, 100_000_00, cap) == 1
    assert room_under_cap(15_000_01, 100_000_00, cap) == -2  # floor(-1 / 0.85)


def test_a_part_of_a_cent_under_the_cap_counts() -> None:
    # 15% of 101 cents is 15.15 cents: 15 fit, 16 are over by a part of a cent (one cent).
    assert not over_cap(15, 101, Decimal("0.15"))
    assert over_cap(16, 101, Decimal("0.15"))
    assert cents_over_cap(16, 101, Decimal("0.15")) == 1
    assert room_under_cap(15, 101, Decimal("0.15")) == 0


def test_nothing_of_nothing_is_within_every_cap() -> None:
    for cap in (Decimal(0), Decimal("0.15"), Decimal(1)):
        assert not over_cap(0, 0, cap)
        assert cents_over_cap(0, 0, cap) == 0
    assert over_cap(1, 0, Decimal("0.15"))


def test_a_zero_cap_allows_no_overhead_and_a_full_cap_all_of_it() -> None:
    assert not over_cap(0, 100, Fraction(0))
    assert over_cap(1, 100, Fraction(0))
    assert room_under_cap(0, 100, Fraction(0)) == 0
    assert not over_cap(100, 100, Fraction(1))
    assert not over_cap(100, 100, Decimal("1.0000"))
    assert cents_over_cap(100, 100, Fraction(1)) == 0
    assert room_under_cap(100, 100, Fraction(1)) is None  # no limit


@given(overhead=CENTS, total=CENTS, cap=DECIMAL_CAPS)
def test_decimal_and_fraction_caps_agree(overhead: int, total: int, cap: Decimal) -> None:
    exact = Fraction(cap)
    assert cap_fraction(cap) == exact
    for function in (cap_excess, over_cap, cents_over_cap, room_under_cap):
        assert function(overhead, total, cap) == function(overhead, total, exact)
    assert over_cap(overhead, total, cap) == (overhead > exact * total)


@given(overhead=CENTS, total=CENTS, cap=DECIMAL_CAPS)
def test_the_room_is_exactly_what_still_fits(overhead: int, total: int, cap: Decimal) -> None:
    room = room_under_cap(overhead, total, cap)
    if room is None:
        assert cap == 1
        return
    if room < 0:  # already over: nothing fits
        assert over_cap(overhead, total, cap)
        return
    assert not over_cap(overhead + room, total + room, cap)
    assert over_cap(overhead + room + 1, total + room + 1, cap)


@given(overhead=CENTS, total=CENTS, cap=DECIMAL_CAPS)
def test_the_cents_over_are_what_must_go(overhead: int, total: int, cap: Decimal) -> None:
    over = cents_over_cap(overhead, total, cap)
    assert (over > 0) == over_cap(overhead, total, cap)
    if over > 0:
        assert not over_cap(overhead - over, total, cap)
        assert over_cap(overhead - over + 1, total, cap)


@pytest.mark.parametrize("cap", [0.15, 1, True, "0.15", Decimal("NaN"), None])
def test_a_cap_is_a_fraction_or_a_decimal_never_a_float(cap: object) -> None:
    with pytest.raises(TypeError):
        over_cap(15, 100, cap)  # type: ignore[arg-type]


@pytest.mark.parametrize("cap", [Decimal("-0.01"), Decimal("1.0001"), Fraction(3, 2)])
def test_a_cap_is_between_0_and_1(cap: Decimal | Fraction) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        cap_fraction(cap)


@pytest.mark.parametrize(("overhead", "total"), [(15.0, 100), (15, 100.0), (True, 100)])
def test_amounts_against_a_cap_are_integer_cents(overhead: object, total: object) -> None:
    with pytest.raises(TypeError, match="integer cents"):
        over_cap(overhead, total, Decimal("0.15"))  # type: ignore[arg-type]
