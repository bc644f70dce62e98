"""What decides money is append-only and hash-chained (issue 15, item 3): the attacks, rerun.

The network (funders, groups, earmarks, caps, what closing does with unspent money), the
allocation runs and the closed periods live in tables beside the chain. Each attack changes
one of them behind netfund's back, on SQLite and PostgreSQL:

- with the database's guards in place, the change is refused (UPDATE and DELETE);
- with every trigger dropped (what a role that may drop triggers can do), `verify` exits 4
  naming what changed, and netfund still decides money by the hashed records: `close`
  settles by the recorded `unspent`, `status` shows the recorded overhead and caps, an
  import keeps the recorded earmark, a forged run is never committed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.store.database import connect
from sqlalchemy import Connection, Engine, text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.raw_writes import BALANCED, driver_connection, write_raw
from tests.support.reliability import drop_guards, run_cli, transaction_count, write_text
from tests.support.tamper import EVENTS_2026

#: Two groups, each asking more than there is: every cent is allocated and neither group is
#: at its maximum, so money can be moved between them without breaking the plan's bounds.
PLAN_TWO_GROUPS = """\
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-A"
min = "0.00"
max = "1000000.00"
weight = 1

[[requests]]
group = "WG-B"
min = "0.00"
max = "1000000.00"
weight = 1
"""


def _ok(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def _ledger(db_url: str, folder: Path, events: str = EVENTS_2026) -> None:
    """The test network with a year of 2026 events (ZONMW: return, earmarked WG-A and PMO)."""
    _ok(db_url, "init", str(write_text(folder / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(folder / "e.csv", EVENTS_HEADER + events)))


def _planned(db_url: str, folder: Path) -> None:
    """Commitments and receipts only, then run 1: a plan over WG-A and WG-B."""
    _ledger(db_url, folder, "".join(EVENTS_2026.splitlines(keepends=True)[:6]))
    _ok(db_url, "allocate", str(write_text(folder / "plan.toml", PLAN_TWO_GROUPS)))


def _execute(db_url: str, *statements: str) -> None:
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _without_guards(db_url: str) -> None:
    engine = connect(db_url)
    try:
        drop_guards(engine)
    finally:
        engine.dispose()


def _refused(result: Any, *words: str) -> str:
    assert result.exit_code == 4, result.output
    for word in words:
        assert word in result.output, (word, result.output)
    return str(result.output)


#: Raw changes to the documents that decide money: (name, statements, words verify must name).
SETTINGS_ATTACKS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "unspent",
        ("UPDATE funders SET unspent = 'carry_over' WHERE code = 'ZONMW'",),
        ("funders", "ZONMW", "unspent", "carry_over"),
    ),
    ("group overhead", ("UPDATE groups SET overhead = false WHERE code = 'PMO'",), ("PMO",)),
    (
        "funder cap",
        ("UPDATE funders SET overhead_cap = '0.9' WHERE code = 'ZONMW'",),
        ("funders", "ZONMW", "overhead_cap"),
    ),
    (
        "network cap",
        ("UPDATE network_versions SET overhead_cap = '0.99'",),
        ("network_versions", "overhead_cap"),
    ),
    (
        "earmark removed",
        ("DELETE FROM earmarks WHERE funder = 'ZONMW' AND \"group\" = 'PMO'",),
        ("earmarks", "ZONMW", "PMO"),
    ),
    (
        "earmark added",
        ("INSERT INTO earmarks (version, funder, \"group\") VALUES (1, 'ZONMW', 'WG-B')",),
        ("earmarks", "ZONMW", "WG-B"),
    ),
    ("funder deleted", ("DELETE FROM funders WHERE code = 'GEM'",), ("funders", "GEM")),
    (
        "group renamed",
        ("UPDATE groups SET name = 'Ander' WHERE code = 'WG-B'",),
        ("groups", "WG-B", "name"),
    ),
]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE funders SET unspent = 'carry_over' WHERE code = 'ZONMW'",
        "UPDATE groups SET overhead = false WHERE code = 'PMO'",
        "UPDATE network_versions SET overhead_cap = '0.99'",
        "DELETE FROM earmarks WHERE funder = 'ZONMW'",
        "UPDATE ledger_records SET kind = 'close'",
        "DELETE FROM ledger_records",
        "DELETE FROM records_head",
        "UPDATE records_head SET last_seq = 0",
        "UPDATE closed_periods SET last_txn_id = 1",
        "INSERT INTO funders SELECT * FROM funders WHERE code = 'ZONMW' "
        "ON CONFLICT (version, code) DO UPDATE SET unspent = 'carry_over'",
        # SQLite's REPLACE deletes the row it replaces without firing DELETE triggers.
        "INSERT OR REPLACE INTO funders SELECT version, code, name, kind, framework, overhead_cap, "
        "earmarked, 'carry_over', position FROM funders WHERE code = 'ZONMW'",
        "REPLACE INTO closed_periods SELECT seq, period, 'reopen', last_txn_id FROM closed_periods",
        "INSERT INTO closed_periods SELECT seq + 100, period, 'reopen', last_txn_id "
        "FROM closed_periods",
        "DELETE FROM closed_periods",
        "TRUNCATE closed_periods",
        "REPLACE INTO earmarks VALUES (1, 'ZONMW', 'PMO')",
        "REPLACE INTO ledger_records SELECT seq, kind, content, transaction_head, prev_hash, "
        "hash, actor FROM ledger_records WHERE seq = 1",
        # PostgreSQL's TRUNCATE fires no DELETE trigger either.
        "TRUNCATE earmarks",
        "TRUNCATE allocation_runs",
        "TRUNCATE ledger_records",
    ],
)
def test_the_database_refuses_changing_what_decides_money(
    db_url: str, tmp_path: Path, statement: str
) -> None:
    words = statement.split()
    if words[0:2] in (["REPLACE", "INTO"], ["INSERT", "OR"]) and "sqlite" not in db_url:
        pytest.skip("REPLACE is SQLite's")
    if words[0] == "TRUNCATE" and "sqlite" in db_url:
        pytest.skip("TRUNCATE is PostgreSQL's")
    _ledger(db_url, tmp_path)
    _ok(db_url, "close", "2026", "--force", "--reason", "closed early in a test")
    with pytest.raises(
        Exception,
        match=r"append-only|never moves back|cannot be deleted|extend the records chain"
        r"|mirror close records",
    ):
        _execute(db_url, statement)
    _ok(db_url, "verify")


def test_the_database_refuses_a_record_that_does_not_extend_the_chain(
    db_url: str, tmp_path: Path
) -> None:
    _ledger(db_url, tmp_path)
    with pytest.raises(Exception, match="records chain"):
        _execute(
            db_url,
            "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, hash) "
            f"VALUES (7, 'close', '{{}}', 0, '{'0' * 64}', '{'1' * 64}')",
        )


@pytest.mark.parametrize(
    ("statements", "words"),
    [pytest.param(s, w, id=name) for name, s, w in SETTINGS_ATTACKS],
)
def test_verify_names_a_changed_setting(
    db_url: str, tmp_path: Path, statements: tuple[str, ...], words: tuple[str, ...]
) -> None:
    _ledger(db_url, tmp_path)
    _without_guards(db_url)
    _ok(db_url, "verify")
    _execute(db_url, *statements)
    _refused(run_cli(db_url, "verify"), *words)


def test_close_settles_by_the_recorded_unspent_policy(db_url: str, tmp_path: Path) -> None:
    """Before: `unspent = 'carry_over'` set in the table carried EUR 29,500.00 owed back to
    ZONMW into 2027, and verify passed before and after."""
    _ledger(db_url, tmp_path)
    _without_guards(db_url)
    _execute(db_url, "UPDATE funders SET unspent = 'carry_over' WHERE code = 'ZONMW'")
    closed = _ok(db_url, "close", "2026", "--force", "--reason", "closed early in a test", "--json")
    zonmw = next(s for s in closed["settlements"] if s["fund"] == "ZONMW")
    assert zonmw["policy"] == "return"
    balances = _ok(db_url, "balance", "--by", "account,fund", "--json")
    assert [b for b in balances if b["fund"] == "ZONMW" and "Carried" in b["account"]] == []
    assert {"account": "Liabilities:Refundable", "fund": "ZONMW", "group": None} | {
        "balance": "-" + zonmw["unspent"]
    } in balances
    _refused(run_cli(db_url, "verify"), "funders", "ZONMW", "unspent")


def test_status_shows_the_recorded_overhead_and_caps(db_url: str, tmp_path: Path) -> None:
    """Before: `groups.overhead = 0` made the dashboard show 0.00% overhead."""
    _ledger(db_url, tmp_path)
    before = _ok(db_url, "status", "--period", "2026", "--json")
    _without_guards(db_url)
    _execute(
        db_url,
        "UPDATE groups SET overhead = false WHERE code = 'PMO'",
        "UPDATE funders SET overhead_cap = '0.9' WHERE code = 'ZONMW'",
        "UPDATE network_versions SET overhead_cap = '0.99'",
    )
    assert _ok(db_url, "status", "--period", "2026", "--json") == before


def test_an_import_keeps_the_recorded_earmark(db_url: str, tmp_path: Path) -> None:
    """Before: an earmark row added in the table let ZONMW's money be allocated to WG-B."""
    _ledger(db_url, tmp_path)
    _without_guards(db_url)
    _execute(
        db_url, "INSERT INTO earmarks (version, funder, \"group\") VALUES (1, 'ZONMW', 'WG-B')"
    )
    count = transaction_count(db_url)
    events = write_text(
        tmp_path / "a.csv",
        EVENTS_HEADER + "a-zonmw-b,2026-02-03,allocation,ZONMW,WG-B,100.00,Budget B,B-9\n",
    )
    result = run_cli(db_url, "import", str(events))
    assert result.exit_code == 2, result.output
    assert transaction_count(db_url) == count


