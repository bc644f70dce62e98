"""The records chain: the documents that decide money, hash-chained beside the transactions.

Transactions say what happened to money. Three kinds of document decide what happens to it:
the network (funders, groups, earmarks, caps, what closing does with unspent money), the
allocation runs (what a commit posts) and the closed periods (what may no longer be written).
In plain tables a raw ``UPDATE`` could change them without `verify` noticing, and netfund
would decide money by the changed rows. So each is also appended here, as a record:

- ``seq`` 1, 2, 3, ... without gaps; ``kind`` ``network``, ``run`` or ``close``;
- ``content``: the document as canonical JSON text (`canonical_text`);
- ``transaction_head``: the transaction chain's position when it was written, which places
  the record among the transactions (what was decided under which network version);
- ``actor``: who wrote it (`identity.current_actor`: on PostgreSQL the login role, which the
  database sets and checks itself), also the content's ``by``; NULL before migration 0010;
- ``hash = sha256(prev_hash + canonical bytes of seq, kind, transaction_head, content)``, the
  ``actor`` among them once it is set (the envelope of a record written before has no such
  key, so it keeps its hash).

`records_head` is the chain's single-row head, like `chain_head` for the transactions.
Readers that decide money (`registry.read_network`, `runs.read_run`) re-hash the whole
records chain first (`verified_records`): it is a few hundred short documents, so a changed
record is refused with a `VerificationError` before it can decide anything. The tables stay as
a queryable mirror, written in the same transaction; `verify` compares them with the records.
The migration that made this chain (0007) took a ledger's tables as it found them.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from netfund.ledger.model.canonical import link_hash
from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.model.errors import InvariantViolation, VerificationError
from netfund.ledger.store.access import RECORD_ACTIONS, require, session_access
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.schema import (
    RECORD_KINDS,
    chain_head_table,
    ledger_records_table,
    records_head_table,
)
from sqlalchemy import Connection, insert, select, update


@dataclass(frozen=True)
class RecordsHead:
    """The newest record's position and hash: the records chain's fingerprint.

    Attributes:
        seq: its position (0 while the chain is empty).
        hash: its hash (`GENESIS_HASH` while the chain is empty).
    """

    seq: int
    hash: str


@dataclass(frozen=True)
class Record:
    """One record of the chain, as verified.

    Attributes:
        seq: its position, 1, 2, 3, ...
        kind: ``network``, ``run`` or ``close``.
        content: the document, parsed.
        transaction_head: the transaction chain's position when it was written.
        hash: its hash.
        actor: who wrote it (None: before identities were recorded, migration 0010).
    """

    seq: int
    kind: str
    content: dict[str, Any]
    transaction_head: int
    hash: str
    actor: str | None = None


def canonical_text(value: Any) -> str:
    """The one text of a JSON value: sorted keys, no spaces, UTF-8 as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def record_hash(
    prev_hash: str,
    seq: int,
    kind: str,
    transaction_head: int,
    content: str,
    actor: str | None = None,
) -> str:
    """``sha256(prev_hash + canonical bytes)``: every column of the record but its hashes
    (the actor only once there is one: records written before keep their bytes)."""
    envelope: dict[str, Any] = {
        "content": content,
        "kind": kind,
        "seq": seq,
        "transaction_head": transaction_head,
    }
    if actor is not None:
        envelope["actor"] = actor
    return link_hash(prev_hash, canonical_text(envelope).encode("utf-8"))


def transaction_head(connection: Connection, *, lock: bool = False) -> int:
    """The transaction chain's newest position; ``lock`` takes the writers' chain lock, so
    no transaction is appended between reading it and recording against it."""
    query = select(chain_head_table.c.last_txn_id).where(chain_head_table.c.id == 1)
    head = connection.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if head is None:
        raise InvariantViolation("the chain head row is missing: the schema is damaged")
    return int(head)


def records_head(connection: Connection) -> RecordsHead:
    """The records chain's head as stored (verify checks it against the records)."""
    row = connection.execute(
        select(records_head_table.c.last_seq, records_head_table.c.last_hash)
    ).one_or_none()
    if row is None:
        raise VerificationError("the records chain has no head: its row was deleted")
    return RecordsHead(int(row.last_seq), row.last_hash)


