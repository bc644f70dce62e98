"""`BatchedHiGHS` against PuLP's stock ``pulp.HiGHS``: the same HiGHS model, the same answers.

The subclass exists only to pass the model to highspy faster (see allocation/solver.py), so
everything here is an equality with the stock solver: the model HiGHS receives (array for
array), the values, duals, slacks and statuses PuLP reads back (bit for bit), and the
allocations, explanations and diagnoses the engine makes of them (to the cent, word for word).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulp
import pytest
from netfund.allocation import (
    AllocationProblem,
    FunderSupply,
    Request,
    SolverSettings,
    explain,
    solve_allocation,
)
from netfund.allocation.classes import group_funders
from netfund.allocation.errors import InfeasibleError
from netfund.allocation.model import AllocationModel
from netfund.allocation.solver import (
    DUAL_FEASIBILITY_TOLERANCE,
    PRIMAL_FEASIBILITY_TOLERANCE,
    BatchedHiGHS,
)

INSTANCES = Path(__file__).resolve().parents[2] / "benchmarks" / "allocation_instances.py"


def _instances() -> Any:
    """The benchmarks' seeded problem generator (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("allocation_instances", INSTANCES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _network(objective: str = "priority", shape: str = "network") -> AllocationProblem:
    return _instances().make_problem(80, 12, objective=objective, shape=shape)


def _priority_lp(problem: AllocationProblem) -> pulp.LpProblem:
    model = AllocationModel(group_funders(problem).reduced, with_fill=False)
    model.set_objective(model.priority_expression())
    return model.prob


def _proportional_lp(problem: AllocationProblem) -> pulp.LpProblem:
    """The fill-ratio stage: a ``t`` column and GE rows besides the priority LP's."""
    model = AllocationModel(group_funders(problem).reduced, with_fill=True)
    assert model.fill is not None
    model.set_objective(pulp.LpAffineExpression([(model.fill, 1.0)]))
    return model.prob


def _odd_lp() -> pulp.LpProblem:
    """What the allocation LPs lack: a minimisation, integers, a free and a negative column,
    a zero coefficient, a row without terms, a row with a constant on its left side."""
    prob = pulp.LpProblem("odd", pulp.LpMinimize)
    whole = prob.add_variable("whole", 0, 10, cat=pulp.LpInteger)
    free = prob.add_variable("free")
    negative = prob.add_variable("negative", -5, -1)
    unused = prob.add_variable("unused", 0, 3)
    prob.setObjective(pulp.LpAffineExpression([(whole, 1.0), (free, 2.0), (negative, -1.0)]))
    rows = [
        ([(whole, 1.0), (free, 1.0)], pulp.LpConstraintGE, 3.5),
        ([(free, 1.0), (negative, 1.0), (unused, 0.0)], pulp.LpConstraintEQ, -0.5),
        ([(whole, 2.0), (negative, -1.0)], pulp.LpConstraintLE, 40.0),
        ([], pulp.LpConstraintLE, 1.0),
    ]
    for number, (terms, sense, rhs) in enumerate(rows):
        name = f"row_{number}"
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs))
    shifted = pulp.LpAffineExpression([(whole, 1.0)], constant=2.0)
    prob.addConstraint(pulp.LpConstraint(shifted, pulp.LpConstraintGE, "shifted", 4.0))
    return prob


LPS: dict[str, Callable[[], pulp.LpProblem]] = {
    "priority-network": lambda: _priority_lp(_network()),
    "priority-distinct": lambda: _priority_lp(_network(shape="distinct")),
    "fill-ratio": lambda: _proportional_lp(_network("proportional")),
    "odd-mip": _odd_lp,
}


def _highs_model(prob: pulp.LpProblem, solver: pulp.HiGHS) -> dict[str, list[Any]]:
    """The LP HiGHS holds after ``solver`` passed ``prob`` to it, as plain lists."""
    prob.fixObjective()
    solver.createAndConfigureSolver(prob)
    solver.buildSolverModel(prob)
    lp = prob.solverModel.getLp()
    matrix = lp.a_matrix_
    return {
        "sizes": [lp.num_col_, lp.num_row_],
        "format": [str(matrix.format_)],
        "col_cost": list(lp.col_cost_),
        "col_lower": list(lp.col_lower_),
        "col_upper": list(lp.col_upper_),
        "row_lower": list(lp.row_lower_),
        "row_upper": list(lp.row_upper_),
        "start": list(matrix.start_),
        "index": list(matrix.index_),
        "value": list(matrix.value_),
        "integrality": [int(kind) for kind in lp.integrality_],
    }


def _answers(prob: pulp.LpProblem) -> dict[str, Any]:
    """Everything PuLP read back from the solver, keyed by name."""
    return {
        "status": (prob.status, prob.sol_status),
        "variables": {v.name: (v.varValue, v.dj) for v in prob.variables()},
        "constraints": {c.name: (c.pi, c.slack) for c in prob.constraints()},
    }


