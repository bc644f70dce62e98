"""Every standing rule, broken through every entry point that can break it, is refused (issue 15).

The rules (`ledger/store/rules.py` and the closed periods of `post.py`) are checked on the one
writing path, so no command is a way around them: each case below feeds one rule's violation
through one entry point (an events file, a journal, `netfund post`, `netfund reverse`, an
allocation commit, `netfund close`) and expects exit 2, the rule named, and nothing written:
the chain head and the number of transactions are what they were.

The base ledger: 2025 committed and closed (GEM's 1,000 carried over into 2026); in 2026
GEM, ZVK and ZONMW committed 100,000, 50,000 and 20,000; GEM allocated 40,000 to WG-A and
9,000 to PMO (overhead), ZVK 20,000 to WG-A, ZONMW 15,000 to WG-A and 1,000 to PMO (6.25%, its
cap is 10%). The network's overhead is 10,000 of 85,000 allocated (11.8%, its cap 15%).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import NETWORK_TOML, write_events

BASE_2025 = [
    "c25,2025-01-05,commitment,GEM,,1000.00,Toezegging 2025,",
    "r25,2025-01-06,receipt,GEM,,1000.00,Tranche 2025,",
]
BASE_2026 = [
    "c-gem,2026-01-05,commitment,GEM,,100000.00,Toezegging,",
    "c-zvk,2026-01-05,commitment,ZVK,,50000.00,Toezegging,",
    "c-zonmw,2026-01-05,commitment,ZONMW,,20000.00,Subsidie,",
    "r-gem,2026-01-10,receipt,GEM,,100000.00,Tranche,",
    "r-zonmw,2026-01-10,receipt,ZONMW,,20000.00,Voorschot,",
    "a-gem-a,2026-02-01,allocation,GEM,WG-A,40000.00,Budget,",
    "a-gem-pmo,2026-02-01,allocation,GEM,PMO,9000.00,Budget,",
    "a-zvk-a,2026-02-01,allocation,ZVK,WG-A,20000.00,Budget,",
    "a-zonmw-a,2026-02-01,allocation,ZONMW,WG-A,15000.00,Budget,",
    "a-zonmw-pmo,2026-02-01,allocation,ZONMW,PMO,1000.00,Budget,",
]

Invoke = Callable[..., Result]


@pytest.fixture
def ledger(run_cli: Invoke, tmp_path: Path) -> Invoke:
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    for args in (
        ("init", str(network)),
        ("import", str(write_events(tmp_path / "2025.csv", BASE_2025))),
        ("close", "2025"),
        ("import", str(write_events(tmp_path / "2026.csv", BASE_2026))),
    ):
        result = run_cli(*args)
        assert result.exit_code == 0, (args, result.output)
    return run_cli


def _head(run_cli: Invoke) -> tuple[int, str]:
    result = run_cli("verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return report["transactions"], report["fingerprint"]


def _events(tmp_path: Path, *rows: str) -> tuple[str, ...]:
    return ("import", str(write_events(tmp_path / "more.csv", list(rows))))


def _journal(tmp_path: Path, *lines: str) -> tuple[str, ...]:
    path = tmp_path / "journal.csv"
    header = "txn_id,date,description,account,fund,group,amount\n"
    path.write_text(header + "".join(f"J9,{line}\n" for line in lines), encoding="utf-8")
    return ("import", "--journal", str(path))


def _post(date: str, *lines: str) -> tuple[str, ...]:
    options = [item for line in lines for item in ("--line", line)]
    return ("post", "P9", "--date", date, "-d", "Correctie", *options)


def _budget(fund: str, group: str, cents: str) -> tuple[str, str]:
    """Journal lines moving ``cents`` of ``fund``'s budget to ``group`` (negative: back)."""
    negated = cents[1:] if cents.startswith("-") else f"-{cents}"
    return (
        f"Budget:Unallocated,{fund},,{cents}",
        f"Budget:Allocated:{group},{fund},{group},{negated}",
    )


