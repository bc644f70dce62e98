"""Validation of single input fields, shared by the events and journal importers.

Each function returns the parsed value or raises `FieldError` with a message for the user;
the importers attach file and line. The length limits are in `limits.py`.
"""

from __future__ import annotations

import datetime
import re

from netfund.ledger.model.limits import ID_LENGTH_MAX
from netfund.ledger.model.money import AmountError, parse_cents

DATE_FIRST = datetime.date(2000, 1, 1)
DATE_LAST = datetime.date(2099, 12, 31)
#: Ids netfund generates itself (closing, reversals) start with this; user ids may not.
RESERVED_ID_PREFIX = "netfund:"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# Control characters have no place in ids, codes or references; a description may hold
# line breaks and tabs, nothing else below U+0020.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldError(ValueError):
    """A field that is not valid; the message names the field and the reason."""


def parse_id(text: str, name: str = "id") -> str:
    value = text.strip()
    if not value:
        raise FieldError(f"{name} is empty")
    if len(value) > ID_LENGTH_MAX:
        raise FieldError(f"{name} is longer than {ID_LENGTH_MAX} characters")
    if _CONTROL.search(value):
        raise FieldError(f"{name} contains a control character")
    if value.startswith(RESERVED_ID_PREFIX):
        raise FieldError(f"{name} may not start with {RESERVED_ID_PREFIX!r} (netfund's own ids)")
    return value


def parse_date(text: str) -> datetime.date:
    value = text.strip()
    if not _DATE.match(value):
        raise FieldError(f"date {value!r} is not of the form YYYY-MM-DD")
    try:
        date = datetime.date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"date {value!r} does not exist") from None
    if not DATE_FIRST <= date <= DATE_LAST:
        raise FieldError(f"date {value!r} is outside {DATE_FIRST} to {DATE_LAST}")
    return date


def parse_text(text: str, name: str, length_max: int, *, multiline: bool = False) -> str:
    value = text.strip()
    if len(value) > length_max:
        raise FieldError(f"{name} is longer than {length_max} characters")
    pattern = _CONTROL_IN_TEXT if multiline else _CONTROL
    if pattern.search(value):
        raise FieldError(f"{name} contains a control character")
    return value


def parse_amount(text: str, *, signed: bool = False) -> int:
    try:
        return parse_cents(text, signed=signed)
    except AmountError as error:
        raise FieldError(str(error)) from None
