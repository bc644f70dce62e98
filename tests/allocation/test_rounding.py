"""Rounding to cents, the max-flow under it, the class split and the integer re-check."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from netfund.allocation import AllocationProblem, FunderSupply, Request, allocation_violations
from netfund.allocation.checks import require_valid_allocation
from netfund.allocation.classes import group_funders, split_to_members
from netfund.allocation.rounding import cents as rounding_module
from netfund.allocation.rounding.cents import round_to_cents
from netfund.allocation.rounding.exact import exact_rounding
from netfund.allocation.rounding.maxflow import UNBOUNDED, BoundedFlow
from netfund.ledger.model.errors import InvariantViolation

CAP = Fraction(15, 100)


def test_controlled_rounding_keeps_a_group_at_its_maximum_where_naive_rounding_breaks_it():
    # Four funders give 25.5 cents each to a group whose maximum is 102 cents: rounding each
    # half up gives 104. The controlled rounding keeps the sum at exactly 102.
    problem = AllocationProblem(
        funders=tuple(FunderSupply(f"F{i}", 100) for i in range(4)),
        requests=(Request("G", 0, 102, Decimal(1)),),
        overhead_cap=CAP,
    )
    lp = {(f, 0): 25.5 for f in range(4)}
    assert sum(round(value + 1e-9) for value in lp.values()) == 104  # the naive way
    cents = round_to_cents(problem, lp)
    assert sum(cents.values()) == 102
    assert sorted(cents.values()) == [25, 25, 26, 26]


def test_rows_and_columns_land_on_a_floor_or_ceiling_of_their_sums():
    problem = AllocationProblem(
        funders=(FunderSupply("A", 1000), FunderSupply("B", 1000), FunderSupply("C", 1000)),
        requests=tuple(Request(g, 0, 1000, Decimal(1)) for g in ("X", "Y", "Z")),
        overhead_cap=CAP,
    )
    lp = {
        (0, 0): 10.3, (0, 1): 20.3, (0, 2): 30.4,
        (1, 0): 11.6, (1, 1): 21.6, (1, 2): 31.8,
        (2, 0): 12.7, (2, 1): 22.2, (2, 2): 32.1,
    }  # fmt: skip
    cents = round_to_cents(problem, lp)
    for pair, value in lp.items():
        assert cents[pair] in (math.floor(value), math.ceil(value))
    for index in range(3):
        row = sum(value for (f, _), value in lp.items() if f == index)
        column = sum(value for (_, g), value in lp.items() if g == index)
        assert sum(c for (f, _), c in cents.items() if f == index) in (
            math.floor(row),
            math.ceil(row),
        )
        assert sum(c for (_, g), c in cents.items() if g == index) in (
            math.floor(column),
            math.ceil(column),
        )


def test_network_cap_survives_rounding_where_rounding_up_overhead_would_break_it():
    # One funder spends all its 100 cents: 15.5 overhead, 84.5 other, exactly at a 15.5% cap.
    # The row must sum to 100, so the choice is (15, 85) or (16, 84); a free rounding may take
    # the second (it does, with the cap corners switched off), which breaks 1000 * 16 <= 155 *
    # 100. The cap-safe corner takes the first. (Requests are sorted: index 0 is G1-O.)
    problem = AllocationProblem(
        funders=(FunderSupply("A", 100),),
        requests=(Request("G1-O", 0, 100, Decimal(1), True), Request("G2-N", 0, 100, Decimal(1))),
        overhead_cap=Fraction(155, 1000),
    )
    assert round_to_cents(problem, {(0, 0): 15.5, (0, 1): 84.5}) == {(0, 0): 15, (0, 1): 85}


def test_funder_cap_survives_rounding():
    # Funder A's own cap is 10%: 5.5 overhead of 55 is exactly at it; rounding 5.5 up alone
    # would break it, so either the overhead goes down or the other money up.
    problem = AllocationProblem(
        funders=(FunderSupply("A", 55, overhead_cap=Fraction(1, 10)), FunderSupply("B", 100)),
        requests=(Request("G1-O", 0, 100, Decimal(1), True), Request("G2-N", 0, 100, Decimal(1))),
        overhead_cap=Fraction(1, 2),
    )
    lp = {(0, 0): 5.5, (0, 1): 49.5, (1, 0): 0.0, (1, 1): 10.0}
    cents = round_to_cents(problem, lp)
    assert 10 * cents[0, 0] <= cents[0, 0] + cents[0, 1]
    assert cents[0, 0] + cents[0, 1] <= 55


def test_two_binding_funder_caps_that_no_floor_or_ceiling_rounding_can_keep():
    # Each row sums to a whole number, so each funder rounds exactly one value up; the overhead
    # group O rounds two up, the other group N one. A and B are exactly at their own caps, so
    # both must round O down and N up: impossible with one N up. The repair trades a cent with
    # the uncapped C across O and N (C ends 1.46 cents from its LP value), keeping every total.
    problem = AllocationProblem(
        funders=(
            FunderSupply("A", 47, overhead_cap=Fraction(867, 4700)),
            FunderSupply("B", 16, overhead_cap=Fraction(179, 1600)),
            FunderSupply("C", 29),
        ),
        requests=(Request("G1-O", 24, 24, Decimal(1), True), Request("G2-N", 68, 68, Decimal(1))),
        overhead_cap=Fraction(1, 2),
    )
    lp = {(0, 0): 8.67, (0, 1): 38.33, (1, 0): 1.79, (1, 1): 14.21, (2, 0): 13.54, (2, 1): 15.46}
    cents = round_to_cents(problem, lp)
    assert allocation_violations(problem, {
        (problem.funders[f].code, problem.requests[g].group): c for (f, g), c in cents.items()
    }) == []  # fmt: skip
    assert cents[0, 0] == 8 and cents[1, 0] == 1 and cents[2, 0] == 15


def _two_binding_caps() -> tuple[AllocationProblem, dict[tuple[int, int], float]]:
    problem = AllocationProblem(
        funders=(
            FunderSupply("A", 47, overhead_cap=Fraction(867, 4700)),
            FunderSupply("B", 16, overhead_cap=Fraction(179, 1600)),
            FunderSupply("C", 29),
        ),
        requests=(Request("G1-O", 24, 24, Decimal(1), True), Request("G2-N", 68, 68, Decimal(1))),
        overhead_cap=Fraction(1, 2),
    )
    lp = {(0, 0): 8.67, (0, 1): 38.33, (1, 0): 1.79, (1, 1): 14.21, (2, 0): 13.54, (2, 1): 15.46}
    return problem, lp


def _by_code(problem: AllocationProblem, cents: dict[tuple[int, int], int]):
    return {(problem.funders[f].code, problem.requests[g].group): c for (f, g), c in cents.items()}


def test_exact_integer_fallback_keeps_every_constraint():
    problem, lp = _two_binding_caps()
    cents = exact_rounding(problem, lp)
    assert allocation_violations(problem, _by_code(problem, cents)) == []
    assert all(abs(cents[pair] - value) <= 2 for pair, value in lp.items())


def test_rounding_falls_back_to_the_exact_program_when_the_repair_is_stuck(monkeypatch):
    problem, lp = _two_binding_caps()

    def stuck(self: object) -> None:
        raise rounding_module._Stuck("no single move fixes it")

    monkeypatch.setattr(rounding_module._Repair, "run", stuck)
    cents = round_to_cents(problem, lp)
    assert allocation_violations(problem, _by_code(problem, cents)) == []


def test_an_lp_value_far_outside_a_bound_is_an_invariant_violation():
    problem = AllocationProblem(
        funders=(FunderSupply("A", 100),),
        requests=(Request("G", 0, 50, Decimal(1)),),
        overhead_cap=CAP,
    )
    with pytest.raises(InvariantViolation, match="G's bounds"):
        round_to_cents(problem, {(0, 0): 60.0})
    with pytest.raises(InvariantViolation, match="negative"):
        round_to_cents(problem, {(0, 0): -3.0})


def test_bounded_flow_finds_an_integral_flow_within_bounds():
    # source 0 → 1 → 3 (sink) and 0 → 2 → 3, each middle edge at least 2, total at most 5.
    flow = BoundedFlow(4)
    flow.add_edge(3, 0, 0, 5)
    upper = flow.add_edge(0, 1, 2, UNBOUNDED)
    lower = flow.add_edge(0, 2, 2, UNBOUNDED)
    flow.add_edge(1, 3, 0, 3)
    flow.add_edge(2, 3, 0, 1)
    assert flow.feasible_flow() is None  # 0 → 2 needs 2, but 2 → 3 takes only 1
    flow.highs[-1] = 2
    values = flow.feasible_flow()
    assert values is not None
    assert values[upper] >= 2 and values[lower] >= 2
    assert values[0] == values[upper] + values[lower] <= 5


def test_class_split_keeps_group_totals_and_each_members_money():
    problem = AllocationProblem(
        funders=(FunderSupply("A", 333), FunderSupply("B", 333), FunderSupply("C", 334)),
        requests=tuple(Request(f"G{g}", 0, 1000, Decimal(1)) for g in range(7)),
        overhead_cap=CAP,
    )
    classes = group_funders(problem)
    assert classes.members == ((0, 1, 2),)
    class_cents = {(0, g): cents for g, cents in enumerate([1, 2, 3, 100, 333, 59, 501])}
    split = split_to_members(classes, class_cents)
    for g, cents in enumerate([1, 2, 3, 100, 333, 59, 501]):
        parts = [split.get((f, g), 0) for f in range(3)]
        assert sum(parts) == cents
        for f, part in enumerate(parts):
            exact = Fraction(cents * problem.funders[f].available_cents, 1000)
            assert part in (math.floor(exact), math.ceil(exact))
    for f in range(3):
        assert sum(c for (m, _), c in split.items() if m == f) <= problem.funders[f].available_cents


def test_class_split_hands_over_cents_when_a_member_would_exceed_its_money():
    # All 10 cents of the class are allocated; each member must end at exactly its money.
    problem = AllocationProblem(
        funders=(FunderSupply("A", 3), FunderSupply("B", 3), FunderSupply("C", 4)),
        requests=tuple(Request(f"G{g}", 0, 10, Decimal(1)) for g in range(10)),
        overhead_cap=CAP,
    )
    classes = group_funders(problem)
    split = split_to_members(classes, {(0, g): 1 for g in range(10)})
    totals = [sum(c for (m, _), c in split.items() if m == f) for f in range(3)]
    assert totals == [3, 3, 4]


def test_capped_and_earmarked_funders_are_not_merged():
    groups = frozenset({"X"})
    problem = AllocationProblem(
        funders=(
            FunderSupply("A", 10),
            FunderSupply("B", 10, overhead_cap=Fraction(1, 10)),
            FunderSupply("C", 10, overhead_cap=Fraction(1, 10)),
            FunderSupply("D", 10, eligible_groups=groups),
            FunderSupply("E", 10, eligible_groups=frozenset({"X", "Y", "Z"})),
        ),
        requests=(Request("X", 0, 10, Decimal(1)), Request("Y", 0, 10, Decimal(1))),
        overhead_cap=CAP,
    )
    classes = group_funders(problem)
    # E's earmark covers every requested group: it is as free as A.
    assert sorted(classes.members) == [(0, 4), (1,), (2,), (3,)]
    assert classes.reduced.funder("A").available_cents == 20


def _checked_problem() -> AllocationProblem:
    return AllocationProblem(
        funders=(
            FunderSupply("GEM", 1000),
            FunderSupply("ZONMW", 500, frozenset({"WG"}), Fraction(1, 10)),
        ),
        requests=(Request("WG", 100, 900, Decimal(1)), Request("PB", 0, 200, Decimal(1), True)),
        overhead_cap=CAP,
    )


def test_integer_check_accepts_a_valid_allocation():
    assert allocation_violations(_checked_problem(), {("GEM", "WG"): 850, ("GEM", "PB"): 150}) == []


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ({("GEM", "WG"): 1001}, "GEM: allocated EUR 10.01 but only EUR 10.00 is available"),
        ({("GEM", "WG"): 99}, "WG: total EUR 0.99 is outside EUR 1.00..EUR 9.00"),
        ({("GEM", "WG"): 901}, "WG: total EUR 9.01 is outside EUR 1.00..EUR 9.00"),
        ({("ZONMW", "PB"): 1, ("GEM", "WG"): 500}, "the earmark of ZONMW excludes PB"),
        ({("GEM", "WG"): 100, ("GEM", "PB"): 18}, "network: overhead EUR 0.18 of EUR 1.18"),
        ({("NOBODY", "WG"): 100}, "NOBODY → WG: unknown funder"),
        ({("GEM", "XX"): 100, ("GEM", "WG"): 100}, "the plan has no request for this group"),
        ({("GEM", "WG"): -5}, "negative amount"),
        ({("GEM", "WG"): 100.0}, "is not whole cents"),
    ],
)
def test_integer_check_names_each_broken_constraint(amounts, expected):
    problem = _checked_problem()
    violations = allocation_violations(problem, amounts)
    assert any(expected in violation for violation in violations), violations
    with pytest.raises(InvariantViolation) as caught:
        require_valid_allocation(problem, amounts)
    assert caught.value.exit_code == 1


def test_integer_check_applies_a_funders_cap_with_its_earlier_allocations():
    problem = AllocationProblem(
        funders=(FunderSupply("Z", 1000, None, Fraction(1, 10), 900, 90),),
        requests=(Request("WG", 0, 900, Decimal(1)), Request("PB", 0, 200, Decimal(1), True)),
        overhead_cap=Fraction(1),
    )
    # 90 + 10 overhead of 900 + 100 + 0 is exactly 10%; one more overhead cent breaks it.
    assert allocation_violations(problem, {("Z", "PB"): 10, ("Z", "WG"): 90}) == []
    violations = allocation_violations(problem, {("Z", "PB"): 11, ("Z", "WG"): 89})
    assert violations == ["Z: overhead EUR 1.01 of EUR 10.00 exceeds its own cap of 10%"]
