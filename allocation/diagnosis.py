"""Why a plan cannot be satisfied, in plain words and euros, instead of a bare "infeasible".

Two layers:

1. **Pre-checks** that name the common conflicts directly and exactly (integer cents and
   fractions): the minimums against all available money, one group's minimum against its
   eligible funders, the overhead minimums against the network cap, and earlier allocations
   that already break a cap this run cannot repair.
2. **An elastic model**: the same LP with non-negative slack on the hard constraints (each
   request's minimum, each funder's availability, the network cap and each funder's cap),
   minimising the total slack. The nonzero slacks are the smallest change that makes the plan
   feasible; each becomes a sentence with its amount. A minimum cut costs a little more for a
   group of higher weight, and availability slack costs a little more than a cut minimum, so
   the shortfall lands, deterministically, on the plan's lowest priorities first.
"""

from __future__ import annotations

import pulp
from netfund.allocation import solver as solver_module
from netfund.allocation.errors import InfeasibleError
from netfund.allocation.model import cap_coefficients, cap_room_euros, euros
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.solver import SolverFailure, SolverSettings, SolveStatus
from netfund.allocation.wording import euros_to_cents, format_euros, format_share, join_codes
from netfund.ledger import cents_over_cap

#: Slack below this many euros is solver noise, not a conflict.
SLACK_NOISE_EUROS = 0.005


def infeasible_error(problem: AllocationProblem, settings: SolverSettings) -> InfeasibleError:
    """The error to raise for an infeasible plan, with pre-check and elastic diagnosis."""
    lines = prechecks(problem)
    lines += elastic_diagnosis(problem, settings)
    if not lines:  # the LP said infeasible but no slack is needed: solver trouble, say so
        lines = ["the solver reported the plan infeasible, but no conflict could be located"]
    return InfeasibleError("the allocation plan cannot be satisfied:", diagnosis=lines)


def prechecks(problem: AllocationProblem) -> list[str]:
    """Conflicts found without a solver, each as one sentence (empty when none is found)."""
    lines: list[str] = []
    requests, funders = problem.requests, problem.funders
    eligible: dict[str, list[str]] = {request.group: [] for request in requests}
    for f, g in problem.pairs():
        eligible[requests[g].group].append(funders[f].code)
    funding = {funder.code for funder in funders if any(funder.may_fund(r.group) for r in requests)}
    available_total = sum(f.available_cents for f in funders if f.code in funding)
    minimum_total = sum(request.min_cents for request in requests)
    if minimum_total > available_total:
        lines.append(
            f"the minimums of the requests add up to {format_euros(minimum_total)} but only "
            f"{format_euros(available_total)} is available "
            f"(short {format_euros(minimum_total - available_total)})"
        )
    available = {funder.code: funder.available_cents for funder in funders}
    for request in requests:
        codes = eligible[request.group]
        if request.min_cents == 0:
            continue
        if not codes:
            lines.append(
                f"{request.group} needs at least {format_euros(request.min_cents)} but no funder "
                f"may fund it (every funder's earmark excludes it)"
            )
            continue
        reachable = sum(available[code] for code in codes)
        if request.min_cents > reachable:
            lines.append(
                f"{request.group} needs at least {format_euros(request.min_cents)} but its "
                f"eligible funders ({join_codes(codes)}) have only {format_euros(reachable)} "
                f"available (short {format_euros(request.min_cents - reachable)})"
            )
    lines += _overhead_prechecks(problem, available_total)
    return lines


def _overhead_prechecks(problem: AllocationProblem, available_total: int) -> list[str]:
    lines: list[str] = []
    cap = problem.overhead_cap
    overhead_minimum = sum(r.min_cents for r in problem.requests if r.overhead)
    other_maximum = sum(r.max_cents for r in problem.requests if not r.overhead)
    # The most other money there can be: every other group at its maximum, or all the money
    # that the overhead minimums leave, whichever is less (earmarks can only make it less).
    other_reachable = max(0, min(other_maximum, available_total - overhead_minimum))
    overhead = problem.already_allocated_overhead_cents + overhead_minimum
    total = problem.already_allocated_cents + overhead_minimum + other_reachable
    over = cents_over_cap(overhead, total, cap)
    if over > 0:
        if overhead_minimum > 0:
            lines.append(
                f"the overhead groups' minimums ({format_euros(overhead_minimum)}) exceed the "
                f"network overhead cap of {format_share(cap)} of the total allocated, even with "
                f"{format_euros(other_reachable)} for the other groups "
                f"(over by {format_euros(over)})"
            )
        else:
            lines.append(
                f"the period's earlier allocations already put overhead "
                f"({format_euros(problem.already_allocated_overhead_cents)}) above the network "
                f"overhead cap of {format_share(cap)}, and this plan can add at most "
                f"{format_euros(other_reachable)} to the other groups "
                f"(over by {format_euros(over)})"
            )
    for funder in problem.funders:
        if funder.overhead_cap is None:
            continue
        funds_other = any(
            funder.may_fund(r.group) and not r.overhead and r.max_cents > 0
            for r in problem.requests
        )
        over = cents_over_cap(
            funder.already_allocated_overhead_cents,
            funder.already_allocated_cents,
            funder.overhead_cap,
        )
        if over > 0 and (not funds_other or funder.available_cents == 0):
            lines.append(
                f"{funder.code}'s earlier allocations already put its overhead above its own cap "
                f"of {format_share(funder.overhead_cap)}, and this plan gives it no other group "
                f"to fund (over by {format_euros(over)})"
            )
    return lines


