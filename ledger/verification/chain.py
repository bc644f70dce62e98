"""Re-performing the hash chain: does the stored ledger still say what was written?

`verify` reads every transaction in chain order with its postings, recomputes each hash from
the previous one and the canonical content (the same function the writer used), re-checks
that each transaction balances per fund, that the ids run without gaps, that the chain head
matches the newest transaction, that nothing was added to a closed period after it was
closed, and that the balance totals equal the sums of the postings (`balance_totals.py`). It
names the first transaction that does not match. Before the transactions it re-hashes the
records chain and holds the network tables, the allocation runs and the closed periods to it
(`records.py`); after them it holds the transactions and the exports log to the audit trail
the records make (`trail.py`: every write names its actor and is in one write record).
Reads are streamed in batches, so memory stays flat.

A chain that is consistent on its own can still have been cut short or rewritten and
re-hashed by someone who can write the database. So the verified chain is then held to what
was recorded outside it (`anchors.py`): the checkpoint file beside the database, the anchors
the caller hands in (copies of checkpoint files, statements' fingerprints) and the exports
log; and the database runs its own integrity check (`integrity.py`), which finds a damaged
index that lets an id be stored twice.

A large chain is cut into ranges of ids checked in parallel processes (`verify_pool.py`), each
range from the stored hash of the transaction before it (`ranges.py`). The ranges are
joined here in chain order: each must start from the hash the range before it recomputed last,
and the first range with an error gives the error, so the report is the one a single pass
gives. The newest id is pinned once, in this process's snapshot, so every worker checks the
same rows. Small ledgers, in-memory databases and one-CPU machines use one pass in-process:
starting a worker costs more than it saves there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.checkpoints import Head
from netfund.ledger.store.database import checkpoints_of, in_memory, reading, require_schema
from netfund.ledger.store.post import standing
from netfund.ledger.store.records import LockWindows
from netfund.ledger.store.schema import (
    chain_head_table,
    postings_table,
    transactions_table,
)
from netfund.ledger.store.totals import Totals, check_balance_totals
from netfund.ledger.verification import integrity
from netfund.ledger.verification.anchors import (
    Anchor,
    check_anchors,
    exports_anchors,
    read_checkpoints,
)
from netfund.ledger.verification.ranges import RangeResult, check_range
from netfund.ledger.verification.records import check_records
from netfund.ledger.verification.trail import TrailReport, check_trail
from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.engine import URL

#: Below this many transactions one process is as fast: starting the workers costs about
#: 0.3 s, and a machine busy with other work gives the second worker only part of a core.
#: Measured on 2 CPUs under load 1.7: 50,000 took 0.76 s in one process and 0.70 s in two;
#: 100,000 took 1.55 s and 1.1-2.0 s; 1,000,000 took 15.3 s of CPU in one.
PARALLEL_MIN_TRANSACTIONS = 100_000
#: Ranges per worker: more, smaller ranges even out a worker slowed by other load.
RANGES_PER_WORKER = 4
#: Never more processes than this, however many CPUs: the database reads do not scale on.
MAX_WORKERS = 8


@dataclass(frozen=True)
class VerifyReport:
    """A chain that verified.

    Attributes:
        transactions: how many transactions.
        postings: how many postings.
        head_hash: the newest transaction's hash (the fingerprint).
        anchors: how many anchors it held to (checkpoint lines, exports, statements).
        checkpoints: the checkpoint file the engine's writes append to, or None.
        checkpoints_found: whether that file existed (so was checked).
        unreadable: ``file:line`` of each line of that file that is not a checkpoint.
    """

    transactions: int
    postings: int
    head_hash: str
    #: The records chain (network versions, allocation runs, closes): how many, newest hash.
    records: int = 0
    records_hash: str = GENESIS_HASH
    anchors: int = 0
    checkpoints: str | None = None
    checkpoints_found: bool = False
    unreadable: tuple[str, ...] = ()
    #: The audit trail: the write records that cover the transactions, the export records.
    trail: TrailReport | None = None


def verify(
    engine: Engine,
    *,
    anchors: Sequence[Anchor] = (),
    workers: int | None = None,
    ranges: int | None = None,
) -> VerifyReport:
    """Verify the whole ledger; raise `VerificationError` naming the first mismatch.

    The chain is held to ``anchors``, to every line of the engine's checkpoint file if it
    exists (a file that cannot be read is an `InputError`) and to the exports log.
    ``workers`` and ``ranges`` override the automatic choice (tests force the parallel path
    on a small ledger with them); ``ranges`` with one worker checks the ranges one after the
    other in this process. An in-memory SQLite database is always checked in-process. With
    more than one worker the ranges run in other processes, which import the calling script
    as multiprocessing does: a script must guard its top level with
    ``if __name__ == "__main__":``.
    """
    checkpoints = checkpoints_of(engine)
    found = checkpoints is not None and checkpoints.exists()
    # Read first: a file that cannot be read is bad input, reported before the long part.
    recorded = read_checkpoints(checkpoints) if checkpoints is not None and found else None
    recorded_anchors = recorded.anchors if recorded else ()
    unreadable = tuple(f"{recorded.path}:{n}" for n in recorded.unreadable) if recorded else ()
    with integrity.running(engine) as integrity_checked, reading(engine) as connection:
        require_schema(connection, str(engine.url))
        # The documents that decide money first (a few hundred records): the closed periods
        # the chain is checked against are the recorded ones, which the table must match.
        records = check_records(connection)
        closed = records.closed
        head = connection.execute(select(chain_head_table)).one_or_none()
        newest = connection.execute(select(func.max(transactions_table.c.id))).scalar()
        count = _worker_count(engine.url, newest, workers)
        if type(newest) is not int or (count == 1 and (ranges or 1) == 1):
            results = [check_range(connection, 1, None, closed, final=True)]
        elif count == 1:
            results = _check_in_process(connection, range_bounds(newest, ranges or 1), closed)
        else:
            from netfund.ledger.verification.pool import check_ranges_in_processes

            url = engine.url.render_as_string(hide_password=False)
            bounds = range_bounds(newest, ranges or count * RANGES_PER_WORKER)
            results = check_ranges_in_processes(url, bounds, closed, min(count, len(bounds)))
        last_id, last_hash, posting_count, closing = _join(results)
        _check_end(connection, head, last_id, last_hash)
        check_balance_totals(connection, _added_totals(results))
        unlocked = sorted(closing - set(closed))
        if unlocked:
            raise VerificationError(
                f"period {unlocked[0]} has closing entries in the chain but is not locked: "
                "its row in closed_periods and its close record were deleted"
            )
        _check_reopened(connection, closed)
        integrity_checked(connection)
        held = check_anchors(
            connection,
            {
                "transactions": Head(last_id, last_hash),
                "records": Head(records.head.seq, records.head.hash),
            },
            [*exports_anchors(connection), *recorded_anchors, *anchors],
        )
        # Last: the database's own findings (an id stored twice) and the anchors' (a chain cut
        # or rewritten) say more about what happened than "in no write record" would.
        trail = check_trail(connection, records.records, last_id)
        return VerifyReport(
            transactions=last_id,
            postings=posting_count,
            head_hash=last_hash,
            records=records.head.seq,
            records_hash=records.head.hash,
            anchors=held,
            checkpoints=None if checkpoints is None else str(checkpoints),
            checkpoints_found=found,
            unreadable=unreadable,
            trail=trail,
        )


def _check_reopened(connection: Connection, closed: LockWindows) -> None:
    """A period open again after a close must have had its closing entries reversed: a reopen
    record written around netfund, without them, would otherwise unlock a settled year."""
    reopened = sorted(period for period, spans in closed.items() if spans[-1][1] is not None)
    if not reopened:
        return
    t = transactions_table.c
    left = connection.execute(
        select(t.period, t.external_id)
        .where(t.period.in_(reopened), t.type == "close", standing())
        .order_by(t.id)
        .limit(1)
    ).one_or_none()
    if left is not None:
        raise VerificationError(
            f"period {left.period} is reopened but its closing entry {left.external_id!r} "
            "is not reversed: the reopen was written around netfund"
        )


def _check_in_process(
    connection: Connection, bounds: Sequence[tuple[int, int]], closed: LockWindows
) -> list[RangeResult]:
    """Ranges checked one after the other in this snapshot, up to the first with an error:
    the parallel path's joins without its processes."""
    results: list[RangeResult] = []
    for index, (first, last) in enumerate(bounds):
        results.append(check_range(connection, first, last, closed, final=index == len(bounds) - 1))
        if results[-1].error is not None:
            break
    return results


