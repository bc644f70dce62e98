"""A PuLP problem as arrays: what HiGHS is handed, and what the optimality certificate reads.

One pass over PuLP's columns and rows serves both, so the certificate checks exactly the model
the solver was given (`solver.BatchedHiGHS` builds its HiGHS model from these arrays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp


@dataclass(frozen=True)
class LpArrays:
    """A PuLP problem as arrays: what HiGHS is handed, and what the certificate checks.

    Columns in ``lp.variables()`` order and rows in ``lp.constraints()`` order (each object's
    ``index`` set to its position, which PuLP reads the solution back by); the matrix in
    compressed rows (``starts`` has one entry more than there are rows); infinite bounds as
    ``-inf``/``inf``; ``cost`` as written (not negated for a maximisation).
    """

    variables: list[pulp.LpVariable]
    constraints: list[pulp.LpConstraint]
    cost: np.ndarray
    constant: float
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    maximise: bool


def lp_arrays(lp: pulp.LpProblem) -> LpArrays:
    """The arrays of ``lp`` (see `LpArrays`), built in one pass over its columns and rows."""
    variables = lp.variables()
    objective = lp.objective if lp.objective is not None else pulp.LpAffineExpression()
    count = len(variables)
    cost = np.empty(count)
    lower = np.empty(count)
    upper = np.empty(count)
    for i, var in enumerate(variables):
        var.index = i
        cost[i] = objective.get(var, 0.0)
        lower[i] = -np.inf if var.lowBound is None else var.lowBound
        upper[i] = np.inf if var.upBound is None else var.upBound
    constraints = lp.constraints()
    row_lower = np.empty(len(constraints))
    row_upper = np.empty(len(constraints))
    starts = np.empty(len(constraints) + 1, dtype=np.int32)
    indices: list[int] = []
    values: list[float] = []
    for r, constraint in enumerate(constraints):
        constraint.index = r
        starts[r] = len(indices)
        for var, coefficient in constraint.items():
            if coefficient != 0:
                indices.append(var.index)
                values.append(coefficient)
        low, high = constraint.getLb(), constraint.getUb()
        row_lower[r] = -np.inf if low is None else low
        row_upper[r] = np.inf if high is None else high
    starts[len(constraints)] = len(indices)
    return LpArrays(
        variables=variables,
        constraints=constraints,
        cost=cost,
        constant=float(objective.constant),  # money-safe
        lower=lower,
        upper=upper,
        row_lower=row_lower,
        row_upper=row_upper,
        starts=starts,
        indices=np.array(indices, dtype=np.int32),
        values=np.array(values, dtype=float),
        maximise=lp.sense == pulp.LpMaximize,
    )
