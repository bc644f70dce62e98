"""How the allocation engine scales: a table of build and solve times, PuLP against highspy.

Run on demand (not part of the tests)::

    /work/venv/bin/python benchmarks/allocation_scaling.py [--sizes 100,1000,10000]
        [--funders 50] [--shape network|distinct] [--repeat 3] [--json]

Per size it prints: the LP's columns and rows after funder classes are merged, the time to
build the priority-stage LP with PuLP, the time of ``prob.solve`` through PuLP with in-process
HiGHS (what the engine does: `netfund.allocation.solver.BatchedHiGHS`), the time for highspy
to solve the very same LP handed over directly as sparse matrices (no PuLP), their ratio, the
same ``prob.solve`` with PuLP's stock ``pulp.HiGHS`` (for reference: it passes the model to
highspy one column and one row at a time), and the whole `solve_allocation` run (all stages,
rounding, checks). Each time is the best of ``--repeat`` runs. ``--json`` prints the same
figures as one JSON object instead of the table (``benchmarks/compare.py`` reads it):
``{"shape", "funders", "repeat", "sizes": [{"groups", "funders", "columns", "rows", "build",
"solve", "direct", "ratio", "solve_stock", "build_solve", "full"}]}``, times in seconds.

What each side's time covers: "solve" is ``prob.solve`` from PuLP's objects to values, duals
and slacks read back onto them (creating the solver and its highspy instance, passing the
model, HiGHS's run, reading the solution). "direct" is ``passModel`` of a ready ``HighsLp``
and ``run`` (its conversion from PuLP's objects, `to_highs_lp`, is not timed). Both use
HiGHS's default options (presolve on, threads automatic) with output off and the same time
limit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import pulp
from netfund.allocation import SolverSettings, solve_allocation
from netfund.allocation.classes import group_funders
from netfund.allocation.model import AllocationModel
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.solver import (
    DUAL_FEASIBILITY_TOLERANCE,
    PRIMAL_FEASIBILITY_TOLERANCE,
    run,
    silence_highs_banner,
)
from netfund.allocation.stages import GAP_TOLERANCE_EUROS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import allocation_instances


def priority_model(problem: AllocationProblem) -> AllocationModel:
    """The engine's priority-stage LP, over funder classes as the engine builds it."""
    model = AllocationModel(group_funders(problem).reduced, with_fill=False)
    model.set_objective(model.priority_expression())
    return model


def to_highs_lp(prob: pulp.LpProblem) -> highspy.HighsLp:
    """The same LP as plain sparse data for highspy: columns in PuLP's order, rows alike."""
    variables = prob.variables()
    index = {variable.name: position for position, variable in enumerate(variables)}
    inf = highspy.kHighsInf
    objective = prob.objective if prob.objective is not None else {}
    sense = -1.0 if prob.sense == pulp.LpMaximize else 1.0
    lp = highspy.HighsLp()
    lp.num_col_ = len(variables)
    lp.col_cost_ = np.array([sense * objective.get(v, 0.0) for v in variables], dtype=float)
    lp.col_lower_ = np.array(
        [-inf if v.lowBound is None else v.lowBound for v in variables], dtype=float
    )
    lp.col_upper_ = np.array(
        [inf if v.upBound is None else v.upBound for v in variables], dtype=float
    )
    columns: list[list[tuple[int, float]]] = [[] for _ in variables]
    lower, upper = [], []
    for row, constraint in enumerate(prob.constraints()):
        for variable, coefficient in constraint.items():
            columns[index[variable.name]].append((row, coefficient))
        low, high = constraint.getLb(), constraint.getUb()
        lower.append(-inf if low is None else low)
        upper.append(inf if high is None else high)
    lp.num_row_ = len(lower)
    lp.row_lower_ = np.array(lower, dtype=float)
    lp.row_upper_ = np.array(upper, dtype=float)
    starts, rows, values = [0], [], []
    for column in columns:
        for row, coefficient in column:
            rows.append(row)
            values.append(coefficient)
        starts.append(len(rows))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=float)
    return lp


#: The engine's solver tolerances, given to the stock and direct solves too (same LP, same rules).
TOLERANCES = {
    "primal_feasibility_tolerance": PRIMAL_FEASIBILITY_TOLERANCE,
    "dual_feasibility_tolerance": DUAL_FEASIBILITY_TOLERANCE,
}


