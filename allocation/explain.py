"""A solved plan in plain words: which constraints bind and what loosening them is worth.

The figures are the shadow prices of the priority stage (for `proportional`, the final
objective stage, with the smallest fill ratio held), taken with their signs fixed in
`stages` and checked against finite differences in the tests. A price is the change of the
priority objective (weight × euros) per euro of looser constraint. In a degenerate LP a price
is one-sided (it holds for one more euro, not necessarily for one less); the sentences only
speak of "one more euro" for that reason.

Each constraint is worded by its slack *and* its price, since a constraint can be tight and
still cost nothing (issue 13: "the overhead cap does not bind: overhead is 15% ... (cap 15%)"):

- **binds**: tight, with a price: one more euro of room would raise the objective by it;
- **tight without a price**: exactly at its limit, but one more euro of room would not change
  the result (another constraint or the held fill ratio decides);
- **slack**: room left (said in euros where it helps).

Tightness is judged on the rounded allocation in exact integers (a cap is tight when not one
more cent of overhead fits under it), and shares are printed with as many decimals as it takes
for the text never to reach the cap while the share is below it (`format_share_against`).
"""

from __future__ import annotations

from fractions import Fraction

from netfund.allocation.model import cap_coefficients
from netfund.allocation.problem import AllocationProblem
from netfund.allocation.result import AllocationResult, Sensitivity
from netfund.allocation.wording import (
    format_euros,
    format_price,
    format_share,
    format_share_against,
)
from netfund.ledger import room_under_cap

#: Prices smaller than this (objective units per euro) are solver noise: the constraint is slack.
PRICE_NOISE = 1e-7


def explain(problem: AllocationProblem, result: AllocationResult) -> list[str]:
    """Plain-language lines about ``result``: objective, binding constraints, shadow prices."""
    sensitivity = result.sensitivity
    if sensitivity is None:
        return ["the plan has no requests: nothing was allocated"]
    lines = [_objective_line(problem, result, sensitivity)]
    lines += _funder_lines(problem, result, sensitivity)
    lines += _group_lines(problem, result, sensitivity)
    lines += _cap_lines(problem, result, sensitivity)
    return lines


def _objective_line(
    problem: AllocationProblem, result: AllocationResult, sensitivity: Sensitivity
) -> str:
    score = f"{result.priority_value:,.2f}"
    if problem.objective == "priority" or result.fill_ratio_min is None:
        return (
            f"objective priority: the allocation maximises the sum of weight × euros "
            f"(here {score}); the prices below are per euro"
        )
    held = format_share(result.fill_ratio_min)
    line = (
        f"objective proportional: every request with room between its minimum and maximum is "
        f"filled at least {held} of the way (the smallest fill ratio, maximised first and then "
        f"held); within that, the sum of weight × euros is maximised (here {score}) and the "
        f"prices below are of that final stage"
    )
    if sensitivity.fill_hold < -PRICE_NOISE:
        cost = format_price(-sensitivity.fill_hold / 100)
        line += f"; holding the fill ratio costs {cost} of that sum per percentage point"
    return line


def _funder_lines(
    problem: AllocationProblem, result: AllocationResult, sensitivity: Sensitivity
) -> list[str]:
    lines: list[str] = []
    cap_prices = dict(sensitivity.funder_caps)
    values = dict(sensitivity.group_values)
    for code, price in sensitivity.availability:
        funder = problem.funder(code)
        left = funder.available_cents - result.funder_total_cents(code)
        if price > PRICE_NOISE:
            line = f"one more euro from {code} would add {format_price(price)} to the objective"
            recipient = _marginal_recipient(
                problem, result, code, price, cap_prices, values, sensitivity.network_cap
            )
            if recipient is not None:
                line += f", going to {recipient}"
            lines.append(line)
        elif left > 0:
            lines.append(
                f"{code} has {format_euros(left)} left unallocated: more money from {code} "
                f"would not raise the objective (no group it may fund can use more of it)"
            )
        else:
            lines.append(
                f"{code}'s money is allocated to the last cent, but one more euro from {code} "
                f"would not change the result"
            )
    return lines


def _marginal_recipient(
    problem: AllocationProblem,
    result: AllocationResult,
    code: str,
    price: float,
    cap_prices: dict[str, float],
    values: dict[str, float],
    network_price: float,
) -> str | None:
    """The groups an extra euro of ``code`` would reach: those it may fund, below their
    maximum, whose value per euro equals the funder's price (after the funder's own cap, if
    any; a capped funder's euro is split between overhead and other groups)."""
    funder = problem.funder(code)
    cap_price = cap_prices.get(code, 0.0)
    candidates: list[tuple[float, str]] = []
    for request in problem.requests:
        if not funder.may_fund(request.group):
            continue
        if result.group_total_cents(request.group) >= request.max_cents:
            continue
        value = values[request.group]
        tolerance = 1e-6 * max(1.0, abs(price))
        k = 0.0
        if funder.overhead_cap is not None:
            k = _cap_coefficient(funder.overhead_cap, request.overhead)
        if abs(value - price - cap_price * k) > tolerance:
            continue  # the funder's euro is worth something else than this group's euro
        # A group whose euro is worth more than its own weight (after the network cap) only
        # passes money on (a fill-ratio floor frees another funder's euro): not a recipient.
        network_k = _cap_coefficient(problem.overhead_cap, request.overhead)
        weight = float(request.weight)  # money-safe
        if abs(value - (weight - network_price * network_k)) > tolerance:
            continue
        candidates.append((-float(request.weight), request.group))  # money-safe
    if not candidates:
        return None
    groups = [group for _, group in sorted(candidates)]
    # Under a binding own cap the euro is split (part overhead, part other): "and"; else the
    # groups are equally good places for it: "or".
    word = " and " if cap_price > PRICE_NOISE else " or "
    return groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + word + groups[-1]


