"""Four-eyes commands: list the proposals, approve one, reject one (issue 17).

An action the network reserves for two people (``[approvals]`` in network.toml) does not
happen when asked: its command records a proposal (exit 0, "proposal N recorded"). Another
person carries it out with ``approve N``. The dispatch from a proposal's action to the
function that performs it is the ledger's for its own actions; the allocation commit is
allocation's, so it is joined here, where both may be imported.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import Proposal, approve, format_grouped, list_proposals, reject


def _proposal_json(proposal: Proposal) -> dict[str, Any]:
    decision = proposal.decision
    return {
        "proposal": proposal.number,
        "status": proposal.status,
        "action": proposal.action,
        "arguments": proposal.arguments,
        "summary": proposal.summary,
        "by": proposal.by,
        "at": proposal.at,
        "reason": proposal.reason,
        "record": proposal.seq,
        "decision": None
        if decision is None
        else {
            "decision": decision.decision,
            "by": decision.by,
            "at": decision.at,
            "reason": decision.reason,
            "record": decision.seq,
        },
        "transactions": None
        if proposal.written is None
        else {"first": proposal.written[0], "last": proposal.written[1]},
    }


def _what(proposal: Proposal) -> str:
    """The proposed action in a few words: ``close 2026``, ``allocation-commit run 3 ...``."""
    arguments = proposal.arguments
    if proposal.action == "allocation-commit":
        return f"allocation-commit run {arguments.get('run')} on {arguments.get('date')}"
    if proposal.action in ("close", "reopen"):
        return f"{proposal.action} {arguments.get('period')}"
    return f"{proposal.action} {arguments.get('id')} on {arguments.get('date')}"


def _jsonable(value: Any) -> Any:
    """A report as JSON values: dataclasses as objects, dates as ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@cli.command("proposals")
@click.option("--all", "every", is_flag=True, help="Also the approved and rejected proposals.")
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON.")
@click.pass_context
def proposals_command(ctx: click.Context, every: bool, as_json: bool) -> None:
    """List the proposals waiting for a second person (four eyes).

    An action network.toml's [approvals] reserves for two people (an allocation commit, a
    close, a reopen, a post or reversal above an amount) is recorded as a proposal; another
    person approves it (netfund approve N) or anyone rejects it (netfund reject N --reason).

    \b
    Example:
      netfund proposals --all
    """
    proposals = list_proposals(engine_of(ctx), every=every)
    if as_json:
        emit_json([_proposal_json(p) for p in proposals])
        return
    if not proposals:
        click.echo("no proposals wait for approval" if not every else "no proposals")
        return
    headers = ["proposal", "action", "transactions", "debits", "by", "at", "reason"]
    if every:
        headers += ["status", "decided by", "decided at"]
    rows = []
    for p in proposals:
        row = [
            str(p.number),
            _what(p),
            str(p.summary.get("transactions", 0)),
            format_grouped(int(p.summary.get("debit_cents", 0))),
            str(p.by),
            str(p.at),
            p.reason or "",
        ]
        if every:
            decision = p.decision
            row += [p.status, str(decision.by) if decision else "", decision.at if decision else ""]
        rows.append(row)
    show_table(
        headers,
        rows,
        numeric={0, 2, 3},
        title="proposals (netfund approve N · netfund reject N --reason TEXT)",
    )


@cli.command("approve")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def approve_command(ctx: click.Context, number: int, as_json: bool) -> None:
    """Approve proposal NUMBER: carry out its action as proposed, as another person.

    Refused (exit 2, nothing written) when you made the proposal, when it was approved or
    rejected already, and when the ledger changed so that the action would now post other
    transactions than were proposed (reject it and propose again).

    \b
    Example:
      netfund approve 1
    """
    from netfund.allocation.service import PERFORMERS

    report = approve(engine_of(ctx), number, PERFORMERS)
    proposal = report.proposal
    if as_json:
        emit_json(
            {
                "proposal": proposal.number,
                "status": "approved",
                "action": proposal.action,
                "arguments": proposal.arguments,
                "proposed_by": proposal.by,
                "proposed_at": proposal.at,
                "approved_by": report.approved_by,
                "outcome": _jsonable(report.outcome),
            }
        )
        return
    click.echo(
        f"proposal {proposal.number} approved by {report.approved_by} "
        f"(proposed by {proposal.by} at {proposal.at}): {_what(proposal)} carried out, "
        f"{proposal.summary.get('transactions', 0)} transaction(s), debits "
        f"{format_grouped(int(proposal.summary.get('debit_cents', 0)))}"
    )


@cli.command("reject")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="Why the proposal is not carried out (kept).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reject_command(ctx: click.Context, number: int, reason: str, as_json: bool) -> None:
    """Reject proposal NUMBER: it ends without being carried out.

    Anyone may reject a proposal, its proposer too (withdrawing it); the decision record
    keeps who, when and why.

    \b
    Example:
      netfund reject 2 --reason "booked twice"
    """
    rejection = reject(engine_of(ctx), number, reason)
    if as_json:
        emit_json(
            {
                "proposal": rejection.proposal.number,
                "status": "rejected",
                "action": rejection.proposal.action,
                "by": rejection.by,
                "at": rejection.at,
                "reason": rejection.reason,
                "record": rejection.record,
            }
        )
        return
    click.echo(
        f"proposal {rejection.proposal.number} ({_what(rejection.proposal)}) rejected by "
        f"{rejection.by}: {rejection.reason}"
    )
