"""Verifying the chain in ranges, in parallel processes, proves what one pass proves.

A ledger of a few dozen transactions (two years, the first closed) is verified with the
parallel path forced (`verify(engine, workers=2, ranges=4)`); a spy on the process pool
records the ranges, so each test knows the pool really ran. Every tampering must give the
single pass's error, word for word: in a later range, at a range boundary (a gap, and a forged
fork whose every hash is consistent except the one link across the boundary), and in two
ranges at once, where the earlier range's error is the one reported.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.canonical import canonical_bytes
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.periods import close_period
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import chain_head_table, postings_table, transactions_table
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification import pool as verify_pool
from netfund.ledger.verification.chain import VerifyReport, range_bounds, verify
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.conftest import write_events
from tests.support.reliability import drop_guards
from tests.support.tamper import KINDS, names_transaction, tamper

WORKERS, RANGES = 2, 4
EVENTS_2026 = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,500.00,Toezegging,B-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "r-zvk,2026-02-01,receipt,ZVK,,500.00,Tranche,BANK-2",
    "a-gem,2026-02-10,allocation,GEM,WG-A,600.00,Besluit,B-3",
    "a-zvk,2026-02-10,allocation,ZVK,WG-A,300.00,Besluit,B-3",
    *(f"e-{n},2026-03-{n:02d},expense,,WG-A,{n}.{n:02d},Kosten {n},F-{n}" for n in range(1, 21)),
]
EVENTS_2027 = [
    "c-gem-27,2027-01-05,commitment,GEM,,400.00,Toezegging 2027,B-27",
    "a-gem-27,2027-02-01,allocation,GEM,WG-A,200.00,Besluit 2027,B-28",
    *(f"e27-{n},2027-03-{n:02d},expense,,WG-A,{n}.00,Kosten {n},F27-{n}" for n in range(1, 9)),
]
T, P = transactions_table.c, postings_table.c


@pytest.fixture
def ledger(db_url: str, network_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """The test ledger with its triggers dropped, as an attacker with write access can."""
    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e26.csv", EVENTS_2026))
    close_period(engine, "2026", force=True, reason="closed early in a test")
    import_events(engine, write_events(tmp_path / "e27.csv", EVENTS_2027))
    drop_guards(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pool_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[tuple[int, int]], int]]:
    """The (ranges, workers) of each run of the process pool."""
    runs: list[tuple[list[tuple[int, int]], int]] = []
    original = verify_pool.check_ranges_in_processes

    def spy(url: str, bounds: Any, closed: Any, workers: int) -> Any:
        runs.append((list(bounds), workers))
        return original(url, bounds, closed, workers)

    monkeypatch.setattr(verify_pool, "check_ranges_in_processes", spy)
    return runs


def _newest(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(select(func.max(T.id))).scalar_one())


def _errors(engine: Engine, runs: list[Any]) -> tuple[str, str]:
    """The single pass's error and the parallel one's, checking that the pool ran."""
    with pytest.raises(VerificationError) as single:
        verify(engine, workers=1)
    assert runs == []
    with pytest.raises(VerificationError) as parallel:
        verify(engine, workers=WORKERS, ranges=RANGES)
    assert len(runs) == 1 and len(runs[0][0]) == RANGES and runs[0][1] == WORKERS
    return str(single.value), str(parallel.value)


def _external_id(engine: Engine, txn_id: int) -> str:
    with reading(engine) as connection:
        return str(connection.execute(select(T.external_id).where(T.id == txn_id)).scalar_one())


def _change_description(engine: Engine, txn_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(update(transactions_table).where(T.id == txn_id).values(description="x"))


def test_the_parallel_report_is_the_single_pass_report(
    ledger: Engine, pool_runs: list[Any]
) -> None:
    single = verify(ledger, workers=1)
    newest = _newest(ledger)
    assert single.transactions == newest and single.postings > 2 * newest
    for ranges in (2, RANGES, 7):
        assert verify(ledger, workers=WORKERS, ranges=ranges) == single
    assert [len(bounds) for bounds, _ in pool_runs] == [2, RANGES, 7]
    assert verify(ledger) == single  # a small ledger: one pass, no pool
    assert len(pool_runs) == 3


def test_tampering_in_a_later_range_is_named(ledger: Engine, pool_runs: list[Any]) -> None:
    bounds = range_bounds(_newest(ledger), RANGES)
    target = bounds[2][0] + 1
    _change_description(ledger, target)
    single, parallel = _errors(ledger, pool_runs)
    expected = f"transaction {target} ({_external_id(ledger, target)!r}): its content does not"
    assert parallel == single and parallel.startswith(expected)


def test_of_two_tampered_ranges_the_earlier_is_reported(
    ledger: Engine, pool_runs: list[Any]
) -> None:
    bounds = range_bounds(_newest(ledger), RANGES)
    early, late = bounds[1][1], bounds[3][0]
    with ledger.begin() as connection:
        connection.execute(
            update(postings_table)
            .where(P.txn_id == late, P.line_no == 1)
            .values(amount_cents=P.amount_cents + 1)
        )
    _change_description(ledger, early)
    single, parallel = _errors(ledger, pool_runs)
    assert parallel == single and parallel.startswith(f"transaction {early} (")


def test_a_forged_fork_at_a_range_boundary_is_caught(ledger: Engine, pool_runs: list[Any]) -> None:
    """The first transaction of range 2 links to another hash, and it and every later hash
    (and the head) are recomputed from there: only the link across the boundary is wrong."""
    newest = _newest(ledger)
    boundary = range_bounds(newest, RANGES)[1][0]
    _rehash(ledger, boundary, hashlib.sha256(b"another past").hexdigest())
    single, parallel = _errors(ledger, pool_runs)
    label = f"transaction {boundary} ({_external_id(ledger, boundary)!r})"
    assert parallel == single == f"{label}: its link to the previous transaction does not match"


def test_the_first_link_of_the_chain_must_be_genesis(ledger: Engine, pool_runs: list[Any]) -> None:
    _rehash(ledger, 1, hashlib.sha256(b"before genesis").hexdigest())
    single, parallel = _errors(ledger, pool_runs)
    assert parallel == single and parallel.startswith("transaction 1 (") and "link" in parallel


@pytest.mark.parametrize("side", ["last of range 1", "first of range 2"])
def test_a_transaction_deleted_at_a_range_boundary_is_named(
    ledger: Engine, pool_runs: list[Any], side: str
) -> None:
    bounds = range_bounds(_newest(ledger), RANGES)
    gone = bounds[0][1] if side == "last of range 1" else bounds[1][0]
    with ledger.begin() as connection:
        connection.execute(delete(postings_table).where(P.txn_id == gone))
        connection.execute(delete(transactions_table).where(T.id == gone))
    single, parallel = _errors(ledger, pool_runs)
    assert parallel == single
    assert parallel.startswith(f"transaction {gone} is missing from the chain")
    assert f"the next stored is transaction {gone + 1} " in parallel


def test_deleting_the_newest_transactions_is_caught_by_the_head(
    ledger: Engine, pool_runs: list[Any]
) -> None:
    newest = _newest(ledger)
    with ledger.begin() as connection:
        connection.execute(delete(postings_table).where(P.txn_id >= newest - 1))
        connection.execute(delete(transactions_table).where(T.id >= newest - 1))
    single, parallel = _errors(ledger, pool_runs)
    assert parallel == single and "transactions were deleted or the head was altered" in parallel


def test_an_in_memory_database_is_verified_in_process(
    network_file: Path, tmp_path: Path, pool_runs: list[Any]
) -> None:
    """Another process would open a new, empty in-memory database: no pool, even if asked."""
    engine = connect("sqlite://")
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS_2026))
    report = verify(engine, workers=WORKERS, ranges=RANGES)
    assert report == verify(engine, workers=1)
    assert isinstance(report, VerifyReport) and report.transactions == len(EVENTS_2026)
    assert pool_runs == []


def test_balance_totals_are_added_up_over_the_ranges(ledger: Engine, pool_runs: list[Any]) -> None:
    """Each range adds up its own postings; only their sum matches `balance_totals`, so a
    range's totals lost or counted twice would fail the clean ledger, and a changed row is
    named as one pass names it."""
    assert verify(ledger, workers=WORKERS, ranges=RANGES) == verify(ledger, workers=1)
    pool_runs.clear()
    with ledger.begin() as connection:
        connection.execute(
            text(
                "UPDATE balance_totals SET debit_cents = debit_cents + 1 "
                "WHERE account = 'Expenses:WG-A' AND fund = 'GEM' AND period = '2027'"
            )
        )
    single, parallel = _errors(ledger, pool_runs)
    assert parallel == single
    assert "balance totals of Expenses:WG-A, fund GEM, group WG-A, period 2027" in parallel


@pytest.mark.parametrize("newest", [1, 2, 7, 28, 1_000_145])
@pytest.mark.parametrize("ranges", [1, 2, 3, 8, 40])
def test_ranges_cover_every_id_once_in_order(newest: int, ranges: int) -> None:
    bounds = range_bounds(newest, ranges)
    assert len(bounds) == min(ranges, newest)
    assert bounds[0][0] == 1 and bounds[-1][1] == newest
    assert all(first <= last for first, last in bounds)
    assert all(bounds[i][1] + 1 == bounds[i + 1][0] for i in range(len(bounds) - 1))
    sizes = [last - first + 1 for first, last in bounds]
    assert max(sizes) - min(sizes) <= 1


def _rehash(engine: Engine, first: int, prev_hash: str) -> None:
    """Link transaction ``first`` to ``prev_hash`` and recompute every hash from there on,
    and the head: a fork that is consistent except for that one link."""
    with engine.begin() as connection:
        rows = connection.execute(select(transactions_table).where(T.id >= first).order_by(T.id))
        for row in rows.mappings().all():
            lines = connection.execute(
                select(P.txn_id, P.line_no, P.account, P.fund, P.group, P.amount_cents)
                .where(P.txn_id == row["id"])
                .order_by(P.line_no)
            ).all()
            digest = hashlib.sha256(prev_hash.encode("ascii"))
            digest.update(_content(row, [tuple(line) for line in lines]))
            new_hash = digest.hexdigest()
            connection.execute(
                update(transactions_table)
                .where(T.id == row["id"])
                .values(prev_hash=prev_hash, hash=new_hash)
            )
            prev_hash = new_hash
        connection.execute(update(chain_head_table).values(last_hash=prev_hash))


def _content(row: Any, lines: list[tuple[Any, ...]]) -> bytes:
    keys = ("id", "external_id", "date", "period", "type", "description", "reference")
    values: list[Any] = [row[key] for key in keys]
    values[2] = values[2].isoformat()
    values += [row["funder"], row["group"], row["reversal_of"], row["source_hash"], row["actor"]]
    return canonical_bytes(values, lines)


def test_every_kind_of_tampering_gets_the_single_pass_error_in_ranges(ledger: Engine) -> None:
    """Each change the tamper suite makes, checked in 2, 3 and 5 ranges in this process (the
    joins of the parallel path without its processes): the error of one pass, word for word."""
    rng = random.Random(7_001)
    for serial, kind in enumerate(KINDS):
        txn_id, external_id, restore = _tampered(ledger, rng, kind, serial)
        with pytest.raises(VerificationError) as single:
            verify(ledger, workers=1)
        assert names_transaction(str(single.value), txn_id, external_id), (kind, single.value)
        for ranges in (2, 3, 5):
            with pytest.raises(VerificationError) as in_ranges:
                verify(ledger, workers=1, ranges=ranges)
            assert str(in_ranges.value) == str(single.value), (kind, ranges)
        with ledger.begin() as connection:
            restore(connection)
    assert verify(ledger, workers=1, ranges=3) == verify(ledger, workers=1)


def _tampered(
    engine: Engine, rng: random.Random, kind: str, serial: int
) -> tuple[int, str, Callable[[Connection], None]]:
    """`tamper`, drawing again when the database refuses the drawn value (a text made longer
    than its column, a duplicate)."""
    for _ in range(20):
        try:
            with engine.begin() as connection:
                return tamper(connection, rng, kind, serial)
        except DBAPIError:
            continue
    raise AssertionError(f"no {kind} change the database accepts")
