"""The allocation referee: an independent LP of the README's allocation model, and random plans.

Shared by `tests/allocation/test_oracle.py` (Hypothesis drives `random_plan`) and
`benchmarks/allocation_referee.py` (the failure rate on a fixed set of seeded plans).

The referee is written from the allocation model in the README, not from the engine's code:
one column per allowed pair ``x[f,g]`` in euros (no group totals, no funder classes, no PuLP),
the fill ratio as a column ``u`` in euros of the widest request (``t = u / R``), so one euro
moved to the worst-filled group changes the objective by at least one unit whatever the size
of the plan. Each stage is solved by ``scipy.optimize.linprog`` twice, with the dual simplex and
with the interior-point method, and the two must agree before the referee's answer is used.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from netfund.allocation import (
    AllocationProblem,
    AllocationResult,
    FunderSupply,
    Request,
    solve_allocation,
)
from netfund.allocation.errors import InfeasibleError
from scipy.optimize import linprog
from scipy.sparse import csr_array

#: The referee's own hold on the fill column between its two stages (euros at the widest range).
REFEREE_HOLD_EUROS = 1e-6
#: How far the dual simplex and the interior-point answers may differ (objective units).
METHODS_AGREE = 1e-3


@dataclass(frozen=True)
class Referee:
    """The referee's optima: the smallest fill ratio (proportional) and the priority value."""

    fill_ratio: float | None
    priority: float


def referee(problem: AllocationProblem) -> Referee | None:
    """Solve ``problem`` independently; None when the plan is infeasible."""
    funders, requests = problem.funders, problem.requests
    pairs = [
        (f, g)
        for f, funder in enumerate(funders)
        for g, request in enumerate(requests)
        if funder.may_fund(request.group)
    ]
    ranged = [g for g, request in enumerate(requests) if request.range_cents > 0]
    proportional = problem.objective == "proportional" and bool(ranged)
    widest = max((requests[g].range_cents for g in ranged), default=0) / 100
    columns = len(pairs) + (1 if proportional else 0)
    u = len(pairs)  # the fill column, when there is one
    rows: list[dict[int, float]] = []
    limits: list[float] = []

    def row(coefficients: dict[int, float], limit: float) -> None:
        rows.append(coefficients)
        limits.append(limit)

    def cap_row(share: Fraction, mine: list[int], total: int, overhead: int) -> None:
        k_overhead, k_other = float(1 - share), -float(share)
        row(
            {c: k_overhead if requests[pairs[c][1]].overhead else k_other for c in mine},
            (float(share) * total - overhead) / 100,
        )

    for f, funder in enumerate(funders):
        mine = [c for c, pair in enumerate(pairs) if pair[0] == f]
        row(dict.fromkeys(mine, 1.0), funder.available_cents / 100)
        if funder.overhead_cap is not None:
            cap_row(
                funder.overhead_cap,
                mine,
                funder.already_allocated_cents,
                funder.already_allocated_overhead_cents,
            )
    for g, request in enumerate(requests):
        mine = [c for c, pair in enumerate(pairs) if pair[1] == g]
        row(dict.fromkeys(mine, 1.0), request.max_cents / 100)
        row(dict.fromkeys(mine, -1.0), -request.min_cents / 100)
        if proportional and request.range_cents > 0:
            fill = dict.fromkeys(mine, -1.0)
            fill[u] = request.range_cents / 100 / widest
            row(fill, -request.min_cents / 100)
    cap_row(
        problem.overhead_cap,
        list(range(len(pairs))),
        problem.already_allocated_cents,
        problem.already_allocated_overhead_cents,
    )
    bounds = [(0.0, None)] * len(pairs) + ([(0.0, widest)] if proportional else [])

    def solve(cost: np.ndarray) -> float | None:
        matrix = _sparse(rows, columns)
        answers = [
            linprog(cost, A_ub=matrix, b_ub=np.array(limits), bounds=bounds, method=method)
            for method in ("highs-ds", "highs-ipm")
        ]
        simplex, interior = answers
        if simplex.status == 2:  # infeasible; the interior-point method must not find a point
            assert interior.status in (2, 4), interior.message  # 4: it gave up, as it may then
            return None
        assert simplex.status == 0 and interior.status == 0, (simplex.message, interior.message)
        first, second = (-float(answer.fun) for answer in answers)
        assert abs(first - second) <= METHODS_AGREE * max(1.0, abs(first) * 1e-9), (first, second)
        return first

    fill_ratio = None
    if proportional:
        cost = np.zeros(columns)
        cost[u] = -1.0
        best = solve(cost)
        if best is None:
            return None
        fill_ratio = best / widest
        row({u: -1.0}, -(best - REFEREE_HOLD_EUROS))
    cost = np.zeros(columns)
    for c, (_, g) in enumerate(pairs):
        cost[c] = -float(requests[g].weight)
    priority = solve(cost)
    if priority is None:
        return None
    return Referee(fill_ratio, priority)


def _sparse(rows: list[dict[int, float]], columns: int) -> csr_array:
    data, indices, starts = [], [], [0]
    for coefficients in rows:
        for column, value in sorted(coefficients.items()):
            indices.append(column)
            data.append(value)
        starts.append(len(indices))
    return csr_array(
        (np.array(data, dtype=float), np.array(indices, dtype=np.int64), np.array(starts)),
        shape=(len(rows), columns),
    )


