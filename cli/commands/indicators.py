"""Indicator commands: what the groups agreed to watch beside the money (issue 20).

The `indicators` group takes the options of its diagnostic view (``--period``, ``--as-of``,
``--json``); `import` reads indicators.csv into the ledger (`ledger/indicators/`): these parse
arguments, call it and print.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from netfund.cli.app import PERIOD, cli, date_option, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import (
    DIALECTS,
    IndicatorImportReport,
    format_cents,
    format_grouped,
    import_indicators,
    reveal,
)

if TYPE_CHECKING:
    from netfund.reports.indicators import IndicatorsView


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

    Without a subcommand: the steering group's view of PERIOD (default: the newest in the
    ledger) as of DATE (default: its last day): the indicators that moved away from their
    reference point (on its worse side, further than at the start of the period), furthest
    first, with each group's money and whose money it is. A reference point is where the
    network meant to go, not a bar: nothing is said to pass or fail. `netfund status` shows
    every indicator beside the money.

    \b
    Examples:
      netfund indicators import examples/saniveld/indicators.csv
      netfund indicators
      netfund indicators --period 2026 --as-of 2026-06-30 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from netfund.reports.indicators import load_indicators_view

    view = load_indicators_view(engine_of(ctx), period, date_option(as_of, "--as-of"))
    if view is None:
        message = "no transactions yet: netfund import events.csv"
        if as_json:
            emit_json({"period": None, "moved_away": [], "groups": [], "message": message})
        else:
            click.echo(message)
        return
    if as_json:
        emit_json(_view_json(view))
        return
    _show_view(view)


def _show_view(view: IndicatorsView) -> None:
    from netfund.reports.indicator_words import change, measured, reference_words, sparkline

    click.echo(
        f"{reveal(view.network_name)}: indicators of {view.period}, as of {view.as_of.isoformat()}"
    )
    if not view.declared:
        click.echo(
            "network.toml declares no indicators: add [[indicators]] (README, Indicators "
            "beside the money) and netfund network apply it"
        )
        return
    measured_count = sum(1 for g in view.groups for o in g.indicators if o.latest is not None)
    if not measured_count:
        click.echo(
            f"nothing measured in {view.period} yet: netfund indicators import indicators.csv"
        )
        return
    agreed = sum(len(g.indicators) for g in view.groups)
    click.echo(
        f"{measured_count} of {agreed} indicators of {len(view.groups)} groups measured; "
        f"{len(view.moved)} moved away from their reference point since the start of "
        f"{view.period}"
    )
    if not view.moved:
        click.echo("none moved away: netfund status shows every indicator beside the money")
        return
    click.echo("")
    show_table(
        ["group", "indicator", "trend", "latest", "vs start", "against the reference point",
         "spent", "whose money"],
        [
            [
                group.group,
                outcome.indicator.code,
                sparkline(outcome.points),
                measured(outcome.latest, outcome.indicator, "en") if outcome.latest else "",
                change(outcome.change_since_start, "en"),
                reference_words(outcome, "en"),
                format_grouped(group.spent_cents),
                _whose(view.spent_by.get(group.group, ()), group.spent_cents),
            ]
            for group, outcome in view.moved
        ],
        numeric={4, 6},
        title="Moved away from the reference point (EUR, every funder's money)",
    )  # fmt: skip
    click.echo("")
    click.echo("netfund status shows every indicator beside the money")


def _whose(spent_by: tuple[tuple[str, int], ...], total: int) -> str:
    """The funders whose money the group spent, largest first, with their shares."""
    from netfund.reports.formatting import share_of
    from netfund.reports.status import percent

    return ", ".join(f"{fund} {percent(share_of(cents, total))}%" for fund, cents in spent_by)


def _view_json(view: IndicatorsView) -> dict[str, Any]:
    from netfund.reports.indicators import group_document, outcome_document

    return {
        "period": view.period,
        "as_of": view.as_of.isoformat(),
        "declared": view.declared,
        "moved_away": [
            {
                "group": group.group,
                "name": group.name,
                "allocated": format_cents(group.allocated_cents),
                "spent": format_cents(group.spent_cents),
                "spent_by": [
                    {"funder": fund, "spent": format_cents(cents)}
                    for fund, cents in view.spent_by.get(group.group, ())
                ],
                "indicator": outcome_document(outcome),
            }
            for group, outcome in view.moved
        ],
        "groups": [group_document(group) for group in view.groups],
    }


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
    not in a year still to come; a count a whole number. A measurement the ledger holds with
    the same value and source is skipped, so a file can be imported again after rows were
    added; one with another value or source is refused: a measurement is never changed. Any
    problem: every one is listed with its line, nothing is written, exit code 2.

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
