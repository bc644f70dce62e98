"""Independent sums of the stored postings, and the stored balance totals, to hold the totals to."""

from __future__ import annotations

from netfund.ledger.store.database import reading
from sqlalchemy import Engine, text

Key = tuple[str, str, str, str | None]


def posting_sums(engine: Engine, head_id: int | None = None) -> dict[Key, tuple[int, int]]:
    """(period, account, fund, group) → (debits, credits), summed from the postings."""
    limit = "" if head_id is None else f"WHERE t.id <= {int(head_id)} "
    with reading(engine) as connection:
        rows = connection.execute(
            text(
                'SELECT t.period, p.account, p.fund, p."group", '
                "SUM(CASE WHEN p.amount_cents > 0 THEN p.amount_cents ELSE 0 END), "
                "SUM(CASE WHEN p.amount_cents < 0 THEN -p.amount_cents ELSE 0 END) "
                f"FROM postings p JOIN transactions t ON t.id = p.txn_id {limit}"
                'GROUP BY t.period, p.account, p.fund, p."group"'
            )
        ).all()
    return {(r[0], r[1], r[2], r[3]): (int(r[4]), int(r[5])) for r in rows}


def stored_totals(engine: Engine) -> dict[Key, tuple[int, int]]:
    with reading(engine) as connection:
        rows = connection.execute(
            text(
                'SELECT period, account, fund, "group", debit_cents, credit_cents '
                "FROM balance_totals"
            )
        ).all()
    return {(r[0], r[1], r[2], r[3] or None): (int(r[4]), int(r[5])) for r in rows}
