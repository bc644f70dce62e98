"""User commands: the logins of the funder portal (netfund.web), kept in the ledger."""

from __future__ import annotations

import os
import sys

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import (
    PORTAL_ROLES,
    LedgerError,
    add_user,
    check_new_user,
    list_users,
    remove_user,
)

#: The environment variable a script hands the password in (never a command-line argument:
#: those show in the process list and the shell's history).
PASSWORD_VARIABLE = "NETFUND_PASSWORD"


@cli.group("user")
def user_group() -> None:
    """The logins of the funder portal: administrators, controllers and funders.

    A portal login is a name and a password (at least 12 characters), kept in the ledger as
    an Argon2id hash; a funder's login sees its own funder's money only. The password is
    asked twice without echo (or read from a pipe's first line), or taken from the environment
    variable NETFUND_PASSWORD; it is never an argument. Each addition and password change is
    in the audit trail (netfund log), without the password.

    \b
    Examples:
      netfund user add anna --role administrator
      netfund user list
      netfund user remove anna
    """


def _password() -> str:
    """The new password: NETFUND_PASSWORD, else asked twice without echo on a terminal, else
    (a pipe) the first line of standard input."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        return given
    if not _on_terminal():
        line = sys.stdin.readline()
        if not line:
            raise LedgerError(
                f"no password given: type it at the prompt, pipe it in, or set {PASSWORD_VARIABLE}"
            )
        return line.rstrip("\r\n")
    try:
        return str(
            click.prompt("password", hide_input=True, confirmation_prompt=True, err=True, type=str)
        )
    except click.Abort:
        raise LedgerError("no password given: nothing was written") from None


def _on_terminal() -> bool:
    return sys.stdin.isatty()


@user_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(PORTAL_ROLES), help="The job.")
@click.option("--funder", metavar="CODE", help="With --role funder: whose money it reads.")
@click.option("--replace", is_flag=True, help="Give an existing login a new password.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def add_command(
    ctx: click.Context, name: str, role: str, funder: str | None, replace: bool, as_json: bool
) -> None:
    """Add portal login NAME (lower-case letters, digits, . _ -), or with --replace give it a
    new password.

    The password (at least 12 characters) is asked twice, or taken from NETFUND_PASSWORD.

    \b
    Example:
      netfund user add gem-boekhouding --role funder --funder GEM-SANIVELD-WMO
    """
    engine = engine_of(ctx)
    check_new_user(engine, name, role, funder, replace=replace)  # refused before the prompt
    user = add_user(engine, name, role, funder, _password(), replace=replace)
    change = "password" if replace else "added"
    if as_json:
        emit_json({"name": user.name, "role": user.role, "funder": user.funder, "change": change})
        return
    reads = f" reading {user.funder}" if user.funder else ""
    did = "has a new password" if replace else f"added as {user.role}{reads}"
    click.echo(f"portal login {user.name} {did}; recorded in the audit trail")


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the logins as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the portal logins: name, role, funder, when and by whom added (never a password
    or its hash).

    \b
    Example:
      netfund user list --json
    """
    rows = [
        {
            "name": user.name,
            "role": user.role,
            "funder": user.funder,
            "created_at": user.created_at,
            "created_by": user.created_by,
        }
        for user in list_users(engine_of(ctx))
    ]
    if as_json:
        emit_json(rows)
        return
    show_table(
        ("name", "role", "funder", "added", "by"),
        [[r["name"], r["role"], r["funder"] or "", r["created_at"], r["created_by"]] for r in rows],
        numeric=set(),
        title=f"portal logins: {len(rows)}",
    )


@user_group.command("remove")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def remove_command(ctx: click.Context, name: str, as_json: bool) -> None:
    """Remove portal login NAME: it cannot sign in any more, and a running portal ends its
    open sessions at their next page (within seconds). Recorded in the audit trail; its
    earlier sign-ins stay there.

    \b
    Example:
      netfund user remove gem-boekhouding
    """
    user = remove_user(engine_of(ctx), name)
    if as_json:
        emit_json(
            {"name": user.name, "role": user.role, "funder": user.funder, "change": "removed"}
        )
        return
    click.echo(f"portal login {user.name} removed; recorded in the audit trail")
