"""A funder's session names the ledger's fingerprint and coverage, as its statement does.

On PostgreSQL a funder's portal session reads under its own role, whose row policies hide
the other funders' transactions; the newest transaction it could see is then not the ledger's
(ZonMw's last own transaction is 342 of 350: its last receipt, on the October bank statement).
The chain's facts come from the functions `netfund roles install` makes (roles.py,
``_CHAIN_FACTS``), so the figures, the fingerprint and the coverage a funder reads are the
ones its PDF states.
"""

from __future__ import annotations

import datetime

from netfund.ledger import chain_position_as_of, coverage_of, funder_reading, reading
from sqlalchemy import text

from tests.support.portal import PortalLedger


def test_a_funder_reads_the_ledgers_fingerprint_and_coverage(portal_ledger: PortalLedger) -> None:
    with reading(portal_ledger.engine) as connection:
        expected = {
            day: (chain_position_as_of(connection, day), coverage_of(connection, "2026", day))
            for day in (datetime.date(2026, 6, 30), datetime.date(2026, 12, 31))
        }
    with funder_reading(portal_ledger.engine, "ZONMW") as connection:
        own = connection.execute(text("SELECT max(id) FROM transactions")).scalar_one()
        for day, (position, coverage) in expected.items():
            assert chain_position_as_of(connection, day) == position, day
            assert coverage_of(connection, "2026", day) == coverage, day
    assert expected[datetime.date(2026, 12, 31)][0].transaction == 350
    if portal_ledger.kind == "postgresql":  # row security hides the others' transactions
        assert own == 342
