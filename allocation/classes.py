"""Funders that are interchangeable to the LP are solved as one, then split back exactly.

Two funders without an own overhead cap and with the same earmark (over the requested groups)
are interchangeable: any allocation of their combined money can be split between them in
proportion to their available money, and each then stays within its own availability. So the
LP is built over *funder classes* (one class per earmark among the uncapped funders, and every
capped funder on its own, since its cap concerns its own money and its own earlier
allocations). In a typical network most funders have no earmark and no cap, which shrinks the
LP from funders × groups to a handful of classes × groups: the difference between seconds and
minutes at 10,000 groups. Nothing is lost: prices of a class are the prices of each member,
and the spread in proportion to available money (the tie-break) is the same at both levels.

`split_to_members` turns a class's whole cents into its members' whole cents: each member gets
the floor or the ceiling of its exact share of each group's amount, the group's total stays
exact, and whichever member is furthest behind its exact share so far gets the next extra cent,
which keeps every member's total within a cent or so of its exact share; a member that still
ends above its availability hands cents to one below it, group by group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from netfund.allocation.problem import AllocationProblem, FunderSupply
from netfund.ledger import InvariantViolation

Pair = tuple[int, int]


@dataclass(frozen=True)
class FunderClasses:
    """A problem and its reduced form over funder classes.

    Attributes:
        original: the problem as given.
        reduced: the same problem with one funder per class (coded by its first member).
        members: per funder of ``reduced``, the indexes of its members in ``original``.
    """

    original: AllocationProblem
    reduced: AllocationProblem
    members: tuple[tuple[int, ...], ...]


def group_funders(problem: AllocationProblem) -> FunderClasses:
    """Merge the interchangeable funders of ``problem`` (see the module docstring)."""
    requested = frozenset(request.group for request in problem.requests)
    by_key: dict[object, list[int]] = {}
    for f, funder in enumerate(problem.funders):
        if funder.overhead_cap is not None:
            key: object = ("own", funder.code)
        elif funder.eligible_groups is None or requested <= funder.eligible_groups:
            key = ("all",)
        else:
            key = ("earmark", funder.eligible_groups & requested)
        by_key.setdefault(key, []).append(f)
    supplies: list[FunderSupply] = []
    for members in by_key.values():
        first = problem.funders[members[0]]
        if len(members) == 1:
            supplies.append(first)
            continue
        supplies.append(
            FunderSupply(
                code=first.code,
                available_cents=sum(problem.funders[f].available_cents for f in members),
                eligible_groups=first.eligible_groups,
                overhead_cap=None,
                already_allocated_cents=sum(
                    problem.funders[f].already_allocated_cents for f in members
                ),
                already_allocated_overhead_cents=sum(
                    problem.funders[f].already_allocated_overhead_cents for f in members
                ),
            )
        )
    reduced = AllocationProblem(
        funders=tuple(supplies),
        requests=problem.requests,
        overhead_cap=problem.overhead_cap,
        objective=problem.objective,
        already_allocated_cents=problem.already_allocated_cents,
        already_allocated_overhead_cents=problem.already_allocated_overhead_cents,
    )
    members_of = {problem.funders[members[0]].code: tuple(members) for members in by_key.values()}
    return FunderClasses(
        original=problem,
        reduced=reduced,
        members=tuple(members_of[supply.code] for supply in reduced.funders),
    )


def split_to_members(classes: FunderClasses, class_cents: Mapping[Pair, int]) -> dict[Pair, int]:
    """Whole cents per (class, group) → whole cents per (member funder, group)."""
    funders = classes.original.funders
    columns: dict[int, list[tuple[int, int]]] = {}
    for (c, g), cents in sorted(class_cents.items()):
        if cents:
            columns.setdefault(c, []).append((g, cents))
    result: dict[Pair, int] = {}
    for c, members in enumerate(classes.members):
        column = columns.get(c, [])
        if len(members) == 1:
            result.update({(members[0], g): cents for g, cents in column})
            continue
        weights = [funders[f].available_cents for f in members]
        limits = list(weights)
        shares = _split_class(weights, column)
        _repair_availability(shares, limits, funders, members)
        for index, f in enumerate(members):
            for g, cents in shares[index].items():
                if cents:
                    result[f, g] = cents
    return result


def _split_class(weights: list[int], column: list[tuple[int, int]]) -> list[dict[int, int]]:
    """Each group's cents split over members: floor or ceiling of the exact share, with the
    extra cents going to the members furthest behind their exact cumulative share."""
    weight_total = sum(weights)
    shares: list[dict[int, int]] = [{} for _ in weights]
    if weight_total == 0:
        if column:
            raise InvariantViolation("cents were allocated from funders with no money available")
        return shares
    exact = [0] * len(weights)  # cumulative exact share, times weight_total
    given = [0] * len(weights)  # cumulative cents given
    paying = [m for m, weight in enumerate(weights) if weight > 0]
    for g, cents in column:
        bases = [cents * weight // weight_total for weight in weights]
        # Fewer extra cents than paying members: each floor lost less than one cent.
        extra = cents - sum(bases)
        # How far each member would lag its exact cumulative share with only its floor.
        lag = {
            m: exact[m] + cents * weights[m] - weight_total * (given[m] + bases[m]) for m in paying
        }
        behind = sorted(paying, key=lambda m: (-lag[m], m))
        lucky = set(behind[:extra])
        for m in paying:
            part = bases[m] + (1 if m in lucky else 0)
            exact[m] += cents * weights[m]
            given[m] += part
            shares[m][g] = part
    return shares


def _repair_availability(
    shares: list[dict[int, int]],
    limits: list[int],
    funders: tuple[FunderSupply, ...],
    members: tuple[int, ...],
) -> None:
    """Move cents, within one group at a time, from members above their availability to
    members below it; the class total never exceeds the class's availability, so this ends."""
    totals = [sum(share.values()) for share in shares]
    for over in range(len(shares)):
        while totals[over] > limits[over]:
            under = next(
                (m for m in range(len(shares)) if totals[m] < limits[m]),
                None,
            )
            group = next((g for g, cents in sorted(shares[over].items()) if cents > 0), None)
            if under is None or group is None:
                raise InvariantViolation(
                    f"cannot keep {funders[members[over]].code} within its available money"
                )
            moved = min(totals[over] - limits[over], limits[under] - totals[under])
            moved = min(moved, shares[over][group])
            shares[over][group] -= moved
            shares[under][group] = shares[under].get(group, 0) + moved
            totals[over] -= moved
            totals[under] += moved
