"""Where one `netfund import` spends its time: the main thread against the writer thread.

Run from the repository root, in the venv netfund is installed in:

    .venv/bin/python benchmarks/import_split.py --events 100000 [--writer-off] \
        [--switch-interval SECONDS] [--data FOLDER]

It writes a year with `generate.py`, initialises a fresh SQLite ledger and imports events.csv
in this process, timing the whole import, the CPU time of the main thread (reading, checking,
booking, hashing: `time.thread_time()` around the batch path) and the wall time the writer
thread spends in its inserts (`Appender._write`). ``--writer-off`` replaces the inserts by
nothing, so the main thread's own cost shows (nothing is stored then). ``--switch-interval``
sets how soon a thread waiting for the GIL gets it while the writer runs (the writer's own
choice, `writer.WRITER_SWITCH_INTERVAL`, unless given; 0.005 is CPython's default, what the
import had before). ``--data`` imports a folder `generate.py` wrote instead of writing one
(a 1M year takes 20 s to write).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import generate
from netfund.ledger import event_batches, importer
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store import writer
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--writer-off", action="store_true")
    parser.add_argument("--switch-interval", type=float)
    parser.add_argument("--data", type=Path)
    arguments = parser.parse_args(argv)
    if arguments.switch_interval is not None:
        writer.WRITER_SWITCH_INTERVAL = arguments.switch_interval
    figures = {"main_cpu": 0.0, "writer_wall": 0.0, "writer_cpu": 0.0}
    run, write = event_batches._Batches.run, writer.Appender._write

    def timed_run(self: event_batches._Batches, on_progress: object) -> None:
        started = time.thread_time()
        try:
            run(self, on_progress)  # type: ignore[arg-type]
        finally:
            figures["main_cpu"] += time.thread_time() - started

    def timed_write(self: writer.Appender, *rows: object) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        if not arguments.writer_off:
            write(self, *rows)  # type: ignore[arg-type]
        figures["writer_wall"] += time.perf_counter() - started
        figures["writer_cpu"] += time.thread_time() - cpu

    event_batches._Batches.run = timed_run  # type: ignore[method-assign]
    writer.Appender._write = timed_write  # type: ignore[method-assign]
    if arguments.writer_off:
        writer.Appender._move_head = lambda self, *_: None  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="netfund-split-") as work:
        data = arguments.data or Path(work) / "data"
        if arguments.data is None:
            generate.main(["--events", str(arguments.events), "--out", str(data)])
        engine = connect(f"sqlite:///{Path(work) / 'ledger.db'}")
        initialize(engine, load_network(data / "network.toml"))
        started = time.perf_counter()
        try:
            report = importer.import_events(engine, data / "events.csv")
        finally:
            engine.dispose()
        seconds = time.perf_counter() - started
        stored = "nothing stored (--writer-off)" if arguments.writer_off else "stored"
        print(f"{report.posted:,} transactions hashed, {stored}; fingerprint {report.head_hash}")
        print(
            f"import {seconds:.2f} s, main thread {figures['main_cpu']:.2f} s of CPU, "
            f"writer {figures['writer_wall']:.2f} s wall ({figures['writer_cpu']:.2f} s of CPU)"
        )


if __name__ == "__main__":
    main()
