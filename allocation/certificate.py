"""An optimum checked apart from the simplex's own stopping rule: the solver's word is not enough.

A simplex solver stops when no reduced cost exceeds its dual tolerance. If the LP is badly
scaled, a real improvement can hide below that tolerance, and the solver reports "optimal" at
a vertex that is not (issue 13: a fill ratio of 0 where 7.5% was possible). So every LP the
engine solves is certified from its own data and the solver's point and duals:

- **Primal feasibility**: the point's row activities and column values, recomputed here, lie
  within their bounds up to `PRIMAL_VIOLATION_MAX` euros.
- **Duality gap**: for *any* row prices ``y`` and a maximisation ``max c·x`` over
  ``L <= A x <= U``, ``l <= x <= u``, every feasible ``x`` has
  ``c·x = y·(A x) + d·x <= sum_i max(y_i L_i, y_i U_i) + sum_j max(d_j l_j, d_j u_j)`` with
  ``d = c - Aᵀy`` (for a minimisation the same with min, as a lower bound). The reduced costs
  ``d`` are recomputed here from ``y``, not taken from the solver, so the bound holds whatever
  the solver did; with the solver's duals it is tight at a true optimum. The gap is that bound
  less the point's objective: how much better any feasible point could possibly be. It must be
  at most the stage's tolerance (half a cent of money, in the stage's objective units).
- **Dual feasibility** where the bound above would be infinite: a price that leans on an
  unbounded side (a reduced cost that says "more of this column would pay" for a column
  without an upper bound, or a row price on a side without a limit) makes the bound useless,
  so, as in any LP solver's own optimality test, such a price must be no larger than
  `DUAL_INFEASIBILITY_MAX` (relative to the largest objective coefficient) and it is left out
  of the bound. The allocation stages give their money columns finite bounds where they can, so
  their gap is the honest bound.

Sums use `math.fsum`, so the gap is not lost in the rounding of terms of a billion euros.

A solver that hands its answer back with fewer digits than a double (CBC writes its solution
to a text file with 8 significant digits, `SolverSettings.reported_precision`) is checked with
tolerances widened by that precision times the size of the numbers involved: CBC's optimum is
certified only as far as its own digits go, which for plans of millions of euros is coarser
than half a cent. HiGHS, in-process, reports full doubles and gets the tight check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from netfund.allocation.lp_arrays import LpArrays

#: The largest violation of a row or column bound the certificate accepts, in euros (a
#: thousandth of a cent); the rounding to cents re-checks every constraint in integers anyway.
PRIMAL_VIOLATION_MAX = 1e-5
#: The largest price leaning on an unbounded side that is taken as noise, relative to the
#: largest objective coefficient (the solvers run with a dual tolerance of 1e-9).
DUAL_INFEASIBILITY_MAX = 1e-8


@dataclass(frozen=True)
class Certificate:
    """What the check found for one solve.

    Attributes:
        objective: the objective at the solver's point.
        bound: the Lagrangian bound from the solver's duals (an upper bound for a
            maximisation, a lower bound for a minimisation); infinite when a dual price
            leans on an unbounded side.
        gap: how much better than ``objective`` any feasible point could be (>= 0 up to noise).
        primal_violation: the largest violation of a row or column bound at the point (euros).
        dual_infeasibility: the largest price leaning on an unbounded side, relative to the
            largest objective coefficient (left out of ``bound``).
    """

    objective: float
    bound: float
    gap: float
    primal_violation: float
    dual_infeasibility: float

    #: the allowance for the solver's reported digits (0 for full doubles), in the units of
    #: primal_violation, dual_infeasibility and gap respectively
    precision_allowance: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def problem(self, gap_tolerance: float) -> str | None:
        """Words for what fails, or None when the optimum is certified."""
        primal_extra, dual_extra, gap_extra = self.precision_allowance
        gap_tolerance += gap_extra
        if self.primal_violation > PRIMAL_VIOLATION_MAX + primal_extra:
            return (
                f"its point violates a constraint by {self.primal_violation:.3g} euros "
                f"(at most {PRIMAL_VIOLATION_MAX:g} is accepted)"
            )
        if self.dual_infeasibility > DUAL_INFEASIBILITY_MAX + dual_extra:
            return (
                f"its duals say more of an unbounded column or row would still pay "
                f"({self.dual_infeasibility:.3g} per unit, relative to the largest objective "
                f"coefficient; at most {DUAL_INFEASIBILITY_MAX:g} is accepted)"
            )
        if not self.gap <= gap_tolerance:  # also refuses a NaN gap
            return (
                f"its duals leave a gap of {self.gap:.3g} between the objective "
                f"{self.objective:.6g} and its bound {self.bound:.6g} "
                f"(at most {gap_tolerance:.3g} is accepted)"
            )
        return None


def certify(arrays: LpArrays, dual_sign: float, precision: float = 0.0) -> Certificate:
    """Check the solution PuLP read back onto ``arrays``' variables and constraints.

    ``dual_sign`` turns the solver's reported row duals into d(objective)/d(right-hand side)
    (`SolverSettings.dual_sign`); ``precision`` is the relative precision of the numbers the
    solver reported (0 for full doubles).
    """
    x = np.array([_number(var.varValue) for var in arrays.variables], dtype=float)
    y = dual_sign * np.array([_number(row.pi) for row in arrays.constraints], dtype=float)
    rows = len(arrays.constraints)
    row_of_entry = np.repeat(np.arange(rows), np.diff(arrays.starts))
    activity = np.bincount(row_of_entry, arrays.values * x[arrays.indices], minlength=rows)
    violation = max(
        _largest(arrays.row_lower - activity),
        _largest(activity - arrays.row_upper),
        _largest(arrays.lower - x),
        _largest(x - arrays.upper),
    )
    reduced = arrays.cost - np.bincount(
        arrays.indices, arrays.values * y[row_of_entry], minlength=len(arrays.variables)
    )
    objective = math.fsum((arrays.cost * x).tolist()) + arrays.constant
    maximise = arrays.maximise
    scale = (
        max(1.0, float(np.abs(arrays.cost).max())) if arrays.cost.size else 1.0
    )  # money-safe: solver magnitudes
    row_terms, row_leaning = _bound_terms(y, arrays.row_lower, arrays.row_upper, maximise)
    column_terms, column_leaning = _bound_terms(reduced, arrays.lower, arrays.upper, maximise)
    bound = math.fsum([*row_terms, *column_terms]) + arrays.constant
    gap = bound - objective if maximise else objective - bound
    infeasibility = max(row_leaning, column_leaning) / scale
    allowance = (0.0, 0.0, 0.0)
    if precision:
        # money-safe: the solver's euros are floats already; this only sizes a tolerance
        size = max(1.0, float(np.abs(activity).max(initial=0)), float(np.abs(x).max(initial=0)))
        magnitude = math.fsum(np.abs(arrays.cost * x).tolist()) + math.fsum(map(abs, row_terms))
        magnitude += math.fsum(map(abs, column_terms))
        allowance = (precision * size, 10 * precision, precision * magnitude)
    return Certificate(objective, bound, gap, violation, infeasibility, allowance)


def _bound_terms(
    prices: np.ndarray, lower: np.ndarray, upper: np.ndarray, maximise: bool
) -> tuple[list[float], float]:
    """Per price, the side of its interval that bounds the objective (``max(p l, p u)`` for a
    maximisation, ``min`` for a minimisation), and the largest price that leans on an infinite
    side (its term is left out: 0)."""
    leans_up = prices > 0 if maximise else prices < 0
    side = np.where(leans_up, upper, lower)
    unbounded = np.isinf(side) & (prices != 0)
    leaning = (
        float(np.abs(prices[unbounded]).max()) if unbounded.any() else 0.0
    )  # money-safe: solver magnitudes
    with np.errstate(invalid="ignore"):
        terms = np.where((prices == 0) | unbounded, 0.0, prices * side)
    return terms.tolist(), leaning


def _largest(values: np.ndarray) -> float:
    """The largest entry, at least 0; infinite bounds give -inf or nan entries, ignored."""
    finite = values[np.isfinite(values)]
    return max(0.0, float(finite.max())) if finite.size else 0.0  # money-safe: solver magnitudes


def _number(value: float | None) -> float:
    return 0.0 if value is None else float(value)  # money-safe
