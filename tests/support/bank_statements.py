"""Bank statements built in code, for the importer's and the matcher's tests: the network of
`tests/conftest.py` with a bank account and the funders' accounts, and `BankStatement`s made
line by line (the file formats have tests of their own, `test_formats.py`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from netfund.examples.bank_files import bank_line
from netfund.examples.bank_files import statement as bank_statement
from netfund.ledger import (
    BankLine,
    BankStatement,
    connect,
    import_events,
    initialize,
    load_network,
)

from tests.conftest import NETWORK_TOML, write_events

#: The network's own account, and the funders'. GEM pays from one account for two funds in
#: `TWO_FUNDS_TOML`.
NETWORK_IBAN = "NL91ABNA0417164300"
GEM_IBAN = "NL38BNGH0285012345"
ZVK_IBAN = "NL20INGB0001234567"
ZONMW_IBAN = "NL44RABO0123456789"
SUPPLIER_IBAN = "NL63TRIO0212345678"
LANDLORD_IBAN = "NL02ABNA0123456789"
STRANGER_IBAN = "NL38RABO0300000001"


def with_bank(network_toml: str) -> str:
    """``network_toml`` (conftest's NETWORK_TOML) with the network's account and each
    funder's ``ibans``."""
    text = network_toml
    for code, iban in (("GEM", GEM_IBAN), ("ZVK", ZVK_IBAN), ("ZONMW", ZONMW_IBAN)):
        marker = f'code = "{code}"\n'
        text = text.replace(marker, f'{marker}ibans = ["{iban}"]\n', 1)
    return (
        text
        + f"""
[[bank_accounts]]
iban = "{NETWORK_IBAN}"
name = "Stichting Testnetwerk"
"""
    )


def line(
    ref: str,
    day: str,
    cents: int,
    *,
    iban: str = "",
    name: str = "",
    remittance: str = "",
    end_to_end_id: str = "",
    returned: bool = False,
    reason: str = "",
    number: int = 0,
) -> BankLine:
    """One bank line booked on ``day`` (ISO), ``cents`` signed (+ in, - out), on the file's
    line ``number`` (0: numbered by `statement`)."""
    made = bank_line(
        datetime.date.fromisoformat(day),
        cents,
        ref=ref,
        entry_ref=ref.split("/")[0],
        counterparty_iban=iban,
        counterparty_name=name,
        remittance=remittance,
        end_to_end_id=end_to_end_id,
        bank_code="PMNT/RCDT/ESCT" if cents > 0 else "PMNT/ICDT/ESCT",
        returned=returned,
        return_reason=reason,
    )
    return replace(made, line=number)


def statement(
    statement_id: str,
    opening_cents: int,
    lines: Sequence[BankLine],
    *,
    start: str,
    end: str,
    account: str = NETWORK_IBAN,
    closing_cents: int | None = None,
) -> BankStatement:
    """A statement from ``start`` to ``end`` (ISO days) of ``lines``, as read from
    ``statement.xml`` (its lines numbered from 10 unless they say); its closing balance adds
    up unless ``closing_cents`` says otherwise."""
    numbered = [replace(item, line=item.line or 10 + index) for index, item in enumerate(lines)]
    made = bank_statement(
        account,
        statement_id,
        numbered,
        opening_cents=opening_cents,
        from_date=datetime.date.fromisoformat(start),
        to_date=datetime.date.fromisoformat(end),
    )
    return replace(
        made,
        source="statement.xml",
        format="camt.053.001.08",
        line=2,
        sha256="0" * 64,
        closing_cents=made.closing_cents if closing_cents is None else closing_cents,
    )


def ledger_with_savings(db_url: str, folder: Path, savings_iban: str, events: list[str]) -> str:
    """An initialised ledger at ``db_url`` of the bank network with a second account of the
    network's (``savings_iban``, a savings account) and ``events`` imported."""
    path = folder / "network.toml"
    path.write_text(
        with_bank(NETWORK_TOML)
        + f'\n[[bank_accounts]]\niban = "{savings_iban}"\nname = "Spaarrekening"\n',
        encoding="utf-8",
    )
    engine = connect(db_url)
    initialize(engine, load_network(path))
    import_events(engine, write_events(folder / "events.csv", events))
    engine.dispose()
    return db_url


def write_rules(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
