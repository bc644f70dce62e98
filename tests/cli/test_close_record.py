"""`close` and `reopen` tell the administrator who, when and why, as the record keeps it.

A close or reopen is a recorded event (the records chain keeps the OS user, the UTC time and
the reason). What the command prints, plain and ``--json``, must be that record, not a second
reading of the clock, so a controller can match the output against `verify`'s chain.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.identity import os_user
from netfund.ledger.store.records import verified_records
from sqlalchemy.engine import make_url

from tests.conftest import write_events

EVENTS = [
    "c-gem-25,2025-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "r-gem-25,2025-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "c-gem-26,2026-01-05,commitment,GEM,,500.00,Toezegging,B-2",
]


def _lock_records(db_url: str) -> list[dict[str, Any]]:
    engine = connect(db_url)
    try:
        with reading(engine) as connection:
            return [r.content for r in verified_records(connection) if r.kind == "close"]
    finally:
        engine.dispose()


def test_close_and_reopen_print_the_record_they_wrote(
    run_cli,  # type: ignore[no-untyped-def]
    db_url: str,
    network_file: Path,
    tmp_path: Path,
) -> None:
    assert run_cli("init", str(network_file)).exit_code == 0
    assert run_cli("import", str(write_events(tmp_path / "e.csv", EVENTS))).exit_code == 0
    # 2025 has ended whenever this runs: closed without --force, there is no reason.
    ended = run_cli("close", "2025", "--json")
    assert ended.exit_code == 0, ended.output
    closed_2025 = json.loads(ended.stdout)
    reopened = run_cli("reopen", "2025", "--reason", "late invoice of WG-A", "--json")
    assert reopened.exit_code == 0, reopened.output
    reopened_2025 = json.loads(reopened.stdout)
    plain = run_cli("close", "2025")
    assert plain.exit_code == 0, plain.output
    # The documented early close: the same whether or not 2026 has ended yet.
    forced = run_cli("close", "2026", "--force", "--reason", "the network stops", "--json")
    assert forced.exit_code == 0, forced.output
    closed_2026 = json.loads(forced.stdout)
    plain_reopen = run_cli("reopen", "2026", "--reason", "one more invoice")
    assert plain_reopen.exit_code == 0, plain_reopen.output

    records = _lock_records(db_url)
    assert [(r["period"], r["event"], r.get("reason")) for r in records] == [
        ("2025", "close", None),
        ("2025", "reopen", "late invoice of WG-A"),
        ("2025", "close", None),
        ("2026", "close", "the network stops"),
        ("2026", "reopen", "one more invoice"),
    ]
    for shown, record in zip(
        (closed_2025, reopened_2025, None, closed_2026), records, strict=False
    ):
        if shown is not None:
            assert (shown["by"], shown["at"], shown["reason"]) == (
                record["by"],
                record["at"],
                record.get("reason"),
            )
    # The actor: the login on PostgreSQL, the operating-system user on SQLite.
    assert records[0]["by"] == (
        make_url(db_url).username if db_url.startswith("postgresql") else os_user()
    )
    assert datetime.datetime.fromisoformat(records[0]["at"]).tzinfo is not None
    # Plain text: one line with the same who, when and why.
    assert f"recorded: closed by {records[2]['by']} at {records[2]['at']}\n" in plain.stdout
    assert (
        f"recorded: reopened by {records[4]['by']} at {records[4]['at']}: one more invoice\n"
        in plain_reopen.stdout
    )
    assert re.search(r"^period 2026 reopened", plain_reopen.stdout, re.M)
