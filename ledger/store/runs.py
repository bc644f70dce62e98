"""Stored allocation runs: what was solved, from which inputs, with which result.

The ledger keeps runs as documents (canonical JSON) beside the transactions, append-only like
them, so any run can be shown, compared and committed later, and its inputs hash tells
whether the ledger still matches what the run was computed from. The ledger does not know
what is inside a document; `netfund.allocation` writes and reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.database import writing
from netfund.ledger.store.schema import allocation_runs_table
from sqlalchemy import Connection, Engine, insert, select


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
    """Store a run in a write transaction of its own; return its number."""
    with writing(engine) as connection:
        result = connection.execute(
            insert(allocation_runs_table).returning(allocation_runs_table.c.id),
            [
                {
                    "period": period,
                    "status": status,
                    "inputs_sha256": inputs_sha256,
                    "result_sha256": result_sha256,
                    "document": json.dumps(document, ensure_ascii=False, sort_keys=True),
                }
            ],
        )
        return int(result.scalar_one())


def _stored(row: Any) -> StoredRun:
    return StoredRun(
        id=row.id,
        period=row.period,
        status=row.status,
        inputs_sha256=row.inputs_sha256,
        result_sha256=row.result_sha256,
        document=json.loads(row.document),
    )


def read_run(connection: Connection, run: str | int) -> StoredRun:
    """The run numbered ``run`` (or ``latest``); `LedgerError` if there is none."""
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
    return _stored(row)


def list_runs(connection: Connection) -> list[StoredRun]:
    c = allocation_runs_table.c
    return [
        _stored(row) for row in connection.execute(select(allocation_runs_table).order_by(c.id))
    ]
