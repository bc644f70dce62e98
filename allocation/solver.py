"""Which LP solver runs, with which limits, and when its answer is trusted.

Two solvers, both through PuLP and only through API that PuLP 4 keeps:

- ``highs`` (default): HiGHS in-process via highspy, ``pulp.HiGHS(msg=False, timeLimit=...)``.
- ``cbc``: CBC as a command, ``pulp.getSolver("COIN_CMD", ...)``. PuLP 3 bundles a CBC binary
  behind ``PULP_CBC_CMD``, which is deprecated and gone in PuLP 4; we point ``COIN_CMD`` at a
  ``cbc`` on the PATH, or else at that bundled binary while it exists, and never construct
  ``PULP_CBC_CMD`` itself.

Every solve has a time limit. PuLP reports "Optimal" in ``prob.status`` when HiGHS stops at its
time limit with a feasible point, so an answer counts only when ``prob.sol_status`` says optimal
too. In-process HiGHS receives a maximisation as the minimisation of the negated objective and
PuLP hands back that problem's duals, so shadow prices of a maximisation come with the wrong
sign; `dual_sign` says how to read them (checked by a finite-difference test).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Literal

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
            return pulp.HiGHS(msg=False, timeLimit=self.time_limit_seconds)
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
