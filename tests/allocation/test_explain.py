"""Shadow prices checked against finite differences, and the explanation built on them.

The known trap: in-process HiGHS solves a maximisation as the minimisation of the negated
objective, and PuLP hands back that problem's duals, so every price of a maximisation comes
with the wrong sign. Before trusting any price in words, each one here is compared with the
change of the LP optimum when its constraint is loosened by one euro and the plan re-solved.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pulp
import pytest
from netfund.allocation import (
    AllocationProblem,
    FunderSupply,
    Request,
    SolverSettings,
    explain,
    solve_allocation,
)
from netfund.allocation.solver import _cbc_path
from netfund.allocation.wording import format_share_against

from tests.support.allocation_referee import smallest_case

CAP = Fraction(15, 100)
SOLVERS = [
    "highs",
    pytest.param("cbc", marks=pytest.mark.skipif(_cbc_path() is None, reason="no cbc")),
]


def euros(amount: int) -> int:
    return amount * 100


def scarce_money() -> AllocationProblem:
    # GEM's money is scarce and goes to WG-WIJK (3 per euro); ZONMW may fund WG-BW only,
    # which is at its maximum (raising it would bring 5 per euro of ZONMW's spare money).
    return AllocationProblem(
        (
            FunderSupply("GEM", euros(1000)),
            FunderSupply("ZONMW", euros(500), frozenset({"WG-BW"})),
        ),
        (
            Request("WG-WIJK", 0, euros(5000), Decimal(3)),
            Request("WG-BW", 0, euros(400), Decimal(5)),
            Request("PB", 0, euros(100), Decimal(1), overhead=True),
        ),
        CAP,
    )


def binding_network_cap() -> AllocationProblem:
    # Earlier this period 1000 was allocated, 150 of it overhead (exactly 15%). PB (weight 5)
    # is held by the cap; WG is at its maximum. Money is plentiful.
    return AllocationProblem(
        (FunderSupply("GEM", euros(1000)),),
        (Request("WG", 0, euros(600), Decimal(1)), Request("PB", 0, euros(500), Decimal(5), True)),
        CAP,
        already_allocated_cents=euros(1000),
        already_allocated_overhead_cents=euros(150),
    )


def binding_funder_cap() -> AllocationProblem:
    # ZONMW alone may pay overhead, within its own 10% cap (earlier: 200 allocated, 20 overhead).
    return AllocationProblem(
        (
            FunderSupply("GEM", euros(1000), frozenset({"WG"})),
            FunderSupply("ZONMW", euros(1000), None, Fraction(1, 10), euros(200), euros(20)),
        ),
        (
            Request("WG", 0, euros(3000), Decimal(1)),
            Request("PB", 0, euros(1000), Decimal(5), True),
        ),
        CAP,
        already_allocated_cents=euros(200),
        already_allocated_overhead_cents=euros(20),
    )


def tolerance(solver: str) -> float:
    # CBC runs as a command and hands its solution back as text with about 8 significant
    # digits, so a difference of two of its optima is good to about 1e-5, not 1e-9.
    return 1e-6 if solver == "highs" else 1e-4


def optimum(problem: AllocationProblem, solver: str) -> float:
    return solve_allocation(problem, SolverSettings(solver)).lp_priority_value


def with_funder(problem: AllocationProblem, code: str, **changes: int) -> AllocationProblem:
    funders = tuple(
        dataclasses.replace(f, **changes) if f.code == code else f for f in problem.funders
    )
    return dataclasses.replace(problem, funders=funders)


def with_request(problem: AllocationProblem, group: str, **changes: int) -> AllocationProblem:
    requests = tuple(
        dataclasses.replace(r, **changes) if r.group == group else r for r in problem.requests
    )
    return dataclasses.replace(problem, requests=requests)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("make", [scarce_money, binding_network_cap, binding_funder_cap])
def test_availability_prices_match_one_more_euro(make, solver):
    problem = make()
    result = solve_allocation(problem, SolverSettings(solver))
    assert result.sensitivity is not None
    for code, price in result.sensitivity.availability:
        funder = problem.funder(code)
        looser = with_funder(problem, code, available_cents=funder.available_cents + 100)
        assert optimum(looser, solver) - result.lp_priority_value == pytest.approx(
            price, abs=tolerance(solver)
        )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("make", [scarce_money, binding_network_cap, binding_funder_cap])
def test_maximum_prices_match_one_more_euro_of_maximum(make, solver):
    problem = make()
    result = solve_allocation(problem, SolverSettings(solver))
    assert result.sensitivity is not None
    for group, price in result.sensitivity.group_bounds:
        request = problem.request(group)
        if result.group_total_cents(group) != request.max_cents:
            continue
        looser = with_request(problem, group, max_cents=request.max_cents + 100)
        assert optimum(looser, solver) - result.lp_priority_value == pytest.approx(
            price, abs=tolerance(solver)
        )


@pytest.mark.parametrize("solver", SOLVERS)
def test_network_cap_price_matches_one_more_euro_of_room(solver):
    problem = binding_network_cap()
    result = solve_allocation(problem, SolverSettings(solver))
    assert result.sensitivity is not None
    price = result.sensitivity.network_cap
    # One euro less of earlier overhead is one euro more of room under the cap.
    looser = dataclasses.replace(
        problem, already_allocated_overhead_cents=problem.already_allocated_overhead_cents - 100
    )
    assert optimum(looser, solver) - result.lp_priority_value == pytest.approx(
        price, abs=tolerance(solver)
    )
    assert price == pytest.approx(5 / 0.85)  # each euro of room lets PB grow by 1 / 0.85


@pytest.mark.parametrize("solver", SOLVERS)
def test_funder_cap_price_matches_one_more_euro_of_room(solver):
    problem = binding_funder_cap()
    result = solve_allocation(problem, SolverSettings(solver))
    assert result.sensitivity is not None
    ((code, price),) = result.sensitivity.funder_caps
    funder = problem.funder(code)
    looser = with_funder(
        problem,
        code,
        already_allocated_overhead_cents=funder.already_allocated_overhead_cents - 100,
    )
    assert optimum(looser, solver) - result.lp_priority_value == pytest.approx(
        price, abs=tolerance(solver)
    )
    assert price > 0


def test_highs_reports_the_duals_of_a_maximisation_with_the_sign_flipped():
    # The trap itself, shown on a one-row LP: max 3x s.t. x <= 10 has shadow price +3.
    prob = pulp.LpProblem("trap", pulp.LpMaximize)
    x = prob.add_variable("x", 0)
    prob.setObjective(pulp.LpAffineExpression([(x, 3.0)]))
    row = pulp.LpConstraint(pulp.LpAffineExpression([(x, 1.0)]), pulp.LpConstraintLE, "row", 10.0)
    prob.addConstraint(row, "row")
    prob.solve(pulp.HiGHS(msg=False, timeLimit=10))
    assert row.pi == pytest.approx(-3.0)
    assert SolverSettings("highs").dual_sign(pulp.LpMaximize) * row.pi == pytest.approx(3.0)


def test_explanation_names_the_funders_price_recipient_and_held_maximum():
    problem = scarce_money()
    lines = explain(problem, solve_allocation(problem))
    assert lines[0].startswith("objective priority: the allocation maximises the sum of weight")
    assert "one more euro from GEM would add 3.0 to the objective, going to WG-WIJK" in lines
    assert (
        "WG-BW is held at its maximum of EUR 400.00: one more euro of maximum would add 5.0 "
        "to the objective"
    ) in lines
    assert (
        "ZONMW has EUR 100.00 left unallocated: more money from ZONMW would not raise the "
        "objective (no group it may fund can use more of it)"
    ) in lines
    assert (
        "the overhead cap does not bind: overhead is 0% of the total allocated (cap 15%); "
        "EUR 247.05 more overhead would still fit under it"
    ) in lines
    assert "PB gets nothing: one more euro for PB would not raise the objective" in lines


def test_explanation_says_when_the_overhead_caps_bind():
    lines = explain(binding_network_cap(), solve_allocation(binding_network_cap()))
    assert any(
        line.startswith("the overhead cap binds: overhead is 14.9999% of the total allocated")
        and line.endswith("one more euro of room under the cap would add 5.8824 to the objective")
        for line in lines
    ), lines
    lines = explain(binding_funder_cap(), solve_allocation(binding_funder_cap()))
    assert any(
        line.startswith("ZONMW's own overhead cap binds: ZONMW's overhead is 10% of ZONMW's money")
        for line in lines
    ), lines
    # ZONMW's extra euro is split: a tenth to PB, the rest to WG.
    assert any(
        line.startswith("one more euro from ZONMW") and line.endswith("going to PB and WG")
        for line in lines
    ), lines


def test_proportional_explanation_states_the_held_fill_ratio():
    # C can reach only 10% (ZONMW's 100 of 1000): A and B keep at least 10% of the way; each
    # percentage point of fill ratio held costs 20 (10 euros moved from B, weight 3, to A).
    problem = AllocationProblem(
        (
            FunderSupply("GEM", euros(1000), frozenset({"A", "B"})),
            FunderSupply("ZONMW", euros(100), frozenset({"C"})),
        ),
        (
            Request("A", 0, euros(1000), Decimal(1)),
            Request("B", 0, euros(1000), Decimal(3)),
            Request("C", 0, euros(1000), Decimal(1)),
        ),
        CAP,
        "proportional",
    )
    lines = explain(problem, solve_allocation(problem))
    assert "filled at least 10% of the way" in lines[0]
    assert lines[0].endswith("holding the fill ratio costs 20.0 of that sum per percentage point")
    assert "one more euro from GEM would add 3.0 to the objective, going to B" in lines


def test_a_cap_that_is_tight_without_a_price_is_not_called_slack():
    """One funder, EUR 10M, proportional: the 15% cap is exactly full, but with the fill ratio
    held, one more euro of room would not change the result (issue 13)."""
    problem = smallest_case()
    lines = explain(problem, solve_allocation(problem))
    assert (
        "the overhead cap is tight without a price: overhead is exactly at the 15% cap (15% of "
        "the total allocated); one more euro of room would not change the result"
    ) in lines, lines
    assert not any("does not bind" in line for line in lines), lines
    assert "filled at least 7.5% of the way" in lines[0]


def test_a_share_just_below_the_cap_is_never_printed_as_the_cap():
    cap = Fraction(15, 100)
    assert format_share_against(Fraction(14_996, 100_000), cap) == "14.996%"
    assert format_share_against(Fraction(1_499_999_999, 10**10), cap) == "14.99999999%"
    assert format_share_against(cap, cap) == "15%"
    assert format_share_against(Fraction(3, 100), cap) == "3%"
    assert format_share_against(Fraction(151, 1000), cap) == "15.1%"
    # the binding cap of the explain example: 14.9999%, never "15%"
    lines = explain(binding_network_cap(), solve_allocation(binding_network_cap()))
    assert any("overhead is 14.9999% of the total allocated (cap 15%)" in line for line in lines)


def test_a_100_percent_cap_is_worded_as_no_limit():
    problem = dataclasses.replace(scarce_money(), overhead_cap=Fraction(1))
    lines = explain(problem, solve_allocation(problem))
    assert any(
        line.startswith("the overhead cap does not bind: overhead is")
        and line.endswith("(cap 100%: no limit)")
        for line in lines
    ), lines
