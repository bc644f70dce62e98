"""`netfund log`: the audit trail, who did what to the ledger and when (issue 17)."""

from __future__ import annotations

from typing import Any

import click
from netfund.cli.app import PERIOD, cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import AuditEntry, audit_trail


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """One entry of ``netfund log --json``."""
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "event": entry.event,
        "summary": entry.summary,
        "periods": list(entry.periods),
        "first_txn": entry.first_txn,
        "last_txn": entry.last_txn,
        "record_hash": entry.record_hash,
        "details": dict(entry.details),
    }


def _transactions(entry: AuditEntry) -> str:
    if entry.first_txn is None:
        return ""
    if entry.first_txn == entry.last_txn:
        return str(entry.first_txn)
    return f"{entry.first_txn}-{entry.last_txn}"


@cli.command("log")
@click.option("--period", type=PERIOD, help="Only the entries about this period (a year).")
@click.option("--actor", metavar="NAME", help="Only the entries by this actor (login or user).")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_context
def log_command(ctx: click.Context, period: str | None, actor: str | None, as_json: bool) -> None:
    """The audit trail: who did what to the ledger, and when.

    One entry per action: imports, posts, reversals, allocation runs and commits, proposals,
    approvals and rejections, closes and reopens, network changes, exports and grants. The
    trail is the records chain, re-hashed before it is shown; netfund verify holds every
    transaction and export to it. The actor is the PostgreSQL login role, or on SQLite the
    operating-system user; "unknown" for what was written before netfund recorded actors.
    For auditors' tools: netfund export audit-trail.

    \b
    Examples:
      netfund log
      netfund log --period 2026 --actor fondsbeheer --json
    """
    entries = audit_trail(engine_of(ctx), period=period, actor=actor)
    if as_json:
        emit_json([entry_json(entry) for entry in entries])
        return
    if not entries:
        click.echo("no entries" + (" for these filters" if period or actor else " yet"))
        return
    headers = ("seq", "at", "actor", "event", "periods", "transactions", "summary")
    show_table(
        headers,
        [
            [
                str(entry.seq),
                entry.at or "unknown",
                entry.actor or "unknown",
                entry.event,
                " ".join(entry.periods),
                _transactions(entry),
                entry.summary,
            ]
            for entry in entries
        ],
        numeric={0},
        title=f"audit trail: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}",
    )
