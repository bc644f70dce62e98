"""Speed of `netfund statements`: 100 funders' PDFs, serially and on every core.

Run from the repository root:

    python benchmarks/statements_speed.py [--funders 100] [--groups 20] [--jobs 0] [--json]

It writes a synthetic network (N funders, G groups of which a fifth are overhead, 50,000
inhabitants), a small year of events (per funder a commitment, four receipts, allocations to
five groups, two expenses per allocation and a refund for every tenth funder), imports it
into a fresh SQLite file and times: reading the ledger once, rendering every statement
serially, rendering them with a process pool, the whole `write_statements` (render and
write), and the `netfund statements` command in a fresh process (imports included). It
checks that the serial and parallel PDFs are byte-identical. Not part of the test suite:
timings are measured on demand, never asserted. ``--json`` prints the same figures as one
JSON object instead of the lines (``benchmarks/compare.py`` reads it): funders, groups,
events, cores, jobs, load_before, statements, read_seconds, serial_seconds,
cpu_ms_per_statement, parallel_seconds, identical, write_seconds, cli_seconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.reports.statements import (
    available_cores,
    prepare_statements,
    render_all,
    write_statements,
)

AS_OF = datetime.date(2026, 12, 31)


def write_network(path: Path, funders: int, groups: int) -> None:
    lines = [
        '[network]\nname = "Benchmarknetwerk"\ncurrency = "EUR"\nlanguage = "nl"\n'
        "population = 50000\noverhead_cap = 0.15\n"
    ]
    for number in range(funders):
        lines.append(
            f'[[funders]]\ncode = "F{number:03d}"\nname = "Financier {number:03d}"\n'
            'kind = "municipality"\nframework = "Wmo"\nunspent = "return"\n'
        )
    for number in range(groups):
        overhead = "true" if number < max(1, groups // 5) else "false"
        lines.append(
            f'[[groups]]\ncode = "G{number:03d}"\nname = "Werkgroep {number:03d}"\n'
            f"overhead = {overhead}\n"
        )
    path.write_text("\n".join(lines), encoding="utf-8")


def write_events(path: Path, funders: int, groups: int, seed: int = 11) -> int:
    rng = random.Random(seed)
    rows = ["id,date,type,funder,group,amount,description,reference"]
    for number in range(funders):
        funder = f"F{number:03d}"
        committed = rng.randint(200_000, 2_000_000)
        rows.append(f"c-{funder},2026-01-05,commitment,{funder},,{committed}.00,Toezegging,")
        for quarter in range(4):
            rows.append(
                f"r-{funder}-{quarter},2026-{1 + 3 * quarter:02d}-20,receipt,{funder},,"
                f"{committed // 4}.00,Ontvangst,BANK-{funder}-Q{quarter + 1}"
            )
        chosen = rng.sample(range(groups), 5)
        for group_number in chosen:
            group = f"G{group_number:03d}"
            # Overhead groups (the first fifth) get a fortieth: the network cap (15%) holds.
            allocated = committed // (40 if group_number < max(1, groups // 5) else 8)
            rows.append(
                f"a-{funder}-{group},2026-01-10,allocation,{funder},{group},{allocated}.00,,"
            )
            for half in range(2):
                spent = rng.randint(allocated * 30, allocated * 55)
                rows.append(
                    f"e-{funder}-{group}-{half},2026-{4 + 6 * half:02d}-15,expense,{funder},"
                    f"{group},{spent // 100}.{spent % 100:02d},Uitgave,INV-{funder}-{group}"
                )
        if number % 10 == 0:
            rows.append(f"t-{funder},2026-12-15,refund,{funder},,1000.00,Terugbetaling,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funders", type=int, default=100)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=0, help="0: one per available core")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)
    figures: dict[str, object] = {"funders": args.funders, "groups": args.groups}

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_network(root / "network.toml", args.funders, args.groups)
        events = write_events(root / "events.csv", args.funders, args.groups)
        engine = connect(f"sqlite:///{root / 'ledger.db'}")
        initialize(engine, load_network(root / "network.toml"))
        import_events(engine, root / "events.csv")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        figures.update(
            events=events,
            cores=available_cores(),
            jobs=args.jobs or available_cores(),
            load_before=load,
        )
        say(
            f"network: {args.funders} funders, {args.groups} groups, {events} events; "
            f"{available_cores()} cores available, load average {load:.2f} before the run"
        )

        started = time.perf_counter()
        prepared = prepare_statements(engine, "2026", as_of=AS_OF)
        read_seconds = time.perf_counter() - started
        figures.update(statements=len(prepared.statements), read_seconds=read_seconds)
        say(
            f"read the ledger once and built {len(prepared.statements)} statements' data: "
            f"{read_seconds:.2f} s"
        )

        started, cpu_started = time.perf_counter(), time.process_time()
        serial = list(render_all(prepared.statements, jobs=1))
        serial_seconds = time.perf_counter() - started
        cpu_ms = (time.process_time() - cpu_started) / len(serial) * 1000
        figures.update(serial_seconds=serial_seconds, cpu_ms_per_statement=cpu_ms)
        say(
            f"render serially: {serial_seconds:.2f} s "
            f"({serial_seconds / len(serial) * 1000:.0f} ms per statement, {cpu_ms:.0f} ms of "
            f"it CPU; {sum(map(len, serial)) // len(serial) // 1024} KiB each)"
        )

        started = time.perf_counter()
        parallel = list(render_all(prepared.statements, jobs=args.jobs))
        parallel_seconds = time.perf_counter() - started
        identical = parallel == serial
        figures.update(parallel_seconds=parallel_seconds, identical=identical)
        say(
            f"render with a process pool (jobs={args.jobs or available_cores()}): "
            f"{parallel_seconds:.2f} s; byte-identical to serial: {identical}"
        )

        started = time.perf_counter()
        prepared = prepare_statements(engine, "2026", as_of=AS_OF)
        report = write_statements(prepared, root / "out", jobs=args.jobs)
        total_seconds = time.perf_counter() - started
        figures.update(write_seconds=total_seconds)
        say(
            f"read, render and write all {len(report.statements)} statements: {total_seconds:.2f} s"
        )
        engine.dispose()

        command = [
            sys.executable,
            "-m",
            "netfund.cli",
            "--db",
            f"sqlite:///{root / 'ledger.db'}",
            "statements",
            "--period",
            "2026",
            "--out",
            str(root / "cli"),
            "--as-of",
            AS_OF.isoformat(),
            "--jobs",
            str(args.jobs),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cli_seconds = time.perf_counter() - started
        figures.update(cli_seconds=cli_seconds)
        say(
            f"the command, start to end (python -m netfund.cli statements ...): {cli_seconds:.2f} s"
        )
        if args.json:
            print(json.dumps(figures, indent=1), flush=True)
        if not identical:
            raise SystemExit("the parallel path wrote other bytes than the serial path")


if __name__ == "__main__":
    main()
