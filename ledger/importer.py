"""Importing files and posting drafts: all-or-nothing, idempotent, every problem reported.

Each entry point is one write through `store.post` (one transaction). Rows are checked and
appended as they stream in; when any row has a problem the whole transaction is rolled back
and one `InputError` lists every problem, so a file is either stored completely or not at all
(invariant 5). An id seen before with the same content is skipped; with other content it is
an error (invariant 4).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar

from netfund.ledger.event_batches import Unusual, batch_compose
from netfund.ledger.event_rules import AttributionError, AttributionState, event_draft
from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.events import EVENT_COLUMNS, read_events
from netfund.ledger.inputs.journal import check_lines, journal_reader, read_journal
from netfund.ledger.model.dialect import STANDARD, Dialect
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.model.fields import FieldError, parse_date, parse_id, parse_text
from netfund.ledger.model.limits import DESCRIPTION_LENGTH_MAX, REFERENCE_LENGTH_MAX
from netfund.ledger.store.database_errors import refused_by_constraint
from netfund.ledger.store.post import Action, PostReport, UnitOfWork, post_drafts
from sqlalchemy import Engine

#: Events handled per round of id look-ups (each round waits for the background writer).
CHUNK_EVENTS = 20_000

T = TypeVar("T")


@dataclass(frozen=True)
class ImportReport:
    """What an import or post did.

    Attributes:
        source: the file (or label) imported.
        read: transactions or events read.
        posted: transactions appended.
        skipped: ids already stored with the same content.
        head_id: chain position of the newest transaction afterwards.
        head_hash: its hash: the ledger's fingerprint.
        seconds: wall time of the whole import.
    """

    source: str
    read: int
    posted: int
    skipped: int
    head_id: int
    head_hash: str
    seconds: float

    @classmethod
    def of(cls, report: PostReport[object], read: int) -> ImportReport:
        return cls(
            source=report.source,
            read=read,
            posted=report.posted,
            skipped=report.skipped,
            head_id=report.head_id,
            head_hash=report.head_hash,
            seconds=report.seconds,
        )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_events(
    engine: Engine,
    path: Path,
    on_progress: Callable[[int], None] | None = None,
    *,
    dialect: Dialect = STANDARD,
) -> ImportReport:
    """Import `events.csv` at ``path``, written in ``dialect`` (`DIALECTS`); ``on_progress``
    gets the number of rows read so far.

    The batch path (`event_batches.py`) imports a plainly sound file; anything else (a
    problem, an id seen before, a closed period) rolls it back and the row path below imports
    the file, with every message and skip its own.
    """
    action = Action("import", {"file": str(path)})
    reader = CsvReader(path, EVENT_COLUMNS, dialect)
    try:
        report = post_drafts(
            engine,
            reader.source,
            batch_compose(reader, on_progress),
            bulk=True,
            action=action,
        )
        return ImportReport.of(report, reader.rows_read)
    except (Unusual, InputError):
        pass  # the row path says what it was, on its line
    except Exception as error:
        if not refused_by_constraint(error):
            raise
    return _import_rows(engine, CsvReader(path, EVENT_COLUMNS, dialect), on_progress, action)


def _import_rows(
    engine: Engine,
    reader: CsvReader,
    on_progress: Callable[[int], None] | None,
    action: Action,
) -> ImportReport:
    """The row path: every row checked on its own, every problem reported on its line."""

    def compose(unit: UnitOfWork) -> None:
        state = AttributionState(unit.connection)
        read = 0
        for chunk in _chunks(read_events(reader, unit.network_for), CHUNK_EVENTS):
            unit.prefetch([event.id for event in chunk])
            for event in chunk:
                if not unit.admit(
                    event.line, event.id, event.source_hash, f"{event.date.year:04d}"
                ):
                    continue
                try:
                    draft = event_draft(event, state)
                except AttributionError as error:
                    unit.problem(event.line, str(error))
                    continue
                # Appending goes on after a problem, so later rows are checked against the
                # state earlier rows built; the rollback discards it all.
                state.record(unit.append(draft))
            read += len(chunk)
            if on_progress is not None:
                on_progress(read)
        unit.problems.extend(reader.problems)

    report = post_drafts(
        engine, reader.source, compose, on_closed="report", bulk=True, action=action
    )
    return ImportReport.of(report, reader.rows_read)


def import_journal(engine: Engine, path: Path, *, dialect: Dialect = STANDARD) -> ImportReport:
    """Import a controllers' `journal.csv` at ``path``, written in ``dialect``."""
    reader = journal_reader(path, dialect)

    def compose(unit: UnitOfWork) -> int:
        drafts = read_journal(reader, unit.network_for)
        _append_new(unit, drafts)
        unit.problems.extend(reader.problems)
        return len(drafts)

    report = post_drafts(
        engine,
        reader.source,
        compose,
        on_closed="report",
        action=Action("import", {"file": reader.source}),
    )
    return ImportReport.of(report, report.outcome)


