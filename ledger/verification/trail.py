"""Verifying the audit trail: every write names its actor and is in the records chain.

The trail is the records chain (`ledger/audit.py`), which `records.py` re-hashes. What a
re-hash cannot see is a row that names no actor at all: on SQLite nothing in the database
sets the actor, so a transaction or record inserted around netfund with a correct hash and no
actor would verify as one written before identities were recorded (migration 0010). And a
transaction appended around netfund with an actor, hash and chain head all correct would be
in no write record. So `check_trail` holds, after the transaction chain verified:

- records: once one names an actor, every later one does;
- transactions: once one names an actor, every later one does; from the first such
  transaction to the head, each lies in exactly one ``write`` record's range (the ranges run
  on without gap or overlap, in chain order, each as long as its ``posted`` says and ending at
  its record's ``transaction_head``) whose actor is the transaction's;
- exports: each ``export`` record matches its row in the exports log, and every row taken
  after the first export record or after the first transaction that names an actor has one.

The transactions are never read a row per transaction in Python: one GROUP BY per actor
gives each one's first and last id and count, and when every actor's transactions fill the
ids between its first and last (one person's ledger) those are the runs of one actor; else
one window query returns only the ids where the actor changes (a few rows per run of writes
by one person). Either is one scan of the transactions' ids and actors.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.records import Record
from netfund.ledger.store.schema import exports_table, transactions_table
from sqlalchemy import Connection, func, or_, select

#: The columns of an exports row an ``export`` record holds: (record key, column).
EXPORT_FIELDS = (
    ("kind", "kind"),
    ("format", "format"),
    ("period", "period"),
    ("path", "path"),
    ("rows", "row_count"),
    ("fingerprint", "fingerprint"),
    ("file_sha256", "file_sha256"),
    ("at", "created_at"),
)


@dataclass(frozen=True)
class TrailReport:
    """An audit trail that verified.

    Attributes:
        writes: ``write`` records (every write through the one writing path since 0010).
        first_covered: the first transaction that names its actor (None: none does).
        covered: transactions from it to the head, each in one write record.
        unattributed: transactions before it (written before identities were recorded).
        exports: ``export`` records, each matching its row of the exports log.
    """

    writes: int
    first_covered: int | None
    covered: int
    unattributed: int
    exports: int


@dataclass(frozen=True)
class _Write:
    seq: int
    actor: str | None
    action: str
    first: int
    last: int


def check_trail(connection: Connection, records: Sequence[Record], last_id: int) -> TrailReport:
    """Hold the transactions up to ``last_id`` (the verified chain's end) and the exports log
    to the verified ``records``; raise `VerificationError` on the first difference."""
    _check_record_actors(records)
    writes = _write_ranges(records)
    starts, actors = _actor_changes(connection, last_id)
    first_covered = _check_transaction_actors(starts, actors)
    _check_coverage(writes, starts, actors, first_covered, last_id)
    exports = _check_exports(connection, records, first_covered)
    covered = 0 if first_covered is None else last_id - first_covered + 1
    return TrailReport(
        writes=sum(1 for record in records if record.kind == "write"),
        first_covered=first_covered,
        covered=covered,
        unattributed=last_id - covered,
        exports=exports,
    )


def _check_record_actors(records: Sequence[Record]) -> None:
    named: Record | None = None
    for record in records:
        if record.actor is not None:
            named = named or record
        elif named is not None:
            raise VerificationError(
                f"audit trail: record {record.seq} ({record.kind}) names no actor, but record "
                f"{named.seq} before it does ({named.actor}): it was written around netfund"
            )


def _write_ranges(records: Sequence[Record]) -> list[_Write]:
    """The transaction ranges of the write records, in chain order, each checked on its own
    and against the one before it."""
    writes: list[_Write] = []
    for record in records:
        if record.kind != "write":
            continue
        content = record.content
        where = f"audit trail: write record {record.seq}"
        posted, first, last = (content.get(key) for key in ("posted", "first_txn", "last_txn"))
        if not isinstance(posted, int) or posted < 0 or not isinstance(content.get("action"), str):
            raise VerificationError(f"{where} is not a record netfund writes")
        if posted == 0:
            if first is not None or last is not None:
                raise VerificationError(f"{where} posted nothing but names transactions")
            continue
        if not isinstance(first, int) or not isinstance(last, int) or last - first + 1 != posted:
            raise VerificationError(
                f"{where} says it posted {posted} transactions but names {first}-{last}"
            )
        if record.transaction_head != last:
            raise VerificationError(
                f"{where} ends at transaction {last} but was written at transaction "
                f"{record.transaction_head}"
            )
        if writes and first != writes[-1].last + 1:
            before = writes[-1]
            raise VerificationError(
                f"{where} ({content['action']}) names transactions {first}-{last}, but the "
                f"write before it (record {before.seq}) ended at {before.last}: "
                + ("they overlap" if first <= before.last else "transactions between are in none")
            )
        writes.append(_Write(record.seq, record.actor, content["action"], first, last))
    return writes


def _actor_changes(connection: Connection, last_id: int) -> tuple[list[int], list[str | None]]:
    """The ids up to ``last_id`` where the actor differs from the transaction before, with
    that actor (the first transaction always): runs of one actor, in one query."""
    t = transactions_table.c
    # First the cheap way (a GROUP BY, a third of the window's time): when each actor's
    # transactions fill the ids between its first and last (one person's ledger, or people
    # who never took turns), those blocks are the runs. Ids run 1..last_id without a gap
    # (the chain check proved it), so a block whose count is its width holds no other id.
    blocks = connection.execute(
        select(t.actor, func.min(t.id), func.max(t.id), func.count())
        .where(t.id <= last_id)
        .group_by(t.actor)
    ).all()
    if all(count == last - first + 1 for _, first, last, count in blocks):
        ordered = sorted(blocks, key=lambda block: block[1])
        return [int(block[1]) for block in ordered], [block[0] for block in ordered]
    before = func.lag(t.actor).over(order_by=t.id).label("before")
    changes = select(t.id, t.actor, before).where(t.id <= last_id).subquery()
    c = changes.c
    rows = connection.execute(
        select(c.id, c.actor)
        .where(or_(c.id == 1, c.actor.is_distinct_from(c.before)))
        .order_by(c.id)
    ).all()
    return [int(row.id) for row in rows], [row.actor for row in rows]


def _check_transaction_actors(starts: list[int], actors: list[str | None]) -> int | None:
    """The first transaction that names an actor; none after it may name none."""
    first: int | None = None
    for start, actor in zip(starts, actors, strict=True):
        if actor is not None:
            first = start if first is None else first
        elif first is not None:
            raise VerificationError(
                f"audit trail: transaction {start} names no actor, but transaction {first} "
                "before it does: it was written around netfund"
            )
    return first


def _check_coverage(
    writes: list[_Write],
    starts: list[int],
    actors: list[str | None],
    first_covered: int | None,
    last_id: int,
) -> None:
    """Transactions first_covered..last_id are exactly the write ranges, each run by its
    write's actor."""
    if first_covered is None:
        if writes:
            write = writes[0]
            raise VerificationError(
                f"audit trail: write record {write.seq} names transactions "
                f"{write.first}-{write.last}, but no transaction names an actor"
            )
        return
    if not writes or writes[0].first != first_covered:
        raise VerificationError(
            f"audit trail: transaction {first_covered} names its actor but "
            + (
                "no write record names it: it was written around netfund"
                if not writes or writes[0].first > first_covered
                else f"write record {writes[0].seq} starts before it, at {writes[0].first}"
            )
        )
    if writes[-1].last != last_id:
        missing = writes[-1].last + 1
        raise VerificationError(
            f"audit trail: transaction {missing} is in no write record: it was written around "
            "netfund"
            if writes[-1].last < last_id
            else f"audit trail: write record {writes[-1].seq} names transactions up to "
            f"{writes[-1].last}, beyond the chain's end at {last_id}"
        )
    for write in writes:
        run = bisect.bisect_right(starts, write.first) - 1
        end = starts[run + 1] - 1 if run + 1 < len(starts) else last_id
        if actors[run] != write.actor or end < write.last:
            odd = write.first if actors[run] != write.actor else end + 1
            found = actors[run] if actors[run] != write.actor else actors[run + 1]
            raise VerificationError(
                f"audit trail: transaction {odd} names {found!r} as its actor, but write "
                f"record {write.seq} ({write.action}, transactions {write.first}-{write.last}) "
                f"was written by {write.actor!r}"
            )


def _check_exports(
    connection: Connection, records: Sequence[Record], first_covered: int | None
) -> int:
    """Each export record against its exports row; every row that needs a record has one."""
    e = exports_table.c
    rows = {
        int(row.id): row._mapping
        for row in connection.execute(select(exports_table).order_by(e.id))
    }
    recorded: dict[int, Record] = {}
    for record in records:
        if record.kind != "export":
            continue
        number = record.content.get("export")
        if not isinstance(number, int):
            raise VerificationError(
                f"audit trail: record {record.seq} (export) is not a record netfund writes"
            )
        if number in recorded:
            raise VerificationError(
                f"audit trail: export {number} has two records ({recorded[number].seq} and "
                f"{record.seq})"
            )
        recorded[number] = record
        row = rows.get(number)
        if row is None:
            raise VerificationError(
                f"audit trail: export {number} (record {record.seq}) is not in the exports "
                "log: its row was deleted"
            )
        difference = _export_difference(row, record.content)
        if difference:
            raise VerificationError(
                f"audit trail: export {number} {difference} in the exports log, "
                f"{_recorded(record, difference)}"
            )
    first_recorded = min(recorded, default=None)
    for number, row in rows.items():
        if number in recorded:
            continue
        after_records = first_recorded is not None and number > first_recorded
        after_actors = first_covered is not None and int(row["last_txn_id"]) >= first_covered
        if after_records or after_actors:
            raise VerificationError(
                f"audit trail: export {number} in the exports log ({row['kind']}, "
                f"{row['created_at']}) has no export record: it was written around netfund"
            )
    return len(recorded)


def _export_difference(row: Any, content: dict[str, Any]) -> str | None:
    for key, column in EXPORT_FIELDS:
        if row[column] != content.get(key):
            return f"{column} is {row[column]!r}"
    return None


def _recorded(record: Record, difference: str) -> str:
    column = difference.split(" ", 1)[0]
    key = next(key for key, name in EXPORT_FIELDS if name == column)
    return f"{record.content.get(key)!r} in record {record.seq}"
