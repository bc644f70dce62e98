"""Four-eyes approvals (issue 17): an action the network reserves for two people becomes a
proposal, and only another person's approval carries it out.

The gate sits on the one writing path (`post.post_drafts`), so every writer (post, reverse,
allocation commit, close, reopen) meets it the same way, and nothing is a proposal that could
not be posted: the `Gate` decides only after the caller's ``compose`` ran and every rule of
the write passed. Then, when the network version in force for the write's period asks for a
second person (`inputs.network.Approvals`), the write is rolled back and a ``proposal``
record is appended in a write of its own (`record_proposal`): the action, its arguments as
performed (a run number, not ``latest``; the date used, not a default), a summary and the
sha256 of the drafts it composed.

Approving re-performs the action with those arguments as the approver, in one write
transaction: the ``decision`` record first (before any transaction: on PostgreSQL an
approver's login may insert transactions only after a decision in the same transaction),
then the drafts, then the ``write`` record naming the proposal. It is refused when the
approver proposed it, when the proposal is unknown or decided, and when the drafts composed
now differ from the proposed ones (the ledger moved under it: what was approved is exactly
what was proposed, or nothing). Rejecting is a ``decision`` record too.

Both are records of the hash chain; `approval_findings` holds them together for `verify`:
a decision names its proposal by number, record position and hash, so a decision copied
onto another proposal is found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from netfund.ledger.model.entries import Draft
from netfund.ledger.model.errors import LedgerError, ProposalRecorded
from netfund.ledger.model.money import format_grouped
from netfund.ledger.store.database import require_schema, writing
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import (
    Record,
    append_record,
    canonical_text,
    transaction_head,
    utc_now,
    verified_records,
)
from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from netfund.ledger.store.post import Action, UnitOfWork

#: The actions a network may reserve for two people: the ones a proposal can perform again.
GATED_ACTIONS = frozenset(
    {"post", "reverse", "allocation-commit", "close", "reopen", "bank-assign"}
)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Decision:
    """An approval or rejection of a proposal, as its ``decision`` record says.

    Attributes:
        seq: the record's position in the records chain.
        decision: ``approve`` or ``reject``.
        by: who decided.
        at: when, UTC, ISO 8601.
        reason: why (a rejection always has one).
    """

    seq: int
    decision: str
    by: str | None
    at: str | None
    reason: str | None


@dataclass(frozen=True)
class Proposal:
    """An action waiting for (or given) a second person's decision.

    Attributes:
        number: 1, 2, 3, ... per ledger: what ``netfund approve`` takes.
        seq: its record's position in the records chain.
        hash: its record's hash (a decision names it).
        action: the action's name (``allocation-commit``, ``close``, ...).
        arguments: the action's arguments as performed: performing it again with them gives
            the same drafts while the ledger is unchanged.
        summary: ``transactions``, ``debit_cents``, ``external_ids`` of those drafts.
        drafts_sha256: sha256 of the drafts' canonical content (`drafts_sha256`).
        by: who proposed it.
        at: when, UTC.
        reason: the reason the action was asked with (a close's, a reopen's), if any.
        decision: the decision on it; None while it waits.
        written: the chain positions (first, last) of what the approval posted, if any.
    """

    number: int
    seq: int
    hash: str
    action: str
    arguments: dict[str, Any]
    summary: dict[str, Any]
    drafts_sha256: str
    by: str | None
    at: str | None
    reason: str | None
    decision: Decision | None = None
    written: tuple[int | None, int | None] | None = None

    @property
    def status(self) -> str:
        """``waiting``, ``approved`` or ``rejected``."""
        if self.decision is None:
            return "waiting"
        return "approved" if self.decision.decision == "approve" else "rejected"


class ProposalNeeded(Exception):
    """Raised inside a write the network reserves for two people: it rolls the write back,
    and `proposing` records the proposal. Never seen outside `post_drafts`."""

    def __init__(self, content: dict[str, Any]) -> None:
        super().__init__("a second person is needed")
        self.content = content


def drafts_sha256(drafts: Sequence[Draft]) -> str:
    """sha256 of the drafts' canonical content, in the order they were appended: everything
    a draft says, not its chain position (another write in between does not change what an
    approval posts; a changed balance does)."""
    documents = [
        {
            "external_id": d.external_id,
            "date": d.date.isoformat(),
            "type": d.type,
            "description": d.description,
            "reference": d.reference,
            "postings": [[p.account, p.fund, p.group, p.amount_cents] for p in d.postings],
            "source_hash": d.source_hash,
            "funder": d.funder,
            "group": d.group,
            "reversal_of": d.reversal_of,
        }
        for d in drafts
    ]
    return hashlib.sha256(canonical_text(documents).encode("utf-8")).hexdigest()


def summary_of(drafts: Sequence[Draft]) -> dict[str, Any]:
    """What a proposal shows of its drafts: how many, their debits, their ids."""
    return {
        "transactions": len(drafts),
        "debit_cents": debit_cents(drafts),
        "external_ids": [d.external_id for d in drafts],
    }


def debit_cents(drafts: Sequence[Draft]) -> int:
    """The sum of the drafts' positive postings: the amount a post or reversal moves."""
    return sum(p.amount_cents for d in drafts for p in d.postings if p.amount_cents > 0)


