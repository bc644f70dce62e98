"""The allocation run: objective stages, tie-break stages, rounding to cents, checks.

Stages, each an LP, each later one holding the earlier optima:

- `proportional` only: **fill_ratio**, maximise the smallest fill ratio ``t``;
- **priority**: maximise ``sum_g weight_g * a_g`` (for `proportional`, with ``t`` held);
  its shadow prices are the ones `explain` puts in words;
- **tie_break_totals** and **tie_break_spread** (see `tiebreak`): one canonical optimum.

A hold is ``stage value >= optimum - tolerance``, the tolerance expressed in money. The
solver's optimum is exact only up to its own tolerances, so holding it exactly could make the
next stage look infeasible; a loose hold is worse, because the tie-break stage exploits every
bit of slack it is given (it would shave a fraction of a cent off one group for another). So
the tolerance starts at a millionth of a euro and is widened, only if a held stage is reported
infeasible, to at most half a cent: for the fill ratio (in euros of the widest request) every
group then loses at most that much of its floor; for the priority objective the tolerance is
the worth of that much money at the smallest nonzero weight. It is recorded in the result's
stages, in euros.

Every solve is certified (`certificate`): the solver's "optimal" counts only when the point is
feasible and the Lagrangian bound from its duals lies within half a cent of money (in the
stage's objective units) of its objective; otherwise a `SolverFailure`.

After each objective stage, columns with a nonzero reduced cost are fixed at their bound (see
`_Run._fix_settled`), which leaves the later stages the same choice in a smaller LP.

The LP runs over funder classes (`classes`: interchangeable funders merged), `rounding` turns
the class euros into cents, `classes.split_to_members` splits them over the member funders,
`checks` re-checks every constraint of the original problem in integers (an
`InvariantViolation` if anything fails), and the result is assembled from cents only.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pulp
from netfund.allocation import solver as solver_module
from netfund.allocation.checks import require_valid_allocation
from netfund.allocation.classes import FunderClasses, group_funders, split_to_members
from netfund.allocation.diagnosis import infeasible_error, prechecks
from netfund.allocation.model import AllocationModel
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.result import Allocation, AllocationResult, Sensitivity, StageRecord
from netfund.allocation.rounding.cents import round_to_cents
from netfund.allocation.solver import SolverFailure, SolverSettings, SolveStatus
from netfund.allocation.tiebreak import spread_over_funders, totals_coefficients

#: The tolerances of a held optimum, in euros of money, tried in turn while a held stage is
#: reported infeasible; the last is the most a hold may give away: half a cent per group.
HOLD_TOLERANCES_EUROS = (1e-6, 1e-4, 5e-3)
#: The largest duality gap a stage's certificate accepts, in euros of money.
GAP_TOLERANCE_EUROS = 5e-3
#: A reduced cost above this (relative to the objective's largest coefficient) settles its
#: column at its bound; a column within SETTLED_EUROS of that bound counts as sitting on it.
SETTLED_REDUCED_COST = 1e-6
SETTLED_EUROS = 1e-7


def solve_allocation(
    problem: AllocationProblem, settings: SolverSettings | None = None
) -> AllocationResult:
    """Solve ``problem`` to an allocation in exact cents.

    Raises `InfeasibleError` (with a diagnosis) when the plan cannot be satisfied,
    `SolverFailure` when the solver proves nothing in its time limit, `TimeLimitExceeded` when
    ``settings.deadline`` passes before the result is ready, and `InvariantViolation` if the
    engine's own result would break a constraint (a bug).
    """
    settings = settings or SolverSettings()
    if prechecks(problem):
        raise infeasible_error(problem, settings)
    if not problem.requests:  # nothing to allocate, and the pre-checks found the caps holding
        return _result(problem, {}, settings, 0.0, None, [], None)
    classes = group_funders(problem)
    run = _Run(classes.reduced, settings, original=problem)
    class_cents = run.solve()
    member_cents = split_to_members(classes, class_cents)
    amounts = {
        (problem.funders[f].code, problem.requests[g].group): cents
        for (f, g), cents in member_cents.items()
    }
    require_valid_allocation(problem, amounts)
    settings.check_time("while rounding to whole cents and checking them")
    sensitivity = _for_members(classes, run.sensitivity) if run.sensitivity else None
    return _result(
        problem, amounts, settings, run.lp_priority, run.lp_fill, run.stages, sensitivity
    )


class _Hold:
    """One held optimum: its row, its value, how many objective units a euro of money is worth
    in it, and which of `HOLD_TOLERANCES_EUROS` it uses now."""

    def __init__(self, name: str, constraint: pulp.LpConstraint, value: float, unit: float) -> None:
        self.name, self.constraint, self.value, self.unit = name, constraint, value, unit
        self.step = 0
        constraint.changeRHS(value - self.tolerance)

    @property
    def tolerance_euros(self) -> float:
        return HOLD_TOLERANCES_EUROS[self.step]

    @property
    def tolerance(self) -> float:
        return self.tolerance_euros * self.unit

    def widen(self) -> bool:
        """Take the next tolerance; False when the widest was already in use."""
        if self.step + 1 == len(HOLD_TOLERANCES_EUROS):
            return False
        self.step += 1
        self.constraint.changeRHS(self.value - self.tolerance)
        return True


class _Run:
    """The state of one allocation run across its stages."""

    def __init__(
        self, problem: AllocationProblem, settings: SolverSettings, *, original: AllocationProblem
    ) -> None:
        self.problem = problem
        self.original = original
        self.settings = settings
        self.lp_priority = 0.0
        self.lp_fill: float | None = None
        self.sensitivity: Sensitivity | None = None
        self.holds: list[_Hold] = []
        self.model = AllocationModel(problem, with_fill=problem.objective == "proportional")
        self.stages: list[StageRecord] = []
        self.first_stage = True
        weights = [float(r.weight) for r in problem.requests if r.weight > 0]  # money-safe
        #: objective units of the priority stage per euro at the smallest nonzero weight
        self.priority_unit = min(weights, default=1.0) / self.model.priority_scale

    def _solve_stage(self, name: str, objective: pulp.LpAffineExpression, unit: float) -> float:
        """Solve one stage; widen the holds while a held stage looks infeasible.

        ``unit`` is what a euro of money is worth in the stage's objective: the certificate's
        gap tolerance is `GAP_TOLERANCE_EUROS` of it.
        """
        model = self.model
        model.set_objective(objective)
        while True:
            status = solver_module.run(
                model.prob, self.settings, stage=name, gap_tolerance=GAP_TOLERANCE_EUROS * unit
            )
            if status == SolveStatus.OPTIMAL:
                self.first_stage = False
                return float(objective.value() or 0.0)  # money-safe
            if status == SolveStatus.INFEASIBLE and self.first_stage:
                raise infeasible_error(self.original, self.settings)
            if status != SolveStatus.INFEASIBLE or not self._widen_holds():
                break
        raise SolverFailure(solver_module.failure_message(model.prob, self.settings, name))

    def _hold(
        self, name: str, objective: pulp.LpAffineExpression, value: float, unit: float
    ) -> None:
        constraint = self.model.hold(f"hold_{name}", objective, value)
        self.holds.append(_Hold(name, constraint, value, unit))

    def _widen_holds(self) -> bool:
        return any([hold.widen() for hold in self.holds])

    def _stage_records(self, values: dict[str, float]) -> list[StageRecord]:
        tolerances = {hold.name: hold.tolerance_euros for hold in self.holds}
        return [
            StageRecord(name, value, tolerances.get(name, 0.0)) for name, value in values.items()
        ]

    def solve(self) -> dict[tuple[int, int], int]:
        """Run the stages; return whole cents per (funder, group) of this run's problem."""
        problem, model = self.problem, self.model
        values: dict[str, float] = {}
        if model.fill is not None:
            fill_objective = pulp.LpAffineExpression([(model.fill, 1.0)])
            lp_fill_euros = self._solve_stage("fill_ratio", fill_objective, 1.0)
            self.lp_fill = values["fill_ratio"] = lp_fill_euros / model.fill_scale
            self._fix_settled()
            self._hold("fill_ratio", fill_objective, lp_fill_euros, 1.0)
        priority = model.priority_expression()
        lp_priority = self._solve_stage("priority", priority, self.priority_unit)
        self.lp_priority = values["priority"] = lp_priority * model.priority_scale
        self.sensitivity = self._sensitivity()
        self._fix_settled()
        self._hold("priority", priority, lp_priority, self.priority_unit)
        totals_objective = model.totals_expression(totals_coefficients(problem))
        values["tie_break_totals"] = self._solve_stage("tie_break_totals", totals_objective, 1.0)
        spread, lp_spread = spread_over_funders(problem, model.total_values(), self.settings)
        values["tie_break_spread"] = lp_spread
        self.stages = self._stage_records(values)
        lp_cents = {pair: euros * 100 for pair, euros in spread.items()}
        self.settings.check_time("before rounding to whole cents")
        return round_to_cents(problem, lp_cents, self.settings)

    def _fix_settled(self) -> None:
        """Fix every column with a nonzero reduced cost at its bound.

        By complementary slackness such a column sits at that bound in every optimal solution
        of the stage just solved, so fixing it changes nothing the later stages may choose
        from; it only lets presolve drop it, which makes the tie-break stage several times
        faster on large plans. The current solution stays feasible, so this is safe even when
        a reduced cost is only noise above the threshold.
        """
        model = self.model
        sign = self.settings.dual_sign(model.prob.sense)
        objective = model.prob.objective
        scale = max((abs(c) for c in objective.values()), default=1.0) if objective else 1.0
        threshold = SETTLED_REDUCED_COST * max(1.0, scale)
        for variable in [*model.x.values(), *model.totals]:
            reduced = sign * float(variable.dj or 0.0)  # money-safe
            value = float(variable.varValue or 0.0)  # money-safe
            low, high = variable.lowBound, variable.upBound
            if reduced < -threshold and low is not None and abs(value - low) <= SETTLED_EUROS:
                variable.upBound = low
            elif reduced > threshold and high is not None and abs(value - high) <= SETTLED_EUROS:
                variable.lowBound = high

    def _sensitivity(self) -> Sensitivity:
        """Shadow prices of the stage just solved, as d(objective)/d(right-hand side)."""
        model, problem = self.model, self.problem
        # the stage's objective is in euros at the largest weight: prices back to weight × euros
        sign = self.settings.dual_sign(model.prob.sense) * model.priority_scale

        def price(constraint: pulp.LpConstraint | None) -> float:
            if constraint is None or constraint.pi is None:
                return 0.0
            return sign * float(constraint.pi) + 0.0  # money-safe

        hold_fill = next((h.constraint for h in self.holds if h.name == "fill_ratio"), None)
        return Sensitivity(
            stage="priority",
            availability=tuple(
                (problem.funders[f].code, price(row))
                for f, row in sorted(model.availability.items())
            ),
            funder_caps=tuple(
                (problem.funders[f].code, price(row))
                for f, row in sorted(model.funder_caps.items())
            ),
            network_cap=price(model.network_cap),
            group_values=tuple(
                (request.group, price(row))
                for request, row in zip(problem.requests, model.balance, strict=True)
            ),
            group_bounds=tuple(
                (request.group, sign * float(total.dj or 0.0) + 0.0)  # money-safe
                for request, total in zip(problem.requests, model.totals, strict=True)
            ),
            # per unit of the fill ratio t = u / R: the hold's price per euro of u, times R
            fill_hold=price(hold_fill) * model.fill_scale,
        )


