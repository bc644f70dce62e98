"""Reading a SQLite ledger file as Arrow columns, for the posting-level exports.

Why: a million expenses are six million postings. Read through Python's sqlite3 driver, every
posting becomes a tuple of Python objects that Arrow then converts back into columns; the
profile of the 1M journal export put about half of its time there (issue 7, goals 7a/7b).
The ADBC SQLite driver (Apache Arrow's database connectivity standard, `adbc-driver-sqlite`)
steps the same SQL in C and fills Arrow buffers directly, so no Python object is made per
row. It is Apache Arrow's own project (the driver with its manager is two wheels of 5.8 MB
that need only pyarrow). DuckDB was considered and left: its SQLite reader is an extension it
downloads at run time, which an auditor's offline machine cannot, and its wheel is 24 MB.

The driver opens a connection of its own, read-only, on the file the export's SQLAlchemy
connection has open. Why that is consistent with the export's fingerprint although it is a
second snapshot, taken a little later than the one the scope (`read_scope`) was read in:

- every query of an export is limited to transactions up to ``scope.head_id``, and those
  rows can never change: the ledger is append-only (triggers refuse UPDATE and DELETE) and
  a transaction is committed whole with its postings, so every posting of a transaction up
  to the head is committed before the head is. An append that commits between the two
  snapshots only adds rows above the head, which the queries leave out;
- all reads of the columnar connection run in one read transaction, so the rowid ranges the
  chunk reader takes from the index and the rows it reads with them come from one snapshot
  (a VACUUM in between may renumber rowids; it cannot split a snapshot);
- it is checked, not assumed: the columnar snapshot must hold the scope's head transaction
  with the scope's head hash (the recorded fingerprint), or the export fails.

Only a SQLite file can be opened twice; an in-memory or temporary database has no file, so
`open_columnar` returns None and the export reads through the driver cursor as before.
PostgreSQL does too: its snapshot is the REPEATABLE READ transaction of the export's own
connection, which a second connection (adbc-driver-postgresql) could not share.

The driver infers each column's Arrow type from the first batch of a result (its
``batch_rows`` option), so a nullable text column (a posting's group) whose first rows were
all NULL would be typed as integer and fail at the first text value. Each query therefore
runs with a batch at least as large as its whole result: the chunk reader knows an upper
bound, the rowid range it reads, and the inference sees every row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from netfund.ledger.exports.arrow_values import int64_array, string_array
from netfund.ledger.exports.scope import Scope
from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.store.sqlite_files import reader_uri
from sqlalchemy import Connection


def sqlite_file(connection: Connection) -> str | None:
    """The file of a SQLite connection's main database; None for memory and non-SQLite."""
    if connection.dialect.name != "sqlite":
        return None
    driver = connection.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        for _seq, name, file in cursor.execute("PRAGMA database_list").fetchall():
            if name == "main":
                return str(file) or None
    finally:
        cursor.close()
    return None


class ColumnarSource:
    """One read-only ADBC connection on a SQLite file, in one read transaction.

    Use as a context manager; `close` ends the transaction and the connection. The
    constructor checks the snapshot against ``scope`` (see the module docstring). The
    driver's low-level API is used, not its DB-API layer: that layer imports pyarrow.dataset
    and pandas (0.2 s of every export), and each query is prepared once and bound per chunk.
    """

    def __init__(self, path: str, scope: Scope) -> None:
        import adbc_driver_manager
        import adbc_driver_sqlite

        self._adbc = adbc_driver_manager
        # A URI, so the file is opened read-only and never created if it is gone (and on a
        # read-only medium as the export's own connection opened it).
        self.database = adbc_driver_sqlite.connect(reader_uri(Path(path)))
        self.connection = adbc_driver_manager.AdbcConnection(self.database)
        self.statements: dict[str, Any] = {}
        try:
            # Manual commit: everything below is one transaction, whose snapshot the first
            # query fixes.
            self.connection.set_autocommit(False)
            self._check_head(scope)
        except BaseException:
            self.close()
            raise

    def _check_head(self, scope: Scope) -> None:
        if scope.head_id == 0:
            return
        found = self.rows("SELECT hash FROM transactions WHERE id = ?", (scope.head_id,))
        if not found or found[0][0] != scope.head_hash:
            raise InvariantViolation(
                f"transaction {scope.head_id} read again from the file does not have the "
                "fingerprint the export started from: the database file was replaced"
            )

    def _execute(self, sql: str, values: tuple[Any, ...], rows_max: int) -> pa.Table:
        statement = self.statements.get(sql)
        if statement is None:
            statement = self._adbc.AdbcStatement(self.connection)
            # Kept before it is prepared: a statement that fails to prepare (a damaged file)
            # must still be closed, or closing the connection hides the error behind its own.
            self.statements[sql] = statement
            statement.set_sql_query(sql)
            statement.prepare()
        # One batch for the whole result, so the type inference sees every row.
        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows_max, 1))})
        names = [str(index) for index in range(len(values))]
        statement.bind(pa.record_batch([_column(value) for value in values], names=names))
        stream, _ = statement.execute_query()
        return pa.RecordBatchReader.from_stream(stream).read_all()

    def rows(self, sql: str, values: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows of a query of a single row (a look-up, bounds, a count) as tuples."""
        result = self._execute(sql, values, 1)
        columns = [column.to_pylist() for column in result.columns]
        return list(zip(*columns, strict=True))

    def table(
        self, sql: str, values: tuple[Any, ...], kind: pa.StructType, rows_max: int | None
    ) -> pa.Table:
        """The rows of ``sql`` (at most ``rows_max``) as a table with the fields of ``kind``."""
        if rows_max is None:
            raise ValueError("the columnar reader needs the most rows a query can return")
        result = self._execute(sql, values, rows_max)
        # A no-op where the driver's type is already the one wanted; otherwise an exact cast
        # (int64 to int32 checks the range; a column of only NULLs, or an empty result,
        # comes as int64, which casts to any type).
        columns = [result[field.name].cast(field.type) for field in kind]
        return pa.Table.from_arrays(columns, schema=pa.schema(list(kind)))

    def close(self) -> None:
        """Close the statements, end the read transaction, close the connection and file."""
        try:
            for statement in self.statements.values():
                statement.close()
            self.statements.clear()
            self.connection.rollback()
        finally:
            self.connection.close()
            self.database.close()

    def __enter__(self) -> ColumnarSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_columnar(connection: Connection, scope: Scope) -> ColumnarSource | None:
    """A columnar reader of the file ``connection`` reads, checked against ``scope``; None
    where there is no file to open (PostgreSQL, in-memory SQLite)."""
    path = sqlite_file(connection)
    if path is None:
        return None
    return ColumnarSource(path, scope)


def _column(value: int | str) -> pa.Array:
    """A bound parameter as a one-value column (not `pa.array`, which imports pandas)."""
    if isinstance(value, str):
        return string_array([value])
    return int64_array([value])
