"""Importing files and posting drafts: all-or-nothing, idempotent, every problem reported.

Each entry point runs in one write transaction. Rows are checked and appended as they stream
in; when any row has a problem the whole transaction is rolled back and one `InputError`
lists every problem, so a file is either stored completely or not at all (invariant 5).
An id seen before with the same content is skipped; with other content it is an error
(invariant 4).
"""

from __future__ import annotations

import gc
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TypeVar

from netfund.ledger.event_rules import AttributionError, AttributionState, event_draft
from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.events import EVENT_COLUMNS, read_events
from netfund.ledger.inputs.journal import journal_reader, read_journal
from netfund.ledger.inputs.network import Network
from netfund.ledger.model.entries import Draft
from netfund.ledger.model.errors import InputError, LedgerError, Problem
from netfund.ledger.store.database import require_schema, writing
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.writer import Appender
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


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Deduplicator:
    """Tells new ids from repeats, within the file and against the ledger.

    Memory stays small however long the file: an id appended by this import in an earlier
    round is found in the database (its chain position is after `start_id`, its line is kept
    in `lines`, 8 bytes per transaction); only the ids of the current round and those that
    were not appended (skipped, or with a problem) are kept here, each with its line and the
    32 bytes of its fingerprint.
    """

    def __init__(self, source: str, appender: Appender) -> None:
        self.source = source
        self.appender = appender
        self.start_id = appender.last_id
        #: The line of each transaction this import appended, by chain position - start_id - 1.
        self.lines = array("q")
        self.round: dict[str, bytes] = {}
        self.round_appended: set[str] = set()
        self.not_appended: dict[str, bytes] = {}
        self.stored: dict[str, tuple[int, str]] = {}
        self.skipped = 0
        self.problems: list[Problem] = []

    def prefetch(self, external_ids: Sequence[str]) -> None:
        """Start a round: look up ``external_ids`` in the ledger, this import's rows included."""
        for external_id, earlier in self.round.items():
            if external_id not in self.round_appended:
                self.not_appended[external_id] = earlier
        self.round.clear()
        self.round_appended.clear()
        self.appender.flush()
        self.stored = self.appender.stored_sources(external_ids)

    def appended(self, line: int, external_id: str) -> None:
        """Record that the new id on ``line`` became the next transaction of the chain."""
        self.lines.append(line)
        self.round_appended.add(external_id)

    def is_new(self, line: int, external_id: str, fingerprint: str) -> bool:
        earlier = self.round.get(external_id) or self.not_appended.get(external_id)
        if earlier is not None:
            same = earlier[8:] == _fingerprint_bytes(fingerprint)
            return self._repeat(line, external_id, same, _line_of(earlier))
        stored = self.stored.get(external_id)
        if stored is not None and stored[0] > self.start_id:
            # Appended by this import in an earlier round.
            earlier_line = self.lines[stored[0] - self.start_id - 1]
            return self._repeat(line, external_id, stored[1] == fingerprint, earlier_line)
        remembered = line.to_bytes(8, "little") + _fingerprint_bytes(fingerprint)
        if stored is not None:
            self.not_appended[external_id] = remembered
            return self._skip_or_report(
                line,
                stored[1] == fingerprint,
                f"id {external_id!r} was stored before (transaction {stored[0]}) with "
                "other content; post a reversal and a new id to correct it",
            )
        self.round[external_id] = remembered
        return True

    def _repeat(self, line: int, external_id: str, same: bool, earlier_line: int) -> bool:
        return self._skip_or_report(
            line, same, f"id {external_id!r} is used on line {earlier_line} with other content"
        )

    def _skip_or_report(self, line: int, same: bool, problem: str) -> bool:
        """A repeated id: skipped when its content is the same, else ``problem`` on ``line``."""
        if same:
            self.skipped += 1
        else:
            self.problems.append(Problem(self.source, line, problem))
        return False


def _line_of(remembered: bytes) -> int:
    return int.from_bytes(remembered[:8], "little")


def _fingerprint_bytes(fingerprint: str) -> bytes:
    """A sha256 hex fingerprint as its 32 bytes; any other text as more than 32 bytes."""
    if len(fingerprint) == 64:
        try:
            return bytes.fromhex(fingerprint)
        except ValueError:
            pass
    return b"\xff" * 33 + fingerprint.encode()


