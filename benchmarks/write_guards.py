"""What SQLite's write guards and the postings' indexes cost at import, and what readers gain.

Issue 21, migration 0015 (docs/BENCHMARKS.md, "Issue 21: the write guards"). Run from the
repository root, on a SQLite ledger imported from the generator:

    python benchmarks/generate.py --events 100000 --out /tmp/b/100k
    netfund --db /tmp/b/n.db init /tmp/b/100k/network.toml
    netfund --db /tmp/b/n.db import /tmp/b/100k/events.csv
    python benchmarks/write_guards.py writes readers import postgres --ledger /tmp/b/n.db \
        --network /tmp/b/100k/network.toml --events /tmp/b/100k/events.csv \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

- ``writes`` inserts that ledger's transactions and postings into a fresh ``netfund init``
  database the way the appender does (multi-row INSERTs, 20,000-posting batches, the head
  moved after each; netfund's pragmas), with the triggers of schema 0014 and of the newest
  schema (``--unguarded``: also with no trigger on inserting postings, the floor), each with
  the covering index ``(account, fund, group, txn_id, amount_cents)`` of 0004 to 0014, a
  narrow ``(account, fund)`` one or none.
- ``readers`` times the queries that read postings by account (each import's
  `AttributionState`, a statement's figures as of a date, the settling across periods, a
  trial balance pinned below the head, a funder's postings totals) and a few commands
  (status, statements, verify, close) on copies of the ledger with each index.
- ``import`` times the whole ``netfund import`` of ``--events`` into a ledger with the
  triggers and indexes of each revision (this netfund's code; the schema taken down and
  labelled the newest again).
- ``postgres`` times ``import_events`` into a fresh PostgreSQL schema per index, then the
  reader queries; each schema is dropped afterwards.

The same parts compare any two revisions (``--revisions``): migration 0017 (the chain's links
checked instead of two unique indexes on the hashes; "Issue 21: the chain links") was measured
with ``writes import --revisions 0016 0017 --indexes none`` on the generator's 100k and 1M
years, and what each remaining guard costs with ``writes --revisions 0017 --indexes none
--without NAME`` (a trigger or index dropped before the rows go in).

Every figure is the minimum and median of ``--runs`` runs: the machine is shared, timings are
noisy. Not part of the test suite: timings are measured on demand, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from netfund.ledger.event_rules import AttributionState
from netfund.ledger.exports.scope import Scope
from netfund.ledger.exports.trial_balance import trial_balance
from netfund.ledger.figures import period_figures
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.postings_query import postings_totals
from netfund.ledger.settling import settle_across_periods
from netfund.ledger.store import database
from netfund.ledger.store.database import connect, reading, writing
from netfund.ledger.store.setup import initialize
from sqlalchemy import Connection, Engine, text

TRANSACTION_COLUMNS = (
    "id", "external_id", "date", "period", "type", "description", "reference", "funder",
    "group", "reversal_of", "source_hash", "actor", "prev_hash", "hash",
)  # fmt: skip
POSTING_COLUMNS = ("txn_id", "line_no", "account", "fund", "group", "amount_cents")
BATCH_POSTINGS = 20_000
PARAMETERS_MAX = 30_000
INDEXES = {
    "covering": "CREATE INDEX ix_postings_balance ON postings "
    '(account, fund, "group", txn_id, amount_cents)',
    "narrow": "CREATE INDEX ix_postings_account_fund ON postings (account, fund)",
    "none": None,
}


def set_index(connection: sqlite3.Connection, index: str) -> None:
    """Leave exactly ``index`` (a key of INDEXES) beside the postings' primary key."""
    for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'postings' "
        "AND sql IS NOT NULL"
    ).fetchall():
        connection.execute(f"DROP INDEX {name}")
    if INDEXES[index] is not None:
        connection.execute(INDEXES[index])


