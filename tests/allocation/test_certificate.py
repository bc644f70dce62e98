"""The optimality certificate: a true optimum passes, a solver that stops short does not.

The central case is issue 13's bug in its original form: the fill ratio ``t`` in ``[0, 1]``
with rows carrying EUR 10M coefficients, solved with HiGHS's default dual tolerance (1e-7).
HiGHS reports "optimal" at ``t = 0`` where 7.5% is possible; the certificate refuses it.
"""

from __future__ import annotations

import pulp
import pytest
from netfund.allocation import solver as solver_module
from netfund.allocation.certificate import certify
from netfund.allocation.lp_arrays import lp_arrays
from netfund.allocation.solver import SolverFailure, SolverSettings, SolveStatus


def _add(prob: pulp.LpProblem, terms, sense: int, name: str, rhs: float) -> None:  # type: ignore[no-untyped-def]
    prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs), name)


def old_fill_ratio_lp() -> tuple[pulp.LpProblem, pulp.LpVariable]:
    """One funder with EUR 10M, WG-A 0-10M, ST-B (overhead) 0-20M, cap 15%, max t in [0, 1]."""
    prob = pulp.LpProblem("old_scaling", pulp.LpMaximize)
    a = prob.add_variable("a_000000", 0, 1e7)
    b = prob.add_variable("a_000001", 0, 2e7)
    t = prob.add_variable("t", 0, 1)
    x_a = prob.add_variable("x_00000_000000", 0)
    x_b = prob.add_variable("x_00000_000001", 0)
    _add(prob, [(x_a, 1.0), (x_b, 1.0)], pulp.LpConstraintLE, "available", 1e7)
    _add(prob, [(a, 1.0), (x_a, -1.0)], pulp.LpConstraintEQ, "balance_a", 0.0)
    _add(prob, [(b, 1.0), (x_b, -1.0)], pulp.LpConstraintEQ, "balance_b", 0.0)
    _add(prob, [(a, -0.15), (b, 0.85)], pulp.LpConstraintLE, "network_overhead_cap", 0.0)
    _add(prob, [(a, 1.0), (t, -1e7)], pulp.LpConstraintGE, "fill_a", 0.0)
    _add(prob, [(b, 1.0), (t, -2e7)], pulp.LpConstraintGE, "fill_b", 0.0)
    prob.setObjective(pulp.LpAffineExpression([(t, 1.0)]))
    return prob, t


def test_the_old_badly_scaled_fill_ratio_stopping_short_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(solver_module, "DUAL_FEASIBILITY_TOLERANCE", 1e-7)  # HiGHS's default
    prob, t = old_fill_ratio_lp()
    with pytest.raises(SolverFailure, match=r"stage 'fill_ratio'.*gap of 0\.088") as failure:
        solver_module.run(prob, SolverSettings(), stage="fill_ratio", gap_tolerance=2.5e-10)
    assert "does not pass the optimality check" in str(failure.value)
    assert (t.varValue or 0.0) < 0.01  # the solver's point: far below the optimum 0.075


def test_a_true_optimum_is_certified_with_no_gap() -> None:
    prob = pulp.LpProblem("small", pulp.LpMaximize)
    x = prob.add_variable("x", 0, 3)
    y = prob.add_variable("y", 0)
    _add(prob, [(x, 1.0), (y, 2.0)], pulp.LpConstraintLE, "room", 4.0)
    prob.setObjective(pulp.LpAffineExpression([(x, 1.0), (y, 1.0)]))
    status = solver_module.run(prob, SolverSettings(), stage="small", gap_tolerance=1e-9)
    assert status == SolveStatus.OPTIMAL
    assert (x.varValue, y.varValue) == pytest.approx((3.0, 0.5))
    certificate = certify(lp_arrays(prob), SolverSettings().dual_sign(prob.sense))
    assert certificate.objective == pytest.approx(3.5)
    assert certificate.bound == pytest.approx(3.5)
    assert abs(certificate.gap) < 1e-9
    assert certificate.problem(1e-9) is None


def test_a_worse_point_with_the_optimal_duals_shows_its_gap() -> None:
    prob = pulp.LpProblem("small", pulp.LpMinimize)
    x = prob.add_variable("x", 1, 10)
    y = prob.add_variable("y", 0, 10)
    _add(prob, [(x, 1.0), (y, 1.0)], pulp.LpConstraintGE, "need", 5.0)
    prob.setObjective(pulp.LpAffineExpression([(x, 2.0), (y, 1.0)]))
    solver_module.run(prob, SolverSettings(), stage="small", gap_tolerance=1e-9)
    assert (x.varValue, y.varValue) == pytest.approx((1.0, 4.0))
    x.varValue, y.varValue = 3.0, 2.0  # feasible, but costs 8 instead of 6
    certificate = certify(lp_arrays(prob), SolverSettings().dual_sign(prob.sense))
    assert certificate.primal_violation == 0
    assert certificate.gap == pytest.approx(2.0)
    assert "gap of 2" in (certificate.problem(0.005) or "")
    x.varValue, y.varValue = 0.5, 4.5  # x below its lower bound of 1
    assert "violates a constraint by 0.5" in (certify(lp_arrays(prob), 1.0).problem(10) or "")
