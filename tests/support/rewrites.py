"""Rewriting a stored ledger so that it verifies again: what an attacker with write access to
the database does after dropping the triggers (tests/support/reliability.drop_guards).

Unlike `tamper.py`'s single changes, these leave a chain that is consistent on its own: every
hash recomputed, the chain head moved, the balance totals summed again. Only something kept
outside the database (a checkpoint file, a statement's fingerprint) or beside the chain (the
exports log) can tell.
"""

from __future__ import annotations

import datetime
from typing import Any

from netfund.ledger.model.canonical import chain_hash
from netfund.ledger.model.entries import GENESIS_HASH, Draft, Posting
from netfund.ledger.store.schema import (
    balance_totals_table,
    chain_head_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Connection, delete, func, insert, select, update

_T, _P = transactions_table.c, postings_table.c


def cut_newest(connection: Connection, count: int) -> int:
    """Delete the newest ``count`` transactions; fix the head and totals. Return the new end."""
    newest = connection.execute(select(func.max(_T.id))).scalar_one()
    keep = newest - count
    connection.execute(delete(postings_table).where(_P.txn_id > keep))
    connection.execute(delete(transactions_table).where(_T.id > keep))
    _move_head(connection, keep)
    sum_totals_again(connection)
    return keep


def rewrite_amount(connection: Connection, external_id: str, cents: int) -> int:
    """Give every posting of ``external_id`` the size ``cents`` (signs kept) and re-hash it and
    every transaction after it; fix the head and totals. Return its chain position."""
    txn_id = connection.execute(select(_T.id).where(_T.external_id == external_id)).scalar_one()
    for line_no, amount in connection.execute(
        select(_P.line_no, _P.amount_cents).where(_P.txn_id == txn_id)
    ).all():
        connection.execute(
            update(postings_table)
            .where(_P.txn_id == txn_id, _P.line_no == line_no)
            .values(amount_cents=cents if amount > 0 else -cents)
        )
    rehash_from(connection, txn_id)
    sum_totals_again(connection)
    return txn_id


def rehash_from(connection: Connection, first: int) -> None:
    """Recompute prev_hash and hash of transaction ``first`` and every one after it."""
    previous = (
        connection.execute(select(_T.hash).where(_T.id == first - 1)).scalar_one_or_none()
        or GENESIS_HASH
    )
    ids = connection.execute(select(_T.id).where(_T.id >= first).order_by(_T.id)).scalars()
    for txn_id in list(ids):
        actor = connection.execute(select(_T.actor).where(_T.id == txn_id)).scalar_one()
        new_hash = chain_hash(previous, txn_id, stored_draft(connection, txn_id), actor)
        # prev_hash and hash are unique: clear this row's first so no two rows collide midway.
        connection.execute(
            update(transactions_table)
            .where(_T.id == txn_id)
            .values(prev_hash=f"old-{txn_id}", hash=f"new-{txn_id}")
        )
        connection.execute(
            update(transactions_table)
            .where(_T.id == txn_id)
            .values(prev_hash=previous, hash=new_hash)
        )
        previous = new_hash
    _move_head(connection, connection.execute(select(func.max(_T.id))).scalar_one())


def stored_draft(connection: Connection, txn_id: int) -> Draft:
    """The content of the stored transaction ``txn_id`` as the writer hashed it."""
    row: Any = connection.execute(select(transactions_table).where(_T.id == txn_id)).one()
    postings = tuple(
        Posting(p.account, p.fund, p.group, p.amount_cents)
        for p in connection.execute(
            select(postings_table).where(_P.txn_id == txn_id).order_by(_P.line_no)
        )
    )
    date = row.date
    if not isinstance(date, datetime.date):
        date = datetime.date.fromisoformat(date)
    return Draft(
        external_id=row.external_id,
        date=date,
        type=row.type,
        description=row.description,
        reference=row.reference,
        postings=postings,
        source_hash=row.source_hash,
        funder=row.funder,
        group=row.group,
        reversal_of=row.reversal_of,
    )


def sum_totals_again(connection: Connection) -> None:
    """Replace the balance totals by the sums of the postings now stored."""
    connection.execute(delete(balance_totals_table))
    rows = connection.execute(
        select(_T.period, _P.account, _P.fund, _P.group, _P.amount_cents).join(
            transactions_table, _T.id == _P.txn_id
        )
    ).all()
    sums: dict[tuple[str, str, str, str], list[int]] = {}
    for period, account, fund, group, cents in rows:
        line = sums.setdefault((period, account, fund, group or ""), [0, 0])
        line[0 if cents > 0 else 1] += abs(cents)
    if sums:
        connection.execute(
            insert(balance_totals_table),
            [
                {"period": k[0], "account": k[1], "fund": k[2], "group": k[3]}
                | {"debit_cents": debits, "credit_cents": credits}
                for k, (debits, credits) in sums.items()
            ],
        )


def _move_head(connection: Connection, last_id: int) -> None:
    last_hash = (
        connection.execute(select(_T.hash).where(_T.id == last_id)).scalar_one_or_none()
        or GENESIS_HASH
    )
    connection.execute(update(chain_head_table).values(last_txn_id=last_id, last_hash=last_hash))
