"""Adding up postings into balance totals, and checking the stored `balance_totals` rows.

The appender adds up every batch it writes (`add_postings`) and stores the sums when the
chain head moves; `verify` adds up every batch it re-hashes the same way and compares the
result with the stored rows, read in the same snapshot (`check_balance_totals`). The totals
are not part of the hash chain: a changed row would change every balance without touching a
hash, which is why `verify` recomputes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from netfund.ledger.model.columns import transaction_position
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.schema import balance_totals_table
from sqlalchemy import Connection, select

#: period → (account, fund, group or '') → [debits, credits]
Totals = dict[str, dict[tuple[str, str, str], list[int]]]

_ID, _PERIOD = transaction_position("id"), transaction_position("period")


def add_postings(
    totals: Totals, transactions: Sequence[Sequence[Any]], postings: Iterable[Sequence[Any]]
) -> None:
    """Add ``postings`` to ``totals``, debits and credits apart.

    Rows are `columns.TRANSACTION_COLUMNS` and `columns.POSTING_COLUMNS` rows, (txn_id,
    line_no, account, fund, group, cents); each posting's transaction is in ``transactions``,
    whose period it is counted in.
    """
    periods = {row[_ID]: row[_PERIOD] for row in transactions}
    current, lines = None, None
    for txn_id, _, account, fund, group, cents in postings:
        period = periods[txn_id]
        if period != current or lines is None:
            current = period
            lines = totals.get(period)
            if lines is None:
                lines = totals[period] = {}
        key = (account, fund, group or "")
        sums = lines.get(key)
        if sums is None:
            sums = lines[key] = [0, 0]
        if cents > 0:
            sums[0] += cents
        else:
            sums[1] -= cents


def check_balance_totals(connection: Connection, computed: Totals) -> None:
    """Raise VerificationError naming the first (period, account, fund, group) that differs."""
    b = balance_totals_table.c
    stored: dict[tuple[str, str, str, str], tuple[int, int]] = {
        (row[0], row[1], row[2], row[3]): (int(row[4]), int(row[5]))
        for row in connection.execute(
            select(b.period, b.account, b.fund, b.group, b.debit_cents, b.credit_cents)
        )
    }
    expected = {
        (period, *key): (sums[0], sums[1])
        for period, lines in computed.items()
        for key, sums in lines.items()
    }
    if stored == expected:
        return
    for key in sorted(stored.keys() | expected.keys()):
        have, want = stored.get(key), expected.get(key)
        if have == want:
            continue
        period, account, fund, group = key
        where = f"{account}, fund {fund}{f', group {group}' if group else ''}, period {period}"
        raise VerificationError(
            f"the balance totals of {where} say {_pair(have)} but its postings sum to "
            f"{_pair(want)}: the totals were altered outside netfund"
        )


def _pair(sums: tuple[int, int] | None) -> str:
    if sums is None:
        return "nothing"
    return f"debit {format_cents(sums[0])} / credit {format_cents(sums[1])}"
