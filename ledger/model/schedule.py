"""Payment schedules: when a funder's commitment for a period falls due, in integer cents.

A funder pays its commitment in instalments of its own (network.toml, ``schedule``; issue 16):
each instalment is due from a month-day within the period (a calendar year) and is either a
share of the commitment or an amount in euros. Without a schedule the funder pays quarterly
advances, `QUARTERLY`: a quarter of the commitment from the middle of each quarter (15 February,
15 May, 15 August, 15 November). That default is a schedule value like any other, so the
dashboard's reminders and the statements ask one function, `due_by`, whatever the funder.

What is due is decided here, in cents, so the reminder and the statement cannot disagree:

- shares split the commitment with largest-remainder rounding (`split_largest_remainder`), so
  the instalments add up to the commitment exactly;
- amounts are due as written, but never more than the commitment: the instalments take the
  commitment in order until it is used up; what the amounts leave of it is due after the
  period's last day;
- after the period's last day all of the commitment is due, whatever the schedule.

29 February is refused as a due day (not every period has one), so every instalment has a
date in every period.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from netfund.ledger.model.money import format_cents, split_largest_remainder

#: Shares are written with at most this many decimals (as the overhead caps are).
SHARE_DECIMALS_MAX = 4
_SHARE_UNIT = Decimal(10) ** SHARE_DECIMALS_MAX
#: A year without 29 February: an instalment's month-day must be a date in it.
_COMMON_YEAR = 2001


@dataclass(frozen=True)
class Instalment:
    """One instalment of a payment schedule: due from ``day`` ``month`` of each period.

    Exactly one of ``share`` (a part of the commitment, in (0, 1], at most four decimals) and
    ``amount_cents`` (a positive amount) is set.

    Attributes:
        month: the month it is due in, 1-12.
        day: the day of the month, valid in every year (so never 29 February).
        share: the share of the commitment due, or None.
        amount_cents: the amount due in cents, or None.
    """

    month: int
    day: int
    share: Decimal | None = None
    amount_cents: int | None = None

    def __post_init__(self) -> None:
        # The parser reports these with their line; here they guard records and code.
        datetime.date(_COMMON_YEAR, self.month, self.day)  # ValueError for 29 Feb, 31 Apr, ...
        if (self.share is None) == (self.amount_cents is None):
            raise ValueError("an instalment has either a share or an amount")
        if self.share is not None and not (
            self.share.is_finite()
            and 0 < self.share <= 1
            and (self.share * _SHARE_UNIT) == (self.share * _SHARE_UNIT).to_integral_value()
        ):
            raise ValueError(f"an instalment's share must be in (0, 1], not {self.share}")
        if self.amount_cents is not None and (
            type(self.amount_cents) is not int or self.amount_cents <= 0
        ):
            raise ValueError(
                f"an instalment's amount must be positive cents, not {self.amount_cents}"
            )

    def __str__(self) -> str:
        """As network.toml writes it, for messages: ``{ due = "07-15", share = 0.5 }``."""
        if self.share is not None:
            what = f"share = {self.share.normalize():f}"
        else:
            what = f'amount = "{format_cents(self.amount_cents or 0)}"'
        return f'{{ due = "{self.due}", {what} }}'

    @property
    def due(self) -> str:
        """The month-day as network.toml writes it: ``"07-15"``."""
        return f"{self.month:02d}-{self.day:02d}"

    def date_in(self, period: str) -> datetime.date:
        """The instalment's due date in ``period`` (a year)."""
        return datetime.date(int(period), self.month, self.day)


#: The default schedule: quarterly advances, a quarter due from the middle of each quarter.
QUARTERLY: tuple[Instalment, ...] = tuple(
    Instalment(month, 15, share=Decimal("0.25")) for month in (2, 5, 8, 11)
)


