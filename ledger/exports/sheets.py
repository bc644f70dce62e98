"""Writing Arrow tables as CSV and XLSX, the two formats a spreadsheet opens.

Both formats take the same stream of Arrow tables (one chunk at a time, so memory stays flat)
and neutralise formula triggers in every text cell (`export_safety`).

- CSV: UTF-8 without byte-order mark, comma-separated, one header row, ``\\n`` line ends,
  ``.`` as decimal point (decimal columns are written from Arrow's exact decimals), text
  quoted, an empty field for a missing value. A CSV is for programs; people open the XLSX.
- XLSX (openpyxl, write-only mode, so rows go straight to the file): numeric cells with a euro
  number format for money, real dates, a bold frozen header row, set column widths. A sheet
  holds at most 1,048,576 rows (Excel's limit); the rows after that continue on further
  sheets named ``journal (2)``, ``journal (3)``, ..., each with its own header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
from netfund.ledger.exports.pipeline import consume_in_background
from netfund.ledger.exports.safety import neutralise, neutralise_table

#: Excel's row limit per sheet, header row included.
XLSX_ROWS_PER_SHEET_MAX = 1_048_576
#: Euro amounts: the symbol before the number, thousands grouped, two decimals (nl-NL).
EURO_FORMAT = "[$€-413] #,##0.00;[$€-413] -#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
#: Characters per column (Excel width units), wide enough for the longest expected value.
COLUMN_WIDTHS: dict[str, int] = {
    "txn_id": 10,
    "external_id": 28,
    "date": 12,
    "period": 8,
    "type": 12,
    "description": 60,
    "reference": 24,
    "account": 34,
    "fund": 20,
    "group": 20,
    "debit": 16,
    "credit": 16,
    "opening": 18,
    "closing": 18,
    "reversal_of": 12,
    "txn_hash": 66,
}
DEFAULT_WIDTH = 16
#: Sheet names may hold 31 characters; the base name leaves room for " (123)".
SHEET_NAME_BASE_MAX = 24


def _unchanged(table: pa.Table) -> pa.Table:
    return table


def write_csv(
    path: Path,
    schema: pa.Schema,
    tables: Iterable[pa.Table],
    prepare: Callable[[pa.Table], pa.Table] = _unchanged,
) -> int:
    """Write ``tables`` as one CSV file with ``schema``; return the data rows written.

    ``prepare`` turns each table into ``schema`` and runs, with the neutralising and the
    writing, in a worker thread while the next table is read (`export_pipeline`).
    """
    options = pa_csv.WriteOptions(
        include_header=True,
        delimiter=",",
        quoting_style="needed",
        batch_size=65_536,
    )
    rows = 0
    with pa_csv.CSVWriter(str(path), schema, write_options=options) as writer:

        def write(table: pa.Table) -> None:
            nonlocal rows
            ready = prepare(table)
            writer.write_table(neutralise_table(ready.cast(schema)))
            rows += ready.num_rows

        consume_in_background(tables, write)
    return rows


class XlsxTableWriter:
    """Appends Arrow tables to a write-only workbook, starting a new sheet when one is full.

    Attributes:
        rows: data rows written so far (headers not counted).
        sheets: how many sheets were started.
    """

    def __init__(
        self,
        schema: pa.Schema,
        sheet_name: str,
        rows_per_sheet_max: int = XLSX_ROWS_PER_SHEET_MAX,
    ) -> None:
        if not 2 <= rows_per_sheet_max <= XLSX_ROWS_PER_SHEET_MAX:
            raise ValueError(f"rows_per_sheet_max must be 2..{XLSX_ROWS_PER_SHEET_MAX}")
        self.schema = schema
        self.sheet_name = sheet_name[:SHEET_NAME_BASE_MAX]
        self.rows_per_sheet_max = rows_per_sheet_max
        # openpyxl (0.2 s to import) loads only when a workbook is written, not for CSV.
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        self._cell = WriteOnlyCell
        self.workbook = Workbook(write_only=True)
        self.rows = 0
        self.sheets = 0
        self._sheet: Any = None  # a write-only worksheet, once started
        self._sheet_rows = 0
        self._formats = [_number_format(field.type) for field in schema]
        self._texts = [pa.types.is_string(field.type) for field in schema]

    def _start_sheet(self) -> Any:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheets += 1
        title = self.sheet_name if self.sheets == 1 else f"{self.sheet_name} ({self.sheets})"
        sheet = self.workbook.create_sheet(title)
        # Both must be set before the first row: write-only sheets stream rows to disk.
        sheet.freeze_panes = "A2"
        for index, field in enumerate(self.schema, start=1):
            width = COLUMN_WIDTHS.get(field.name, DEFAULT_WIDTH)
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for field in self.schema:
            cell = self._cell(sheet, value=field.name)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        self._sheet = sheet
        self._sheet_rows = 1
        return sheet

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table`` (which has this writer's schema)."""
        columns = [table.column(field.name).to_pylist() for field in self.schema]
        for row_values in zip(*columns, strict=True):
            sheet = self._sheet
            if sheet is None or self._sheet_rows >= self.rows_per_sheet_max:
                sheet = self._start_sheet()
            sheet.append(self._cells(sheet, row_values))
            self._sheet_rows += 1
            self.rows += 1

    def _cells(self, sheet: Any, values: Sequence[Any]) -> list[Any]:
        cells: list[Any] = []
        for value, number_format, is_text in zip(values, self._formats, self._texts, strict=True):
            if value is None:
                cells.append(None)
            elif is_text:
                cells.append(neutralise(value))
            elif number_format is None:
                cells.append(value)
            else:
                cell = self._cell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
        return cells

    def save(self, path: Path) -> int:
        """Write the workbook (a header-only sheet if there were no rows); return the rows."""
        if self._sheet is None:
            self._start_sheet()
        self.workbook.save(str(path))
        return self.rows


def _number_format(kind: pa.DataType) -> str | None:
    if pa.types.is_decimal(kind):
        return EURO_FORMAT
    if pa.types.is_date(kind):
        return DATE_FORMAT
    # Integers (transaction numbers) and text need no format: a plain value is cheaper.
    return None


def write_xlsx(
    path: Path,
    schema: pa.Schema,
    tables: Iterable[pa.Table],
    sheet_name: str,
    rows_per_sheet_max: int = XLSX_ROWS_PER_SHEET_MAX,
) -> int:
    """Write ``tables`` as an XLSX workbook; return the data rows written."""
    writer = XlsxTableWriter(schema, sheet_name, rows_per_sheet_max)
    for table in tables:
        writer.write(table)
    return writer.save(path)
