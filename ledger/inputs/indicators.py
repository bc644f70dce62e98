"""Reading ``indicators.csv``: what was measured, one measurement per row (issue 20).

```text
indicator,group,date,value,source
WACHTTIJD-VOORDEUR,WG-WIJK-NOORD,2026-03-31,21,Registratie voordeur Q1
```

The same machinery and rules as ``events.csv`` (`csv_rows.py`: a header, the nl dialect, size
limits, every problem as ``file:line: what is wrong``, all of a file's problems at once). Each
row is checked on its own against the network in force for its date's period: the indicator
is declared there, the group is one of those that agreed to it, the date is not in a year
still to come (a measurement reports what happened; ``2062`` for ``2026`` is a typo; this
year's end may be entered ahead, as this year's expenses may), a ``count`` is a whole number
of at least 0 (it counts what happened since the previous measurement), and the source says
where the figure comes from (a reader of a statement must be able to ask). A key (indicator,
group, date) written twice in one file is refused naming both lines: which of the two would
be the measurement?

What the ledger holds already (a row imported before) is for the importer to hold a row to
(`ledger/indicators/importing.py`): this module knows only the file and the network.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.network import Networks
from netfund.ledger.model.fields import FieldError, parse_date, parse_text
from netfund.ledger.model.indicators import IndicatorValueError, parse_value, value_text
from netfund.ledger.model.limits import CODE_LENGTH_MAX, REFERENCE_LENGTH_MAX

INDICATOR_COLUMNS = ("indicator", "group", "date", "value", "source")
#: A source names a monitor, a registration or a survey: as long as an event's reference.
SOURCE_LENGTH_MAX = REFERENCE_LENGTH_MAX


@dataclass(frozen=True)
class MeasurementRow:
    """One row of indicators.csv, checked on its own and against the rest of the file.

    Attributes:
        line: the line of the file it starts on.
        indicator: the indicator's code (declared in the network).
        group: the group's code (one of the indicator's groups).
        date: the day it was measured (for a count: the end of what it counts).
        value: the exact value, as written.
        source: where the figure comes from.
    """

    line: int
    indicator: str
    group: str
    date: datetime.date
    value: Decimal
    source: str

    @property
    def key(self) -> tuple[str, str, datetime.date]:
        """What a measurement is known by: one value per indicator, group and day."""
        return (self.indicator, self.group, self.date)

    @property
    def value_text(self) -> str:
        """The value's canonical text: what is stored and hashed."""
        return value_text(self.value)


def read_indicators(
    reader: CsvReader, networks: Networks, today: datetime.date
) -> Iterator[MeasurementRow]:
    """Yield the valid measurements of ``reader``'s file; problems go to ``reader.problems``.
    Each row is checked against the network in force for its date's period; a date in a year
    after ``today``'s is refused."""
    seen: dict[tuple[str, str, datetime.date], int] = {}
    for row in reader.rows():
        measurement = _parse_row(reader, networks, today, row.line, row.values)
        if measurement is None:
            continue
        first = seen.get(measurement.key)
        if first is not None:
            reader.problem(
                row.line,
                f"{measurement.indicator} for {measurement.group} on "
                f"{measurement.date.isoformat()} is on line {first} too: one measurement per "
                "indicator, group and day (which of the two is it?)",
            )
            continue
        seen[measurement.key] = row.line
        yield measurement


def _parse_row(
    reader: CsvReader,
    networks: Networks,
    today: datetime.date,
    line: int,
    values: dict[str, str],
) -> MeasurementRow | None:
    errors: list[str] = []

    def attempt(parse, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return parse(*args, **kwargs)
        except (FieldError, IndicatorValueError) as error:
            errors.append(str(error))
            return None

    code = attempt(_code, values["indicator"], "indicator")
    group = attempt(_code, values["group"], "group")
    date = attempt(parse_date, values["date"], reader.dialect)
    value = attempt(parse_value, values["value"], reader.dialect)
    source = attempt(parse_text, values["source"], "source", SOURCE_LENGTH_MAX)
    if source == "":
        errors.append("source is empty: say where the figure comes from (a monitor, a survey)")
    if date is not None and date.year > today.year:
        errors.append(
            f"date {date.isoformat()} lies after this year ({today.year}): a measurement "
            "reports what happened (a typo in the year?)"
        )
    period = None if date is None else f"{date.year:04d}"
    network = networks(period)
    indicator = network.indicator(code) if code else None
    where = f" in {period}" if period else ""
    if code and indicator is None:
        declared = ", ".join(each.code for each in network.indicators)
        known = f"network.toml declares {declared}" if declared else "network.toml declares none"
        errors.append(f"unknown indicator {code[:64]!r}{where} ({known})")
    if group and network.group(group) is None:
        errors.append(f"unknown group {group[:64]!r}")
    elif group and indicator is not None and group not in indicator.groups:
        errors.append(
            f"group {group} did not agree to indicator {indicator.code} (its groups: "
            f"{', '.join(indicator.groups)})"
        )
    counted = indicator is not None and indicator.kind == "count" and value is not None
    if counted and (value < 0 or value != value.to_integral_value()):
        errors.append(
            f"value {values['value'].strip()!r} is not a whole number of at least 0: "
            f"{code} counts what happened since the previous measurement"
        )
    if errors:
        reader.problem(line, "; ".join(errors))
        return None
    return MeasurementRow(line, code, group, date, value, source)


def _code(text: str, name: str) -> str:
    """A code as the network writes it: visible, one line; empty is a problem."""
    value = parse_text(text, name, CODE_LENGTH_MAX)
    if not value:
        raise FieldError(f"{name} is empty")
    return value