def schedule_problems(schedule: tuple[Instalment, ...]) -> list[tuple[int | None, str]]:
    """Why ``schedule`` is not valid as a whole: (index of the instalment concerned, or None
    for the whole schedule; message). Empty when it is valid: at least one instalment, due
    dates strictly ascending, all shares or all amounts, shares adding up to exactly 1."""
    if not schedule:
        return [(None, "a schedule needs at least one instalment (leave it out for quarterly)")]
    problems: list[tuple[int | None, str]] = []
    for index in range(1, len(schedule)):
        earlier, later = schedule[index - 1], schedule[index]
        if (later.month, later.day) <= (earlier.month, earlier.day):
            problems.append(
                (
                    index,
                    f"due dates must be strictly ascending: {later.due} comes after {earlier.due}",
                )
            )
    if len({instalment.share is None for instalment in schedule}) > 1:
        problems.append((None, "a schedule uses either shares or amounts, not both"))
    elif schedule[0].share is not None:
        total = sum((instalment.share or Decimal(0) for instalment in schedule), Decimal(0))
        if total != 1:
            problems.append((None, f"the shares add up to {total.normalize():f}, not exactly 1"))
    return problems


def schedule_toml(schedule: tuple[Instalment, ...]) -> str:
    """``schedule`` as network.toml writes it, for messages that name a schedule the way the
    user wrote it: ``[{ due = "01-15", share = 0.5 }, { due = "07-15", amount = "100.00" }]``."""
    return f"[{', '.join(str(instalment) for instalment in schedule)}]"


@dataclass(frozen=True)
class DueRow:
    """One instalment's part of one commitment.

    Attributes:
        date: the day it is due from.
        cents: how much of the commitment it asks (0 when amounts before it used it up).
        instalment: the instalment, or None for the rest of the commitment, due after the
            period's last day (when the amounts add up to less than the commitment).
    """

    date: datetime.date
    cents: int
    instalment: Instalment | None


@dataclass(frozen=True)
class Due:
    """What ``schedule`` asks of a commitment of ``committed_cents`` in ``period`` by ``on``.

    Attributes:
        period: the period (a year).
        on: the day asked about.
        committed_cents: the commitment.
        rows: every instalment of the period with its cents, in date order; they add up to
            the commitment (or to 0 when nothing is committed).
    """

    period: str
    on: datetime.date
    committed_cents: int
    rows: tuple[DueRow, ...]

    @property
    def fallen_due(self) -> tuple[DueRow, ...]:
        """The rows due on or before ``on``."""
        return tuple(row for row in self.rows if row.date <= self.on)

    @property
    def due_cents(self) -> int:
        """How much of the commitment is due by ``on``."""
        return sum(row.cents for row in self.fallen_due)


def period_end(period: str) -> datetime.date:
    """The period's last day."""
    return datetime.date(int(period), 12, 31)


def instalment_rows(
    schedule: tuple[Instalment, ...], period: str, committed_cents: int
) -> tuple[DueRow, ...]:
    """Each instalment's cents of a commitment of ``committed_cents`` in ``period`` (module
    doc). A commitment of 0 or less (nothing pledged, or reversed) asks nothing."""
    committed = max(committed_cents, 0)
    dates = [instalment.date_in(period) for instalment in schedule]
    if schedule[0].share is not None:
        weights = [int((instalment.share or 0) * _SHARE_UNIT) for instalment in schedule]
        parts = split_largest_remainder(committed, weights)
        return tuple(
            DueRow(date, cents, instalment)
            for date, cents, instalment in zip(dates, parts, schedule, strict=True)
        )
    rows: list[DueRow] = []
    left = committed
    for date, instalment in zip(dates, schedule, strict=True):
        cents = min(instalment.amount_cents or 0, left)
        rows.append(DueRow(date, cents, instalment))
        left -= cents
    if left:
        rows.append(DueRow(period_end(period) + datetime.timedelta(days=1), left, None))
    return tuple(rows)


def due_by(
    schedule: tuple[Instalment, ...], period: str, committed_cents: int, on: datetime.date
) -> Due:
    """What ``schedule`` asks of ``committed_cents`` in ``period`` by ``on``: the instalments
    due on or before ``on``, and after the period's last day all of the commitment."""
    rows = instalment_rows(schedule, period, committed_cents)
    return Due(period=period, on=on, committed_cents=committed_cents, rows=rows)
