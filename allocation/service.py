"""Allocation runs against the ledger: build the problem from ledger figures, solve, store,
show, compare and commit.

A run joins a plan with what the ledger says each funder may still allocate in the period
(its basis, committed or received, minus what is already allocated), solves it, and stores
a document with the inputs, the result and their sha256 hashes. Committing a run posts its
allocation as one budget transaction through the ledger, once, and only while the ledger
still gives the same inputs as when the run was solved.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from netfund.allocation.checks import require_valid_allocation
from netfund.allocation.errors import InfeasibleError
from netfund.allocation.explain import explain
from netfund.allocation.plan import Plan, PlanRequest, load_plan
from netfund.allocation.problem import AllocationProblem, FunderSupply
from netfund.allocation.result import AllocationResult
from netfund.allocation.run_view import RunView
from netfund.allocation.solver import SolverSettings
from netfund.allocation.stages import solve_allocation
from netfund.ledger import (
    ALLOCATION_COMMIT_PREFIX,
    UNALLOCATED,
    Action,
    Draft,
    LedgerError,
    Network,
    Performer,
    Posting,
    StoredRun,
    UnitOfWork,
    VerificationError,
    allocated_account,
    closed_periods,
    format_cents,
    list_runs,
    period_figures,
    post_drafts,
    read_network_timeline,
    read_run,
    reading,
    require_schema,
    source_hash,
    store_run,
)
from sqlalchemy import Connection, Engine

#: Shares are printed with four decimals (a hundredth of a percent).
SHARE_QUANTUM = Decimal("0.0001")


def canonical_sha256(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def build_problem(connection: Connection, network: Network, plan: Plan) -> AllocationProblem:
    """The plan joined with the ledger's figures for its period and basis.

    A funder's available money is its basis less what it has allocated in the period, never
    more than the basis and never below zero. A group whose allocation in the period is
    negative (more reversed than allocated, e.g. a closed year's allocation reversed into
    this one) counts as zero: it frees no money. Counted as negative it once let a new plan
    allocate EUR 3,010,613.74 against EUR 1,260,435.09 committed (issue 15).
    """
    figures = period_figures(connection, plan.period)
    overhead_groups = {group.code for group in network.groups if group.overhead}
    supplies: list[FunderSupply] = []
    network_allocated = network_overhead = 0
    for funder in network.funders:
        own = figures.get(funder.code)
        basis = 0
        allocated = overhead = 0
        if own is not None:
            basis = own.committed_cents if plan.basis == "committed" else own.received_cents
            held = {group: cents for group, cents in own.allocated_cents.items() if cents > 0}
            allocated = sum(held.values())
            overhead = sum(cents for group, cents in held.items() if group in overhead_groups)
        network_allocated += allocated
        network_overhead += overhead
        supplies.append(
            FunderSupply(
                code=funder.code,
                available_cents=max(basis - allocated, 0),
                eligible_groups=funder.eligible_groups,
                overhead_cap=funder.overhead_cap,
                already_allocated_cents=allocated,
                already_allocated_overhead_cents=overhead,
            )
        )
    return plan.to_problem(
        supplies,
        overhead_groups,
        network.overhead_cap,
        already_allocated_cents=network_allocated,
        already_allocated_overhead_cents=network_overhead,
    )


def _plan_document(plan: Plan, plan_bytes: bytes) -> dict[str, Any]:
    return {
        "source": plan.source,
        "sha256": hashlib.sha256(plan_bytes).hexdigest(),
        "period": plan.period,
        "basis": plan.basis,
        "objective": plan.objective,
        "requests": [
            {
                "group": request.group,
                "min_cents": request.min_cents,
                "max_cents": request.max_cents,
                "weight": str(request.weight),
            }
            for request in plan.requests
        ],
    }


def _plan_from_document(document: dict[str, Any]) -> Plan:
    plan = document["plan"]
    return Plan(
        source=plan["source"],
        period=plan["period"],
        basis=plan["basis"],
        objective=plan["objective"],
        requests=tuple(
            PlanRequest(
                group=item["group"],
                min_cents=item["min_cents"],
                max_cents=item["max_cents"],
                weight=Decimal(item["weight"]),
            )
            for item in plan["requests"]
        ),
    )


def _inputs(plan: Plan, problem: AllocationProblem, solver: str) -> dict[str, Any]:
    """What decides a run's result: its hash is the run's inputs hash."""
    return {
        "period": plan.period,
        "basis": plan.basis,
        "solver": solver,
        "problem": problem.to_dict(),
    }


def _share(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(SHARE_QUANTUM, ROUND_HALF_EVEN))


def _cap_text(cap: Fraction) -> str:
    return str((Decimal(cap.numerator) / Decimal(cap.denominator)).normalize())


def summarise(problem: AllocationProblem, result: AllocationResult) -> dict[str, Any]:
    """Per group, per funder and the overhead shares, as decimal text: what a run reports."""
    groups = []
    for request in problem.requests:
        allocated = result.group_total_cents(request.group)
        span = request.max_cents - request.min_cents
        fill = _share(allocated - request.min_cents, span) if span > 0 else None
        groups.append(
            {
                "group": request.group,
                "overhead": request.overhead,
                "min": format_cents(request.min_cents),
                "max": format_cents(request.max_cents),
                "allocated": format_cents(allocated),
                "fill": fill,
            }
        )
    overhead_groups = {request.group for request in problem.requests if request.overhead}
    funders = []
    for supply in problem.funders:
        allocated = result.funder_total_cents(supply.code)
        overhead_new = sum(
            item.amount_cents
            for item in result.allocations
            if item.funder == supply.code and item.group in overhead_groups
        )
        total = supply.already_allocated_cents + allocated
        funders.append(
            {
                "funder": supply.code,
                "available": format_cents(supply.available_cents),
                "allocated": format_cents(allocated),
                "left": format_cents(supply.available_cents - allocated),
                "overhead_share": _share(
                    supply.already_allocated_overhead_cents + overhead_new, total
                ),
                "overhead_cap": None
                if supply.overhead_cap is None
                else _cap_text(supply.overhead_cap),
            }
        )
    overhead_total = problem.already_allocated_overhead_cents + sum(
        item.amount_cents for item in result.allocations if item.group in overhead_groups
    )
    period_total = problem.already_allocated_cents + result.total_cents
    return {
        "groups": groups,
        "funders": funders,
        "allocated": format_cents(result.total_cents),
        "period_allocated": format_cents(period_total),
        "overhead_share": _share(overhead_total, period_total),
        "overhead_cap": _cap_text(problem.overhead_cap),
    }


def run_plan(engine: Engine, plan_path: Path, settings: SolverSettings) -> RunView:
    """Solve ``plan_path`` against the ledger and store the run.

    An infeasible plan is stored too (status ``infeasible``, with its diagnosis) and then
    raised as `InfeasibleError`, so the administrator can refer to it. With a deadline in
    ``settings`` (``allocate --time-limit``) it bounds the whole run, reading the plan
    included; a run out of time raises `TimeLimitExceeded` and stores nothing.
    """
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        networks = read_network_timeline(connection)
        groups = {group.code for group in networks.newest.network.groups}
        plan = load_plan(plan_path, groups, settings.deadline)
        if plan.period in closed_periods(connection):
            raise LedgerError(f"period {plan.period} is closed: nothing can be allocated in it")
        # The earmarks and caps in force for the plan's period (`netfund network apply`).
        problem = build_problem(connection, networks.for_period(plan.period), plan)
    settings.check_time("while reading the ledger's figures")
    inputs = _inputs(plan, problem, settings.name)
    inputs_sha256 = canonical_sha256(inputs)
    document: dict[str, Any] = {
        "plan": _plan_document(plan, plan_path.read_bytes()),
        "inputs": inputs,
        "solver": settings.name,
    }
    try:
        result = solve_allocation(problem, settings)
    except InfeasibleError as error:
        document.update(status="infeasible", diagnosis=error.diagnosis, result=None)
        settings.check_time("before storing the run")
        run = store_run(
            engine,
            plan.period,
            "infeasible",
            inputs_sha256,
            canonical_sha256(error.diagnosis),
            document,
        )
        raise InfeasibleError(
            f"plan {plan_path} cannot be satisfied (stored as run {run}):", error.diagnosis
        ) from None
    exact = result.to_dict()
    document.update(
        status="optimal",
        result=exact,
        summary=summarise(problem, result),
        explanation=explain(problem, result),
    )
    settings.check_time("before storing the run")
    run = store_run(
        engine, plan.period, "optimal", inputs_sha256, canonical_sha256(exact), document
    )
    return RunView.of(run, inputs_sha256, document)


def checked_run(stored: StoredRun) -> StoredRun:
    """``stored`` once its result (or diagnosis) hashes to its ``result_sha256``.

    The ledger holds the document's text to its record; only allocation knows which part of
    the document is the result, so the recheck is here, on every path that shows, compares
    or commits a run. Raises `VerificationError` (exit 4) when they differ.
    """
    name = "result" if stored.status == "optimal" else "diagnosis"
    if canonical_sha256(stored.document.get(name)) != stored.result_sha256:
        raise VerificationError(
            f"allocation run {stored.id}: its {name} does not hash to its result_sha256 "
            f"({stored.result_sha256[:12]}…): the stored run was changed"
        )
    return stored


def show_run(engine: Engine, run: str) -> RunView:
    """Stored run ``run`` (a number or ``latest``)."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return RunView.of_stored(checked_run(read_run(connection, run)))


