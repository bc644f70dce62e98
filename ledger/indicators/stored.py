"""The measurements the ledger holds, as `Measurement` values for `outcomes.py`."""

from __future__ import annotations

import datetime
from decimal import Decimal

from netfund.ledger.indicators.outcomes import Measurement
from netfund.ledger.store.schema import indicator_measurements_table
from sqlalchemy import Connection, and_, func, select, union_all


def read_measurements(
    connection: Connection, until: datetime.date | None = None, period: str | None = None
) -> tuple[Measurement, ...]:
    """The measurements dated on or before ``until`` (every one for None), by indicator, group
    and date. With a ``period``: only what its outcomes need, the period's measurements and,
    per indicator and group, the newest one before it (where the period started from); ten
    years of daily measurements made every status read them all."""
    m = indicator_measurements_table.c
    columns = (m.indicator, m.group_code, m.measured_on, m.value, m.source)
    query = select(*columns)
    if until is not None:
        query = query.where(m.measured_on <= until)
    if period is not None:
        start = datetime.date(int(period), 1, 1)
        before = (
            select(m.indicator, m.group_code, func.max(m.measured_on).label("day"))
            .where(m.measured_on < start)
            .group_by(m.indicator, m.group_code)
            .subquery()
        )
        newest_before = select(*columns).join(
            before,
            and_(
                m.indicator == before.c.indicator,
                m.group_code == before.c.group_code,
                m.measured_on == before.c.day,
            ),
        )
        if until is not None:
            newest_before = newest_before.where(m.measured_on <= until)
        query = union_all(query.where(m.measured_on >= start), newest_before)
    rows = connection.execute(query.order_by("indicator", "group_code", "measured_on"))
    return tuple(
        Measurement(row.indicator, row.group_code, row.measured_on, Decimal(row.value), row.source)
        for row in rows
    )
