"""Allocation of transformation funds across working groups with a linear program.

Data flow: `plan.load_plan` reads plan.toml → `Plan.to_problem` joins it with the ledger's
figures into an `AllocationProblem` → `stages.solve_allocation` runs the LP stages (objective,
then tie-breaks), `rounding` turns euros into exact cents, `checks` re-checks every constraint
in integers → an `AllocationResult` (canonical `to_dict()`), which `explain.explain` puts in
words. An infeasible plan raises `InfeasibleError` with the `diagnosis` lines.

Modules: `problem` and `result` (the records), `plan` (input), `model` (the LP), `solver`
(solver choice, limits, tolerances, status and dual signs), `lp_arrays` and `certificate` (every
"optimal" checked from the LP's own data and the duals), `stages` (the stages), `tiebreak`,
`rounding/` (cents, exact, maxflow), `checks`, `diagnosis`, `explain`, `wording` (amounts in words).
"""

from netfund.allocation.checks import allocation_violations, require_valid_allocation
from netfund.allocation.errors import InfeasibleError
from netfund.allocation.explain import explain
from netfund.allocation.plan import Plan, PlanRequest, load_plan
from netfund.allocation.problem import AllocationProblem, FunderSupply, Request
from netfund.allocation.result import Allocation, AllocationResult, Sensitivity, StageRecord
from netfund.allocation.solver import SolverFailure, SolverSettings
from netfund.allocation.stages import solve_allocation

__all__ = [
    "Allocation",
    "AllocationProblem",
    "AllocationResult",
    "FunderSupply",
    "InfeasibleError",
    "Plan",
    "PlanRequest",
    "Request",
    "Sensitivity",
    "SolverFailure",
    "SolverSettings",
    "StageRecord",
    "allocation_violations",
    "explain",
    "load_plan",
    "require_valid_allocation",
    "solve_allocation",
]