def post(engine: Engine, drafts: Sequence[Draft], source: str = "post") -> ImportReport:
    """Post drafts from the Python API, all or nothing, with the same idempotency rules.

    A repeated id is reported by its number in ``drafts`` (from 1), as is an id, reference
    or description an input file could not hold; a draft dated in a closed period refuses
    the whole post (`LedgerError`).
    """
    problems = [
        Problem(source, number, str(error))
        for number, draft in enumerate(drafts, start=1)
        if (error := _field_error(draft)) is not None
    ]
    if problems:
        raise InputError(problems)
    report = post_drafts(
        engine, source, lambda unit: _append_new(unit, list(enumerate(drafts, start=1)))
    )
    return ImportReport.of(report, len(drafts))


def post_journal(
    engine: Engine,
    external_id: str,
    date: datetime.date,
    description: str,
    postings: Sequence[Posting],
    reference: str = "",
    *,
    source: str = "post",
    lines_source: str = "line",
    approving: int | None = None,
) -> ImportReport:
    """Post one journal transaction, checked like a `journal.csv` transaction.

    The fields are checked as in an input file, and the lines against the network in the
    same transaction that stores them (every problem in one `InputError`: field problems
    under ``source``, line problems under ``lines_source`` with the line's number from 1).
    The same id with the same content is skipped, as on re-import. ``approving`` carries out
    that proposal (`approvals.py`) with these very fields.
    """
    try:
        external_id = parse_id(external_id)
        parse_date(date.isoformat())  # within the years an input file may hold
        description = parse_text(description, "description", DESCRIPTION_LENGTH_MAX, multiline=True)
        reference = parse_text(reference, "reference", REFERENCE_LENGTH_MAX)
    except FieldError as error:
        raise InputError([Problem(source, None, str(error))]) from None
    lines = tuple(postings)
    draft = Draft(
        external_id=external_id,
        date=date,
        type="journal",
        description=description,
        reference=reference,
        postings=lines,
        source_hash=lines_fingerprint(external_id, date, description, reference, lines),
    )

    def compose(unit: UnitOfWork) -> None:
        problems = check_lines(unit.network_for(draft.period), lines, lines_source)
        if problems:
            raise InputError(problems)
        _append_new(unit, [(1, draft)])

    arguments = {
        "id": external_id,
        "date": date.isoformat(),
        "description": description,
        "reference": reference,
        "lines": [[p.account, p.fund, p.group, p.amount_cents] for p in lines],
    }
    return ImportReport.of(
        post_drafts(engine, source, compose, action=Action("post", arguments, approving=approving)),
        1,
    )


def _field_error(draft: Draft) -> FieldError | None:
    """What is wrong with a draft's id, reference or description, checked as in a file."""
    try:
        parse_id(draft.external_id)
        parse_text(draft.reference, "reference", REFERENCE_LENGTH_MAX)
        parse_text(draft.description, "description", DESCRIPTION_LENGTH_MAX, multiline=True)
    except FieldError as error:
        return error
    return None


def _append_new(unit: UnitOfWork, drafts: Sequence[tuple[int, Draft]]) -> None:
    """Append each (line, draft) whose id is new and period open; the unit reports the rest."""
    unit.prefetch([draft.external_id for _, draft in drafts])
    for line, draft in drafts:
        if unit.admit(line, draft.external_id, draft.source_hash, draft.period):
            unit.append(draft)
