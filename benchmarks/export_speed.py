"""Export speed and memory: the journal of a large ledger as CSV and as Parquet.

Run from the repository root:

    python benchmarks/export_speed.py --transactions 1000000 [--repeat 3]

It builds (once) a SQLite ledger with the import benchmark's generator (`import_speed.py`:
5 funders, 40 groups, N unattributed expenses of six postings each) in a file under
``/tmp/netfund-export-bench/`` and reuses it on later runs (importing a million events takes
minutes). Each export runs the real command, ``python -m netfund.cli export journal``, as a
child process; the time is its wall clock and the peak memory its ``ru_maxrss`` from
`os.wait4` (that child alone). Goals (issue 5): CSV <= 10 s, Parquet <= 5 s, peak RSS
<= 500 MB. Not part of the test suite: timings are measured on demand, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_speed import write_events, write_network
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize

GOALS = {"csv": (10.0, 500), "parquet": (5.0, 500)}  # seconds, MB


def ledger_file(folder: Path, transactions: int) -> Path:
    """The benchmark ledger of ``transactions`` expenses, built once and then reused."""
    database = folder / f"ledger-{transactions}.db"
    if not database.exists():
        folder.mkdir(parents=True, exist_ok=True)
        network, events = folder / "network.toml", folder / f"events-{transactions}.csv"
        write_network(network)
        write_events(events, transactions)
        building = folder / f"building-{transactions}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        engine = connect(f"sqlite:///{building}")
        initialize(engine, load_network(network))
        started = time.perf_counter()
        report = import_events(engine, events)
        engine.dispose()
        print(
            f"built {database.name}: {report.posted} transactions in "
            f"{time.perf_counter() - started:.0f} s"
        )
        building.rename(database)
    # An older file gets the newest schema (the exports table) before it is measured.
    engine = connect(f"sqlite:///{database}")
    initialize(engine)
    engine.dispose()
    return database


def measure(database: Path, file_format: str, out: Path) -> tuple[float, float, int]:
    """Run one export as a child process; return its wall time, CPU time and peak RSS (MB).

    The CPU time (user + system, both threads) is reported beside the wall clock because the
    machine is shared: when others load it, the wall clock grows, the CPU time much less.
    """
    arguments = [
        sys.executable,
        "-m",
        "netfund.cli",
        "--db",
        f"sqlite:///{database}",
        *("export", "journal", "--format", file_format, "--out", str(out)),
    ]
    started = time.perf_counter()
    pid = os.spawnv(os.P_NOWAIT, sys.executable, arguments)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the {file_format} export failed")
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return seconds, cpu_seconds, usage.ru_maxrss // 1024  # Linux reports kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per format; the best counts")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/netfund-export-bench"))
    arguments = parser.parse_args()
    database = ledger_file(arguments.folder, arguments.transactions)
    for file_format in ("csv", "parquet"):
        out = arguments.folder / f"journal-{arguments.transactions}.{file_format}"
        load = os.getloadavg()[0]  # others' work on the machine, for the record
        runs = [measure(database, file_format, out) for _ in range(max(1, arguments.repeat))]
        seconds = min(run[0] for run in runs)
        cpu_seconds = min(run[1] for run in runs)
        peak = max(run[2] for run in runs)
        goal_seconds, goal_mb = GOALS[file_format]
        verdict = "met" if seconds <= goal_seconds and peak <= goal_mb else "NOT met"
        print(
            f"{file_format}: {arguments.transactions} expenses, {out.stat().st_size / 1e6:.0f} MB "
            f"file, best of {len(runs)}: {seconds:.1f} s (runs: "
            f"{', '.join(f'{run[0]:.1f}' for run in runs)}), CPU {cpu_seconds:.1f} s, "
            f"peak RSS {peak} MB; load average at start {load:.1f}; goal "
            f"<= {goal_seconds:.0f} s and <= {goal_mb} MB: {verdict}"
        )
        out.unlink()


if __name__ == "__main__":
    main()
