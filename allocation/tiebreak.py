"""Making the optimum unique: the same inputs must give the same allocation, byte for byte.

An allocation LP rarely has one optimum. Two groups of equal weight competing for the last
euros, or two funders that may both fund a group, leave a whole face of optimal solutions, and
solvers were seen to move tens of thousands of euros between groups at equal objective from one
run or version to the next. After the objective stages, with each stage's optimum held, two
tie-break stages pick one canonical point of that face:

1. **Group totals.** Maximise ``sum_g c_g * a_g`` with distinct coefficients ``c_g`` in
   ``(1, 2]``: at equal objective, money goes first to the requests with the narrowest range
   (``max - min``, so more requests are completed), then by group code. Distinct coefficients
   leave no ties between two groups, so the solver lands on one vertex.
2. **Spread over funders.** With each group's total fixed, spread it over its eligible funders
   as close as possible to shares proportional to their available money: minimise the weighted
   L1 deviation ``sum c_fg * |x_fg - target_fg|`` with ``x = target + over - under``.
   Targets are whole cents (largest-remainder split of the total), so wherever the
   proportional share is possible the LP keeps it exactly and few values are fractional for
   the rounding. The weights ``c_fg = 1 + (i_f + 1)(j_g + 1) / ((F + 1)(G + 1))`` are
   distinct and not a sum of a funder part and a group part, so moving money round a cycle of
   funders and groups never costs exactly zero and the L1 optimum has no ties either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pulp
from netfund.allocation import solver as solver_module
from netfund.allocation.model import (
    cap_coefficients,
    cap_room_euros,
    euros,
)
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.solver import SolverFailure, SolverSettings, SolveStatus
from netfund.ledger import split_largest_remainder

#: How far the spread stage may move a group total away from the tie-break stage's value
#: (euros), tried in turn while the stage is infeasible: the tie-break stage's point may lie up
#: to the solver's feasibility tolerance outside a cap row, and with the totals held too
#: tightly the spread then cannot satisfy that row (found by the referee test: a network cap
#: met exactly by a total of EUR 2,745.5696...). All are far below half a cent.
TOTAL_SLACKS_EUROS = (1e-8, 1e-6, 1e-4)
#: The spread stage's certificate: its weights are in (1, 2] per euro, so half a cent of money.
SPREAD_GAP_TOLERANCE = 5e-3


def totals_coefficients(problem: AllocationProblem) -> list[float]:
    """The coefficients ``c_g`` of the group-totals tie-break, one per request."""
    order = sorted(
        range(len(problem.requests)),
        key=lambda g: (problem.requests[g].range_cents, problem.requests[g].group),
    )
    count = len(order)
    coefficients = [0.0] * count
    for position, g in enumerate(order):
        coefficients[g] = 1 + (count - position) / count
    return coefficients


def spread_targets_cents(
    problem: AllocationProblem, totals_euros: Sequence[float]
) -> dict[tuple[int, int], int]:
    """Each group's total split over its eligible funders in proportion to available money."""
    eligible: dict[int, list[int]] = {}
    for f, g in problem.pairs():
        eligible.setdefault(g, []).append(f)
    targets: dict[tuple[int, int], int] = {}
    for g, funders in eligible.items():
        request = problem.requests[g]
        total_cents = min(max(round(totals_euros[g] * 100), request.min_cents), request.max_cents)
        weights = [problem.funders[f].available_cents for f in funders]
        if sum(weights) == 0 or total_cents <= 0:
            parts = [0] * len(funders)
        else:
            parts = split_largest_remainder(total_cents, weights)
        for f, part in zip(funders, parts, strict=True):
            targets[f, g] = part
    return targets


def spread_over_funders(
    problem: AllocationProblem,
    totals_euros: Sequence[float],
    settings: SolverSettings,
) -> tuple[dict[tuple[int, int], float], float]:
    """Solve the spread stage; return x in euros per pair and the stage's LP optimum."""
    for slack in TOTAL_SLACKS_EUROS:
        answer = _spread(problem, totals_euros, settings, slack)
        if answer is not None:
            return answer
    raise SolverFailure(
        f"the {settings.name} solver found the stage 'tie_break_spread' infeasible with every "
        f"group total held within {TOTAL_SLACKS_EUROS[-1]:g} euros of the previous stage's"
    )


