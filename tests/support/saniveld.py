"""The example network's year as an administrator runs it, for the tests that need it whole.

Since issue 19 the money comes in on the bank statement, not in events.csv: events.csv holds
the commitments and the January allocations, spending.csv the year's expenses and the refund,
and `bank/2026.camt053.xml` (or the same year as `bank/2026.mt940`) the funders' payments,
the payments of the spending (linked to it) and the bank's costs (booked by bank-rules.toml).
The bank comes after the spending, so its payments are linked to the expenses, not booked
twice.
"""

from __future__ import annotations

import csv
from pathlib import Path

from netfund.ledger import format_cents, load_network, read_statements

from tests.conftest import EVENTS_HEADER, EXAMPLE

CAMT = EXAMPLE / "bank" / "2026.camt053.xml"
MT940 = EXAMPLE / "bank" / "2026.mt940"
RULES = EXAMPLE / "bank-rules.toml"

#: `netfund bank import` of the year's statement with the example's rules (CLI arguments).
BANK_IMPORT = ("bank", "import", str(CAMT), "--rules", str(RULES))


def year_steps(commit_date: str | None = "2026-01-20") -> list[tuple[str, ...]]:
    """The whole year as CLI arguments, in the administrator's order: the network, the
    commitments and decisions, the plan allocated and committed (on ``commit_date``, or the
    command's default when None), the spending, the bank statement."""
    commit = ("allocate", "--commit", "latest")
    return [
        ("init", str(EXAMPLE / "network.toml")),
        ("import", str(EXAMPLE / "events.csv")),
        ("allocate", str(EXAMPLE / "plan.toml")),
        (*commit, "--date", commit_date) if commit_date else commit,
        ("import", str(EXAMPLE / "spending.csv")),
        BANK_IMPORT,
    ]


def receipts_csv(folder: Path) -> Path:
    """The year's 24 receipts as an events file (``folder/receipts.csv``), for the tests that
    need the money in on a network whose accounts are not the example's (the statement's
    lines then match no funder): the credits of the camt file, each the receipt of the funder
    whose account paid it, the commitment's reference in the remittance deciding between the
    municipality's two funds (as the matcher decides, `test_example_bank` shows it books
    these). Same dates and amounts; ids ``2026-R-<bank ref>``."""
    network = load_network(EXAMPLE / "network.toml")
    with (EXAMPLE / "events.csv").open(encoding="utf-8", newline="") as handle:
        decisions = {
            row["funder"]: row["reference"]
            for row in csv.DictReader(handle)
            if row["type"] == "commitment"
        }
    rows = []
    for statement in read_statements(CAMT):
        for line in statement.lines:
            if line.amount_cents <= 0:
                continue
            payers = network.funders_paying_from(line.counterparty_iban)
            (funder,) = [
                f.code
                for f in payers
                if len(payers) == 1 or decisions[f.code] in line.remittance.split()
            ]
            rows.append(
                (
                    f"2026-R-{line.ref}",
                    line.booking_date.isoformat(),
                    "receipt",
                    funder,
                    "",
                    format_cents(line.amount_cents),
                    line.remittance,
                    line.ref,
                )
            )
    assert len(rows) == 24
    path = folder / "receipts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(EVENTS_HEADER)
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path
