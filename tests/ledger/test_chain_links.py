"""The database holds each transaction to the one before it, before and after migration 0017.

0017 (issue 21) drops the unique indexes on `prev_hash` and `hash` (an import paid for two
random-key B-trees per row) and has the database check the chain's links instead: SQLite when
the chain head moves past a transaction, PostgreSQL per inserted statement. Each attack is a
balanced transaction written with raw SQL around netfund (`write_raw`), against the schema
of 0016 (the ledger taken down to it) and the newest: what 0016 accepted and 0017 refuses,
what both refuse, and the one thing only 0016's index refused (a made-up hash equal to
another's), which `verify` finds either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store import database
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify

from tests.conftest import write_events
from tests.support.raw_writes import BALANCED, driver_connection, record_raw_write, write_raw
from tests.support.revisions import take_down

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,T,B-1",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,T,BANK-1",
    "c-zvk,2026-01-05,commitment,ZVK,,500.00,T,B-2",
]
UNLINKED = "does not link to the one before it"


@pytest.fixture(params=["0016", "newest"])
def ledger(
    request: pytest.FixtureRequest, db_url: str, network_file: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """A ledger of three transactions stored by netfund, at schema 0016 or the newest."""
    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    take_down(engine, "0016" if request.param == "0016" else database.head_revision())
    engine.dispose()
    yield db_url, request.param


def _stored(url: str) -> list[tuple[int, str, str]]:
    with driver_connection(url) as (connection, _):
        cursor = connection.cursor()
        cursor.execute("SELECT id, prev_hash, hash FROM transactions ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


def _write(url: str, **raw: Any) -> str | None:
    """Write one balanced transaction around netfund and commit; what the database said when
    it refused, or None when it stored it (its write record added, so verify sees a sound
    trail)."""
    with driver_connection(url) as (connection, paramstyle):
        cursor = connection.cursor()
        try:
            txn_id = write_raw(cursor, BALANCED, paramstyle=paramstyle, **raw)
            connection.commit()
        except Exception as error:
            connection.rollback()
            return f"{getattr(error, 'sqlstate', '') or ''} {error}".strip()
    engine = connect(url)
    try:
        record_raw_write(engine, txn_id)
    finally:
        engine.dispose()
    return None


def _verify_error(url: str) -> str:
    """What verify says of the ledger, upgraded to the newest schema first (verify reads only
    that; the upgrade does not check stored rows again)."""
    engine = connect(url)
    try:
        initialize(engine)
        with pytest.raises(VerificationError) as found:
            verify(engine)
    finally:
        engine.dispose()
    return str(found.value)


def test_a_transaction_naming_no_predecessor_is_refused_from_0017(
    ledger: tuple[str, str],
) -> None:
    """Its prev_hash is no transaction's (its own hash is right for what it says): 0016's
    unique indexes had nothing to object, and only verify found the broken chain."""
    url, revision = ledger
    before = _stored(url)
    said = _write(url, prev_hash="f" * 64)
    if revision == "0016":
        assert said is None
        assert len(_stored(url)) == len(before) + 1
        assert f"transaction {len(before) + 1} ('raw-1'): its link to the previous" in (
            _verify_error(url)
        )
        return
    assert said is not None and UNLINKED in said
    if url.startswith("postgresql"):
        assert said.startswith(f"23000 transaction {len(before) + 1} {UNLINKED}")
    assert _stored(url) == before


def test_a_fork_is_refused_before_and_after(ledger: tuple[str, str]) -> None:
    """A transaction after the head naming the head's predecessor, as the head does: 0016's
    UNIQUE(prev_hash) refused it, 0017's link check does."""
    url, revision = ledger
    before = _stored(url)
    said = _write(url, prev_hash=before[-1][1])
    assert said is not None
    if revision == "0016":
        assert "prev_hash" in said or "unique" in said.lower()
    else:
        assert UNLINKED in said
    assert _stored(url) == before