def _run_row(db_url: str, run: int) -> dict[str, Any]:
    engine = connect(db_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT * FROM allocation_runs WHERE id = :id"), {"id": run}
            ).mappings()
            return dict(row.one())
    finally:
        engine.dispose()


def _moved(document: dict[str, Any], cents: int) -> dict[str, Any]:
    """The run's document with ``cents`` of one funder's money moved from WG-A to WG-B; the
    group totals (what `allocations compare` shows) are left as they were."""
    forged = json.loads(json.dumps(document))
    items = forged["result"]["allocations"]
    source = next(i for i in items if i["group"] == "WG-A" and i["amount_cents"] > cents)
    source["amount_cents"] -= cents
    target = next(
        (i for i in items if i["group"] == "WG-B" and i["funder"] == source["funder"]), None
    )
    if target is None:
        items.append({"funder": source["funder"], "group": "WG-B", "amount_cents": cents})
        items.sort(key=lambda i: (i["funder"], i["group"]))
    else:
        target["amount_cents"] += cents
    return forged


def _sha256(value: Any) -> str:
    import hashlib

    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _insert_forged_copy(connection: Connection, row: dict[str, Any], cents: int) -> None:
    document = json.loads(row["document"])
    forged = _moved(document, cents)
    connection.execute(
        text(
            "INSERT INTO allocation_runs (period, status, inputs_sha256, result_sha256, document) "
            "VALUES (:period, :status, :inputs, :result, :document)"
        ),
        {
            "period": row["period"],
            "status": row["status"],
            "inputs": row["inputs_sha256"],
            # The attacker hashes the forged result too: only the records chain is left.
            "result": _sha256(forged["result"]),
            "document": json.dumps(forged, ensure_ascii=False, sort_keys=True),
        },
    )


