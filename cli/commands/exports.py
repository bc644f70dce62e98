"""Export commands: one ``export KIND`` command per kind of the exports registry, and
``exports list``.

Each export command is made from its `ExportKind` (`netfund.ledger.exports.EXPORTS`): its
help, its ``--format`` choices and its options. It hands the ledger a request, and prints
what was written and recorded. Bad arguments exit 2 and leave no file behind. The writers'
modules (pyarrow, openpyxl, lxml) are imported only when an export runs, so that the other
netfund commands do not load them at every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from netfund.cli.app import PERIOD, cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger.exports import (
    EXPORTS,
    ExportKind,
    ExportRecord,
    ExportRequest,
    list_exports,
    run_export,
)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def command_line(record: ExportRecord) -> str:
    """The command that writes the same export again (of the ledger as it is then)."""
    kind = EXPORTS[record.kind]
    parts = ["netfund", "export", record.kind]
    if len(kind.formats) > 1:
        parts += ["--format", record.format]
    if record.period is not None:
        parts += ["--period", record.period]
    options = record.options
    for name in ("fund", *(option.name for option in kind.options)):
        if options.get(name) is not None:
            parts += [_flag(name), options[name]]
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


def _run(ctx: click.Context, request: ExportRequest, as_json: bool) -> None:
    record = run_export(engine_of(ctx), request)
    if as_json:
        emit_json(_record_json(record))
        return
    what = EXPORTS[record.kind].unit
    scope = f"period {record.period}" if record.period else "all periods"
    # The format is named only where the kind has several (journal csv or xlsx): "xaf, xaf"
    # says nothing twice.
    kind = record.kind if record.format == record.kind else f"{record.kind}, {record.format}"
    click.echo(
        f"wrote {record.row_count:,} {what} to {request.out} ({kind}, {scope}; "
        f"{record.file_bytes:,} bytes, sha256 {record.file_sha256})"
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
      netfund export audit-trail --format csv --period 2026 --out audit-trail-2026.csv
    """


def export_command(kind: ExportKind) -> click.Command:
    """The ``netfund export KIND`` command of ``kind``: [--format], --out, --period, [--fund],
    the kind's options, --json."""
    params: list[click.Parameter] = []
    if len(kind.formats) > 1:
        params.append(
            click.Option(
                ["--format", "file_format"],
                required=True,
                type=click.Choice(kind.formats),
                help=kind.format_help,
            )
        )
    params += [
        click.Option(
            ["--out"],
            required=True,
            type=click.Path(path_type=Path, dir_okay=False),
            help="The file to write (written to a temporary file first, renamed when complete).",
        ),
        click.Option(["--period"], type=PERIOD, help="Only this period (a year, e.g. 2026)."),
    ]
    if kind.by_fund:
        params.append(
            click.Option(["--fund"], help="Only the postings of this fund (a funder code, or NET).")
        )
    params += [
        click.Option(
            [_flag(option.name), option.name],
            type=click.Choice(option.choices),
            default=option.default,
            show_default=True,
            help=option.help,
        )
        for option in kind.options
    ]
    params.append(
        click.Option(["--json", "as_json"], is_flag=True, help="Print the export record as JSON.")
    )

    @click.pass_context
    def command(
        ctx: click.Context,
        out: Path,
        period: str | None,
        as_json: bool,
        file_format: str | None = None,
        fund: str | None = None,
        **options: str,
    ) -> None:
        request = ExportRequest(
            kind.name,
            file_format or kind.formats[0],
            out,
            period=period,
            fund=fund,
            options=options or None,
        )
        _run(ctx, request, as_json)

    return click.Command(kind.name, callback=command, params=params, help=kind.help)


for _kind in EXPORTS.values():
    export_group.add_command(export_command(_kind))


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
    records = list_exports(engine_of(ctx))
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
