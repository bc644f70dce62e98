"""The exports log, and the one way an export is written: atomically, then recorded.

Every export answers the auditor's question "which ledger is this file from?": the `exports`
table (append-only, like the transactions) stores what was exported (kind, format, options),
the period, how many rows, the ledger's fingerprint (the newest transaction's hash) and its
chain position when the export was taken, and the sha256 and size of the file written.

`run_export` is the frame every export runs in:

1. the request is checked against its kind in the registry (`registry.EXPORTS`), the output
   is checked and a temporary file is created beside it (`AtomicFile`);
2. in one read transaction the schema is checked, the scope fixed (`read_scope`) and the
   kind's writer for the format fills the temporary file;
3. the file is hashed; in one write transaction the row is stored, an ``export`` record
   is appended to the records chain (the audit trail: who exported what, when; `verify`
   holds the row to it) and the file renamed into place. Any error on the way leaves no
   file, no row and no record.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.ledger.exports.registry import EXPORTS, Writer
from netfund.ledger.exports.safety import AtomicFile
from netfund.ledger.exports.scope import read_scope
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import parse_period
from netfund.ledger.store.database import reading, require_schema, writing
from netfund.ledger.store.records import append_record, transaction_head
from netfund.ledger.store.schema import EXPORT_KINDS, exports_table
from sqlalchemy import Connection, Engine, insert, select

#: Longest output path recorded; longer paths are refused rather than cut.
PATH_LENGTH_MAX = 4_096


@dataclass(frozen=True)
class ExportRequest:
    """What the user asked for.

    Attributes:
        kind: one of `EXPORTS`' keys.
        format: one of the kind's formats.
        out: the file to write.
        period: a year, or None for the whole ledger.
        fund: a fund code, or None for every fund (only the journal export filters by fund).
        options: the kind's further choices (``by``, ``xaf_version``), recorded as given; an
            option not given is written with its default.
    """

    kind: str
    format: str
    out: Path
    period: str | None = None
    fund: str | None = None
    options: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExportRecord:
    """One row of the exports log.

    Attributes:
        id: the export's number, 1, 2, 3, ...
        created_at: when it was recorded, UTC, ``YYYY-MM-DDTHH:MM:SSZ``.
        kind: journal, trial-balance, beancount, hledger, xaf or audit-trail.
        format: csv, xlsx, parquet, beancount, hledger or xaf.
        options: the options it was written with (``fund``, ``by``, ``xaf_version``, ...).
        period: the period exported, or None for the whole ledger.
        path: the absolute path the file was written to.
        row_count: rows written (postings; trial balance: its lines).
        last_txn_id: the chain position of the newest transaction the export holds.
        fingerprint: that transaction's hash (all zeros for an empty ledger).
        file_sha256: sha256 of the file as written.
        file_bytes: the file's size.
    """

    id: int
    created_at: str
    kind: str
    format: str
    options: dict[str, Any]
    period: str | None
    path: str
    row_count: int
    last_txn_id: int
    fingerprint: str
    file_sha256: str
    file_bytes: int


def check_request(request: ExportRequest) -> None:
    """Refuse an unknown kind or format, or an unusable period, before anything is opened."""
    kind = EXPORTS.get(request.kind)
    if kind is None or request.kind not in EXPORT_KINDS:
        raise LedgerError(f"unknown export {request.kind!r}: use one of {', '.join(EXPORTS)}")
    kind.check_format(request.format)
    if request.period is not None:
        parse_period(request.period)
    if request.fund is not None and not kind.by_fund:
        # The other exports must hold every fund: each balances only as a whole.
        raise LedgerError(f"the {request.kind} export covers every fund; --fund is for the journal")
    if len(str(request.out)) > PATH_LENGTH_MAX:
        raise LedgerError(f"the output path is longer than {PATH_LENGTH_MAX} characters")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_export(
    engine: Engine,
    request: ExportRequest,
    writer: Writer | None = None,
    clock: Callable[[], str] = _now,
) -> ExportRecord:
    """Write ``request`` atomically, record it, and return the record.

    ``writer`` replaces the kind's own (the tests' failing writers).
    """
    check_request(request)
    if writer is None:
        writer = EXPORTS[request.kind].writer(request.format, request.options)
    options = dict(request.options or {})
    if request.fund is not None:
        options["fund"] = request.fund
    with AtomicFile(request.out) as output:
        with reading(engine) as connection:
            require_schema(connection, str(engine.url))
            scope = read_scope(connection, request.period, request.fund)
            row_count = writer(connection, scope, output.temporary)
        file_sha256, file_bytes = output.digest()
        values = {
            "created_at": clock(),
            "kind": request.kind,
            "format": request.format,
            "options": json.dumps(options, sort_keys=True, ensure_ascii=False),
            "period": scope.period,
            "path": str(request.out.resolve()),
            "row_count": row_count,
            "last_txn_id": scope.head_id,
            "fingerprint": scope.head_hash,
            "file_sha256": file_sha256,
            "file_bytes": file_bytes,
        }
        with writing(engine) as connection:
            export_id = connection.execute(
                insert(exports_table).returning(exports_table.c.id), [values]
            ).scalar_one()
            append_record(
                connection,
                "export",
                export_content(int(export_id), values),
                transaction_head(connection),
            )
            # Renamed inside the write transaction: if the rename fails, nothing is recorded.
            output.publish()
    return ExportRecord(id=int(export_id), **{**values, "options": options})


def export_content(export_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What an export's record holds (`append_record` adds ``by``): the row's columns that
    say what was exported, where to and from which ledger, and when."""
    return {
        "export": export_id,
        "kind": values["kind"],
        "format": values["format"],
        "period": values["period"],
        "path": values["path"],
        "rows": values["row_count"],
        "fingerprint": values["fingerprint"],
        "file_sha256": values["file_sha256"],
        "at": values["created_at"],
    }


def list_exports(engine: Engine) -> list[ExportRecord]:
    """Every recorded export, oldest first."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return _read_exports(connection)


def _read_exports(connection: Connection) -> list[ExportRecord]:
    c = exports_table.c
    return [
        ExportRecord(
            id=row.id,
            created_at=row.created_at,
            kind=row.kind,
            format=row.format,
            options=json.loads(row.options),
            period=row.period,
            path=row.path,
            row_count=int(row.row_count),
            last_txn_id=int(row.last_txn_id),
            fingerprint=row.fingerprint,
            file_sha256=row.file_sha256,
            file_bytes=int(row.file_bytes),
        )
        for row in connection.execute(select(exports_table).order_by(c.id))
    ]
