"""Property test: random event sequences never break invariant 1, on either database.

Hypothesis draws sequences of commitments, receipts, allocations, expenses (with and
without funder) and refunds with random amounts and dates; every sequence is imported into
the same ledger under fresh ids. Whatever the sequence, an import either fails as a whole
with exit-2 problems or stores transactions that each balance per fund, and the chain
verifies.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netfund.ledger.importer import import_events
from netfund.ledger.model.errors import InputError
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.database import reading
from netfund.ledger.store.schema import postings_table, transactions_table
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine, func, select

from tests.conftest import write_events

FUNDERS = ["GEM", "ZVK", "ZONMW", ""]
GROUPS = ["WG-A", "WG-B", "PMO"]
_counter = itertools.count()

event = st.tuples(
    st.sampled_from(["commitment", "receipt", "allocation", "expense", "expense", "refund"]),
    st.sampled_from(FUNDERS),
    st.sampled_from(GROUPS),
    st.integers(min_value=1, max_value=5_000_000_00),
    st.integers(min_value=1, max_value=28),
)


def _row(kind: str, funder: str, group: str, cents: int, day: int) -> str:
    number = next(_counter)
    if kind in ("commitment", "receipt", "refund"):
        group = ""
        funder = funder or "GEM"
    if kind == "allocation":
        funder = funder or "ZVK"
    return f"p{number},2026-02-{day:02d},{kind},{funder},{group},{format_cents(cents)},prop,"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event, min_size=1, max_size=25))
def test_random_event_sequences_keep_every_transaction_balanced(
    engine: Engine, tmp_path: Path, events: list[tuple[str, str, str, int, int]]
) -> None:
    with reading(engine) as connection:
        before = connection.execute(
            select(func.count()).select_from(transactions_table)
        ).scalar_one()
    path = write_events(tmp_path / "random.csv", [_row(*item) for item in events])
    try:
        report = import_events(engine, path)
        stored = report.posted
    except InputError as error:
        stored = 0
        # Only the attribution, earmark and budget rules can refuse these generated rows.
        reasons = ("no allocation", "earmark", "committed", "cap of")
        assert all(any(r in p.message for r in reasons) for p in error.problems), error.problems
    with reading(engine) as connection:
        after = connection.execute(
            select(func.count()).select_from(transactions_table)
        ).scalar_one()
        unbalanced = connection.execute(
            select(postings_table.c.txn_id, postings_table.c.fund)
            .group_by(postings_table.c.txn_id, postings_table.c.fund)
            .having(func.sum(postings_table.c.amount_cents) != 0)
        ).all()
    assert after == before + stored  # all or nothing
    assert unbalanced == []
    assert verify(engine).transactions == after