def import_events(
    engine: Engine, path: Path, on_progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import `events.csv` at ``path``; ``on_progress`` gets the number of rows read so far."""
    started = time.perf_counter()
    reader = CsvReader(path, EVENT_COLUMNS)
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        network = read_network(connection)
        # The appender locks the chain head first: the state is read under that lock.
        appender = Appender(connection, background=True)
        # No cyclic garbage collection while rows stream in: the records of each row are
        # freed by reference counting, and full collections over a long import's objects
        # cost a few percent of its time (py-spy). Whatever was collected before is again
        # when the import ends.
        collecting = gc.isenabled()
        gc.disable()
        try:
            state = AttributionState(connection)
            dedup = _import_event_rows(reader, network, appender, state, on_progress)
            problems = reader.problems + dedup.problems
            if problems:
                raise InputError(problems)
            appender.finish()
        finally:
            # The writer thread must be done with the connection before it commits or rolls back.
            appender.close()
            if collecting:
                gc.enable()
    return ImportReport(
        source=reader.source,
        read=reader.rows_read,
        posted=appender.appended_count,
        skipped=dedup.skipped,
        head_id=appender.last_id,
        head_hash=appender.last_hash,
        seconds=time.perf_counter() - started,
    )


def _import_event_rows(
    reader: CsvReader,
    network: Network,
    appender: Appender,
    state: AttributionState,
    on_progress: Callable[[int], None] | None,
) -> _Deduplicator:
    dedup = _Deduplicator(reader.source, appender)
    read = 0
    for chunk in _chunks(read_events(reader, network), CHUNK_EVENTS):
        dedup.prefetch([event.id for event in chunk])
        for event in chunk:
            if not dedup.is_new(event.line, event.id, event.source_hash):
                continue
            period = f"{event.date.year:04d}"
            if period in appender.closed_periods:
                reader.problem(event.line, f"period {period} is closed")
                continue
            try:
                draft = event_draft(event, state)
            except AttributionError as error:
                reader.problem(event.line, str(error))
                continue
            # Appending goes on after a problem, so later rows are checked against the
            # state earlier rows built; the rollback discards it all.
            state.record(appender.append(draft))
            dedup.appended(event.line, event.id)
        read += len(chunk)
        if on_progress is not None:
            on_progress(read)
    return dedup


def import_journal(engine: Engine, path: Path) -> ImportReport:
    """Import a controllers' `journal.csv` at ``path``."""
    started = time.perf_counter()
    reader = journal_reader(path)
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        network = read_network(connection)
        drafts = read_journal(reader, network)
        appender = Appender(connection)
        dedup = _Deduplicator(reader.source, appender)
        dedup.prefetch([draft.external_id for _, draft in drafts])
        for line, draft in drafts:
            if not dedup.is_new(line, draft.external_id, draft.source_hash):
                continue
            if draft.period in appender.closed_periods:
                reader.problem(line, f"period {draft.period} is closed")
                continue
            appender.append(draft)
            dedup.appended(line, draft.external_id)
        problems = reader.problems + dedup.problems
        if problems:
            raise InputError(problems)
        appender.finish()
    return ImportReport(
        source=reader.source,
        read=len(drafts),
        posted=appender.appended_count,
        skipped=dedup.skipped,
        head_id=appender.last_id,
        head_hash=appender.last_hash,
        seconds=time.perf_counter() - started,
    )


def post(engine: Engine, drafts: Sequence[Draft], source: str = "post") -> ImportReport:
    """Post drafts from the Python API, all or nothing, with the same idempotency rules."""
    started = time.perf_counter()
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        appender = Appender(connection)
        dedup = _Deduplicator(source, appender)
        dedup.prefetch([draft.external_id for draft in drafts])
        for number, draft in enumerate(drafts, start=1):
            if not dedup.is_new(number, draft.external_id, draft.source_hash):
                continue
            if draft.period in appender.closed_periods:
                raise LedgerError(
                    f"period {draft.period} is closed: {draft.external_id!r} cannot be posted"
                )
            appender.append(draft)
            dedup.appended(number, draft.external_id)
        if dedup.problems:
            raise InputError(dedup.problems)
        appender.finish()
    return ImportReport(
        source=source,
        read=len(drafts),
        posted=appender.appended_count,
        skipped=dedup.skipped,
        head_id=appender.last_id,
        head_hash=appender.last_hash,
        seconds=time.perf_counter() - started,
    )
