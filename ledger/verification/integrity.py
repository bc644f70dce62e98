"""The database's own checks, which the hash chain cannot make: is the file (and its indexes)
sound, and is each external id stored once?

Re-hashing reads every row through the table, never through the unique index on
``external_id``; the writer's repeat check reads through that index only. A damaged index (one
changed byte in a SQLite file) can hide an id from the writer, so re-importing a file posts its
expense a second time, and the chain, hashed as it grew, still verifies. So `verify` also:

- runs SQLite's ``PRAGMA integrity_check``, which compares every index with its table (its
  ``quick_check`` does not, and says ok for such a file);
- counts the external ids without the index (SQLite ``NOT INDEXED``; PostgreSQL with index
  scans turned off for that one query), so a duplicate is named by its id and positions
  on either database, whatever the index says.

Either finding is exit 4. PostgreSQL's own index check (the ``amcheck`` extension) needs a
superuser to install; `docs.md` says how an administrator runs it.

SQLite's integrity check reads the whole file and looks up every row in each of its indexes:
at 100,000 transactions it costs about as much as re-hashing the chain. So `verify` runs it
on a connection of its own in a thread (`running`) while the chain is re-hashed (SQLite and
psycopg release the GIL while the database works), and collects it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.database import in_memory, reading
from sqlalchemy import Connection, Engine, text

#: Problems SQLite's integrity check lists at most (it stops there).
PROBLEMS_MAX = 20
#: Duplicate ids named in the message at most.
DUPLICATES_SHOWN = 5

_DUPLICATES = (
    "SELECT external_id, {ids} FROM transactions {hint} GROUP BY external_id "
    "HAVING COUNT(*) > 1 ORDER BY MIN(id) LIMIT :limit"
)


@contextmanager
def running(engine: Engine) -> Iterator[Callable[[Connection], None]]:
    """`check_integrity` on its own connection while the block runs. The block calls what it
    is given, with its own connection, to wait for the result (raising what was found). On
    leaving, the check is waited for in any case, so it never outlives the caller's use of
    the engine. An in-memory SQLite database has no second connection to the same data:
    there the check runs on the caller's connection when the result is asked for."""
    if engine.dialect.name == "sqlite" and in_memory(engine.url):
        yield check_integrity
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="netfund-integrity") as executor:
        future = executor.submit(_check_with, engine)
        yield lambda _connection: future.result()
        wait([future])


def _check_with(engine: Engine) -> None:
    with reading(engine) as connection:
        check_integrity(connection)


def check_integrity(connection: Connection) -> None:
    """Raise `VerificationError` naming what the database's checks found, if anything."""
    findings = [*sqlite_problems(connection), *duplicate_ids(connection)]
    if findings:
        raise VerificationError("the database's integrity check failed: " + "; ".join(findings))


def sqlite_problems(connection: Connection) -> list[str]:
    if connection.dialect.name != "sqlite":
        return []
    rows = connection.exec_driver_sql(f"PRAGMA integrity_check({PROBLEMS_MAX})").scalars().all()
    if rows == ["ok"]:
        return []
    return [f"PRAGMA integrity_check: {' | '.join(str(row) for row in rows)}"]


def duplicate_ids(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        query = _DUPLICATES.format(ids="group_concat(id, ', ')", hint="NOT INDEXED")
        rows = connection.execute(text(query), {"limit": DUPLICATES_SHOWN}).all()
    else:
        query = _DUPLICATES.format(ids="string_agg(id::text, ', ' ORDER BY id)", hint="")
        # SET LOCAL inside a savepoint: rolling it back restores the planner's settings.
        savepoint = connection.begin_nested()
        try:
            for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
                connection.execute(text(f"SET LOCAL {setting} = off"))
            rows = connection.execute(text(query), {"limit": DUPLICATES_SHOWN}).all()
        finally:
            savepoint.rollback()
    return [
        f"external id {external_id!r} is stored more than once (transactions {ids})"
        for external_id, ids in rows
    ]