def stored_runs(engine: Engine) -> list[RunView]:
    """Every stored run, oldest first."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return [RunView.of_stored(checked_run(stored)) for stored in list_runs(connection)]


@dataclass(frozen=True)
class GroupComparison:
    group: str
    first_cents: int
    second_cents: int

    @property
    def difference_cents(self) -> int:
        return self.second_cents - self.first_cents


def compare_runs(first: RunView, second: RunView) -> list[GroupComparison]:
    """Per group, side by side: what each run allocates (0 where a run has no request)."""
    one, two = first.group_totals, second.group_totals
    return [
        GroupComparison(group, one.get(group, 0), two.get(group, 0))
        for group in sorted(set(one) | set(two))
    ]


@dataclass(frozen=True)
class CommitReport:
    run: int
    transaction: int
    external_id: str
    date: datetime.date
    total_cents: int
    head_hash: str


def _default_date(period: str, today: datetime.date) -> datetime.date:
    year = int(period)
    if today.year == year:
        return today
    return datetime.date(year, 12, 31) if today.year > year else datetime.date(year, 1, 1)


def commit_run(
    engine: Engine,
    run: str,
    date: datetime.date | None = None,
    today: datetime.date | None = None,
    *,
    approving: int | None = None,
) -> CommitReport:
    """Post run ``run``'s allocation as one budget transaction, once (``approving``: as
    that proposal says; a network may reserve commits for two people).

    Refused when the run is infeasible, was committed before, or the ledger no longer gives
    the inputs the run was solved from (money received, allocated or committed since).
    """
    return post_drafts(
        engine,
        f"allocation run {run}",
        lambda unit: _commit(unit, run, date, today),
        action=Action(
            "allocation-commit",
            {"run": run, "date": date.isoformat() if date else None},
            approving=approving,
        ),
    ).outcome


def perform_commit(engine: Engine, arguments: Mapping[str, Any], approving: int) -> CommitReport:
    """Carry out an approved proposal to commit: the run and the date it was proposed with."""
    return commit_run(
        engine,
        str(arguments["run"]),
        date=datetime.date.fromisoformat(str(arguments["date"])),
        approving=approving,
    )


#: The allocation's actions a proposal can name; `netfund approve` joins them with the
#: ledger's own (the ledger does not import allocation).
PERFORMERS: dict[str, Performer] = {"allocation-commit": perform_commit}


def _commit(
    unit: UnitOfWork, run: str, date: datetime.date | None, today: datetime.date | None
) -> CommitReport:
    connection = unit.connection
    stored = checked_run(read_run(connection, run))
    if stored.status != "optimal":
        raise LedgerError(f"run {stored.id} is {stored.status}: there is nothing to commit")
    external_id = f"{ALLOCATION_COMMIT_PREFIX}{stored.id}"
    earlier = unit.position_of(external_id)
    if earlier is not None:
        raise LedgerError(f"run {stored.id} was committed already (transaction {earlier})")
    plan = _plan_from_document(stored.document)
    problem = build_problem(connection, unit.network_for(plan.period), plan)
    inputs_now = _inputs(plan, problem, stored.document["solver"])
    if canonical_sha256(inputs_now) != stored.inputs_sha256:
        raise LedgerError(
            f"the ledger changed since run {stored.id} was solved: "
            + _describe_changes(stored.document["inputs"]["problem"], problem.to_dict())
            + f". Run 'netfund allocate' again for period {plan.period}"
        )
    amounts = {
        (item["funder"], item["group"]): item["amount_cents"]
        for item in stored.document["result"]["allocations"]
    }
    require_valid_allocation(problem, amounts)
    when = date or _default_date(plan.period, today or datetime.date.today())
    if str(when.year) != plan.period:
        raise LedgerError(f"the commit date {when} is not in period {plan.period}")
    # The run and the date as performed: an approval performs this very commit again.
    unit.resolve(run=str(stored.id), date=when.isoformat())
    postings: list[Posting] = []
    for (funder, group), cents in sorted(amounts.items()):
        postings.append(Posting(UNALLOCATED, funder, None, cents))
        postings.append(Posting(allocated_account(group), funder, group, -cents))
    if not postings:
        raise LedgerError(f"run {stored.id} allocates nothing")
    transaction = unit.append(
        Draft(
            external_id=external_id,
            date=when,
            type="allocation",
            # The file's name, not its path: the permanent record does not depend on the folder
            # the plan happened to be in (the run stores the plan's bytes and their hash).
            description=f"Allocation run {stored.id} ({Path(plan.source).name})",
            reference=f"run {stored.id} inputs {stored.inputs_sha256[:12]}",
            postings=tuple(postings),
            source_hash=source_hash(external_id, stored.result_sha256),
        )
    )
    return CommitReport(
        run=stored.id,
        transaction=transaction.id,
        external_id=external_id,
        date=when,
        total_cents=sum(amounts.values()),
        head_hash=transaction.hash,
    )


def _describe_changes(before: dict[str, Any], now: dict[str, Any]) -> str:
    old = {funder["code"]: funder for funder in before["funders"]}
    changes = []
    for funder in now["funders"]:
        previous = old.get(funder["code"])
        if previous is None:
            changes.append(f"funder {funder['code']} is new")
            continue
        for key in ("available_cents", "already_allocated_cents"):
            if previous[key] != funder[key]:
                label = key.removesuffix("_cents").replace("_", " ")
                changes.append(
                    f"{funder['code']} {label} was {format_cents(previous[key])}, "
                    f"now {format_cents(funder[key])}"
                )
    return "; ".join(changes) or "the network or plan inputs differ"
