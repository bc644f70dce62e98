"""Streaming the postings of a scope as Arrow tables, one bounded chunk at a time.

Every posting-level export (journal, Beancount, hledger, XAF) reads the ledger through
`stream_postings`. It walks the transaction ids in ranges of `TRANSACTIONS_PER_CHUNK`
(positions are dense, 1..head, so a range is an index scan on the primary key), reads the
range's transactions and postings with plain queries, and joins them in Arrow. Memory stays
flat however large the ledger: one chunk at a time. A transaction never spans two chunks, so
a consumer can group a chunk's rows by transaction.

Why not SQLAlchemy rows: a million transactions have six million postings, and building a
Row object per posting costs more than the rest of an export. A SQLite file is read in
columns by the ADBC driver (`export_columnar`: no Python object per row, a second read-only
connection whose consistency with the scope is argued and checked there); PostgreSQL and
in-memory SQLite through the driver cursor of the export's own connection, `FETCH_ROWS`
tuples at a time. Both run the same static SQL with bound parameters and give the same
tables.

Money stays integer cents (`amount_cents`, debit positive) here; the formats turn it into
exact decimals (`to_decimal_euros`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
from netfund.ledger.exports.arrow_values import decimal_scalar, int64_scalar
from netfund.ledger.exports.columnar import open_columnar
from netfund.ledger.exports.scope import Scope
from netfund.ledger.model.columns import (
    BIGINT,
    DATE,
    INTEGER,
    POSTING_COLUMNS,
    TEXT,
    TRANSACTION_COLUMNS,
    Column,
)
from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Connection, func, select

#: Transactions read per chunk: about 60,000 postings for ordinary six-line transactions.
TRANSACTIONS_PER_CHUNK = 10_000
#: Rows taken from the database driver at a time (Python objects alive at once).
FETCH_ROWS = 8_192
#: Largest amount a decimal(18, 2) column holds, in cents; far above any ledger's sums.
DECIMAL_18_2_MAX_CENTS = 10**18 - 1
EURO_DECIMAL = pa.decimal128(18, 2)

#: Stored kinds of column (`model.columns`) as Arrow types (SQLite's dates come as text and
#: are cast).
_ARROW_TYPES = {BIGINT: pa.int64(), INTEGER: pa.int32(), TEXT: pa.string(), DATE: pa.date32()}
#: The transaction columns a posting row leaves out: the event's funder and group (each
#: posting carries its own fund and group), and what only imports and the chain use.
_NOT_IN_ROWS = ("funder", "group", "source_hash", "prev_hash")
#: The transaction's columns read for its postings' rows, in stored order.
_HEADER_COLUMNS = tuple(c for c in TRANSACTION_COLUMNS if c.name not in _NOT_IN_ROWS)
#: Of those, the ones a row carries (the id is the posting's txn_id already) ...
_HEADER_IN_ROWS = tuple(c for c in _HEADER_COLUMNS if c.name != "id")
#: ... and the names it gives them, where they differ from the stored ones.
_ROW_NAMES = {"hash": "txn_hash"}


def _field(column: Column, name: str | None = None) -> pa.Field:
    return pa.field(name or column.name, _ARROW_TYPES[column.kind], nullable=column.nullable)


#: Which posting a row is (txn_id, line_no), and what it says (account, fund, ...).
_POSTING_KEYS, _POSTING_VALUES = POSTING_COLUMNS[:2], POSTING_COLUMNS[2:]
#: The columns of every chunk, in order: the posting's keys, its transaction's columns, the
#: posting's values.
ROW_SCHEMA = pa.schema(
    [
        *(_field(column) for column in _POSTING_KEYS),
        *(_field(column, _ROW_NAMES.get(column.name)) for column in _HEADER_IN_ROWS),
        *(_field(column) for column in _POSTING_VALUES),
    ]
)


def _select_list(columns: Sequence[Column]) -> str:
    return ", ".join(f'"{column.name}"' for column in columns)


_TRANSACTION_COLUMNS = _select_list(_HEADER_COLUMNS)
_POSTING_COLUMNS = _select_list(POSTING_COLUMNS)
_POSTING_STRUCT = pa.struct([(c.name, _ARROW_TYPES[c.kind]) for c in POSTING_COLUMNS])


def _transaction_struct(dates: pa.DataType) -> pa.StructType:
    return pa.struct(
        [(c.name, dates if c.kind == DATE else _ARROW_TYPES[c.kind]) for c in _HEADER_COLUMNS]
    )


def transaction_id_range(
    connection: Connection, scope: Scope, types: Sequence[str] | None = None
) -> tuple[int, int] | None:
    """The lowest and highest transaction id in ``scope`` (of ``types``), or None if none."""
    t = transactions_table.c
    query = select(func.min(t.id), func.max(t.id)).where(t.id <= scope.head_id)
    if scope.period is not None:
        query = query.where(t.period == scope.period)
    if types is not None:
        query = query.where(t.type.in_(list(types)))
    low, high = connection.execute(query).one()
    if low is None:
        return None
    return int(low), int(high)


def stream_postings(
    connection: Connection,
    scope: Scope,
    types: Sequence[str] | None = None,
    transactions_per_chunk: int = TRANSACTIONS_PER_CHUNK,
) -> Iterator[pa.Table]:
    """The postings of ``scope`` (only of transactions of ``types``, if given) in chain order.

    Each table has `ROW_SCHEMA` and holds whole transactions, ordered by transaction and line.
    """
    if transactions_per_chunk < 1:
        raise ValueError("transactions_per_chunk must be positive")
    bounds = transaction_id_range(connection, scope, types)
    if bounds is None:
        return
    low, high = bounds
    ranges = [
        (start, min(start + transactions_per_chunk, high))
        for start in range(low - 1, high, transactions_per_chunk)
    ]
    columnar = open_columnar(connection, scope)
    if columnar is None:
        source = _DriverSource(connection)
        reader = _ChunkReader(connection, source, scope, types)
        for start, stop in ranges:
            table = reader.read(start, stop)
            if table.num_rows:
                yield table
        return
    sources: list[_Source] = [columnar]
    try:
        if len(ranges) > 1 and (os.cpu_count() or 1) > 1:
            second = open_columnar(connection, scope)
            if second is not None:
                sources.append(second)
        readers = [_ChunkReader(connection, source, scope, types) for source in sources]
        yield from _read_alternately(readers, ranges)
    finally:
        for source in sources:
            source.close()


def _read_alternately(
    readers: list[_ChunkReader], ranges: list[tuple[int, int]]
) -> Iterator[pa.Table]:
    """The chunks of ``ranges`` in order, read by ``readers`` side by side.

    Why: at 1M expenses reading is most of a columnar export's time, and the ADBC driver
    steps SQLite without the GIL, so a second connection on the file reads the next chunk on
    the other core. Chunk k goes to reader k mod n and at most n chunks are in flight, so a
    reader (one connection, not thread-safe) is only ever used by one thread at a time.
    """
    if len(readers) == 1:
        for start, stop in ranges:
            table = readers[0].read(start, stop)
            if table.num_rows:
                yield table
        return
    with ThreadPoolExecutor(len(readers), thread_name_prefix="netfund-export-read") as pool:
        pending: deque[Future[pa.Table]] = deque()
        for index, (start, stop) in enumerate(ranges):
            if len(pending) == len(readers):
                table = pending.popleft().result()
                if table.num_rows:
                    yield table
            pending.append(pool.submit(readers[index % len(readers)].read, start, stop))
        while pending:
            table = pending.popleft().result()
            if table.num_rows:
                yield table


class _Source(Protocol):
    """Where a chunk's rows come from: the export's driver cursor or a columnar reader."""

    def rows(self, sql: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]: ...

    def table(
        self, sql: str, values: tuple[Any, ...], kind: pa.StructType, rows_max: int | None
    ) -> pa.Table:
        """The rows of ``sql`` as a table of ``kind``; ``rows_max`` bounds them, if known."""
        ...

    def close(self) -> None: ...


class _DriverSource:
    """The DB-API cursor of the export's own connection: its transaction, its snapshot."""

    def __init__(self, connection: Connection) -> None:
        self.driver = connection.connection.driver_connection

    def rows(self, sql: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor = self.driver.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, values)
            return cursor.fetchall()
        finally:
            cursor.close()

    def table(
        self, sql: str, values: tuple[Any, ...], kind: pa.StructType, rows_max: int | None
    ) -> pa.Table:
        """The rows of ``sql`` as an Arrow table, `FETCH_ROWS` driver tuples at a time.

        Arrow converts the tuples in C++ (about five times faster than ``zip(*rows)``), and
        only one batch of Python objects is alive at a time, which keeps the memory flat.
        """
        cursor = self.driver.cursor()  # type: ignore[union-attr]
        batches = []
        try:
            cursor.execute(sql, values)
            while rows := cursor.fetchmany(FETCH_ROWS):
                batches.append(pa.RecordBatch.from_struct_array(pa.array(rows, type=kind)))
        finally:
            cursor.close()
        return pa.Table.from_batches(batches, schema=pa.schema(list(kind)))

    def close(self) -> None:
        """Nothing to close: the connection is the export's."""


