"""The last resort of the cent rounding: a small integer program, exact in integer cents.

The flow rounding with its repair moves handles every plan seen in testing but a few in ten
thousand random ones: when two or three funders sit exactly on their own caps and share the
same groups, the cent that must move can need a chain of trades through several funders and
groups. Rather than a search for such chains, this module states the rounding as an integer
program and lets HiGHS (through PuLP) find it:

- one integer ``y`` per allowed pair, within two cents of the LP's value;
- every constraint in integer cents with integer coefficients, so a solution is exact by
  construction: ``sum_g y <= available``, ``min <= sum_f y <= max``, and each cap as
  ``(den - num) * overhead - num * other <= num * T_prev - den * O_prev``;
- minimise the total distance to the LP's values rounded to whole cents (L1), so the result
  stays as close to the optimum as the caps allow, with integer data throughout.

Any integral point it returns is re-checked by the caller anyway; a missing one is an
`InvariantViolation`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import pulp
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.solver import SolverSettings
from netfund.ledger import InvariantViolation

Pair = tuple[int, int]

#: How far (cents) an integer value may stray from the LP's value in the fallback.
REACH_CENTS = 2
#: The fallback's own time limit: it is small, and a rounding must not hang a run.
TIME_LIMIT_SECONDS = 60.0


def exact_rounding(
    problem: AllocationProblem,
    lp_cents: Mapping[Pair, float],
    settings: SolverSettings | None = None,
) -> dict[Pair, int]:
    """Integer cents per pair that keep every constraint, as close to ``lp_cents`` as possible."""
    prob = pulp.LpProblem("allocation_exact_rounding", pulp.LpMinimize)
    pairs = sorted(lp_cents)
    y: dict[Pair, pulp.LpVariable] = {}
    cost: list[tuple[pulp.LpVariable, float]] = []
    rows: dict[int, list[Pair]] = {}
    columns: dict[int, list[Pair]] = {}
    for f, g in pairs:
        value = max(lp_cents[f, g], 0.0)
        low = max(0, math.floor(value) - REACH_CENTS)
        high = math.ceil(value) + REACH_CENTS
        y[f, g] = prob.add_variable(f"y_{f:05d}_{g:06d}", low, high, pulp.LpInteger)
        above = prob.add_variable(f"above_{f:05d}_{g:06d}", 0)
        below = prob.add_variable(f"below_{f:05d}_{g:06d}", 0)
        cost += [(above, 1.0), (below, 1.0)]
        # Distance to the nearest whole cent, not to the float itself: every coefficient and
        # right-hand side stays an integer (HiGHS's MIP was seen to declare a feasible model
        # infeasible when right-hand sides like 6.3e-06 met its bound tolerances).
        distance = [(y[f, g], 1), (above, -1), (below, 1)]
        _add(prob, distance, pulp.LpConstraintEQ, f"distance_{f}_{g}", round(value))
        rows.setdefault(f, []).append((f, g))
        columns.setdefault(g, []).append((f, g))
    prob.setObjective(pulp.LpAffineExpression(cost))

    requests = problem.requests
    for f, row in rows.items():
        funder = problem.funders[f]
        terms = [(y[p], 1) for p in row]
        _add(prob, terms, pulp.LpConstraintLE, f"available_{f}", funder.available_cents)
        if funder.overhead_cap is not None:
            _cap_row(
                prob,
                f"funder_cap_{f}",
                [(y[p], requests[p[1]].overhead) for p in row],
                funder.overhead_cap,
                funder.already_allocated_cents,
                funder.already_allocated_overhead_cents,
            )
    for g, request in enumerate(requests):
        column = [(y[p], 1) for p in columns.get(g, [])]
        if column:
            _add(prob, column, pulp.LpConstraintGE, f"minimum_{g}", request.min_cents)
            _add(prob, column, pulp.LpConstraintLE, f"maximum_{g}", request.max_cents)
    _cap_row(
        prob,
        "network_cap",
        [(y[p], requests[p[1]].overhead) for p in pairs],
        problem.overhead_cap,
        problem.already_allocated_cents,
        problem.already_allocated_overhead_cents,
    )

    settings = settings or SolverSettings(time_limit_seconds=TIME_LIMIT_SECONDS)
    prob.solve(settings.make())
    found = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    if not found:
        settings.check_time("while rounding to whole cents")  # the deadline stopped it
        raise InvariantViolation("no rounding to whole cents keeps every constraint")
    cents: dict[Pair, int] = {}
    for pair, variable in y.items():
        value = float(variable.varValue or 0.0)  # money-safe
        cents[pair] = round(value)
        if abs(value - cents[pair]) > 1e-6:
            raise InvariantViolation(f"the exact rounding returned a fraction for {pair}: {value}")
    return cents


def _add(
    prob: pulp.LpProblem,
    terms: list[tuple[pulp.LpVariable, int]],
    sense: int,
    name: str,
    rhs: float,
) -> None:
    prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs), name)


def _cap_row(
    prob: pulp.LpProblem,
    name: str,
    terms: list[tuple[pulp.LpVariable, bool]],
    cap: Fraction,
    total_before: int,
    overhead_before: int,
) -> None:
    """``den * (O_prev + O) <= num * (T_prev + T)`` with integer coefficients."""
    num, den = cap.numerator, cap.denominator
    coefficients = [(variable, (den - num) if overhead else -num) for variable, overhead in terms]
    coefficients = [(variable, k) for variable, k in coefficients if k != 0]
    if coefficients:
        room = num * total_before - den * overhead_before
        _add(prob, coefficients, pulp.LpConstraintLE, name, room)
