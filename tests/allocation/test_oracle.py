"""The allocation against an independent referee (`tests/support/allocation_referee.py`).

What the engine must match, for both objectives, on random plans of 3-8 funders and 4-15
requests from EUR 100 to EUR 50,000,000 with earmarks, own caps and money already allocated:

- the referee finds the plan infeasible exactly when the engine raises `InfeasibleError`;
- every constraint holds in integer cents (written out again in the referee module);
- `proportional`: every request with room is filled at least to the referee's optimal fill
  ratio, less a cent per funder that may fund it (rounding moves each pair by under a cent);
- the priority value (weight × euros, for `proportional` with the fill held) equals the
  referee's optimum within a cent per allowed pair at the largest weight.

Under CI=true Hypothesis runs derandomized (the ``ci`` profile in conftest.py), so the plans
are the same on every run; locally it keeps exploring.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netfund.allocation import AllocationProblem, FunderSupply, Request

from tests.support.allocation_referee import assert_matches_referee, random_plan, smallest_case


def plans(objective: str) -> st.SearchStrategy[AllocationProblem]:
    return st.builds(random_plan, st.randoms(use_true_random=False), st.just(objective))


ORACLE = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@ORACLE
@given(plans("proportional"))
def test_proportional_plans_agree_with_the_referee(problem):
    assert_matches_referee(problem)


@ORACLE
@given(plans("priority"))
def test_priority_plans_agree_with_the_referee(problem):
    assert_matches_referee(problem)


def test_the_smallest_case_gives_the_overhead_group_its_optimal_fill():
    """One funder, EUR 10M, cap 15%: the worst-filled group, ST-B, gets EUR 1,500,000.00."""
    problem = smallest_case()
    result = assert_matches_referee(problem)
    assert result is not None
    assert result.group_total_cents("ST-B") == 150_000_000
    assert result.group_total_cents("WG-A") == 850_000_000
    assert result.fill_ratio_min == Fraction(3, 40)  # 7.5%


def test_a_network_cap_met_exactly_leaves_the_spread_stage_feasible():
    """Found by the referee: every weight 0, the 24% network cap met exactly by a group total
    of EUR 2,745.5696...; with the totals held within 1e-8 euro the spread stage was
    infeasible and the plan failed with a SolverFailure."""
    sizes = [10_000] * 15
    sizes[5] = sizes[9] = sizes[11] = 1_000_000
    overhead = {0, 1, 4, 5, 8, 11, 12}
    everything = frozenset(f"G{index:02d}" for index in range(15))
    funders = (
        FunderSupply("F0", 100_000, frozenset({"G00", "G01", "G02", "G03", "G04", "G08"})),
        FunderSupply("F1", 10_000, None, Fraction(11, 50)),
        FunderSupply("F2", 10_000, None, Fraction(1, 20)),
        FunderSupply("F3", 10_000_000, everything, Fraction(21, 100)),
        FunderSupply("F4", 10_000, frozenset({"G00"}), Fraction(1, 20)),
        FunderSupply("F5", 10_000, frozenset({"G00"}), Fraction(1, 20)),
    )
    requests = tuple(
        Request(f"G{index:02d}", 0, size, Decimal(0), index in overhead)
        for index, size in enumerate(sizes)
    )
    problem = AllocationProblem(funders, requests, Fraction(6, 25), "priority")
    result = assert_matches_referee(problem)
    assert result is not None
    assert result.group_total_cents("G05") in (274_556, 274_557)