def solve_directly(lp: highspy.HighsLp, time_limit_seconds: float) -> tuple[float, float]:
    """(seconds, optimal objective of the original maximisation) for highspy on its own."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", time_limit_seconds)
    for name, value in TOLERANCES.items():
        highs.setOptionValue(name, value)
    started = time.perf_counter()
    highs.passModel(lp)
    highs.run()
    seconds = time.perf_counter() - started
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"highspy did not reach an optimum: {highs.getModelStatus()}")
    return seconds, -highs.getInfo().objective_function_value


def measure(problem: AllocationProblem, repeat: int, time_limit: float) -> dict[str, float]:
    settings = SolverSettings(time_limit_seconds=time_limit)
    best: dict[str, float] = {}

    def keep(name: str, value: float) -> None:
        best[name] = min(best.get(name, value), value)

    for _ in range(repeat):
        started = time.perf_counter()
        model = priority_model(problem)
        keep("build", time.perf_counter() - started)
        started = time.perf_counter()
        weights = [float(r.weight) for r in model.problem.requests if r.weight > 0]
        unit = min(weights, default=1.0) / model.priority_scale  # a euro at the smallest weight
        run(model.prob, settings, stage="priority", gap_tolerance=GAP_TOLERANCE_EUROS * unit)
        keep("solve", time.perf_counter() - started)
        pulp_optimum = float(model.priority_expression().value() or 0.0)
        direct, direct_optimum = solve_directly(to_highs_lp(model.prob), time_limit)
        keep("direct", direct)
        if abs(direct_optimum - pulp_optimum) > 1e-6 * max(1.0, abs(pulp_optimum)):
            raise RuntimeError(f"optima differ: {pulp_optimum} vs {direct_optimum}")
        stock = priority_model(problem)
        started = time.perf_counter()
        stock.prob.solve(pulp.HiGHS(msg=False, timeLimit=time_limit, **TOLERANCES))
        keep("solve_stock", time.perf_counter() - started)
        if stock.total_values() != model.total_values():
            raise RuntimeError("PuLP's stock HiGHS and the engine's solver differ")
        started = time.perf_counter()
        solve_allocation(problem, settings)
        keep("full", time.perf_counter() - started)
    best["columns"] = len(model.prob.variables())
    best["rows"] = len(model.prob.constraints())
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--funders", type=int, default=50)
    parser.add_argument("--shape", choices=("network", "distinct"), default="network")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object, no table")
    arguments = parser.parse_args(argv)
    silence_highs_banner()  # highspy's first object prints a banner on stdout (see solver.py)
    header = (
        f"{'groups':>7} {'funders':>7} {'columns':>8} {'rows':>6} {'build s':>8} "
        f"{'solve s':>8} {'highspy s':>9} {'ratio':>6} {'stock s':>8} {'build+solve':>11} "
        f"{'full run s':>10}"
    )
    if not arguments.json:
        print(f"shape: {arguments.shape}; best of {arguments.repeat}")
        print(header)
        print("-" * len(header))
    measured = []
    for size in (int(text) for text in arguments.sizes.split(",")):
        problem = allocation_instances.make_problem(size, arguments.funders, shape=arguments.shape)
        times = measure(problem, arguments.repeat, arguments.time_limit)
        measured.append(
            {
                "groups": size,
                "funders": arguments.funders,
                "columns": int(times["columns"]),
                "rows": int(times["rows"]),
                "build": times["build"],
                "solve": times["solve"],
                "direct": times["direct"],
                "ratio": times["solve"] / times["direct"],
                "solve_stock": times["solve_stock"],
                "build_solve": times["build"] + times["solve"],
                "full": times["full"],
            }
        )
        if arguments.json:
            continue
        print(
            f"{size:>7} {arguments.funders:>7} {int(times['columns']):>8} {int(times['rows']):>6} "
            f"{times['build']:>8.3f} {times['solve']:>8.3f} {times['direct']:>9.3f} "
            f"{times['solve'] / times['direct']:>6.2f} {times['solve_stock']:>8.3f} "
            f"{times['build'] + times['solve']:>11.3f} "
            f"{times['full']:>10.3f}",
            flush=True,
        )
    if arguments.json:
        document = {
            "shape": arguments.shape,
            "funders": arguments.funders,
            "repeat": arguments.repeat,
            "sizes": measured,
        }
        print(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
