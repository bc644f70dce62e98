"""Tamper evidence (invariant 3): `netfund verify` detects any single change to stored rows.

A realistic ledger (commitments, receipts, allocations, pro-rata and explicit expenses, a
refund, journal corrections, a reversal, a closed year with its settlements and carry-over,
and the next year's events) is built once per backend; then every trigger is dropped, as an
attacker with write access to the database could. Each of TRIALS seeded random trials per
backend makes one change: one field of one transaction (external_id, date, type, description,
reference, funder, group, source_hash) or posting (account, fund, group, amount), deletes one
transaction with its postings, deletes one posting, inserts one posting into a transaction, or
appends one transaction whose hash is correctly chained to the last one (only the chain head
was not moved). `netfund verify` must exit 4 naming the transaction: its chain position
(``transaction N``) or its external id appears in the message.

SQLite: each trial changes a fresh copy of the prepared file. PostgreSQL: each trial changes
the one schema, runs verify, restores the rows and checks that verify passes again with the
original fingerprint, so every trial starts from the same ledger.
"""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
from netfund.ledger.store.database import connect
from netfund.ledger.verification.chain import verify
from sqlalchemy import text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import drop_guards, run_cli, write_text
from tests.support.tamper import (
    EVENTS_2026,
    EVENTS_2027,
    JOURNAL_2026,
    KINDS,
    names_transaction,
    tamper,
)

TRIALS = 50
SEEDS = {"sqlite": 3_001, "postgresql": 3_002}


def build_ledger(db_url: str, folder: Path) -> None:
    """The ledger every trial starts from, through the CLI, with its triggers dropped."""
    steps = [
        ("init", str(write_text(folder / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(folder / "e2026.csv", EVENTS_HEADER + EVENTS_2026))),
        ("import", "--journal", str(write_text(folder / "j2026.csv", JOURNAL_2026))),
        ("reverse", "e-2", "--date", "2026-03-10"),
        ("close", "2026", "--force", "--reason", "closed early in a test"),
        ("import", str(write_text(folder / "e2027.csv", EVENTS_HEADER + EVENTS_2027))),
    ]
    for args in steps:
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, (args, result.output)
    engine = connect(db_url)
    try:
        drop_guards(engine)
    finally:
        engine.dispose()


def test_verify_detects_every_single_change(db_url: str, tmp_path: Path) -> None:
    backend = "postgresql" if "postgresql" in db_url else "sqlite"
    rng = random.Random(SEEDS[backend])
    build_ledger(db_url, tmp_path)
    baseline = run_cli(db_url, "verify", "--json")
    assert baseline.exit_code == 0, baseline.output
    fingerprint = json.loads(baseline.stdout)["fingerprint"]
    template = Path(db_url.removeprefix("sqlite:///")) if backend == "sqlite" else None
    if template is not None:  # everything in the main file, so a copy holds it all
        engine = connect(db_url)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    shared = connect(db_url) if template is None else None
    undetected: list[str] = []
    kinds: Counter[str] = Counter()
    try:
        for trial in range(TRIALS):
            kind = KINDS[trial % len(KINDS)] if trial < len(KINDS) else rng.choice(KINDS)
            kinds[kind] += 1
            url, engine = db_url, shared
            if template is not None:
                url = f"sqlite:///{tmp_path / f'trial-{trial}.db'}"
                shutil.copyfile(template, url.removeprefix("sqlite:///"))
                engine = connect(url)
            assert engine is not None
            with engine.begin() as connection:
                txn_id, external_id, restore = tamper(connection, rng, kind, trial)
            result = run_cli(url, "verify")
            if result.exit_code != 4 or not names_transaction(result.output, txn_id, external_id):
                undetected.append(
                    f"trial {trial} {kind} of transaction {txn_id} ({external_id!r}): "
                    f"exit {result.exit_code}: {result.output.strip()}"
                )
            if template is None:
                with engine.begin() as connection:
                    restore(connection)
                assert verify(engine).head_hash == fingerprint, f"trial {trial}: not restored"
            else:
                engine.dispose()
                Path(url.removeprefix("sqlite:///")).unlink()
    finally:
        if shared is not None:
            shared.dispose()
    print(f"\n{backend}: {TRIALS - len(undetected)}/{TRIALS} changes detected; {dict(kinds)}")
    assert set(kinds) == set(KINDS)
    assert not undetected, "\n".join(undetected)


@pytest.mark.parametrize("stored", ["2026-02-30", "2026-1-5", "garbage"])
def test_verify_reports_a_malformed_stored_date_as_tampering(tmp_path: Path, stored: str) -> None:
    """SQLite stores dates as text and enforces no type: a changed file can hold any text."""
    db_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    build_ledger(db_url, tmp_path)

    engine = connect(db_url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE transactions SET date = '{stored}' WHERE id = 4"))
    engine.dispose()
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert names_transaction(result.output, 4, "r-gem"), result.output


def test_verify_notices_a_closed_period_reopened_by_deleting_its_lock(
    db_url: str, tmp_path: Path
) -> None:
    build_ledger(db_url, tmp_path)  # 2026 is closed, the triggers are gone
    engine = connect(db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM closed_periods WHERE period = '2026'"))
    engine.dispose()
    late = write_text(
        tmp_path / "late.csv", EVENTS_HEADER + "late,2026-12-30,receipt,GEM,,1.00,,\n"
    )
    imported = run_cli(db_url, "import", str(late))
    result = run_cli(db_url, "verify")
    assert imported.exit_code == 2 or result.exit_code == 4, (imported.output, result.output)
    if result.exit_code == 4:
        assert "'late'" in result.output or "2026" in result.output, result.output