def test_a_gap_in_the_chain_is_refused_from_0017(ledger: tuple[str, str]) -> None:
    """A transaction two places after the head, linked to the head's hash: the position
    between stays empty. 0016 stored it."""
    url, revision = ledger
    before = _stored(url)
    said = _write(url, txn_id=len(before) + 2)
    if revision == "0016":
        assert said is None
        assert [row[0] for row in _stored(url)][-1] == len(before) + 2
        return
    assert said is not None and UNLINKED in said
    assert _stored(url) == before


def test_the_sqlite_head_must_hold_its_transactions_hash_from_0017(
    ledger: tuple[str, str],
) -> None:
    """The head names the newest hash (what verify and the anchors start from): moving it
    forward with another hash was accepted by 0016 and is refused from 0017. (PostgreSQL has
    no head triggers: its writers lock the head row, and verify compares head and chain.)"""
    url, revision = ledger
    if not url.startswith("sqlite"):
        pytest.skip("the chain head's triggers are SQLite's (migration 0006)")
    before = _stored(url)
    with driver_connection(url) as (connection, _):
        cursor = connection.cursor()
        txn_id = write_raw(cursor, BALANCED, paramstyle="qmark", move_head=False)
        update = "UPDATE chain_head SET last_txn_id = ?, last_hash = ? WHERE id = 1"
        if revision == "0016":
            cursor.execute(update, (txn_id, "e" * 64))
            connection.commit()
            cursor.execute("SELECT last_hash FROM chain_head")
            assert cursor.fetchone()[0] == "e" * 64
            return
        with pytest.raises(Exception, match="the chain head must hold the hash of its"):
            cursor.execute(update, (txn_id, "e" * 64))
        connection.rollback()
    assert _stored(url) == before


def test_a_made_up_hash_equal_to_anothers_is_found_by_verify(ledger: tuple[str, str]) -> None:
    """The one thing only UNIQUE(hash) refused: a stored hash that is not the content's and
    happens to equal another row's. From 0017 the database stores it, as it stores any other
    made-up hash (it never computed hashes), and verify reports it, as it reports those."""
    url, revision = ledger
    before = _stored(url)
    said = _write(url, stored_hash=before[-1][2])
    if revision == "0016":
        assert said is not None and ("hash" in said or "unique" in said.lower())
        assert _stored(url) == before
        return
    assert said is None
    assert _stored(url)[-1][2] == before[-1][2]
    assert f"transaction {len(before) + 1}" in _verify_error(url)


def test_the_links_are_checked_within_one_statement(db_url: str, network_file: Path) -> None:
    """Two transactions in one multi-row insert, the second naming a hash that is not the
    first's: refused as a whole (PostgreSQL: by the statement trigger; SQLite: at the head
    move), and a sound pair in one statement passes."""
    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    engine.dispose()
    columns = (
        "INSERT INTO transactions (id, external_id, date, period, type, description, "
        "reference, source_hash, prev_hash, hash) VALUES "
    )
    genesis = "0" * 64

    def pair(second_prev: str) -> str:
        return (
            f"{columns}(1, 'x-1', '2026-06-01', '2026', 'journal', '', '', 's', "
            f"'{genesis}', '{'a' * 64}'), (2, 'x-2', '2026-06-01', '2026', 'journal', '', '', "
            f"'s', '{second_prev}', '{'b' * 64}')"
        )

    with driver_connection(db_url) as (connection, _):
        cursor = connection.cursor()
        with pytest.raises(Exception, match=UNLINKED):
            cursor.execute(pair("c" * 64))
            cursor.execute("UPDATE chain_head SET last_txn_id = 2, last_hash = '" + "b" * 64 + "'")
        connection.rollback()
        cursor.execute(pair("a" * 64))
        cursor.execute("SELECT count(*) FROM transactions")
        assert cursor.fetchone()[0] == 2
        connection.rollback()
