"""The ledger's records: frozen transactions and postings, how they balance and how they hash.

These are the domain, separate from the ORM rows in `schema.py`. A `Draft` is what a caller
asks the ledger to store; a `Transaction` is what the ledger stored, with its chain position
and hash. The canonical content and the hash are defined here once, used where a transaction
is written and again where `verify` reads it back.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.model.limits import ACCOUNT_LENGTH_MAX

#: The hash a chain's first transaction links to.
GENESIS_HASH = "0" * 64

ACCOUNT_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses", "Budget")
#: Budget accounts are a memo ledger beside the actuals: they balance on their own.
BUDGET_ROOT = "Budget"
# Components start with a capital or digit, as Beancount and hledger require of account names.
_ACCOUNT = re.compile(r"^(?:" + "|".join(ACCOUNT_ROOTS) + r")(?::[A-Z0-9][A-Za-z0-9-]{0,63}){0,5}$")


def is_valid_account(name: str) -> bool:
    if name in _VALID_ACCOUNTS:
        return True
    valid = (
        type(name) is str and len(name) <= ACCOUNT_LENGTH_MAX and _ACCOUNT.match(name) is not None
    )
    # A ledger uses few account names over and over: remember the valid ones (bounded).
    if valid and len(_VALID_ACCOUNTS) < _VALID_ACCOUNTS_MAX:
        _VALID_ACCOUNTS.add(name)
    return valid


_VALID_ACCOUNTS: set[str] = set()
_VALID_ACCOUNTS_MAX = 100_000


def is_budget_account(name: str) -> bool:
    return name == BUDGET_ROOT or name.startswith(BUDGET_ROOT + ":")


@dataclass(frozen=True)
class Posting:
    """One line of a transaction.

    Attributes:
        account: account name like ``Assets:Bank`` or ``Expenses:WG-WIJK``.
        fund: the funder whose money it is, or ``NET`` for the network's own.
        group: the working group the line concerns, or None.
        amount_cents: signed amount in cents, debit positive; never zero.
    """

    account: str
    fund: str
    group: str | None
    amount_cents: int


@dataclass(frozen=True)
class Draft:
    """A transaction a caller asks the ledger to store.

    Attributes:
        external_id: the caller's unique id; the same id with the same content is skipped.
        date: the booking date; its year is the period.
        type: one of `schema.TRANSACTION_TYPES`.
        description: free text, at most 1,000 characters.
        reference: the document behind it (invoice, decision), at most 200 characters.
        postings: the lines; they balance per fund.
        funder: the funder an event concerned, or None.
        group: the group an event concerned, or None.
        source_hash: sha256 of the input that produced it, compared on re-import.
        reversal_of: chain position of the transaction this one reverses, or None.
    """

    external_id: str
    date: datetime.date
    type: str
    description: str
    reference: str
    postings: tuple[Posting, ...]
    source_hash: str
    funder: str | None = None
    group: str | None = None
    reversal_of: int | None = None

    @property
    def period(self) -> str:
        return period_of(self.date)


@dataclass(frozen=True)
class Transaction:
    """A stored transaction: a `Draft` with its chain position and hashes.

    Attributes:
        id: position in the hash chain, 1 for the first.
        draft: the content.
        prev_hash: the hash of the transaction before it (`GENESIS_HASH` for the first).
        hash: sha256 of ``prev_hash`` and the canonical content.
    """

    id: int
    draft: Draft
    prev_hash: str
    hash: str = field(default="")


def period_of(date: datetime.date) -> str:
    """Periods are calendar years: Dutch public funders account per calendar year."""
    return f"{date.year:04d}"


def unbalanced_funds(postings: Iterable[Posting]) -> dict[str, tuple[int, int]]:
    """Funds whose actual or budget lines do not sum to zero: fund → (actual, budget) sums."""
    actual: dict[str, int] = defaultdict(int)
    budget: dict[str, int] = defaultdict(int)
    for posting in postings:
        target = budget if is_budget_account(posting.account) else actual
        target[posting.fund] += posting.amount_cents
    if not any(actual.values()) and not any(budget.values()):
        return {}
    funds = set(actual) | set(budget)
    return {
        fund: (actual[fund], budget[fund])
        for fund in sorted(funds)
        if actual[fund] != 0 or budget[fund] != 0
    }


def check_balanced(external_id: str, postings: Sequence[Posting]) -> None:
    """Invariant 1: raise unless the lines balance per fund, actuals and budget separately."""
    if len(postings) < 2:
        raise InvariantViolation(f"transaction {external_id!r} has fewer than two postings")
    if any(posting.amount_cents == 0 for posting in postings):
        raise InvariantViolation(f"transaction {external_id!r} has a zero posting")
    unbalanced = unbalanced_funds(postings)
    if unbalanced:
        raise InvariantViolation(
            f"transaction {external_id!r} does not balance per fund: {unbalanced}"
        )


def canonical_content(txn_id: int, draft: Draft) -> bytes:
    """The exact bytes a transaction's hash covers: every stored field, postings in order.

    They are the bytes of ``json.dumps(content, ensure_ascii=False, separators=(",", ":"),
    sort_keys=True)`` of the object ``{"id", "external_id", "date" (ISO), "period", "type",
    "description", "reference", "funder", "group", "reversal_of", "source_hash", "postings":
    [[line_no, account, fund, group, amount_cents], ...]}``, encoded as UTF-8; `canonical_bytes`
    writes them without building that object (the hash definition is unchanged).
    """
    return canonical_bytes(
        txn_id,
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
        [(p.account, p.fund, p.group, p.amount_cents) for p in draft.postings],
    )


def _json_value(value: object) -> str:
    """One JSON value exactly as `json.dumps` (ensure_ascii=False) writes it."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if value is None:
        return "null"
    # Anything else (a float or text a tampered SQLite column holds, say) exactly as
    # json.dumps writes it, so the bytes stay those of the definition.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_encode_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]


