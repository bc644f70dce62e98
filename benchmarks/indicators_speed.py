"""What the indicators beside the money cost (issue 20): the import of measurements, and what
reading them adds to `netfund status`, `netfund indicators` and one funder's statement.

Run from the repository root:

    python benchmarks/indicators_speed.py [--every 1] [--years 1] [--runs 3] [--json]

It runs `netfund demo` once into a temporary folder (the example year: 5 indicators, 21
indicator-group pairs), then writes an indicators.csv with a measurement of every pair every
``--every`` days over ``--years`` years ending with 2026 (``--every 1`` is 7,665 rows for one
year; the example has 186), imports it into a copy of the demo ledger and times, best of
``--runs``: the import; `read_status` (the dashboard with its outcomes), `load_indicators_view`
and one statement's data (`read_period_inputs` + `statement_data`), each with and without the
measurements (a copy of the ledger without them). Timings are measured on demand, never
asserted in the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from netfund.ledger import connect, import_indicators, load_network, reading
from netfund.reports.indicators import load_indicators_view
from netfund.reports.statement.data import read_period_inputs, statement_data
from netfund.reports.status import read_status

AS_OF = datetime.date(2026, 12, 31)


def write_measurements(network_path: Path, target: Path, every: int, years: int) -> int:
    """Every indicator-group pair measured every ``every`` days; counts whole, levels tenths."""
    network = load_network(network_path)
    first = datetime.date(2027 - years, 1, 1)
    rows = ["indicator,group,date,value,source"]
    day = first
    while day <= AS_OF:
        for indicator in network.indicators:
            for group in indicator.groups:
                value = (
                    str(day.toordinal() % 7)
                    if indicator.kind == "count"
                    else f"{5 + day.toordinal() % 50 / 10:.1f}"
                )
                rows.append(f"{indicator.code},{group},{day.isoformat()},{value},benchmark")
        day += datetime.timedelta(days=every)
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows) - 1


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def reads(database: Path, runs: int) -> dict[str, float]:
    engine = connect(f"sqlite:///{database}")

    def status() -> None:
        with reading(engine) as connection:
            read_status(connection, "2026", AS_OF)

    def statement() -> None:
        with reading(engine) as connection:
            inputs = read_period_inputs(connection, "2026", AS_OF)
        statement_data(inputs, "GEM-SANIVELD-WMO", "nl", "benchmark")

    result = {
        "status_seconds": best(runs, status),
        "indicators_view_seconds": best(runs, lambda: load_indicators_view(engine, "2026", AS_OF)),
        "statement_data_seconds": best(runs, statement),
    }
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="days between measurements")
    parser.add_argument("--years", type=int, default=1, help="years of measurements")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        demo = folder / "demo"
        subprocess.run(
            [sys.executable, "-m", "netfund.cli", "demo", str(demo), "--json"],
            check=True,
            capture_output=True,
        )
        # The demo ledger holds the example's measurements; the "without" ledger is a fresh
        # copy made before any, the "with" one gets the generated file on top of nothing.
        without = folder / "without.db"
        subprocess.run(
            [sys.executable, "-c",
             "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
             "c.execute('DROP TRIGGER indicator_measurements_append_only_delete'); "
             "c.execute('DELETE FROM indicator_measurements'); c.commit()",
             str(shutil.copyfile(demo / "netfund.db", without))],
            check=True,
        )  # fmt: skip
        measurements = folder / "indicators.csv"
        rows = write_measurements(demo / "inputs" / "network.toml", measurements, options.every,
                                  options.years)  # fmt: skip
        imports = []
        for run in range(options.runs):
            copy = shutil.copyfile(without, folder / f"with{run}.db")
            engine = connect(f"sqlite:///{copy}")
            started = time.perf_counter()
            report = import_indicators(engine, measurements, today=AS_OF)
            imports.append(time.perf_counter() - started)
            engine.dispose()
            assert report.added == rows, (report.added, rows)
        result = {
            "rows": rows,
            "import_seconds": min(imports),
            "without": reads(without, options.runs),
            "with": reads(folder / "with0.db", options.runs),
        }
    if options.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{rows} measurements imported in {result['import_seconds']:.3f} s")
    for name in ("status_seconds", "indicators_view_seconds", "statement_data_seconds"):
        print(
            f"{name}: {result['without'][name]:.3f} s without measurements, "
            f"{result['with'][name]:.3f} s with them"
        )


if __name__ == "__main__":
    main()
