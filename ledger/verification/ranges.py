"""Re-performing one range of the hash chain, the unit `verify` runs in one or more processes.

A range is the transactions with ids ``first..last``. Its first link is checked against the
stored hash of transaction ``first - 1``: that row is verified by the range before, and the
caller checks that its recomputed hash is the one this range started from, so ranges checked
apart (in other processes, other snapshots) prove the same chain as one pass. Every check runs
in the order one pass makes them, and a range stops at its first failure, so the first failing
range names the first transaction that does not match.

The loop is the hot path of `netfund verify` (6 million postings for a year of a million
expenses): rows stay the driver's plain tuples, per-posting work is done by C-level `map`,
`Counter` and slicing, and the per-fund balance of a whole batch is summed in one pass; the
rule's own definition (`entries.unbalanced_funds`) decides any transaction that pass flags.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from netfund.ledger.model.canonical import canonical_bytes_of_texts, posting_texts
from netfund.ledger.model.columns import (
    DATE,
    POSTING_NAMES,
    TRANSACTION_COLUMNS,
    transaction_position,
)
from netfund.ledger.model.entries import (
    BUDGET_ROOT,
    GENESIS_HASH,
    Posting,
    period_of,
    unbalanced_funds,
)
from netfund.ledger.model.errors import VerificationError
from netfund.ledger.store.records import LockWindows, locked_at
from netfund.ledger.store.schema import postings_table, transactions_table
from netfund.ledger.store.totals import Totals, add_postings
from sqlalchemy import Connection, Select, String, cast, select

#: Transactions read per query. Small enough that a batch's rows stay in the CPU caches and
#: the allocator reuses its memory: 10,000 cost 12% more time, most of it page faults.
VERIFY_BATCH = 2_000

_T, _P = transactions_table.c, postings_table.c
# The rows in `TRANSACTION_COLUMNS` and `POSTING_COLUMNS` order. Dates are read as text and
# parsed here, so a damaged date is reported as tampering instead of failing inside the
# driver's date conversion.
_TRANSACTIONS = select(
    *(
        cast(_T[column.name], String) if column.kind == DATE else _T[column.name]
        for column in TRANSACTION_COLUMNS
    )
)
_POSTINGS = select(*(_P[name] for name in POSTING_NAMES))
_ID, _EXTERNAL_ID = transaction_position("id"), transaction_position("external_id")
_DATE = transaction_position("date")
_PERIOD, _TYPE = transaction_position("period"), transaction_position("type")
_PREV_HASH, _HASH = transaction_position("prev_hash"), transaction_position("hash")
_TXN_ID = itemgetter(POSTING_NAMES.index("txn_id"))
_LINE_NO = itemgetter(POSTING_NAMES.index("line_no"))
_BUDGET_PREFIX = BUDGET_ROOT + ":"
_BUDGET_LETTER = BUDGET_ROOT[0]


@dataclass(frozen=True)
class RangeResult:
    """What one range proved, for joining it to its neighbours.

    Attributes:
        first: the range's first transaction id.
        start_hash: the hash its first transaction had to link to (None: no usable row before).
        last_id: the newest transaction it verified (``first - 1`` when none).
        end_hash: the hash of that transaction (``start_hash`` when none).
        postings: postings verified.
        closing_periods: periods with closing transactions in the range.
        error: the first mismatch in the range, or None.
        totals: debits and credits of its postings per period and (account, fund, group or
            ''), to be added up and compared with `balance_totals` (`balance_totals.py`).
    """

    first: int
    start_hash: str | None
    last_id: int
    end_hash: str | None
    postings: int
    closing_periods: frozenset[str]
    error: str | None = None
    totals: Totals = field(default_factory=dict)


def check_range(
    connection: Connection,
    first: int,
    last: int | None,
    closed: LockWindows,
    *,
    final: bool,
) -> RangeResult:
    """Verify transactions ``first..last`` (None: to the newest) in ``connection``'s snapshot.

    ``closed`` maps each period ever closed to its lock windows (`records.lock_windows`). A
    range that is not ``final`` must hold every id up to ``last``; the final one may end early,
    as a chain whose newest rows were deleted does: `verify` compares its end with the chain head.
    """
    start_hash = GENESIS_HASH if first == 1 else _stored_hash(connection, first - 1)
    state = _State(first, start_hash)
    try:
        while _check_batch(connection, state, last, closed):
            pass
        if not final and last is not None and state.expected_id <= last:
            _missing_at_end(connection, state, last)
    except VerificationError as error:
        return state.result(str(error))
    return state.result(None)


class _State:
    """The running position of one range: next id, last hash, counts."""

    __slots__ = (
        "closing",
        "expected_id",
        "first",
        "postings",
        "previous_hash",
        "start_hash",
        "totals",
    )

    def __init__(self, first: int, start_hash: str | None) -> None:
        self.first = first
        self.start_hash = start_hash
        self.previous_hash = start_hash
        self.expected_id = first
        self.postings = 0
        self.closing: set[str] = set()
        self.totals: Totals = {}

    def result(self, error: str | None) -> RangeResult:
        return RangeResult(
            first=self.first,
            start_hash=self.start_hash,
            last_id=self.expected_id - 1,
            end_hash=self.previous_hash,
            postings=self.postings,
            closing_periods=frozenset(self.closing),
            error=error,
            totals=self.totals,
        )


def _check_batch(
    connection: Connection, state: _State, last: int | None, closed: LockWindows
) -> bool:
    """Verify the next batch of up to `VERIFY_BATCH` transactions; False when none is left."""
    after = state.expected_id - 1
    query = _TRANSACTIONS.where(_T.id > after)
    if last is not None:
        query = query.where(_T.id <= last)
    rows = _plain_rows(connection, query.order_by(_T.id).limit(VERIFY_BATCH))
    if not rows:
        return False
    postings = _plain_rows(
        connection,
        _POSTINGS.where(_P.txn_id > after, _P.txn_id <= rows[-1][_ID]).order_by(
            _P.txn_id, _P.line_no
        ),
    )
    # Postings come in (txn_id, line_no) order: each transaction's are the next run, as long
    # as it is that transaction's count. A posting of no transaction in the batch is reported
    # where one pass meets it: before the first transaction with a higher id.
    counts = Counter(map(_TXN_ID, postings))
    ids = {row[_ID] for row in rows}
    stray = _first_stray(postings, counts.keys() - ids)
    lines = list(map(_LINE_NO, postings))
    texts = posting_texts(postings)
    suspect = _maybe_unbalanced(postings)
    date_periods: dict[str, tuple[str, str]] = {}
    sha256, join = hashlib.sha256, ",".join
    previous_hash, expected_id, position = state.previous_hash, state.expected_id, 0
    try:
        for row in rows:
            txn_id, period = row[_ID], row[_PERIOD]
            if stray is not None and (type(txn_id) is not int or txn_id > stray[0]):
                raise VerificationError(f"posting {stray[0]}/{stray[1]} belongs to no transaction")
            if txn_id != expected_id:
                raise VerificationError(
                    f"transaction {expected_id} is missing from the chain "
                    f"(the next stored is {_label(row)})"
                )
            end = position + counts.get(txn_id, 0)
            if lines[position:end] != _one_to(end - position):
                raise VerificationError(f"{_label(row)}: its posting lines are not 1..n")
            if row[_PREV_HASH] != previous_hash:
                raise VerificationError(
                    f"{_label(row)}: its link to the previous transaction does not match"
                )
            date_text = row[_DATE]
            dated = date_periods.get(date_text)
            if dated is None:
                dated = _dated(row)
                date_periods[date_text] = dated
            if period != dated[1]:
                raise VerificationError(f"{_label(row)}: its period does not match its date")
            if dated[0] != date_text:
                # The hash covers the date in ISO form, whatever form the column holds.
                row = (*row[:_DATE], dated[0], *row[_DATE + 1 :])
            digest = sha256(previous_hash.encode("ascii"))
            digest.update(canonical_bytes_of_texts(row, join(texts[position:end])))
            if digest.hexdigest() != row[_HASH]:
                raise VerificationError(f"{_label(row)}: its content does not match its hash")
            if end - position < 2 or (
                (suspect is None or txn_id in suspect) and not _balanced(postings[position:end])
            ):
                raise VerificationError(f"{_label(row)}: it does not balance per fund")
            if period in closed and locked_at(closed, period, txn_id):
                raise VerificationError(
                    f"{_label(row)}: it was added to period {period} after it was closed"
                )
            if row[_TYPE] == "close":
                state.closing.add(period)
            previous_hash = row[_HASH]
            expected_id += 1
            position = end
        if stray is not None:
            raise VerificationError(f"posting {stray[0]}/{stray[1]} belongs to no transaction")
    finally:
        state.previous_hash, state.expected_id = previous_hash, expected_id
        state.postings += position
    add_postings(state.totals, rows, postings)
    return True


def _missing_at_end(connection: Connection, state: _State, last: int) -> None:
    """A range other than the last ended before ``last``: name what one pass would name when
    it reaches the next stored transaction (a stray posting before it, else the gap). Without
    one, the chain ends here, and `verify` checks that end as one pass does."""
    following = connection.execute(
        select(_T.id, _T.external_id).where(_T.id > last).order_by(_T.id).limit(1)
    ).one_or_none()
    if following is None:
        return
    orphan = connection.execute(
        select(_P.txn_id, _P.line_no)
        .where(_P.txn_id > state.expected_id - 1, _P.txn_id < following[0])
        .order_by(_P.txn_id, _P.line_no)
        .limit(1)
    ).one_or_none()
    if orphan is not None:
        raise VerificationError(f"posting {orphan[0]}/{orphan[1]} belongs to no transaction")
    raise VerificationError(
        f"transaction {state.expected_id} is missing from the chain "
        f"(the next stored is transaction {following[0]} ({following[1]!r}))"
    )


def _stored_hash(connection: Connection, txn_id: int) -> str | None:
    """The stored hash of ``txn_id`` if it could be a verified one (64 ASCII characters)."""
    stored = connection.execute(select(_T.hash).where(_T.id == txn_id)).scalar_one_or_none()
    if type(stored) is str and len(stored) == 64 and stored.isascii():
        return stored
    return None


def _first_stray(postings: Sequence[tuple[Any, ...]], strays: set[Any]) -> tuple[Any, ...] | None:
    if not strays:
        return None
    return next(posting for posting in postings if posting[0] in strays)


def _maybe_unbalanced(postings: Sequence[tuple[Any, ...]]) -> set[Any] | None:
    """Ids of the batch's transactions whose lines may not balance per fund (None: check all).

    One pass sums integer cents per (transaction, fund, budget or actual); a transaction is
    flagged when a sum is not zero or not an integer, and `_balanced` decides it. Any
    unexpected value type gives None, so each transaction is decided by the rule itself, in
    chain order, where an error surfaces at the right transaction.
    """
    sums: dict[tuple[Any, ...], Any] = {}
    get = sums.get
    key: tuple[Any, ...]
    try:
        for txn_id, _, account, fund, _, cents in postings:
            # An account not starting with the budget root's letter is an actual one; the
            # others are told apart exactly, in buckets of their own. The buckets are finer
            # than the rule's, so sums that are zero here are zero under the rule too.
            if account[0] == _BUDGET_LETTER:
                key = (txn_id, fund, account == BUDGET_ROOT or account.startswith(_BUDGET_PREFIX))
            else:
                key = (txn_id, fund)
            sums[key] = get(key, 0) + cents
    except (AttributeError, IndexError, TypeError):
        return None
    return {key[0] for key, total in sums.items() if total != 0 or type(total) is not int}


def _balanced(postings: Sequence[tuple[Any, ...]]) -> bool:
    """Whether posting rows balance per fund: the rule's own definition, which also raises on
    amounts that are not numbers."""
    return not unbalanced_funds(Posting(*row[2:6]) for row in postings)


def _dated(row: Sequence[Any]) -> tuple[str, str]:
    """(ISO date, period) of a row's stored date text, or a VerificationError."""
    text = row[_DATE]
    date = None
    if type(text) is str and len(text) == 10:
        with contextlib.suppress(ValueError):
            date = datetime.date.fromisoformat(text)
    if date is None:
        raise VerificationError(f"{_label(row)}: its date {text!r} is not a date")
    return date.isoformat(), period_of(date)


def _one_to(count: int) -> list[int]:
    """[1, 2, ..., count]: the line numbers a transaction's postings must have."""
    if count < len(_NUMBERS):
        return _NUMBERS[count]
    return list(range(1, count + 1))


_NUMBERS = [list(range(1, count + 1)) for count in range(64)]


def _plain_rows(connection: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as the driver's plain tuples (the columns need no conversion:
    integers and text), without SQLAlchemy building a row object for each."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        result.close()


def _label(row: Sequence[Any]) -> str:
    return f"transaction {row[_ID]} ({row[_EXTERNAL_ID]!r})"
