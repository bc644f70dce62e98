"""Stored allocation runs: what was solved, from which inputs, with which result.

The ledger keeps runs as documents (canonical JSON) beside the transactions, append-only like
them, so any run can be shown, compared and committed later, and its inputs hash tells
whether the ledger still matches what the run was computed from. The ledger does not know
what is inside a document; `netfund.allocation` writes and reads them.

A run decides what a commit posts, so each is also a ``run`` record in the records chain
(`records.py`): its number, period, status, both hashes and the sha256 of the document's
stored text. `read_run` and `list_runs` hand out only rows that match their record: a row
inserted or changed around netfund is a `VerificationError`, not a run to commit. Whether
the result inside the document is the one `result_sha256` names is for `netfund.allocation`
to recheck; the ledger only knows the text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netfund.ledger.model.errors import LedgerError, VerificationError
from netfund.ledger.store.database import writing
from netfund.ledger.store.records import (
    Record,
    append_record,
    recorded_note,
    transaction_head,
    verified_records,
)
from netfund.ledger.store.schema import allocation_runs_table
from sqlalchemy import Connection, Engine, insert, select

#: The row's columns a run record holds as they are.
RECORDED_COLUMNS = ("period", "status", "inputs_sha256", "result_sha256")


@dataclass(frozen=True)
class StoredRun:
    """One stored run.

    Attributes:
        id: the run number, 1, 2, 3, ...
        period: the period the plan allocates.
        status: ``optimal`` or ``infeasible``.
        inputs_sha256: sha256 of the canonical inputs (plan, availability, network).
        result_sha256: sha256 of the canonical result document.
        document: the run as the allocation engine stored it.
    """

    id: int
    period: str
    status: str
    inputs_sha256: str
    result_sha256: str
    document: dict[str, Any]


def store_run(
    engine: Engine,
    period: str,
    status: str,
    inputs_sha256: str,
    result_sha256: str,
    document: dict[str, Any],
) -> int:
    """Store a run and its record in a write transaction of its own; return its number."""
    row = {
        "period": period,
        "status": status,
        "inputs_sha256": inputs_sha256,
        "result_sha256": result_sha256,
        "document": json.dumps(document, ensure_ascii=False, sort_keys=True),
    }
    with writing(engine) as connection:
        result = connection.execute(
            insert(allocation_runs_table).returning(allocation_runs_table.c.id), [row]
        )
        run = int(result.scalar_one())
        # When it was solved, for the audit trail (who: `append_record`); not a column.
        content = run_content(run, row) | recorded_note(None)
        append_record(connection, "run", content, transaction_head(connection))
        return run


def run_content(run: int, row: Mapping[str, Any]) -> dict[str, Any]:
    """What a run's record holds: the row's columns, the document as the sha256 of its text."""
    return {
        "run": run,
        **{name: row[name] for name in RECORDED_COLUMNS},
        "document_sha256": document_sha256(row["document"]),
    }


def document_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_records(records: list[Record]) -> dict[int, Record]:
    """The ``run`` records of ``records`` by run number."""
    return {int(r.content["run"]): r for r in records if r.kind == "run" and "run" in r.content}


def run_differences(row: Mapping[str, Any], record: Record | None) -> list[str]:
    """How a stored run row differs from its record (empty when it matches)."""
    if record is None:
        return ["it has no record in the records chain: it was written around netfund"]
    expected = record.content
    found = run_content(row["id"], row)
    return [
        f"its {name} is {found[name]!r} in allocation_runs, {expected.get(name)!r} in "
        f"record {record.seq}"
        if name != "document_sha256"
        else f"its document is not the one recorded in record {record.seq} (sha256 "
        f"{found[name][:12]}…, recorded {str(expected.get(name))[:12]}…)"
        for name in found
        if found[name] != expected.get(name)
    ]


def _stored(row: Any, records: dict[int, Record]) -> StoredRun:
    differences = run_differences(row._mapping, records.get(row.id))
    if differences:
        raise VerificationError(f"allocation run {row.id}: " + "; ".join(differences))
    return StoredRun(
        id=row.id,
        period=row.period,
        status=row.status,
        inputs_sha256=row.inputs_sha256,
        result_sha256=row.result_sha256,
        document=json.loads(row.document),
    )


def read_run(connection: Connection, run: str | int) -> StoredRun:
    """The run numbered ``run`` (or ``latest``); `LedgerError` if there is none,
    `VerificationError` if it does not match its record."""
    c = allocation_runs_table.c
    if str(run) == "latest":
        query = select(allocation_runs_table).order_by(c.id.desc()).limit(1)
    else:
        try:
            number = int(run)
        except ValueError:
            raise LedgerError(f"run {run!r} is not a run number (or 'latest')") from None
        query = select(allocation_runs_table).where(c.id == number)
    row = connection.execute(query).one_or_none()
    if row is None:
        raise LedgerError(
            f"no allocation run {run!r}: 'netfund allocations list' shows the stored runs"
        )
    # Rows before records: a run committed in between (PostgreSQL's READ COMMITTED gives
    # each statement a new snapshot) commits its record with it, so every row read has one.
    return _stored(row, run_records(verified_records(connection)))


def list_runs(connection: Connection) -> list[StoredRun]:
    """Every stored run, oldest first, each checked against its record."""
    c = allocation_runs_table.c
    rows = connection.execute(select(allocation_runs_table).order_by(c.id)).all()
    records = run_records(verified_records(connection))  # after the rows: see `read_run`
    return [_stored(row, records) for row in rows]
