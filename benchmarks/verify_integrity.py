"""What the database's integrity check costs `verify`: N expenses, verify with and without it.

Run from the repository root:

    python benchmarks/verify_integrity.py --events 100000 [--runs 3] [--folder DIR]

It imports N unattributed expenses (benchmarks/import_speed.py's network and events) into a
SQLite file in DIR (kept there, and reused by the next run with the same N), then times
`verify` with the integrity check and without it (the check replaced by nothing), alternating,
``--runs`` times each, and SQLite's `PRAGMA integrity_check` and the duplicate-id count on
their own. Not part of the test suite: timings are measured on demand, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path
from types import ModuleType

from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification import chain, integrity

HERE = Path(__file__).resolve().parent


def _import_speed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_speed", HERE / "import_speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(folder: Path, events: int) -> str:
    """The ledger of ``events`` expenses in ``folder``, imported unless it is there already."""
    database = folder / f"verify-{events}.db"
    url = f"sqlite:///{database}"
    if not database.exists():
        source = _import_speed()
        source.write_network(folder / "network.toml")
        source.write_events(folder / "events.csv", events)
        engine = connect(url)
        initialize(engine, load_network(folder / "network.toml"))
        started = time.perf_counter()
        import_events(engine, folder / "events.csv")
        print(f"imported {events} expenses in {time.perf_counter() - started:.1f} s")
        engine.dispose()
    return url


def measure(url: str, runs: int) -> None:
    checked = integrity.check_integrity
    seconds: dict[str, list[float]] = {"with the integrity check": [], "without": []}
    for _ in range(runs):
        for label, times in seconds.items():
            skipped = label == "without"
            integrity.check_integrity = (lambda _connection: None) if skipped else checked
            engine = connect(url)
            started = time.perf_counter()
            chain.verify(engine)
            times.append(time.perf_counter() - started)
            engine.dispose()
            print(f"verify {label}: {times[-1]:.2f} s")
    integrity.check_integrity = checked
    for label, times in seconds.items():
        print(f"verify {label}: median {statistics.median(times):.2f} s of {len(times)}")
    engine = connect(url)
    with reading(engine) as connection:
        for label, part in (
            ("PRAGMA integrity_check alone", integrity.sqlite_problems),
            ("duplicate external ids alone", integrity.duplicate_ids),
        ):
            started = time.perf_counter()
            part(connection)
            print(f"{label}: {time.perf_counter() - started:.2f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="where the ledger is kept (default: temporary)")
    arguments = parser.parse_args()
    if arguments.folder is not None:
        arguments.folder.mkdir(parents=True, exist_ok=True)
        measure(build(arguments.folder, arguments.events), arguments.runs)
        return
    with tempfile.TemporaryDirectory() as folder:
        measure(build(Path(folder), arguments.events), arguments.runs)


if __name__ == "__main__":
    main()
