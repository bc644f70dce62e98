"""SQLite's closed-period and seal guards after migration 0015, attacked with raw SQL.

0015 replaced the two per-posting triggers (each row looked its transaction up in
`closed_periods`) by one that reads only the chain head, and moved the closed-period check of
the postings beyond the head to the head move (`chain_head_open_periods`). Every write here
goes around netfund's writer, on a connection with foreign keys on (as netfund's are), into a
ledger with a closed 2026 and an open 2027. Each attack runs against the schema of 0014 too
(the ledger taken down to it): what 0014 refused, 0015 refuses, with the same message where
the same statement is refused. A balanced transaction written the same way is accepted, so
each refusal is the guard's and not the raw writer's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.periods import close_period
from netfund.ledger.store import database
from netfund.ledger.store.database import connect
from netfund.ledger.store.records import append_record
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Connection, text

from tests.conftest import write_events
from tests.support.raw_writes import BALANCED, record_raw_write, write_raw
from tests.support.revisions import take_down

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "c-gem-27,2027-01-05,commitment,GEM,,10.00,Toezegging,B-4",
]
CLOSED = "the period of this transaction is closed"
SEALED = "the head sealed it"
POSTING = 'INSERT INTO postings (txn_id, line_no, account, fund, "group", amount_cents) VALUES '


@pytest.fixture(params=["0014", database.head_revision()])
def ledger(request: pytest.FixtureRequest, tmp_path: Path, network_file: Path) -> Iterator[Path]:
    """A SQLite ledger with 2026 closed and a 2027 transaction, at the schema of 0014 (the
    guards before) or the newest."""
    path = tmp_path / "guards.db"
    engine = connect(str(path))
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    close_period(engine, "2026", force=True, reason="closed early in a test")
    take_down(engine, request.param)
    engine.dispose()
    yield path


def _raw(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _id(path: Path, external_id: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(
            connection.execute(
                "SELECT id FROM transactions WHERE external_id = ?", (external_id,)
            ).fetchone()[0]
        )


def _counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as connection:
        return (
            connection.execute("SELECT count(*) FROM transactions").fetchone()[0],
            connection.execute("SELECT count(*) FROM postings").fetchone()[0],
            connection.execute("SELECT last_txn_id FROM chain_head").fetchone()[0],
        )


def _verified(path: Path) -> int:
    """Verify the ledger (brought back to the newest schema first, which `verify` requires);
    return its transaction count."""
    engine = connect(str(path))
    try:
        initialize(engine)
        return verify(engine).transactions
    finally:
        engine.dispose()


def _refused(path: Path, statements: list[tuple[str, tuple[object, ...]]], match: str) -> None:
    """Run ``statements`` and commit on one raw connection: the database must refuse, and the
    ledger stay as it was and verify."""
    before = _counts(path)
    connection = _raw(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match=match):
            for sql, values in statements:
                connection.execute(sql, values)
            connection.commit()
    finally:
        connection.rollback()
        connection.close()
    assert _counts(path) == before
    _verified(path)


def test_a_posting_added_to_a_sealed_transaction_is_refused(ledger: Path) -> None:
    open_2027 = _id(ledger, "c-gem-27")
    posting = (POSTING + "(?, 90, 'Assets:Bank', 'GEM', NULL, 1)", (open_2027,))
    _refused(ledger, [posting], SEALED)


def test_a_posting_added_to_a_transaction_of_a_closed_period_is_refused(ledger: Path) -> None:
    closed_2026 = _id(ledger, "r-gem")
    posting = (POSTING + "(?, 90, 'Assets:Bank', 'GEM', NULL, 1)", (closed_2026,))
    _refused(ledger, [posting], CLOSED)


def test_a_closed_posting_among_new_ones_is_refused(ledger: Path) -> None:
    """One statement: a new 2027 transaction's line is fine, the 2026 line is not."""
    head = _counts(ledger)[2]
    transaction = _transaction(head + 1, "2027", "x")
    postings = (
        POSTING + "(?, 1, 'Assets:Bank', 'GEM', NULL, 1), (?, 90, 'Assets:Bank', 'GEM', NULL, 1)",
        (head + 1, _id(ledger, "r-gem")),
    )
    _refused(ledger, [transaction, postings], CLOSED)


