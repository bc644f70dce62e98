"""The ledger's records: frozen transactions and postings, how they balance and how they hash.

These are the domain, separate from the ORM rows in `schema.py`. A `Draft` is what a caller
asks the ledger to store; a `Transaction` is what the ledger stored, with its chain position
and hash. The columns they are stored in are `columns.py`'s; the bytes the hash covers,
`canonical.py`'s.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.model.limits import ACCOUNT_LENGTH_MAX

#: The hash a chain's first transaction links to.
GENESIS_HASH = "0" * 64

ACCOUNT_ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses", "Budget")
#: Budget accounts are a memo ledger beside the actuals: they balance on their own.
BUDGET_ROOT = "Budget"
# Components start with a capital or digit, as Beancount and hledger require of account names.
# Matched whole (fullmatch): `$` would also take a name ending in a line break.
_ACCOUNT = re.compile(r"(?:" + "|".join(ACCOUNT_ROOTS) + r")(?::[A-Z0-9][A-Za-z0-9-]{0,63}){0,5}")


def is_valid_account(name: str) -> bool:
    if name in _VALID_ACCOUNTS:
        return True
    valid = (
        type(name) is str
        and len(name) <= ACCOUNT_LENGTH_MAX
        and _ACCOUNT.fullmatch(name) is not None
    )
    # A ledger uses few account names over and over: remember the valid ones (bounded).
    if valid and len(_VALID_ACCOUNTS) < _VALID_ACCOUNTS_MAX:
        _VALID_ACCOUNTS.add(name)
    return valid


_VALID_ACCOUNTS: set[str] = set()
_VALID_ACCOUNTS_MAX = 100_000


def is_budget_account(name: str) -> bool:
    return name == BUDGET_ROOT or name.startswith(_BUDGET_PREFIX)


_BUDGET_PREFIX = BUDGET_ROOT + ":"
#: Valid account names the balance rule met → `is_budget_account` (bounded): the writer
#: checks every transaction, over the same few names again and again, so a name found here is
#: known valid and its side known without a call.
_ACCOUNT_SIDES: dict[str, bool] = {}
_ACCOUNT_SIDES_MAX = 100_000


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


#: A posting before it is numbered, as plain values: (account, fund, group or None, cents).
#: The batch import builds these instead of `Posting` objects (millions of them).
Line = tuple[str, str, str | None, int]
#: A line's cents, read in C (the zero-line test of every transaction written).
_CENTS = itemgetter(3)


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


def lines_of(postings: Iterable[Posting]) -> list[Line]:
    """Postings as plain lines, in order: what the checks, the rules and the writer read."""
    return [(p.account, p.fund, p.group, p.amount_cents) for p in postings]


def unbalanced_funds(postings: Iterable[Posting]) -> dict[str, tuple[int, int]]:
    """Funds whose actual or budget lines do not sum to zero: fund → (actual, budget) sums."""
    return unbalanced_lines(lines_of(postings))


def unbalanced_lines(lines: Iterable[Line]) -> dict[str, tuple[int, int]]:
    """`unbalanced_funds` of plain lines (the batch import's, which has no `Posting`)."""
    return _unbalanced(*_fund_sums(lines, None))


def check_lines(external_id: str, lines: Sequence[Line]) -> None:
    """The writer's last check of a transaction's lines (`writer._check_transaction`): every
    account name valid and every amount integer cents (else the first line that is not is
    named), then invariant 1: at least two lines, none zero, and balanced per fund, actual
    and budget lines apart; in one pass over the lines, as every transaction written comes
    through here."""
    _check_sums(external_id, lines, *_fund_sums(lines, external_id))


def _fund_sums(
    lines: Iterable[Line], checked_for: str | None
) -> tuple[dict[str, int], dict[str, int]]:
    """The sums of the actual lines and of the budget lines, per fund (a dictionary each: no
    key per line). With ``checked_for`` (the external id of the transaction they belong to),
    each line is first held to the line invariants of `check_lines`, in order."""
    actual: dict[str, int] = {}
    budget: dict[str, int] = {}
    sides = _ACCOUNT_SIDES
    for account, fund, _, cents in lines:
        side = sides.get(account)
        if side is None:
            valid = is_valid_account(account)
            if checked_for is not None and not valid:
                raise InvariantViolation(f"invalid account name {account!r}")
            side = is_budget_account(account)
            if valid and len(sides) < _ACCOUNT_SIDES_MAX:
                sides[account] = side
        # Money is integer cents: a float (or a bool, or a Decimal) never reaches the database.
        if type(cents) is not int and checked_for is not None:
            raise InvariantViolation(f"{checked_for!r}: amount {cents!r} is not integer cents")
        sums = budget if side else actual
        sums[fund] = sums.get(fund, 0) + cents
    return actual, budget


def _check_sums(
    external_id: str, lines: Sequence[Line], actual: dict[str, int], budget: dict[str, int]
) -> None:
    """Invariant 1 of ``lines`` summed into ``actual`` and ``budget`` (`_fund_sums`)."""
    if len(lines) < 2:
        raise InvariantViolation(f"transaction {external_id!r} has fewer than two postings")
    if 0 in map(_CENTS, lines):  # any line's cents == 0, compared in C
        raise InvariantViolation(f"transaction {external_id!r} has a zero posting")
    if any(actual.values()) or any(budget.values()):
        raise InvariantViolation(
            f"transaction {external_id!r} does not balance per fund: {_unbalanced(actual, budget)}"
        )


def _unbalanced(actual: dict[str, int], budget: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The funds of `_fund_sums` whose actual or budget sum is not zero."""
    if not (any(actual.values()) or any(budget.values())):
        return {}
    return {
        fund: (actual.get(fund, 0), budget.get(fund, 0))
        for fund in sorted(actual.keys() | budget.keys())
        if actual.get(fund, 0) != 0 or budget.get(fund, 0) != 0
    }


def source_hash(*fields: object) -> str:
    """sha256 of an input's fields, to tell a repeated import from a changed one.

    The bytes are ``json.dumps([str(value) or None for each field])`` (ASCII, ``", "``
    between items), written here with the encoder's own string function: an import hashes
    every row (`tests/ledger/test_canonical.py` holds the two to the same bytes)."""
    text = ", ".join(
        [  # a list, not a generator: `join` makes one of it anyway, and resuming costs more
            "null" if value is None else _encode_ascii(value if type(value) is str else str(value))
            for value in fields
        ]
    )
    return hashlib.sha256(f"[{text}]".encode()).hexdigest()


_encode_ascii = json.encoder.c_encode_basestring_ascii or json.encoder.py_encode_basestring_ascii  # type: ignore[attr-defined]


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
