"""Allocation commands: allocate (solve, explain, commit) and allocations (list, show, compare)."""

from __future__ import annotations

import csv
import time
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from netfund.cli.app import cli, date_option, engine_of
from netfund.cli.render import amount, emit_json, number, show_table
from netfund.ledger import format_cents, format_grouped
from netfund.ledger.exports import AtomicFile

# The allocation modules are imported inside the commands (PuLP is slow to import); the view
# of a run is only named for the type checker here.
if TYPE_CHECKING:
    from netfund.allocation.run_view import RunView

#: The solvers `--solver` offers: allocation.solver.SOLVER_NAMES, written out so that other
#: commands do not import PuLP at start-up (a test checks the two agree).
SOLVERS = ("highs", "cbc")


def _percent(share: str | None) -> str:
    return "-" if share is None else f"{Decimal(share) * 100:.2f}%"


def _allocations(view: RunView) -> list[dict[str, str]]:
    return [
        {
            "funder": item.funder,
            "group": item.group,
            "amount": format_cents(item.amount_cents),
        }
        for item in view.allocations
    ]


def _run_json(view: RunView) -> dict[str, Any]:
    return {
        "run": view.run,
        "status": view.status,
        "period": view.period,
        "objective": view.priority_value,
        "objective_kind": view.objective,
        "fill_ratio_min": view.fill_ratio_min,
        "allocations": _allocations(view),
        "overhead_share": view.overhead_share,
        "overhead_cap": view.overhead_cap,
        "groups": [asdict(group) for group in view.groups],
        "funders": [asdict(funder) for funder in view.funders],
        "inputs_sha256": view.inputs_sha256,
        "diagnosis": list(view.diagnosis),
        "explanation": list(view.explanation),
    }


def _print_run(view: RunView, explain: bool) -> None:
    click.echo(
        f"run {view.run}: {view.status}, period {view.period}, basis {view.basis}, "
        f"objective {view.objective}"
    )
    if not view.optimal:
        for line in view.diagnosis:
            click.echo(f"  {line}")
        return
    click.echo(f"priority value {number(view.priority_value)}")
    click.echo("")
    show_table(
        ["group", "overhead", "min", "max", "allocated", "fill"],
        [
            [
                g.group,
                "yes" if g.overhead else "",
                amount(g.min),
                amount(g.max),
                amount(g.allocated),
                _percent(g.fill),
            ]
            for g in view.groups
        ],
        numeric={2, 3, 4, 5},
    )
    click.echo("")
    show_table(
        ["funder", "available", "allocated", "left", "overhead share", "own cap"],
        [
            [
                f.funder,
                amount(f.available),
                amount(f.allocated),
                amount(f.left),
                _percent(f.overhead_share),
                _percent(f.overhead_cap),
            ]
            for f in view.funders
        ],
        numeric={1, 2, 3, 4, 5},
    )
    click.echo("")
    click.echo(
        f"allocated now {amount(view.allocated)}, in the period "
        f"{amount(view.period_allocated)}; "
        f"overhead share {_percent(view.overhead_share)} against a cap of "
        f"{_percent(view.overhead_cap)}"
    )
    if explain:
        click.echo("")
        click.echo("why:")
        for line in view.explanation:
            click.echo(f"  - {line}")


def _write_out(path: Path, view: RunView) -> None:
    # As every export: complete or not at all, owner-only (0600) whatever the umask.
    with AtomicFile(path) as output:
        with output.temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["funder", "group", "amount"])
            for item in _allocations(view):
                writer.writerow([item["funder"], item["group"], item["amount"]])
        output.publish()


