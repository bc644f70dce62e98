"""Indicator commands: what the groups agreed to watch beside the money (issue 20).

The `indicators` group takes the options of its diagnostic view (``--period``, ``--as-of``,
``--json``); `import` reads indicators.csv into the ledger (`ledger/indicators/`): these parse
arguments, call it and print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from netfund.cli.app import PERIOD, cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import DIALECTS, IndicatorImportReport, import_indicators


@cli.group("indicators", invoke_without_command=True)
@click.option("--period", type=PERIOD, help="The period (a year) to look at.")
@click.option("--as-of", "as_of", metavar="DATE", help="Measurements and money up to this date.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def indicators_group(
    ctx: click.Context, period: str | None, as_of: str | None, as_json: bool
) -> None:
    """The indicators each group agreed to, beside the money; their measurements in.

    Indicators are declared in network.toml ([[indicators]]: what is measured, which way is
    better, the reference point per period); `indicators import` reads what was measured
    from indicators.csv (indicator,group,date,value,source).

    \b
    Examples:
      netfund indicators import examples/saniveld/indicators.csv
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@indicators_group.command("import")
@click.argument("indicators_file", type=click.Path(path_type=Path))
@click.option(
    "--dialect",
    "dialect_name",
    type=click.Choice(list(DIALECTS)),
    default="standard",
    show_default=True,
    help="How the file is written: standard (UTF-8, ',', 12.5, 2026-12-31) or nl "
    "(Dutch Excel: ';', 12,5, 31-12-2026, UTF-8 or Windows-1252).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context, indicators_file: Path, dialect_name: str, as_json: bool
) -> None:
    """Import the measurements in INDICATORS_FILE (indicators.csv); all or nothing.

    Each row is one measurement: indicator,group,date,value,source. The indicator must be
    declared in network.toml for the date's year and the group one of its groups; the date
    not after today; a count a whole number. A measurement the ledger holds with the same
    value and source is skipped, so a file can be imported again after rows were added; one
    with another value or source is refused: a measurement is never changed. Any problem:
    every one is listed with its line, nothing is written, exit code 2.

    \b
    Example:
      netfund indicators import examples/saniveld/indicators.csv
    """
    report = import_indicators(engine_of(ctx), indicators_file, dialect=DIALECTS[dialect_name])
    if as_json:
        emit_json(_import_json(report))
        return
    if report.indicators:
        show_table(
            ("indicator", "added", "skipped"),
            [[each.indicator, str(each.added), str(each.skipped)] for each in report.indicators],
            numeric={1, 2},
        )
    if report.record_seq is None:
        click.echo(
            f"{report.source}: nothing new ({report.rows} measurement(s), all in the ledger "
            "already); nothing was written"
        )
        return
    click.echo(
        f"{report.source}: {report.added} measurement(s) added, {report.skipped} already in "
        f"the ledger (import record {report.record_seq})"
    )


def _import_json(report: IndicatorImportReport) -> dict[str, Any]:
    return {
        "file": report.source,
        "rows": report.rows,
        "added": report.added,
        "skipped": report.skipped,
        "record": report.record_seq,
        "indicators": [
            {"indicator": count.indicator, "added": count.added, "skipped": count.skipped}
            for count in report.indicators
        ],
    }
