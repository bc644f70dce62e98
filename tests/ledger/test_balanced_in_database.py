"""Invariant 1 in the database: a transaction written around netfund must balance per fund too.

Every write here goes past netfund's writer and its Python check, through the database
driver's own connection, as another tool with write access to the database could write
(`tests/support/raw_writes.py`). Migration 0006 holds the guards: PostgreSQL checks at commit,
SQLite when the chain head moves past the transaction. A balanced transaction written the same
way is accepted and verifies, so each refusal is the rule's and not the raw writer's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import transactions_table
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine, func, select

from tests.conftest import write_events
from tests.support.raw_writes import (
    ALSO_BALANCED,
    BALANCED,
    UNBALANCED,
    driver_connection,
    record_raw_write,
    write_raw,
)

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
]
#: PostgreSQL names the transaction and fund; SQLite's trigger message is a fixed text.
REFUSED = "does not balance per fund"


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Engine:
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    return engine


@pytest.fixture
def sqlite_ledger(tmp_path: Path, network_file: Path) -> Iterator[tuple[Engine, str]]:
    """For SQLite's own guards: the ledger of `ledger` in a SQLite file, and its URL."""
    url = f"sqlite:///{tmp_path / 'sqlite-ledger.db'}"
    engine = connect(url)
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    yield engine, url
    engine.dispose()


def _count(engine: Engine) -> int:
    with reading(engine) as connection:
        return connection.execute(select(func.count()).select_from(transactions_table)).scalar_one()


def _commit(connection: Any, lines: Any, **options: Any) -> int:
    """Write one transaction and commit; roll back and re-raise what the database refused."""
    raw, paramstyle = connection
    try:
        txn_id = write_raw(raw.cursor(), lines, paramstyle=paramstyle, **options)
        raw.commit()
    except Exception:
        raw.rollback()
        raise
    return txn_id


@pytest.mark.parametrize("one_row_at_a_time", [True, False])
@pytest.mark.parametrize("case", ["plain", *sorted(ALSO_BALANCED)])
def test_a_balanced_transaction_written_around_netfund_is_accepted(
    ledger: Engine, db_url: str, case: str, one_row_at_a_time: bool, tmp_path: Path
) -> None:
    lines = ALSO_BALANCED.get(case, BALANCED)
    before = _count(ledger)
    with driver_connection(db_url) as connection:
        txn_id = _commit(connection, lines, one_row_at_a_time=one_row_at_a_time)
    assert txn_id == before + 1 == _count(ledger)
    # The money checks hold; the audit trail has no write record of it (issue 17) until the
    # tool records one, as netfund's writing path does.
    with pytest.raises(VerificationError, match=f"transaction {txn_id} is in no write record"):
        verify(ledger)
    record_raw_write(ledger, txn_id)
    assert verify(ledger).transactions == txn_id
    # netfund's own writer goes on after it.
    late = ["r-gem-2,2026-03-01,receipt,GEM,,1.00,Tranche,BANK-2"]
    assert import_events(ledger, write_events(tmp_path / "late.csv", late)).posted == 1
    assert verify(ledger).transactions == txn_id + 1


@pytest.mark.parametrize("one_row_at_a_time", [True, False])
@pytest.mark.parametrize("case", sorted(UNBALANCED))
def test_an_unbalanced_transaction_written_around_netfund_is_refused(
    ledger: Engine, db_url: str, case: str, one_row_at_a_time: bool
) -> None:
    before = _count(ledger)
    with driver_connection(db_url) as connection, pytest.raises(Exception, match=REFUSED):
        _commit(connection, UNBALANCED[case], one_row_at_a_time=one_row_at_a_time)
    assert _count(ledger) == before
    verify(ledger)


def test_an_unbalanced_transaction_is_refused_even_if_the_head_stays(
    ledger: Engine, db_url: str
) -> None:
    """PostgreSQL checks every transaction at commit; on SQLite a transaction left beyond the
    chain head fails the commit on the deferred foreign key of `pending_head_move`."""
    refused = REFUSED if ledger.dialect.name == "postgresql" else "FOREIGN KEY constraint failed"
    with driver_connection(db_url) as connection, pytest.raises(Exception, match=refused):
        _commit(connection, UNBALANCED["sum is not zero"], move_head=False)
    assert _count(ledger) == len(EVENTS)
    verify(ledger)


def test_a_posting_added_to_a_stored_transaction_is_refused(ledger: Engine, db_url: str) -> None:
    refused = REFUSED if ledger.dialect.name == "postgresql" else "the head sealed it"
    with driver_connection(db_url) as (raw, paramstyle), pytest.raises(Exception, match=refused):
        mark = "?" if paramstyle == "qmark" else "%s"
        try:
            raw.cursor().execute(
                "INSERT INTO postings (txn_id, line_no, account, fund, amount_cents) "
                f"VALUES (1, 3, 'Assets:Bank', 'GEM', {mark})",
                (1,),
            )
            raw.commit()
        finally:
            raw.rollback()
    verify(ledger)


@pytest.mark.parametrize(
    ("dodge", "refused"),
    [
        ("UPDATE chain_head SET last_txn_id = 1", "never moves back"),
        ("INSERT OR REPLACE INTO chain_head VALUES (1, 3, 'x')", "exists already"),
        ("DELETE FROM chain_head", "cannot be deleted"),
        ("DELETE FROM pending_head_move", "beyond the chain head"),
    ],
)
def test_sqlite_refuses_the_ways_around_the_chain_head(
    sqlite_ledger: tuple[Engine, str], dodge: str, refused: str
) -> None:
    """The head is SQLite's only moment to check: it cannot be moved back (unsealing stored
    transactions), replaced without an UPDATE, deleted, or left behind by deleting its
    pending move."""
    ledger, db_url = sqlite_ledger
    with driver_connection(db_url) as (raw, paramstyle), pytest.raises(Exception, match=refused):
        cursor = raw.cursor()
        write_raw(cursor, UNBALANCED["sum is not zero"], paramstyle=paramstyle, move_head=False)
        cursor.execute(dodge)
    assert _count(ledger) == len(EVENTS)
    verify(ledger)


def test_sqlite_without_foreign_keys_leaves_a_transaction_beyond_the_head_to_verify(
    sqlite_ledger: tuple[Engine, str],
) -> None:
    """The documented limit: SQLite enforces the deferred foreign key only on connections
    that turn foreign keys on. Moving the head is still checked; a transaction left beyond
    it is not, and `verify` reports it."""
    ledger, db_url = sqlite_ledger
    with driver_connection(db_url, foreign_keys=False) as connection:
        with pytest.raises(Exception, match=REFUSED):
            _commit(connection, UNBALANCED["sum is not zero"])
        _commit(connection, UNBALANCED["sum is not zero"], move_head=False)
    with pytest.raises(VerificationError, match=REFUSED):
        verify(ledger)
