"""`netfund serve`: the funder portal on this ledger (the pages live in netfund.web)."""

from __future__ import annotations

from pathlib import Path

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--files",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder holding statements/ and exports/ to offer for download "
    "[default: a SQLite ledger's own folder, as netfund demo lays it out].",
)
@click.option(
    "--language",
    type=click.Choice(["nl", "en"]),
    help="The pages' language before a visitor switches [default: the network's].",
)
@click.option(
    "--check",
    is_flag=True,
    help="Prepare the portal, say what it would serve, and exit without serving.",
)
@click.option("--json", "as_json", is_flag=True, help="With --check: print it as JSON.")
@click.pass_context
def serve_command(
    ctx: click.Context,
    host: str,
    port: int,
    files: Path | None,
    language: str | None,
    check: bool,
    as_json: bool,
) -> None:
    """Serve the funder portal: each funder signs in and sees its own money, live.

    Funders see their overview, postings and statements; controllers every funder and the
    exports; administrators the status dashboard and the proposals waiting. Sign-ins are
    the portal users of netfund user add. Listens on 127.0.0.1 unless --host says otherwise:
    put a TLS proxy in front of it before opening it to the network (README, "The funder
    portal"). Ctrl-C stops it.

    \b
    Examples:
      netfund serve --check
      netfund serve --host 127.0.0.1 --port 8000
    """
    from netfund.web.app import create_app

    app = create_app(engine_of(ctx), files=files, language=language)
    state = app.state
    where = f"http://{host}:{port}/"
    summary = {
        "url": where,
        "network": state.network_name,
        "language": state.language,
        "files": str(state.files) if state.files is not None else None,
    }
    if check:
        if as_json:
            emit_json(summary)
        else:
            click.echo(
                f"ready to serve {state.network_name} on {where} in {state.language}; "
                f"statements and exports from {summary['files'] or 'nowhere (use --files)'}"
            )
        return
    import uvicorn

    click.echo(f"netfund portal for {state.network_name} on {where} (Ctrl-C stops it)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
    )
