"""The columnar reader of SQLite files (issue 7, goals 7a/7b) writes the same exports as the
driver-cursor reader it replaced there: the CSV byte for byte, the Parquet as the same table
with the same schema and metadata, and every other posting export's rows (Beancount, hledger
and XAF read the same `stream_postings`) as equal Arrow tables. The ledger holds every kind
of posting: commitments, receipts, allocations on budget accounts, pro-rata and funded
expenses, a closed period's settlement and carry-over, a refund, a reversal, a journal
correction and group-less lines; the exports are compared whole and filtered by period and
fund, in ordinary and in tiny chunks.

The columnar reader opens a second connection to the file, so it is also tested against an
append that commits after the export fixed its head, and against a file whose head is not
the one the export started from. PostgreSQL and in-memory SQLite keep the driver cursor.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from netfund.ledger.exports import columnar as export_columnar
from netfund.ledger.exports import rows as export_rows
from netfund.ledger.exports.journal import JOURNAL_SCHEMA
from netfund.ledger.exports.scope import Scope, read_scope
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.setup import initialize
from sqlalchemy import text

from tests.conftest import NETWORK_TOML, write_events
from tests.support.exports import build_two_periods, invoke, ok
from tests.support.reliability import drop_guards

#: (period, fund) of each compared export; None is every period or fund.
SCOPES = [(None, None), ("2025", None), ("2026", None), (None, "ZVK"), ("2026", "GEM")]
JOURNAL_CORRECTION = (
    "txn_id,date,description,account,fund,group,amount\n"
    "J1,2026-04-01,Herclassificatie,Expenses:WG-B,GEM,WG-B,12.50\n"
    "J1,2026-04-01,Herclassificatie,Expenses:WG-A,GEM,WG-A,-12.50\n"
)


@pytest.fixture(scope="module")
def rich_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding every kind of posting (see the module docstring)."""
    folder = tmp_path_factory.mktemp("columnar")
    url = f"sqlite:///{folder / 'ledger.db'}"
    build_two_periods(url, folder)
    ok(invoke(url, "reverse", "e3", "--date", "2026-02-02"))
    journal = folder / "journal.csv"
    journal.write_text(JOURNAL_CORRECTION, encoding="utf-8")
    ok(invoke(url, "import", "--journal", str(journal)))
    return url


def _scope_args(period: str | None, fund: str | None) -> list[str]:
    return [*(["--period", period] if period else []), *(["--fund", fund] if fund else [])]


def _export(url: str, file_format: str, out: Path, period: str | None, fund: str | None) -> Path:
    args = ["export", "journal", "--format", file_format, "--out", str(out)]
    ok(invoke(url, *args, *_scope_args(period, fund)))
    return out