@pytest.mark.parametrize("make", LPS.values(), ids=LPS.keys())
def test_highs_receives_the_same_model_from_both(make: Callable[[], pulp.LpProblem]) -> None:
    stock = _highs_model(make(), pulp.HiGHS(msg=False))
    batched = _highs_model(make(), BatchedHiGHS(msg=False))
    assert batched == stock
    assert stock["sizes"][0] > 0 and stock["value"]


@pytest.mark.parametrize("make", LPS.values(), ids=LPS.keys())
def test_both_read_back_identical_values_duals_and_slacks(
    make: Callable[[], pulp.LpProblem],
) -> None:
    stock, batched = make(), make()
    stock.solve(pulp.HiGHS(msg=False, timeLimit=60))
    batched.solve(BatchedHiGHS(msg=False, timeLimit=60))
    assert _answers(batched) == _answers(stock)
    assert stock.status == pulp.LpStatusOptimal


def test_the_mip_keeps_its_integer_column() -> None:
    # Relaxed, "whole" would take 2.0 exactly too; a fractional bound makes integrality bite.
    prob = _odd_lp()
    whole = next(v for v in prob.variables() if v.name == "whole")
    prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression([(whole, 1.0)]), 1, "f", 2.5))
    prob.solve(BatchedHiGHS(msg=False, timeLimit=60))
    assert whole.varValue == 3.0


def test_an_infeasible_lp_and_a_time_limit_hit_get_the_same_statuses() -> None:
    def infeasible() -> pulp.LpProblem:
        prob = _priority_lp(_network())
        first = prob.variables()[0]
        too_much = pulp.LpAffineExpression([(first, 1.0)])
        prob.addConstraint(pulp.LpConstraint(too_much, pulp.LpConstraintGE, "huge", 1e12))
        return prob

    for make, limit in ((infeasible, 60.0), (lambda: _priority_lp(_network()), 1e-9)):
        stock, batched = make(), make()
        stock.solve(pulp.HiGHS(msg=False, timeLimit=limit))
        batched.solve(BatchedHiGHS(msg=False, timeLimit=limit))
        assert (batched.status, batched.sol_status) == (stock.status, stock.sol_status)
        assert stock.sol_status != pulp.LpSolutionOptimal


@pytest.fixture
def stock_highs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let ``SolverSettings("highs").make()`` return PuLP's own ``pulp.HiGHS`` instead."""

    def make(self: SolverSettings) -> pulp.LpSolver:
        assert self.name == "highs"
        return pulp.HiGHS(
            msg=False,
            timeLimit=self.time_limit_seconds,
            primal_feasibility_tolerance=PRIMAL_FEASIBILITY_TOLERANCE,
            dual_feasibility_tolerance=DUAL_FEASIBILITY_TOLERANCE,
        )

    with monkeypatch.context() as patch:
        patch.setattr(SolverSettings, "make", make)
        yield


def _with_history(problem: AllocationProblem) -> AllocationProblem:
    """Earlier allocations in the period, so the cap rows carry constants."""
    funders = tuple(
        FunderSupply(
            f.code,
            f.available_cents,
            f.eligible_groups,
            f.overhead_cap,
            already_allocated_cents=1_000_000,
            already_allocated_overhead_cents=100_000,
        )
        for f in problem.funders
    )
    return AllocationProblem(
        funders=funders,
        requests=problem.requests,
        overhead_cap=problem.overhead_cap,
        objective=problem.objective,
        already_allocated_cents=sum(f.already_allocated_cents for f in funders),
        already_allocated_overhead_cents=sum(f.already_allocated_overhead_cents for f in funders),
    )


PROBLEMS: dict[str, Callable[[], AllocationProblem]] = {
    "priority": _network,
    "proportional": lambda: _network("proportional"),
    "distinct": lambda: _network(shape="distinct"),
    "history": lambda: _with_history(_network("proportional")),
}


@pytest.mark.parametrize("make", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_allocations_and_explanations_match_the_stock_solver(
    make: Callable[[], AllocationProblem], request: pytest.FixtureRequest
) -> None:
    problem = make()
    batched = solve_allocation(problem, SolverSettings("highs"))
    request.getfixturevalue("stock_highs")
    stock = solve_allocation(problem, SolverSettings("highs"))
    assert batched.to_dict() == stock.to_dict()
    assert explain(problem, batched) == explain(problem, stock)
    assert batched.total_cents > 0


def test_an_infeasible_plan_gets_the_same_diagnosis(request: pytest.FixtureRequest) -> None:
    # Every minimum raised to its maximum asks for more than the funders have (60% of it), so
    # the elastic LP has to choose where to cut.
    network = _network()
    problem = AllocationProblem(
        funders=network.funders,
        requests=tuple(
            Request(r.group, r.max_cents, r.max_cents, r.weight, r.overhead)
            for r in network.requests
        ),
        overhead_cap=network.overhead_cap,
    )
    with pytest.raises(InfeasibleError) as batched:
        solve_allocation(problem, SolverSettings("highs"))
    request.getfixturevalue("stock_highs")
    with pytest.raises(InfeasibleError) as stock:
        solve_allocation(problem, SolverSettings("highs"))
    assert batched.value.diagnosis == stock.value.diagnosis
    assert len(stock.value.diagnosis) > 1
