"""A posting of a transaction that does not exist is refused, before and after migration 0016.

0016 replaces PostgreSQL's foreign key of postings on transactions (a look-up per row) by a
statement trigger over the inserted rows (issue 21); SQLite keeps its key. Each attack runs
with raw SQL, around netfund's writer, against the schema of 0015 (the ledger taken down to
it: the key) and the newest (the trigger): refused by both, with a foreign-key violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store import database
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize

from tests.conftest import write_events
from tests.support.raw_writes import driver_connection
from tests.support.revisions import take_down

POSTING = 'INSERT INTO postings (txn_id, line_no, account, fund, "group", amount_cents) VALUES '


@pytest.fixture(params=["0015", "newest"])
def ledger(
    request: pytest.FixtureRequest, db_url: str, network_file: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    import_events(
        engine,
        write_events(tmp_path / "e.csv", ["c-gem,2026-01-05,commitment,GEM,,1000.00,T,B-1"]),
    )
    take_down(engine, "0015" if request.param == "0015" else database.head_revision())
    engine.dispose()
    yield db_url, request.param


def _refusal(db_url: str, values: str) -> str:
    """Insert posting rows around netfund; what the database said (a test fails if nothing)."""
    with driver_connection(db_url) as (connection, _):
        cursor = connection.cursor()
        with pytest.raises(Exception) as refused:
            cursor.execute(POSTING + values)
            connection.commit()
        connection.rollback()
    error = refused.value
    return f"{getattr(error, 'sqlstate', '')} {error}"


def test_a_posting_whose_transaction_does_not_exist_is_refused(ledger: tuple[str, str]) -> None:
    """The fixture's import wrote its postings through the newest schema (the trigger lets a
    sound write pass); these two rows name a transaction nobody wrote."""
    url, revision = ledger
    said = _refusal(
        url, "(999, 1, 'Assets:Bank', 'GEM', NULL, 5), (999, 2, 'Income:X', 'GEM', NULL, -5)"
    )
    if url.startswith("sqlite"):
        assert "FOREIGN KEY constraint failed" in said
    elif revision == "0015":
        assert said.startswith("23503 ") and "fk_postings_txn_id_transactions" in said
    else:
        assert said.startswith("23503 posting of transaction 999 that does not exist")
    with driver_connection(url) as (connection, _):
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM postings WHERE txn_id = 999")
        assert cursor.fetchone()[0] == 0  # nothing of it stayed
