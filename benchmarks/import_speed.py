"""Import speed of events.csv: the Saniveld example and a synthetic file of N expense events.

Run from the repository root:

    python benchmarks/import_speed.py --events 100000 [--db URL]

It writes a network with 5 funders and 40 groups, commitments, receipts and allocations, and
N unattributed expenses (each split pro rata over the group's three funders), imports them into a
fresh SQLite file (or the database given), and prints events per second. Not part of the
test suite: timings are measured on demand, never asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify

ROOT = Path(__file__).resolve().parent.parent
FUNDERS = ["GEM", "ZK", "ZV1", "ZV2", "ZONMW"]
GROUPS = [f"WG-{n:02d}" for n in range(40)]


def write_network(path: Path) -> None:
    lines = ['[network]\nname = "Benchmark"\ncurrency = "EUR"\nlanguage = "en"\n']
    for code in FUNDERS:
        lines.append(
            f'[[funders]]\ncode = "{code}"\nname = "{code}"\nkind = "other"\n'
            'framework = "x"\nunspent = "return"\n'
        )
    for index, code in enumerate(GROUPS):
        overhead = "true" if index < 4 else "false"
        lines.append(f'[[groups]]\ncode = "{code}"\nname = "{code}"\noverhead = {overhead}\n')
    path.write_text("\n".join(lines), encoding="utf-8")


def write_events(path: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    rows = ["id,date,type,funder,group,amount,description,reference"]
    for funder in FUNDERS:
        rows.append(f"c-{funder},2026-01-02,commitment,{funder},,900000000.00,commit,")
        rows.append(f"r-{funder},2026-01-03,receipt,{funder},,900000000.00,receipt,")
    # Every group is funded by three funders, so each expense splits over three funds.
    for index, group in enumerate(GROUPS):
        for offset in range(3):
            funder = FUNDERS[(index + offset) % len(FUNDERS)]
            amount = rng.randint(500_000, 2_000_000)
            rows.append(f"a-{funder}-{group},2026-01-04,allocation,{funder},{group},{amount}.00,,")
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(rows) + "\n")
        for number in range(count):
            cents = rng.randint(100, 5_000_000)
            group = GROUPS[number % len(GROUPS)]
            month = 1 + number % 12
            handle.write(
                f"e{number},2026-{month:02d}-15,expense,,{group},{cents // 100}.{cents % 100:02d},"
                f"expense {number},INV-{number}\n"
            )


def measure(label: str, db_url: str, network: Path, *files: Path) -> None:
    """Import ``files`` in order into a fresh ledger; print the totals and verify's time."""
    engine = connect(db_url)
    initialize(engine, load_network(network))
    reports = [import_events(engine, path) for path in files]
    read = sum(report.read for report in reports)
    posted = sum(report.posted for report in reports)
    seconds = sum(report.seconds for report in reports)
    started = time.perf_counter()
    verified = verify(engine)
    verify_seconds = time.perf_counter() - started
    print(
        f"{label}: {read} events, {posted} transactions, "
        f"{verified.postings} postings imported in {seconds:.2f} s "
        f"= {read / seconds:,.0f} events/s; verify {verify_seconds:.2f} s"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        example = ROOT / "examples" / "saniveld"
        # The example's year without the plan: spending is attributed over January's allocations.
        measure(
            "examples/saniveld events.csv + spending.csv",
            f"sqlite:///{work / 'saniveld.db'}",
            example / "network.toml",
            example / "events.csv",
            example / "spending.csv",
        )
        write_network(work / "network.toml")
        write_events(work / "events.csv", arguments.events)
        measure(
            f"synthetic {arguments.events} expenses",
            arguments.db or f"sqlite:///{work / 'bench.db'}",
            work / "network.toml",
            work / "events.csv",
        )


if __name__ == "__main__":
    main()
