"""Reading `events.csv`: what the administrator records, one event per row.

This module only parses and checks each row on its own (fields, required columns per type,
known funders and groups, earmarks). What an event means in the ledger — its postings, the
pro-rata attribution of an expense — is decided in `event_rules.py` with the ledger's state.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.network import Network, Networks
from netfund.ledger.model.entries import source_hash
from netfund.ledger.model.fields import FieldError, parse_amount, parse_date, parse_id, parse_text
from netfund.ledger.model.limits import DESCRIPTION_LENGTH_MAX, REFERENCE_LENGTH_MAX

EVENT_COLUMNS = ("id", "date", "type", "funder", "group", "amount", "description", "reference")
EVENT_TYPES = ("commitment", "receipt", "allocation", "expense", "refund")
# Which of funder and group each type needs: True required, False forbidden, None optional.
_NEEDS: dict[str, tuple[bool | None, bool]] = {
    "commitment": (True, False),
    "receipt": (True, False),
    "refund": (True, False),
    "allocation": (True, True),
    "expense": (None, True),
}


@dataclass(frozen=True)
class Event:
    """One row of events.csv, checked on its own.

    Attributes:
        line: the line of the file it starts on.
        id: the external id.
        date: the event's date; its year is the period.
        type: one of `EVENT_TYPES`.
        funder: funder code, or None (an expense attributed pro rata).
        group: group code, or None.
        amount_cents: positive amount in cents.
        description: free text.
        reference: document reference.
    """

    line: int
    id: str
    date: datetime.date
    type: str
    funder: str | None
    group: str | None
    amount_cents: int
    description: str
    reference: str

    @cached_property
    def source_hash(self) -> str:
        return source_hash(
            self.id,
            self.date.isoformat(),
            self.type,
            self.funder,
            self.group,
            self.amount_cents,
            self.description,
            self.reference,
        )


def read_events(reader: CsvReader, networks: Networks) -> Iterator[Event]:
    """Yield the valid events of ``reader``'s file; problems go to ``reader.problems``.
    Each row is checked against the network in force for its date's period."""
    for row in reader.rows():
        event = _parse_row(reader, networks, row.line, row.values)
        if event is not None:
            yield event


def _parse_row(
    reader: CsvReader, networks: Networks, line: int, values: dict[str, str]
) -> Event | None:
    errors: list[str] = []

    def attempt(parse, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return parse(*args, **kwargs)
        except FieldError as error:
            errors.append(str(error))
            return None

    event_id = attempt(parse_id, values["id"])
    date = attempt(parse_date, values["date"], reader.dialect)
    amount = attempt(parse_amount, values["amount"], dialect=reader.dialect)
    description = attempt(
        parse_text, values["description"], "description", DESCRIPTION_LENGTH_MAX, multiline=True
    )
    reference = attempt(parse_text, values["reference"], "reference", REFERENCE_LENGTH_MAX)
    event_type = values["type"].strip()
    funder_code = values["funder"].strip() or None
    group_code = values["group"].strip() or None
    network = networks(None if date is None else f"{date.year:04d}")
    errors += event_errors(network, event_type, funder_code, group_code)
    if errors:
        reader.problem(line, "; ".join(errors))
        return None
    return Event(
        line=line,
        id=event_id,
        date=date,
        type=event_type,
        funder=funder_code,
        group=group_code,
        amount_cents=amount,
        description=description,
        reference=reference,
    )


def event_errors(
    network: Network, event_type: str, funder_code: str | None, group_code: str | None
) -> list[str]:
    """What is wrong with a row's type, funder and group (stripped, None when empty) against
    the network in force for its period: empty when nothing is. The batch import asks once
    per distinct combination (`event_batches.py`), this module once per row."""
    errors: list[str] = []
    if event_type not in EVENT_TYPES:
        errors.append(f"type {event_type!r} is not one of {', '.join(EVENT_TYPES)}")
    else:
        needs_funder, needs_group = _NEEDS[event_type]
        if needs_funder and funder_code is None:
            errors.append(f"{_article(event_type)} {event_type} needs a funder")
        if needs_group and group_code is None:
            errors.append(f"{_article(event_type)} {event_type} needs a group")
        if not needs_group and group_code is not None:
            errors.append(
                f"{_article(event_type)} {event_type} takes no group (found {group_code!r})"
            )
    funder = network.funder(funder_code) if funder_code else None
    group = network.group(group_code) if group_code else None
    if funder_code and funder is None:
        errors.append(f"unknown funder {funder_code[:64]!r}")
    if group_code and group is None:
        errors.append(f"unknown group {group_code[:64]!r}")
    if funder and group and not funder.may_fund(group.code) and event_type in _NEEDS:
        errors.append(
            f"funder {funder.code}'s earmark excludes group {group.code} "
            f"(eligible: {', '.join(sorted(funder.eligible_groups or ()))})"
        )
    return errors


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
