"""Checking `balance_totals` against the postings that `verify` has just re-hashed.

Balances and trial balances are read from `balance_totals`, which is not part of the hash
chain: a changed row there would change every report without touching a hash. So `verify`
adds up each posting it reads (per period, account, fund and group, debits and credits
apart) and this module compares the result with the stored rows, read in the same snapshot.
"""

from __future__ import annotations

from netfund.ledger.errors import VerificationError
from netfund.ledger.money import format_cents
from netfund.ledger.schema import balance_totals_table
from sqlalchemy import Connection, select

#: period → (account, fund, group or '') → [debits, credits]
Totals = dict[str, dict[tuple[str, str, str], list[int]]]


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