def test_a_forged_copy_of_a_run_is_not_committed(db_url: str, tmp_path: Path) -> None:
    """Before: a raw INSERT of a run's copy with EUR 10.00 moved between groups was committed
    by `allocate --commit latest`, and `allocations compare` showed no difference."""
    _planned(db_url, tmp_path)
    engine: Engine = connect(db_url)
    try:
        with engine.begin() as connection:
            _insert_forged_copy(connection, _run_row(db_url, 1), 1000)
    finally:
        engine.dispose()
    count = transaction_count(db_url)
    _refused(run_cli(db_url, "allocate", "--commit", "latest"), "run 2")
    assert transaction_count(db_url) == count
    _refused(run_cli(db_url, "allocations", "compare", "1", "2"), "run 2")
    _refused(run_cli(db_url, "allocations", "list"), "run 2")
    _refused(run_cli(db_url, "verify"), "allocation run 2")
    # The genuine run is still what it was, and commits.
    _ok(db_url, "allocations", "show", "1")


def test_a_run_changed_in_place_is_not_committed(db_url: str, tmp_path: Path) -> None:
    _planned(db_url, tmp_path)
    _without_guards(db_url)
    row = _run_row(db_url, 1)
    forged = _moved(json.loads(row["document"]), 1000)
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE allocation_runs SET document = :d, result_sha256 = :r WHERE id = 1"),
                {
                    "d": json.dumps(forged, ensure_ascii=False, sort_keys=True),
                    "r": _sha256(forged["result"]),
                },
            )
    finally:
        engine.dispose()
    count = transaction_count(db_url)
    _refused(run_cli(db_url, "allocate", "--commit", "1"), "run 1")
    assert transaction_count(db_url) == count
    _refused(run_cli(db_url, "verify"), "allocation run 1", "result_sha256")