def append_record(
    connection: Connection, kind: str, content: dict[str, Any], transaction_head: int
) -> Record:
    """Append one record in ``connection``'s write transaction and move the head.

    The record names its writer: the actor column and the content's ``by`` (any ``by`` the
    caller put there is replaced). The head row is locked first: concurrent writers of
    records queue up (PostgreSQL) and never fork the chain. Writers that also append
    transactions hold the chain lock before this one, never after.
    """
    if kind not in RECORD_KINDS:
        raise InvariantViolation(f"unknown record kind {kind!r}")
    if kind in RECORD_ACTIONS:  # the others are written by post_drafts, which asked already
        require(connection, RECORD_ACTIONS[kind])
    head = connection.execute(
        select(records_head_table.c.last_seq, records_head_table.c.last_hash)
        .where(records_head_table.c.id == 1)
        .with_for_update()
    ).one_or_none()
    if head is None:
        raise InvariantViolation("the records head row is missing: the schema is damaged")
    actor = current_actor(connection)
    seq, text = int(head.last_seq) + 1, canonical_text({**content, "by": actor})
    digest = record_hash(head.last_hash, seq, kind, transaction_head, text, actor)
    connection.execute(
        insert(ledger_records_table),
        [
            {
                "seq": seq,
                "kind": kind,
                "content": text,
                "transaction_head": transaction_head,
                "prev_hash": head.last_hash,
                "hash": digest,
                "actor": actor,
            }
        ],
    )
    connection.execute(
        update(records_head_table)
        .where(records_head_table.c.id == 1)
        .values(last_seq=seq, last_hash=digest)
    )
    return Record(seq, kind, json.loads(text), transaction_head, digest, actor)


def verified_records(connection: Connection) -> list[Record]:
    """Every record up to the head, in order, after re-hashing them and checking the head.

    The head is read first and only the records up to it: a writer committing a record
    meanwhile (PostgreSQL's READ COMMITTED gives each statement a new snapshot) commits its
    head with it, so what is read is always a whole chain. A record beyond the head is for
    `verify` to report (`records_beyond_head`). Raises `VerificationError` naming the first
    record that does not match: a record changed, deleted or inserted around netfund.

    A funder's login sees only the records its row policy shows (network versions and closes:
    no other funder's money, `roles.py`): each of those is re-hashed from its own link; the
    links across the records it cannot see are held by `verify` under a login that sees them.
    """
    head = records_head(connection)
    partial: bool | None = None  # whether the login sees part of the chain: asked at a gap
    last_seq, last_hash = 0, GENESIS_HASH
    records: list[Record] = []
    rows = connection.execute(
        select(ledger_records_table)
        .where(ledger_records_table.c.seq <= head.seq)
        .order_by(ledger_records_table.c.seq)
    )
    for row in rows:
        where = f"record {row.seq} ({row.kind})"
        if row.seq != last_seq + 1:
            partial = _partial(connection, partial)
            if partial:  # a hole the row policy makes: link this record to its own prev
                last_seq, last_hash = row.seq - 1, row.prev_hash
        if row.seq != last_seq + 1:
            raise VerificationError(
                f"records chain: record {last_seq + 1} is missing (the next is {row.seq}): "
                "a record was deleted"
            )
        if row.prev_hash != last_hash:
            raise VerificationError(
                f"records chain: {where} does not link to the record before it: "
                "a record was deleted, inserted or rewritten"
            )
        if row.hash != record_hash(
            last_hash, row.seq, row.kind, row.transaction_head, row.content, row.actor
        ):
            raise VerificationError(
                f"records chain: {where} does not match its hash: its content was changed"
            )
        try:
            content = json.loads(row.content)
        except ValueError:
            content = None
        if row.kind not in RECORD_KINDS or not isinstance(content, dict):
            raise VerificationError(f"records chain: {where} is not a record netfund writes")
        if row.actor is not None and content.get("by") != row.actor:
            raise VerificationError(
                f"records chain: {where} says it is by {content.get('by')!r} but was "
                f"written by {row.actor!r}"
            )
        records.append(
            Record(row.seq, row.kind, content, int(row.transaction_head), row.hash, row.actor)
        )
        last_seq, last_hash = row.seq, row.hash
    if last_seq < head.seq and _partial(connection, partial):
        return records
    if (head.seq, head.hash) != (last_seq, last_hash):
        raise VerificationError(
            f"records chain: it ends at record {last_seq} but its head says record {head.seq}: "
            "records were deleted or the head was altered"
        )
    return records