def elastic_diagnosis(problem: AllocationProblem, settings: SolverSettings) -> list[str]:
    """Solve the elastic model and turn its nonzero slacks into sentences."""
    requests, funders = problem.requests, problem.funders
    prob = pulp.LpProblem("allocation_elastic", pulp.LpMinimize)
    pairs = problem.pairs()
    x = {(f, g): prob.add_variable(f"x_{f:05d}_{g:06d}", 0) for f, g in pairs}
    totals = [
        prob.add_variable(f"a_{g:06d}", 0, euros(request.max_cents))
        for g, request in enumerate(requests)
    ]
    weights = [float(request.weight) for request in requests]  # money-safe
    weight_max = max(weights, default=0.0) or 1.0
    cost: list[tuple[pulp.LpVariable, float]] = []
    short: dict[int, pulp.LpVariable] = {}
    extra: dict[int, pulp.LpVariable] = {}
    funder_over: dict[int, pulp.LpVariable] = {}

    def add(terms: list[tuple[pulp.LpVariable, float]], sense: int, name: str, rhs: float) -> None:
        prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs), name
        )

    by_funder: dict[int, list[int]] = {}
    by_group: dict[int, list[int]] = {}
    for f, g in pairs:
        by_funder.setdefault(f, []).append(g)
        by_group.setdefault(g, []).append(f)
    for g, request in enumerate(requests):
        terms = [(totals[g], 1.0)] + [(x[f, g], -1.0) for f in by_group.get(g, [])]
        add(terms, pulp.LpConstraintEQ, f"balance_{g:06d}", 0.0)
        if request.min_cents > 0:
            short[g] = prob.add_variable(f"short_{g:06d}", 0)
            cost.append((short[g], 1 + 0.001 * float(request.weight) / weight_max))  # money-safe
            add(
                [(totals[g], 1.0), (short[g], 1.0)],
                pulp.LpConstraintGE,
                f"minimum_{g:06d}",
                euros(request.min_cents),
            )
    for f, groups in by_funder.items():
        funder = funders[f]
        extra[f] = prob.add_variable(f"extra_{f:05d}", 0)
        cost.append((extra[f], 1.01))
        terms = [(x[f, g], 1.0) for g in groups] + [(extra[f], -1.0)]
        add(terms, pulp.LpConstraintLE, f"available_{f:05d}", euros(funder.available_cents))
        if funder.overhead_cap is not None:
            overhead_k, other_k = cap_coefficients(funder.overhead_cap)
            funder_over[f] = prob.add_variable(f"funder_over_{f:05d}", 0)
            cost.append((funder_over[f], 1.0))
            terms = [(x[f, g], overhead_k if requests[g].overhead else other_k) for g in groups]
            terms = [(v, k) for v, k in terms if k != 0] + [(funder_over[f], -1.0)]
            room = cap_room_euros(
                funder.overhead_cap,
                funder.already_allocated_cents,
                funder.already_allocated_overhead_cents,
            )
            add(terms, pulp.LpConstraintLE, f"funder_overhead_cap_{f:05d}", room)
    overhead_k, other_k = cap_coefficients(problem.overhead_cap)
    network_over = prob.add_variable("network_over", 0)
    cost.append((network_over, 1.0))
    terms = [(totals[g], overhead_k if r.overhead else other_k) for g, r in enumerate(requests)]
    terms = [(v, k) for v, k in terms if k != 0] + [(network_over, -1.0)]
    room = cap_room_euros(
        problem.overhead_cap,
        problem.already_allocated_cents,
        problem.already_allocated_overhead_cents,
    )
    add(terms, pulp.LpConstraintLE, "network_overhead_cap", room)
    prob.setObjective(pulp.LpAffineExpression(cost))

    # costs of about 1 per euro of slack: a certificate within half a cent
    status = solver_module.run(prob, settings, stage="elastic_diagnosis", gap_tolerance=5e-3)
    if status != SolveStatus.OPTIMAL:
        raise SolverFailure(solver_module.failure_message(prob, settings, "elastic_diagnosis"))
    return _sentences(problem, short, extra, network_over, funder_over, by_group)


