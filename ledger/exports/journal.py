"""The journal export: one row per posting, as CSV, XLSX or Parquet.

Columns (`JOURNAL_SCHEMA`): ``txn_id, external_id, date, period, type, description,
reference, account, fund, group, debit, credit, reversal_of, txn_hash``. ``txn_id`` is the
transaction's chain position, ``external_id`` the id it was imported or posted with; a posting
is a debit or a credit, the other column is 0.00; ``reversal_of`` is the chain position of the
transaction a reversal reverses; ``txn_hash`` the transaction's link in the hash chain, so
every row can be traced to the chain that `netfund verify` checks.

Money goes from integer cents to exact decimal(18, 2) in Arrow's integer decimal arithmetic,
never through a float. Rows stream chunk by chunk from `export_rows` into the format's
writer: pyarrow's CSV and Parquet writers, openpyxl's write-only workbook.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from netfund.ledger.exports.pipeline import consume_in_background
from netfund.ledger.exports.registry import Writer
from netfund.ledger.exports.rows import (
    EURO_DECIMAL,
    ROW_SCHEMA,
    debit_credit_cents,
    stream_postings,
    to_decimal_euros,
)
from netfund.ledger.exports.scope import Scope
from netfund.ledger.exports.sheets import XLSX_ROWS_PER_SHEET_MAX, write_csv, write_xlsx
from sqlalchemy import Connection

#: The journal's columns, in the file's order: a posting row's (`rows.ROW_SCHEMA`) without
#: its line number, the amount as a debit and a credit.
JOURNAL_COLUMNS = (
    "txn_id",
    "external_id",
    "date",
    "period",
    "type",
    "description",
    "reference",
    "account",
    "fund",
    "group",
    "debit",
    "credit",
    "reversal_of",
    "txn_hash",
)
_MONEY_COLUMNS = ("debit", "credit")
JOURNAL_SCHEMA = pa.schema(
    [
        pa.field(name, EURO_DECIMAL, nullable=False)
        if name in _MONEY_COLUMNS
        else ROW_SCHEMA.field(name)
        for name in JOURNAL_COLUMNS
    ]
)
#: Parquet compression: snappy is fast to write and read everywhere.
PARQUET_COMPRESSION = "snappy"
#: Columns with few distinct values, dictionary-encoded in Parquet. Ids, hashes, texts and
#: amounts are nearly all distinct: a dictionary for them costs time (a quarter of the
#: writer's at 1M expenses) and, once it overflows, only falls back to plain encoding.
PARQUET_DICTIONARY_COLUMNS = ("date", "period", "type", "account", "fund", "group")


def journal_table(rows: pa.Table) -> pa.Table:
    """A chunk of `rows.ROW_SCHEMA` rows as journal rows."""
    debit_cents, credit_cents = debit_credit_cents(rows["amount_cents"])
    columns = {name: rows[name] for name in JOURNAL_COLUMNS if name not in _MONEY_COLUMNS}
    columns["debit"] = to_decimal_euros(debit_cents)
    columns["credit"] = to_decimal_euros(credit_cents)
    return pa.Table.from_arrays([columns[name] for name in JOURNAL_COLUMNS], schema=JOURNAL_SCHEMA)


def journal_tables(connection: Connection, scope: Scope) -> Iterator[pa.Table]:
    """The journal of ``scope``, chunk by chunk."""
    for rows in stream_postings(connection, scope):
        yield journal_table(rows)


def write_journal_csv(connection: Connection, scope: Scope, path: Path) -> int:
    # The conversion to journal rows runs in the writer thread, beside the next read.
    return write_csv(path, JOURNAL_SCHEMA, stream_postings(connection, scope), journal_table)


def write_journal_xlsx(
    connection: Connection,
    scope: Scope,
    path: Path,
    rows_per_sheet_max: int = XLSX_ROWS_PER_SHEET_MAX,
) -> int:
    return write_xlsx(
        path, JOURNAL_SCHEMA, journal_tables(connection, scope), "journal", rows_per_sheet_max
    )


def write_journal_parquet(connection: Connection, scope: Scope, path: Path) -> int:
    """Parquet with the explicit `JOURNAL_SCHEMA`: decimal(18, 2) money, date32 dates."""
    rows = 0
    with pq.ParquetWriter(
        str(path),
        JOURNAL_SCHEMA,
        compression=PARQUET_COMPRESSION,
        version="2.6",
        use_dictionary=list(PARQUET_DICTIONARY_COLUMNS),
    ) as writer:

        def write(chunk: pa.Table) -> None:
            nonlocal rows
            table = journal_table(chunk)
            writer.write_table(table)
            rows += table.num_rows

        consume_in_background(stream_postings(connection, scope), write)
    return rows


#: The writer of each of the journal's formats (`registry.EXPORTS` takes it from here).
JOURNAL_WRITERS: dict[str, Writer] = {
    "csv": write_journal_csv,
    "xlsx": write_journal_xlsx,
    "parquet": write_journal_parquet,
}
