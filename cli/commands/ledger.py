"""Ledger commands: init, import, post, balance, verify, close, reverse."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import click
from netfund.cli.app import PERIOD, cli, date_option, engine_of
from netfund.cli.render import count_lines, emit_json, progress, show_table
from netfund.ledger import (
    DESCRIPTION_LENGTH_MAX,
    DIALECTS,
    DIMENSIONS,
    REFERENCE_LENGTH_MAX,
    FieldError,
    InputError,
    Posting,
    Problem,
    format_cents,
    format_grouped,
    parse_amount,
    parse_date,
    parse_dimensions,
    parse_id,
    parse_text,
    read_balances,
    redact,
)

if TYPE_CHECKING:
    from netfund.ledger import Anchor, ImportReport, TrailReport

# The writing and verifying functions load the importer, the appender and the checks, 0.13 s
# of CPU on the development machine: each command imports its own inside, so `balance` does
# not pay for them (issue 21).


@cli.command("init")
@click.argument("network_file", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def init_command(ctx: click.Context, network_file: Path | None, as_json: bool) -> None:
    """Create (or upgrade) the ledger and load NETWORK_FILE (network.toml).

    Loading the same network again changes nothing. To change it (names, caps, earmarks,
    schedules, new funders and groups), say from which year: `netfund network apply`.

    \b
    Examples:
      netfund init examples/saniveld/network.toml
      netfund --db saniveld.db init examples/saniveld/network.toml
    """
    from netfund.ledger import initialize, load_network

    network = load_network(network_file) if network_file is not None else None
    report = initialize(engine_of(ctx), network, str(network_file))
    url = redact(ctx.obj["url"])
    if as_json:
        emit_json(
            {
                "database": url,
                "schema_revision": report.revision_after,
                "schema_revision_before": report.revision_before,
                "funders_added": report.funders_added,
                "groups_added": report.groups_added,
            }
        )
        return
    click.echo(f"ledger ready at {url} (schema {report.revision_after})")
    if report.revision_before is not None and report.revision_before != report.revision_after:
        click.echo(f"upgraded from schema {report.revision_before} to {report.revision_after}")
    if network is not None:
        click.echo(
            f"network {network.name!r}: {len(network.funders)} funders, "
            f"{len(network.groups)} groups ({report.funders_added} funders and "
            f"{report.groups_added} groups added)"
        )
        click.echo("next: netfund import events.csv")


def _print_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "source": report.source,
                "read": report.read,
                "posted": report.posted,
                "skipped": report.skipped,
                "head": report.head_id,
                "fingerprint": report.head_hash,
                "seconds": round(report.seconds, 3),
            }
        )
        return
    rate = report.read / report.seconds if report.seconds > 0 else 0
    click.echo(
        f"{report.source}: {report.read} read, {report.posted} posted, "
        f"{report.skipped} already in the ledger, in {report.seconds:.2f} s "
        f"({rate:,.0f} per second)"
    )
    click.echo(f"ledger fingerprint: {report.head_hash} (transaction {report.head_id})")


@cli.command("import")
@click.argument("events_file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--journal",
    "journal_file",
    type=click.Path(path_type=Path),
    help="Import a raw double-entry journal.csv instead of events.",
)
@click.option(
    "--dialect",
    "dialect_name",
    type=click.Choice(list(DIALECTS)),
    default="standard",
    show_default=True,
    help="How the file is written: standard (UTF-8, ',', 1234.56, 2026-12-31) or nl "
    "(Dutch Excel: ';', 1.234,56, 31-12-2026, UTF-8 or Windows-1252).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context,
    events_file: Path | None,
    journal_file: Path | None,
    dialect_name: str,
    as_json: bool,
) -> None:
    """Import EVENTS_FILE (events.csv), or a journal with --journal; all or nothing.

    Rows whose id is already in the ledger with the same content are skipped, so an
    import can be repeated safely. Any bad row: every problem is listed with its line,
    nothing is written, exit code 2.

    \b
    Examples:
      netfund import examples/saniveld/events.csv
      netfund import --journal corrections.csv
    """
    if (events_file is None) == (journal_file is None):
        raise click.UsageError("give either EVENTS_FILE or --journal JOURNAL_FILE")
    from netfund.ledger import import_events, import_journal

    engine = engine_of(ctx)
    dialect = DIALECTS[dialect_name]
    if journal_file is not None:
        report = import_journal(engine, journal_file, dialect=dialect)
    else:
        assert events_file is not None
        total = count_lines(events_file) if sys.stderr.isatty() and events_file.is_file() else 0
        with progress(total, "import", quiet=as_json or total == 0) as bar:
            report = import_events(engine, events_file, on_progress=bar.reach, dialect=dialect)
    _print_import(report, as_json)


def _parse_line(text: str, number: int) -> Posting:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4:
        raise InputError(
            [Problem("--line", number, f"expected ACCOUNT,FUND,GROUP,AMOUNT, got {text!r}")]
        )
    account, fund, group, amount = parts
    try:
        cents = parse_amount(amount, signed=True)
    except FieldError as error:
        raise InputError([Problem("--line", number, str(error))]) from None
    return Posting(account, fund, group or None, cents)


@cli.command("post")
@click.argument("txn_id")
@click.option("--date", "date_text", required=True, help="Booking date, YYYY-MM-DD.")
@click.option("--description", "-d", required=True, help="What the transaction is.")
@click.option("--reference", default="", help="Document reference (invoice, decision).")
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    metavar="ACCOUNT,FUND,GROUP,AMOUNT",
    help="One posting; repeat for each. GROUP may be empty; AMOUNT signed, debit positive.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def post_command(
    ctx: click.Context,
    txn_id: str,
    date_text: str,
    description: str,
    reference: str,
    lines: tuple[str, ...],
    as_json: bool,
) -> None:
    """Post one balanced transaction TXN_ID made of --line postings.

    The lines are checked exactly like a journal.csv transaction.

    \b
    Example:
      netfund post FIX-001 --date 2026-03-31 -d "Reclassify bank fee" \\
        --line "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,12.50" \\
        --line "Assets:Bank,GEM-SANIVELD-WMO,,-12.50"
    """
    # Text to values here; the ledger checks the lines against the network as it posts them.
    try:
        external_id = parse_id(txn_id, "TXN_ID")
        date = parse_date(date_text)
        text = parse_text(description, "description", DESCRIPTION_LENGTH_MAX, multiline=True)
        ref = parse_text(reference, "reference", REFERENCE_LENGTH_MAX)
    except FieldError as error:
        raise InputError([Problem("post", None, str(error))]) from None
    postings = tuple(_parse_line(text_line, n) for n, text_line in enumerate(lines, start=1))
    from netfund.ledger import post_journal

    report = post_journal(
        engine_of(ctx), external_id, date, text, postings, ref, lines_source="--line"
    )
    _print_import(report, as_json)


@cli.command("balance")
@click.option(
    "--period", type=PERIOD, help="Only movements within this period (a year, e.g. 2026)."
)
@click.option(
    "--by",
    "by_text",
    default="account,fund",
    show_default=True,
    help=f"Comma list of dimensions to group by: {', '.join(DIMENSIONS)}.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of balances.")
@click.pass_context
def balance_command(ctx: click.Context, period: str | None, by_text: str, as_json: bool) -> None:
    """Show balances by account, fund and/or group (debit positive).

    Each fund's balances sum to zero, actual and budget accounts each on their own.

    \b
    Examples:
      netfund balance
      netfund balance --period 2026 --by fund,group --json
    """
    try:
        by = parse_dimensions(by_text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--by") from None
    # Without the account dimension a zero is the point (each fund sums to zero): show it.
    lines = read_balances(engine_of(ctx), period=period, by=by, include_zero="account" not in by)
    if as_json:
        emit_json(
            [
                {
                    "account": line.account,
                    "fund": line.fund,
                    "group": line.group,
                    "balance": format_cents(line.balance_cents),
                }
                for line in lines
            ]
        )
        return
    headers = [*by, "balance"]
    rows = [
        [*(getattr(line, name) or "" for name in by), format_grouped(line.balance_cents)]
        for line in lines
    ]
    if not rows:
        click.echo("no postings" + (f" in period {period}" if period else ""))
        return
    show_table(headers, rows, numeric={len(by)})


def _anchors_in(path: Path) -> tuple[list[Anchor], list[str]]:
    """The anchors FILE gives (a statement PDF's fingerprint, or a checkpoint file's lines),
    and ``file:line`` of each line of a checkpoint file that is not a checkpoint."""
    try:
        with path.open("rb") as file:
            is_pdf = file.read(5) == b"%PDF-"
    except OSError as error:
        raise InputError([Problem(str(path), None, f"cannot read it: {error.strerror}")]) from None
    if not is_pdf:
        from netfund.ledger import read_checkpoints

        recorded = read_checkpoints(path)
        return list(recorded.anchors), [f"{path}:{n}" for n in recorded.unreadable]
    from netfund.reports.statement.embedded import statement_anchor  # pyHanko: only here

    found = statement_anchor(path)
    return ([] if found is None else [found]), []


@cli.command("verify")
@click.option(
    "--anchor",
    "anchor_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also hold the chain to FILE: a copy of a checkpoint file or a statement PDF "
    "(its fingerprint). Repeat for more.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify_command(ctx: click.Context, anchor_files: tuple[Path, ...], as_json: bool) -> None:
    """Recompute both hash chains (transactions; network, runs and closes); exit 4 on the
    first mismatch.

    Both chains are then held to what was recorded outside them: the checkpoint file (see
    --checkpoints), every --anchor FILE and the exports log; and the database runs its own
    integrity check. A transaction or record they name that is gone or has another hash is
    exit 4. The audit trail is held too: every transaction in one write record of the actor
    it names, every export matching its record (netfund log shows the trail).

    \b
    Examples:
      netfund verify
      netfund verify --anchor backup/netfund.db.checkpoints --anchor statements/2026-ZONMW.nl.pdf
    """
    from netfund.ledger import verify

    anchors: list[Anchor] = []
    unreadable: list[str] = []
    for path in anchor_files:
        found, skipped = _anchors_in(path)
        anchors += found
        unreadable += skipped
    report = verify(engine_of(ctx), anchors=anchors)
    if report.checkpoints is not None and not report.checkpoints_found and report.transactions:
        click.echo(
            f"netfund: note: no checkpoint file at {report.checkpoints}: the chain was not "
            "held to one (the next write starts it)",
            err=True,
        )
    for where in [*report.unreadable, *unreadable]:
        click.echo(f"netfund: note: {where}: not a checkpoint line, left out", err=True)
    if as_json:
        emit_json(
            {
                "status": "ok",
                "transactions": report.transactions,
                "postings": report.postings,
                "fingerprint": report.head_hash,
                "records": report.records,
                "records_fingerprint": report.records_hash,
                "anchors": report.anchors,
                "checkpoints": report.checkpoints if report.checkpoints_found else None,
                "unreadable_checkpoint_lines": [*report.unreadable, *unreadable],
                "audit_trail": _trail_json(report.trail),
            }
        )
        return
    click.echo(
        f"ledger verified: {report.transactions} transactions, {report.postings} postings; "
        f"fingerprint {report.head_hash}"
    )
    click.echo(
        f"records verified: {report.records} (network versions, runs, closes, writes, exports, "
        f"bank statements, indicator imports, logins); fingerprint {report.records_hash}"
    )
    trail = report.trail
    if trail is not None and (trail.writes or trail.exports):
        covered = (
            f"transactions {trail.first_covered}-{report.transactions} each in one"
            if trail.first_covered is not None
            else "no transactions in"
        )
        before = (
            f"; {trail.unattributed} written before actors were recorded"
            if trail.unattributed
            else ""
        )
        click.echo(
            f"audit trail verified: {covered} of {trail.writes} write records, by the "
            f"actor it names{before}; {trail.exports} exports match their records"
        )
    if report.anchors:
        click.echo(f"held to {report.anchors} anchors recorded outside the chains")


def _trail_json(trail: TrailReport | None) -> dict[str, int | None] | None:
    if trail is None:
        return None
    return {
        "writes": trail.writes,
        "first_covered_transaction": trail.first_covered,
        "covered_transactions": trail.covered,
        "transactions_without_actor": trail.unattributed,
        "exports": trail.exports,
    }


def _reason(reason: str | None) -> str | None:
    """The --reason text as a record keeps it: one line, within the description's length."""
    if reason is None:
        return None
    try:
        return parse_text(reason, "--reason", DESCRIPTION_LENGTH_MAX)
    except FieldError as error:
        raise click.BadParameter(str(error), param_hint="--reason") from None


