"""Verifying ranges of the chain in worker processes, one engine per process.

An engine (its pooled connections, a PostgreSQL socket) must never be shared across a fork,
so no worker is forked from the verifying process: they come from a fork server, a clean
process that has only imported this module, or, where there is none, are spawned. Each range
gets its own engine from the URL and reads in its own snapshot (`reading`), limited to ids
the parent pinned, which never change: the chain is append-only.

The fork server has imported SQLAlchemy and the ledger once; a spawned worker imports them
itself, about 0.45 s of CPU each, which is most of the cost of a parallel verify of 100,000
transactions.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext

from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.records import LockWindows
from netfund.ledger.verification.ranges import RangeResult, check_range


def check_ranges_in_processes(
    url: str, bounds: Sequence[tuple[int, int]], closed: LockWindows, workers: int
) -> list[RangeResult]:
    """The results of ``bounds`` (``(first, last)`` in chain order) checked by ``workers``
    processes, in chain order, up to and including the first range with an error: what a
    later range found no longer matters, so its pending work is cancelled."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    futures: list[Future[RangeResult]] = []
    results: list[RangeResult] = []
    try:
        for index, (first, last) in enumerate(bounds):
            final = index == len(bounds) - 1
            futures.append(pool.submit(_check_range_at, url, first, last, dict(closed), final))
        for future in futures:
            results.append(future.result())
            if results[-1].error is not None:
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _context() -> BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Only takes effect when this starts the fork server; one already running serves too.
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _check_range_at(
    url: str, first: int, last: int, closed: LockWindows, final: bool
) -> RangeResult:
    engine = connect(url)
    try:
        with reading(engine) as connection:
            return check_range(connection, first, last, closed, final=final)
    finally:
        engine.dispose()
