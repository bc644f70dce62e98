"""Proposals and their decisions (four-eyes approvals, issue 17): list, approve, reject, and
who proposed and approved each allocation.

The gate and the records are in `store/approvals.py`; this is the service the CLI and the
reports call. Approving dispatches on the proposal's action to the function that performs
it, with the proposal's arguments and ``approving=N``: the ledger's own actions here
(`LEDGER_PERFORMERS`), and whatever a caller adds (the allocation commit is allocation's:
the ledger never imports allocation, so the CLI, which may import both, joins the tables).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from netfund.ledger.corrections import reverse
from netfund.ledger.importer import post_journal
from netfund.ledger.model.entries import Posting
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import ALLOCATION_COMMIT_PREFIX
from netfund.ledger.periods import close_period, reopen_period
from netfund.ledger.store.approvals import (
    Proposal,
    append_decision,
    proposals_of,
    waiting_proposal,
)
from netfund.ledger.store.database import reading, require_schema, writing
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import Record, transaction_head, verified_records
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Connection, Engine, select

#: The external ids of allocation commits (`allocation.service`).
_COMMITS = f"{ALLOCATION_COMMIT_PREFIX}%"

#: Performs a proposed action again: (engine, the proposal's arguments, its number) → the
#: action's own report.
Performer = Callable[[Engine, Mapping[str, Any], int], object]


def _date(text: Any) -> datetime.date | None:
    return None if text is None else datetime.date.fromisoformat(str(text))


def _post(engine: Engine, arguments: Mapping[str, Any], number: int) -> object:
    lines = [Posting(a, f, g, int(c)) for a, f, g, c in arguments["lines"]]
    return post_journal(
        engine,
        arguments["id"],
        datetime.date.fromisoformat(str(arguments["date"])),
        arguments["description"],
        lines,
        arguments.get("reference", ""),
        approving=number,
    )


def _reverse(engine: Engine, arguments: Mapping[str, Any], number: int) -> object:
    return reverse(
        engine,
        arguments["id"],
        _date(arguments.get("date")),
        arguments.get("description"),
        approving=number,
    )


def _close(engine: Engine, arguments: Mapping[str, Any], number: int) -> object:
    return close_period(
        engine,
        arguments["period"],
        force=bool(arguments.get("force")),
        reason=arguments.get("reason"),
        approving=number,
    )


def _reopen(engine: Engine, arguments: Mapping[str, Any], number: int) -> object:
    return reopen_period(engine, arguments["period"], reason=arguments["reason"], approving=number)


def _bank_assign(engine: Engine, arguments: Mapping[str, Any], number: int) -> object:
    from netfund.ledger.bank.lines import assign_by_rules, assign_line

    if "rules" in arguments:
        return assign_by_rules(engine, Path(str(arguments["rules"])), approving=number)
    return assign_line(
        engine,
        str(arguments["ref"]),
        group=arguments.get("group"),
        funder=arguments.get("funder"),
        description=arguments.get("description"),
        account=arguments.get("account"),
        approving=number,
    )


#: The ledger's actions a proposal can name, by action name.
LEDGER_PERFORMERS: dict[str, Performer] = {
    "bank-assign": _bank_assign,
    "post": _post,
    "reverse": _reverse,
    "close": _close,
    "reopen": _reopen,
}


@dataclass(frozen=True)
class ApprovalReport:
    """What approving a proposal did.

    Attributes:
        proposal: the proposal as it was before the approval.
        approved_by: who approved it (the actor of this write).
        outcome: the performing function's own report (a `CloseReport`, a `CommitReport`, ...).
    """

    proposal: Proposal
    approved_by: str
    outcome: object


def list_proposals(engine: Engine, *, every: bool = False) -> list[Proposal]:
    """The proposals waiting for a decision (``every``: with the decided ones), by number,
    read from the records chain after re-hashing it."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        proposals = proposals_of(verified_records(connection))
    return [p for p in proposals if every or p.decision is None]


def approve(
    engine: Engine, number: int, performers: Mapping[str, Performer] | None = None
) -> ApprovalReport:
    """Carry out proposal ``number`` as the current actor: perform its action again with its
    arguments (`store/approvals.py` checks, under the chain lock, that it still waits, that
    the actor did not propose it and that the drafts are the proposed ones, and records the
    approval before them). ``performers`` adds actions beyond the ledger's own."""
    table = {**LEDGER_PERFORMERS, **(performers or {})}
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        proposal = waiting_proposal(verified_records(connection), number)
        actor = current_actor(connection)
    if actor == proposal.by:
        # Said here too, before the action runs: its own refusals would hide this one.
        raise LedgerError(
            f"proposal {number} was made by {actor}: another person must approve it (four eyes)"
        )
    perform = table.get(proposal.action)
    if perform is None:
        raise LedgerError(
            f"proposal {number} is a {proposal.action!r}, which cannot be approved here"
        )
    outcome = perform(engine, proposal.arguments, number)
    return ApprovalReport(proposal=proposal, approved_by=actor, outcome=outcome)


