"""Re-performing the hash chain: does the stored ledger still say what was written?

`verify` reads every transaction in chain order with its postings, recomputes each hash from
the previous one and the canonical content (the same function the writer used), re-checks
that each transaction balances per fund, that the chain head matches the newest
transaction, and that nothing was added to a closed period after it was closed. It names the
first transaction that does not match. Reads are streamed in batches, so memory stays flat.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from netfund.ledger.database import reading, require_schema
from netfund.ledger.entries import (
    GENESIS_HASH,
    Draft,
    Posting,
    chain_hash,
    unbalanced_funds,
)
from netfund.ledger.errors import VerificationError
from netfund.ledger.schema import (
    chain_head_table,
    closed_periods_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Engine, String, cast, select

#: Transactions read per query.
VERIFY_BATCH = 10_000


@dataclass(frozen=True)
class VerifyReport:
    """A chain that verified: how many transactions and the newest hash (the fingerprint)."""

    transactions: int
    postings: int
    head_hash: str


def verify(engine: Engine) -> VerifyReport:
    t, p = transactions_table.c, postings_table.c
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        closed = {
            row.period: row.last_txn_id for row in connection.execute(select(closed_periods_table))
        }
        head = connection.execute(select(chain_head_table)).one_or_none()
        previous_hash, expected_id, posting_count = GENESIS_HASH, 1, 0
        last_id = 0
        closed_by_chain: set[str] = set()
        # Dates are read as text and parsed here, so a damaged date is reported as tampering
        # instead of failing inside the driver's date conversion.
        columns = [column for column in transactions_table.c if column.name != "date"]
        while True:
            rows = connection.execute(
                select(*columns, cast(t.date, String).label("date_text"))
                .where(t.id > last_id)
                .order_by(t.id)
                .limit(VERIFY_BATCH)
            ).all()
            if not rows:
                break
            lines: dict[int, list[tuple[int, Posting]]] = {row.id: [] for row in rows}
            for posting in connection.execute(
                select(postings_table)
                .where(p.txn_id > last_id, p.txn_id <= rows[-1].id)
                .order_by(p.txn_id, p.line_no)
            ):
                target = lines.get(posting.txn_id)
                if target is None:
                    raise VerificationError(
                        f"posting {posting.txn_id}/{posting.line_no} belongs to no transaction"
                    )
                target.append(
                    (
                        posting.line_no,
                        Posting(posting.account, posting.fund, posting.group, posting.amount_cents),
                    )
                )
            for row in rows:
                label = f"transaction {row.id} ({row.external_id!r})"
                if row.id != expected_id:
                    raise VerificationError(
                        f"transaction {expected_id} is missing from the chain "
                        f"(the next stored is {label})"
                    )
                numbered = lines[row.id]
                if [number for number, _ in numbered] != list(range(1, len(numbered) + 1)):
                    raise VerificationError(f"{label}: its posting lines are not 1..n")
                postings = tuple(posting for _, posting in numbered)
                if row.prev_hash != previous_hash:
                    raise VerificationError(
                        f"{label}: its link to the previous transaction does not match"
                    )
                date = _as_date(row.date_text)
                if date is None:
                    raise VerificationError(f"{label}: its date {row.date_text!r} is not a date")
                draft = Draft(
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
                if row.period != draft.period:
                    raise VerificationError(f"{label}: its period does not match its date")
                if chain_hash(previous_hash, row.id, draft) != row.hash:
                    raise VerificationError(f"{label}: its content does not match its hash")
                if len(postings) < 2 or unbalanced_funds(postings):
                    raise VerificationError(f"{label}: it does not balance per fund")
                limit = closed.get(row.period)
                if limit is not None and row.id > limit:
                    raise VerificationError(
                        f"{label}: it was added to period {row.period} after it was closed"
                    )
                if row.type == "close":
                    closed_by_chain.add(row.period)
                previous_hash = row.hash
                expected_id += 1
                posting_count += len(postings)
            last_id = rows[-1].id
        stray = connection.execute(
            select(p.txn_id).where(p.txn_id > last_id).limit(1)
        ).scalar_one_or_none()
        if stray is not None:
            raise VerificationError(f"postings of transaction {stray} belong to no transaction")
        if head is None or head.last_txn_id != last_id or head.last_hash != previous_hash:
            newest = f"transaction {last_id}" if last_id else "an empty chain"
            raise VerificationError(
                f"the chain ends at {newest} but the recorded head is transaction "
                f"{head.last_txn_id if head else '(missing)'}: transactions were deleted "
                "or the head was altered"
            )
        unlocked = sorted(closed_by_chain - set(closed))
        if unlocked:
            raise VerificationError(
                f"period {unlocked[0]} has closing entries in the chain but is not locked: "
                "its row in closed_periods was deleted"
            )
        return VerifyReport(transactions=last_id, postings=posting_count, head_hash=previous_hash)


def _as_date(text: str | None) -> datetime.date | None:
    """The stored date, or None when the stored text is not an ISO date YYYY-MM-DD."""
    if text is None or len(text) != 10:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None
