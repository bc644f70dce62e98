"""How long a year of bank statements takes to read, check and match (issue 19).

Run from the repository root, in the venv netfund is installed in:

    .venv/bin/python benchmarks/bank_import.py --lines 1000,10000 --runs 3

For every size N it builds, in a temporary folder, the test network with a bank account
(tests/support/bank_statements.py): a commitment per funder, an allocation, N/2 expenses
imported from an events file (invoices `INV-n`), and a camt.053.001.08 file of 12 monthly
statements holding N lines: the N/2 payments of those invoices (each linked to its expense by
the invoice number in the remittance) and N/2 funder payments (each booked as a receipt, its
instalments named). Then, ``--runs`` times on a fresh copy of the ledger: ``read`` (parsing,
the XSD check and the mapping: `read_statements`) and ``import`` (the whole
`import_bank_statements`: read, continuity, matching, the receipts booked, records and rows
stored), wall clock, median of the runs. Prints a Markdown table; no assertion.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netfund.examples.bank_files import bank_line, statement, write  # noqa: E402
from netfund.ledger import (  # noqa: E402
    connect,
    import_bank_statements,
    import_events,
    initialize,
    load_network,
    read_statements,
)

from tests.conftest import NETWORK_TOML  # noqa: E402
from tests.support.bank_statements import (  # noqa: E402
    GEM_IBAN,
    NETWORK_IBAN,
    SUPPLIER_IBAN,
    with_bank,
)

HEADER = "id,date,type,funder,group,amount,description,reference\n"


def build(folder: Path, lines: int) -> tuple[Path, Path]:
    """A ledger with N/2 expenses and the bank file of the year; returns (db, bank file)."""
    network = folder / "network.toml"
    network.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    half = lines // 2
    expense = 1_000  # 10.00 each
    receipt = 500  # 5.00 each, GEM's
    committed = half * receipt
    rows = [
        f"C-GEM,2026-01-02,commitment,GEM,,{committed / 100:.2f},Toezegging,",
        f"C-ZVK,2026-01-02,commitment,ZVK,,{half * expense / 100:.2f},Toezegging,",
        f"A-ZVK,2026-01-02,allocation,ZVK,WG-A,{half * expense / 100:.2f},Toewijzing,",
    ]
    days = [datetime.date(2026, 1, 5) + datetime.timedelta(days=n % 350) for n in range(half)]
    rows += [
        f"E-{n},{days[n].isoformat()},expense,ZVK,WG-A,{expense / 100:.2f},Factuur,INV-{n}"
        for n in range(half)
    ]
    events = folder / "events.csv"
    events.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    database = folder / "ledger.db"
    engine = connect(f"sqlite:///{database}")
    initialize(engine, load_network(network))
    import_events(engine, events)
    engine.dispose()
    bank = []
    for n in range(half):
        bank.append(
            bank_line(days[n], -expense, ref=f"D{n}", counterparty_iban=SUPPLIER_IBAN,
                      counterparty_name="Leverancier", remittance=f"factuur INV-{n}")
        )  # fmt: skip
        bank.append(
            bank_line(days[n], receipt, ref=f"C{n}", counterparty_iban=GEM_IBAN,
                      counterparty_name="Gemeente", remittance="voorschot")
        )  # fmt: skip
    bank.sort(key=lambda line: line.booking_date)
    statements, opening = [], 0
    for month in range(1, 13):
        mine = [line for line in bank if line.booking_date.month == month]
        first = datetime.date(2026, month, 1)
        last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        statements.append(
            statement(NETWORK_IBAN, f"2026-{month:02d}", mine, opening_cents=opening,
                      from_date=first, to_date=last)
        )  # fmt: skip
        opening = statements[-1].closing_cents
    return database, write(folder / "2026.camt053.xml", statements, "camt.053.001.08")


def measure(lines: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        database, bank = build(folder, lines)
        reads, imports = [], []
        for run in range(runs):
            started = time.perf_counter()
            read_statements(bank)
            reads.append(time.perf_counter() - started)
            copy = folder / f"run{run}.db"
            shutil.copyfile(database, copy)
            engine = connect(f"sqlite:///{copy}")
            started = time.perf_counter()
            report = import_bank_statements(engine, bank)
            imports.append(time.perf_counter() - started)
            engine.dispose()
            added = sum(result.added for result in report.statements)
            assert added == lines, (added, lines)
        return {"read": statistics.median(reads), "import": statistics.median(imports)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| lines | read (parse + XSD) s | import s | lines per second |")
    print("|---:|---:|---:|---:|")
    for lines in (int(text) for text in args.lines.split(",")):
        found = measure(lines, args.runs)
        rate = lines / found["import"]
        print(f"| {lines:,} | {found['read']:.2f} | {found['import']:.2f} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