def _for_members(classes: FunderClasses, sensitivity: Sensitivity) -> Sensitivity:
    """Class prices as prices of each member funder: members are interchangeable."""
    codes = {
        classes.reduced.funders[c].code: [classes.original.funders[f].code for f in members]
        for c, members in enumerate(classes.members)
    }
    availability = sorted(
        (member, price) for code, price in sensitivity.availability for member in codes[code]
    )
    return dataclasses.replace(sensitivity, availability=tuple(availability))


def _result(
    problem: AllocationProblem,
    amounts: dict[tuple[str, str], int],
    settings: SolverSettings,
    lp_priority: float,
    lp_fill: float | None,
    stages: list[StageRecord],
    sensitivity: Sensitivity | None,
) -> AllocationResult:
    allocations = tuple(
        Allocation(funder, group, cents)
        for (funder, group), cents in sorted(amounts.items())
        if cents != 0
    )
    group_totals = dict.fromkeys((request.group for request in problem.requests), 0)
    funder_totals = dict.fromkeys((funder.code for funder in problem.funders), 0)
    for item in allocations:
        group_totals[item.group] += item.amount_cents
        funder_totals[item.funder] += item.amount_cents
    priority_value = sum(
        (
            request.weight * Decimal(group_totals[request.group]).scaleb(-2)
            for request in problem.requests
        ),
        Decimal(0),
    )
    return AllocationResult(
        objective=problem.objective,
        allocations=allocations,
        group_totals=tuple(sorted(group_totals.items())),
        funder_totals=tuple(sorted(funder_totals.items())),
        priority_value=priority_value,
        fill_ratio_min=fill_ratio_min(problem, group_totals),
        lp_priority_value=lp_priority,
        lp_fill_ratio=lp_fill,
        stages=tuple(stages),
        sensitivity=sensitivity,
        solver=settings.name,
    )


def fill_ratio_min(problem: AllocationProblem, group_totals: dict[str, int]) -> Fraction | None:
    """The smallest ``(a - min) / (max - min)`` over requests with ``max > min``, exactly."""
    ratios = [
        Fraction(group_totals[request.group] - request.min_cents, request.range_cents)
        for request in problem.requests
        if request.range_cents > 0
    ]
    return min(ratios) if ratios else None
