"""The journal export (issue 5) on SQLite and PostgreSQL: CSV, XLSX and Parquet of the Saniveld
ledger hold every posting, to the cent, with the documented columns; filters, streaming in
chunks, formula injection end to end, and the exports log."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from netfund.ledger.exports import rows as export_rows
from netfund.ledger.exports.journal import JOURNAL_COLUMNS
from openpyxl import load_workbook

from tests.conftest import write_events
from tests.support.exports import (
    HOSTILE_EVENTS,
    TEXT_COLUMNS,
    as_json,
    cents,
    invoke,
    ledger_balances,
    ok,
    saniveld_url,  # noqa: F401 - a fixture
    sha256_of,
)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sums(rows: list[dict[str, str]]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["account"], row["fund"])
        totals[key] = totals.get(key, 0) + cents(row["debit"]) - cents(row["credit"])
    return {key: value for key, value in totals.items() if value}


def test_csv_holds_every_posting_to_the_cent(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "journal.csv"
    record = as_json(
        invoke(saniveld_url, "export", "journal", "--format", "csv", "--out", str(out), "--json")
    )
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without byte-order mark
    header = raw.split(b"\n", 1)[0].decode("utf-8")
    assert [name.strip('"') for name in header.split(",")] == list(JOURNAL_COLUMNS)
    rows = _read_csv(out)
    verified = as_json(invoke(saniveld_url, "verify", "--json"))
    assert len(rows) == verified["postings"] == record["rows"]
    assert record["fingerprint"] == verified["fingerprint"]
    assert _sums(rows) == ledger_balances(saniveld_url)
    assert {row["txn_id"] for row in rows} == {str(n) for n in range(1, 351)}
    for row in rows:
        debit, credit = cents(row["debit"]), cents(row["credit"])
        assert (debit > 0) != (credit > 0) and min(debit, credit) == 0
        assert row["period"] == row["date"][:4] == "2026"
        assert len(row["txn_hash"]) == 64
    assert any("Clustercoördinatie" in row["description"] for row in rows)  # UTF-8 intact
    assert record["file_sha256"] == sha256_of(out) and record["file_bytes"] == len(raw)


def test_parquet_has_an_explicit_schema_with_decimal_money(
    saniveld_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    parquet, csv_out = tmp_path / "journal.parquet", tmp_path / "journal.csv"
    ok(invoke(saniveld_url, "export", "journal", "--format", "parquet", "--out", str(parquet)))
    ok(invoke(saniveld_url, "export", "journal", "--format", "csv", "--out", str(csv_out)))
    schema = pq.read_schema(parquet)
    assert schema.names == list(JOURNAL_COLUMNS)
    assert schema.field("debit").type == pa.decimal128(18, 2)
    assert schema.field("credit").type == pa.decimal128(18, 2)
    assert schema.field("date").type == pa.date32()
    assert schema.field("txn_id").type == pa.int64()
    table = pq.read_table(parquet).to_pylist()
    text_rows = _read_csv(csv_out)
    assert len(table) == len(text_rows)
    for parquet_row, text_row in zip(table, text_rows, strict=True):
        assert isinstance(parquet_row["debit"], Decimal)
        assert parquet_row["debit"] == Decimal(text_row["debit"])
        assert parquet_row["credit"] == Decimal(text_row["credit"])
        assert parquet_row["date"] == datetime.date.fromisoformat(text_row["date"])
        assert parquet_row["description"] == text_row["description"]
        assert (parquet_row["group"] or "") == text_row["group"]


def test_xlsx_has_euro_numbers_a_frozen_header_and_widths(
    saniveld_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "journal.xlsx"
    ok(invoke(saniveld_url, "export", "journal", "--format", "xlsx", "--out", str(out)))
    sheet = load_workbook(out)["journal"]
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == list(JOURNAL_COLUMNS)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["F"].width == 60  # description
    debit_column = JOURNAL_COLUMNS.index("debit") + 1
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == as_json(invoke(saniveld_url, "verify", "--json"))["postings"]
    total_debit = total_credit = Decimal(0)
    for row in rows:
        debit, credit = row[debit_column - 1], row[debit_column]
        assert debit.data_type == credit.data_type == "n"
        assert "€" in debit.number_format
        assert row[2].is_date and row[2].number_format == "yyyy-mm-dd"
        total_debit += Decimal(str(debit.value))
        total_credit += Decimal(str(credit.value))
    assert total_debit == total_credit > 0


def test_period_and_fund_filters(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "zonmw.csv"
    record = as_json(
        invoke(
            saniveld_url,
            *("export", "journal", "--format", "csv", "--period", "2026"),
            *("--fund", "ZONMW", "--out", str(out), "--json"),
        )
    )
    rows = _read_csv(out)
    assert rows and {row["fund"] for row in rows} == {"ZONMW"}
    assert record["rows"] == len(rows) and record["period"] == "2026"
    assert record["options"] == {"fund": "ZONMW"}
    expected = {
        key: value for key, value in ledger_balances(saniveld_url).items() if key[1] == "ZONMW"
    }
    assert _sums(rows) == expected
    empty = tmp_path / "2025.csv"
    record = as_json(
        invoke(
            saniveld_url,
            *("export", "journal", "--format", "csv", "--period", "2025", "--out", str(empty)),
            "--json",
        )
    )
    assert record["rows"] == 0 and _read_csv(empty) == []


def test_small_chunks_give_the_same_file(
    saniveld_url: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole, chunked = tmp_path / "whole.csv", tmp_path / "chunked.csv"
    ok(invoke(saniveld_url, "export", "journal", "--format", "csv", "--out", str(whole)))
    chunks: list[int] = []
    original = export_rows._ChunkReader.read

    def counting(self, start: int, stop: int):  # type: ignore[no-untyped-def]
        table = original(self, start, stop)
        chunks.append(table.num_rows)
        return table

    monkeypatch.setattr(export_rows, "TRANSACTIONS_PER_CHUNK", 7)
    monkeypatch.setattr(export_rows.stream_postings, "__defaults__", (None, 7))
    monkeypatch.setattr(export_rows._ChunkReader, "read", counting)
    ok(invoke(saniveld_url, "export", "journal", "--format", "csv", "--out", str(chunked)))
    assert len(chunks) == 50  # 350 transactions, 7 at a time
    assert chunked.read_bytes() == whole.read_bytes()


def test_formula_injection_is_neutralised_end_to_end(db_url: str, tmp_path: Path) -> None:
    from tests.conftest import NETWORK_TOML

    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(HOSTILE_EVENTS, encoding="utf-8")
    ok(invoke(db_url, "init", str(network)))
    ok(invoke(db_url, "import", str(events)))
    out_csv, out_xlsx = tmp_path / "j.csv", tmp_path / "j.xlsx"
    ok(invoke(db_url, "export", "journal", "--format", "csv", "--out", str(out_csv)))
    ok(invoke(db_url, "export", "journal", "--format", "xlsx", "--out", str(out_xlsx)))
    rows = _read_csv(out_csv)
    descriptions = {row["description"] for row in rows}
    assert '\'=HYPERLINK("http://x","y")' in descriptions
    assert {row["external_id"] for row in rows} == {"'=1+2", "'+31-6", "'@x"}
    assert {row["reference"] for row in rows} == {"'@SUM(A1)", "'-2+3", "'=1"}
    for row in rows:
        for column in TEXT_COLUMNS:
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), (column, row)
    sheet = load_workbook(out_xlsx)["journal"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert '\'=HYPERLINK("http://x","y")' in texts and "'=1" in texts


def test_the_exports_log_records_every_export(db_url: str, tmp_path: Path) -> None:
    from tests.conftest import NETWORK_TOML

    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    ok(invoke(db_url, "init", str(network)))
    assert "no exports yet" in ok(invoke(db_url, "exports", "list")).output
    write_events(
        tmp_path / "events.csv",
        [
            "c1,2026-01-02,commitment,GEM,,1000.00,Toezegging,B-1",
            "r1,2026-01-03,receipt,GEM,,250.00,,",
        ],
    )
    ok(invoke(db_url, "import", str(tmp_path / "events.csv")))
    first = tmp_path / "first.parquet"
    printed = ok(
        invoke(db_url, "export", "journal", "--format", "parquet", "--out", str(first))
    ).output
    fingerprint = as_json(invoke(db_url, "verify", "--json"))["fingerprint"]
    assert f"ledger fingerprint {fingerprint} (transaction 2); recorded as export 1" in printed
    assert "wrote 4 postings" in printed
    write_events(tmp_path / "more.csv", ["r2,2026-02-03,receipt,GEM,,50.00,,"])
    ok(invoke(db_url, "import", str(tmp_path / "more.csv")))
    second = tmp_path / "second.csv"
    ok(
        invoke(
            db_url,
            *("export", "trial-balance", "--format", "csv", "--by", "fund"),
            *("--period", "2026", "--out", str(second)),
        )
    )
    log = as_json(invoke(db_url, "exports", "list", "--json"))
    assert [entry["export"] for entry in log] == [1, 2]
    one, two = log
    assert (one["kind"], one["format"], one["rows"], one["last_txn_id"]) == (
        "journal",
        "parquet",
        4,
        2,
    )
    assert one["fingerprint"] == fingerprint and one["period"] is None
    assert one["file_sha256"] == sha256_of(first) and one["path"] == str(first.resolve())
    assert one["command"] == f"netfund export journal --format parquet --out {first.resolve()}"
    assert (two["kind"], two["period"], two["options"]) == (
        "trial-balance",
        "2026",
        {"by": "fund"},
    )
    assert two["last_txn_id"] == 3 and two["fingerprint"] != fingerprint
    assert two["command"].startswith(
        "netfund export trial-balance --format csv --period 2026 --by fund"
    )
    table = ok(invoke(db_url, "exports", "list")).output
    assert "trial-balance" in table and fingerprint[:12] in table


def test_an_export_stops_at_the_head_it_started_from(saniveld_url: str) -> None:  # noqa: F811
    """Transactions appended while an export runs are not in it: the scope fixes the head."""
    from netfund.ledger.exports.scope import Scope, read_scope
    from netfund.ledger.store.database import connect, reading
    from netfund.ledger.store.schema import transactions_table
    from sqlalchemy import select

    engine = connect(saniveld_url)
    try:
        with reading(engine) as connection:
            head = read_scope(connection, None)
            assert head.head_id == 350
            # The scope as if the export had started when transaction 10 was the newest.
            t = transactions_table.c
            tenth = connection.execute(select(t.hash).where(t.id == 10)).scalar_one()
            early = Scope(period=None, fund=None, head_id=10, head_hash=tenth)
            tables = list(export_rows.stream_postings(connection, early))
    finally:
        engine.dispose()
    ids = [txn_id for table in tables for txn_id in table["txn_id"].to_pylist()]
    assert ids and max(ids) == 10 and sorted(set(ids)) == list(range(1, 11))


def test_rows_out_of_chain_order_are_sorted() -> None:
    shuffled = pa.table({"txn_id": [3, 1, 2, 1, 2], "line_no": [1, 2, 2, 1, 1]})
    ordered = export_rows._in_order(shuffled, ["txn_id", "line_no"])
    pairs = zip(ordered["txn_id"].to_pylist(), ordered["line_no"].to_pylist(), strict=True)
    assert list(pairs) == [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1)]
    already = pa.table({"txn_id": [1, 1, 2], "line_no": [1, 2, 1]})
    assert export_rows._in_order(already, ["txn_id", "line_no"]) is already