# (entry point, rule, the arguments given a folder, what the refusal says)
CASES: list[tuple[str, str, Callable[[Path], tuple[str, ...]], str]] = [
    # --- events.csv
    (
        "events",
        "earmark",
        lambda d: _events(d, "x1,2026-03-01,expense,ZONMW,WG-B,10.00,,"),
        "earmark excludes group WG-B",
    ),
    (
        "events",
        "own cap",
        lambda d: _events(d, "x1,2026-03-01,allocation,ZONMW,PMO,2000.00,,"),
        "ZONMW's overhead allocation in 2026 would be EUR 3,000.00 of EUR 18,000.00",
    ),
    (
        "events",
        "network cap",
        lambda d: _events(d, "x1,2026-03-01,allocation,GEM,PMO,10000.00,,"),
        "the network's overhead allocation in 2026 would be EUR 20,000.00 of EUR 95,000.00",
    ),
    (
        "events",
        "committed",
        lambda d: _events(d, "x1,2026-03-01,allocation,GEM,WG-B,62000.00,,"),
        # 100,000 committed in 2026 and 1,000 carried over from 2025
        "GEM would have EUR 111,000.00 allocated in 2026 but EUR 101,000.00 committed",
    ),
    (
        "events",
        "closed period",
        lambda d: _events(d, "x1,2025-06-01,commitment,GEM,,5.00,,"),
        "period 2025 is closed",
    ),
    # --- journal.csv
    (
        "journal",
        "earmark",
        lambda d: _journal(
            d,
            "2026-03-01,Kosten,Expenses:WG-B,ZONMW,WG-B,10.00",
            "2026-03-01,Kosten,Assets:Bank,ZONMW,,-10.00",
        ),
        "earmark excludes group WG-B",
    ),
    (
        "journal",
        "Expenses:G carries G",
        lambda d: _journal(
            d,
            "2026-03-01,Kosten,Expenses:PMO,ZONMW,,10.00",
            "2026-03-01,Kosten,Assets:Bank,ZONMW,,-10.00",
        ),
        "a line on Expenses:PMO must have group PMO",
    ),
    (
        "journal",
        "earmarked funder spends on its groups",
        lambda d: _journal(
            d,
            "2026-03-01,Kosten,Expenses:Bankkosten,ZONMW,,10.00",
            "2026-03-01,Kosten,Assets:Bank,ZONMW,,-10.00",
        ),
        "ZONMW's earmark allows spending on its groups only",
    ),
    (
        "journal",
        "own cap",
        lambda d: _journal(
            d, *(f"2026-03-01,Budget,{line}" for line in _budget("ZONMW", "PMO", "2000.00"))
        ),
        "above ZONMW's cap of 10%",
    ),
    (
        "journal",
        "network cap",
        lambda d: _journal(
            d, *(f"2026-03-01,Budget,{line}" for line in _budget("GEM", "PMO", "10000.00"))
        ),
        "above the network's cap of 15%",
    ),
    (
        "journal",
        "negative allocation",
        lambda d: _journal(
            d, *(f"2026-03-01,Budget,{line}" for line in _budget("GEM", "WG-B", "-100.00"))
        ),
        "GEM's allocation to WG-B in 2026 would be EUR -100.00",
    ),
    (
        "journal",
        "committed",
        lambda d: _journal(
            d, *(f"2026-03-01,Budget,{line}" for line in _budget("GEM", "WG-B", "62000.00"))
        ),
        "EUR 10,000.00 more than its money",
    ),
    (
        "journal",
        "closed period",
        lambda d: _journal(
            d,
            "2025-06-01,Rente,Assets:Bank,GEM,,1.00",
            "2025-06-01,Rente,Income:Interest,GEM,,-1.00",
        ),
        "period 2025 is closed",
    ),
    # --- netfund post
    (
        "post",
        "earmark",
        lambda d: _post(
            "2026-03-01", "Expenses:WG-B,ZONMW,WG-B,10.00", "Assets:Bank,ZONMW,,-10.00"
        ),
        "earmark excludes group WG-B",
    ),
    (
        "post",
        "Expenses:G carries G",
        lambda d: _post("2026-03-01", "Expenses:PMO,ZONMW,,10.00", "Assets:Bank,ZONMW,,-10.00"),
        "a line on Expenses:PMO must have group PMO",
    ),
    (
        "post",
        "own cap",
        lambda d: _post("2026-03-01", *_budget("ZONMW", "PMO", "2000.00")),
        "above ZONMW's cap of 10%",
    ),
    (
        "post",
        "network cap",
        lambda d: _post("2026-03-01", *_budget("GEM", "PMO", "10000.00")),
        "above the network's cap of 15%",
    ),
    (
        "post",
        "negative allocation",
        lambda d: _post("2026-03-01", *_budget("ZVK", "WG-A", "-20000.01")),
        "ZVK's allocation to WG-A in 2026 would be EUR -0.01",
    ),
    (
        "post",
        "committed",
        lambda d: _post("2026-03-01", *_budget("ZVK", "WG-B", "30000.01")),
        "ZVK would have EUR 50,000.01 allocated in 2026 but EUR 50,000.00 committed",
    ),
    (
        "post",
        "closed period",
        lambda d: _post("2025-06-01", "Assets:Bank,GEM,,1.00", "Income:Interest,GEM,,-1.00"),
        "period 2025 is closed",
    ),
    # --- netfund reverse
    (
        "reverse",
        "own cap",
        lambda d: ("reverse", "a-zonmw-a"),
        "ZONMW's overhead allocation in 2026 would be EUR 1,000.00 of EUR 1,000.00",
    ),
    (
        "reverse",
        "network cap",
        lambda d: ("reverse", "a-gem-a"),
        "the network's overhead allocation in 2026 would be EUR 10,000.00 of EUR 45,000.00",
    ),
    (
        "reverse",
        "negative allocation",
        # The attack of issue 15: an allocation reversed into the next year made room there.
        lambda d: ("reverse", "a-zvk-a", "--date", "2027-01-02"),
        "ZVK's allocation to WG-A in 2027 would be EUR -20,000.00",
    ),
    (
        "reverse",
        "committed",
        lambda d: ("reverse", "c-zvk"),
        "ZVK would have EUR 20,000.00 allocated in 2026 but EUR 0.00 committed",
    ),
    (
        "reverse",
        "closed period",
        lambda d: ("reverse", "c25"),
        "period 2025 is closed",
    ),
    # --- netfund close
    ("close", "closed period", lambda d: ("close", "2025"), "period 2025 is already closed"),
]


