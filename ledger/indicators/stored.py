"""The measurements the ledger holds, as `Measurement` values for `outcomes.py`."""

from __future__ import annotations

import datetime
from decimal import Decimal

from netfund.ledger.indicators.outcomes import Measurement
from netfund.ledger.store.schema import indicator_measurements_table
from sqlalchemy import Connection, select


def read_measurements(
    connection: Connection, until: datetime.date | None = None
) -> tuple[Measurement, ...]:
    """Every measurement dated on or before ``until`` (all of them for None), by indicator,
    group and date. Small: a network measures tens of indicators a few times a year."""
    m = indicator_measurements_table.c
    query = select(m.indicator, m.group_code, m.measured_on, m.value, m.source).order_by(
        m.indicator, m.group_code, m.measured_on
    )
    if until is not None:
        query = query.where(m.measured_on <= until)
    return tuple(
        Measurement(row.indicator, row.group_code, row.measured_on, Decimal(row.value), row.source)
        for row in connection.execute(query)
    )