@cli.command("close")
@click.argument("period", type=PERIOD)
@click.option(
    "--force",
    is_flag=True,
    help="Close the period before its last day (its remaining days are locked too); "
    "needs --reason.",
)
@click.option("--reason", help="Why the period is closed early (kept in the close record).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def close_command(
    ctx: click.Context, period: str, force: bool, reason: str | None, as_json: bool
) -> None:
    """Close PERIOD (a year): settle unspent money per funder, then lock the period.

    A funder with unspent = "return" is owed what its fund still holds (pay it with
    `netfund pay refunds`, a SEPA file for the bank, booked when the bank's statement shows
    the debit); "carry_over" moves it into the next year as an opening contribution.
    Periods close in order, oldest first, and only once they have ended: --force --reason
    TEXT closes the current year before its last day. `netfund reopen` undoes a close.

    \b
    Examples:
      netfund close 2025
      netfund close 2026 --force --reason "the network ends on 1 December"
    """
    reason = _reason(reason)
    if reason is not None and not force:
        raise click.BadParameter("--reason goes with --force", param_hint="--reason")
    from netfund.ledger import close_period

    report = close_period(engine_of(ctx), period, force=force, reason=reason)
    if as_json:
        emit_json(
            {
                "period": report.period,
                "transactions": report.transactions,
                "fingerprint": report.head_hash,
                **_who_when_why(report),
                "settlements": [
                    {
                        "fund": s.fund,
                        "policy": s.policy,
                        "unspent": format_cents(s.unspent_cents),
                        "budget_lines_closed": s.budget_lines,
                    }
                    for s in report.settlements
                ],
            }
        )
        return
    rows = [
        [s.fund, s.policy or "-", format_grouped(s.unspent_cents), str(s.budget_lines)]
        for s in report.settlements
    ]
    click.echo(f"period {report.period} closed with {report.transactions} transactions")
    click.echo(_recorded("closed", report))
    show_table(["fund", "unspent policy", "unspent", "budget lines closed"], rows, {2, 3})


