"""Formula injection, atomic output, exact money and the writer thread of the exports (issue 5).

The writers are tested here with synthetic rows, so that every text column, and triggers the
importers never let through (a leading tab or carriage return), are covered."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.ledger.exports.journal import JOURNAL_SCHEMA
from netfund.ledger.exports.pipeline import consume_in_background
from netfund.ledger.exports.records import ExportRequest, list_exports, run_export
from netfund.ledger.exports.rows import to_decimal_euros
from netfund.ledger.exports.safety import AtomicFile, neutralise, neutralise_array
from netfund.ledger.exports.sheets import write_csv, write_xlsx
from netfund.ledger.model.errors import LedgerError
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.support.exports import TEXT_COLUMNS

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_trigger_gets_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Toezegging 2026", "'=already quoted", "a=b", "1-2", " =x"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_the_arrow_version_agrees_and_keeps_nulls() -> None:
    values = [*HOSTILE, "plain", "", None]
    result = neutralise_array(pa.array(values, pa.string())).to_pylist()
    assert result == [None if value is None else neutralise(value) for value in values]


def _hostile_journal(rows: int) -> pa.Table:
    """Journal rows with a formula trigger at the start of every text column."""
    columns = {}
    for field in JOURNAL_SCHEMA:
        if field.name in TEXT_COLUMNS:
            columns[field.name] = [HOSTILE[row % len(HOSTILE)] + field.name for row in range(rows)]
        elif field.name in ("debit", "credit"):
            columns[field.name] = [Decimal("1234.56") * row for row in range(rows)]
        elif field.name == "date":
            columns[field.name] = [datetime.date(2026, 1, 1 + row % 28) for row in range(rows)]
        else:
            columns[field.name] = list(range(1, rows + 1))
    return pa.table(columns, schema=JOURNAL_SCHEMA)


def test_csv_neutralises_every_text_column(tmp_path: Path) -> None:
    out = tmp_path / "hostile.csv"
    assert write_csv(out, JOURNAL_SCHEMA, [_hostile_journal(12)]) == 12
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row in rows:
        for column in TEXT_COLUMNS:
            assert row[column].startswith("'"), (column, row[column])
            assert row[column][1:].startswith(TRIGGERS)
        assert Decimal(row["debit"]) % Decimal("1234.56") == 0  # numbers untouched
    assert rows[2]["debit"] == "2469.12"


def test_xlsx_neutralises_every_text_column(tmp_path: Path) -> None:
    out = tmp_path / "hostile.xlsx"
    assert write_xlsx(out, JOURNAL_SCHEMA, [_hostile_journal(12)], "journal") == 12
    sheet = load_workbook(out)["journal"]
    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for name, cell in zip(header, row, strict=True):
            assert cell.data_type != "f", (name, cell.value)
            if name in TEXT_COLUMNS:
                assert cell.data_type == "s" and cell.value.startswith("'"), (name, cell.value)


def test_xlsx_continues_on_further_sheets_when_one_is_full(tmp_path: Path) -> None:
    out = tmp_path / "long.xlsx"
    table = _hostile_journal(11)
    assert write_xlsx(out, JOURNAL_SCHEMA, [table.slice(0, 6), table.slice(6)], "journal", 5) == 11
    book = load_workbook(out)
    assert book.sheetnames == ["journal", "journal (2)", "journal (3)"]
    counts = []
    for sheet in book.worksheets:
        assert [cell.value for cell in sheet[1]] == JOURNAL_SCHEMA.names
        assert sheet.freeze_panes == "A2"
        counts.append(sheet.max_row - 1)
    assert counts == [4, 4, 3]
    ids = [row[0].value for sheet in book.worksheets for row in sheet.iter_rows(min_row=2)]
    assert ids == list(range(1, 12))


def test_an_empty_export_still_has_its_header(tmp_path: Path) -> None:
    out_csv, out_xlsx = tmp_path / "empty.csv", tmp_path / "empty.xlsx"
    assert write_csv(out_csv, JOURNAL_SCHEMA, []) == 0
    assert write_xlsx(out_xlsx, JOURNAL_SCHEMA, [], "journal") == 0
    assert out_csv.read_text(encoding="utf-8").count("\n") == 1
    assert [cell.value for cell in load_workbook(out_xlsx)["journal"][1]] == JOURNAL_SCHEMA.names


@given(st.lists(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1), max_size=50))
def test_cents_become_exact_decimals(values: list[int]) -> None:
    result = to_decimal_euros(pa.array(values, pa.int64()))
    assert result.type == pa.decimal128(18, 2)
    assert result.to_pylist() == [Decimal(value).scaleb(-2) for value in values]


def test_an_atomic_file_appears_only_when_published(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n", encoding="utf-8")
    with pytest.raises(RuntimeError), AtomicFile(target) as output:
        output.temporary.write_text("half", encoding="utf-8")
        raise RuntimeError("the writer failed")
    assert target.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv"]
    with AtomicFile(target) as output:
        output.temporary.write_text("complete\n", encoding="utf-8")
        assert output.digest()[1] == 9
        output.publish()
    assert target.read_text(encoding="utf-8") == "complete\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv"]


def test_unusable_targets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="does not exist"):
        AtomicFile(tmp_path / "missing" / "out.csv")
    with pytest.raises(LedgerError, match="is a directory"):
        AtomicFile(tmp_path)


def test_a_failing_export_leaves_no_file_and_no_record(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "journal.csv"

    def failing(connection, scope, path: Path) -> int:  # type: ignore[no-untyped-def]
        path.write_text("txn_id,external_id\n1,half a row", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        run_export(engine, ExportRequest("journal", "csv", target), failing)
    assert list(folder.iterdir()) == []
    assert list_exports(engine) == []


def test_the_writer_thread_passes_errors_back() -> None:
    seen: list[int] = []
    consume_in_background(iter(range(5)), seen.append)
    assert seen == [0, 1, 2, 3, 4]

    def refuse(item: int) -> None:
        if item == 2:
            raise ValueError("cannot write 2")

    with pytest.raises(ValueError, match="cannot write 2"):
        consume_in_background(iter(range(100)), refuse)

    def broken_reader():  # type: ignore[no-untyped-def]
        yield 1
        raise LookupError("the database went away")

    with pytest.raises(LookupError):
        consume_in_background(broken_reader(), lambda item: None)


def test_only_the_journal_can_be_cut_to_one_fund(engine: Engine, tmp_path: Path) -> None:
    def never(connection, scope, path: Path) -> int:  # type: ignore[no-untyped-def]
        raise AssertionError("a refused export must not be written")

    with pytest.raises(LedgerError, match="covers every fund"):
        request = ExportRequest("beancount", "beancount", tmp_path / "x", fund="GEM")
        run_export(engine, request, never)
    with pytest.raises(LedgerError, match="unknown format 'ods'"):
        run_export(engine, ExportRequest("journal", "ods", tmp_path / "x"), never)
    assert not (tmp_path / "x").exists()
