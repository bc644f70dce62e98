"""The portal's cache of a period's inputs: read once per state of the ledger, never stale.

Every write appends a record, so a write between two pages makes the second read afresh; a
read under another database role (a funder's session on PostgreSQL) is never cached.
"""

from __future__ import annotations

import datetime

from netfund.ledger import Posting, add_user, connect, funder_reading, post_journal, reading
from netfund.reports.period_cache import period_inputs
from netfund.reports.portal import funder_overview
from netfund.reports.statement.data import read_period_inputs
from sqlalchemy import text

from tests.support.statements import run_saniveld_year

FUNDER = "GEM-SANIVELD-WMO"
GROUP = "WG-WIJK-NOORD"
AS_OF = datetime.date(2026, 12, 31)


def test_the_same_state_is_read_once_and_every_write_reads_afresh(run_cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    run_saniveld_year(run_cli)
    engine = connect(db_url)
    try:
        with reading(engine) as connection:
            first = period_inputs(connection, "2026", AS_OF)
            assert period_inputs(connection, "2026", AS_OF) is first
            assert first == read_period_inputs(connection, "2026", AS_OF)
            before = funder_overview(connection, FUNDER).summary
        with reading(engine) as connection:
            assert period_inputs(connection, "2026", AS_OF) is first  # nothing written since
            other_date = period_inputs(connection, "2026", datetime.date(2026, 6, 30))
            assert other_date is not first and other_date.as_of == datetime.date(2026, 6, 30)
        # A late invoice: the figures change, and the next read sees them.
        post_journal(
            engine,
            "LATE-INVOICE-CACHE",
            datetime.date(2026, 11, 30),
            "Late invoice",
            [
                Posting(f"Expenses:{GROUP}", FUNDER, GROUP, 12345),
                Posting("Assets:Bank", FUNDER, None, -12345),
            ],
        )
        with reading(engine) as connection:
            after_post = period_inputs(connection, "2026", AS_OF)
            assert after_post is not first
            assert after_post == read_period_inputs(connection, "2026", AS_OF)
            after = funder_overview(connection, FUNDER).summary
        assert after.spent_cents == before.spent_cents + 12345
        # A write that changes no figure (a portal login) still reads afresh: the head moved.
        add_user(engine, "cache-test", "controller", None, "a-long-enough-password")
        with reading(engine) as connection:
            assert period_inputs(connection, "2026", AS_OF) is not after_post
    finally:
        engine.dispose()


def test_a_read_under_another_role_is_not_cached(run_cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    run_saniveld_year(run_cli)
    engine = connect(db_url)
    try:
        if engine.dialect.name == "postgresql":
            assert run_cli("roles", "install").exit_code == 0
            add_user(engine, "cache-funder", "funder", FUNDER, "a-long-enough-password")
        with funder_reading(engine, FUNDER) as connection:
            under_role = (
                engine.dialect.name == "postgresql"
                and connection.execute(text("SELECT current_user <> session_user")).scalar()
            )
            first = period_inputs(connection, "2026", AS_OF)
            second = period_inputs(connection, "2026", AS_OF)
        assert under_role == (engine.dialect.name == "postgresql")
        if under_role:
            assert second is not first  # the role's own read, every time
            assert second == first
        else:
            assert second is first  # SQLite: the portal's checks are the wall, not the role
    finally:
        engine.dispose()