class _Recorded(Protocol):
    """A close's or reopen's report: who, when and why, as its record keeps them."""

    @property
    def by(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


def _who_when_why(report: _Recorded) -> dict[str, str | None]:
    """Who closed or reopened the period, when and why, as its record keeps them."""
    return {"by": report.by, "at": report.at, "reason": report.reason}


def _recorded(event: str, report: _Recorded) -> str:
    """The record's who, when and why in a line: ``recorded: closed by ... at ...``."""
    why = f": {report.reason}" if report.reason else ""
    return f"recorded: {event} by {report.by} at {report.at}{why}"


@cli.command("reopen")
@click.argument("period", type=PERIOD)
@click.option("--reason", help="Why the closed period is opened again (required, recorded).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reopen_command(ctx: click.Context, period: str, reason: str | None, as_json: bool) -> None:
    """Reopen PERIOD (a closed year): undo its newest close as a recorded event.

    The closing entries and the next year's carry-over openings are reversed by new
    transactions, the lock is lifted, and a reopen record keeps who, when and why; close
    the year again when it is complete. Refused while a later year is closed or when a
    refund has paid out money the close made owed.

    \b
    Example:
      netfund reopen 2026 --reason "late invoice of WG-WIJK-NOORD"
    """
    text = _reason(reason)
    if not text:
        raise click.BadParameter(
            "give --reason TEXT: why the period is reopened", param_hint="--reason"
        )
    from netfund.ledger import reopen_period

    report = reopen_period(engine_of(ctx), period, reason=text)
    if as_json:
        emit_json(
            {
                "period": report.period,
                "transactions": report.transactions,
                "reversed": list(report.reversed),
                "fingerprint": report.head_hash,
                **_who_when_why(report),
            }
        )
        return
    click.echo(
        f"period {report.period} reopened: {len(report.reversed)} closing entries and openings "
        f"reversed (transactions {report.head_id - report.transactions + 1}-{report.head_id})"
        if report.transactions
        else f"period {report.period} reopened (it had no closing entries)"
    )
    click.echo(_recorded("reopened", report))


@cli.command("reverse")
@click.argument("txn_id")
@click.option("--date", "date_text", help="Date of the reversal (default: the original's).")
@click.option("--description", "-d", help="Description (default: 'Reversal of TXN_ID').")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reverse_command(
    ctx: click.Context, txn_id: str, date_text: str | None, description: str | None, as_json: bool
) -> None:
    """Reverse transaction TXN_ID (its external id) with a new, opposite transaction.

    \b
    Example:
      netfund reverse 2026-E-03-WG-WIJK-NOORD --date 2026-04-02
    """
    date = date_option(date_text, "--date")
    if description is not None:
        try:
            description = parse_text(
                description, "--description", DESCRIPTION_LENGTH_MAX, multiline=True
            )
        except FieldError as error:
            raise click.BadParameter(str(error), param_hint="--description") from None
    from netfund.ledger import reverse

    report = reverse(engine_of(ctx), txn_id, date=date, description=description)
    if as_json:
        emit_json(
            {
                "reversed": report.original_external_id,
                "reversal": report.reversal_external_id,
                "transaction": report.reversal_id,
                "date": report.date.isoformat(),
                "fingerprint": report.head_hash,
            }
        )
        return
    click.echo(
        f"reversed {report.original_external_id!r} as {report.reversal_external_id!r} "
        f"(transaction {report.reversal_id}, dated {report.date.isoformat()})"
    )
