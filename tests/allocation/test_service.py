"""Allocation against the ledger (issue 3), on SQLite and PostgreSQL, through the CLI.

The engine's own properties (exact cents, optimality against scipy, diagnosis, prices) are
tested in tests/allocation/; here: availability from the ledger, stored runs, determinism,
commit once, refusal when the ledger changed, exit codes.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
from click.testing import Result
from netfund.ledger.balance_sums import balances
from netfund.ledger.figures import period_figures
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import allocation_runs_table
from sqlalchemy import func, select

from tests.conftest import EXAMPLE
from tests.support.saniveld import BANK_IMPORT

PLAN = EXAMPLE / "plan.toml"


@pytest.fixture
def saniveld(run_cli):  # type: ignore[no-untyped-def]
    """The example network with its year of events imported."""
    assert run_cli("init", str(EXAMPLE / "network.toml")).exit_code == 0
    assert run_cli("import", str(EXAMPLE / "events.csv")).exit_code == 0
    return run_cli


def _json(result: Result) -> dict:  # type: ignore[type-arg]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    assert len(fraction) == 2
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(fraction))


def test_availability_comes_from_the_ledger(saniveld, db_url: str) -> None:  # type: ignore[no-untyped-def]
    # The money in is on the bank statement: its receipts are what the funders have paid
    # (its payments of the spending stay unmatched here: spending.csv is not imported).
    banked = _json(saniveld(*BANK_IMPORT, "--json"))
    assert sum(statement["booked"] for statement in banked["statements"]) == 24 + 12
    engine = connect(db_url)
    with reading(engine) as connection:
        figures = period_figures(connection, "2026")
    engine.dispose()
    wmo = figures["GEM-SANIVELD-WMO"]
    assert wmo.committed_cents == 421835040
    assert wmo.allocated_total_cents == 333000000
    lingezorg = figures["ZV-LINGEZORG"]
    assert (lingezorg.committed_cents, lingezorg.received_cents) == (45231000, 40707900)
    run = _json(saniveld("allocate", str(PLAN), "--json"))
    funders = {f["funder"]: f for f in run["funders"]}
    assert funders["GEM-SANIVELD-WMO"]["available"] == "888350.40"
    received = _write(PLAN.read_text().replace('basis = "committed"', 'basis = "received"'))
    run_received = _json(saniveld("allocate", str(received), "--json"))
    by_funder = {f["funder"]: f for f in run_received["funders"]}
    assert by_funder["ZV-LINGEZORG"]["available"] == "47079.00"  # 407,079 received - 360,000


def _write(text: str) -> Path:
    """A plan file with ``text``, in a folder of its own (the example stays untouched)."""
    path = Path(tempfile.mkdtemp()) / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_allocate_reports_exact_cents_within_every_limit(saniveld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "alloc.csv"
    run = _json(saniveld("allocate", str(PLAN), "--json", "--out", str(out)))
    assert {"run", "status", "objective", "allocations", "overhead_share"} <= set(run)
    assert run["status"] == "optimal" and run["run"] == 1
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == run["allocations"]
    per_funder: dict[str, int] = {}
    per_group: dict[str, int] = {}
    for item in run["allocations"]:
        cents = _cents(item["amount"])
        assert cents > 0
        per_funder[item["funder"]] = per_funder.get(item["funder"], 0) + cents
        per_group[item["group"]] = per_group.get(item["group"], 0) + cents
    for funder in run["funders"]:
        assert per_funder.get(funder["funder"], 0) == _cents(funder["allocated"])
        assert _cents(funder["allocated"]) <= _cents(funder["available"])
    for group in run["groups"]:
        assert _cents(group["min"]) <= per_group.get(group["group"], 0) <= _cents(group["max"])
    zonmw_groups = {item["group"] for item in run["allocations"] if item["funder"] == "ZONMW"}
    assert zonmw_groups <= {
        "WG-GGZ-MIDDEN",
        "WG-HUISARTS-ZUID",
        "RG-ERVARING",
        "RG-DATA",
        "TRANSITIETEAM",
    }
    # The plan asks for more than is left: money runs out, so not every maximum is reached.
    assert sum(per_group.values()) < sum(_cents(g["max"]) for g in run["groups"])
    assert 0 < float(run["overhead_share"]) <= 0.15  # money-safe: a share, not an amount


def test_the_same_ledger_and_plan_give_the_same_allocation_byte_for_byte(
    saniveld,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    one = _json(saniveld("allocate", str(PLAN), "--json", "--out", str(first)))
    two = _json(saniveld("allocate", str(PLAN), "--json", "--out", str(second)))
    assert first.read_bytes() == second.read_bytes()
    assert one["inputs_sha256"] == two["inputs_sha256"]
    assert {k: v for k, v in one.items() if k != "run"} == {
        k: v for k, v in two.items() if k != "run"
    }
    compared = _json(saniveld("allocations", "compare", "1", "2", "--json"))
    assert compared["groups"] and all(g["difference"] == "0.00" for g in compared["groups"])


def test_commit_posts_budget_once_and_refuses_a_stale_run(saniveld, db_url: str) -> None:  # type: ignore[no-untyped-def]
    run = _json(saniveld("allocate", str(PLAN), "--json"))
    _json(saniveld("allocate", str(PLAN), "--json"))  # run 2, same inputs as run 1
    engine = connect(db_url)
    with reading(engine) as connection:
        before = {
            (b.fund, b.group): b.balance_cents
            for b in balances(connection, period="2026", by=("account", "fund", "group"))
            if b.account and b.account.startswith("Budget:Allocated:")
        }
    committed = _json(saniveld("allocate", "--commit", "1", "--date", "2026-06-30", "--json"))
    assert committed["date"] == "2026-06-30"
    assert _cents(committed["total"]) == sum(_cents(item["amount"]) for item in run["allocations"])
    with reading(engine) as connection:
        after = {
            (b.fund, b.group): b.balance_cents
            for b in balances(connection, period="2026", by=("account", "fund", "group"))
            if b.account and b.account.startswith("Budget:Allocated:")
        }
    engine.dispose()
    for item in run["allocations"]:
        key = (item["funder"], item["group"])
        assert after[key] - before.get(key, 0) == -_cents(item["amount"])
    assert sum(after.values()) - sum(before.values()) == -sum(
        _cents(item["amount"]) for item in run["allocations"]
    )
    again = saniveld("allocate", "--commit", "1")
    assert again.exit_code == 2 and "committed already" in again.output
    stale = saniveld("allocate", "--commit", "2")
    assert stale.exit_code == 2
    assert "the ledger changed since run 2 was solved" in stale.output
    assert "available was" in stale.output
    verified = _json(saniveld("verify", "--json"))
    assert verified["transactions"] == 42 + 1  # events.csv and the one allocation commit
    # After the commit, the money is allocated: a new run finds (almost) nothing left.
    later = _json(
        saniveld(
            "allocate", str(_write(PLAN.read_text().replace('min = "', 'min = "0.00" #'))), "--json"
        )
    )
    assert all(
        _cents(f["available"]) == _cents(f["left"]) + _cents(f["allocated"])
        for f in later["funders"]
    )
    left_now = sum(_cents(f["available"]) for f in later["funders"])
    left_before = sum(_cents(f["available"]) for f in run["funders"])
    assert left_now == left_before - sum(_cents(item["amount"]) for item in run["allocations"])


def test_infeasible_plan_exits_3_with_a_diagnosis_and_is_stored(saniveld) -> None:  # type: ignore[no-untyped-def]
    plan = _write(
        '[allocation]\nperiod = "2026"\nbasis = "committed"\nobjective = "proportional"\n\n'
        '[[requests]]\ngroup = "STUURGROEP"\nmin = "900000.00"\nmax = "950000.00"\nweight = 1\n\n'
        '[[requests]]\ngroup = "WG-WIJK-ZUID"\nmin = "10.00"\nmax = "20.00"\nweight = 1\n'
    )
    result = saniveld("allocate", str(plan))
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    # 900k of overhead cannot fit under the 15% cap beside the year's 6.98M allocation.
    assert "overhead groups' minimums" in result.output
    assert "over by EUR" in result.output
    listed = _json(saniveld("allocations", "list", "--json"))
    assert [r["status"] for r in listed] == ["infeasible"]
    refused = saniveld("allocate", "--commit", "1")
    assert refused.exit_code == 2 and "infeasible" in refused.output


def test_bad_plan_exits_2_and_stores_nothing(saniveld, db_url: str) -> None:  # type: ignore[no-untyped-def]
    plan = _write(
        '[allocation]\nperiod = "2026"\nbasis = "committed"\nobjective = "priority"\n\n'
        '[[requests]]\ngroup = "WG-ONBEKEND"\nmin = "1.00"\nmax = "2.00"\nweight = 1\n'
    )
    result = saniveld("allocate", str(plan))
    assert result.exit_code == 2
    assert f"{plan}:" in result.output and "WG-ONBEKEND" in result.output
    engine = connect(db_url)
    with reading(engine) as connection:
        stored = connection.execute(
            select(func.count()).select_from(allocation_runs_table)
        ).scalar_one()
    engine.dispose()
    assert stored == 0


def test_show_explain_and_closed_period(saniveld) -> None:  # type: ignore[no-untyped-def]
    shown = saniveld("allocate", str(PLAN), "--explain")
    assert shown.exit_code == 0
    assert "why:" in shown.output and "held at its maximum" in shown.output
    show = _json(saniveld("allocations", "show", "latest", "--json"))
    assert show["run"] == 1 and show["explanation"]
    assert saniveld("allocations", "show", "7").exit_code == 2
    assert saniveld("close", "2026", "--force", "--reason", "closed early in a test").exit_code == 0
    closed = saniveld("allocate", str(PLAN))
    assert closed.exit_code == 2 and "period 2026 is closed" in closed.output


def test_cbc_and_highs_agree(saniveld) -> None:  # type: ignore[no-untyped-def]
    highs = _json(saniveld("allocate", str(PLAN), "--json"))
    cbc = saniveld("allocate", str(PLAN), "--json", "--solver", "cbc")
    if cbc.exit_code == 1 and "not available" in cbc.output:
        pytest.skip("no cbc executable on this machine")
    cbc_run = _json(cbc)
    assert {g["group"]: g["allocated"] for g in cbc_run["groups"]} == {
        g["group"]: g["allocated"] for g in highs["groups"]
    }
