"""Properties on random plans, checked independently of the engine's own code.

Every check is written out again, apart from the engine: the integer constraints (in
tests/support/allocation_referee.py, shared with the referee test), the totals, the
bound on the rounding's effect on the objective, determinism, and a reference LP built from
plain matrices and solved with ``scipy.optimize.linprog(method="highs")``.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from netfund.allocation import (
    AllocationProblem,
    AllocationResult,
    FunderSupply,
    Request,
    solve_allocation,
)
from netfund.allocation.errors import InfeasibleError
from scipy.optimize import linprog

from tests.support.allocation_referee import integer_violations

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@st.composite
def problems(draw: st.DrawFn, objective: str | None = None) -> AllocationProblem:
    group_count = draw(st.integers(1, 6))
    groups = [f"G{index}" for index in range(group_count)]
    requests = []
    for group in groups:
        maximum = draw(st.integers(1, 300_000))
        minimum = draw(st.integers(0, maximum // 3)) if draw(st.booleans()) else 0
        weight = Decimal(draw(st.integers(0, 12))) / 2
        overhead = draw(st.integers(0, 3)) == 0
        requests.append(Request(group, minimum, maximum, weight, overhead))
    funder_count = draw(st.integers(1, 4))
    funders = []
    for index in range(funder_count):
        available = draw(st.integers(0, 400_000))
        eligible = None
        if draw(st.booleans()):
            eligible = frozenset(draw(st.lists(st.sampled_from(groups), unique=True)))
        cap = Fraction(draw(st.integers(5, 60)), 100) if draw(st.integers(0, 2)) == 0 else None
        prior = draw(st.integers(0, 100_000)) if cap is not None else 0
        prior_overhead = draw(st.integers(0, prior // 8))
        funders.append(FunderSupply(f"F{index}", available, eligible, cap, prior, prior_overhead))
    prior_total = draw(st.integers(0, 200_000))
    return AllocationProblem(
        tuple(funders),
        tuple(requests),
        Fraction(draw(st.integers(10, 40)), 100),
        objective or draw(st.sampled_from(["priority", "proportional"])),
        prior_total,
        draw(st.integers(0, prior_total // 8)),
    )


def solved(problem: AllocationProblem) -> AllocationResult:
    try:
        return solve_allocation(problem)
    except InfeasibleError as error:
        assert error.diagnosis  # never a bare "infeasible"
        assume(False)
        raise


def pair_count(problem: AllocationProblem, group: str) -> int:
    return sum(1 for f in problem.funders if f.may_fund(group))


@SETTINGS
@given(problems())
def test_rounded_allocation_keeps_every_constraint_in_integer_cents(problem):
    result = solved(problem)
    assert integer_violations(problem, result) == []


@SETTINGS
@given(problems())
def test_totals_agree_and_the_objective_moves_at_most_a_cent_per_variable(problem):
    result = solved(problem)
    total = sum(item.amount_cents for item in result.allocations)
    assert (
        total == sum(c for _, c in result.group_totals) == sum(c for _, c in result.funder_totals)
    )
    assert total == result.total_cents
    exact = sum(
        (r.weight * Decimal(result.group_total_cents(r.group)) / 100 for r in problem.requests),
        Decimal(0),
    )
    assert result.priority_value == exact
    # One cent (0.01 * weight) per variable x[f,g], plus the float noise of the LP optimum.
    bound = sum(Decimal("0.01") * r.weight * pair_count(problem, r.group) for r in problem.requests)
    slack = Decimal(abs(result.lp_priority_value)) * Decimal("1e-9") + Decimal("1e-6")
    assert abs(result.priority_value - Decimal(result.lp_priority_value)) <= bound + slack
    if problem.objective == "proportional" and result.lp_fill_ratio is not None:
        assert result.fill_ratio_min is not None
        loss = max(
            Fraction(pair_count(problem, r.group), r.range_cents)
            for r in problem.requests
            if r.range_cents > 0
        )
        assert result.fill_ratio_min >= Fraction(result.lp_fill_ratio) - loss - Fraction(1, 10**9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(problems(), st.randoms(use_true_random=False))
def test_solving_twice_in_any_input_order_gives_identical_bytes(problem, rng):
    first = solved(problem)
    funders, requests = list(problem.funders), list(problem.requests)
    rng.shuffle(funders)
    rng.shuffle(requests)
    shuffled = AllocationProblem(
        tuple(funders),
        tuple(requests),
        problem.overhead_cap,
        problem.objective,
        problem.already_allocated_cents,
        problem.already_allocated_overhead_cents,
    )
    text = json.dumps(first.to_dict(), sort_keys=True, separators=(",", ":"))
    assert json.dumps(
        solve_allocation(problem).to_dict(), sort_keys=True, separators=(",", ":")
    ) == (text)
    assert json.dumps(
        solve_allocation(shuffled).to_dict(), sort_keys=True, separators=(",", ":")
    ) == (text)


def reference_optimum(problem: AllocationProblem) -> float | None:
    """The priority LP from plain matrices, in euros: x[f,g] per allowed pair, no group
    totals, no classes, no PuLP. None when linprog finds it infeasible."""
    pairs = [
        (f, g)
        for f, funder in enumerate(problem.funders)
        for g, request in enumerate(problem.requests)
        if funder.eligible_groups is None or request.group in funder.eligible_groups
    ]
    # A cap already broken by earlier allocations, with no variable to dilute it, cannot hold.
    constant_rows = [(problem.overhead_cap, problem.already_allocated_cents,
                      problem.already_allocated_overhead_cents, True)] + [
        (f.overhead_cap, f.already_allocated_cents, f.already_allocated_overhead_cents,
         any(p[0] == index for p in pairs))
        for index, f in enumerate(problem.funders)
        if f.overhead_cap is not None
    ]  # fmt: skip
    for cap_share, total, overhead, has_columns in constant_rows:
        if cap_share * total < overhead and not (has_columns and pairs):
            return None
    if not pairs:
        return 0.0 if all(r.min_cents == 0 for r in problem.requests) else None
    column = {pair: index for index, pair in enumerate(pairs)}
    cost = np.array([-float(problem.requests[g].weight) for _, g in pairs])
    rows: list[np.ndarray] = []
    limits: list[float] = []

    def add(coefficients: dict[int, float], limit: float) -> None:
        row = np.zeros(len(pairs))
        for index, value in coefficients.items():
            row[index] = value
        rows.append(row)
        limits.append(limit)

    for f, funder in enumerate(problem.funders):
        mine = [column[p] for p in pairs if p[0] == f]
        if mine:
            add(dict.fromkeys(mine, 1.0), funder.available_cents / 100)
        if funder.overhead_cap is not None and mine:
            cap = float(funder.overhead_cap)
            add(
                {
                    column[p]: (1 - cap) if problem.requests[p[1]].overhead else -cap
                    for p in pairs
                    if p[0] == f
                },
                (cap * funder.already_allocated_cents - funder.already_allocated_overhead_cents)
                / 100,
            )
    for g, request in enumerate(problem.requests):
        mine = [column[p] for p in pairs if p[1] == g]
        if not mine:
            if request.min_cents > 0:
                return None
            continue
        add(dict.fromkeys(mine, 1.0), request.max_cents / 100)
        add(dict.fromkeys(mine, -1.0), -request.min_cents / 100)
    cap = float(problem.overhead_cap)
    add(
        {column[p]: (1 - cap) if problem.requests[p[1]].overhead else -cap for p in pairs},
        (cap * problem.already_allocated_cents - problem.already_allocated_overhead_cents) / 100,
    )
    answer = linprog(cost, A_ub=np.array(rows), b_ub=np.array(limits), method="highs")
    if answer.status == 2:
        return None
    assert answer.status == 0, answer.message
    return -float(answer.fun)


@settings(max_examples=60, deadline=None)
@given(problems(objective="priority"))
def test_priority_optimum_matches_an_independent_scipy_linprog(problem):
    reference = reference_optimum(problem)
    try:
        result = solve_allocation(problem)
    except InfeasibleError:
        assert reference is None
        return
    assert reference is not None
    assert result.lp_priority_value == pytest.approx(reference, rel=1e-7, abs=1e-6)


def test_scipy_reference_on_a_larger_seeded_instance():
    rng = random.Random(11)
    groups = [f"G{index:02d}" for index in range(40)]
    problem = AllocationProblem(
        tuple(
            FunderSupply(
                f"F{index}",
                rng.randint(50_000, 2_000_000),
                None if index % 3 else frozenset(rng.sample(groups, 15)),
                Fraction(1, 10) if index == 4 else None,
            )
            for index in range(8)
        ),
        tuple(
            Request(
                group,
                rng.randint(0, 20_000),
                rng.randint(30_000, 900_000),
                Decimal(rng.randint(0, 9)),
                index % 5 == 0,
            )
            for index, group in enumerate(groups)
        ),
        Fraction(15, 100),
    )
    reference = reference_optimum(problem)
    result = solve_allocation(problem)
    assert reference is not None
    assert result.lp_priority_value == pytest.approx(reference, rel=1e-9)
    assert integer_violations(problem, result) == []