def test_a_run_whose_result_does_not_match_its_hash_is_not_committed(
    db_url: str, tmp_path: Path
) -> None:
    """The ledger checks the document's text against its record; whether the result inside
    is the one `result_sha256` names, only allocation knows, and rechecks before a commit.
    Here the run is written so from the start (records and all, as a pre-0007 run taken over
    at the upgrade would be), so only that recheck stands in the way."""
    from netfund.ledger.store.runs import store_run

    _planned(db_url, tmp_path)
    row = _run_row(db_url, 1)
    forged = _moved(json.loads(row["document"]), 1000)
    engine = connect(db_url)
    try:
        store_run(engine, "2026", "optimal", row["inputs_sha256"], row["result_sha256"], forged)
    finally:
        engine.dispose()
    count = transaction_count(db_url)
    _refused(run_cli(db_url, "allocate", "--commit", "2"), "run 2", "result")
    assert transaction_count(db_url) == count
    _refused(run_cli(db_url, "allocations", "show", "2"), "run 2")


def test_a_moved_close_lock_is_detected(db_url: str, tmp_path: Path) -> None:
    """Before: moving the lock of 2026 past a transaction written into 2026 around netfund
    (`closed_periods.last_txn_id`) made verify pass."""
    _ledger(db_url, tmp_path)
    _ok(db_url, "close", "2026", "--force", "--reason", "closed early in a test")
    _without_guards(db_url)
    with driver_connection(db_url) as (raw, paramstyle):
        cursor = raw.cursor()
        txn_id = write_raw(cursor, BALANCED, paramstyle=paramstyle, date=date(2026, 12, 30))
        cursor.execute(f"UPDATE closed_periods SET last_txn_id = {txn_id} WHERE period = '2026'")
        raw.commit()
    _refused(run_cli(db_url, "verify"), "closed_periods", "2026")


