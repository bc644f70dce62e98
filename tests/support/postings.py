"""A funder's posting lines read with plain SQL and sorted in Python: what the postings query,
the postings pages, their CSV and the API are compared with (no tests here)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from netfund.ledger import PostingLine
from sqlalchemy import Connection, text

#: Each sort of the postings query as a Python key: the column, then chain position and line.
SORT_KEYS: dict[str, Callable[[PostingLine], Any]] = {
    "date": lambda line: (line.date, line.transaction, line.line),
    "transaction": lambda line: (line.transaction, line.line),
    "group": lambda line: (line.group or "", line.transaction, line.line),
    "account": lambda line: (line.account, line.transaction, line.line),
    "description": lambda line: (line.description, line.transaction, line.line),
    "amount": lambda line: (line.amount_cents, line.transaction, line.line),
}


def direct_postings(connection: Connection, fund: str, period: str) -> list[PostingLine]:
    """The fund's lines of the period (closing entries left out), by plain SQL, unordered."""
    rows = connection.execute(
        text(
            'SELECT t.id, p.line_no, t.external_id, t.date, t.type, p."group", p.account, '
            "t.description, t.reference, p.amount_cents FROM postings p "
            "JOIN transactions t ON t.id = p.txn_id "
            "WHERE p.fund = :fund AND t.period = :period AND t.type <> 'close'"
        ),
        {"fund": fund, "period": period},
    )
    return [
        PostingLine(
            transaction=int(row[0]),
            line=int(row[1]),
            external_id=row[2],
            date=row[3]
            if isinstance(row[3], datetime.date)
            else datetime.date.fromisoformat(row[3]),
            type=row[4],
            group=row[5],
            account=row[6],
            description=row[7],
            reference=row[8],
            amount_cents=int(row[9]),
        )
        for row in rows
    ]


def in_order(lines: list[PostingLine], sort: str, descending: bool = False) -> list[PostingLine]:
    """``lines`` in the order the postings query gives for ``sort``."""
    return sorted(lines, key=SORT_KEYS[sort], reverse=descending)