@dataclass(frozen=True)
class Rejection:
    """A proposal ended without being carried out.

    Attributes:
        proposal: the proposal.
        by: who rejected it (the proposer withdrawing it is a rejection too).
        at: when, UTC.
        reason: why.
        record: the decision record's position.
    """

    proposal: Proposal
    by: str
    at: str
    reason: str
    record: int


def reject(engine: Engine, number: int, reason: str) -> Rejection:
    """End proposal ``number`` without carrying it out: a ``decision`` record (reject) with
    ``reason``. Anyone may reject, its proposer too (withdrawing it): a rejection moves no
    money, and the record says who it was."""
    if not (reason or "").strip():
        raise LedgerError("reject needs --reason TEXT: why the proposal is not carried out")
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        # The chain lock, as an approval takes it: a proposal is decided once.
        head = transaction_head(connection, lock=True)
        proposal = waiting_proposal(verified_records(connection), number)
        record = append_decision(connection, proposal, "reject", reason, head)
    return Rejection(
        proposal=proposal,
        by=str(record.actor),
        at=str(record.content["at"]),
        reason=str(record.content["reason"]),
        record=record.seq,
    )


@dataclass(frozen=True)
class AllocationApproval:
    """Who committed one allocation, and who approved it.

    Attributes:
        transaction: the allocation transaction's chain position.
        external_id: its id (``netfund:allocation-run:N``).
        date: its booking date.
        run: the run committed, when the audit trail names it.
        committed_by: who wrote the transaction (the approver, when approved); None before
            identities were recorded.
        committed_at: when, UTC (None before the audit trail).
        proposed_by: who proposed it; None when the network asked no second person.
        proposed_at: when.
        approved_by: who approved it; None without a proposal.
        approved_at: when.
    """

    transaction: int
    external_id: str
    date: datetime.date
    run: str | None
    committed_by: str | None
    committed_at: str | None
    proposed_by: str | None = None
    proposed_at: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None

    @property
    def recorded(self) -> bool:
        """Whether the audit trail knows who committed it (not a commit from before it)."""
        return self.committed_at is not None


def allocation_approvals(
    engine_or_connection: Engine | Connection, period: str
) -> list[AllocationApproval]:
    """For each allocation committed in ``period`` (by chain position): who proposed and who
    approved it, and when; or who committed it without a second person; or nothing known
    (a commit from before identities were recorded)."""
    if isinstance(engine_or_connection, Connection):
        return _allocation_approvals(engine_or_connection, period)
    with reading(engine_or_connection) as connection:
        require_schema(connection, str(engine_or_connection.url))
        return _allocation_approvals(connection, period)


def _allocation_approvals(connection: Connection, period: str) -> list[AllocationApproval]:
    t = transactions_table.c
    rows = connection.execute(
        select(t.id, t.external_id, t.date, t.actor)
        .where(t.period == period, t.type == "allocation", t.external_id.like(_COMMITS))
        .order_by(t.id)
    ).all()
    if not rows:
        return []
    records = verified_records(connection)
    proposals = {p.number: p for p in proposals_of(records)}
    writes = [
        r for r in records if r.kind == "write" and r.content.get("action") == "allocation-commit"
    ]
    found = []
    for row in rows:
        write = _write_of(writes, row.id)
        approval = AllocationApproval(
            transaction=row.id,
            external_id=row.external_id,
            date=row.date,
            run=None if write is None else _text(write.content.get("arguments", {}).get("run")),
            committed_by=row.actor,
            committed_at=None if write is None else _text(write.content.get("at")),
        )
        proposal = proposals.get(write.content.get("proposal")) if write is not None else None
        if proposal is not None and proposal.decision is not None:
            approval = replace(
                approval,
                proposed_by=proposal.by,
                proposed_at=proposal.at,
                approved_by=proposal.decision.by,
                approved_at=proposal.decision.at,
            )
        found.append(approval)
    return found


def _write_of(writes: list[Record], txn_id: int) -> Record | None:
    for write in writes:
        first, last = write.content.get("first_txn"), write.content.get("last_txn")
        if isinstance(first, int) and isinstance(last, int) and first <= txn_id <= last:
            return write
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
