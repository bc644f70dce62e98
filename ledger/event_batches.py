"""Importing events.csv a batch at a time: the fast path of `importer.import_events`.

The row path (`read_events` → `event_draft` → `UnitOfWork.append`) defines what an import
does and says. Most files are plainly sound: every row valid, every id new, no period closed.
For those, this path reaches the very same chain with far less work per row: it builds no
`Event`, `Draft` or `Posting` objects (the lines are plain tuples, `Appender.append_lines`),
checks each distinct date and (period, type, funder, group) once per file instead of once per
row, gives an id or a text more than a glance (printable, short enough) only when the glance
does not settle it, and splits an expense over the weights its group's allocations had when
they last changed (`AttributionState.weights`). The rules
themselves are the row path's functions, called here: `parse_id`, `parse_date`, `parse_amount`,
`parse_text`, `event_errors`, `event_lines`, `source_hash`, and the unit of work's line, closed
period and budget rules.

Anything that is not plainly sound stops it with `Unusual`: a problem on a row, an id twice in
the file or already stored (the database's unique index says so), a closed period, an approval
that must see the drafts. The write is rolled back and the row path imports the file from its
first line, so every message, skip and refusal the user sees is the row path's own; the price
is a second pass over such a file.

Memory is bounded by the batch: the reader streams, the appender writes every
`writer.BATCH_ROWS_MAX` postings, and at most `REMEMBERED_MAX` dates and ways of writing a
type, funder and group are remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from netfund.ledger.event_rules import AttributionError, AttributionState, event_lines
from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.events import event_errors
from netfund.ledger.model.entries import source_hash
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import (
    RESERVED_ID_PREFIX,
    parse_amount,
    parse_date,
    parse_id,
    parse_text,
)
from netfund.ledger.model.limits import (
    DESCRIPTION_LENGTH_MAX,
    ID_LENGTH_MAX,
    REFERENCE_LENGTH_MAX,
)
from netfund.ledger.store.post import UnitOfWork

#: Rows read per batch: the unit of progress reports and of the checks between batches.
BATCH_ROWS = 20_000
#: Dates, and (period, type, funder, group) combinations, remembered as written, at most each
#: (a file that pads its values with ever other spaces would otherwise grow memory without end).
REMEMBERED_MAX = 10_000


class Unusual(Exception):
    """What the batch path leaves to the row path; the write is rolled back."""


def batch_compose(
    reader: CsvReader, on_progress: Callable[[int], None] | None = None
) -> Callable[[UnitOfWork], None]:
    """The ``compose`` of `post.post_drafts` that imports ``reader``'s events in batches, or
    raises `Unusual`."""

    def compose(unit: UnitOfWork) -> None:
        if unit.drafts is not None:
            raise Unusual("an approval must see the drafts")
        _Batches(unit, reader).run(on_progress)

    return compose


class _Batches:
    """One batch import: the values checked so far, kept for the rest of the file."""

    def __init__(self, unit: UnitOfWork, reader: CsvReader) -> None:
        self.unit = unit
        self.reader = reader
        self.state = AttributionState(unit.connection)
        self.closed = unit.closed_periods
        #: date text → (ISO date, period)
        self.dates: dict[str, tuple[str, str]] = {}
        #: (period, type, funder, group) as written → (type, funder or None, group or None)
        self.kinds: dict[tuple[str, str, str, str], tuple[str, str | None, str | None]] = {}

    def run(self, on_progress: Callable[[int], None] | None) -> None:
        read = 0
        for batch in _batches(self.reader.records(), BATCH_ROWS):
            self.batch(batch)
            if self.unit.problems:
                raise Unusual("a row has a problem")
            read += len(batch)
            if on_progress is not None:
                on_progress(read)
        if self.reader.problems:
            raise Unusual("the file has a problem")

    def batch(self, batch: list[tuple[int, tuple[str, ...]]]) -> None:
        ids: set[str] = set()
        append, record = self.unit.append_lines, self.state.record_lines
        dialect, dates, kinds, state = self.reader.dialect, self.dates, self.kinds, self.state
        for line, row in batch:
            # `EVENT_COLUMNS`, all eight: the reader refuses a header without one of them.
            (
                raw_id,
                raw_date,
                raw_type,
                raw_funder,
                raw_group,
                raw_amount,
                raw_description,
                raw_reference,
            ) = row
            event_id = raw_id.strip()
            if not (
                0 < len(event_id) <= ID_LENGTH_MAX
                and event_id.isprintable()
                and not event_id.startswith(RESERVED_ID_PREFIX)
            ):
                event_id = _checked(parse_id, raw_id)
            if event_id in ids:
                raise Unusual("an id is on two lines")
            ids.add(event_id)
            date = dates.get(raw_date) or self.date(raw_date)
            iso, period = date
            kind = kinds.get((period, raw_type, raw_funder, raw_group))
            if kind is None:
                kind = self.kind(period, raw_type, raw_funder, raw_group)
            event_type, funder, group = kind
            amount = _checked(parse_amount, raw_amount, dialect=dialect)
            description, reference = _texts(raw_description, raw_reference)
            try:
                lines = event_lines(event_type, funder, group, amount, period, state)
            except AttributionError:
                raise Unusual("an expense cannot be attributed") from None
            fingerprint = source_hash(
                event_id, iso, event_type, funder, group, amount, description, reference
            )
            content = (
                event_id,
                iso,
                period,
                event_type,
                description,
                reference,
                funder,
                group,
                None,
                fingerprint,
            )
            append(line, content, lines)
            record(event_type, period, lines)

    def date(self, raw: str) -> tuple[str, str]:
        if len(self.dates) >= REMEMBERED_MAX:
            self.dates.clear()
        parsed = _checked(parse_date, raw, self.reader.dialect)
        period = f"{parsed.year:04d}"
        if period in self.closed:
            raise Unusual(f"period {period} is closed")
        found = self.dates[raw] = (parsed.isoformat(), period)
        return found

    def kind(
        self, period: str, raw_type: str, raw_funder: str, raw_group: str
    ) -> tuple[str, str | None, str | None]:
        event_type, funder, group = raw_type.strip(), raw_funder.strip(), raw_group.strip()
        if len(self.kinds) >= REMEMBERED_MAX:
            self.kinds.clear()
        if event_errors(self.unit.network_for(period), event_type, funder or None, group or None):
            raise Unusual("a row's type, funder or group is not valid")
        found = self.kinds[(period, raw_type, raw_funder, raw_group)] = (
            event_type,
            funder or None,
            group or None,
        )
        return found


def _texts(raw_description: str, raw_reference: str) -> tuple[str, str]:
    """The description and reference as `parse_text` makes them; a value that printable
    characters within the length limit do not settle goes through `parse_text` itself."""
    description, reference = raw_description.strip(), raw_reference.strip()
    if not (len(description) <= DESCRIPTION_LENGTH_MAX and description.isprintable()):
        description = _checked(
            parse_text, raw_description, "description", DESCRIPTION_LENGTH_MAX, multiline=True
        )
    if not (len(reference) <= REFERENCE_LENGTH_MAX and reference.isprintable()):
        reference = _checked(parse_text, raw_reference, "reference", REFERENCE_LENGTH_MAX)
    return description, reference


def _checked(parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return parse(*args, **kwargs)
    except LedgerError:
        raise Unusual("a field is not valid") from None


def _batches(
    rows: Iterator[tuple[int, tuple[str, ...]]], size: int
) -> Iterator[list[tuple[int, tuple[str, ...]]]]:
    while batch := list(islice(rows, size)):
        yield batch
