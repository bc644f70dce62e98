"""Network commands: apply a changed network.toml from a year on, list the recorded versions."""

from __future__ import annotations

from pathlib import Path

import click
from netfund.cli.app import PERIOD, cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import apply_network_file, load_network_timeline


@cli.group("network")
def network_group() -> None:
    """The network's versions: what governs which year.

    \b
    Examples:
      netfund network versions
      netfund network apply examples/saniveld/network.toml --from 2027
    """


@network_group.command("apply")
@click.argument("network_file", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "effective_from",
    required=True,
    type=PERIOD,
    help="The first year the file governs (e.g. 2027).",
)
@click.option("--reason", help="Why the network changes; kept with the version.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def apply_command(
    ctx: click.Context,
    network_file: Path,
    effective_from: str,
    reason: str | None,
    as_json: bool,
) -> None:
    """Record NETWORK_FILE as the network from year --from on.

    The file is the whole network: every funder and group the ledger knows stays in it.
    Names, caps, earmarks, overhead flags, parents, unspent policies and payment schedules
    may change, and funders and groups may be added. The new version governs --from and the
    years after it, until a version dated later; earlier years keep their settings.
    Refused (nothing written) when a year it would govern is closed, or when what is posted
    in those years breaks the new settings (an earmark narrowed below what was spent, a cap
    lowered below what was allocated).

    \b
    Example:
      netfund network apply examples/saniveld/network.toml --from 2027 --reason "2027 caps"
    """
    network, change = apply_network_file(engine_of(ctx), network_file, effective_from, reason)
    governs = (
        f"{change.effective_from} and later years"
        if change.until is None
        else f"{change.effective_from} up to {change.until}, where a later-dated version governs"
    )
    if as_json:
        emit_json(
            {
                "network": network.name,
                "version": change.version,
                "effective_from": change.effective_from,
                "until": change.until,
                "replaces": change.replaces,
                "changes": list(change.changes),
                "record": change.record_seq,
            }
        )
        return
    if change.version is None:
        click.echo(
            f"{network_file}: the same settings as version {change.replaces}, which governs "
            f"{change.effective_from}: nothing changes"
        )
        return
    click.echo(
        f"network version {change.version} recorded (record {change.record_seq}): it governs "
        f"{governs}, in place of version {change.replaces}"
    )
    for line in change.changes:
        click.echo(f"  {line}")


@network_group.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@click.pass_context
def versions_command(ctx: click.Context, as_json: bool) -> None:
    """List the recorded network versions: from which year, who recorded them, when and why.

    \b
    Example:
      netfund network versions
    """
    timeline = load_network_timeline(engine_of(ctx))
    rows = [
        {
            "version": v.version,
            "from": v.effective_from or "the beginning",
            "funders": len(v.network.funders),
            "groups": len(v.network.groups),
            "by": v.noted("by"),
            "at": v.noted("at"),
            "reason": v.noted("reason"),
            "file": v.noted("source"),
            "record": v.record.seq,
        }
        for v in timeline.versions
    ]
    if as_json:
        emit_json(rows)
        return
    headers = ("version", "from", "funders", "groups", "by", "at", "reason", "file")
    show_table(
        headers,
        [[str(row[h]) for h in headers] for row in rows],
        numeric={0, 2, 3},
        title="network versions (a version governs from its year until a later-dated one)",
    )
