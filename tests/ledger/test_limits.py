"""Field limits are defined once: what the parsers accept is exactly what the columns hold.

Each probe feeds a parser a value as long as its column, then one character longer: the first
must pass and the second be refused. The migrated database must have the same lengths, so the
limits and the schema cannot drift apart without a migration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from netfund.ledger import (
    ACCOUNT_LENGTH_MAX,
    CODE_LENGTH_MAX,
    DESCRIPTION_LENGTH_MAX,
    EXTERNAL_ID_LENGTH_MAX,
    ID_LENGTH_MAX,
    LABEL_LENGTH_MAX,
    NAME_LENGTH_MAX,
    REFERENCE_LENGTH_MAX,
    RESERVED_ID_PREFIX,
    InputError,
    Network,
)
from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.events import EVENT_COLUMNS, read_events
from netfund.ledger.inputs.network import only, parse_network
from netfund.ledger.model.entries import is_valid_account
from netfund.ledger.store.schema import Base
from sqlalchemy import Engine, Text, inspect

from tests.conftest import EVENTS_HEADER, NETWORK_TOML

#: Every sized text column that holds a user's value, with the limit that sizes it.
COLUMN_LIMITS = {
    ("network_versions", "name"): NAME_LENGTH_MAX,
    ("groups", "code"): CODE_LENGTH_MAX,
    ("groups", "name"): NAME_LENGTH_MAX,
    ("groups", "parent"): CODE_LENGTH_MAX,
    ("funders", "code"): CODE_LENGTH_MAX,
    ("funders", "name"): NAME_LENGTH_MAX,
    ("funders", "framework"): LABEL_LENGTH_MAX,
    ("earmarks", "funder"): CODE_LENGTH_MAX,
    ("earmarks", "group"): CODE_LENGTH_MAX,
    ("transactions", "external_id"): EXTERNAL_ID_LENGTH_MAX,
    ("transactions", "reference"): REFERENCE_LENGTH_MAX,
    ("transactions", "funder"): CODE_LENGTH_MAX,
    ("transactions", "group"): CODE_LENGTH_MAX,
    ("postings", "account"): ACCOUNT_LENGTH_MAX,
    ("postings", "fund"): CODE_LENGTH_MAX,
    ("postings", "group"): CODE_LENGTH_MAX,
    ("balance_totals", "account"): ACCOUNT_LENGTH_MAX,
    ("balance_totals", "fund"): CODE_LENGTH_MAX,
    ("balance_totals", "group"): CODE_LENGTH_MAX,
}


def column_length(table: str, column: str) -> int:
    length = Base.metadata.tables[table].columns[column].type.length  # type: ignore[attr-defined]
    assert isinstance(length, int)
    return length


@pytest.mark.parametrize(("table", "column"), sorted(COLUMN_LIMITS))
def test_the_schema_sizes_each_column_by_its_limit(table: str, column: str) -> None:
    assert column_length(table, column) == COLUMN_LIMITS[table, column]


def test_the_migrated_database_has_the_same_lengths(engine: Engine) -> None:
    inspector = inspect(engine)
    found = {
        (table, column["name"]): getattr(column["type"], "length", None)
        for table in {table for table, _ in COLUMN_LIMITS}
        for column in inspector.get_columns(table)
    }
    assert {key: found[key] for key in COLUMN_LIMITS} == COLUMN_LIMITS


def _network_accepts(change: Callable[[dict], None]) -> bool:
    data = tomllib.loads(NETWORK_TOML)
    change(data)
    try:
        parse_network(data, NETWORK_TOML, "network.toml")
    except InputError:
        return False
    return True


def _set(*path: str | int, to: Callable[[int], str]) -> Callable[[int], Callable[[dict], None]]:
    """A change of the network's data at ``path`` to a value of a given length."""

    def with_length(length: int) -> Callable[[dict], None]:
        def change(data: dict) -> None:
            table = data
            for key in path[:-1]:
                table = table[key]
            table[path[-1]] = to(length)

        return change

    return with_length


def _code(length: int) -> str:
    return "C" * length


def _text(length: int) -> str:
    return "n" * length


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("funders", "code", _set("funders", 0, "code", to=_code)),
        ("groups", "code", _set("groups", 2, "code", to=_code)),
        ("network_versions", "name", _set("network", "name", to=_text)),
        ("funders", "name", _set("funders", 0, "name", to=_text)),
        ("groups", "name", _set("groups", 0, "name", to=_text)),
        ("funders", "framework", _set("funders", 0, "framework", to=_text)),
    ],
)
def test_the_network_reader_accepts_exactly_what_the_column_holds(
    table: str, column: str, value: Callable[[int], Callable[[dict], None]]
) -> None:
    length = column_length(table, column)
    assert _network_accepts(value(length))
    assert not _network_accepts(value(length + 1))


def _account(length: int) -> str:
    """A well-formed account name of ``length`` characters (segments of at most 64)."""
    name = "Expenses"
    while len(name) < length:
        name += ":" + "A" * min(64, length - len(name) - 1)
    return name


def test_an_account_name_is_valid_exactly_up_to_its_column() -> None:
    length = column_length("postings", "account")
    assert len(_account(length)) == length and len(_account(length + 1)) == length + 1
    assert is_valid_account(_account(length))
    assert not is_valid_account(_account(length + 1))


def _event_problems(folder: Path, network: Network, reference: str, description: str) -> list[str]:
    path = folder / "events.csv"
    row = f"e-1,2024-03-01,commitment,GEM,,100.00,{description},{reference}\n"
    path.write_text(EVENTS_HEADER + row, encoding="utf-8")
    reader = CsvReader(path, EVENT_COLUMNS)
    list(read_events(reader, only(network)))
    return [problem.message for problem in reader.problems]


def test_the_events_reader_accepts_exactly_what_the_columns_hold(tmp_path: Path) -> None:
    network = parse_network(tomllib.loads(NETWORK_TOML), NETWORK_TOML, "network.toml")
    reference = column_length("transactions", "reference")
    assert _event_problems(tmp_path, network, "r" * reference, "d") == []
    assert _event_problems(tmp_path, network, "r" * (reference + 1), "d") == [
        f"reference is longer than {reference} characters"
    ]
    # The description column is unbounded text; the limit is the parser's (and the writer's).
    assert isinstance(Base.metadata.tables["transactions"].columns["description"].type, Text)
    assert _event_problems(tmp_path, network, "r", "d" * DESCRIPTION_LENGTH_MAX) == []
    assert _event_problems(tmp_path, network, "r", "d" * (DESCRIPTION_LENGTH_MAX + 1)) == [
        f"description is longer than {DESCRIPTION_LENGTH_MAX} characters"
    ]


def test_a_users_id_leaves_room_for_netfunds_own_prefixes() -> None:
    # The longest id netfund makes from a user's id: a reversal of it.
    assert len(f"{RESERVED_ID_PREFIX}reversal:") + ID_LENGTH_MAX <= column_length(
        "transactions", "external_id"
    )
