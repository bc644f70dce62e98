"""``allocate --time-limit`` bounds the whole run, not each LP solve (issue 15).

A 10,000-request plan took 336 s under ``--time-limit 10``: reading the plan was not counted
and every LP stage got the whole limit again. These tests run on a clock they control
(`deadline.clock`), so they say where the time went without depending on the machine's speed:
time spent reading the plan or in one LP stage counts against the one budget, each LP solve is
given only what is left, and a run out of time exits 1 with a message and stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction

import pulp
import pytest
from click.testing import Result
from netfund.allocation import (
    AllocationProblem,
    FunderSupply,
    Request,
    SolverSettings,
    solve_allocation,
)
from netfund.allocation import deadline as deadline_module
from netfund.allocation.deadline import Deadline
from netfund.allocation.errors import TimeLimitExceeded
from netfund.ledger.balance_sums import balances
from netfund.ledger.store.database import connect, reading

from tests.conftest import EXAMPLE

PLAN = EXAMPLE / "plan.toml"


class FakeClock:
    """A clock that moves only when told: ``step`` seconds per reading, plus `advance`."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], FakeClock]:
    def install(step: float = 0.0) -> FakeClock:
        clock = FakeClock(step)
        monkeypatch.setattr(deadline_module, "clock", clock)
        return clock

    return install


@pytest.fixture
def saniveld(run_cli):  # type: ignore[no-untyped-def]
    """The example network with its year of events imported."""
    assert run_cli("init", str(EXAMPLE / "network.toml")).exit_code == 0
    assert run_cli("import", str(EXAMPLE / "events.csv")).exit_code == 0
    return run_cli


@pytest.fixture
def slow_lp_solves(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Every LP solve takes ``seconds[0]`` of the fake clock; yields that one-item list."""
    seconds = [0.0]
    solve = pulp.LpProblem.solve

    def slow(self: pulp.LpProblem, solver: pulp.LpSolver | None = None, **options: object) -> int:
        status = solve(self, solver, **options)
        deadline_module.clock.advance(seconds[0])  # type: ignore[attr-defined]
        return status

    monkeypatch.setattr(pulp.LpProblem, "solve", slow)
    yield seconds


def _stored_nothing(run_cli, db_url: str, ledger_before: object) -> None:  # type: ignore[no-untyped-def]
    listed = run_cli("allocations", "list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    assert _ledger(db_url) == ledger_before


def _ledger(db_url: str) -> object:
    engine = connect(db_url)
    with reading(engine) as connection:
        totals = balances(connection, by=("account", "fund", "group"))
    engine.dispose()
    return totals


def _refused(result: Result, doing: str, seconds: str, *, as_json: bool = False) -> None:
    """Exit 1 with the reason: on stderr, or with --json as the JSON error on stdout (issue 16)."""
    assert result.exit_code == 1, result.output
    if as_json:
        error = json.loads(result.stdout)
        assert (error["status"], error["exit_code"]) == ("error", 1)
        message, other = error["message"], result.stderr
    else:
        message, other = result.stderr, result.stdout
    assert f"the time limit of {seconds} s for the whole allocation ran out {doing}" in message
    assert "nothing was stored" in message
    assert "Traceback" not in result.output and "please report" not in message
    assert other == ""


def test_time_spent_reading_the_plan_counts(saniveld, db_url, fake_clock) -> None:  # type: ignore[no-untyped-def]
    # One second per clock reading: the budget of 5 s runs out among the plan's 17 requests,
    # before any LP is built. Before issue 15 the plan was read outside any limit.
    before = _ledger(db_url)
    fake_clock(1.0)
    result = saniveld("allocate", str(PLAN), "--time-limit", "5", "--json")
    _refused(result, "while reading the plan", "5", as_json=True)
    _stored_nothing(saniveld, db_url, before)


def test_an_lp_stage_that_uses_up_the_time_stops_the_run(  # type: ignore[no-untyped-def]
    saniveld, db_url, fake_clock, slow_lp_solves
) -> None:
    # The first stage takes 40 s of a 30 s budget: it still proves its optimum, but no later
    # stage starts. Before, each of the four stages had 30 s of its own.
    before = _ledger(db_url)
    fake_clock(0.0)
    slow_lp_solves[0] = 40.0
    result = saniveld("allocate", str(PLAN), "--time-limit", "30")
    _refused(result, "before stage 'tie_break_totals'", "30")
    _stored_nothing(saniveld, db_url, before)


def test_each_lp_solve_gets_only_the_time_left(  # type: ignore[no-untyped-def]
    saniveld, db_url, fake_clock, slow_lp_solves, monkeypatch
) -> None:
    given: list[float] = []
    make = SolverSettings.make

    def recording(self: SolverSettings) -> pulp.LpSolver:
        solver = make(self)
        given.append(solver.timeLimit)
        return solver

    monkeypatch.setattr(SolverSettings, "make", recording)
    fake_clock(0.0)
    slow_lp_solves[0] = 7.0
    result = saniveld("allocate", str(PLAN), "--time-limit", "100", "--json")
    assert result.exit_code == 0, result.output
    # priority, tie_break_totals, tie_break_spread: 7 s each of the fake clock
    # (less the real time the command spent importing before the fake clock could count)
    assert given == pytest.approx([100.0, 93.0, 86.0], abs=0.5)
    assert given[0] - given[1] == given[1] - given[2] == pytest.approx(7.0)
    assert json.loads(result.stdout)["status"] == "optimal"


def test_a_solve_stopped_by_the_deadline_names_its_stage(fake_clock, slow_lp_solves) -> None:  # type: ignore[no-untyped-def]
    # HiGHS stops at once (1e-9 s per solve) without an optimum, and by then the run's clock
    # has passed its deadline: the run's time ran out, not the solver's patience.
    fake_clock(0.0)
    slow_lp_solves[0] = 2.0
    problem = AllocationProblem(
        (FunderSupply("GEM", 100_000_000), FunderSupply("ZVK", 50_000_000)),
        (
            Request("WG-A", 0, 80_000_000, Decimal(3)),
            Request("WG-B", 10_000_000, 90_000_000, Decimal(1)),
        ),
        Fraction(15, 100),
    )
    settings = SolverSettings("highs", time_limit_seconds=1e-9, deadline=Deadline.start(1.0))
    with pytest.raises(TimeLimitExceeded, match="ran out in stage 'priority'"):
        solve_allocation(problem, settings)


def test_without_a_deadline_each_solve_keeps_its_own_limit() -> None:
    assert SolverSettings(time_limit_seconds=12.5).solve_seconds() == 12.5


def test_a_deadline_gives_the_smaller_of_its_rest_and_the_solve_limit(fake_clock) -> None:  # type: ignore[no-untyped-def]
    clock = fake_clock(0.0)
    settings = SolverSettings(time_limit_seconds=10, deadline=Deadline.start(25))
    assert settings.solve_seconds() == 10
    clock.advance(20)
    assert settings.solve_seconds() == 5
    clock.advance(5)
    with pytest.raises(TimeLimitExceeded, match="ran out before an LP solve"):
        settings.solve_seconds()
