"""The columns of a stored transaction and of its postings, defined once.

A transaction is one row of `TRANSACTION_COLUMNS`, each of its lines one row of
`POSTING_COLUMNS`. Whatever handles those rows takes their names, order and kinds from here,
so that a column added or renamed cannot be forgotten in one of them:

- the writer inserts rows in this order (`store/writer.py`, built by `transaction_row` and
  `line_rows` below, from a draft's `content_values` or the batch import's values);
- the hash covers the content columns, keyed by name (`model/canonical.py` writes the
  canonical bytes from them);
- verify reads the rows back in this order (`verification/ranges.py`);
- the exports read the columns they carry by these names (`exports/rows.py`).

The tables (`store/schema.py`) declare the same columns with their SQL types and limits;
`tests/ledger/test_columns.py` holds the two together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netfund.ledger.model.entries import lines_of

if TYPE_CHECKING:
    from netfund.ledger.model.entries import Draft

#: What a column holds; the canonical content writes integers as numbers, text and dates
#: (ISO ``YYYY-MM-DD``) as strings.
BIGINT = "bigint"
INTEGER = "integer"
TEXT = "text"
DATE = "date"


@dataclass(frozen=True)
class Column:
    """One stored column.

    Attributes:
        name: the column's name, and its key in the canonical content.
        kind: `BIGINT`, `INTEGER`, `TEXT` or `DATE`.
        nullable: whether it may be NULL (None).
        omitted_when_null: a column added to the hashed content later: NULL leaves its key
            out of the canonical content, so the transactions written before it still hash
            to what they hashed to (the content is versioned by the keys it has).
    """

    name: str
    kind: str
    nullable: bool = False
    omitted_when_null: bool = False


#: What a transaction's hash covers (with its postings' `POSTING_CONTENT`), in stored order.
TRANSACTION_CONTENT: tuple[Column, ...] = (
    Column("id", BIGINT),
    Column("external_id", TEXT),
    Column("date", DATE),
    Column("period", TEXT),
    Column("type", TEXT),
    Column("description", TEXT),
    Column("reference", TEXT),
    Column("funder", TEXT, nullable=True),
    Column("group", TEXT, nullable=True),
    Column("reversal_of", BIGINT, nullable=True),
    Column("source_hash", TEXT),
    # Who wrote it (issue 17): the PostgreSQL login role the database itself set, or the
    # operating-system user on SQLite. NULL (and left out of the hash) before migration 0010.
    Column("actor", TEXT, nullable=True, omitted_when_null=True),
)
#: The links of the hash chain, stored after the content they cover.
CHAIN_LINKS: tuple[Column, ...] = (Column("prev_hash", TEXT), Column("hash", TEXT))
TRANSACTION_COLUMNS = TRANSACTION_CONTENT + CHAIN_LINKS

#: A posting's part of the canonical content: the array ``[line_no, account, ...]``.
POSTING_CONTENT: tuple[Column, ...] = (
    Column("line_no", INTEGER),
    Column("account", TEXT),
    Column("fund", TEXT),
    Column("group", TEXT, nullable=True),
    Column("amount_cents", BIGINT),
)
#: A posting row: its transaction's id (in the content once, as the transaction's) first.
POSTING_COLUMNS = (Column("txn_id", BIGINT), *POSTING_CONTENT)

TRANSACTION_NAMES = tuple(column.name for column in TRANSACTION_COLUMNS)
POSTING_NAMES = tuple(column.name for column in POSTING_COLUMNS)


def transaction_position(name: str) -> int:
    """Where column ``name`` sits in a transaction row (hot loops index plain tuples)."""
    return TRANSACTION_NAMES.index(name)


def transaction_values(txn_id: int, draft: Draft, actor: str | None = None) -> tuple[object, ...]:
    """A draft's `TRANSACTION_CONTENT` at chain position ``txn_id``, written by ``actor``, in
    order, the date as ISO text: the first columns of its stored row, and what its hash
    covers."""
    return transaction_row(txn_id, content_values(draft), actor)


def content_values(draft: Draft) -> tuple[object, ...]:
    """A draft's `TRANSACTION_CONTENT` between the chain position and the actor, in order,
    the date as ISO text: what a writer without a `Draft` (the batch import) hands over."""
    return (
        draft.external_id,
        draft.date.isoformat(),
        draft.period,
        draft.type,
        draft.description,
        draft.reference,
        draft.funder,
        draft.group,
        draft.reversal_of,
        draft.source_hash,
    )


def transaction_row(
    txn_id: int, content: Sequence[object], actor: str | None
) -> tuple[object, ...]:
    """`TRANSACTION_CONTENT` values from `content_values` at ``txn_id``, by ``actor``."""
    return (txn_id, *content, actor)


def posting_rows(txn_id: int, draft: Draft) -> list[tuple[object, ...]]:
    """A draft's postings as `POSTING_COLUMNS` rows, numbered from 1 in the draft's order."""
    return line_rows(txn_id, lines_of(draft.postings))


def line_rows(txn_id: int, lines: Iterable[Sequence[object]]) -> list[tuple[object, ...]]:
    """Lines (account, fund, group, cents) as `POSTING_COLUMNS` rows, numbered from 1.

    The four values are named, not starred: a fifth of the cost, for every line written (a
    line of another length fails here, as its row would fail the canonical writer)."""
    return [
        (txn_id, number, account, fund, group, cents)
        for number, (account, fund, group, cents) in enumerate(lines, start=1)
    ]
