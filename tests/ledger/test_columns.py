"""The column record (`model/columns.py`) and the tables hold the same columns.

The writer inserts, verify reads and the exports select by the record's names and order; the
tables are declared in `store/schema.py` and made by the migrations. A column added to one
and not the other fails here, not in a user's ledger.
"""

from __future__ import annotations

from netfund.ledger.model.columns import (
    BIGINT,
    DATE,
    INTEGER,
    POSTING_COLUMNS,
    TEXT,
    TRANSACTION_COLUMNS,
    TRANSACTION_CONTENT,
    Column,
    posting_rows,
    transaction_values,
)
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import BigInteger, Date, Engine, Integer, String, Table, Text, inspect

from tests.support.drafts import known_draft

_SQL_TYPES = {BIGINT: BigInteger, INTEGER: Integer, TEXT: String | Text, DATE: Date}


def _declared(table: Table) -> list[tuple[str, bool]]:
    return [(column.name, bool(column.nullable)) for column in table.columns]


def _recorded(columns: tuple[Column, ...]) -> list[tuple[str, bool]]:
    return [(column.name, column.nullable) for column in columns]


def test_the_schema_declares_the_recorded_columns_in_order() -> None:
    assert _declared(transactions_table) == _recorded(TRANSACTION_COLUMNS)
    assert _declared(postings_table) == _recorded(POSTING_COLUMNS)


def test_each_declared_type_is_the_recorded_kind() -> None:
    for table, columns in (
        (transactions_table, TRANSACTION_COLUMNS),
        (postings_table, POSTING_COLUMNS),
    ):
        for column in columns:
            declared = table.c[column.name].type
            assert isinstance(declared, _SQL_TYPES[column.kind]), (table.name, column.name)
            if column.kind == INTEGER:
                assert not isinstance(declared, BigInteger), column.name


def test_the_migrated_tables_hold_the_recorded_columns(engine: Engine) -> None:
    inspector = inspect(engine)
    for table, columns in (("transactions", TRANSACTION_COLUMNS), ("postings", POSTING_COLUMNS)):
        stored = {column["name"]: column["nullable"] for column in inspector.get_columns(table)}
        assert stored == dict(_recorded(columns)), table


def test_a_draft_fills_the_content_columns_by_name() -> None:
    draft = known_draft(description="d", reference="r", source_hash="s", reversal_of=3)
    values = dict(
        zip([c.name for c in TRANSACTION_CONTENT], transaction_values(9, draft), strict=True)
    )
    assert values == {
        "id": 9,
        "external_id": "e-1",
        "date": "2026-03-04",
        "period": "2026",
        "type": "expense",
        "description": "d",
        "reference": "r",
        "funder": "ZK",
        "group": "WG-A",
        "reversal_of": 3,
        "source_hash": "s",
        "actor": None,
    }
    names = [column.name for column in POSTING_COLUMNS]
    assert [dict(zip(names, row, strict=True)) for row in posting_rows(9, draft)] == [
        {"txn_id": 9, "line_no": 1, "account": "Expenses:WG-A", "fund": "ZK"}
        | {"group": "WG-A", "amount_cents": 1234},
        {"txn_id": 9, "line_no": 2, "account": "Assets:Bank", "fund": "ZK"}
        | {"group": None, "amount_cents": -1234},
    ]
