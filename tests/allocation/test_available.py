"""Available money is never more than the basis, never below zero (issue 15, item 4).

After a close, reversing a closed year's allocation into the next year left negative
allocations in that year, and `build_problem` took ``basis - allocated`` as available: a new
plan then allocated EUR 3,010,613.74 against EUR 1,260,435.09 committed, and a funder with
nothing committed got money. The ledger refusing such balances is one wall; this is the
allocation's own: whatever the ledger holds, a negative allocation frees no money.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.allocation import service
from netfund.allocation.plan import Plan, PlanRequest
from netfund.ledger.figures import FunderFigures
from netfund.ledger.inputs.network import parse_network

from tests.conftest import NETWORK_TOML, write_events
from tests.support.raw_writes import driver_connection, write_raw

NETWORK = parse_network(tomllib.loads(NETWORK_TOML), NETWORK_TOML, "network.toml")
GROUPS = ("WG-A", "WG-B", "PMO")

PLAN_2027 = """\
[allocation]
period = "2027"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-A"
min = "0"
max = "100000.00"
weight = 2

[[requests]]
group = "WG-B"
min = "0"
max = "100000.00"
weight = 1
"""


def _euros(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int(fraction)


def test_a_negative_allocation_in_the_period_frees_no_money(  # type: ignore[no-untyped-def]
    run_cli, db_url: str, network_file: Path, tmp_path: Path
) -> None:
    # 2027: GEM commits 1,000 and allocates 200 to WG-A; ZVK commits nothing. Written around
    # netfund (as a reversal of a closed year's allocation leaves it): GEM's WG-B and ZVK's
    # WG-A at minus 300 and minus 500. Before the fix GEM had 1,100 available (1,000 - (200 -
    # 300)) and ZVK 500, and the run allocated 1,600 against 1,000 committed.
    assert run_cli("init", str(network_file)).exit_code == 0
    events = write_events(
        tmp_path / "events.csv",
        [
            "c-gem,2027-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
            "a-gem,2027-01-06,allocation,GEM,WG-A,200.00,Budget A,B-2",
        ],
    )
    assert run_cli("import", str(events)).exit_code == 0
    with driver_connection(db_url) as (connection, paramstyle):
        write_raw(
            connection.cursor(),
            [
                ("Budget:Allocated:WG-B", "GEM", 30000),
                ("Budget:Unallocated", "GEM", -30000),
                ("Budget:Allocated:WG-A", "ZVK", 50000),
                ("Budget:Unallocated", "ZVK", -50000),
            ],
            paramstyle=paramstyle,
            date=datetime.date(2027, 1, 7),
            groups=["WG-B", None, "WG-A", None],
        )
        connection.commit()
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN_2027, encoding="utf-8")
    result = run_cli("allocate", str(plan), "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    funders = {funder["funder"]: funder for funder in run["funders"]}
    assert funders["GEM"]["available"] == "800.00"  # 1,000 committed less 200 allocated
    assert funders["ZVK"]["available"] == "0.00"  # nothing committed in 2027
    assert funders["ZONMW"]["available"] == "0.00"
    by_funder: dict[str, int] = {}
    for item in run["allocations"]:
        by_funder[item["funder"]] = by_funder.get(item["funder"], 0) + _euros(item["amount"])
    assert by_funder == {"GEM": 80000}


def _plan(basis: str) -> Plan:
    requests = tuple(PlanRequest(group, 0, 10_000_000, Decimal(1)) for group in GROUPS)
    return Plan("plan.toml", "2027", basis, "priority", requests)  # type: ignore[arg-type]


amounts = st.integers(min_value=-5_000_000, max_value=5_000_000)


@given(
    committed=amounts,
    received=amounts,
    allocated=st.dictionaries(st.sampled_from(GROUPS), amounts, max_size=3),
    basis=st.sampled_from(["committed", "received"]),
)
def test_available_lies_between_zero_and_the_basis(  # type: ignore[no-untyped-def]
    committed: int, received: int, allocated: dict[str, int], basis: str
) -> None:
    figures = {
        "GEM": FunderFigures(
            "GEM", committed_cents=committed, received_cents=received, allocated_cents=allocated
        )
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "period_figures", lambda connection, period: figures)
        problem = service.build_problem(None, NETWORK, _plan(basis))  # type: ignore[arg-type]
    gem = problem.funder("GEM")
    money = committed if basis == "committed" else received
    assert 0 <= gem.available_cents <= max(money, 0)
    # What the period already holds plus what may still go out never exceeds the basis,
    # counting only what groups really hold (a negative group holds nothing).
    held = sum(cents for cents in allocated.values() if cents > 0)
    assert gem.already_allocated_cents == held
    if money >= held:
        assert held + gem.available_cents == money
    else:
        assert gem.available_cents == 0
    assert gem.already_allocated_overhead_cents == max(allocated.get("PMO", 0), 0)
    assert problem.already_allocated_cents == held
