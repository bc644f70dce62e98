"""The database itself keeps measurements append-only (migration 0014's triggers), as it keeps
every other append-only table: an UPDATE or DELETE through any connection, the owner's
included, is refused; only dropping the triggers (`drop_guards`, what an attacker who owns
the database can do) lets one through, and then `verify` names it
(test_importing.test_verify_finds_the_measurements_changed_around_netfund)."""

from __future__ import annotations

from pathlib import Path

import pytest
from netfund.ledger import import_indicators
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from tests.support.indicators import ROWS, TODAY, write_indicators
from tests.support.reliability import drop_guards

CHANGES = (
    "UPDATE indicator_measurements SET value = '99'",
    "DELETE FROM indicator_measurements",
)


def _stored(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            (row.indicator, row.value)
            for row in connection.execute(
                text("SELECT indicator, value FROM indicator_measurements ORDER BY id")
            )
        ]


@pytest.mark.parametrize("change", CHANGES)
def test_the_database_refuses_to_change_a_measurement(
    indicator_engine: Engine, tmp_path: Path, change: str
) -> None:
    import_indicators(
        indicator_engine, write_indicators(tmp_path / "indicators.csv", ROWS), today=TODAY
    )
    before = _stored(indicator_engine)
    with (
        pytest.raises(DatabaseError, match=r"append-only"),
        indicator_engine.begin() as connection,
    ):
        connection.execute(text(change))
    assert _stored(indicator_engine) == before
    # Without the triggers the same statement goes through: they are what refused it.
    drop_guards(indicator_engine)
    with indicator_engine.begin() as connection:
        assert connection.execute(text(change)).rowcount == len(before)
    assert _stored(indicator_engine) != before
