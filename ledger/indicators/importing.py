"""`netfund indicators import`: measurements in, stored once, never changed.

A measurement is known by its indicator, group and day. Importing a file

- refuses it whole (exit 2, nothing written) when any row is bad (`inputs/indicators.py`) or
  says another value or source for a key the ledger holds: a measurement is never changed,
  the problem names the import that recorded it. (The same value written otherwise, ``12.5``
  for ``12.50``, is the same measurement: a file saved again by Excel imports as before.)
- skips the rows the ledger holds with the same value and source, so a file can be imported
  again after rows were added to it; a file that adds nothing writes nothing at all, not
  even an entry in the audit trail (its write is rolled back);
- else stores the new rows in one write through `post_drafts` (action
  ``indicator-import``, which only an administrator may do): an ``indicator-import`` record
  in the records chain holding the file's sha256 and the sha256 of the rows it added (in file
  order, their canonical values: `measurements_sha256`), which `verify` recomputes from
  `indicator_measurements` (`checks.py`), and the rows, each naming its record.

Measurements are not money and post no transaction: a period being closed does not refuse
them (a survey of December is often counted in February).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from netfund.ledger.inputs.csv_rows import FILE_SIZE_MAX_BYTES, CsvReader
from netfund.ledger.inputs.indicators import INDICATOR_COLUMNS, MeasurementRow, read_indicators
from netfund.ledger.model.dialect import STANDARD, Dialect
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.store.post import Action, UnitOfWork, post_drafts
from netfund.ledger.store.records import append_record, utc_now
from netfund.ledger.store.schema import indicator_measurements_table, ledger_records_table
from sqlalchemy import Connection, Engine, insert, select

#: The write's action: its name in the access rules and the audit trail.
ACTION = "indicator-import"


@dataclass(frozen=True)
class IndicatorCount:
    """What an import did with one indicator's rows.

    Attributes:
        indicator: the indicator's code.
        added: rows new to the ledger, stored now.
        skipped: rows the ledger held already with the same value and source.
    """

    indicator: str
    added: int
    skipped: int


@dataclass(frozen=True)
class IndicatorImportReport:
    """What `import_indicators` did.

    Attributes:
        source: the file's name.
        rows: measurements the file holds.
        added: rows stored now.
        skipped: rows the ledger held already (same value and source).
        indicators: per indicator, in the order the file first names them.
        record_seq: the ``indicator-import`` record, or None when nothing was added (and
            nothing written).
        seconds: wall time of the whole import.
    """

    source: str
    rows: int
    added: int
    skipped: int
    indicators: tuple[IndicatorCount, ...]
    record_seq: int | None
    seconds: float


class _NothingNew(Exception):
    """Raised inside the write when the file adds nothing: the write rolls back, so a
    re-import leaves no trace (the report travels out with it)."""

    def __init__(self, report: IndicatorImportReport) -> None:
        super().__init__("nothing new")
        self.report = report


def import_indicators(
    engine: Engine,
    path: Path,
    *,
    dialect: Dialect = STANDARD,
    today: datetime.date | None = None,
) -> IndicatorImportReport:
    """Import the measurements of the indicators.csv at ``path``; all or nothing (module
    doc). ``today``'s year is the last a measurement may be of (the computer's date for
    None)."""
    started = time.perf_counter()
    name = path.name
    when = today or datetime.date.today()

    def compose(unit: UnitOfWork) -> IndicatorImportReport:
        # The file is read inside the write: under the chain lock, against the network as
        # stored and the measurements as stored, nothing can change in between.
        with _readable(path) as (readable, file_sha256):
            reader = CsvReader(readable, INDICATOR_COLUMNS, dialect)
            reader.source = str(path)
            rows = list(read_indicators(reader, unit.network_for, when))
        for found in reader.problems:
            unit.problems.append(found)
        known = _stored(unit.connection, rows)
        new: list[MeasurementRow] = []
        skipped: list[MeasurementRow] = []
        for row in rows:
            stored = known.get(row.key)
            if stored is None:
                new.append(row)
            elif stored.value == row.value and stored.source == row.source:
                skipped.append(row)
            else:
                unit.problem(
                    row.line,
                    f"{row.indicator} for {row.group} on {row.date.isoformat()} was recorded "
                    f"as {stored.value_text} ({stored.source}) by import record "
                    f"{stored.record_seq} of {stored.file}; a measurement is never changed",
                )
        if unit.problems:
            unit.problems.sort(key=lambda problem: problem.line or 0)
            return _report(name, rows, new, skipped, None, started)
        if not new:
            raise _NothingNew(_report(name, rows, new, skipped, None, started))
        record = append_record(
            unit.connection,
            "indicator-import",
            {
                "file": name,
                "file_sha256": file_sha256,
                "rows": len(rows),
                "added": len(new),
                "measurements_sha256": measurements_sha256(_canonical(new)),
                "periods": sorted({f"{row.date.year:04d}" for row in new}),
                "at": utc_now(),
            },
            unit.head_id,
        )
        unit.connection.execute(
            insert(indicator_measurements_table),
            [
                {
                    "indicator": row.indicator,
                    "group_code": row.group,
                    "measured_on": row.date,
                    "value": row.value_text,
                    "source": row.source,
                    "record_seq": record.seq,
                }
                for row in new
            ],
        )
        return _report(name, rows, new, skipped, record.seq, started)

    arguments = {"file": name, "dialect": dialect.name}
    try:
        # The write's source is the path as given: its problems name the file as the user
        # wrote it, like the reader's.
        report = post_drafts(engine, str(path), compose, action=Action(ACTION, arguments))
    except _NothingNew as nothing:
        return nothing.report
    return report.outcome


def measurements_sha256(rows: Iterable[Sequence[str]]) -> str:
    """The sha256 of measurements as canonical JSON: each ``[indicator, group, date,
    value, source]`` (ISO date, canonical value text), in the order given. The
    ``indicator-import`` record holds it for the rows it added, in file order, and `verify`
    recomputes it from `indicator_measurements` (`checks.py`)."""
    text = json.dumps([list(row) for row in rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(rows: Iterable[MeasurementRow]) -> list[tuple[str, str, str, str, str]]:
    return [
        (row.indicator, row.group, row.date.isoformat(), row.value_text, row.source) for row in rows
    ]


def _report(
    name: str,
    rows: Sequence[MeasurementRow],
    new: Sequence[MeasurementRow],
    skipped: Sequence[MeasurementRow],
    record_seq: int | None,
    started: float,
) -> IndicatorImportReport:
    order = list(dict.fromkeys(row.indicator for row in rows))
    return IndicatorImportReport(
        source=name,
        rows=len(rows),
        added=len(new),
        skipped=len(skipped),
        indicators=tuple(
            IndicatorCount(
                code,
                sum(1 for row in new if row.indicator == code),
                sum(1 for row in skipped if row.indicator == code),
            )
            for code in order
        ),
        record_seq=record_seq,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Stored:
    """A measurement the ledger holds, with the import that recorded it."""

    value: Decimal
    value_text: str
    source: str
    record_seq: int
    file: str


def _stored(
    connection: Connection, rows: Sequence[MeasurementRow]
) -> dict[tuple[str, str, datetime.date], _Stored]:
    """The stored measurements of the indicators ``rows`` name, by key (a network measures
    tens of indicators a few times a year: read whole, not key by key)."""
    m = indicator_measurements_table.c
    codes = sorted({row.indicator for row in rows})
    if not codes:
        return {}
    found = list(
        connection.execute(
            select(m.indicator, m.group_code, m.measured_on, m.value, m.source, m.record_seq).where(
                m.indicator.in_(codes)
            )
        )
    )
    files = _files(connection, {int(row.record_seq) for row in found})
    return {
        (row.indicator, row.group_code, row.measured_on): _Stored(
            Decimal(row.value),
            row.value,
            row.source,
            int(row.record_seq),
            files.get(int(row.record_seq), "an unknown file"),
        )
        for row in found
    }


def _files(connection: Connection, seqs: set[int]) -> dict[int, str]:
    """The file each of the ``indicator-import`` records ``seqs`` imported."""
    if not seqs:
        return {}
    r = ledger_records_table.c
    files: dict[int, str] = {}
    for seq, content in connection.execute(
        select(r.seq, r.content).where(r.seq.in_(sorted(seqs)), r.kind == "indicator-import")
    ):
        try:
            document: Any = json.loads(content)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("file"), str):
            files[int(seq)] = document["file"]
    return files


@contextmanager
def _readable(path: Path) -> Iterator[tuple[Path, str]]:
    """``path`` as a file the reader can open, with the sha256 of its bytes: the file
    itself, or for a pipe (which reads once) a temporary copy of what it gave."""
    try:
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            yield path, digest.hexdigest()
            return
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / path.name
            with path.open("rb") as source, copy.open("wb") as target:
                shutil.copyfileobj(source, target)
            if copy.stat().st_size > FILE_SIZE_MAX_BYTES:
                raise InputError([Problem(str(path), None, "file is larger than 4 GiB")])
            yield copy, hashlib.sha256(copy.read_bytes()).hexdigest()
    except OSError as error:
        raise InputError(
            [Problem(str(path), None, f"cannot read file: {error.strerror}")]
        ) from None