def _join(results: Sequence[RangeResult]) -> tuple[int, str, int, set[str]]:
    """The chain the ranges prove together: (newest id, its hash, postings, closing periods).

    Raises the first range's error, in chain order. A range must start where the one before
    it ended, from the hash that one recomputed; a range that verified nothing (the chain
    ended before it) adds nothing.
    """
    last_id, last_hash, postings, closing = 0, GENESIS_HASH, 0, set()
    for result in results:
        if result.error is not None:
            raise VerificationError(result.error)
        if result.last_id < result.first:
            continue
        if result.first != last_id + 1 or result.start_hash != last_hash:
            raise VerificationError(
                f"transaction {result.first}: its link to the previous transaction does not "
                "match (the chain changed while it was verified)"
            )
        last_id, postings = result.last_id, postings + result.postings
        last_hash = result.end_hash or ""
        closing |= result.closing_periods
    return last_id, last_hash, postings, closing


def _check_end(connection: Connection, head: Row[Any] | None, last_id: int, last_hash: str) -> None:
    """What only the whole chain shows: stray postings after it, and its head."""
    p = postings_table.c
    stray = connection.execute(
        select(p.txn_id).where(p.txn_id > last_id).limit(1)
    ).scalar_one_or_none()
    if stray is not None:
        raise VerificationError(f"postings of transaction {stray} belong to no transaction")
    if head is None or head.last_txn_id != last_id or head.last_hash != last_hash:
        newest = f"transaction {last_id}" if last_id else "an empty chain"
        raise VerificationError(
            f"the chain ends at {newest} but the recorded head is transaction "
            f"{head.last_txn_id if head else '(missing)'}: transactions were deleted "
            "or the head was altered"
        )


def _added_totals(results: Sequence[RangeResult]) -> Totals:
    """The ranges' debits and credits added up: the totals of the whole chain."""
    totals: Totals = {}
    for result in results:
        for period, lines in result.totals.items():
            into = totals.setdefault(period, {})
            for key, (debits, credits) in lines.items():
                sums = into.setdefault(key, [0, 0])
                sums[0] += debits
                sums[1] += credits
    return totals


def _worker_count(url: URL, newest: object, requested: int | None) -> int:
    """Processes to verify with: 1 unless the chain is long enough to pay for starting them."""
    if url.get_backend_name() == "sqlite" and in_memory(url):
        return 1  # another process would open a different, empty database
    if requested is not None:
        return max(1, requested)
    if type(newest) is not int or newest < PARALLEL_MIN_TRANSACTIONS:
        return 1
    return max(1, min(_usable_cpus(), MAX_WORKERS))


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def range_bounds(newest: int, ranges: int) -> list[tuple[int, int]]:
    """``ranges`` runs of ids of (nearly) equal length covering 1..newest, in order."""
    count = max(1, min(ranges, newest))
    edges = [newest * index // count for index in range(count + 1)]
    return [(edges[index] + 1, edges[index + 1]) for index in range(count)]
