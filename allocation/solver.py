"""Which LP solver runs, with which limits, and when its answer is trusted.

Two solvers, both through PuLP and, apart from the one PuLP 3 method `BatchedHiGHS` overrides,
only through API that PuLP 4 keeps:

- ``highs`` (default): HiGHS in-process via highspy, `BatchedHiGHS` (PuLP's ``pulp.HiGHS``
  with ``msg=False, timeLimit=...``, handing the model over in two calls; see below).
- ``cbc``: CBC as a command, ``pulp.getSolver("COIN_CMD", ...)``. PuLP 3 bundles a CBC binary
  behind ``PULP_CBC_CMD``, which is deprecated and gone in PuLP 4; we point ``COIN_CMD`` at a
  ``cbc`` on the PATH, or else at that bundled binary while it exists, and never construct
  ``PULP_CBC_CMD`` itself.

Every solve has a time limit. PuLP reports "Optimal" in ``prob.status`` when HiGHS stops at its
time limit with a feasible point, so an answer counts only when ``prob.sol_status`` says optimal
too. In-process HiGHS receives a maximisation as the minimisation of the negated objective and
PuLP hands back that problem's duals, so shadow prices of a maximisation come with the wrong
sign; `dual_sign` says how to read them (checked by a finite-difference test).

Why `BatchedHiGHS`: PuLP 3.3's ``HiGHS.buildSolverModel`` passes the model to highspy with one
``addCol`` call per variable and one ``addRow`` per constraint, each a Python-to-C++ call with
lists converted on the way. For the 1,000 groups x 50 funders benchmark LP (6,665 columns,
1,013 rows) that took 27 ms of a 56 ms ``prob.solve``, more than HiGHS's own 25 ms solve, and
was most of the gap to highspy solving the same LP directly (goal 5b of issue 7: within 2x).
The subclass overrides that one method: it collects the same costs, bounds and nonzeros in
the same order into arrays and hands them over with one ``addCols`` (no entries) and one
``addRows`` (the rows, compressed), which builds the same HiGHS model in 6.5 ms.
Everything else (options, status mapping, reading values, duals and slacks back) is PuLP's.
Tests compare it with the stock ``pulp.HiGHS``: the same values, duals, slacks and statuses,
bit for bit, and the same allocations to the cent. The method is PuLP 3.x internals, and the
``pulp<4`` pin in pyproject keeps it there.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import pulp
from netfund.ledger.errors import NetfundError

SolverName = Literal["highs", "cbc"]
SOLVER_NAMES: tuple[SolverName, ...] = ("highs", "cbc")

#: Default limit for one LP solve; an allocation solves two to four LPs.
TIME_LIMIT_SECONDS_DEFAULT = 60.0


class SolverFailure(NetfundError):
    """The solver gave no proven optimum (time limit, numerical trouble, missing solver).

    Not bad input and not an infeasible plan, so it exits with 1 like any unexpected failure.
    """

    exit_code = 1


class SolveStatus:
    """What came back from one ``prob.solve``, in three outcomes the stages act on."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    FAILED = "failed"