def _spread(
    problem: AllocationProblem,
    totals_euros: Sequence[float],
    settings: SolverSettings,
    slack: float,
) -> tuple[dict[tuple[int, int], float], float] | None:
    """The spread LP with the group totals held within ``slack`` euros; None if infeasible."""
    pairs = problem.pairs()
    targets = spread_targets_cents(problem, totals_euros)
    funders, requests = problem.funders, problem.requests
    funder_count, group_count = len(funders), len(requests)
    cap_k = {
        f: cap_coefficients(funder.overhead_cap)
        for f, funder in enumerate(funders)
        if funder.overhead_cap is not None
    }
    prob = pulp.LpProblem("allocation_spread", pulp.LpMinimize)
    over: dict[tuple[int, int], pulp.LpVariable] = {}
    under: dict[tuple[int, int], pulp.LpVariable] = {}
    cost: list[tuple[pulp.LpVariable, float]] = []
    # Terms of each row, gathered in one pass over the pairs: x = target + over - under.
    group_terms: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in requests]
    group_target = [0] * group_count
    funder_terms: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    funder_target: dict[int, int] = {}
    cap_terms: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
    cap_target: dict[int, float] = {}
    scale = (funder_count + 1) * (group_count + 1)
    for f, g in pairs:
        pair = (f, g)
        weight = 1 + (f + 1) * (g + 1) / scale
        target = targets[pair]
        up = over[pair] = prob.add_variable(f"p_{f:05d}_{g:06d}", 0)
        cost.append((up, weight))
        group_terms[g].append((up, -1.0))
        row = funder_terms.setdefault(f, [])
        row.append((up, 1.0))
        group_target[g] += target
        funder_target[f] = funder_target.get(f, 0) + target
        down = None
        if target > 0:
            down = under[pair] = prob.add_variable(f"n_{f:05d}_{g:06d}", 0, euros(target))
            cost.append((down, weight))
            group_terms[g].append((down, 1.0))
            row.append((down, -1.0))
        if f in cap_k:
            k = cap_k[f][0] if requests[g].overhead else cap_k[f][1]
            if k != 0:
                terms = cap_terms.setdefault(f, [])
                terms.append((up, k))
                if down is not None:
                    terms.append((down, -k))
                cap_target[f] = cap_target.get(f, 0.0) + k * euros(target)
    prob.setObjective(pulp.LpAffineExpression(cost))

    def add(terms: list[tuple[pulp.LpVariable, float]], sense: int, name: str, rhs: float) -> None:
        constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs)
        prob.addConstraint(constraint, name)

    totals: list[pulp.LpVariable] = []
    for g, request in enumerate(requests):
        low = max(euros(request.min_cents), totals_euros[g] - slack)
        high = min(euros(request.max_cents), totals_euros[g] + slack)
        if low > high:  # the tie-break value sits a hair outside its bounds: clamp it
            low = high = min(
                max(totals_euros[g], euros(request.min_cents)), euros(request.max_cents)
            )
        total = prob.add_variable(f"a_{g:06d}", low, high)
        totals.append(total)
        add(
            [(total, 1.0), *group_terms[g]],
            pulp.LpConstraintEQ,
            f"balance_{g:06d}",
            euros(group_target[g]),
        )

    # The totals may move by ``slack`` each; the network cap keeps that noise in check.
    overhead_k, other_k = cap_coefficients(problem.overhead_cap)
    network_terms = [
        (total, overhead_k if request.overhead else other_k)
        for total, request in zip(totals, requests, strict=True)
    ]
    network_terms = [(total, k) for total, k in network_terms if k != 0]
    if network_terms:
        room = cap_room_euros(
            problem.overhead_cap,
            problem.already_allocated_cents,
            problem.already_allocated_overhead_cents,
        )
        add(network_terms, pulp.LpConstraintLE, "network_overhead_cap", room)

    for f, terms in funder_terms.items():
        funder = funders[f]
        rhs = euros(funder.available_cents - funder_target[f])
        add(terms, pulp.LpConstraintLE, f"available_{f:05d}", rhs)
        if f in cap_terms and funder.overhead_cap is not None:
            room = cap_room_euros(
                funder.overhead_cap,
                funder.already_allocated_cents,
                funder.already_allocated_overhead_cents,
            )
            add(
                cap_terms[f],
                pulp.LpConstraintLE,
                f"funder_overhead_cap_{f:05d}",
                room - cap_target[f],
            )

    # weights in (1, 2] per euro: the gap tolerance is half a cent of money
    status = solver_module.run(
        prob, settings, stage="tie_break_spread", gap_tolerance=SPREAD_GAP_TOLERANCE
    )
    if status == SolveStatus.INFEASIBLE:
        return None
    if status != SolveStatus.OPTIMAL:
        raise SolverFailure(solver_module.failure_message(prob, settings, "tie_break_spread"))
    values: dict[tuple[int, int], float] = {}
    for pair in pairs:
        value = euros(targets[pair]) + _value(over[pair])
        if pair in under:
            value -= _value(under[pair])
        values[pair] = value
    objective = prob.objective.value() if prob.objective is not None else 0.0
    return values, float(objective or 0.0)  # money-safe


def _value(variable: pulp.LpVariable) -> float:
    value = variable.varValue
    return 0.0 if value is None or math.isnan(value) else float(value)  # money-safe