def fresh_ledger(path: Path, network: Path, revision: str, *, stamp: bool = False) -> None:
    """A new ledger with ``network`` stored, at the newest schema or taken down to ``revision``
    (``stamp``: then labelled the newest again, so that this netfund writes to it with the
    older schema's triggers and indexes; only for timing)."""
    for suffix in ("", "-wal", "-shm", "-journal", ".checkpoints"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = connect(str(path))
    initialize(engine, load_network(network))
    if revision != database.head_revision():
        with writing(engine) as connection:
            config = database._alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            if stamp:
                connection.execute(
                    text("UPDATE alembic_version SET version_num = :head"),
                    {"head": database.head_revision()},
                )
    engine.dispose()


def insert_rows(
    path: Path, transactions: list[tuple[Any, ...]], postings: list[tuple[Any, ...]]
) -> tuple[float, float]:
    """Seconds to insert and commit the rows as the appender does, with netfund's pragmas:
    the process's CPU time (what another process on the machine does not change much) and
    the wall time."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode = WAL", "synchronous = FULL", "temp_store = MEMORY",
        "cache_size = -65536", "foreign_keys = ON",
    ):  # fmt: skip
        connection.execute(f"PRAGMA {pragma}")

    def insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{name}"' for name in columns)
        row = "(" + ",".join("?" * len(columns)) + ")"
        per = PARAMETERS_MAX // len(columns)
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            connection.execute(
                f"INSERT INTO {table} ({names}) VALUES " + ",".join([row] * len(chunk)),
                tuple(itertools.chain.from_iterable(chunk)),
            )

    started, cpu = time.perf_counter(), time.process_time()
    connection.execute("BEGIN IMMEDIATE")
    done = 0  # transactions inserted
    start = 0
    while start < len(postings):
        # A batch ends at a transaction's last posting, as the appender's do.
        stop = min(start + BATCH_POSTINGS, len(postings))
        while stop < len(postings) and postings[stop][0] == postings[stop - 1][0]:
            stop += 1
        last = postings[stop - 1][0]
        upto = done
        while upto < len(transactions) and transactions[upto][0] <= last:
            upto += 1
        insert("transactions", TRANSACTION_COLUMNS, transactions[done:upto])
        insert("postings", POSTING_COLUMNS, postings[start:stop])
        newest = transactions[upto - 1]
        connection.execute(
            "UPDATE chain_head SET last_txn_id = ?, last_hash = ? WHERE id = 1",
            (newest[0], newest[-1]),
        )
        done, start = upto, stop
    connection.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    return cpu, seconds


def drop_object(connection: sqlite3.Connection, name: str) -> None:
    """Drop the trigger or index ``name`` (``--without``: what one guard costs; no schema)."""
    found = connection.execute(
        "SELECT type FROM sqlite_master WHERE name = ? AND type IN ('trigger', 'index')", (name,)
    ).fetchone()
    if found is None:
        raise SystemExit(f"--without {name}: no such trigger or index")
    connection.execute(f"DROP {found[0].upper()} {name}")


def summary(seconds: list[float]) -> str:
    return f"min {min(seconds):6.2f} s  median {statistics.median(seconds):6.2f} s"


def writes(args: argparse.Namespace) -> None:
    source = sqlite3.connect(args.ledger)
    names = ", ".join(f'"{name}"' for name in TRANSACTION_COLUMNS)
    transactions = source.execute(f"SELECT {names} FROM transactions ORDER BY id").fetchall()
    names = ", ".join(f'"{name}"' for name in POSTING_COLUMNS)
    postings = source.execute(f"SELECT {names} FROM postings ORDER BY txn_id, line_no").fetchall()
    source.close()
    print(f"writes: {len(transactions)} transactions, {len(postings)} postings", flush=True)
    target = args.work / "write.db"
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    # "unguarded": the newest schema without any trigger on inserting postings (no seal, no
    # closed-period check): the floor the guards are measured against, never a schema.
    revisions = [*args.revisions, *(["unguarded"] if args.unguarded else [])]
    for _run in range(args.runs):
        for revision in revisions:
            for index in args.indexes:
                head = database.head_revision()
                fresh_ledger(target, args.network, head if revision == "unguarded" else revision)
                with sqlite3.connect(target) as connection:
                    set_index(connection, index)
                    if revision == "unguarded":
                        for (name,) in connection.execute(
                            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                            "AND tbl_name = 'postings' AND sql LIKE '%BEFORE INSERT%'"
                        ).fetchall():
                            connection.execute(f"DROP TRIGGER {name}")
                    for name in args.without:
                        drop_object(connection, name)
                cpu, seconds = insert_rows(target, transactions, postings)
                results.setdefault((revision, index), []).append((cpu, seconds))
                print(
                    f"  schema {revision} index {index:8s} cpu {cpu:6.2f} s wall {seconds:6.2f} s",
                    flush=True,
                )
    for (revision, index), runs in results.items():
        cpu = summary([run[0] for run in runs])
        wall = summary([run[1] for run in runs])
        print(f"schema {revision}, {index:8s} index: cpu {cpu}; wall {wall}")


def imports(args: argparse.Namespace) -> None:
    """The whole `netfund import` of ``--events`` into a fresh SQLite ledger, this netfund's
    code each time, the schema's triggers and indexes those of each revision (the parsing and
    attribution run beside the writer thread, so this is what a user waits for)."""
    netfund = str(Path(sys.executable).with_name("netfund"))
    target = args.work / "import.db"
    results: dict[str, list[tuple[float, float]]] = {}
    for _run in range(args.runs):
        for revision in args.revisions:
            fresh_ledger(target, args.network, revision, stamp=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run(
                [netfund, "--db", str(target), "import", str(args.events)],
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode:
                raise SystemExit(f"import failed: {done.stdout}{done.stderr}")
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            results.setdefault(revision, []).append((cpu, seconds))
            print(f"  schema {revision} cpu {cpu:6.2f} s wall {seconds:6.2f} s", flush=True)
    for revision, runs in results.items():
        cpu = summary([run[0] for run in runs])
        wall = summary([run[1] for run in runs])
        print(f"netfund import, schema {revision}: cpu {cpu}; wall {wall}")


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def reader_queries(connection: Connection) -> dict[str, Callable[[Connection], object]]:
    """The queries that read postings by account, on the ledger ``connection`` reads."""
    period, as_of = connection.execute(
        text("SELECT max(period), max(date) FROM transactions")
    ).one()
    head = connection.execute(text("SELECT last_txn_id, last_hash FROM chain_head")).one()
    funder = connection.execute(
        text("SELECT funder FROM transactions WHERE funder IS NOT NULL ORDER BY id LIMIT 1")
    ).scalar_one()
    middle = _as_date(as_of) - datetime.timedelta(days=180)
    # A scope below the head: the trial balance sums the postings, not balance_totals.
    pinned = Scope(None, None, head[0] - 1, head[1])
    pinned_period = Scope(period, None, head[0] - 1, head[1])
    return {
        "AttributionState (each import)": AttributionState,
        f"period_figures {period} as of {middle}": lambda c: period_figures(c, period, middle),
        f"settle_across_periods {period} as of {middle}": lambda c: settle_across_periods(
            c, period, middle
        ),
        "trial_balance below the head, by fund": lambda c: trial_balance(c, pinned, "fund"),
        f"trial_balance {period} below the head": lambda c: trial_balance(c, pinned_period),
        f"postings_totals {funder} {period}": lambda c: postings_totals(
            c, funder=funder, period=period
        ),
    }


def _as_date(value: datetime.date | str) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def postgres(args: argparse.Namespace) -> None:
    """The whole `import_events` of ``--events`` into a fresh schema per index, then the
    reader queries: the index costs PostgreSQL's COPY too."""
    base = connect(args.pg)
    results: dict[tuple[str, str], list[float]] = {}
    for _run in range(args.runs):
        for index in args.indexes:
            schema = f"write_guards_{index}"
            with base.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            separator = "&" if "?" in args.pg else "?"
            engine = connect(f"{args.pg}{separator}options=-csearch_path%3D{schema}")
            try:
                initialize(engine, load_network(args.network))
                with engine.begin() as connection:
                    for name in connection.execute(
                        text(
                            "SELECT indexname FROM pg_indexes WHERE schemaname = "
                            "current_schema() AND tablename = 'postings' "
                            "AND indexname <> 'pk_postings'"
                        )
                    ).scalars():
                        connection.execute(text(f"DROP INDEX {name}"))
                    if INDEXES[index] is not None:
                        connection.execute(text(INDEXES[index]))
                started = time.perf_counter()
                import_events(engine, args.events)
                seconds = time.perf_counter() - started
                results.setdefault(("import_events", index), []).append(seconds)
                print(f"  PostgreSQL {index:8s} import {seconds:6.2f} s", flush=True)
                time_readers(engine, index, results)
            finally:
                engine.dispose()
                with base.begin() as connection:
                    connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    base.dispose()
    for (name, index), seconds in results.items():
        print(f"PostgreSQL {name:48s} {index:8s} {summary(seconds)}")


