"""IBANs: one parser for every account number netfund takes from a person.

An IBAN typed into network.toml or bank-rules.toml decides where money is recognised and
where a refund goes, so a typo must be refused, not matched against nothing. schwifty checks
the country's length and structure, the check digits and, for Dutch accounts, the bank code;
netfund keeps the compact form (``NL91ABNA0417164300``) and compares only that.
"""

from __future__ import annotations

from netfund.ledger.model.fields import FieldError
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


def parse_iban(text: object, what: str = "IBAN") -> str:
    """The compact, upper-case form of the IBAN ``text`` (spaces allowed, as printed on a
    bank statement); `FieldError` naming ``what`` and the reason otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise FieldError(f'{what} must be an IBAN as text, like "NL91 ABNA 0417 1643 00"')
    shown = text.strip()[:40]
    try:
        return str(IBAN(text.strip()).compact)
    except SchwiftyException as error:
        raise FieldError(f"{what} {shown!r} is not a valid IBAN: {_reason(error)}") from None


def compact_account(text: str) -> str:
    """An account number as a bank statement gives it, compared the way `parse_iban` keeps
    them: spaces left out, upper case. Not checked: a statement's counterparty may hold a
    foreign or an old domestic number, and matching it against nothing is harmless."""
    return "".join(text.split()).upper()


def _reason(error: SchwiftyException) -> str:
    text = str(error).strip().rstrip(".")
    return text[:1].lower() + text[1:] if text else type(error).__name__


def format_iban(iban: str) -> str:
    """A compact IBAN as people read it, in groups of four: ``NL91 ABNA 0417 1643 00``."""
    return " ".join(iban[start : start + 4] for start in range(0, len(iban), 4))