def integer_violations(problem: AllocationProblem, result: AllocationResult) -> list[str]:
    """Every constraint of the plan in integer cents, written out for this referee."""
    broken = []
    amounts = {(a.funder, a.group): a.amount_cents for a in result.allocations}
    overhead_groups = {r.group for r in problem.requests if r.overhead}

    def over_cap(share: Fraction, total: int, overhead: int) -> bool:
        return share.denominator * overhead > share.numerator * total

    for (code, group), cents in amounts.items():
        if cents <= 0 or not problem.funder(code).may_fund(group):
            broken.append(f"{code}->{group}: {cents}")
    for funder in problem.funders:
        mine = {g: c for (f, g), c in amounts.items() if f == funder.code}
        if sum(mine.values()) > funder.available_cents:
            broken.append(f"{funder.code} over its available money")
        if funder.overhead_cap is not None and over_cap(
            funder.overhead_cap,
            funder.already_allocated_cents + sum(mine.values()),
            funder.already_allocated_overhead_cents
            + sum(c for g, c in mine.items() if g in overhead_groups),
        ):
            broken.append(f"{funder.code}'s own cap")
    for request in problem.requests:
        total = sum(c for (_, g), c in amounts.items() if g == request.group)
        if not request.min_cents <= total <= request.max_cents:
            broken.append(f"{request.group} outside its request")
    if over_cap(
        problem.overhead_cap,
        problem.already_allocated_cents + sum(amounts.values()),
        problem.already_allocated_overhead_cents
        + sum(c for (_, g), c in amounts.items() if g in overhead_groups),
    ):
        broken.append("the network cap")
    return broken


def assert_matches_referee(problem: AllocationProblem) -> AllocationResult | None:
    """Solve with the engine and with the referee; assert they agree; the engine's result."""
    answer = referee(problem)
    try:
        result = solve_allocation(problem)
    except InfeasibleError:
        assert answer is None, "the engine calls a plan infeasible that the referee solves"
        return None
    assert answer is not None, "the engine solved a plan the referee finds infeasible"
    assert integer_violations(problem, result) == []
    eligible = {
        r.group: sum(1 for f in problem.funders if f.may_fund(r.group)) for r in problem.requests
    }
    if answer.fill_ratio is not None:
        for request in problem.requests:
            if request.range_cents == 0:
                continue
            floor = request.min_cents + answer.fill_ratio * request.range_cents
            got = result.group_total_cents(request.group)
            # a cent per funder of rounding, and the referee's own hold of 1e-6 euros
            assert got >= floor - eligible[request.group] - 1e-4, (
                f"{request.group} filled to {got} cents, the optimum fill gives {floor:.2f}"
            )
    top_weight = max((r.weight for r in problem.requests), default=Decimal(0))
    cents = sum(eligible.values())
    bound = Decimal("0.01") * top_weight * cents + Decimal(abs(answer.priority)) * Decimal("1e-9")
    difference = abs(result.priority_value - Decimal(answer.priority))
    assert difference <= bound + Decimal("1e-6"), (
        f"priority {result.priority_value} against the referee's {answer.priority:.6f}"
    )
    return result


WEIGHTS = ("0", "0.5", "1", "1", "2", "3", "7.25", "10")


def random_plan(rng: random.Random, objective: str) -> AllocationProblem:
    """3-8 funders, 4-15 requests with ranges from EUR 100 to EUR 50,000,000 (log-uniform),
    earmarks, own caps and money already allocated earlier in the period."""
    groups = [f"G{index:02d}" for index in range(rng.randint(4, 15))]
    requests = []
    for group in groups:
        maximum = int(10 ** rng.uniform(4, 9.699))  # 10^4 cents = EUR 100; 5 * 10^9 = EUR 50M
        minimum = 0 if rng.random() < 0.5 else rng.randint(0, maximum // 4)
        weight = Decimal(rng.choice(WEIGHTS))
        requests.append(Request(group, minimum, maximum, weight, rng.random() < 0.25))
    funders = []
    for index in range(rng.randint(3, 8)):
        available = int(10 ** rng.uniform(4, 9.9))
        eligible = None
        if rng.random() < 1 / 3:
            eligible = frozenset(rng.sample(groups, rng.randint(1, len(groups))))
        cap = Fraction(rng.randint(5, 30), 100) if rng.random() < 1 / 3 else None
        prior = rng.randint(0, available // 2) if rng.random() < 0.5 else 0
        prior_overhead = rng.randint(0, prior // 10)
        funders.append(FunderSupply(f"F{index}", available, eligible, cap, prior, prior_overhead))
    return AllocationProblem(
        tuple(funders),
        tuple(requests),
        Fraction(rng.randint(5, 30), 100),
        objective,  # type: ignore[arg-type]
        sum(f.already_allocated_cents for f in funders),
        sum(f.already_allocated_overhead_cents for f in funders),
    )


def smallest_case() -> AllocationProblem:
    """Issue 13's smallest case: one funder with EUR 10M, no earmark, no own cap, network cap
    15%, `proportional`; WG-A 0-10M and ST-B (overhead) 0-20M. The optimum fills both 7.5%:
    ST-B EUR 1,500,000.00, WG-A EUR 8,500,000.00."""
    return AllocationProblem(
        (FunderSupply("F", 1_000_000_000),),
        (
            Request("WG-A", 0, 1_000_000_000, Decimal(1)),
            Request("ST-B", 0, 2_000_000_000, Decimal(1), overhead=True),
        ),
        Fraction(15, 100),
        "proportional",
    )
