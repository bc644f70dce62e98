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

import ctypes
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import pulp
from netfund.allocation.certificate import certify
from netfund.allocation.deadline import Deadline
from netfund.allocation.lp_arrays import lp_arrays
from netfund.ledger import NetfundError

SolverName = Literal["highs", "cbc"]
SOLVER_NAMES: tuple[SolverName, ...] = ("highs", "cbc")

#: Default limit for one LP solve when no `Deadline` bounds the whole run.
TIME_LIMIT_SECONDS_DEFAULT = 60.0
#: The solvers' tolerances, set at the call site rather than left to each solver's default.
#: Rows and columns are in euros, so a point may lie 1e-7 euro (a hundred-thousandth of a
#: cent) outside a row. Objectives are scaled so that one euro moved is worth at least about
#: one unit (see `model`), so a reduced cost of 1e-9 is far below any real improvement.
PRIMAL_FEASIBILITY_TOLERANCE = 1e-7
DUAL_FEASIBILITY_TOLERANCE = 1e-9

_BANNER_LOCK = threading.Lock()
_banner_spent = False


def silence_highs_banner() -> None:
    """Let HiGHS print its banner where nobody reads it, before any solver object exists.

    The first ``highspy.Highs()`` of a process writes "Running HiGHS ... Copyright ..." to file
    descriptor 1 from C++, before PuLP can switch output off, and C's stdio may hold it in a
    buffer until the process exits. That would break ``--json`` output. So the first
    Highs object is created here with descriptor 1 pointing at /dev/null and C's buffers
    flushed before it is pointed back; HiGHS prints the banner once per process (tested), so
    every later object is silent. Python's own buffered output is flushed first.
    """
    global _banner_spent
    with _BANNER_LOCK:
        if _banner_spent:
            return
        sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:  # no descriptor 1 at all: there is no stdout to protect
            highspy.Highs()
            _banner_spent = True
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            highspy.Highs()
            ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _banner_spent = True


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
        (coefficient 0 left out) and integrality (`lp_arrays`); the arrays are kept in
        ``self.arrays`` for the certificate, which reads the very model HiGHS was given.
        """
        arrays = self.arrays = lp_arrays(lp)
        inf = highspy.kHighsInf
        sense = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        highs = lp.solverModel
        no_entries = np.empty(0, dtype=np.int32)
        highs.addCols(
            len(arrays.variables),
            sense * arrays.cost,
            np.nan_to_num(arrays.lower, neginf=-inf),
            np.nan_to_num(arrays.upper, posinf=inf),
            0,
            no_entries,
            no_entries,
            np.empty(0),
        )
        if arrays.constraints:
            highs.addRows(
                len(arrays.constraints),
                np.nan_to_num(arrays.row_lower, neginf=-inf),
                np.nan_to_num(arrays.row_upper, posinf=inf),
                len(arrays.indices),
                arrays.starts[:-1],
                arrays.indices,
                arrays.values,
            )
        integers = [i for i, var in enumerate(arrays.variables) if var.cat == pulp.LpInteger]
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
        time_limit_seconds: the most any one LP solve may take.
        deadline: when the whole run must be over (``allocate --time-limit``): each LP solve
            gets at most the time left, and none starts once it has passed. None bounds each
            solve by ``time_limit_seconds`` only (library use, tests).
    """

    name: SolverName = "highs"
    time_limit_seconds: float = TIME_LIMIT_SECONDS_DEFAULT
    deadline: Deadline | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.name not in SOLVER_NAMES:
            raise ValueError(f"solver must be one of {SOLVER_NAMES}, got {self.name!r}")
        if not 0 < self.time_limit_seconds <= 3600:
            raise ValueError("time_limit_seconds must be in (0, 3600]")

    def check_time(self, doing: str) -> None:
        """Raise `TimeLimitExceeded` (naming what the run was ``doing``) once the deadline
        has passed; nothing without a deadline."""
        if self.deadline is not None:
            self.deadline.check(doing)

    def solve_seconds(self) -> float:
        """The time limit of the next LP solve: ``time_limit_seconds``, or less when less
        than that is left before the deadline."""
        if self.deadline is None:
            return self.time_limit_seconds
        return min(self.time_limit_seconds, self.deadline.check("before an LP solve"))

    def make(self) -> pulp.LpSolver:
        """A fresh PuLP solver object with messages off, the time limit and tolerances set."""
        time_limit = self.solve_seconds()
        if self.name == "highs":
            silence_highs_banner()
            return BatchedHiGHS(
                msg=False,
                timeLimit=time_limit,
                primal_feasibility_tolerance=PRIMAL_FEASIBILITY_TOLERANCE,
                dual_feasibility_tolerance=DUAL_FEASIBILITY_TOLERANCE,
            )
        path = _cbc_path()
        if path is None:
            raise SolverFailure("solver 'cbc' is not available: no cbc executable was found")
        return pulp.getSolver(
            "COIN_CMD",
            msg=False,
            timeLimit=time_limit,
            path=path,
            options=[
                f"primalTolerance {PRIMAL_FEASIBILITY_TOLERANCE}",
                f"dualTolerance {DUAL_FEASIBILITY_TOLERANCE}",
            ],
        )

    @property
    def reported_precision(self) -> float:
        """Relative precision of the numbers the solver hands back: HiGHS in-process gives
        full doubles; CBC writes its solution file with 8 significant digits."""
        return 0.0 if self.name == "highs" else 1e-7

    def dual_sign(self, sense: int) -> float:
        """Factor that turns PuLP's reported duals into d(objective)/d(right-hand side)."""
        if self.name == "highs" and sense == pulp.LpMaximize:
            return -1.0
        return 1.0


def run(prob: pulp.LpProblem, settings: SolverSettings, *, stage: str, gap_tolerance: float) -> str:
    """Solve ``prob`` and classify the outcome as a `SolveStatus` value.

    An optimum counts only once it is certified (`certificate.certify`): its point within
    the rows and bounds and the Lagrangian bound from its duals at most ``gap_tolerance``
    (objective units) above its objective. A solver that says "optimal" without that is a
    `SolverFailure`, never a silently worse allocation. A solve that ends without an optimum
    once the run's deadline has passed is a `TimeLimitExceeded` naming the stage.
    """
    settings.check_time(f"before stage '{stage}'")
    solver = settings.make()
    prob.solve(solver)
    if prob.sol_status != pulp.LpSolutionOptimal:  # stopped by the deadline, if it has passed
        settings.check_time(f"in stage '{stage}'")
    if prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal:
        arrays = getattr(solver, "arrays", None) or lp_arrays(prob)
        certificate = certify(arrays, settings.dual_sign(prob.sense), settings.reported_precision)
        problem = certificate.problem(gap_tolerance)
        if problem is not None:
            raise SolverFailure(
                f"the {settings.name} solver reported an optimum in stage '{stage}' that does "
                f"not pass the optimality check: {problem}"
            )
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
