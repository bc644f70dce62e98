"""Export commands: export journal|trial-balance|beancount|hledger|xaf, and exports list.

Each parses its arguments, hands the ledger a request and a writer (`netfund.ledger.export_*`),
and prints what was written and recorded. Bad arguments exit 2 and leave no file behind.
The writers' modules (pyarrow, openpyxl, lxml) are imported inside the commands, so that the
other netfund commands do not load them at every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import reading, require_schema
from netfund.ledger.exports import (
    FORMATS,
    TRIAL_BALANCE_DIMENSIONS,
    XAF_VERSIONS,
    ExportRecord,
    ExportRequest,
    Writer,
    list_exports,
    run_export,
)

_OUT = click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The file to write (written to a temporary file first, renamed when complete).",
)
_PERIOD = click.option("--period", help="Only this period (a year, e.g. 2026).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the export record as JSON.")


def command_line(record: ExportRecord) -> str:
    """The command that writes the same export again (of the ledger as it is then)."""
    parts = ["netfund", "export", record.kind]
    if len(FORMATS[record.kind]) > 1:
        parts += ["--format", record.format]
    if record.period is not None:
        parts += ["--period", record.period]
    options = record.options
    if options.get("fund") is not None:
        parts += ["--fund", options["fund"]]
    if options.get("by") is not None:
        parts += ["--by", options["by"]]
    if options.get("xaf_version") is not None:
        parts += ["--xaf-version", options["xaf_version"]]
    parts += ["--out", record.path]
    return " ".join(parts)


def _record_json(record: ExportRecord) -> dict[str, Any]:
    return {
        "export": record.id,
        "created_at": record.created_at,
        "kind": record.kind,
        "format": record.format,
        "options": record.options,
        "period": record.period,
        "path": record.path,
        "rows": record.row_count,
        "last_txn_id": record.last_txn_id,
        "fingerprint": record.fingerprint,
        "file_sha256": record.file_sha256,
        "file_bytes": record.file_bytes,
        "command": command_line(record),
    }


def _run(ctx: click.Context, request: ExportRequest, writer: Writer, as_json: bool) -> None:
    record = run_export(engine_of(ctx), request, writer)
    if as_json:
        emit_json(_record_json(record))
        return
    what = "lines" if record.kind == "trial-balance" else "postings"
    scope = f"period {record.period}" if record.period else "all periods"
    click.echo(
        f"wrote {record.row_count} {what} to {request.out} ({record.kind}, {record.format}, "
        f"{scope}; {record.file_bytes} bytes, sha256 {record.file_sha256})"
    )
    click.echo(
        f"ledger fingerprint {record.fingerprint} (transaction {record.last_txn_id}); "
        f"recorded as export {record.id}"
    )


@cli.group("export")
def export_group() -> None:
    """Export the ledger for auditors' and controllers' tools.

    Every export is recorded with the ledger's fingerprint: netfund exports list.

    \b
    Examples:
      netfund export journal --format xlsx --period 2026 --out journal-2026.xlsx
      netfund export trial-balance --format csv --period 2026 --by fund --out tb.csv
      netfund export beancount --out ledger.beancount && bean-check ledger.beancount
      netfund export hledger --out ledger.journal && hledger -f ledger.journal bal
      netfund export xaf --period 2026 --out saniveld-2026.xaf
    """


@export_group.command("journal")
@click.option(
    "--format",
    "file_format",
    required=True,
    type=click.Choice(FORMATS["journal"]),
    help="csv (UTF-8, '.' decimal point), xlsx (euro number format) or parquet (decimal(18,2)).",
)
@_OUT
@_PERIOD
@click.option("--fund", help="Only the postings of this fund (a funder code, or NET).")
@_JSON
@click.pass_context
def journal_command(
    ctx: click.Context,
    file_format: str,
    out: Path,
    period: str | None,
    fund: str | None,
    as_json: bool,
) -> None:
    """One row per posting: txn_id, external_id, date, period, type, description,
    reference, account, fund, group, debit, credit, reversal_of, txn_hash.

    \b
    Example:
      netfund export journal --format parquet --out journal.parquet
    """
    from netfund.ledger.exports import JOURNAL_WRITERS

    request = ExportRequest("journal", file_format, out, period=period, fund=fund)
    _run(ctx, request, JOURNAL_WRITERS[file_format], as_json)


@export_group.command("trial-balance")
@click.option(
    "--format",
    "file_format",
    required=True,
    type=click.Choice(FORMATS["trial-balance"]),
    help="csv or xlsx.",
)
@_OUT
@_PERIOD
@click.option(
    "--by",
    type=click.Choice(TRIAL_BALANCE_DIMENSIONS),
    default="account",
    show_default=True,
    help="Rows per account, or per fund (or group) and account.",
)
@_JSON
@click.pass_context
def trial_balance_command(
    ctx: click.Context, file_format: str, out: Path, period: str | None, by: str, as_json: bool
) -> None:
    """Opening balance, debits, credits and closing balance per account.

    Opening is the balance before the period (0 without --period); closing = opening +
    debits - credits; amounts debit positive. With --by fund each fund's rows sum to zero.

    \b
    Example:
      netfund export trial-balance --format xlsx --period 2026 --by fund --out tb-2026.xlsx
    """
    from netfund.ledger.exports import trial_balance_writer

    request = ExportRequest("trial-balance", file_format, out, period=period, options={"by": by})
    _run(ctx, request, trial_balance_writer(file_format, by), as_json)


@export_group.command("beancount")
@_OUT
@_PERIOD
@_JSON
@click.pass_context
def beancount_command(ctx: click.Context, out: Path, period: str | None, as_json: bool) -> None:
    """A Beancount file with balance assertions per account and fund (check: bean-check).

    \b
    Example:
      netfund export beancount --out saniveld.beancount && bean-check saniveld.beancount
    """
    from netfund.ledger.exports import PLAINTEXT_WRITERS

    request = ExportRequest("beancount", "beancount", out, period=period)
    _run(ctx, request, PLAINTEXT_WRITERS["beancount"], as_json)


@export_group.command("hledger")
@_OUT
@_PERIOD
@_JSON
@click.pass_context
def hledger_command(ctx: click.Context, out: Path, period: str | None, as_json: bool) -> None:
    """An hledger journal with balance assertions per account and fund.

    \b
    Example:
      netfund export hledger --out saniveld.journal && hledger -f saniveld.journal bal
    """
    from netfund.ledger.exports import PLAINTEXT_WRITERS

    request = ExportRequest("hledger", "hledger", out, period=period)
    _run(ctx, request, PLAINTEXT_WRITERS["hledger"], as_json)


@export_group.command("xaf")
@_OUT
@_PERIOD
@click.option(
    "--xaf-version",
    type=click.Choice(XAF_VERSIONS),
    default="4.0",
    show_default=True,
    help="XML Auditfile Financieel version.",
)
@_JSON
@click.pass_context
def xaf_command(
    ctx: click.Context, out: Path, period: str | None, xaf_version: str, as_json: bool
) -> None:
    """The Dutch XML Auditfile Financieel (XAF) of the ledger or a period.

    Funders are customers/suppliers; each line carries its fund as project and its
    working group as cost centre.

    \b
    Example:
      netfund export xaf --period 2026 --out saniveld-2026.xaf
    """
    from netfund.ledger.exports import xaf_writer

    request = ExportRequest("xaf", "xaf", out, period=period, options={"xaf_version": xaf_version})
    _run(ctx, request, xaf_writer(xaf_version), as_json)


@cli.group("exports")
def exports_group() -> None:
    """The log of every export written.

    \b
    Example:
      netfund exports list --json
    """


@exports_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the exports as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the recorded exports with the ledger fingerprint each was taken at.

    \b
    Example:
      netfund exports list
    """
    engine = engine_of(ctx)
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        records = list_exports(connection)
    if as_json:
        emit_json([_record_json(record) for record in records])
        return
    if not records:
        click.echo("no exports yet: netfund export --help")
        return
    show_table(
        ["export", "created", "kind", "format", "period", "rows", "fingerprint", "file"],
        [
            [
                str(record.id),
                record.created_at,
                record.kind,
                record.format,
                record.period or "all",
                str(record.row_count),
                record.fingerprint[:12],
                record.path,
            ]
            for record in records
        ],
        numeric={0, 5},
    )