def _slack_cents(variable: pulp.LpVariable) -> int:
    value = variable.varValue or 0.0
    return euros_to_cents(value) if value > SLACK_NOISE_EUROS else 0


def _sentences(
    problem: AllocationProblem,
    short: dict[int, pulp.LpVariable],
    extra: dict[int, pulp.LpVariable],
    network_over: pulp.LpVariable,
    funder_over: dict[int, pulp.LpVariable],
    by_group: dict[int, list[int]],
) -> list[str]:
    requests, funders = problem.requests, problem.funders
    cuts = {g: _slack_cents(variable) for g, variable in short.items()}
    cuts = {g: cents for g, cents in cuts.items() if cents > 0}
    extras = {f: _slack_cents(variable) for f, variable in extra.items()}
    extras = {f: cents for f, cents in extras.items() if cents > 0}
    network_cents = _slack_cents(network_over)
    funder_cents = {f: _slack_cents(variable) for f, variable in funder_over.items()}
    funder_cents = {f: cents for f, cents in funder_cents.items() if cents > 0}
    if not (cuts or extras or network_cents or funder_cents):
        return []
    lines = ["the smallest change that makes the plan feasible:"]
    if cuts:
        lines.append(
            f"the minimums must come down by {format_euros(sum(cuts.values()))} in total, "
            f"lowest priorities first:"
        )
    for g, cents in sorted(cuts.items(), key=lambda item: requests[item[0]].group):
        request = requests[g]
        codes = [funders[f].code for f in by_group.get(g, [])]
        source = (
            f"its eligible funders ({join_codes(codes)}) have no more money for it"
            if codes
            else "no funder may fund it"
        )
        lines.append(
            f"lower the minimum of {request.group} from {format_euros(request.min_cents)} to "
            f"{format_euros(request.min_cents - cents)} (short {format_euros(cents)}): {source}"
        )
    lines += _shared_funder_lines(problem, cuts, by_group)
    for f, cents in sorted(extras.items(), key=lambda item: funders[item[0]].code):
        funder = funders[f]
        lines.append(
            f"{funder.code} would need {format_euros(cents)} more than the "
            f"{format_euros(funder.available_cents)} it has available"
        )
    if network_cents:
        cap = format_share(problem.overhead_cap)
        overhead_minimum = sum(r.min_cents for r in requests if r.overhead)
        if overhead_minimum > 0:
            lines.append(
                f"the overhead groups' minimums ({format_euros(overhead_minimum)}) exceed the "
                f"network overhead cap of {cap} of the total allocated (over by "
                f"{format_euros(network_cents)}): lower the overhead minimums or raise the other "
                f"groups' maximums"
            )
        else:
            lines.append(
                f"the network overhead cap of {cap} of the total allocated cannot hold (over by "
                f"{format_euros(network_cents)}): the period's earlier allocations already "
                f"exceed it and this plan cannot add enough to the other groups"
            )
    for f, cents in sorted(funder_cents.items(), key=lambda item: funders[item[0]].code):
        funder = funders[f]
        assert funder.overhead_cap is not None
        lines.append(
            f"{funder.code}'s own overhead cap of {format_share(funder.overhead_cap)} cannot hold "
            f"(over by {format_euros(cents)}): the overhead groups need more of its money than "
            f"the cap allows"
        )
    return lines


def _shared_funder_lines(
    problem: AllocationProblem, cuts: dict[int, int], by_group: dict[int, list[int]]
) -> list[str]:
    """For each group short of its minimum: the groups that depend on the same few funders
    only, when together they need more than those funders have (Hall's condition)."""
    requests, funders = problem.requests, problem.funders
    sources = {g: frozenset(by_group.get(g, [])) for g in range(len(requests))}
    lines: list[str] = []
    seen: set[frozenset[int]] = set()
    for g in sorted(cuts, key=lambda index: requests[index].group):
        shared = sources[g]
        if not shared or shared in seen or len(shared) == len(funders):
            continue
        seen.add(shared)
        dependent = [h for h in range(len(requests)) if sources[h] and sources[h] <= shared]
        needed = sum(requests[h].min_cents for h in dependent)
        money = sum(funders[f].available_cents for f in shared)
        if len(dependent) > 1 and needed > money:
            groups = [requests[h].group for h in dependent]
            codes = [funders[f].code for f in sorted(shared)]
            lines.append(
                f"{join_codes(groups)} can only be funded by {join_codes(codes)}, which "
                f"{'has' if len(codes) == 1 else 'have'} {format_euros(money)}, but their "
                f"minimums add up to {format_euros(needed)} (short {format_euros(needed - money)})"
            )
    return lines
