"""What SQLite's `synchronous` setting costs netfund's writes: one bulk import, many small ones.

Run from the repository root (issue 15; results in docs/BENCHMARKS.md):

    python benchmarks/commit_cost.py --events 100000 --small 200 --runs 3

For each setting (NORMAL, what netfund ran before, and FULL, what it runs now) and each run:
a fresh SQLite file, one import of N expense events (one commit), then ``--small`` imports of
one event each (one commit each, where the sync at every commit shows). netfund's engine is
used as it is, with only the `synchronous` pragma set again after netfund's own. Timings are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from import_speed import write_events, write_network

SETTINGS = ("NORMAL", "FULL")


def engine_with(url: str, synchronous: str) -> Engine:
    engine = connect(url)

    @event.listens_for(engine, "connect")
    def _set(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous = {synchronous}")

    return engine


def one_run(folder: Path, synchronous: str, events: Path, small: int) -> tuple[float, float]:
    """Seconds of the bulk import and of all the small imports."""
    database = folder / f"{synchronous}.db"
    for leftover in folder.glob(f"{synchronous}.db*"):
        leftover.unlink()
    engine = engine_with(f"sqlite:///{database}", synchronous)
    try:
        initialize(engine, load_network(folder / "network.toml"))
        started = time.perf_counter()
        import_events(engine, events)
        bulk = time.perf_counter() - started
        singles = []
        for number in range(small):
            path = folder / f"single-{number}.csv"
            path.write_text(
                "id,date,type,funder,group,amount,description,reference\n"
                f"s{number},2026-06-01,expense,,WG-10,1.00,small {number},\n",
                encoding="utf-8",
            )
            singles.append(path)
        started = time.perf_counter()
        for path in singles:
            import_events(engine, path)
        return bulk, time.perf_counter() - started
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_network(folder / "network.toml")
        write_events(folder / "events.csv", arguments.events)
        results: dict[str, list[tuple[float, float]]] = {setting: [] for setting in SETTINGS}
        for _ in range(arguments.runs):
            for setting in SETTINGS:  # alternating, so a busy moment hits both
                results[setting].append(
                    one_run(folder, setting, folder / "events.csv", arguments.small)
                )
        for setting, runs in results.items():
            bulk = [run[0] for run in runs]
            small = [run[1] * 1000 / arguments.small for run in runs]
            print(
                f"synchronous={setting}: import of {arguments.events} expenses "
                f"{', '.join(f'{value:.2f}' for value in bulk)} s "
                f"(median {statistics.median(bulk):.2f}); one-event import "
                f"{', '.join(f'{value:.1f}' for value in small)} ms each "
                f"(median {statistics.median(small):.1f})"
            )


if __name__ == "__main__":
    main()
