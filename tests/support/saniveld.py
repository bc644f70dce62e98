"""The example network's year as an administrator runs it, for the tests that need it whole.

Since issue 19 the money comes in on the bank statement, not in events.csv: events.csv holds
the commitments and the January allocations, spending.csv the year's expenses and the refund,
and `bank/2026.camt053.xml` (or the same year as `bank/2026.mt940`) the funders' payments,
the payments of the spending (linked to it) and the bank's costs (booked by bank-rules.toml).
The bank comes after the spending, so its payments are linked to the expenses, not booked
twice.
"""

from __future__ import annotations

from tests.conftest import EXAMPLE

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