class _ChunkReader:
    """The queries of a chunk, prepared once for the scope and the database's dialect.

    On SQLite the primary keys of both tables are separate indexes (BIGINT keys are not the
    rowid), so reading a range through them costs a table lookup per row. The rows were
    appended in chain order, so a range of transactions sits in a compact range of rowids:
    the reader takes the rowid bounds of the id range from the covering index, then reads
    the table in rowid order, still filtered by id, about twice as fast. The bounds contain
    every row of the id range whatever the layout, so this is correct for any file; a
    layout out of chain order only costs speed, and the chunk is sorted in Arrow if needed.
    """

    def __init__(
        self,
        connection: Connection,
        source: _Source,
        scope: Scope,
        types: Sequence[str] | None,
    ) -> None:
        self.source = source
        self.sqlite = connection.dialect.name == "sqlite"
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        # SQLite hands back the ISO text SQLAlchemy stored; PostgreSQL hands back dates.
        self.transaction_struct = _transaction_struct(pa.string() if self.sqlite else pa.date32())
        transaction_filter = ""
        self.filter_values: tuple[Any, ...] = ()
        if scope.period is not None:
            transaction_filter += f" AND period = {mark}"
            self.filter_values += (scope.period,)
        if types is not None:
            transaction_filter += " AND type IN (" + ", ".join(mark for _ in types) + ")"
            self.filter_values += tuple(types)
        posting_filter = ""
        self.fund_values: tuple[Any, ...] = ()
        if scope.fund is not None:
            posting_filter += f" AND fund = {mark}"
            self.fund_values = (scope.fund,)
        self.restricted = bool(transaction_filter)
        if self.restricted:
            posting_filter += (
                f" AND txn_id IN (SELECT id FROM transactions "
                f"WHERE id > {mark} AND id <= {mark}{transaction_filter})"
            )
        self.filtered = bool(posting_filter)
        in_rowids = f"rowid >= {mark} AND rowid <= {mark} AND " if self.sqlite else ""
        order = "rowid" if self.sqlite else "id"
        self.transactions_sql = (
            f"SELECT {_TRANSACTION_COLUMNS} FROM transactions WHERE {in_rowids}"
            f"id > {mark} AND id <= {mark}{transaction_filter} ORDER BY {order}"
        )
        order = "rowid" if self.sqlite else "txn_id, line_no"
        self.postings_sql = (
            f"SELECT {_POSTING_COLUMNS} FROM postings WHERE {in_rowids}"
            f"txn_id > {mark} AND txn_id <= {mark}{posting_filter} ORDER BY {order}"
        )
        self.transaction_bounds_sql = (
            f"SELECT min(rowid), max(rowid) FROM transactions WHERE id > {mark} AND id <= {mark}"
        )
        self.posting_bounds_sql = (
            "SELECT min(rowid), max(rowid), count(*) FROM postings "
            f"WHERE txn_id > {mark} AND txn_id <= {mark}"
        )

    def _transactions(self, start: int, stop: int) -> pa.Table:
        values: tuple[Any, ...] = (start, stop, *self.filter_values)
        rows_max = None
        if self.sqlite:
            ((low, high),) = self.source.rows(self.transaction_bounds_sql, (start, stop))
            if low is None:
                return _empty(pa.schema(list(self.transaction_struct)))
            values = (low, high, *values)
            rows_max = high - low + 1
        table = self.source.table(self.transactions_sql, values, self.transaction_struct, rows_max)
        return _in_order(table, ["id"])

    def _postings(self, start: int, stop: int) -> pa.Table:
        values: tuple[Any, ...] = (start, stop, *self.fund_values)
        if self.restricted:
            values += (start, stop, *self.filter_values)
        expected = rows_max = None
        if self.sqlite:
            ((low, high, count),) = self.source.rows(self.posting_bounds_sql, (start, stop))
            if low is None:
                return _empty(pa.schema(list(_POSTING_STRUCT)))
            values = (low, high, *values)
            expected = None if self.filtered else int(count)
            rows_max = high - low + 1
        table = self.source.table(self.postings_sql, values, _POSTING_STRUCT, rows_max)
        if expected is not None and table.num_rows != expected:
            raise InvariantViolation(
                f"transactions {start + 1}..{stop}: read {table.num_rows} postings, "
                f"the index holds {expected}"
            )
        return _in_order(table, ["txn_id", "line_no"])

    def read(self, start: int, stop: int) -> pa.Table:
        """Postings of transactions with ids in (start, stop], joined with their transaction."""
        header = self._transactions(start, stop)
        if not header.num_rows:
            return _empty(ROW_SCHEMA)
        lines = self._postings(start, stop)
        if not lines.num_rows:
            return _empty(ROW_SCHEMA)
        # Each posting's row in the header table: a hash lookup in C++.
        positions = pc.index_in(lines["txn_id"], value_set=header["id"])
        if positions.null_count:
            raise InvariantViolation(
                f"postings of transactions {start + 1}..{stop} refer to no stored transaction"
            )
        header = header.take(positions)
        return pa.Table.from_arrays(
            [
                *(lines[column.name] for column in _POSTING_KEYS),
                *(
                    header[c.name].cast(pa.date32()) if c.kind == DATE else header[c.name]
                    for c in _HEADER_IN_ROWS
                ),
                *(lines[column.name] for column in _POSTING_VALUES),
            ],
            schema=ROW_SCHEMA,
        )


