"""Damage that doubles money (issue 15, item 6): verify runs the database's own checks.

One byte changed in SQLite's unique index on transactions.external_id (the key ``x-20``
becomes ``x-21``, still in order, so `PRAGMA quick_check` says ok) hides ``x-20`` from every
look-up through the index: a re-import of the same file posts that expense a second time, and
the chain, re-hashed as it grows, verifies. Before issue 15 `verify` passed both before and
after the re-import. Now it runs `PRAGMA integrity_check` (which compares each index with its
table) and counts the external ids without the index, and exits 4 naming what it found.

On PostgreSQL (and SQLite) a duplicate id is also made by dropping the unique constraint, as
someone with write access could, and storing a transaction under an id already used.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from netfund.ledger.store.database import connect
from sqlalchemy import text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.raw_writes import BALANCED, driver_connection, write_raw
from tests.support.reliability import drop_guards, run_cli, write_text
from tests.support.tamper import EVENTS_2026

EXPENSES = """\
x-10,2026-08-01,expense,GEM,WG-A,10.00,Huur,F-10
x-20,2026-08-02,expense,GEM,WG-A,20.00,Huur,F-20
x-30,2026-08-03,expense,GEM,WG-A,30.00,Huur,F-30
"""


def _build(db_url: str, folder: Path) -> Path:
    events = write_text(folder / "events.csv", EVENTS_HEADER + EVENTS_2026 + EXPENSES)
    for args in (
        ("init", str(write_text(folder / "network.toml", NETWORK_TOML))),
        ("import", str(events)),
    ):
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, result.output
    return events


def _damage_external_id_index(database: Path, old: bytes, new: bytes) -> None:
    """Change ``old`` to ``new`` in the leaf page of the external_id index, in the file."""
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (name, root), *more = [
            (name, root)
            for name, root in connection.execute(
                "SELECT name, rootpage FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = 'transactions'"
            )
            if [row[2] for row in connection.execute(f"PRAGMA index_info('{name}')")]
            == ["external_id"]
        ]
        assert not more
    connection.close()
    content = bytearray(database.read_bytes())
    start = (root - 1) * page_size
    page = content[start : start + page_size]
    assert page[0] == 0x0A, f"{name} is more than one leaf page"
    assert page.count(old) == 1
    at = start + page.index(old)
    content[at : at + len(old)] = new
    database.write_bytes(bytes(content))


def test_a_damaged_unique_index_is_reported_before_and_after_it_is_exploited(
    tmp_path: Path,
) -> None:
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    events = _build(url, tmp_path)
    _damage_external_id_index(database, b"x-20", b"x-21")
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    connection.close()

    before = run_cli(url, "verify")
    assert before.exit_code == 4, before.output
    assert "integrity" in before.output and "index" in before.output, before.output

    # What the damage lets through: the write path reads ids through the index.
    again = run_cli(url, "import", str(events))
    assert again.exit_code == 0 and "1 posted" in again.output, again.output
    after = run_cli(url, "verify")
    assert after.exit_code == 4, after.output
    assert "'x-20' is stored more than once" in after.output, after.output


def test_a_duplicate_external_id_is_reported(db_url: str, tmp_path: Path) -> None:
    """The unique constraint dropped (PostgreSQL) or its index bypassed (SQLite's damaged
    index above), and a second transaction stored under ``c-gem``."""
    _build(db_url, tmp_path)
    engine = connect(db_url)
    try:
        drop_guards(engine)
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.execute(
                    text("ALTER TABLE transactions DROP CONSTRAINT uq_transactions_external_id")
                )
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):
        _damage_external_id_index(Path(db_url.removeprefix("sqlite:///")), b"c-gem", b"c-gel")
    with driver_connection(db_url) as (connection, paramstyle):
        cursor = connection.cursor()
        txn_id = write_raw(cursor, BALANCED, paramstyle=paramstyle, external_id="c-gem")
        connection.commit()
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert "'c-gem'" in result.output and f"{txn_id}" in result.output, result.output


@pytest.mark.parametrize("check", ["quick_check", "integrity_check"])
def test_quick_check_misses_what_integrity_check_finds(tmp_path: Path, check: str) -> None:
    """Why verify runs the slower of SQLite's two checks."""
    database = tmp_path / "ledger.db"
    _build(f"sqlite:///{database}", tmp_path)
    _damage_external_id_index(database, b"x-20", b"x-21")
    with sqlite3.connect(database) as connection:
        found = connection.execute(f"PRAGMA {check}").fetchall()
    connection.close()
    assert (found == [("ok",)]) == (check == "quick_check"), found
