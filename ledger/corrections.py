"""Reversals: the only way to correct what is stored, since nothing is ever updated.

A reversal is a new transaction with every line of the original negated, referencing the
original. A transaction is reversed at most once (the database's unique key on `reversal_of`
says so too); a reversal is not reversed again (post the entry anew instead), and closing
entries are not reversed (they belong to a closed period).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from netfund.ledger.model.entries import Draft, Posting, Transaction, source_hash
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import RESERVED_ID_PREFIX
from netfund.ledger.store.post import Action, UnitOfWork, post_drafts
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Engine, select


@dataclass(frozen=True)
class ReversalReport:
    original_id: int
    original_external_id: str
    reversal_id: int
    reversal_external_id: str
    date: datetime.date
    head_hash: str


def reverse(
    engine: Engine,
    external_id: str,
    date: datetime.date | None = None,
    description: str | None = None,
    *,
    approving: int | None = None,
) -> ReversalReport:
    """Reverse the transaction with ``external_id``, dated ``date`` (default: its own date);
    ``approving`` carries out that proposal (`approvals.py`)."""
    return post_drafts(
        engine,
        "reverse",
        lambda unit: _reverse(unit, external_id, date, description),
        closed_hint="give --date in an open period to reverse it there",
        action=Action(
            "reverse",
            {
                "id": external_id,
                "date": date.isoformat() if date else None,
                "description": description,
            },
            approving=approving,
        ),
    ).outcome


def _reverse(
    unit: UnitOfWork, external_id: str, date: datetime.date | None, description: str | None
) -> ReversalReport:
    transaction = append_reversal(unit, external_id, date, description)
    unit.resolve(date=transaction.draft.date.isoformat())
    assert transaction.draft.reversal_of is not None
    return ReversalReport(
        original_id=transaction.draft.reversal_of,
        original_external_id=external_id,
        reversal_id=transaction.id,
        reversal_external_id=transaction.draft.external_id,
        date=transaction.draft.date,
        head_hash=transaction.hash,
    )


def append_reversal(
    unit: UnitOfWork, external_id: str, date: datetime.date | None, description: str | None
) -> Transaction:
    """Append the reversal of ``external_id`` in ``unit`` (`LedgerError` when it may not be
    reversed): `reverse`, and a bank's returned payment (`bank/matching.py`), in one place."""
    t, p = transactions_table.c, postings_table.c
    connection = unit.connection
    original = connection.execute(
        select(transactions_table).where(t.external_id == external_id)
    ).one_or_none()
    if original is None:
        raise LedgerError(f"no transaction with id {external_id!r}")
    if original.type == "reversal":
        raise LedgerError(
            f"{external_id!r} is itself a reversal; post the original entry again instead"
        )
    if original.type in ("close", "carry_over"):
        raise LedgerError(f"{external_id!r} is a period closing entry and cannot be reversed")
    already = connection.execute(
        select(t.external_id).where(t.reversal_of == original.id)
    ).scalar_one_or_none()
    if already is not None:
        raise LedgerError(f"{external_id!r} was reversed already, by {already!r}")
    when = date or original.date
    lines = tuple(
        Posting(row.account, row.fund, row.group, -row.amount_cents)
        for row in connection.execute(
            select(postings_table).where(p.txn_id == original.id).order_by(p.line_no)
        )
    )
    reversal_id = f"{RESERVED_ID_PREFIX}reversal:{external_id}"
    return unit.append(
        Draft(
            external_id=reversal_id,
            date=when,
            type="reversal",
            description=description or f"Reversal of {external_id}",
            reference=original.reference,
            postings=lines,
            source_hash=source_hash(reversal_id, original.hash),
            funder=original.funder,
            group=original.group,
            reversal_of=original.id,
        )
    )
