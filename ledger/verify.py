"""Re-performing the hash chain: does the stored ledger still say what was written?

`verify` reads every transaction in chain order with its postings, recomputes each hash from
the previous one and the canonical content (the same function the writer used), re-checks
that each transaction balances per fund, that the chain head matches the newest
transaction, that nothing was added to a closed period after it was closed, and that the
balance totals equal the sums of the postings. It names the first transaction that does not
match. Reads are streamed in batches, so memory stays flat.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netfund.ledger.database import reading, require_schema
from netfund.ledger.entries import (
    BUDGET_ROOT,
    GENESIS_HASH,
    Posting,
    canonical_bytes,
    period_of,
    unbalanced_funds,
)
from netfund.ledger.errors import VerificationError
from netfund.ledger.schema import (
    chain_head_table,
    closed_periods_table,
    postings_table,
    transactions_table,
)
from netfund.ledger.verify_totals import check_balance_totals
from sqlalchemy import Connection, Engine, Select, String, cast, select

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
        #: period → (account, fund, group or '') → [debits, credits], for balance_totals.
        totals: dict[str, dict[tuple[str, str, str], list[int]]] = {}
        # Plain tuples in large chunks, hashed without building records: the same bytes as
        # `chain_hash` (`canonical_bytes` is what `canonical_content` writes).
        # Dates are read as text and parsed here, so a damaged date is reported as tampering
        # instead of failing inside the driver's date conversion.
        transaction_query = select(
            t.id,
            t.external_id,
            cast(t.date, String),
            t.period,
            t.type,
            t.description,
            t.reference,
            t.funder,
            t.group,
            t.reversal_of,
            t.source_hash,
            t.prev_hash,
            t.hash,
        )
        posting_query = select(p.txn_id, p.line_no, p.account, p.fund, p.group, p.amount_cents)
        sha256 = hashlib.sha256
        while True:
            rows = _plain_rows(
                connection,
                transaction_query.where(t.id > last_id).order_by(t.id).limit(VERIFY_BATCH),
            )
            if not rows:
                break
            postings = _plain_rows(
                connection,
                posting_query.where(p.txn_id > last_id, p.txn_id <= rows[-1][0]).order_by(
                    p.txn_id, p.line_no
                ),
            )
            # Postings come in (txn_id, line_no) order: each transaction's are the next run.
            ids = {row[0] for row in rows}
            for posting in postings:
                if posting[0] not in ids:
                    raise VerificationError(
                        f"posting {posting[0]}/{posting[1]} belongs to no transaction"
                    )
            position, posting_total = 0, len(postings)
            for row in rows:
                (
                    txn_id,
                    external_id,
                    date_text,
                    period,
                    kind,
                    description,
                    reference,
                    funder,
                    group,
                    reversal_of,
                    source_hash,
                    prev_hash,
                    txn_hash,
                ) = row
                if txn_id != expected_id:
                    label = f"transaction {txn_id} ({external_id!r})"
                    raise VerificationError(
                        f"transaction {expected_id} is missing from the chain "
                        f"(the next stored is {label})"
                    )
                end = position
                while end < posting_total and postings[end][0] == txn_id:
                    end += 1
                numbered = postings[position:end]
                position = end
                for number, posting in enumerate(numbered, start=1):
                    if posting[1] != number:
                        raise VerificationError(f"{_label(row)}: its posting lines are not 1..n")
                if prev_hash != previous_hash:
                    raise VerificationError(
                        f"{_label(row)}: its link to the previous transaction does not match"
                    )
                date = _as_date(date_text)
                if date is None:
                    raise VerificationError(f"{_label(row)}: its date {date_text!r} is not a date")
                if period != period_of(date):
                    raise VerificationError(f"{_label(row)}: its period does not match its date")
                content = canonical_bytes(
                    txn_id,
                    external_id,
                    date.isoformat(),
                    period,
                    kind,
                    description,
                    reference,
                    funder,
                    group,
                    reversal_of,
                    source_hash,
                    [posting[2:] for posting in numbered],
                )
                digest = sha256(previous_hash.encode("ascii"))
                digest.update(content)
                if digest.hexdigest() != txn_hash:
                    raise VerificationError(f"{_label(row)}: its content does not match its hash")
                period_totals = totals.get(period)
                if period_totals is None:
                    period_totals = totals[period] = {}
                for posting in numbered:
                    key = (posting[2], posting[3], posting[4] or "")
                    sums = period_totals.get(key)
                    if sums is None:
                        sums = period_totals[key] = [0, 0]
                    amount = posting[5]
                    if amount > 0:
                        sums[0] += amount
                    else:
                        sums[1] -= amount
                if len(numbered) < 2 or not _balanced(numbered):
                    raise VerificationError(f"{_label(row)}: it does not balance per fund")
                limit = closed.get(period)
                if limit is not None and txn_id > limit:
                    raise VerificationError(
                        f"{_label(row)}: it was added to period {period} after it was closed"
                    )
                if kind == "close":
                    closed_by_chain.add(period)
                previous_hash = txn_hash
                expected_id += 1
                posting_count += len(numbered)
            last_id = rows[-1][0]
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
        check_balance_totals(connection, totals)
        unlocked = sorted(closed_by_chain - set(closed))
        if unlocked:
            raise VerificationError(
                f"period {unlocked[0]} has closing entries in the chain but is not locked: "
                "its row in closed_periods was deleted"
            )
        return VerifyReport(transactions=last_id, postings=posting_count, head_hash=previous_hash)


def _plain_rows(connection: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as the driver's plain tuples (the columns need no conversion:
    integers and text), without SQLAlchemy building a row object for each."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        result.close()


def _label(row: Sequence[Any]) -> str:
    return f"transaction {row[0]} ({row[1]!r})"


def _balanced(postings: list[tuple[Any, ...]]) -> bool:
    """Whether (txn_id, line_no, account, fund, group, cents) rows balance per fund."""
    sums: dict[tuple[Any, bool], Any] = {}
    for row in postings:
        account = row[2]
        key = (row[3], account == BUDGET_ROOT or account.startswith(_BUDGET_PREFIX))
        sums[key] = sums.get(key, 0) + row[5]
    if any(type(total) is not int or total != 0 for total in sums.values()):
        # The rule's own definition decides (and raises on amounts that are not numbers).
        return not unbalanced_funds(Posting(row[2], row[3], row[4], row[5]) for row in postings)
    return True


_BUDGET_PREFIX = BUDGET_ROOT + ":"


def _as_date(text: str | None) -> datetime.date | None:
    """The stored date, or None when the stored text is not an ISO date YYYY-MM-DD."""
    if text is None or len(text) != 10:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None
