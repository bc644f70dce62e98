"""Roles commands: PostgreSQL's own group roles, grants and row-level security for a ledger."""

from __future__ import annotations

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import ROLES, grant_role, install_roles, list_roles


@cli.group("roles")
def roles_group() -> None:
    """Who may do what on a PostgreSQL ledger: administrator, approver, controller, funder.

    The database enforces the roles (grants and row-level security), whatever client
    connects. Run these as the ledger's owner (the role that ran netfund init). A SQLite
    ledger has no logins: its file's permissions are its only access control.

    \b
    Examples:
      netfund roles install
      netfund roles grant alice --role administrator
      netfund roles grant gem_reader --role funder --funder GEM-SANIVELD-WMO
    """


@roles_group.command("install")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def install_command(ctx: click.Context, as_json: bool) -> None:
    """Create the group roles with their grants and row policies (again: the same result),
    and each funder's own role, which the funder portal reads that funder's pages under.

    \b
    Example:
      netfund roles install
    """
    report = install_roles(engine_of(ctx))
    if as_json:
        emit_json(
            {
                "schema": report.schema,
                "created": list(report.created),
                "roles": report.roles,
                "funders": report.funders,
            }
        )
        return
    created = ", ".join(report.created) or "none (they existed)"
    click.echo(f"roles installed on schema {report.schema}; created: {created}")
    for name, role in report.roles.items():
        click.echo(f"  {name:<14} {role}")
    for code, role in report.funders.items():
        click.echo(f"  funder {code}: {role}")


@roles_group.command("grant")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(ROLES), help="The job.")
@click.option("--funder", help="With --role funder: the funder whose money the login reads.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def grant_command(
    ctx: click.Context, login: str, role: str, funder: str | None, as_json: bool
) -> None:
    """Give LOGIN (a PostgreSQL login, created without a password if it does not exist) a role.

    Set a password with ALTER ROLE, or let the server authenticate the person (pg_hba.conf).
    The grant is recorded in the records chain (netfund log shows who granted what).

    \b
    Example:
      netfund roles grant bram --role approver
    """
    report = grant_role(engine_of(ctx), login, role, funder)
    if as_json:
        emit_json(
            {
                "login": report.login,
                "role": report.role,
                "funder": report.funder,
                "created": report.created,
                "record": report.record_seq,
                "by": report.by,
            }
        )
        return
    reads = f", reading {report.funder}" if report.funder else ""
    made = " (login created)" if report.created else ""
    click.echo(
        f"{report.login} is {report.role}{reads}{made}; recorded as record "
        f"{report.record_seq} by {report.by}"
    )


@roles_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the holders as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List who holds which role (and which funders each funder login reads).

    \b
    Example:
      netfund roles list
    """
    holders = list_roles(engine_of(ctx))
    rows = [{"login": h.login, "role": h.role, "funders": list(h.funders)} for h in holders]
    if as_json:
        emit_json(rows)
        return
    show_table(
        ("login", "role", "funders"),
        [[r["login"], r["role"], ", ".join(r["funders"])] for r in rows],
        numeric=set(),
        title="netfund roles",
    )
