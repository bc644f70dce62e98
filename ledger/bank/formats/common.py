"""What both statement formats share: amounts as cents, the hash reference, one kind of error.

The formats differ in syntax only; what a line *is* (its signed cents, its reference when the
bank gave none) must come out the same whichever file the bank sent, so the importer finds the
same line again in an overlapping statement.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from netfund.ledger.model.dialect import DUTCH, STANDARD
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.model.money import AmountError, parse_cents

#: The one currency netfund books; a statement in another is refused, never converted.
CURRENCY = "EUR"

# Zeros after the second decimal say nothing ("12.500" is 12.50: the XSD allows five
# decimals); anything else there is a fraction of a cent, which `parse_cents` refuses.
_TRAILING_ZEROS = re.compile(r"^([+-]?[0-9]+[.,][0-9]{2})0+$")
_ZERO = re.compile(r"^[+-]?0*[.,]?0*$")


def amount_cents(text: str, *, decimal_comma: bool = False) -> int:
    """The unsigned cents of a bank amount (``1234.5``; MT940: ``1234,5`` or ``1234,``), 0
    allowed (a balance may be zero). `AmountError` for anything else: through netfund's one
    money parser, never a float."""
    raw = text.strip()
    if raw and _ZERO.fullmatch(raw) and any(char == "0" for char in raw):
        return 0
    raw = _TRAILING_ZEROS.sub(r"\1", raw)
    return parse_cents(raw, dialect=DUTCH if decimal_comma else STANDARD)


def hash_ref(
    account_iban: str,
    booking_date: str,
    amount_cents: int,
    counterparty: str,
    remittance: str,
    occurrence: int,
) -> str:
    """The reference of a line the bank gave none: ``H`` and 24 hex digits of the sha256 of
    what identifies it (`BankLine.ref`). ``occurrence`` counts identical lines on that day
    (1, 2, ...), so two equal payments on one day stay two lines, and the same statement read
    again gives the same references."""
    text = "\x1f".join(
        (account_iban, booking_date, str(amount_cents), counterparty, remittance, str(occurrence))
    )
    return "H" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class Occurrences:
    """Counts the lines that would hash alike, per statement file and account."""

    seen: Counter[tuple[str, ...]] = field(default_factory=Counter)

    def next(self, *key: str) -> int:
        self.seen[key] += 1
        return self.seen[key]


class Problems:
    """The problems of one file, collected and raised together (a user fixes a file once)."""

    #: Enough to act on; a broken file does not bury the first problem under a thousand more.
    limit = 20

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(Problem(self.source, line, message))

    def raise_any(self) -> None:
        if self.items:
            raise InputError(list(self.items))

    def fail(self, line: int | None, message: str) -> InputError:
        """An `InputError` of this one problem (with those already found), to raise."""
        self.add(line, message)
        return InputError(list(self.items))


def joined(parts: Iterable[str]) -> str:
    """Text parts as one line: each stripped, empty ones left out, joined by a space."""
    return " ".join(part.strip() for part in parts if part and part.strip())


__all__ = ["CURRENCY", "AmountError", "Occurrences", "Problems", "amount_cents", "hash_ref"]
