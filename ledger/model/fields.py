"""Validation of single input fields, shared by the importers, the plan and the commands.

Each function returns the parsed value or raises `FieldError` with a message for the user;
the importers attach file and line. The length limits are in `limits.py`, the characters
that are refused in ids, codes and references in `characters.py`.

Patterns are matched whole (`re.fullmatch`): with ``$`` a pattern also matches before a
final line break, so ``"2026\n"`` would pass for a year and ``"EVIL\n"`` for a code.
"""

from __future__ import annotations

import datetime
import re

from netfund.ledger.model.characters import (
    CONTROL_CATEGORIES,
    LINE_BREAKS,
    describe,
    first_hidden,
)
from netfund.ledger.model.dialect import DUTCH_HINT, STANDARD, Dialect
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.limits import ID_LENGTH_MAX
from netfund.ledger.model.money import AmountError, parse_cents

DATE_FIRST = datetime.date(2000, 1, 1)
DATE_LAST = datetime.date(2099, 12, 31)
#: Ids netfund generates itself (closing, reversals) start with this; user ids may not.
RESERVED_ID_PREFIX = "netfund:"
#: The external id of an allocation run's commit is this and the run's number: what the
#: ledger's readers (four eyes, statements) recognise a commit by.
ALLOCATION_COMMIT_PREFIX = f"{RESERVED_ID_PREFIX}allocation-run:"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Dutch Excel's short date: day and month in one or two digits, the year in four.
_DAY_FIRST = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")
#: A period is a calendar year in four ASCII digits (`str.isdigit` takes ``２０２６`` too).
_PERIOD = re.compile(r"[0-9]{4}")


class FieldError(LedgerError, ValueError):
    """A field that is not valid; the message names the field and the reason.

    It is a `LedgerError` so that one reaching the command line is bad input (exit 2, its
    message) wherever it is raised, and a `ValueError` for what parses text.
    """


def parse_id(text: str, name: str = "id") -> str:
    value = text.strip()
    if not value:
        raise FieldError(f"{name} is empty")
    if len(value) > ID_LENGTH_MAX:
        raise FieldError(f"{name} is longer than {ID_LENGTH_MAX} characters")
    _refuse_hidden(value, name)
    if value.startswith(RESERVED_ID_PREFIX):
        raise FieldError(f"{name} may not start with {RESERVED_ID_PREFIX!r} (netfund's own ids)")
    return value


def parse_date(text: str, dialect: Dialect = STANDARD) -> datetime.date:
    """A date as ``YYYY-MM-DD``; in a day-first dialect (nl) ``DD-MM-YYYY`` too.

    Day-first dates may drop a leading zero (``1-2-2026``, as Dutch Excel writes them); a
    two-digit year is refused, not given a century.
    """
    value = text.strip()
    year, month, day = _date_parts(value, dialect)
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        raise FieldError(f"date {value!r} does not exist") from None
    if not DATE_FIRST <= date <= DATE_LAST:
        raise FieldError(f"date {value!r} is outside {DATE_FIRST} to {DATE_LAST}")
    return date


def _date_parts(value: str, dialect: Dialect) -> tuple[int, int, int]:
    """Year, month and day as written in ``value``, or why it is not a date's form."""
    if _DATE.fullmatch(value):
        year, month, day = value.split("-")
        return int(year), int(month), int(day)
    day_first = _DAY_FIRST.fullmatch(value)
    if dialect.day_first:
        if day_first is None:
            raise FieldError(f"date {value!r} is not of the form DD-MM-YYYY (or YYYY-MM-DD)")
        day, month, year = day_first.groups()
        return int(year), int(month), int(day)
    hint = f" ({DUTCH_HINT})" if day_first is not None else ""
    raise FieldError(f"date {value!r} is not of the form YYYY-MM-DD{hint}")


def parse_period(text: object, name: str = "period") -> str:
    """A period as anyone gives it (a command's argument or option, a plan, a statement's
    embedded figures): a calendar year the ledger can hold, written in ASCII digits.

    Every entry point that takes a period parses it here, so a period that is stored or
    compared (closed periods and stored runs compare as text) is always four ASCII digits.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not _PERIOD.fullmatch(value) or not DATE_FIRST.year <= int(value) <= DATE_LAST.year:
        raise FieldError(
            f"{name} {text!r} is not a calendar year from {DATE_FIRST.year} to "
            f"{DATE_LAST.year} in the digits 0-9, like 2026"
        )
    return value


def parse_text(text: str, name: str, length_max: int, *, multiline: bool = False) -> str:
    """One line of visible text (a reference, a name), or with ``multiline`` free text.

    Free text (a description) may hold tabs, line breaks and invisible formatting
    characters (right-to-left text needs its direction marks), which are shown escaped
    wherever it is displayed; one line of text holds none of them, like an id.
    """
    value = text.strip()
    if len(value) > length_max:
        raise FieldError(f"{name} is longer than {length_max} characters")
    hidden = (
        first_hidden(value, LINE_BREAKS, CONTROL_CATEGORIES) if multiline else first_hidden(value)
    )
    if hidden is not None:
        raise FieldError(f"{name} contains {describe(hidden)}")
    return value


def _refuse_hidden(value: str, name: str) -> None:
    hidden = first_hidden(value)
    if hidden is not None:
        raise FieldError(f"{name} contains {describe(hidden)}")


def parse_amount(text: str, *, signed: bool = False, dialect: Dialect = STANDARD) -> int:
    try:
        return parse_cents(text, signed=signed, dialect=dialect)
    except AmountError as error:
        raise FieldError(str(error)) from None