def _partial(connection: Connection, known: bool | None) -> bool:
    """Whether the login reads the records through the funder policy (holes by design)."""
    return known if known is not None else session_access(connection).funder_only


def records_beyond_head(connection: Connection, head: RecordsHead) -> int | None:
    """The first record after ``head``, if any: written around netfund without moving it."""
    return connection.execute(
        select(ledger_records_table.c.seq)
        .where(ledger_records_table.c.seq > head.seq)
        .order_by(ledger_records_table.c.seq)
        .limit(1)
    ).scalar_one_or_none()


#: A period's lock windows: (closed at, reopened at) chain positions, None while still closed.
LockWindows = dict[str, tuple[tuple[int, int | None], ...]]


@dataclass(frozen=True)
class LockEvent:
    """One close or reopen of a period, as its ``close`` record says.

    Attributes:
        seq: the record's position in the records chain.
        period: the period.
        event: ``close`` or ``reopen`` (records written before issue 16 are closes).
        last_txn_id: the transaction chain's position at the event.
    """

    seq: int
    period: str
    event: str
    last_txn_id: int


def recorded_closes(connection: Connection) -> dict[str, int]:
    """The periods the records say are closed now, each with the chain position it was
    closed at: those whose newest close record is a close, not a reopen.

    Read without re-hashing (every write reads it under the chain lock): a record added
    around netfund can only refuse writes, and `verify` re-hashes the chain.
    """
    columns = ledger_records_table.c
    query = select(columns.seq, columns.kind, columns.content, columns.transaction_head)
    events = []
    for seq, kind, text, head in connection.execute(
        query.where(columns.kind == "close").order_by(columns.seq)
    ):
        try:
            content = json.loads(text)
        except ValueError:
            content = None
        events.append(lock_event(Record(seq, kind, content, head, "")))
    return closed_now(events)


def lock_events(records: list[Record]) -> list[LockEvent]:
    """The close and reopen events of ``records``, in chain order."""
    return [lock_event(r) for r in records if r.kind == "close"]


def closed_now(events: list[LockEvent]) -> dict[str, int]:
    """Each period whose newest event is a close, with the chain position it was closed at."""
    latest: dict[str, LockEvent] = {}
    for event in sorted(events, key=lambda e: e.seq):
        latest[event.period] = event
    return {p: e.last_txn_id for p, e in latest.items() if e.event == "close"}


def lock_windows(events: list[LockEvent]) -> LockWindows:
    """Per period, the chain positions between which nothing may be added to it: from each
    close to the reopen after it (None: closed still). Anything of the period with an id
    above a close's position and at or below the next reopen's was added while it was closed
    (a reopen is recorded before its reversing entries are appended)."""
    windows: dict[str, list[tuple[int, int | None]]] = {}
    for event in sorted(events, key=lambda e: e.seq):
        spans = windows.setdefault(event.period, [])
        if event.event == "close":
            spans.append((event.last_txn_id, None))
        elif spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], event.last_txn_id)
    return {period: tuple(spans) for period, spans in windows.items()}


def locked_at(windows: LockWindows, period: str, txn_id: int) -> bool:
    """Whether transaction ``txn_id`` of ``period`` lies in one of its lock windows."""
    return any(
        txn_id > start and (end is None or txn_id <= end) for start, end in windows.get(period, ())
    )


def lock_event(record: Record) -> LockEvent:
    """A close record's period, event and the chain position it was written at."""
    try:
        content = record.content
        event = str(content.get("event", "close"))
        if event not in ("close", "reopen"):
            raise ValueError(event)
        return LockEvent(record.seq, str(content["period"]), event, int(content["last_txn_id"]))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise VerificationError(
            f"records chain: record {record.seq} (close) is not a record netfund writes"
        ) from None


def utc_now() -> str:
    """UTC now, ISO 8601 to the second: the ``at`` of every record."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def recorded_note(reason: str | None) -> dict[str, str]:
    """What a record that changes the rules keeps beside its content (a close, a reopen, a
    network version): the UTC time and the reason given (`append_record` adds who)."""
    note = {"at": utc_now()}
    if reason:
        note["reason"] = reason.strip()
    return note
