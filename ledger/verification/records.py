"""Re-performing the records chain: do the documents that decide money say what was written?

`check_records` re-hashes the records chain (network versions, allocation runs, closes) and
its head, then holds the tables netfund and its users read to it:

- the mirror tables network_versions, funders, groups and earmarks to every network version;
- each allocation_runs row to its run record (its columns and its document's sha256), and
  each run record to a row;
- the closed_periods table to the close records;
- the proposals and decisions of four-eyes approvals to each other and to the writes that
  carried them out (`approvals.approval_findings`), and every allocation commit, close and
  reopen the network reserved for two people to an approved proposal (`four_eyes.py`);
- the bank's tables to their statement records (`bank/checks.py`), and the indicator
  measurements to their import records (`indicators/checks.py`).

The first difference is a `VerificationError` naming the table, the row and both values,
e.g. ``funders: version 1 ZONMW unspent is 'carry_over' in the table, 'return' in the
network records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netfund.ledger.bank.checks import bank_findings
from netfund.ledger.indicators.checks import indicator_findings
from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.approvals import approval_findings
from netfund.ledger.store.records import (
    LockWindows,
    Record,
    RecordsHead,
    lock_events,
    lock_windows,
    records_beyond_head,
    verified_records,
)
from netfund.ledger.store.registry import (
    MIRROR_KEYS,
    MirrorRows,
    read_mirror,
    record_mirror_rows,
)
from netfund.ledger.store.runs import run_differences, run_records
from netfund.ledger.store.schema import allocation_runs_table, closed_periods_table
from netfund.ledger.verification.four_eyes import unapproved_findings
from sqlalchemy import Connection, select


@dataclass(frozen=True)
class RecordsReport:
    """A records chain that verified.

    Attributes:
        head: its newest record's position and hash.
        closed: per period, the chain positions it was closed between, as recorded
            (`records.lock_windows`): reopened periods too, for what was added meanwhile.
        records: the records, re-hashed: the audit trail `trail.py` holds the transactions
            and the exports log to.
    """

    head: RecordsHead
    closed: LockWindows
    records: tuple[Record, ...] = ()


def check_records(connection: Connection) -> RecordsReport:
    """Verify the records chain and the tables it covers; raise `VerificationError` on the
    first difference."""
    records = verified_records(connection)
    last = records[-1] if records else None
    head = RecordsHead(last.seq, last.hash) if last else RecordsHead(0, GENESIS_HASH)
    beyond = records_beyond_head(connection, head)
    if beyond is not None:
        raise VerificationError(
            f"records chain: record {beyond} is beyond its head (record {head.seq}): it was "
            "written around netfund"
        )
    _check_mirror(read_mirror(connection), records)
    _check_runs(connection, records)
    closed = _check_closed(connection, records)
    findings = (
        approval_findings(records)
        + unapproved_findings(connection, records)
        + bank_findings(connection, records)
        + indicator_findings(connection, records)
    )
    if findings:
        raise VerificationError(f"records chain: {findings[0]}")
    return RecordsReport(head=head, closed=closed, records=tuple(records))


def _check_mirror(found: MirrorRows, records: Sequence[Record]) -> None:
    expected: MirrorRows = {name: [] for name in MIRROR_KEYS}
    for record in records:
        if record.kind == "network":
            for name, rows in record_mirror_rows(record).items():
                expected[name] += rows
    source = "the network records" if expected["network_versions"] else "the records chain"
    for table, key in MIRROR_KEYS.items():
        difference = _first_difference(table, key, found[table], expected[table], source)
        if difference:
            raise VerificationError(difference)


def _first_difference(
    table: str,
    key: tuple[str, ...],
    found: Sequence[dict[str, Any]],
    expected: Sequence[dict[str, Any]],
    source: str,
) -> str | None:
    def name(row: dict[str, Any]) -> str:
        return " ".join(
            f"{column} {row[column]}" if column == "version" else str(row[column]) for column in key
        )

    stored = {name(row): row for row in found}
    wanted = {name(row): row for row in expected}
    for label in sorted(set(stored) | set(wanted)):
        if label not in stored:
            return f"{table}: {label} is in {source} but not in the table (deleted)"
        if label not in wanted:
            return f"{table}: {label} is in the table but not in {source} (added around netfund)"
        for column, value in wanted[label].items():
            if stored[label].get(column) != value:
                subject = f"{label} "
                return (
                    f"{table}: {subject}{column} is {stored[label].get(column)!r} in the table, "
                    f"{value!r} in {source}"
                )
    return None


def _check_runs(connection: Connection, records: list[Record]) -> None:
    recorded = run_records(records)
    c = allocation_runs_table.c
    stored: set[int] = set()
    for row in connection.execute(select(allocation_runs_table).order_by(c.id)).mappings():
        stored.add(row["id"])
        differences = run_differences(row, recorded.get(row["id"]))
        if differences:
            raise VerificationError(f"allocation run {row['id']}: " + "; ".join(differences))
    missing = sorted(set(recorded) - stored)
    if missing:
        raise VerificationError(
            f"allocation run {missing[0]} is in the records chain (record "
            f"{recorded[missing[0]].seq}) but not in allocation_runs: it was deleted"
        )


def _check_closed(connection: Connection, records: list[Record]) -> LockWindows:
    """Hold the closed_periods log to the close and reopen records, row by row (seq)."""
    recorded = {e.seq: e for e in lock_events(records)}
    c = closed_periods_table.c
    stored = {
        row.seq: row for row in connection.execute(select(c.seq, c.period, c.event, c.last_txn_id))
    }
    for seq in sorted(set(recorded) | set(stored)):
        if seq not in stored:
            event = recorded[seq]
            raise VerificationError(
                f"closed_periods: the {event.event} of {event.period} (record {seq}) is in "
                "the records chain but its row in closed_periods was deleted"
            )
        row = stored[seq]
        if seq not in recorded:
            raise VerificationError(
                f"closed_periods: the {row.event} of {row.period} (seq {seq}) is in the table "
                "but no close record says so (added around netfund)"
            )
        event = recorded[seq]
        for column, found, wanted in (
            ("period", row.period, event.period),
            ("event", row.event, event.event),
            ("last_txn_id", row.last_txn_id, event.last_txn_id),
        ):
            if found != wanted:
                raise VerificationError(
                    f"closed_periods: {event.period} (seq {seq}) {column} is {found} in the "
                    f"table, {wanted} in its close record"
                )
    return lock_windows(list(recorded.values()))
