"""The auditors' export of the audit trail: one row per entry of `netfund log`, CSV or XLSX.

The rows are `ledger/audit.py`'s entries, read in the export's own read transaction after
re-hashing the records chain, so the file holds the trail as `verify` would find it: seq,
when, who, the event, a one-line summary, the periods it is about, the transactions it
appended and the record's hash (which ties each row to the chain), and the record's content
as canonical JSON for whoever wants every argument. ``--period`` keeps the entries about that
period. Texts are neutralised against formula injection like every export's (`safety.py`).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from netfund.ledger.audit import AuditEntry, trail_entries
from netfund.ledger.exports.registry import Writer
from netfund.ledger.exports.scope import Scope
from netfund.ledger.exports.sheets import write_csv, write_xlsx
from netfund.ledger.store.records import canonical_text
from sqlalchemy import Connection

AUDIT_TRAIL_SCHEMA = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("at", pa.string()),
        pa.field("actor", pa.string()),
        pa.field("event", pa.string(), nullable=False),
        pa.field("summary", pa.string(), nullable=False),
        pa.field("periods", pa.string(), nullable=False),
        pa.field("first_txn", pa.int64()),
        pa.field("last_txn", pa.int64()),
        pa.field("record_hash", pa.string(), nullable=False),
        pa.field("details", pa.string(), nullable=False),
    ]
)


def audit_trail_table(entries: list[AuditEntry]) -> pa.Table:
    """The entries as the export's columns (periods space-separated, details as JSON)."""
    return pa.Table.from_pydict(
        {
            "seq": [entry.seq for entry in entries],
            "at": [entry.at for entry in entries],
            "actor": [entry.actor for entry in entries],
            "event": [entry.event for entry in entries],
            "summary": [entry.summary for entry in entries],
            "periods": [" ".join(entry.periods) for entry in entries],
            "first_txn": [entry.first_txn for entry in entries],
            "last_txn": [entry.last_txn for entry in entries],
            "record_hash": [entry.record_hash for entry in entries],
            "details": [canonical_text(dict(entry.details)) for entry in entries],
        },
        schema=AUDIT_TRAIL_SCHEMA,
    )


def audit_trail_writer(file_format: str) -> Writer:
    """The `registry.Writer` of the audit trail in ``file_format`` (csv or xlsx)."""

    def write(connection: Connection, scope: Scope, path: Path) -> int:
        table = audit_trail_table(trail_entries(connection, scope.period))
        if file_format == "csv":
            return write_csv(path, AUDIT_TRAIL_SCHEMA, [table])
        return write_xlsx(path, AUDIT_TRAIL_SCHEMA, [table], "audit trail")

    return write