def _columnar_opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every columnar reader opened, to prove the export did not fall back."""
    opened: list[object] = []
    original = export_rows.open_columnar

    def spying(connection, scope):  # type: ignore[no-untyped-def]
        source = original(connection, scope)
        opened.append(source)
        return source

    monkeypatch.setattr(export_rows, "open_columnar", spying)
    return opened


@pytest.mark.parametrize(("period", "fund"), SCOPES)
def test_csv_and_parquet_are_those_of_the_driver_reader(
    rich_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    period: str | None,
    fund: str | None,
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(export_rows, "open_columnar", lambda connection, scope: None)
        old_csv = _export(rich_url, "csv", tmp_path / "old.csv", period, fund)
        old_parquet = _export(rich_url, "parquet", tmp_path / "old.parquet", period, fund)
    opened = _columnar_opened(monkeypatch)
    new_csv = _export(rich_url, "csv", tmp_path / "new.csv", period, fund)
    new_parquet = _export(rich_url, "parquet", tmp_path / "new.parquet", period, fund)
    assert len(opened) == 2 and all(
        isinstance(source, export_columnar.ColumnarSource) for source in opened
    )
    assert old_csv.read_bytes().count(b"\n") > 1  # a header and rows, not two empty files
    assert new_csv.read_bytes() == old_csv.read_bytes()
    old_table, new_table = pq.read_table(old_parquet), pq.read_table(new_parquet)
    assert new_table.num_rows == old_table.num_rows > 0
    assert new_table.equals(old_table)
    assert pq.read_schema(new_parquet).equals(pq.read_schema(old_parquet), check_metadata=True)
    assert pq.read_schema(new_parquet).remove_metadata().equals(JOURNAL_SCHEMA)


def _tables(
    url: str,
    scope: Scope | None,
    types: list[str] | None,
    chunk: int,
    monkeypatch: pytest.MonkeyPatch,
    columnar: bool,
) -> tuple[Scope, list[pa.Table]]:
    """The chunks `stream_postings` yields, read columnar or through the driver cursor."""
    engine = connect(url)
    try:
        with monkeypatch.context() as patch, reading(engine) as connection:
            if not columnar:
                patch.setattr(export_rows, "open_columnar", lambda connection, scope: None)
            scope = scope or read_scope(connection, None)
            tables = list(export_rows.stream_postings(connection, scope, types, chunk))
    finally:
        engine.dispose()
    return scope, tables


@pytest.mark.parametrize("chunk", [1, 3, 10_000])
@pytest.mark.parametrize(
    ("period", "fund", "types"),
    [
        (None, None, None),
        ("2025", None, ["close", "allocation"]),
        ("2026", "GEM", ["expense", "reversal", "journal"]),
        (None, "ZVK", None),
    ],
)
def test_every_chunk_is_the_driver_readers_chunk(
    rich_url: str,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    period: str | None,
    fund: str | None,
    types: list[str] | None,
) -> None:
    """The rows Beancount, hledger and XAF are written from, chunk by chunk; tiny chunks put
    group-less postings (commitments, receipts) alone at the start of a result."""
    whole, _ = _tables(rich_url, None, None, chunk, monkeypatch, columnar=True)
    scope = Scope(period=period, fund=fund, head_id=whole.head_id, head_hash=whole.head_hash)
    _, new = _tables(rich_url, scope, types, chunk, monkeypatch, columnar=True)
    _, old = _tables(rich_url, scope, types, chunk, monkeypatch, columnar=False)
    assert new, "the scope holds postings"
    assert [table.num_rows for table in new] == [table.num_rows for table in old]
    for new_table, old_table in zip(new, old, strict=True):
        assert new_table.schema.equals(export_rows.ROW_SCHEMA)
        assert new_table.equals(old_table)
    if period is None and fund is None and types is None:
        groups = pa.concat_tables(new)["group"]
        assert groups.null_count and groups.null_count < len(groups)


def test_an_append_after_the_head_was_fixed_stays_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The columnar connection opens after the scope was read and sees a later snapshot;
    the append it sees is above the head, so the export is the ledger of the fingerprint."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    build_two_periods(url, tmp_path)
    engine = connect(url)
    try:
        with reading(engine) as connection:
            scope = read_scope(connection, None)
            with monkeypatch.context() as patch:
                patch.setattr(export_rows, "open_columnar", lambda connection, scope: None)
                before = pa.concat_tables(export_rows.stream_postings(connection, scope))
            write_events(tmp_path / "late.csv", ["late,2026-05-01,receipt,GEM,,9.99,Laat,"])
            ok(invoke(url, "import", str(tmp_path / "late.csv")))
            opened = _columnar_opened(monkeypatch)
            after = pa.concat_tables(export_rows.stream_postings(connection, scope))
    finally:
        engine.dispose()
    assert isinstance(opened[0], export_columnar.ColumnarSource)
    assert after.equals(before)
    assert max(after["txn_id"].to_pylist()) == scope.head_id
    assert _head_id(url) == scope.head_id + 1  # the append did commit meanwhile


def _head_id(url: str) -> int:
    engine = connect(url)
    try:
        with reading(engine) as connection:
            return read_scope(connection, None).head_id
    finally:
        engine.dispose()


def test_a_file_without_the_scopes_head_is_refused(rich_url: str) -> None:
    engine = connect(rich_url)
    try:
        with reading(engine) as connection:
            scope = read_scope(connection, None)
            forged = Scope(None, None, scope.head_id, "0" * 64)
            with pytest.raises(InvariantViolation, match="fingerprint"):
                list(export_rows.stream_postings(connection, forged))
    finally:
        engine.dispose()


def test_in_memory_sqlite_reads_through_the_driver(tmp_path: Path) -> None:
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    engine = connect("sqlite://")
    try:
        initialize(engine, load_network(network))
        events = write_events(
            tmp_path / "events.csv",
            ["c1,2026-01-02,commitment,GEM,,1000.00,Toezegging,", "r1,2026-01-03,receipt,GEM,,5,,"],
        )
        import_events(engine, events)
        with reading(engine) as connection:
            scope = read_scope(connection, None)
            assert export_columnar.sqlite_file(connection) is None
            assert export_columnar.open_columnar(connection, scope) is None
            rows = pa.concat_tables(export_rows.stream_postings(connection, scope))
    finally:
        engine.dispose()
    assert rows["txn_id"].to_pylist() == [1, 1, 2, 2]


@pytest.mark.parametrize("columnar", [True, False])
def test_a_chunk_without_transactions_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columnar: bool
) -> None:
    """A range of ids with no rows (a transaction deleted behind netfund's back, which verify
    reports) yields nothing for that chunk instead of failing the export."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    build_two_periods(url, tmp_path)
    engine = connect(url)
    try:
        drop_guards(engine)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM postings WHERE txn_id = 3"))
            connection.execute(text("DELETE FROM transactions WHERE id = 3"))
    finally:
        engine.dispose()
    _, tables = _tables(url, None, None, 1, monkeypatch, columnar)
    ids = [txn_id for table in tables for txn_id in table["txn_id"].to_pylist()]
    assert 3 not in ids and {2, 4} <= set(ids)
    assert ids == sorted(ids)