def _group_lines(
    problem: AllocationProblem, result: AllocationResult, sensitivity: Sensitivity
) -> list[str]:
    lines: list[str] = []
    reduced = dict(sensitivity.group_bounds)
    for request in problem.requests:
        total = result.group_total_cents(request.group)
        price = reduced[request.group]
        if request.range_cents == 0:
            lines.append(f"{request.group} is fixed at {format_euros(total)} (minimum = maximum)")
        elif total == request.max_cents:
            line = f"{request.group} is held at its maximum of {format_euros(total)}"
            if price > PRICE_NOISE:
                line += (
                    f": one more euro of maximum would add {format_price(price)} to the objective"
                )
            else:
                line += ": a higher maximum would not change the result"
            lines.append(line)
        elif total == request.min_cents > 0 and price < -PRICE_NOISE:
            lines.append(
                f"{request.group} gets only its minimum of {format_euros(total)}: one euro less "
                f"of minimum would add {format_price(-price)} to the objective"
            )
        elif total == 0 and price < -PRICE_NOISE:
            lines.append(
                f"{request.group} gets nothing: each euro for {request.group} would lower the "
                f"objective by {format_price(-price)}"
            )
        elif total == 0:
            lines.append(
                f"{request.group} gets nothing: one more euro for {request.group} would not "
                f"raise the objective"
            )
        elif total == request.min_cents:
            lines.append(
                f"{request.group} gets only its minimum of {format_euros(total)}; a lower "
                f"minimum would not change the result"
            )
    return lines


def _cap_lines(
    problem: AllocationProblem, result: AllocationResult, sensitivity: Sensitivity
) -> list[str]:
    overhead_groups = {request.group for request in problem.requests if request.overhead}
    overhead = problem.already_allocated_overhead_cents + sum(
        cents for group, cents in result.group_totals if group in overhead_groups
    )
    total = problem.already_allocated_cents + result.total_cents
    lines = [
        _cap_line(
            "the overhead cap", "overhead", "the total allocated", problem.overhead_cap,
            overhead, total, sensitivity.network_cap,
        )
    ]  # fmt: skip
    prices = dict(sensitivity.funder_caps)
    for funder in problem.funders:
        if funder.overhead_cap is None:
            continue
        mine = [item for item in result.allocations if item.funder == funder.code]
        lines.append(
            _cap_line(
                f"{funder.code}'s own overhead cap",
                f"{funder.code}'s overhead",
                f"{funder.code}'s money allocated",
                funder.overhead_cap,
                funder.already_allocated_overhead_cents
                + sum(item.amount_cents for item in mine if item.group in overhead_groups),
                funder.already_allocated_cents + sum(item.amount_cents for item in mine),
                prices.get(funder.code, 0.0),
            )
        )
    return lines


def _cap_line(
    name: str, whose: str, of_what: str, cap: Fraction, overhead: int, total: int, price: float
) -> str:
    """One cap in words: binds (with its price), tight without a price, or slack (with room)."""
    share = _share_text(overhead, total, cap)
    limit = format_share(cap)
    room = room_under_cap(overhead, total, cap)  # None at a 100% cap: no limit at all
    if price > PRICE_NOISE:
        return (
            f"{name} binds: {whose} is {share} of {of_what} (cap {limit}); one more "
            f"euro of room under the cap would add {format_price(price)} to the objective"
        )
    if room is None:
        return f"{name} does not bind: {whose} is {share} of {of_what} (cap {limit}: no limit)"
    if room < 1:
        return (
            f"{name} is tight without a price: {whose} is exactly at the {limit} cap ({share} of "
            f"{of_what}); one more euro of room would not change the result"
        )
    return (
        f"{name} does not bind: {whose} is {share} of {of_what} (cap {limit}); "
        f"{format_euros(room)} more overhead would still fit under it"
    )


def _cap_coefficient(cap: Fraction, overhead: bool) -> float:
    """Coefficient of a group's euro in a cap row (as the LP has it): ``1 - cap`` for
    overhead, ``-cap`` else."""
    overhead_k, other_k = cap_coefficients(cap)
    return overhead_k if overhead else other_k


def _share_text(part: int, whole: int, cap: Fraction) -> str:
    if whole == 0:
        return "0%"
    return format_share_against(Fraction(part, whole), cap)
