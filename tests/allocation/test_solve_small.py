"""Small hand-checked allocations: each expected cent below is derived in the comments."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from netfund.allocation import (
    AllocationProblem,
    FunderSupply,
    Request,
    SolverFailure,
    SolverSettings,
    solve_allocation,
)
from netfund.allocation.solver import _cbc_path

CAP = Fraction(15, 100)


def funder(
    code: str,
    euros: int,
    eligible: set[str] | None = None,
    cap: Fraction | None = None,
    prior_euros: int = 0,
    prior_overhead_euros: int = 0,
) -> FunderSupply:
    return FunderSupply(
        code,
        euros * 100,
        None if eligible is None else frozenset(eligible),
        cap,
        prior_euros * 100,
        prior_overhead_euros * 100,
    )


def request(group: str, low: int, high: int, weight: int, overhead: bool = False) -> Request:
    return Request(group, low * 100, high * 100, Decimal(weight), overhead)


def amounts(result) -> dict[tuple[str, str], int]:
    return {(item.funder, item.group): item.amount_cents for item in result.allocations}


def test_priority_with_earmark_fills_the_heaviest_group_and_spreads_as_forced():
    # WG-A (weight 3) takes its maximum 800; WG-B the remaining 700. ZONMW may fund WG-A only,
    # so all of it (500) goes there; GEM covers the rest of WG-A (300) and all of WG-B (700).
    problem = AllocationProblem(
        funders=(funder("GEM", 1000), funder("ZONMW", 500, {"WG-A"})),
        requests=(request("WG-A", 100, 800, 3), request("WG-B", 200, 1000, 1)),
        overhead_cap=CAP,
    )
    result = solve_allocation(problem)
    assert amounts(result) == {
        ("GEM", "WG-A"): 30000,
        ("ZONMW", "WG-A"): 50000,
        ("GEM", "WG-B"): 70000,
    }
    assert result.priority_value == Decimal("3100.00")  # 3 * 800 + 1 * 700
    assert result.lp_priority_value == pytest.approx(3100.0)
    assert result.fill_ratio_min == Fraction(5, 8)  # WG-B: (700 - 200) / (1000 - 200)


def _fill_problem(objective: str) -> AllocationProblem:
    # GEM (1000) may fund A and B; ZONMW (100) only C. C can reach at most 100 of its 1000,
    # a fill ratio of 0.1, which bounds the smallest fill ratio of all.
    return AllocationProblem(
        funders=(funder("GEM", 1000, {"A", "B"}), funder("ZONMW", 100, {"C"})),
        requests=(request("A", 0, 1000, 1), request("B", 0, 1000, 3), request("C", 0, 1000, 1)),
        overhead_cap=CAP,
        objective=objective,  # type: ignore[arg-type]
    )


def test_proportional_holds_the_fill_ratio_then_maximises_priority():
    # Stage 1: t = 0.1 (C). Stage 2: A and B keep at least 10% (100 each); the heavier B gets
    # the other 800 of GEM's money: A 100, B 900, C 100.
    result = solve_allocation(_fill_problem("proportional"))
    assert amounts(result) == {("GEM", "A"): 10000, ("GEM", "B"): 90000, ("ZONMW", "C"): 10000}
    assert result.lp_fill_ratio == pytest.approx(0.1)
    assert result.fill_ratio_min == Fraction(1, 10)
    assert [stage.name for stage in result.stages] == [
        "fill_ratio",
        "priority",
        "tie_break_totals",
        "tie_break_spread",
    ]


def test_priority_on_the_same_plan_starves_the_light_group():
    # Without the fill ratio, all of GEM goes to B (weight 3 > 1): A gets nothing.
    result = solve_allocation(_fill_problem("priority"))
    assert amounts(result) == {("GEM", "B"): 100000, ("ZONMW", "C"): 10000}
    assert result.fill_ratio_min == Fraction(0)


def test_network_overhead_cap_rounds_down_to_the_last_safe_cent():
    # PB (overhead, weight 5) is capped at 15% of the total: PB <= 0.15 (WG + PB), so with WG at
    # its maximum 600, PB <= 600 * 15 / 85 = 105.88235...; in cents 85 PB <= 15 * 60000,
    # PB <= 10588.23: the largest whole cent is 10588.
    problem = AllocationProblem(
        funders=(funder("GEM", 1000),),
        requests=(request("WG", 0, 600, 1), request("PB", 0, 500, 5, overhead=True)),
        overhead_cap=CAP,
    )
    result = solve_allocation(problem)
    assert amounts(result) == {("GEM", "WG"): 60000, ("GEM", "PB"): 10588}
    assert 100 * 10588 <= 15 * (60000 + 10588)
    assert not 100 * 10589 <= 15 * (60000 + 10589)


def test_funder_cap_limits_overhead_from_the_only_funder_that_may_pay_it():
    # GEM may fund WG only, so PB's money comes from ZONMW, whose own cap is 10%:
    # PB <= (ZONMW's total) / 10. With ZONMW's 1000 used fully: PB = 100, WG gets 900 of it
    # plus GEM's 1000.
    problem = AllocationProblem(
        funders=(funder("GEM", 1000, {"WG"}), funder("ZONMW", 1000, cap=Fraction(1, 10))),
        requests=(request("WG", 0, 2000, 1), request("PB", 0, 1000, 5, overhead=True)),
        overhead_cap=CAP,
    )
    result = solve_allocation(problem)
    assert amounts(result) == {
        ("GEM", "WG"): 100000,
        ("ZONMW", "WG"): 90000,
        ("ZONMW", "PB"): 10000,
    }


def test_funder_cap_counts_the_periods_earlier_allocations():
    # ZONMW already allocated 900 in the period, none of it to overhead: its cap now reads
    # PB <= 0.1 (900 + WG_Z + PB), with WG_Z + PB <= 1000, so 0.9 PB <= 90 + 0.1 (1000 - PB):
    # PB = 190, WG_Z = 810. In cents: 10 * 19000 <= 90000 + 100000, exactly at the cap.
    problem = AllocationProblem(
        funders=(
            funder("GEM", 1000, {"WG"}),
            funder("ZONMW", 1000, cap=Fraction(1, 10), prior_euros=900),
        ),
        requests=(request("WG", 0, 2000, 1), request("PB", 0, 1000, 5, overhead=True)),
        overhead_cap=CAP,
        already_allocated_cents=90000,
    )
    result = solve_allocation(problem)
    assert amounts(result) == {
        ("GEM", "WG"): 100000,
        ("ZONMW", "WG"): 81000,
        ("ZONMW", "PB"): 19000,
    }


def test_network_cap_counts_the_periods_earlier_allocations():
    # Earlier this period: 1000 allocated, 200 of it overhead (20%, already above 15%).
    # 100 (20000 + PB) <= 15 (100000 + 60000 + PB) gives 85 PB <= 400000: PB = 4705 cents.
    problem = AllocationProblem(
        funders=(funder("GEM", 1000),),
        requests=(request("WG", 0, 600, 1), request("PB", 0, 500, 5, overhead=True)),
        overhead_cap=CAP,
        already_allocated_cents=100000,
        already_allocated_overhead_cents=20000,
    )
    result = solve_allocation(problem)
    assert amounts(result) == {("GEM", "WG"): 60000, ("GEM", "PB"): 4705}


def test_equal_weights_tie_goes_to_the_narrower_request_first():
    # A and B have the same weight: any split of GEM's 1000 is optimal. The tie-break fills the
    # narrower request first (B, range 600), then A gets the rest.
    problem = AllocationProblem(
        funders=(funder("GEM", 1000),),
        requests=(request("A", 0, 900, 2), request("B", 0, 600, 2)),
        overhead_cap=CAP,
    )
    assert amounts(solve_allocation(problem)) == {("GEM", "A"): 40000, ("GEM", "B"): 60000}


def test_equal_ranges_tie_goes_by_group_code():
    problem = AllocationProblem(
        funders=(funder("GEM", 1000),),
        requests=(request("WG-B", 0, 800, 2), request("WG-A", 0, 800, 2)),
        overhead_cap=CAP,
    )
    assert amounts(solve_allocation(problem)) == {
        ("GEM", "WG-A"): 80000,
        ("GEM", "WG-B"): 20000,
    }


def test_interchangeable_funders_share_each_group_in_proportion_to_their_money():
    # GEM (600) and ZK (400) may fund everything: 60/40 of each group, to the cent.
    problem = AllocationProblem(
        funders=(funder("GEM", 600), funder("ZK", 400)),
        requests=(request("A", 0, 500, 2), request("B", 0, 250, 1)),
        overhead_cap=CAP,
    )
    assert amounts(solve_allocation(problem)) == {
        ("GEM", "A"): 30000,
        ("ZK", "A"): 20000,
        ("GEM", "B"): 15000,
        ("ZK", "B"): 10000,
    }


def test_spread_follows_available_money_where_earmarks_allow():
    # Both totals are at their maximum. X may be funded by GEM and ZONMW in proportion to their
    # money (2:1): 200 and 100; Y only by GEM: 300. GEM's 500 is exactly used.
    problem = AllocationProblem(
        funders=(funder("GEM", 500), funder("ZONMW", 250, {"X"})),
        requests=(request("X", 0, 300, 1), request("Y", 0, 300, 1)),
        overhead_cap=CAP,
    )
    assert amounts(solve_allocation(problem)) == {
        ("GEM", "X"): 20000,
        ("ZONMW", "X"): 10000,
        ("GEM", "Y"): 30000,
    }


def _random_problem() -> AllocationProblem:
    import random

    rng = random.Random(7)
    groups = [f"WG-{index:02d}" for index in range(12)]
    requests = tuple(
        Request(
            group,
            rng.randint(0, 50) * 100,
            rng.randint(100, 900) * 100 + rng.randint(0, 99),
            Decimal(rng.choice([1, 1, 2, 3])),
            overhead=index % 4 == 0,
        )
        for index, group in enumerate(groups)
    )
    funders = tuple(
        FunderSupply(
            f"F-{index}",
            rng.randint(500, 2000) * 100 + rng.randint(0, 99),
            None if index < 3 else frozenset(rng.sample(groups, 6)),
            Fraction(1, 10) if index == 4 else None,
        )
        for index in range(6)
    )
    return AllocationProblem(funders, requests, CAP, "proportional")


def test_same_inputs_give_the_same_bytes_whatever_the_input_order():
    problem = _random_problem()
    first = solve_allocation(problem)
    again = solve_allocation(problem)
    shuffled = AllocationProblem(
        tuple(reversed(problem.funders)),
        tuple(reversed(problem.requests)),
        problem.overhead_cap,
        problem.objective,
    )
    permuted = solve_allocation(shuffled)
    text = json.dumps(first.to_dict(), sort_keys=True)
    assert json.dumps(again.to_dict(), sort_keys=True) == text
    assert json.dumps(permuted.to_dict(), sort_keys=True) == text
    assert shuffled.to_dict() == problem.to_dict()


def test_result_serialisation_is_exact_and_json_ready():
    result = solve_allocation(_fill_problem("proportional"))
    data = result.to_dict()
    assert data == json.loads(json.dumps(data))
    assert data["total_cents"] == 110000
    assert data["priority_value"] == "2900"  # 100 * 1 + 900 * 3 + 100 * 1
    assert data["fill_ratio_min"] == "1/10"
    assert data["group_totals"] == [["A", 10000], ["B", 90000], ["C", 10000]]


@pytest.mark.skipif(_cbc_path() is None, reason="no cbc executable")
def test_cbc_and_highs_agree_to_the_cent():
    problem = _random_problem()
    highs = solve_allocation(problem, SolverSettings("highs"))
    cbc = solve_allocation(problem, SolverSettings("cbc"))
    assert cbc.to_dict() == highs.to_dict()
    assert cbc.solver == "cbc"


def test_a_time_limit_hit_is_never_taken_for_an_optimum():
    # HiGHS stops at once; PuLP still reports "Optimal" in prob.status, but not in sol_status.
    import random

    rng = random.Random(3)
    groups = [f"G{index:04d}" for index in range(400)]
    problem = AllocationProblem(
        funders=tuple(
            FunderSupply(
                f"F{index:02d}", rng.randint(10**6, 10**7), frozenset(rng.sample(groups, 200))
            )
            for index in range(20)
        ),
        requests=tuple(
            Request(group, 0, rng.randint(10**5, 10**6), Decimal(rng.randint(1, 9)))
            for group in groups
        ),
        overhead_cap=CAP,
    )
    with pytest.raises(SolverFailure, match="no proven optimum"):
        solve_allocation(problem, SolverSettings("highs", time_limit_seconds=1e-9))


def test_a_plan_without_requests_allocates_nothing():
    problem = AllocationProblem((funder("GEM", 10),), (), CAP)
    result = solve_allocation(problem)
    assert result.allocations == ()
    assert result.total_cents == 0
    assert result.funder_totals == (("GEM", 0),)


def test_a_full_run_uses_no_deprecated_pulp_api():
    import warnings

    import pulp

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solve_allocation(_random_problem())
        # The check is live: PuLP 3 warns about its PuLP-4 removals like this one.
        pulp.LpVariable("direct")
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message).split(";")[0] for w in deprecations] == [
        "Constructing LpVariable(name, ...) directly is deprecated"
    ]
