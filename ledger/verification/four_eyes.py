"""What the network reserved for two people was approved: verify's side of four eyes.

The gate on the writing path (`store/approvals.py`) makes netfund itself propose instead of
post. A login that may write the tables (an administrator with psql, the owner) could still
commit an allocation, or close a period, around netfund: with a correct hash, a write record
in its own name and the chains extended, every other check passes. So `verify` asks, for the
actions it can recognise whatever the write record calls them:

- every allocation commit (a transaction ``netfund:allocation-run:N``) and
- every close and reopen (a ``close`` record)

whether the network version in force for its period, *as recorded before it*, reserved it
for two people, and if so, whether the write that carried it out names an approved proposal
(`approvals.approval_findings` holds that proposal and its approval together). Posts and
reversals above an amount are left to the gate: a write around netfund need not call
itself one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from netfund.ledger.model.fields import ALLOCATION_COMMIT_PREFIX
from netfund.ledger.store.records import Record
from netfund.ledger.store.registry import NetworkTimeline, network_timeline
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Connection, select

_COMMITS = f"{ALLOCATION_COMMIT_PREFIX}%"


def unapproved_findings(connection: Connection, records: Sequence[Record]) -> list[str]:
    """Each reserved action carried out without an approved proposal, in chain order."""
    t = transactions_table.c
    commits = connection.execute(
        select(t.id, t.period).where(t.external_id.like(_COMMITS)).order_by(t.id)
    ).all()
    rules = _Rules(records)
    # Write records cover contiguous, ascending ranges (the trail check holds that).
    writes = [r for r in records if r.kind == "write" and r.content.get("last_txn") is not None]
    firsts = [w.content["first_txn"] for w in writes]
    findings: list[str] = []
    for txn_id, period in commits:
        index = bisect.bisect_right(firsts, txn_id) - 1
        write = writes[index] if index >= 0 else None
        if write is None or txn_id > write.content["last_txn"]:
            continue  # written before the trail (schema 0010); the trail check covers it
        if rules.reserved(write.seq, period, "allocation_commit") and not _carries_out(
            write, "allocation-commit"
        ):
            findings.append(
                f"transaction {txn_id} commits an allocation of {period} that the network "
                f"reserves for two people, but write record {write.seq} names no approved "
                "proposal: it was posted around the four-eyes rule"
            )
    for index, record in enumerate(records):
        if record.kind != "close":
            continue
        event = str(record.content.get("event", "close"))
        period = str(record.content.get("period"))
        if not rules.reserved(record.seq, period, event):
            continue
        write = next((r for r in records[index + 1 :] if r.kind == "write"), None)
        if write is None or not _carries_out(write, event):
            findings.append(
                f"record {record.seq} ({event} of {period}): the network reserves a {event} "
                "for two people, but no write carrying out an approved proposal follows it: "
                "it was written around the four-eyes rule"
            )
    return findings


class _Rules:
    """The network as recorded before a given record: one timeline per network version."""

    def __init__(self, records: Sequence[Record]) -> None:
        self._networks = [r for r in records if r.kind == "network"]
        self._seqs = [r.seq for r in self._networks]
        self._timelines: dict[int, NetworkTimeline | None] = {}

    def reserved(self, seq: int, period: str, key: str) -> bool:
        """Whether the network recorded before record ``seq`` reserved ``key`` in ``period``."""
        known = bisect.bisect_left(self._seqs, seq)  # network records before ``seq``
        if known not in self._timelines:
            self._timelines[known] = network_timeline(self._networks[:known])
        timeline = self._timelines[known]
        if timeline is None:
            return False
        approvals = timeline.version_for(period).network.approvals
        return approvals is not None and bool(getattr(approvals, key))


def _carries_out(write: Record, action: str) -> bool:
    return write.content.get("action") == action and isinstance(write.content.get("proposal"), int)
