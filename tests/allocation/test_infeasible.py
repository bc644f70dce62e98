"""Infeasible plans: the diagnosis names the conflicting constraints and the shortfall."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from netfund.allocation import AllocationProblem, FunderSupply, Request, solve_allocation
from netfund.allocation.diagnosis import elastic_diagnosis, prechecks
from netfund.allocation.errors import InfeasibleError
from netfund.allocation.solver import SolverSettings

CAP = Fraction(15, 100)


def euros(amount: int) -> int:
    return amount * 100


def diagnosis(problem: AllocationProblem) -> list[str]:
    with pytest.raises(InfeasibleError) as caught:
        solve_allocation(problem)
    assert caught.value.exit_code == 3
    assert str(caught.value).startswith("the allocation plan cannot be satisfied:")
    return caught.value.diagnosis


def test_minimums_above_all_available_money():
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(600_000)), FunderSupply("ZONMW", euros(400_000))),
        (
            Request("WG-A", euros(700_000), euros(900_000), Decimal(2)),
            Request("WG-B", euros(500_000), euros(600_000), Decimal(1)),
        ),
        CAP,
    )
    lines = diagnosis(problem)
    assert lines[0] == (
        "the minimums of the requests add up to EUR 1,200,000.00 but only EUR 1,000,000.00 "
        "is available (short EUR 200,000.00)"
    )
    # The elastic model puts the cut on the lighter request (weight 1).
    assert (
        "lower the minimum of WG-B from EUR 500,000.00 to EUR 300,000.00 "
        "(short EUR 200,000.00): its eligible funders (GEM, ZONMW) have no more money for it"
    ) in lines


def test_one_group_needs_more_than_its_eligible_funders_have():
    problem = AllocationProblem(
        (
            FunderSupply("GEM", euros(600_000), frozenset({"WG-A"})),
            FunderSupply("ZONMW", euros(30_000), frozenset({"WG-X"})),
        ),
        (
            Request("WG-A", 0, euros(900_000), Decimal(2)),
            Request("WG-X", euros(50_000), euros(60_000), Decimal(1)),
        ),
        CAP,
    )
    lines = diagnosis(problem)
    assert lines[0] == (
        "WG-X needs at least EUR 50,000.00 but its eligible funders (ZONMW) have only "
        "EUR 30,000.00 available (short EUR 20,000.00)"
    )


def test_a_group_no_funder_may_fund():
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(100), frozenset({"WG-A"})),),
        (
            Request("WG-A", 0, euros(90), Decimal(1)),
            Request("WG-Z", euros(5), euros(9), Decimal(1)),
        ),
        CAP,
    )
    assert diagnosis(problem)[0] == (
        "WG-Z needs at least EUR 5.00 but no funder may fund it (every funder's earmark "
        "excludes it)"
    )


def test_overhead_minimums_above_the_network_cap():
    # PB needs 100,000; the other group can take at most 400,000: a total of 500,000 allows
    # 15% = 75,000 of overhead, so the plan is over by 25,000.
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(1_000_000)),),
        (
            Request("WG", 0, euros(400_000), Decimal(2)),
            Request("PB", euros(100_000), euros(200_000), Decimal(1), overhead=True),
        ),
        CAP,
    )
    lines = diagnosis(problem)
    assert lines[0] == (
        "the overhead groups' minimums (EUR 100,000.00) exceed the network overhead cap of 15% "
        "of the total allocated, even with EUR 400,000.00 for the other groups "
        "(over by EUR 25,000.00)"
    )
    assert any(
        line.startswith(
            "the overhead groups' minimums (EUR 100,000.00) exceed the network overhead cap "
            "of 15% of the total allocated (over by EUR 25,000.00)"
        )
        for line in lines
    )


def test_two_groups_share_one_small_funder():
    # Each of WG-X and WG-Y fits in ZONMW's 50,000 alone; together they need 60,000. No
    # single-group or total pre-check sees it; the elastic model does.
    problem = AllocationProblem(
        (
            FunderSupply("GEM", euros(100_000), frozenset({"WG-A"})),
            FunderSupply("ZONMW", euros(50_000), frozenset({"WG-X", "WG-Y"})),
        ),
        (
            Request("WG-A", 0, euros(900_000), Decimal(2)),
            Request("WG-X", euros(30_000), euros(60_000), Decimal(1)),
            Request("WG-Y", euros(30_000), euros(60_000), Decimal(3)),
        ),
        CAP,
    )
    assert prechecks(problem) == []
    lines = diagnosis(problem)
    assert "the minimums must come down by EUR 10,000.00 in total, lowest priorities first:" in (
        lines
    )
    assert (
        "lower the minimum of WG-X from EUR 30,000.00 to EUR 20,000.00 (short EUR 10,000.00): "
        "its eligible funders (ZONMW) have no more money for it"
    ) in lines
    assert (
        "WG-X, WG-Y can only be funded by ZONMW, which has EUR 50,000.00, but their minimums "
        "add up to EUR 60,000.00 (short EUR 10,000.00)"
    ) in lines


def test_a_funders_own_cap_cannot_hold():
    # PB needs 200 and only ZONMW may pay overhead; its 10% cap allows 100 of its 1000.
    problem = AllocationProblem(
        (
            FunderSupply("GEM", euros(1000), frozenset({"WG"})),
            FunderSupply("ZONMW", euros(1000), None, Fraction(1, 10)),
        ),
        (
            Request("WG", 0, euros(2000), Decimal(1)),
            Request("PB", euros(200), euros(1000), Decimal(5), overhead=True),
        ),
        CAP,
    )
    lines = diagnosis(problem)
    assert (
        "ZONMW's own overhead cap of 10% cannot hold (over by EUR 100.00): the overhead groups "
        "need more of its money than the cap allows"
    ) in lines


def test_earlier_allocations_above_the_cap_with_nothing_to_dilute_them():
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(1000)),),
        (Request("PB", 0, euros(1000), Decimal(5), overhead=True),),
        CAP,
        already_allocated_cents=euros(1000),
        already_allocated_overhead_cents=euros(200),
    )
    lines = diagnosis(problem)
    assert lines[0] == (
        "the period's earlier allocations already put overhead (EUR 200.00) above the network "
        "overhead cap of 15%, and this plan can add at most EUR 0.00 to the other groups "
        "(over by EUR 50.00)"
    )


def test_earlier_allocations_above_the_cap_can_be_diluted_when_there_is_room():
    # Same start, but a non-overhead group can take 400: 200 <= 0.15 (1000 + 400) = 210.
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(1000)),),
        (
            Request("PB", 0, euros(1000), Decimal(5), overhead=True),
            Request("WG", euros(400), euros(400), Decimal(1)),
        ),
        CAP,
        already_allocated_cents=euros(1000),
        already_allocated_overhead_cents=euros(200),
    )
    result = solve_allocation(problem)
    overhead = 20000 + result.group_total_cents("PB")
    total = 100000 + result.total_cents
    assert 100 * overhead <= 15 * total
    assert result.group_total_cents("PB") == 1176  # 85 PB <= 15 * 140000 - 100 * 20000


def test_elastic_model_is_silent_on_a_feasible_plan():
    problem = AllocationProblem(
        (FunderSupply("GEM", euros(1000)),),
        (Request("WG", euros(10), euros(400), Decimal(1)),),
        CAP,
    )
    assert elastic_diagnosis(problem, SolverSettings()) == []