class Gate:
    """The approvals side of one write of `post_drafts`.

    Built once the chain is locked: for an approval it checks the proposal (under that lock,
    so two approvers cannot both carry it out) and appends the decision record before any
    transaction. `passed` is asked when ``compose`` is done and the write's rules passed.
    """

    def __init__(self, connection: Connection, action: Action, unit: UnitOfWork) -> None:
        self.action = action
        self.proposal: Proposal | None = None
        if action.name in GATED_ACTIONS or action.approving is not None:
            unit.drafts = []
        if action.approving is not None:
            self.proposal = _approve_under_lock(connection, action, unit.head_id)

    def passed(self, unit: UnitOfWork) -> Action:
        """The action as performed (with what ``compose`` resolved) when the write may go
        on; raises `ProposalNeeded` when it needs a second person, `LedgerError` when an
        approval would post other drafts than proposed."""
        action = self.action
        if unit.resolved:
            action = replace(action, arguments={**action.arguments, **unit.resolved})
        drafts = unit.drafts
        if drafts is None:
            return action
        digest = drafts_sha256(drafts)
        if self.proposal is not None:
            if digest != self.proposal.drafts_sha256:
                raise LedgerError(
                    f"the ledger changed since proposal {self.proposal.number} was made: the "
                    f"{action.name} would now post other transactions than were proposed "
                    f"(proposed {_said(self.proposal.summary)}, now {_said(summary_of(drafts))})"
                    "; reject it and propose again"
                )
            return action
        why = second_person_needed(unit, action, drafts)
        if why is None:
            return action
        if action.name == "post" and "lines" not in action.arguments:
            raise LedgerError(
                f"{why}: post it with post_journal (netfund post), which can make a proposal"
            )
        content: dict[str, Any] = {
            "action": action.name,
            "arguments": action.arguments,
            "summary": summary_of(drafts),
            "drafts_sha256": digest,
            "at": utc_now(),
        }
        reason = action.arguments.get("reason")
        if reason:
            content["reason"] = reason
        raise ProposalNeeded(content)


def _said(summary: dict[str, Any]) -> str:
    count = summary.get("transactions", 0)
    return f"{count} transaction(s), debits {format_grouped(int(summary.get('debit_cents', 0)))}"


def second_person_needed(unit: UnitOfWork, action: Action, drafts: Sequence[Draft]) -> str | None:
    """Why the network version in force for the write asks for a second person, or None.

    The version is the one governing the period the action names (a close's, a reopen's),
    else the period of its drafts; the newest version when they span several or none.
    """
    if action.name not in GATED_ACTIONS:
        return None
    period = action.arguments.get("period")
    if not isinstance(period, str):
        periods = {d.period for d in drafts}
        period = periods.pop() if len(periods) == 1 else None
    approvals = unit.network_for(period).approvals
    if approvals is None:
        return None
    if action.name == "allocation-commit" and approvals.allocation_commit:
        return "the network asks a second person to approve every allocation commit"
    if action.name in ("close", "reopen") and getattr(approvals, action.name):
        return f"the network asks a second person to approve every {action.name} of a period"
    # A bank line assigned by hand is a post a person decided, like `netfund post`.
    limit = {
        "post": approvals.post_above_cents,
        "bank-assign": approvals.post_above_cents,
        "reverse": approvals.reverse_above_cents,
    }.get(action.name)
    amount = debit_cents(drafts)
    if limit is not None and amount > limit:
        word = "reversal" if action.name == "reverse" else "post"
        return (
            f"the network asks a second person to approve a {word} above "
            f"{format_grouped(limit)} (this one moves {format_grouped(amount)})"
        )
    return None


