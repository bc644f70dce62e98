"""Bank statements built in code, for the importer's and the matcher's tests: the network of
`tests/conftest.py` with a bank account and the funders' accounts, and `BankStatement`s made
line by line (the file formats have tests of their own, `test_formats.py`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from netfund.ledger import BankLine, BankStatement

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
    """One bank line booked on ``day`` (ISO), ``cents`` signed (+ in, - out)."""
    date = datetime.date.fromisoformat(day)
    return BankLine(
        ref=ref,
        entry_ref=ref.split("/")[0],
        booking_date=date,
        value_date=date,
        amount_cents=cents,
        counterparty_iban=iban,
        counterparty_name=name,
        remittance=remittance,
        structured_reference="",
        end_to_end_id=end_to_end_id,
        bank_code="PMNT/RCDT/ESCT" if cents > 0 else "PMNT/ICDT/ESCT",
        returned=returned,
        return_reason=reason,
        line=number,
    )


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
    """A statement from ``start`` to ``end`` (ISO days) of ``lines``; its closing balance
    adds up unless ``closing_cents`` says otherwise."""
    numbered = [replace(item, line=item.line or 10 + index) for index, item in enumerate(lines)]
    closing = opening_cents + sum(item.amount_cents for item in lines)
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    return BankStatement(
        source="statement.xml",
        format="camt.053.001.08",
        statement_id=statement_id,
        sequence=None,
        account_iban=account,
        currency="EUR",
        opening_cents=opening_cents,
        opening_date=first,
        closing_cents=closing if closing_cents is None else closing_cents,
        closing_date=last,
        from_date=first,
        to_date=last,
        lines=tuple(numbered),
        line=2,
        sha256="0" * 64,
    )


def write_rules(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