@cli.command("allocate")
@click.argument("plan_file", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), help="Write funder,group,amount CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option(
    "--solver",
    type=click.Choice(SOLVERS),
    default="highs",
    show_default=True,
    help="HiGHS in-process, or CBC (needs a cbc executable).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(0.1, 3600),
    default=60,
    show_default=True,
    help="Seconds for the whole run (reading the plan, every LP stage, rounding); "
    "when they run out it stops with exit 1 and stores nothing.",
)
@click.option("--explain", is_flag=True, help="List binding constraints and shadow prices.")
@click.option(
    "--commit",
    "commit_run_id",
    metavar="RUN",
    help="Commit stored run RUN (a number or 'latest') to the ledger instead.",
)
@click.option(
    "--date",
    "date_text",
    help="With --commit: the booking date (default: today, "
    "or the period's last day once it is past).",
)
@click.pass_context
def allocate_command(
    ctx: click.Context,
    plan_file: Path | None,
    out: Path | None,
    as_json: bool,
    solver: str,
    time_limit: float,
    explain: bool,
    commit_run_id: str | None,
    date_text: str | None,
) -> None:
    """Allocate the money left in a period over the working groups of PLAN_FILE.

    Each funder's available money comes from the ledger (the plan's basis, committed or
    received, minus what is already allocated in the period). The run is stored; commit it
    with --commit RUN. An infeasible plan exits 3 with a diagnosis.

    \b
    Examples:
      netfund allocate examples/saniveld/plan.toml --explain
      netfund allocate examples/saniveld/plan.toml --out alloc.csv --json
      netfund allocate --commit latest
    """
    # The limit holds for the whole command, not each LP solve: the time the allocation
    # modules take to import (PuLP, HiGHS: about a second) is spent from it too.
    importing = time.monotonic()
    from netfund.allocation.deadline import Deadline

    deadline = Deadline.start(time_limit, spent=time.monotonic() - importing)
    from netfund.allocation.errors import InfeasibleError
    from netfund.allocation.service import commit_run, run_plan, show_run
    from netfund.allocation.solver import SolverSettings

    engine = engine_of(ctx)
    if commit_run_id is not None:
        if plan_file is not None:
            raise click.UsageError("give either PLAN_FILE or --commit RUN, not both")
        report = commit_run(engine, commit_run_id, date=date_option(date_text, "--date"))
        if as_json:
            emit_json(
                {
                    "run": report.run,
                    "transaction": report.transaction,
                    "external_id": report.external_id,
                    "date": report.date.isoformat(),
                    "total": format_cents(report.total_cents),
                    "fingerprint": report.head_hash,
                }
            )
            return
        click.echo(
            f"run {report.run} committed as transaction {report.transaction} "
            f"({report.external_id}, {report.date.isoformat()}): "
            f"{format_grouped(report.total_cents)} allocated"
        )
        return
    if plan_file is None:
        raise click.UsageError("give PLAN_FILE to allocate, or --commit RUN")
    settings = SolverSettings(
        name=solver,  # type: ignore[arg-type]
        time_limit_seconds=time_limit,
        deadline=deadline,
    )
    try:
        view = run_plan(engine, plan_file, settings)
    except InfeasibleError:
        if as_json:
            emit_json(_run_json(show_run(engine, "latest")))
        raise
    if out is not None:
        _write_out(out, view)
    if as_json:
        emit_json(_run_json(view))
        return
    _print_run(view, explain)
    if out is not None:
        click.echo(f"wrote {out}")
    click.echo(f"next: netfund allocate --commit {view.run}")


@cli.group("allocations")
def allocations_group() -> None:
    """Stored allocation runs: list, show and compare them.

    \b
    Examples:
      netfund allocations list
      netfund allocations show 2 --explain
      netfund allocations compare 1 2
    """


@allocations_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the stored runs.

    \b
    Example:
      netfund allocations list --json
    """
    from netfund.allocation.service import stored_runs

    rows = [
        {
            "run": view.run,
            "period": view.period,
            "status": view.status,
            "objective": view.objective,
            "allocated": view.allocated,
            "plan": view.plan_source,
            "inputs_sha256": view.inputs_sha256,
        }
        for view in stored_runs(engine_of(ctx))
    ]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no allocation runs yet: netfund allocate plan.toml")
        return
    show_table(
        ["run", "period", "status", "objective", "allocated", "inputs", "plan"],
        [
            [
                str(r["run"]),
                r["period"],
                r["status"],
                r["objective"],
                amount(r["allocated"]),
                r["inputs_sha256"][:12],
                r["plan"],
            ]
            for r in rows
        ],
        numeric={0, 4},
    )


@allocations_group.command("show")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--explain", is_flag=True, help="List binding constraints and shadow prices.")
@click.pass_context
def show_command(ctx: click.Context, run: str, as_json: bool, explain: bool) -> None:
    """Show stored run RUN (a number or 'latest').

    \b
    Example:
      netfund allocations show latest
    """
    from netfund.allocation.service import show_run

    view = show_run(engine_of(ctx), run)
    if as_json:
        emit_json(_run_json(view))
        return
    _print_run(view, explain)


@allocations_group.command("compare")
@click.argument("first")
@click.argument("second")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare_command(ctx: click.Context, first: str, second: str, as_json: bool) -> None:
    """Compare two runs per group, side by side, with the differences.

    \b
    Example:
      netfund allocations compare 1 2
    """
    from netfund.allocation.service import compare_runs, show_run

    engine = engine_of(ctx)
    one, two = show_run(engine, first), show_run(engine, second)
    rows = compare_runs(one, two)
    if as_json:
        emit_json(
            {
                "first": one.run,
                "second": two.run,
                "groups": [
                    {
                        "group": r.group,
                        "first": format_cents(r.first_cents),
                        "second": format_cents(r.second_cents),
                        "difference": format_cents(r.difference_cents),
                    }
                    for r in rows
                ],
            }
        )
        return
    show_table(
        ["group", f"run {one.run}", f"run {two.run}", "difference"],
        [
            [
                r.group,
                format_grouped(r.first_cents),
                format_grouped(r.second_cents),
                format_grouped(r.difference_cents),
            ]
            for r in rows
        ],
        numeric={1, 2, 3},
    )
    total_one = sum(r.first_cents for r in rows)
    total_two = sum(r.second_cents for r in rows)
    click.echo(
        f"total: {format_grouped(total_one)} vs {format_grouped(total_two)} "
        f"({format_grouped(total_two - total_one)})"
    )