class BatchedHiGHS(pulp.HiGHS):
    """PuLP's in-process HiGHS that passes the model to highspy in two calls, not thousands.

    Why: see the module docstring. Only ``buildSolverModel`` differs from ``pulp.HiGHS``.
    """

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        """What ``pulp.HiGHS.buildSolverModel`` does, batched.

        Same column order (``lp.variables()``), row order (``lp.constraints()``), nonzeros
        (coefficient 0 left out) and integrality; sets ``var.index`` and
        ``constraint.index``, which PuLP's ``findSolutionValues`` reads the solution by.
        """
        inf = highspy.kHighsInf
        sense = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        variables = lp.variables()
        objective = lp.objective
        cost = np.empty(len(variables))
        lower = np.empty(len(variables))
        upper = np.empty(len(variables))
        integers: list[int] = []
        for i, var in enumerate(variables):
            var.index = i
            cost[i] = sense * objective.get(var, 0.0)
            lower[i] = -inf if var.lowBound is None else var.lowBound
            upper[i] = inf if var.upBound is None else var.upBound
            if var.cat == pulp.LpInteger:
                integers.append(i)
        constraints = lp.constraints()
        row_lower = np.empty(len(constraints))
        row_upper = np.empty(len(constraints))
        starts = np.empty(len(constraints), dtype=np.int32)
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
            row_lower[r] = -inf if low is None else low
            row_upper[r] = inf if high is None else high
        highs = lp.solverModel
        no_entries = np.empty(0, dtype=np.int32)
        highs.addCols(len(variables), cost, lower, upper, 0, no_entries, no_entries, np.empty(0))
        if constraints:
            highs.addRows(
                len(constraints),
                row_lower,
                row_upper,
                len(indices),
                starts,
                np.array(indices, dtype=np.int32),
                np.array(values, dtype=float),
            )
        if integers and self.mip:
            highs.changeColsIntegrality(
                len(integers),
                np.array(integers, dtype=np.int32),
                np.full(len(integers), int(highspy.HighsVarType.kInteger), dtype=np.uint8),
            )


def _cbc_path() -> str | None:
    """A CBC executable: ``cbc`` on the PATH, else PuLP 3's bundled binary (absent in PuLP 4)."""
    found = shutil.which("cbc")
    if found:
        return found
    legacy = getattr(getattr(pulp, "PULP_CBC_CMD", None), "pulp_cbc_path", None)
    if isinstance(legacy, str) and os.access(legacy, os.X_OK):
        return legacy
    return None


@dataclass(frozen=True)
class SolverSettings:
    """Solver choice and limits, passed explicitly so a run can be reproduced.

    Attributes:
        name: ``highs`` (in-process, default) or ``cbc`` (command line).
        time_limit_seconds: the limit of each LP solve.
    """

    name: SolverName = "highs"
    time_limit_seconds: float = TIME_LIMIT_SECONDS_DEFAULT

    def __post_init__(self) -> None:
        if self.name not in SOLVER_NAMES:
            raise ValueError(f"solver must be one of {SOLVER_NAMES}, got {self.name!r}")
        if not 0 < self.time_limit_seconds <= 3600:
            raise ValueError("time_limit_seconds must be in (0, 3600]")

    def make(self) -> pulp.LpSolver:
        """A fresh PuLP solver object with messages off and the time limit set."""
        if self.name == "highs":
            return BatchedHiGHS(msg=False, timeLimit=self.time_limit_seconds)
        path = _cbc_path()
        if path is None:
            raise SolverFailure("solver 'cbc' is not available: no cbc executable was found")
        return pulp.getSolver("COIN_CMD", msg=False, timeLimit=self.time_limit_seconds, path=path)

    def dual_sign(self, sense: int) -> float:
        """Factor that turns PuLP's reported duals into d(objective)/d(right-hand side)."""
        if self.name == "highs" and sense == pulp.LpMaximize:
            return -1.0
        return 1.0


def run(prob: pulp.LpProblem, settings: SolverSettings) -> str:
    """Solve ``prob`` and classify the outcome as a `SolveStatus` value."""
    prob.solve(settings.make())
    if prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal:
        return SolveStatus.OPTIMAL
    if prob.status == pulp.LpStatusInfeasible:
        return SolveStatus.INFEASIBLE
    return SolveStatus.FAILED


def failure_message(prob: pulp.LpProblem, settings: SolverSettings, stage: str) -> str:
    """Words for a solve that gave no proven optimum."""
    status = pulp.LpStatus.get(prob.status, str(prob.status))
    solution = pulp.LpSolution.get(prob.sol_status, str(prob.sol_status))
    return (
        f"the {settings.name} solver found no proven optimum in stage '{stage}' "
        f"(status {status}, solution {solution}; time limit {settings.time_limit_seconds:g} s)"
    )
