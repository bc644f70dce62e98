"""The `netfund` click group, its error handling and the state its commands share.

The commands live in `commands/` (one module per command group); each parses its arguments,
calls the library and prints. Nothing in `cli/` computes money or reads and writes the
database: `engine_at` makes the engine the library's functions take, and that is all.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click
from netfund.cli.errors import (
    JSON_REQUESTED,
    JSON_WRITTEN,
    CommandError,
    UnexpectedError,
    for_output,
    json_requested,
)
from netfund.ledger import (
    FieldError,
    LedgerError,
    NetfundError,
    ProposalRecorded,
    connect,
    database_error,
    parse_date,
    parse_period,
    redact,
    resolve_url,
)
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError


def _version() -> str:
    try:
        return version("netfund")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class NetfundGroup(click.Group):
    """Turns netfund's errors into their exit codes and a message, never a traceback; JSON
    for a ``--json`` command line (`errors.for_output`).

    Its commands load on first use: `command_modules` names the modules that register each
    one (`main.COMMAND_MODULES`), and ``netfund balance`` imports the ledger commands' module
    only, not the other command modules and the library modules they import (issue 21: every
    command paid for all of them at start-up). ``--help`` lists, and so loads, them all.
    """

    command_modules: Mapping[str, tuple[str, ...]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.command_modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module in self.command_modules.get(cmd_name, ()):
                importlib.import_module(module)
        return super().get_command(ctx, cmd_name)

    def load_every_command(self) -> dict[str, click.Command]:
        """Every command, loaded: for the tests and tools that walk the whole command tree."""
        for modules in self.command_modules.values():
            for module in modules:
                importlib.import_module(module)
        return self.commands

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[JSON_REQUESTED] = json_requested(args)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as error:
            raise for_output(ctx, error) from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke_translated(ctx)
        except BrokenPipeError:
            # The reader left (`netfund status | head -3`): what it wanted it has; end quietly.
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except click.ClickException as error:
            raise for_output(ctx, error) from error

    def _invoke_translated(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProposalRecorded as proposal:
            _show_proposal(ctx, proposal)
            return None
        except NetfundError as error:
            raise CommandError(error) from error
        except OperationalError as error:
            url = ctx.obj.get("url") if isinstance(ctx.obj, dict) else None
            where = redact(url) if url else "the database"
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise CommandError(LedgerError(f"database error at {where}: {reason}")) from error
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as error:
            # A driver error that never passed through SQLAlchemy (PostgreSQL's COPY, the
            # columnar export reader) still means what it would have meant there.
            translated = _driver_error(ctx, error)
            if translated is not None:
                raise CommandError(translated) from error
            if os.environ.get("NETFUND_DEBUG"):
                raise
            raise UnexpectedError(error) from error


def _show_proposal(ctx: click.Context, proposal: ProposalRecorded) -> None:
    """A write the network reserves for two people became a proposal: that is the command's
    success (exit 0), said as such, or as its JSON document."""
    if ctx.meta.get(JSON_REQUESTED):
        ctx.meta[JSON_WRITTEN] = True
        click.echo(json.dumps(proposal.document, indent=2, ensure_ascii=False))
    else:
        click.echo(str(proposal))


def _silence_stdout() -> None:
    """Point stdout at the null device, so that Python's last flush at exit does not fail on
    the closed pipe again (and print "Exception ignored ... BrokenPipeError")."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (CliRunner)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


def _driver_error(ctx: click.Context, error: Exception) -> NetfundError | None:
    url = ctx.obj.get("url") if isinstance(ctx.obj, dict) else None
    return database_error(error, redact(url) if url else "the database")


def date_option(text: str | None, option: str) -> datetime.date | None:
    """The value of a date option (None if not given); a bad date is a usage error naming
    the option (exit 2), checked as strictly as a date in an input file."""
    if text is None:
        return None
    try:
        return parse_date(text)
    except FieldError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


class PeriodType(click.ParamType):
    """A period argument or option: parsed by the ledger's `parse_period`, so a bad one is a
    usage error naming the option (exit 2) before any database is opened."""

    name = "period"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_period(value)
        except FieldError as error:
            self.fail(str(error), param, ctx)


#: The type of every period a command takes (``close 2026``, ``--period 2026``).
PERIOD = PeriodType()


def engine_of(ctx: click.Context) -> Engine:
    """The ledger the command works on (--db, NETFUND_DB or ./netfund.db)."""
    state = ctx.ensure_object(dict)
    if "engine" not in state:
        state["engine"] = engine_at(ctx, state["url"])
    return state["engine"]


def engine_at(ctx: click.Context, url: str, checkpoints: str | None = None) -> Engine:
    """An engine for the ledger at ``url``, disposed of when the command ends (which matters
    under CliRunner): the one place cli makes one. Its writes append to the checkpoint file
    ``checkpoints``, else --checkpoints', else the default one."""
    chosen = checkpoints or ctx.ensure_object(dict).get("checkpoints")
    engine = connect(url, checkpoints_to=chosen)
    ctx.call_on_close(engine.dispose)
    return engine


@click.group(cls=NetfundGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="NETFUND_DB",
    default=None,
    metavar="URL",
    help="Ledger database: a SQLAlchemy URL or a SQLite file path "
    "[env NETFUND_DB; default ./netfund.db].",
)
@click.option(
    "--checkpoints",
    "checkpoints",
    envvar="NETFUND_CHECKPOINTS",
    default=None,
    metavar="FILE",
    help="Checkpoint file every write appends the chain head to, and verify checks "
    "[env NETFUND_CHECKPOINTS; default <file>.checkpoints beside a SQLite file, none for "
    "PostgreSQL].",
)
@click.version_option(_version(), prog_name="netfund")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, checkpoints: str | None) -> None:
    """netfund: the money engine of a regional care network.

    \b
    Typical year (netfund demo runs it on the example network):
      netfund init examples/saniveld/network.toml
      netfund import examples/saniveld/events.csv
      netfund allocate examples/saniveld/plan.toml
      netfund allocate --commit latest --date 2026-01-20
      netfund import examples/saniveld/spending.csv
      netfund bank import examples/saniveld/bank/2026.camt053.xml \\
        --rules examples/saniveld/bank-rules.toml
      netfund status
      netfund statements --period 2026 --out statements/
      netfund verify
      netfund close 2026 --force --reason "books complete"
    (from 1 January 2027 on, netfund close 2026 without --force)
    """
    state = ctx.ensure_object(dict)
    state["url"] = resolve_url(db_url)
    state["checkpoints"] = checkpoints