def _in_order(table: pa.Table, keys: list[str]) -> pa.Table:
    """``table`` sorted by ``keys`` (unique together); already sorted tables are kept as they are.

    The rowid order of SQLite is the chain order for every ledger netfund wrote, so sorting is
    the exception; checking costs one comparison per row.
    """
    if table.num_rows < 2:
        return table
    first_next, first = table[keys[0]][1:], table[keys[0]][:-1]
    ascending = pc.greater(first_next, first)
    if len(keys) == 2:
        second_up = pc.greater(table[keys[1]][1:], table[keys[1]][:-1])
        ascending = pc.or_(ascending, pc.and_(pc.equal(first_next, first), second_up))
    if pc.all(ascending).as_py():
        return table
    return table.take(pc.sort_indices(table, sort_keys=[(key, "ascending") for key in keys]))


def to_decimal_euros(cents: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Integer cents as exact decimal(18, 2) euros, computed in integers (no float).

    ``cents × 0.01`` in Arrow's decimal arithmetic is exact; the final cast checks the range.
    """
    if len(cents) and pc.max(pc.abs(cents)).as_py() > DECIMAL_18_2_MAX_CENTS:
        raise InvariantViolation("an amount exceeds decimal(18, 2)")
    wide = cents.cast(pa.decimal128(19, 0))
    scaled = pc.multiply(wide, decimal_scalar(1, 3, 2))  # 0.01
    return scaled.cast(EURO_DECIMAL)


def debit_credit_cents(
    cents: pa.Array | pa.ChunkedArray,
) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray]:
    """Signed cents (debit positive) split into two non-negative columns: debit, credit."""
    zero = int64_scalar(0)
    debit = pc.max_element_wise(cents, zero)
    credit = pc.negate(pc.min_element_wise(cents, zero))
    return debit, credit


def _empty(schema: pa.Schema) -> pa.Table:
    """A table without rows (not `Schema.empty_table`, which makes pyarrow import pandas)."""
    return pa.Table.from_batches([], schema=schema)