def time_readers(
    engine: Engine, index: str, results: dict[tuple[str, str], list[float]]
) -> list[str]:
    """Time each of `reader_queries` once on ``engine``, kept under (query, ``index``); the
    queries' names, in order."""
    with reading(engine) as connection:
        queries = reader_queries(connection)
    for name, query in queries.items():
        with reading(engine) as connection:
            seconds = timed(lambda q=query, c=connection: q(c))  # type: ignore[misc]
        results.setdefault((name, index), []).append(seconds)
    return list(queries)


def readers(args: argparse.Namespace) -> None:
    netfund = str(Path(sys.executable).with_name("netfund"))
    with sqlite3.connect(args.ledger) as connection:
        period, as_of = connection.execute(
            "SELECT max(period), max(date) FROM transactions"
        ).fetchone()
        funder = connection.execute(
            "SELECT funder FROM transactions WHERE funder IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()[0]
    middle = _as_date(as_of) - datetime.timedelta(days=180)
    commands = {
        "status": ["status"],
        f"statements --funder {funder} --as-of {middle}": (
            f"statements --period {period} --funder {funder} --as-of {middle} "
            f"--out {args.work / 'statements'}"
        ).split(),
        "verify": ["verify"],
        f"close {period} --force (on a copy)": f"close {period} --force --reason bench".split(),
    }
    results: dict[tuple[str, str], list[float]] = {}
    copies = {}
    for index in args.indexes:
        copies[index] = args.work / f"read-{index}.db"
        shutil.copyfile(args.ledger, copies[index])
        engine = connect(str(copies[index]))
        initialize(engine)  # the copy at the newest schema, as this netfund reads it
        engine.dispose()
        with sqlite3.connect(copies[index]) as connection:
            set_index(connection, index)
        with sqlite3.connect(copies[index]) as connection:
            connection.execute("VACUUM")
    queries: list[str] = []
    for _run in range(args.runs):
        for index, path in copies.items():
            engine = connect(str(path))
            queries = time_readers(engine, index, results)
            engine.dispose()
            for name, arguments in commands.items():
                target = path
                if arguments[0] == "close":
                    target = args.work / "close.db"
                    shutil.copyfile(path, target)
                call = [netfund, "--db", str(target), "--checkpoints", str(args.work / "cp")]
                Path(args.work / "cp").unlink(missing_ok=True)
                started = time.perf_counter()
                done = subprocess.run([*call, *arguments], capture_output=True, text=True)
                seconds = time.perf_counter() - started
                if done.returncode:
                    raise SystemExit(f"{name} failed: {done.stdout}{done.stderr}")
                results.setdefault((name, index), []).append(seconds)
            print(f"  run {_run + 1}, {index} index done", flush=True)
    for name in [*queries, *commands]:
        for index in args.indexes:
            print(f"{name:48s} {index:8s} {summary(results[(name, index)])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "part", nargs="*", choices=["writes", "readers", "postgres", "import"], default=[]
    )
    parser.add_argument("--ledger", type=Path, required=True, help="an imported SQLite ledger")
    parser.add_argument("--network", type=Path, help="its network.toml (for writes)")
    parser.add_argument(
        "--events", type=Path, help="the ledger's events.csv (for import and postgres)"
    )
    parser.add_argument("--pg", help="a PostgreSQL URL (for postgres): a schema per index")
    parser.add_argument("--work", type=Path, default=Path("/tmp/write_guards"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--revisions", nargs="+", default=["0014", database.head_revision()])
    parser.add_argument(
        "--unguarded",
        action="store_true",
        help="writes: also without any posting trigger (the floor, not a schema)",
    )
    parser.add_argument("--indexes", nargs="+", default=list(INDEXES), choices=list(INDEXES))
    parser.add_argument(
        "--without",
        nargs="+",
        default=[],
        metavar="NAME",
        help="writes: drop these triggers or indexes first (what they cost; not a schema)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    parts = args.part or ["writes", "readers"]
    if "writes" in parts:
        if args.network is None:
            parser.error("writes needs --network")
        writes(args)
    if "readers" in parts:
        readers(args)
    if "import" in parts:
        if args.network is None or args.events is None:
            parser.error("import needs --network and --events")
        imports(args)
    if "postgres" in parts:
        if args.network is None or args.events is None or args.pg is None:
            parser.error("postgres needs --network, --events and --pg")
        postgres(args)


if __name__ == "__main__":
    main()