def proposing(write: Callable[P, R]) -> Callable[P, R]:
    """Wrap the writing path: a write that raised `ProposalNeeded` was rolled back; record
    its proposal in a write of its own and tell the caller (`ProposalRecorded`)."""

    @wraps(write)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return write(*args, **kwargs)
        except ProposalNeeded as needed:
            engine = cast(Engine, args[0] if args else kwargs["engine"])
            raise record_proposal(engine, needed.content) from None

    return wrapper


def record_proposal(engine: Engine, content: dict[str, Any]) -> ProposalRecorded:
    """Append a ``proposal`` record, numbered after the ledger's last one, under the chain
    lock (no two proposals get one number). The ledger may have moved since the write that
    made it was rolled back: the approval composes the drafts again and compares them."""
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        head = transaction_head(connection, lock=True)
        numbers = [p.number for p in proposals_of(verified_records(connection))]
        number = max(numbers, default=0) + 1
        record = append_record(connection, "proposal", {"proposal": number, **content}, head)
    return ProposalRecorded(
        number,
        content["action"],
        {
            "proposal": number,
            "status": "waiting",
            "action": content["action"],
            "arguments": content["arguments"],
            "summary": content["summary"],
            "by": record.actor,
            "at": content["at"],
            "reason": content.get("reason"),
            "record": record.seq,
        },
    )


def _approve_under_lock(connection: Connection, action: Action, head: int) -> Proposal:
    """Check that ``action`` may carry out its proposal now, and append the approval."""
    number = action.approving
    proposal = waiting_proposal(verified_records(connection), number)
    if proposal.action != action.name or proposal.arguments != action.arguments:
        raise LedgerError(
            f"proposal {number} is a {proposal.action} with other arguments: it can only be "
            "approved as proposed"
        )
    actor = current_actor(connection)
    if actor == proposal.by:
        raise LedgerError(
            f"proposal {number} was made by {actor}: another person must approve it (four eyes)"
        )
    append_decision(connection, proposal, "approve", None, head)
    return proposal


def waiting_proposal(records: Sequence[Record], number: int | None) -> Proposal:
    """Proposal ``number`` if it waits for a decision; `LedgerError` otherwise."""
    found = {p.number: p for p in proposals_of(records)}.get(number or 0)
    if found is None:
        raise LedgerError(f"there is no proposal {number} (netfund proposals lists them)")
    if found.decision is not None:
        decision = found.decision
        raise LedgerError(
            f"proposal {number} was {found.status} already, by {decision.by} at {decision.at}"
        )
    return found


def append_decision(
    connection: Connection, proposal: Proposal, decision: str, reason: str | None, head: int
) -> Record:
    """Append the ``decision`` record on ``proposal``: its number, record position and hash."""
    content: dict[str, Any] = {
        "proposal": proposal.number,
        "proposal_seq": proposal.seq,
        "proposal_hash": proposal.hash,
        "decision": decision,
        "at": utc_now(),
    }
    if reason:
        content["reason"] = reason.strip()
    return append_record(connection, "decision", content, head)


