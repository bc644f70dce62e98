"""Every allocation constraint, re-checked in integer cents before a result leaves the engine.

This is the second half of a paired assertion: the rounding is built to keep each constraint,
and this module checks each one again, independently and exactly, with nothing shared but the
problem and the ledger's one overhead-cap test (`over_cap`, tested on its own boundaries). A
failure is a bug in the engine, never a user error, so it raises `InvariantViolation`. The
ledger (or an auditor) can call `allocation_violations` on any stored allocation too.
"""

from __future__ import annotations

from collections.abc import Mapping

from netfund.allocation.problem import AllocationProblem
from netfund.allocation.wording import format_euros, format_share
from netfund.ledger import InvariantViolation, over_cap


def allocation_violations(
    problem: AllocationProblem, amounts: Mapping[tuple[str, str], int]
) -> list[str]:
    """Every constraint of ``problem`` that ``amounts`` ((funder, group) → cents) breaks."""
    violations: list[str] = []
    funders = {funder.code: funder for funder in problem.funders}
    requests = {request.group: request for request in problem.requests}
    funder_total = dict.fromkeys(funders, 0)
    funder_overhead = dict.fromkeys(funders, 0)
    group_total = dict.fromkeys(requests, 0)
    for (code, group), cents in sorted(amounts.items()):
        if isinstance(cents, bool) or not isinstance(cents, int):
            violations.append(f"{code} → {group}: amount {cents!r} is not whole cents")
            continue
        if cents < 0:
            violations.append(f"{code} → {group}: negative amount {cents}")
        if code not in funders:
            violations.append(f"{code} → {group}: unknown funder")
            continue
        if group not in requests:
            violations.append(f"{code} → {group}: the plan has no request for this group")
            continue
        if cents != 0 and not funders[code].may_fund(group):
            violations.append(f"{code} → {group}: the earmark of {code} excludes {group}")
        funder_total[code] += cents
        group_total[group] += cents
        if requests[group].overhead:
            funder_overhead[code] += cents

    for code, funder in funders.items():
        if funder_total[code] > funder.available_cents:
            violations.append(
                f"{code}: allocated {format_euros(funder_total[code])} but only "
                f"{format_euros(funder.available_cents)} is available"
            )
        if funder.overhead_cap is not None:
            total = funder.already_allocated_cents + funder_total[code]
            overhead = funder.already_allocated_overhead_cents + funder_overhead[code]
            if over_cap(overhead, total, funder.overhead_cap):
                violations.append(
                    f"{code}: overhead {format_euros(overhead)} of {format_euros(total)} exceeds "
                    f"its own cap of {format_share(funder.overhead_cap)}"
                )
    for group, request in requests.items():
        if not request.min_cents <= group_total[group] <= request.max_cents:
            violations.append(
                f"{group}: total {format_euros(group_total[group])} is outside "
                f"{format_euros(request.min_cents)}..{format_euros(request.max_cents)}"
            )
    total = problem.already_allocated_cents + sum(group_total.values())
    overhead = problem.already_allocated_overhead_cents + sum(
        cents for group, cents in group_total.items() if requests[group].overhead
    )
    if over_cap(overhead, total, problem.overhead_cap):
        violations.append(
            f"network: overhead {format_euros(overhead)} of {format_euros(total)} exceeds the "
            f"cap of {format_share(problem.overhead_cap)}"
        )
    return violations


def require_valid_allocation(
    problem: AllocationProblem, amounts: Mapping[tuple[str, str], int]
) -> None:
    """Raise `InvariantViolation` listing every broken constraint, if any."""
    violations = allocation_violations(problem, amounts)
    if violations:
        raise InvariantViolation(
            "the allocation breaks its constraints in integer cents:\n" + "\n".join(violations)
        )
