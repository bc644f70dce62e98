"""Statement files through the importer, on SQLite and PostgreSQL: what `read_statements`
gives is what the importer books, whichever format the bank sent (issue 19)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.examples import bank_files
from netfund.examples.bank_files import bank_line, statement
from netfund.ledger import (
    BankStatement,
    InputError,
    connect,
    import_bank_statements,
    import_events,
    initialize,
    load_network,
    read_balances,
)
from netfund.ledger.store.schema import bank_lines_table, transactions_table
from sqlalchemy import Engine, func, select

from tests.conftest import NETWORK_TOML, write_events
from tests.support.bank_statements import GEM_IBAN, NETWORK_IBAN, with_bank

D = datetime.date


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The test network with a bank account; GEM committed 1,000.00 for 2026."""
    path = tmp_path / "network.toml"
    path.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    engine = connect(db_url)
    initialize(engine, load_network(path))
    events = write_events(
        tmp_path / "events.csv",
        ["C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESLUIT-GEM-2026"],
    )
    import_events(engine, events)
    yield engine
    engine.dispose()


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (transactions_table, bank_lines_table)
        )


def gem_bank(engine: Engine) -> int:
    return sum(
        row.balance_cents
        for row in read_balances(engine, by=("account", "fund"))
        if row.account == "Assets:Bank" and row.fund == "GEM"
    )


def february() -> BankStatement:
    receipt = bank_line(
        D(2026, 2, 16),
        25_000,
        ref="2026-0216-001",
        value_date=D(2026, 2, 16),
        counterparty_iban=GEM_IBAN,
        counterparty_name="Gemeente",
        remittance="Q1 BESLUIT-GEM-2026",
        end_to_end_id="GEM-Q1",
    )
    return statement(
        NETWORK_IBAN,
        "2026-02",
        [receipt],
        opening_cents=0,
        from_date=D(2026, 2, 1),
        to_date=D(2026, 2, 28),
        sequence="2",
    )


@pytest.mark.parametrize("first", ["camt.053.001.02", "camt.053.001.08"])
def test_a_camt_file_is_booked_and_the_same_month_as_mt940_adds_nothing(
    engine: Engine, tmp_path: Path, first: str
) -> None:
    path = bank_files.write(tmp_path / "february.xml", [february()], first)
    report = import_bank_statements(engine, path)
    [result] = report.statements
    assert (result.added, result.count("booked")) == (1, 1)
    assert gem_bank(engine) == 25_000
    before = counts(engine)
    again = bank_files.write(tmp_path / "february.sta", [february()], "mt940")
    [result] = import_bank_statements(engine, again).statements
    assert result.added == 0
    assert counts(engine) == before and gem_bank(engine) == 25_000


def test_a_hostile_file_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    before = counts(engine)
    xml = bank_files.camt053([february()]).replace(
        b"?>\n", b'?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', 1
    )
    path = tmp_path / "hostile.xml"
    path.write_bytes(xml)
    with pytest.raises(InputError, match=r"hostile\.xml:2: the file declares a DTD"):
        import_bank_statements(engine, path)
    assert counts(engine) == before