def test_a_deleted_close_lock_is_detected_and_the_year_stays_closed(
    db_url: str, tmp_path: Path
) -> None:
    """A closed year without closing entries (nothing to settle) had only its lock row: deleting
    it reopened the year, and verify passed."""
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    _ok(db_url, "close", "2025")
    _without_guards(db_url)
    _execute(db_url, "DELETE FROM closed_periods WHERE period = '2025'")
    late = write_text(
        tmp_path / "late.csv", EVENTS_HEADER + "late,2025-12-30,commitment,GEM,,1.00,,\n"
    )
    result = run_cli(db_url, "import", str(late))
    assert result.exit_code == 2, result.output
    assert "closed" in result.output
    assert transaction_count(db_url) == 0
    _refused(run_cli(db_url, "verify"), "closed_periods", "2025")


def _tamper_record(kind: str) -> Callable[[str], None]:
    def change(db_url: str) -> None:
        _execute(
            db_url,
            "UPDATE ledger_records SET content = REPLACE(content, '\"return\"', '\"carry_over\"') "
            f"WHERE kind = '{kind}'",
        )

    return change


def test_a_changed_record_is_refused_before_it_decides_money(db_url: str, tmp_path: Path) -> None:
    _ledger(db_url, tmp_path)
    _without_guards(db_url)
    _tamper_record("network")(db_url)
    count = transaction_count(db_url)
    output = _refused(
        run_cli(db_url, "close", "2026", "--force", "--reason", "closed early in a test"),
        "record 1",
    )
    assert re.search(r"hash|changed", output)
    assert transaction_count(db_url) == count
    _refused(run_cli(db_url, "verify"), "record 1")


def test_a_record_written_beside_the_head_is_detected(db_url: str, tmp_path: Path) -> None:
    """A record correctly chained to the newest one, but the head not moved: the database
    lets it in (it extends the chain), netfund reads up to the head, verify names it."""
    from netfund.ledger.store.records import record_hash

    _ledger(db_url, tmp_path)
    before = _ok(db_url, "verify", "--json")
    seq = before["records"] + 1  # after the network and the import's write
    content = '{"last_txn_id":16,"period":"2026"}'
    digest = record_hash(before["records_fingerprint"], seq, "close", 16, content)
    engine = connect(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, "
                    "hash) VALUES (:seq, 'close', :content, 16, :prev, :hash)"
                ),
                {
                    "seq": seq,
                    "content": content,
                    "prev": before["records_fingerprint"],
                    "hash": digest,
                },
            )
    finally:
        engine.dispose()
    _ok(db_url, "status", "--json")
    _refused(run_cli(db_url, "verify"), f"record {seq}", "beyond its head")


def test_readers_never_see_a_run_without_its_record(db_url: str, tmp_path: Path) -> None:
    """PostgreSQL's READ COMMITTED gives each statement of a write transaction a new snapshot:
    reading the records before the runs saw runs committed in between without their records
    (224 false 'written around netfund' in 8 s). Rows are read first, records after."""
    import threading
    import time

    from netfund.ledger.store.database import writing
    from netfund.ledger.store.runs import list_runs, read_run, store_run

    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    engine = connect(db_url)
    store_run(engine, "2026", "optimal", "a" * 64, "b" * 64, {"result": None})
    errors: list[str] = []
    reads = 0
    stop = time.monotonic() + 2

    def record_runs() -> None:
        while time.monotonic() < stop:
            store_run(engine, "2026", "optimal", "a" * 64, "b" * 64, {"result": None})

    def read_runs() -> None:
        nonlocal reads
        while time.monotonic() < stop:
            try:
                with writing(engine) as connection:
                    list_runs(connection)
                    read_run(connection, "latest")
                reads += 1
            except Exception as error:  # every error is the finding
                errors.append(repr(error))

    threads = [threading.Thread(target=record_runs), threading.Thread(target=read_runs)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine.dispose()
    assert errors == []
    assert reads > 0
    _ok(db_url, "verify")
