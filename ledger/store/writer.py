"""Appending transactions to the hash chain, for the unit of work of `post.py` (its only user).

An `Appender` lives inside one write transaction. It locks the chain head first (so two
writers on PostgreSQL queue up instead of forking the chain), numbers and hashes each
transaction, re-checks that it balances, and inserts rows in batches: on SQLite multi-row
`INSERT ... VALUES (...), (...)` statements, on PostgreSQL `COPY ... FROM STDIN`. The chain
head follows each batch: on SQLite that is when the database checks that the transactions it
passes balance per fund (migration 0006), a batch at a time, so the check sorts a batch's
postings and not a whole import's. The debits and credits per period, account, fund and group
are added to `balance_totals` in `finish()`, in the same transaction, so in every committed
snapshot the totals describe the postings up to the head.
Nothing is visible to anyone until the surrounding transaction commits, so an import stores
everything or nothing. Only the buffered batch is held in memory, never the transactions appended.

A bulk import asks for a background writer (``Appender(connection, background=True)``): the
batches are then written by one thread while the caller goes on parsing and hashing (the
database drivers release the GIL while the database works). The connection is never used by
two threads at once: every other use of it first waits until the writer is idle
(`drain()`), and `close()` stops the thread before the transaction ends.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from netfund.ledger.model.canonical import canonical_bytes, link_hash
from netfund.ledger.model.columns import (
    POSTING_NAMES,
    TRANSACTION_NAMES,
    line_rows,
    transaction_row,
)
from netfund.ledger.model.entries import Line, check_lines
from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.model.limits import DESCRIPTION_LENGTH_MAX, EXTERNAL_ID_LENGTH_MAX
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.schema import (
    TRANSACTION_TYPES,
    chain_head_table,
    postings_table,
    transactions_table,
)
from netfund.ledger.store.totals import Totals, add_postings
from sqlalchemy import Connection, select, text, update

#: Posting rows buffered before they are sent to the database.
BATCH_ROWS_MAX = 20_000
#: Bound parameters per SQLite statement (SQLite's own limit is 32,766 since 3.32).
SQLITE_PARAMETERS_MAX = 30_000
#: Ids looked up per query when checking for earlier imports.
LOOKUP_BATCH_MAX = 500
#: Where a transaction row holds its hash (the chain head follows the newest row written).
_HASH_COLUMN = TRANSACTION_NAMES.index("hash")
#: How soon a thread that waits for the GIL gets it while a background writer runs (CPython's
#: default is 5 ms). The writer thread gives the GIL up while SQLite runs each statement and
#: needs it back to bind the next; at the default it waited up to 5 ms each time while the
#: main thread parsed, and the two overlapped badly (100k expenses: the writer's wall time
#: 3.7 s at 5 ms, 2.6-2.8 s at 0.2 ms; docs/BENCHMARKS.md, "Issue 21, second round").
WRITER_SWITCH_INTERVAL = 0.0002
#: Adds one write's sums to balance_totals (SQLite ≥ 3.24 and PostgreSQL share the syntax).
_ADD_TOTALS = (
    'INSERT INTO balance_totals (period, account, fund, "group", debit_cents, credit_cents) '
    "VALUES (:p, :a, :f, :g, :d, :c) "
    'ON CONFLICT (period, account, fund, "group") DO UPDATE SET '
    "debit_cents = balance_totals.debit_cents + excluded.debit_cents, "
    "credit_cents = balance_totals.credit_cents + excluded.credit_cents"
)


class Appender:
    """Appends drafts to the chain within ``connection``'s transaction; call `finish()` last."""

    def __init__(self, connection: Connection, background: bool = False) -> None:
        self.connection = connection
        self._writer = _BackgroundWriter() if background else None
        head = connection.execute(
            select(chain_head_table.c.last_txn_id, chain_head_table.c.last_hash)
            .where(chain_head_table.c.id == 1)
            .with_for_update()
        ).one_or_none()
        if head is None:
            raise InvariantViolation("the chain head row is missing: the schema is damaged")
        self.last_id: int = head.last_txn_id
        self.last_hash: str = head.last_hash
        #: Who the transactions are written by: part of each one's hashed content.
        self.actor = current_actor(connection)
        #: PostgreSQL refuses COPY FROM into a table where row-level security applies to the
        #: login (the staff roles of `roles.py`): such a login's rows are copied into a
        #: temporary table of its own and inserted from there, one statement per batch, which
        #: the row policies check as they check any INSERT.
        self._staged = connection.dialect.name == "postgresql" and bool(
            connection.execute(
                text(
                    "SELECT row_security_active('transactions') OR row_security_active('postings')"
                )
            ).scalar_one()
        )
        self._stages: set[str] = set()
        #: Transactions appended so far (they are not kept: an import may hold millions).
        self.appended_count = 0
        self._transaction_rows: list[tuple[Any, ...]] = []
        self._posting_rows: list[tuple[Any, ...]] = []
        #: Debits and credits of the rows written so far, stored by `finish` (balance_totals).
        self._totals: Totals = {}

    def stored_sources(self, external_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        """Of ``external_ids``, those already stored: id → (chain position, source hash)."""
        wanted = sorted(set(external_ids))
        found: dict[str, tuple[int, str]] = {}
        self.drain()
        column = transactions_table.c
        for start in range(0, len(wanted), LOOKUP_BATCH_MAX):
            chunk = wanted[start : start + LOOKUP_BATCH_MAX]
            rows = self.connection.execute(
                select(column.external_id, column.id, column.source_hash).where(
                    column.external_id.in_(chunk)
                )
            )
            for row in rows:
                found[row.external_id] = (row.id, row.source_hash)
        return found

    def append_lines(self, content: Sequence[Any], lines: Sequence[Line]) -> None:
        """Number, hash and buffer one transaction given as its `columns.content_values` and
        its lines (a draft's, `UnitOfWork.append`; or the batch import's, which builds no
        objects per row); raise if it breaks an invariant (the closed periods are the unit of
        work's to check, before this): the engine's own last check."""
        _check_transaction(content[3], content[0], content[4], lines)
        txn_id = self.last_id + 1
        # The rows are built once, hashed and stored as they are. Dates go in as ISO text:
        # SQLAlchemy stores SQLite dates so, and PostgreSQL's COPY parses it into its date.
        self._buffer(transaction_row(txn_id, content, self.actor), line_rows(txn_id, lines))

    def _buffer(self, values: tuple[Any, ...], postings: list[tuple[Any, ...]]) -> None:
        """Hash a transaction row (`TRANSACTION_CONTENT` values) with its posting rows onto
        the chain and buffer both: the one place a transaction joins the chain."""
        txn_hash = link_hash(self.last_hash, canonical_bytes(values, postings))
        self._transaction_rows.append((*values, self.last_hash, txn_hash))
        self._posting_rows += postings
        self.last_id, self.last_hash = values[0], txn_hash
        self.appended_count += 1
        if len(self._posting_rows) >= BATCH_ROWS_MAX:
            self.flush()

    def flush(self) -> None:
        # Raw driver calls with positional rows: no per-row parameter processing by
        # SQLAlchemy (a third of the SQLite import time when it was used).
        transactions, postings = self._transaction_rows, self._posting_rows
        self._transaction_rows, self._posting_rows = [], []
        if not transactions and not postings:
            return
        add_postings(self._totals, transactions, postings)
        if self._writer is not None:
            self._writer.submit(lambda: self._write(transactions, postings))
        else:
            self._write(transactions, postings)

    def written_totals(self) -> Totals:
        """Debits and credits of everything appended so far, per period, account, fund and
        group (written to the database first, so its connection is free afterwards)."""
        self.flush()
        self.drain()
        return self._totals

    def drain(self) -> None:
        """Wait until the background writer has written everything; raise what it raised."""
        if self._writer is not None:
            self._writer.drain()

    def close(self) -> None:
        """Stop the background writer (call it on every way out, before the transaction ends)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.stop()

    def _write(self, transactions: list[tuple[Any, ...]], postings: list[tuple[Any, ...]]) -> None:
        if transactions:
            self._insert_many(transactions_table.name, TRANSACTION_NAMES, transactions)
        if postings:
            self._insert_many(postings_table.name, POSTING_NAMES, postings)
        if transactions:
            newest = transactions[-1]
            self._move_head(newest[0], newest[_HASH_COLUMN])

    def _move_head(self, last_id: int, last_hash: str) -> None:
        self.connection.execute(
            update(chain_head_table)
            .where(chain_head_table.c.id == 1)
            .values(last_txn_id=last_id, last_hash=last_hash)
        )

    def _insert_many(
        self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        quoted = ", ".join(f'"{name}"' for name in columns)
        if self.connection.dialect.name != "sqlite":
            # PostgreSQL: COPY streams the rows in one statement (the statement-level triggers
            # of migration 0004 check them once per COPY).
            cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            target = self._stage(cursor, table) if self._staged else table
            statement = f"COPY {target} ({quoted}) FROM STDIN"
            # COPY goes past SQLAlchemy's execute: tell its cursor listeners (logging, the
            # tests' parameter checks) what is sent, as an executemany of these rows.
            for listener in self.connection.dispatch.before_cursor_execute:
                listener(self.connection, cursor, statement, rows, None, True)
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            if self._staged:
                cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {target}")
                cursor.execute(f"TRUNCATE {target}")
            return
        # SQLite: one INSERT of many rows per statement. Each statement, not each row, then
        # pays for the statement journal SQLite keeps so that a failing statement can be
        # undone on its own (an executemany of single rows wrote one per row).
        per_statement = max(1, SQLITE_PARAMETERS_MAX // len(columns))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            self.connection.exec_driver_sql(
                _sqlite_insert(table, quoted, len(columns), len(chunk)),
                tuple(chain.from_iterable(chunk)),
            )

    def _stage(self, cursor: Any, table: str) -> str:
        """The temporary table a login under row-level security copies ``table``'s rows into
        (its own, gone when the transaction ends)."""
        stage = f"netfund_stage_{table}"
        if stage not in self._stages:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DROP"
            )
            self._stages.add(stage)
        return stage

    def finish(self) -> None:
        """Write what is buffered and move the chain head; the caller's commit makes it real."""
        self.flush()
        self.drain()
        if self._totals:
            self.connection.execute(
                text(_ADD_TOTALS),
                [
                    {"p": period, "a": key[0], "f": key[1], "g": key[2], "d": sums[0], "c": sums[1]}
                    for period, lines in sorted(self._totals.items())
                    for key, sums in sorted(lines.items())
                ],
            )
            self._totals = {}
        self._move_head(self.last_id, self.last_hash)


class _BackgroundWriter:
    """One thread running submitted writes in order; the first failure is kept and re-raised."""

    def __init__(self) -> None:
        # Two batches in flight at most: memory stays bounded however fast rows come.
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        # Process-wide while this writer runs; `stop` puts the interval back.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, WRITER_SWITCH_INTERVAL))
        self._thread = threading.Thread(target=self._run, name="netfund-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    job()
            except BaseException as error:  # handed to the caller's thread by _raise()
                self._error = error
            finally:
                self._jobs.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, job: Callable[[], None]) -> None:
        self._raise()
        self._jobs.put(job)

    def drain(self) -> None:
        self._jobs.join()
        self._raise()

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        sys.setswitchinterval(self._switch_interval)


_SQLITE_INSERTS: dict[tuple[str, int], str] = {}


def _sqlite_insert(table: str, quoted_columns: str, width: int, rows: int) -> str:
    key = (table, rows)
    statement = _SQLITE_INSERTS.get(key)
    if statement is None:
        values = "(" + ", ".join(["?"] * width) + ")"
        statement = f"INSERT INTO {table} ({quoted_columns}) VALUES " + ", ".join([values] * rows)
        if len(_SQLITE_INSERTS) < 64:
            _SQLITE_INSERTS[key] = statement
    return statement


def _check_transaction(
    kind: str, external_id: str, description: str, lines: Sequence[Line]
) -> None:
    """The engine's own last check of every transaction: input validation has reported user
    errors before this."""
    if kind not in TRANSACTION_TYPES:
        raise InvariantViolation(f"unknown transaction type {kind!r}")
    if not external_id or len(external_id) > EXTERNAL_ID_LENGTH_MAX:
        raise InvariantViolation(f"external id {external_id!r} is empty or too long")
    if len(description) > DESCRIPTION_LENGTH_MAX:
        raise InvariantViolation(f"description of {external_id!r} is too long")
    # Every account name valid, every amount integer cents, balanced per fund.
    check_lines(external_id, lines)
