"""`netfund demo`: the administrator's whole year on the Saniveld example, in one command.

It runs the same library calls as the individual commands, in the order an administrator
works: create the ledger and load the network, import the year's commitments and the
steering group's January decisions, allocate what is left with the plan and commit it,
import the year's spending, import the year's bank statement (the funders' payments become
receipts, the payments of the spending are linked to it, the bank's costs are booked by
bank-rules.toml) and reconcile the bank with the ledger, import the year's measurements of
the groups' indicators, write every funder's statement (each group's money beside its
indicators) and the auditors' exports, verify the chain. The spending comes before the bank: the
statement's payments are linked to the expenses spending.csv imported, not booked again.
Everything goes under one folder, so a new user can look at every file and remove it again.
The dates the demo chooses (the commit date, the statements' as-of date) are fixed, so two
runs give the same ledger fingerprint and the same statements, byte for byte.
"""

from __future__ import annotations

import datetime
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import click
from netfund.cli.app import cli, engine_at
from netfund.cli.render import emit_json, progress, show_lines, show_table
from netfund.ledger import (
    InputError,
    Problem,
    format_cents,
    format_grouped,
    format_iban,
    load_network,
    parse_cents,
)

EXAMPLE = "saniveld"
#: The year's bank statement the demo imports (camt.053.001.08), and the same year as MT940,
#: copied for a user to try `netfund bank import` with on a ledger of their own.
BANK_FILE = "bank/2026.camt053.xml"
MT940_FILE = "bank/2026.mt940"
RULES_FILE = "bank-rules.toml"
#: A year of measurements of the indicators network.toml declares.
INDICATORS_FILE = "indicators.csv"
INPUTS = (
    "network.toml",
    "events.csv",
    "plan.toml",
    "spending.csv",
    RULES_FILE,
    BANK_FILE,
    MT940_FILE,
    INDICATORS_FILE,
)
PERIOD = "2026"
#: The steering group commits the plan's allocation the week after its January decisions.
COMMIT_DATE = datetime.date(2026, 1, 20)
#: The statements cover the whole year.
AS_OF = datetime.date(2026, 12, 31)
#: Left in a demo folder so a later run knows it may replace what an earlier run wrote.
MARKER = ".netfund-demo"
#: What a demo writes; nothing else in the folder is ever removed.
OUTPUTS = (
    "netfund.db",
    "netfund.db-wal",
    "netfund.db-shm",
    "netfund.db.checkpoints",
    "inputs",
    "statements",
    "exports",
)


@dataclass(frozen=True)
class Step:
    """One step of the demo as it ran: what, the result in a few words, and its wall time."""

    name: str
    result: str
    seconds: float


def prepare_folder(folder: Path) -> None:
    """Make ``folder`` ready: new, empty, or an earlier demo's (whose outputs are replaced).

    A folder holding anything else is refused (exit 2) rather than written into, so the
    demo never mixes its files with a user's or deletes them.
    """
    if folder.exists() and not folder.is_dir():
        raise InputError([Problem(str(folder), None, "is a file; the demo needs a folder")])
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    "is not empty and was not made by netfund demo; "
                    "give a new or empty folder: netfund demo DIR",
                )
            ]
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (folder / MARKER).write_text(
        "Written by `netfund demo`; running it again replaces netfund.db, inputs/, "
        "statements/ and exports/ here.\n",
        encoding="utf-8",
    )


def copy_inputs(target: Path) -> dict[str, Path]:
    """Copy the packaged example's input files to ``target`` (the user may read and edit them)."""
    target.mkdir()
    copied = {}
    for name in INPUTS:
        (target / name).parent.mkdir(exist_ok=True)
        with as_file(files("netfund.examples").joinpath(EXAMPLE, *name.split("/"))) as source:
            copied[name] = Path(shutil.copyfile(source, target / name))
    return copied


