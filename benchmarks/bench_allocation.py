"""pytest-benchmark timings of the allocation engine; on demand, not part of the test suite.

    /work/venv/bin/pytest benchmarks/bench_allocation.py --benchmark-enable

(pyproject adds ``--benchmark-disable`` to every run, so without ``--benchmark-enable`` each
benchmark runs once as a smoke test.) The table with highspy solving the same LP directly is
`allocation_scaling.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from netfund.allocation import SolverSettings, solve_allocation
from netfund.allocation.classes import group_funders
from netfund.allocation.model import AllocationModel
from netfund.allocation.solver import run

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from allocation_instances import make_problem

SETTINGS = SolverSettings(time_limit_seconds=600)


@pytest.mark.parametrize("groups", [100, 1000])
def test_build_and_solve_priority_stage(benchmark, groups):
    problem = group_funders(make_problem(groups, 50)).reduced

    def build_and_solve() -> str:
        model = AllocationModel(problem, with_fill=False)
        model.set_objective(model.priority_expression())
        return run(model.prob, SETTINGS)

    assert benchmark(build_and_solve) == "optimal"


@pytest.mark.parametrize("objective", ["priority", "proportional"])
@pytest.mark.parametrize("groups", [100, 1000])
def test_full_allocation_run(benchmark, groups, objective):
    problem = make_problem(groups, 50, objective=objective)
    result = benchmark.pedantic(solve_allocation, args=(problem, SETTINGS), rounds=3, iterations=1)
    assert result.total_cents > 0


def test_full_allocation_run_distinct_funders(benchmark):
    problem = make_problem(1000, 50, shape="distinct")
    result = benchmark.pedantic(solve_allocation, args=(problem, SETTINGS), rounds=2, iterations=1)
    assert result.total_cents > 0


@pytest.mark.parametrize("shape", ["network"])
def test_full_allocation_run_ten_thousand_groups(benchmark, shape):
    problem = make_problem(10_000, 50, shape=shape)
    result = benchmark.pedantic(solve_allocation, args=(problem, SETTINGS), rounds=1, iterations=1)
    assert result.total_cents > 0