def canonical_bytes(
    txn_id: object,
    external_id: object,
    date_text: object,
    period: object,
    type_: object,
    description: object,
    reference: object,
    funder: object,
    group: object,
    reversal_of: object,
    source_hash: object,
    postings: Iterable[tuple[object, object, object, object]],
) -> bytes:
    """`canonical_content` from plain values: postings as (account, fund, group, cents)."""
    rows = [(txn_id, number, *posting) for number, posting in enumerate(postings, start=1)]
    return canonical_bytes_of_texts(
        txn_id,
        external_id,
        date_text,
        period,
        type_,
        description,
        reference,
        funder,
        group,
        reversal_of,
        source_hash,
        ",".join(posting_texts(rows)),
    )


def posting_texts(rows: Iterable[Sequence[object]]) -> list[str]:
    """Each posting's part of the canonical content, ``[line_no,account,fund,group,cents]``.

    Rows are in the postings table's column order, (txn_id, line_no, account, fund, group,
    cents); the txn_id is not part of the text. `verify` writes a whole batch of stored rows
    in this one pass, then joins each transaction's run with ``","``.
    """
    text = _encode_string
    v = _json_value
    return [
        f"[{line},{text(account)},{text(fund)},"
        f"{'null' if line_group is None else text(line_group)},{cents}]"
        if type(line) is int
        and type(account) is str
        and type(fund) is str
        and type(cents) is int
        and (line_group is None or type(line_group) is str)
        # Anything else (what a tampered column may hold) as json.dumps writes it.
        else f"[{v(line)},{v(account)},{v(fund)},{v(line_group)},{v(cents)}]"
        for _, line, account, fund, line_group, cents in rows
    ]


def canonical_bytes_of_texts(
    txn_id: object,
    external_id: object,
    date_text: object,
    period: object,
    type_: object,
    description: object,
    reference: object,
    funder: object,
    group: object,
    reversal_of: object,
    source_hash: object,
    postings_text: str,
) -> bytes:
    """`canonical_bytes` given its postings already written and joined (`posting_texts`).

    The keys are written in sorted order, as ``sort_keys=True`` orders them. Text and None,
    the usual values, are written without a call to `_json_value` (this runs once for each
    transaction `verify` reads).
    """
    v = _json_value
    text = _encode_string
    s = str
    return (
        f'{{"date":{text(date_text) if type(date_text) is s else v(date_text)},'
        f'"description":{text(description) if type(description) is s else v(description)},'
        f'"external_id":{text(external_id) if type(external_id) is s else v(external_id)},'
        f'"funder":{"null" if funder is None else v(funder)},'
        f'"group":{"null" if group is None else v(group)},'
        f'"id":{txn_id if type(txn_id) is int else v(txn_id)},'
        f'"period":{text(period) if type(period) is s else v(period)},'
        f'"postings":[{postings_text}],'
        f'"reference":{text(reference) if type(reference) is s else v(reference)},'
        f'"reversal_of":{"null" if reversal_of is None else v(reversal_of)},'
        f'"source_hash":{text(source_hash) if type(source_hash) is s else v(source_hash)},'
        f'"type":{text(type_) if type(type_) is s else v(type_)}}}'
    ).encode()


def chain_hash(prev_hash: str, txn_id: int, draft: Draft) -> str:
    """Invariant 3: ``sha256(previous hash + canonical content)``, as lowercase hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_content(txn_id, draft))
    return digest.hexdigest()


def source_hash(*fields: object) -> str:
    """sha256 of an input's fields, to tell a repeated import from a changed one."""
    text = json.dumps([str(value) if value is not None else None for value in fields])
    return hashlib.sha256(text.encode()).hexdigest()


def lines_fingerprint(
    external_id: str,
    date: datetime.date,
    description: str,
    reference: str,
    postings: Sequence[Posting],
) -> str:
    """The source hash of a transaction given as raw lines (journal files, the post API)."""
    return source_hash(
        external_id,
        date.isoformat(),
        description,
        reference,
        *[f"{p.account}|{p.fund}|{p.group}|{p.amount_cents}" for p in postings],
    )