@cli.command("demo")
@click.argument(
    "folder",
    required=False,
    default="netfund-demo",
    type=click.Path(path_type=Path, file_okay=False),
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def demo_command(ctx: click.Context, folder: Path, as_json: bool) -> None:
    """Run a whole year of the example network Saniveld into FOLDER (default ./netfund-demo).

    Creates the ledger FOLDER/netfund.db (SQLite; --db, NETFUND_DB and --checkpoints are not
    used; its checkpoint file is FOLDER/netfund.db.checkpoints), loads
    the network, imports the year's commitments and January allocations, allocates the rest
    with the plan and commits it, imports the year's spending, imports the year's bank
    statement with bank-rules.toml (the funders' payments become receipts, the payments of
    the spending are linked to it) and reconciles the bank with the ledger, imports the
    year's measurements of the groups' indicators (indicators.csv), writes every
    funder's 2026 statement (FOLDER/statements/) and the exports (FOLDER/exports/), and
    verifies the hash chain. The input files are copied to FOLDER/inputs/. Running it again
    on the same FOLDER replaces what the earlier run wrote; a folder with other files in it
    is refused.

    \b
    Examples:
      netfund demo
      netfund demo ~/saniveld-demo --json
      netfund --db netfund-demo/netfund.db status
    """
    started = time.perf_counter()
    prepare_folder(folder)
    inputs = copy_inputs(folder / "inputs")
    url = f"sqlite:///{folder / 'netfund.db'}"
    engine = engine_at(ctx, url, str(folder / "netfund.db.checkpoints"))
    steps: list[Step] = []
    outputs: dict[str, Any] = {}
    with progress(len(_STEPS), "demo", quiet=as_json) as bar:
        for name, work in _STEPS:
            began = time.perf_counter()
            result = work(engine, folder, inputs, outputs)
            steps.append(Step(name, result, time.perf_counter() - began))
            bar.advance(1)
    total = time.perf_counter() - started
    if as_json:
        emit_json(_summary_json(folder, steps, outputs, total))
        return
    _print_summary(folder, steps, outputs, total)


# --- the steps: each takes (engine, folder, inputs, outputs) and returns its result line ---


def _init(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger import initialize

    network = load_network(inputs["network.toml"])
    report = initialize(engine, network)
    outputs["network"] = network.name
    return f"{report.funders_added} funders, {report.groups_added} groups"


def _import(name: str) -> Callable[..., str]:
    def work(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
        from netfund.ledger import import_events

        report = import_events(engine, inputs[name])
        return f"{report.posted} events"

    return work


def _allocate(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.allocation.service import run_plan
    from netfund.allocation.solver import SolverSettings

    view = run_plan(engine, inputs["plan.toml"], SolverSettings())
    outputs["run"] = view.run
    allocated = format_grouped(parse_cents(view.allocated or "0"))
    return f"run {view.run}: EUR {allocated} over {len(view.groups)} groups"


def _commit(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.allocation.service import commit_run

    report = commit_run(engine, str(outputs["run"]), date=COMMIT_DATE)
    return f"transaction {report.transaction}, dated {report.date.isoformat()}"


@dataclass(frozen=True)
class BankSummary:
    """The bank step's outcome: what the import did and how the bank and the ledger stand."""

    file: str
    statements: int
    lines: int
    booked: int
    linked: int
    unmatched: int
    reconciliation: Any  # netfund.ledger.Reconciliation


def _bank(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger import import_bank_statements, reconcile

    report = import_bank_statements(engine, inputs[BANK_FILE], rules_path=inputs[RULES_FILE])
    counts = {
        status: sum(result.count(status) for result in report.statements)
        for status in ("booked", "linked", "unmatched")
    }
    summary = BankSummary(
        file=BANK_FILE,
        statements=len(report.statements),
        lines=sum(result.added for result in report.statements),
        reconciliation=reconcile(engine, AS_OF),
        **counts,
    )
    outputs["bank"] = summary
    return (
        f"{summary.statements} statements, {summary.lines} lines: {summary.booked} booked, "
        f"{summary.linked} linked, {summary.unmatched} unmatched"
    )


def _indicators(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger import import_indicators
    from netfund.reports.indicators import load_indicators_view

    report = import_indicators(engine, inputs[INDICATORS_FILE])
    view = load_indicators_view(engine, PERIOD, AS_OF)
    outputs["indicators"] = view
    groups = len(view.groups) if view is not None else 0
    moved = len(view.moved) if view is not None else 0
    return (
        f"{report.added} measurements of {len(report.indicators)} indicators for {groups} "
        f"groups: {moved} moved away from their reference point"
    )


def _statements(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.reports.statements import prepare_statements, write_statements

    prepared = prepare_statements(engine, PERIOD, as_of=AS_OF)
    report = write_statements(prepared, folder / "statements", jobs=0)
    outputs["statements"] = [str(item.path) for item in report.statements]
    return f"{len(report.statements)} PDFs, as of {AS_OF.isoformat()}"


#: What the demo exports of each kind in the registry: (file stem, format, period, options).
#: Every kind is written; a kind missing here stops the demo, so a new one is not forgotten.
DEMO_EXPORTS: dict[str, tuple[tuple[str, str, str | None, dict[str, str]], ...]] = {
    "journal": (
        (f"journal-{PERIOD}", "csv", PERIOD, {}),
        (f"journal-{PERIOD}", "xlsx", PERIOD, {}),
    ),
    "trial-balance": ((f"trial-balance-{PERIOD}", "csv", PERIOD, {"by": "fund"}),),
    "beancount": (("ledger", "beancount", None, {}),),
    "hledger": (("ledger", "hledger", None, {}),),
    "xaf": ((f"auditfile-{PERIOD}", "xaf", PERIOD, {"xaf_version": "4.0"}),),
    # Last: the trail then names every export above, with who wrote it and when.
    "audit-trail": ((f"audit-trail-{PERIOD}", "xlsx", PERIOD, {}),),
}


def _exports(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger.exports import EXPORTS, ExportRequest, run_export

    out = folder / "exports"
    out.mkdir()
    written = []
    for kind in EXPORTS.values():
        for stem, file_format, period, options in DEMO_EXPORTS[kind.name]:
            path = out / f"{stem}{kind.suffixes[file_format]}"
            run_export(
                engine,
                ExportRequest(kind.name, file_format, path, period, options=options or None),
            )
            written.append(str(path))
    outputs["exports"] = written
    return f"{len(written)} files"


#: The demo's portal logins share one password: they guard a made-up network's made-up
#: money, and the demo prints it. A real network's users choose their own (netfund user add).
DEMO_PASSWORD = "saniveld-demo-2026"
#: The administrator's and the controller's demo logins.
DEMO_STAFF = (("beheerder", "administrator"), ("controller", "controller"))
#: Where `netfund serve` listens by default.
PORTAL_URL = "http://127.0.0.1:8000/"


def demo_logins(network: Any) -> list[tuple[str, str, str | None]]:
    """(name, role, funder) of every demo login: the staff, and one per funder named after
    its code in lower case."""
    return [(name, role, None) for name, role in DEMO_STAFF] + [
        (funder.code.lower(), "funder", funder.code) for funder in network.funders
    ]


def _logins(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger import add_user

    logins = demo_logins(load_network(inputs["network.toml"]))
    for name, role, funder in logins:
        add_user(engine, name, role, funder, DEMO_PASSWORD)
    outputs["logins"] = logins
    return f"{len(logins)} portal logins"


def _verify(engine: Any, folder: Path, inputs: dict[str, Path], outputs: dict[str, Any]) -> str:
    from netfund.ledger import verify
    from netfund.reports.status import load_status

    report = verify(engine)
    outputs["fingerprint"] = report.head_hash
    outputs["transactions"] = report.transactions
    outputs["status"] = load_status(engine, PERIOD, AS_OF)
    return f"{report.transactions} transactions, {report.postings} postings: ok"


_STEPS: tuple[tuple[str, Callable[..., str]], ...] = (
    ("create the ledger, load the network", _init),
    ("import the commitments and decisions (events.csv)", _import("events.csv")),
    ("allocate what is left (plan.toml)", _allocate),
    ("commit the allocation", _commit),
    ("import the year's spending (spending.csv)", _import("spending.csv")),
    (f"import the year's bank statement ({BANK_FILE})", _bank),
    (f"import the year's indicators ({INDICATORS_FILE})", _indicators),
    ("write every funder's statement", _statements),
    ("write the exports", _exports),
    ("create the portal's demo logins", _logins),
    ("verify the hash chain", _verify),
)


def _print_summary(folder: Path, steps: list[Step], outputs: dict[str, Any], total: float) -> None:
    status = outputs["status"]
    click.echo(f"netfund demo: {outputs['network']}, period {PERIOD}, in {folder}/ ({total:.1f} s)")
    click.echo("")
    show_table(
        ["step", "result", "time"],
        [[s.name, s.result, f"{s.seconds:.2f} s"] for s in steps],
        numeric={2},
    )
    click.echo("")
    t = status.total.money
    click.echo(
        f"committed EUR {format_grouped(t.committed_cents)}, received "
        f"EUR {format_grouped(t.received_cents)}, allocated "
        f"EUR {format_grouped(t.allocated_cents)}, spent EUR {format_grouped(t.spent_cents)}"
    )
    click.echo(
        f"ledger fingerprint {outputs['fingerprint']} "
        f"(transaction {outputs['transactions']}; netfund verify recomputes it)"
    )
    click.echo("")
    show_lines(bank_lines(outputs["bank"]), title="the bank:")
    click.echo("")
    show_lines(
        indicator_lines(outputs["indicators"]),
        title="indicators that moved away from their reference point (netfund indicators):",
    )
    click.echo("")
    click.echo("files:")
    click.echo(f"  ledger      {folder / 'netfund.db'}")
    click.echo(f"  inputs      {folder / 'inputs'}/ ({', '.join(INPUTS)})")
    click.echo(
        f"  statements  {folder / 'statements'}/ "
        f"({len(outputs['statements'])} PDFs, one per funder)"
    )
    for path in outputs["exports"]:
        click.echo(f"  export      {path}")
    click.echo("")
    if status.warnings:
        show_lines(
            [w.message for w in status.warnings], title=f"{len(status.warnings)} warning(s):"
        )
        click.echo("")
    show_lines(next_steps(folder, outputs["statements"][0]), title="next:", style="cyan")
    click.echo("")
    show_lines(portal_lines(folder, outputs["logins"]), title="the portal:", style="cyan")


def bank_lines(bank: BankSummary) -> list[str]:
    """The bank step in words: each account's balance by the statement, the ledger's, the
    difference, and what became of the statement's lines."""
    found = bank.reconciliation
    day = found.as_of.isoformat()
    verdict = "reconciled" if found.reconciled else "NOT reconciled: netfund bank reconcile"
    return [
        *(
            f"{format_iban(account.iban)} ({account.name}): EUR "
            f"{format_grouped(account.balance_cents)} on {day} by its statement"
            for account in found.accounts
        ),
        f"ledger (Assets:Bank): EUR {format_grouped(found.ledger_cents)}; difference EUR "
        f"{format_grouped(found.difference_cents)}: {verdict}",
        f"{bank.lines} lines of {bank.statements} statements: {bank.booked} booked (the "
        f"funders' payments, the bank's costs by {RULES_FILE}), {bank.linked} linked to the "
        f"spending imported before, {bank.unmatched} unmatched",
    ]


def serve_line(folder: Path) -> str:
    """The command that starts the portal on the demo's ledger."""
    return f"{_program()} --db {shlex.quote(str(folder / 'netfund.db'))} serve"


def portal_lines(folder: Path, logins: list[tuple[str, str, str | None]]) -> list[str]:
    """How to start the portal on the demo's ledger and whom to sign in as."""
    funders = [name for name, role, _ in logins if role == "funder"]
    return [
        serve_line(folder),
        f"then open {PORTAL_URL} and sign in as a funder ({', '.join(funders)}), as "
        f"controller or as beheerder (administrator); password: {DEMO_PASSWORD}",
    ]


def next_steps(folder: Path, statement: str) -> list[str]:
    """What to run next, each line pasteable into the user's shell as it stands: the
    dashboard, the balances, a statement checked against the ledger and opened to read."""
    netfund = _program()
    database = shlex.quote(str(folder / "netfund.db"))
    return [
        f"{netfund} --db {database} status",
        f"{netfund} --db {database} balance --by account",
        f"{netfund} --db {database} bank reconcile",
        f"{netfund} --db {database} indicators",
        f"{netfund} --db {database} verify-statement {shlex.quote(statement)}",
        viewer_line(shlex.quote(statement)),
    ]


def viewer_line(
    pdf: str, platform: str = sys.platform, which: Callable[[str], str | None] | None = None
) -> str:
    """How to open the PDF ``pdf`` here: macOS's ``open``, Windows' ``start``, the desktop's
    ``xdg-open`` elsewhere; without one (a server), the file to copy to a PDF viewer."""
    found = which or shutil.which
    if platform == "darwin":
        return f"open {pdf}"
    if platform == "win32":
        return f'start "" {pdf}'
    if found("xdg-open"):
        return f"xdg-open {pdf}"
    return f"{pdf} is a PDF: open it in a PDF viewer"


def _program() -> str:
    """How the user called netfund (``.venv-run/bin/netfund``, say), so the next commands
    shown can be pasted as they are; ``netfund`` when run another way."""
    called = sys.argv[0] if sys.argv else ""
    return called if Path(called).name == "netfund" and " " not in called else "netfund"


def indicator_lines(view: Any) -> list[str]:
    """What moved away from its reference point, in words, with the group's spending: what
    the steering group would look at first (`netfund indicators` has it all)."""
    from netfund.reports.indicator_words import reference_words

    return [
        f"{group.group}: {outcome.indicator.name('en')}: {reference_words(outcome, 'en')} "
        f"(spent EUR {format_grouped(group.spent_cents)})"
        for group, outcome in view.moved
    ]


def bank_json(bank: BankSummary) -> dict[str, Any]:
    """The bank step for --json: money as `status --json` writes it (plain decimals)."""
    found = bank.reconciliation
    return {
        "file": bank.file,
        "statements": bank.statements,
        "lines": bank.lines,
        "booked": bank.booked,
        "linked": bank.linked,
        "unmatched": bank.unmatched,
        "as_of": found.as_of.isoformat(),
        "accounts": [
            {
                "iban": account.iban,
                "name": account.name,
                "balance": format_cents(account.balance_cents),
            }
            for account in found.accounts
        ],
        "bank_balance": format_cents(found.bank_cents),
        "ledger_balance": format_cents(found.ledger_cents),
        "difference": format_cents(found.difference_cents),
        "reconciled": found.reconciled,
    }


def _summary_json(
    folder: Path, steps: list[Step], outputs: dict[str, Any], total: float
) -> dict[str, Any]:
    from netfund.reports.indicator_words import reference_words

    status = outputs["status"]
    return {
        "folder": str(folder),
        "ledger": str(folder / "netfund.db"),
        "period": PERIOD,
        "seconds": round(total, 3),
        "steps": [
            {"step": s.name, "result": s.result, "seconds": round(s.seconds, 3)} for s in steps
        ],
        "inputs": [str(folder / "inputs" / name) for name in INPUTS],
        "statements": outputs["statements"],
        "exports": outputs["exports"],
        "transactions": outputs["transactions"],
        "fingerprint": outputs["fingerprint"],
        "bank": bank_json(outputs["bank"]),
        "indicators": {
            "file": INDICATORS_FILE,
            "moved_away": [
                {
                    "group": group.group,
                    "indicator": outcome.indicator.code,
                    "words": reference_words(outcome, "en"),
                }
                for group, outcome in outputs["indicators"].moved
            ],
        },
        "next": next_steps(folder, outputs["statements"][0]),
        "portal": {
            "start": serve_line(folder),
            "url": PORTAL_URL,
            "logins": [
                {"name": name, "role": role, "funder": funder}
                for name, role, funder in outputs["logins"]
            ],
            "password": DEMO_PASSWORD,
        },
        "warnings": [
            {"kind": w.kind, "subject": w.subject, "message": w.message} for w in status.warnings
        ],
    }
