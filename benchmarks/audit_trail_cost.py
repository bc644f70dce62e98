"""What the audit trail costs `verify`, and what `netfund log` costs, on a ledger of any size.

Usage (a ledger made with `benchmarks/generate.py` and `netfund import`; docs/BENCHMARKS.md):

    .venv/bin/python benchmarks/audit_trail_cost.py sqlite:///b.db [--runs 5]

Prints `verify` in one process with the trail's check switched off (what verify did before
issue 17) and on, the check alone (`verification/trail.py`, in a read transaction of its
own) and `audit_trail` (what `netfund log` reads), each the median of ``--runs``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from netfund.ledger import audit_trail
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.records import verified_records
from netfund.ledger.store.schema import transactions_table
from netfund.ledger.verification import chain
from netfund.ledger.verification.trail import check_trail
from sqlalchemy import Engine, func, select


def _median(runs: int, work: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def _trail_alone(engine: Engine) -> None:
    with reading(engine) as connection:
        records = verified_records(connection)
        last = connection.execute(select(func.max(transactions_table.c.id))).scalar() or 0
        check_trail(connection, records, last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    engine = connect(arguments.url)
    real = chain.check_trail
    try:
        for label, check in (("without the trail check", lambda *_: None), ("with it", real)):
            chain.check_trail = check  # type: ignore[assignment]
            median, times = _median(arguments.runs, lambda: chain.verify(engine, workers=1))
            print(f"verify, one process, {label}: {median:.3f} s {[round(t, 3) for t in times]}")
    finally:
        chain.check_trail = real
    median, _ = _median(arguments.runs, lambda: _trail_alone(engine))
    print(f"the trail check alone (re-hashing the records not counted): {median * 1000:.0f} ms")
    median, _ = _median(arguments.runs, lambda: audit_trail(engine))
    print(f"audit_trail ({len(audit_trail(engine))} entries): {median * 1000:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