@pytest.mark.parametrize(
    ("entry", "rule", "arguments", "says"),
    CASES,
    ids=[f"{entry}-{rule}" for entry, rule, _, _ in CASES],
)
def test_each_rule_holds_on_each_entry_point(
    ledger: Invoke,
    tmp_path: Path,
    entry: str,
    rule: str,
    arguments: Callable[[Path], tuple[str, ...]],
    says: str,
) -> None:
    before = _head(ledger)
    result = ledger(*arguments(tmp_path))
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert _head(ledger) == before


def test_within_the_rules_each_entry_point_writes(ledger: Invoke, tmp_path: Path) -> None:
    """The same entry points with amounts that keep the rules are stored: the refusals above
    come from the rules, not from the entry points failing."""
    count, _ = _head(ledger)
    for arguments in (
        _events(tmp_path, "x1,2026-03-01,allocation,ZONMW,PMO,600.00,,"),
        _journal(
            tmp_path,
            "2026-03-01,Kosten,Expenses:PMO,ZONMW,PMO,10.00",
            "2026-03-01,Kosten,Assets:Bank,ZONMW,,-10.00",
        ),
        _post("2026-03-01", *_budget("ZVK", "WG-B", "30000.00")),
        ("reverse", "a-gem-pmo"),
    ):
        result = ledger(*arguments)
        assert result.exit_code == 0, (arguments, result.output)
    assert _head(ledger)[0] == count + 4


def test_a_file_is_judged_as_a_whole(ledger: Invoke, tmp_path: Path) -> None:
    """Overhead first and the programme after it, in one file: the budget rules judge the
    state after the whole write, so the order of the rows does not matter."""
    result = ledger(
        *_events(
            tmp_path,
            "x1,2026-03-01,allocation,ZONMW,PMO,400.00,,",
            "x2,2026-03-01,allocation,ZONMW,WG-A,3000.00,,",
        )
    )
    assert result.exit_code == 0, result.output


PLAN = """\
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-A"
min = "0.00"
max = "1000.00"
weight = 1
"""


def test_an_allocation_commit_is_held_to_the_rules_too(
    ledger: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The allocation package checks a run before committing it (its result hash, its
    amounts against the problem); the ledger does not rely on that. With those checks switched
    off and a run whose amounts break ZONMW's earmark, the commit is still refused by the
    ledger, and nothing is written."""
    import netfund.allocation.service as service

    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN, encoding="utf-8")
    assert ledger("allocate", str(plan)).exit_code == 0
    stored_run = service.read_run

    def doctored(connection, run):  # type: ignore[no-untyped-def]
        stored = stored_run(connection, run)
        for item in stored.document["result"]["allocations"]:
            if item["funder"] == "ZONMW":
                item["group"] = "WG-B"
        return stored

    monkeypatch.setattr(service, "require_valid_allocation", lambda problem, amounts: None)
    monkeypatch.setattr(service, "read_run", doctored)
    monkeypatch.setattr(service, "checked_run", lambda stored: stored)
    before = _head(ledger)
    result = ledger("allocate", "--commit", "latest", "--date", "2026-03-01")
    assert result.exit_code == 2, result.output
    assert "ZONMW's earmark excludes group WG-B" in result.output
    assert _head(ledger) == before
    monkeypatch.undo()
    assert ledger("allocate", "--commit", "latest", "--date", "2026-03-01").exit_code == 0


def _budget_state(allocated: dict[tuple[str, str], int], committed: dict[str, int]):  # type: ignore[no-untyped-def]
    from collections import defaultdict

    from netfund.ledger.store.rules import _Budget

    return _Budget(defaultdict(int, allocated), defaultdict(int, committed))


@pytest.mark.parametrize(
    ("after_pmo", "refused"),
    [(900, False), (1000, False), (1001, True), (1200, True)],
    ids=["lower", "as high", "a cent higher", "higher"],
)
def test_only_a_write_that_makes_an_excess_larger_is_refused(
    network_file: Path, after_pmo: int, refused: bool
) -> None:
    """A ledger over a cap before the rule existed (here ZONMW: 1,000 of 2,000 on overhead,
    above its own cap and the network's) can be corrected: a write lowering the excess, or
    leaving it, passes; raising it is refused under both caps."""
    from netfund.ledger import load_network
    from netfund.ledger.store.rules import _period_problems

    network = load_network(network_file)
    before = _budget_state({("ZONMW", "PMO"): 1000, ("ZONMW", "WG-A"): 1000}, {"ZONMW": 5000})
    after = _budget_state({("ZONMW", "PMO"): after_pmo, ("ZONMW", "WG-A"): 1000}, {"ZONMW": 5000})
    problems = _period_problems(network, "2026", before, after)
    assert {p.fund for p in problems} == ({"ZONMW", None} if refused else set())
