"""What `verify` holds `indicator_measurements` to: the records of the imports that added them.

The measurements are a plain table beside the chains. A raw ``UPDATE`` could improve a
group's waiting time on every funder's statement, a ``DELETE`` drop the quarter that went
badly, an ``INSERT`` add a measurement nobody imported. So `verify` checks:

- every ``indicator-import`` record has its rows: those naming it, in the order they were
  stored (the file's), give the sha256 and the count the record holds;
- every row names an ``indicator-import`` record;
- every value is canonical text (``value_text(Decimal(v)) == v``): what the statements and
  the portal parse is exactly what was hashed.

The database refuses the first two to every login but the ledger's owner when netfund's
roles are installed (`store/roles.py`: the writer may only INSERT); this finds what the owner,
or a copy of the database file, did.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from netfund.ledger.indicators.importing import measurements_sha256
from netfund.ledger.model.indicators import value_text
from netfund.ledger.store.records import Record
from netfund.ledger.store.schema import indicator_measurements_table
from sqlalchemy import Connection, select


def indicator_findings(connection: Connection, records: Sequence[Record]) -> list[str]:
    """Each way `indicator_measurements` differs from its records (module doc)."""
    recorded = {r.seq: r.content for r in records if r.kind == "indicator-import"}
    m = indicator_measurements_table.c
    by_record: dict[int, list[tuple[str, str, str, str, str]]] = {}
    findings: list[str] = []
    for row in connection.execute(select(indicator_measurements_table).order_by(m.id)):
        where = f"measurement {row.indicator} for {row.group_code} on {row.measured_on}"
        if row.record_seq not in recorded:
            findings.append(
                f"{where} (row {row.id}) names record {row.record_seq}, which is no indicator "
                "import record: written around netfund"
            )
        if not _canonical(row.value):
            findings.append(
                f"{where} (row {row.id}) has the value {row.value!r}, which is not the "
                "canonical text netfund stores: written around netfund"
            )
        by_record.setdefault(row.record_seq, []).append(
            (row.indicator, row.group_code, row.measured_on.isoformat(), row.value, row.source)
        )
    for seq, content in recorded.items():
        rows = by_record.get(seq, [])
        if len(rows) != content.get("added") or measurements_sha256(rows) != content.get(
            "measurements_sha256"
        ):
            findings.append(
                f"indicator import record {seq} ({content.get('file')}): its "
                f"{content.get('added')} measurements in indicator_measurements are not the "
                f"ones it added ({len(rows)} found: a value changed, a row added or deleted "
                "around netfund)"
            )
    return findings


def _canonical(text: str) -> bool:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        return False
    return value.is_finite() and value_text(value) == text
