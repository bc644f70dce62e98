"""Seeded, realistic allocation problems of any size, for the allocation benchmarks.

The ``network`` shape follows a regional care network: about one group in ten is an overhead
group, most funders may fund every group, one in ten is earmarked to a random third of the
groups, three have their own overhead cap, and the money is scarce (about 60% of what the groups
could use), so the weights, the caps and the earmarks all matter to the optimum.

The ``distinct`` shape is the worst case for the engine: every funder has its own earmark (a
random two thirds of the groups), so no two funders can be solved as one class.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from netfund.allocation.problem import AllocationProblem, FunderSupply, Request


def make_problem(
    group_count: int,
    funder_count: int,
    *,
    seed: int = 2026,
    objective: str = "priority",
    shape: str = "network",
) -> AllocationProblem:
    """A feasible problem with ``group_count`` requests and ``funder_count`` funders."""
    rng = random.Random(seed)
    requests = []
    for g in range(group_count):
        overhead = g % 10 == 0
        maximum = rng.randint(20_000, 400_000) * 100
        minimum = rng.randint(0, maximum // 4 // 100) * 100 if rng.random() < 0.7 else 0
        if overhead:  # small minimums keep the network cap satisfiable
            minimum //= 4
        requests.append(
            Request(
                group=f"WG-{g:05d}",
                min_cents=minimum,
                max_cents=maximum,
                weight=Decimal(rng.randint(1, 5)),
                overhead=overhead,
            )
        )
    demand = sum(request.max_cents for request in requests)
    minimum_total = sum(request.min_cents for request in requests)
    supply_total = max(int(demand * 0.6), int(minimum_total * 1.3))
    groups = [request.group for request in requests]
    funders = []
    for f in range(funder_count):
        earmark = None
        if shape == "distinct":
            earmark = frozenset(rng.sample(groups, max(1, 2 * group_count // 3)))
        elif f % 10 == 3:
            earmark = frozenset(rng.sample(groups, max(1, group_count // 3)))
        cap = Fraction(10, 100) if f % 16 == 5 else None
        funders.append(
            FunderSupply(
                code=f"FUND-{f:03d}",
                available_cents=supply_total // funder_count,
                eligible_groups=earmark,
                overhead_cap=cap,
            )
        )
    return AllocationProblem(
        funders=tuple(funders),
        requests=tuple(requests),
        overhead_cap=Fraction(15, 100),
        objective=objective,  # type: ignore[arg-type]
    )