def test_a_transaction_of_a_closed_period_is_refused(ledger: Path) -> None:
    head = _counts(ledger)[2]
    transaction = _transaction(head + 1, "2026", "x")
    _refused(ledger, [transaction], CLOSED)


@pytest.mark.parametrize("move_head", [True, False])
def test_postings_of_a_waiting_transaction_whose_period_was_closed_are_refused(
    ledger: Path, move_head: bool
) -> None:
    """A 2027 transaction waits beyond the head; 2027 is locked (record and row, as netfund
    writes them); then its postings are added. 0014 refused each posting; 0015 refuses moving
    the head past it, and without the move the commit fails (0006's pending_head_move)."""
    engine = connect(str(ledger))
    before = _counts(ledger)
    refused = CLOSED if move_head else f"{CLOSED}|FOREIGN KEY constraint failed"
    with pytest.raises(Exception, match=refused), engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        head = before[2]
        cursor.execute(*_transaction(head + 1, "2027", "w"))
        _lock(connection, "2027", head)
        cursor.execute(
            POSTING + "(?, 1, 'Assets:Bank', 'GEM', NULL, 1), "
            "(?, 2, 'Income:Contributions', 'GEM', NULL, -1)",
            (head + 1, head + 1),
        )
        if move_head:
            cursor.execute(MOVE_HEAD, (head + 1, head + 1))
    engine.dispose()
    assert _counts(ledger) == before
    _verified(ledger)


def _transaction(txn_id: int, period: str, external_id: str) -> tuple[str, tuple[int]]:
    """A raw journal transaction row of ``period`` at ``txn_id`` (no postings, no real hash),
    linked to the chain head as 0017 insists: the statement and its parameters."""
    return (
        "INSERT INTO transactions (id, external_id, date, period, type, description, reference, "
        f"source_hash, prev_hash, hash) VALUES (?, '{external_id}', '{period}-06-01', "
        f"'{period}', 'journal', '', '', 'h', (SELECT last_hash FROM chain_head), "
        f"'h-{external_id}')",
        (txn_id,),
    )


#: Moves the chain head to a transaction (its id, twice), holding its hash as 0017 insists.
MOVE_HEAD = (
    "UPDATE chain_head SET last_txn_id = ?, "
    "last_hash = (SELECT hash FROM transactions WHERE id = ?) WHERE id = 1"
)


def _lock(connection: Connection, period: str, head: int) -> None:
    """The close record and lock row of ``period`` at chain position ``head``, as
    `_lock_event` writes them."""
    lock = {"period": period, "last_txn_id": head}
    record = append_record(connection, "close", {**lock, "event": "close"}, head)
    connection.execute(
        text(
            "INSERT INTO closed_periods (seq, period, event, last_txn_id) "
            "VALUES (:seq, :period, 'close', :last)"
        ),
        {"seq": record.seq, "period": period, "last": head},
    )


def test_the_head_cannot_pass_a_transaction_whose_period_closed_while_it_waited(
    tmp_path: Path, network_file: Path
) -> None:
    """All postings in before the lock, then the head moved past the transaction: 0014
    accepted it and `verify` reported it added after the close; from 0015 the database refuses
    it (a refusal 0014 did not make, of what verify calls tampering)."""
    path = tmp_path / "guards.db"
    engine = connect(str(path))
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    before = _counts(path)
    with pytest.raises(Exception, match=CLOSED), engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        txn_id = write_raw(
            cursor, BALANCED, paramstyle="qmark", date=date(2027, 6, 1), move_head=False
        )
        _lock(connection, "2027", txn_id - 1)
        cursor.execute(MOVE_HEAD, (txn_id, txn_id))
    assert _counts(path) == before
    verify(engine)
    engine.dispose()


def test_a_balanced_transaction_of_an_open_period_is_accepted(ledger: Path) -> None:
    """The same raw writer, into the open 2027: each refusal above is the guard's."""
    engine = connect(str(ledger))
    connection = _raw(ledger)
    try:
        txn_id = write_raw(connection.cursor(), BALANCED, paramstyle="qmark", date=date(2027, 6, 1))
        connection.commit()
    finally:
        connection.close()
    record_raw_write(engine, txn_id)
    engine.dispose()
    assert _verified(ledger) == txn_id