def proposals_of(records: Sequence[Record]) -> list[Proposal]:
    """Every proposal in ``records`` with its decision and what its approval posted, by number.

    A decision joins the proposal whose record position it names (verify holds its number
    and hash to it: `approval_findings`); the first decision counts.
    """
    by_seq: dict[int, Proposal] = {}
    for record in records:
        content = record.content
        if record.kind == "proposal":
            by_seq[record.seq] = Proposal(
                number=int(content.get("proposal", 0)),
                seq=record.seq,
                hash=record.hash,
                action=str(content.get("action")),
                arguments=dict(content.get("arguments") or {}),
                summary=dict(content.get("summary") or {}),
                drafts_sha256=str(content.get("drafts_sha256")),
                by=content.get("by"),
                at=content.get("at"),
                reason=content.get("reason"),
            )
        elif record.kind == "decision":
            proposal = by_seq.get(int(content.get("proposal_seq", 0)))
            if proposal is not None and proposal.decision is None:
                decision = Decision(
                    record.seq,
                    str(content.get("decision")),
                    content.get("by"),
                    content.get("at"),
                    content.get("reason"),
                )
                by_seq[proposal.seq] = replace(proposal, decision=decision)
    numbered = {p.number: p.seq for p in by_seq.values()}
    for record in records:
        number = record.content.get("proposal") if record.kind == "write" else None
        seq = numbered.get(number) if isinstance(number, int) else None
        if seq is not None:
            written = (record.content.get("first_txn"), record.content.get("last_txn"))
            by_seq[seq] = replace(by_seq[seq], written=written)
    return sorted(by_seq.values(), key=lambda p: p.number)


def approval_findings(records: Sequence[Record]) -> list[str]:
    """What does not hold together among proposals, decisions and the writes approvals made.

    - proposals are numbered 1, 2, 3, ... in chain order;
    - every decision names an earlier proposal by its number, record position and hash (a
      decision copied onto another proposal names the wrong one), and is the only one on it;
    - the approver is not the proposer;
    - every approval is followed by the write that carried it out (a ``write`` record with
      the proposal's number and action), and every such write by exactly one approval.
    """
    findings: list[str] = []
    proposals: dict[int, Record] = {}
    decided: dict[int, Record] = {}
    approved: dict[int, Record] = {}
    for record in records:
        content, where = record.content, f"record {record.seq} ({record.kind})"
        if record.kind == "proposal":
            number = content.get("proposal")
            if number != len(proposals) + 1:
                findings.append(f"{where} is proposal {number!r}, expected {len(proposals) + 1}")
            if isinstance(number, int):
                proposals[number] = record
        elif record.kind == "decision":
            number = content.get("proposal")
            proposal = proposals.get(number) if isinstance(number, int) else None
            if proposal is None:
                findings.append(
                    f"{where} decides proposal {number!r}, which was not made before it"
                )
                continue
            if (content.get("proposal_seq"), content.get("proposal_hash")) != (
                proposal.seq,
                proposal.hash,
            ):
                findings.append(
                    f"{where} names proposal {number} as record {content.get('proposal_seq')!r} "
                    f"with hash {str(content.get('proposal_hash'))[:12]}…, but proposal {number} "
                    f"is record {proposal.seq} ({proposal.hash[:12]}…): a decision copied "
                    "from another proposal"
                )
            if number in decided:
                findings.append(
                    f"{where} decides proposal {number} a second time (record "
                    f"{decided[number].seq} decided it)"
                )
                continue
            decided[number] = record
            if content.get("decision") not in ("approve", "reject"):
                findings.append(f"{where} has no decision netfund writes")
            elif content.get("decision") == "approve":
                if content.get("by") == proposal.content.get("by"):
                    findings.append(
                        f"{where}: proposal {number} was approved by its proposer "
                        f"{content.get('by')!r}"
                    )
                approved[number] = record
        elif record.kind == "write" and "proposal" in content:
            number = content.get("proposal")
            decision = approved.pop(number, None) if isinstance(number, int) else None
            if decision is None:
                findings.append(
                    f"{where} says it carries out proposal {number!r}, which no approval "
                    "before it approved"
                )
            elif content.get("action") != proposals[number].content.get("action"):
                findings.append(
                    f"{where} carries out proposal {number} as a {content.get('action')!r}, "
                    f"but it proposed a {proposals[number].content.get('action')!r}"
                )
    findings += [
        f"record {decision.seq} (decision) approved proposal {number}, but no write carried it out"
        for number, decision in approved.items()
    ]
    return findings
