"""A writer around netfund: a transaction stored with raw SQL, as another tool could store it.

It does what netfund's writer does (the next chain position, a correct hash, the balance
totals, the chain head) but with plain statements through any DB-API cursor and none of the
writer's checks, so only the database stands between it and an unbalanced transaction. A
balanced transaction written this way verifies like one netfund wrote.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from netfund.ledger.model.canonical import chain_hash
from netfund.ledger.model.entries import Draft, Posting, source_hash
from netfund.ledger.store.identity import os_user
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

#: (account, fund, cents) per line.
Line = tuple[str, str, int]

BALANCED: tuple[Line, ...] = (
    ("Assets:Bank", "GEM", 500),
    ("Income:Contributions", "GEM", -500),
)
#: Balanced the way `entries.unbalanced_funds` has it (actual and budget lines apart; a budget
#: line is ``Budget`` or ``Budget:...``, case and all), though written around netfund.
ALSO_BALANCED: dict[str, tuple[Line, ...]] = {
    "actual and budget lines, each balanced": (
        *BALANCED,
        ("Budget:Unallocated", "GEM", -300),
        ("Budget:Allocated:WG-A", "GEM", 300),
    ),
    "two funds, each balanced": (*BALANCED, ("Assets:Bank", "ZVK", 7), ("Income:X", "ZVK", -7)),
    "'budget:' in lower case is an actual account": (
        ("Assets:Bank", "GEM", 500),
        ("budget:x", "GEM", -500),
    ),
}
UNBALANCED: dict[str, tuple[Line, ...]] = {
    "sum is not zero": (("Assets:Bank", "GEM", 500), ("Income:Contributions", "GEM", -499)),
    "zero overall, not per fund": (
        ("Assets:Bank", "GEM", 500),
        ("Income:Contributions", "ZVK", -500),
    ),
    "zero per fund, not actual and budget apart": (
        ("Assets:Bank", "GEM", 500),
        ("Budget:Unallocated", "GEM", -500),
    ),
    "a single posting": (("Assets:Bank", "GEM", 500),),
}


def write_raw(
    cursor: Any,
    lines: Sequence[Line],
    *,
    paramstyle: str,
    external_id: str = "raw-1",
    date: datetime.date = datetime.date(2026, 6, 1),
    one_row_at_a_time: bool = True,
    move_head: bool = True,
    groups: Sequence[str | None] | None = None,
    txn_id: int | None = None,
    prev_hash: str | None = None,
    stored_hash: str | None = None,
) -> int:
    """Store one transaction of ``lines`` after the chain head; return its id.

    ``paramstyle`` is the driver's ("qmark" for sqlite3, "format" for psycopg). Postings go
    in one statement each (``one_row_at_a_time``: the transaction is unbalanced between
    them) or in one multi-row statement. ``groups``, one per line, sets the postings' group
    (none without it). ``txn_id`` and ``prev_hash`` put it elsewhere than right after the
    head (hashed as written there); ``stored_hash`` stores a hash that is not its content's.
    The caller commits.
    """
    mark = "?" if paramstyle == "qmark" else "%s"

    def run(sql: str, *values: Any) -> None:
        cursor.execute(sql.replace("?", mark), values)

    cursor.execute("SELECT last_txn_id, last_hash FROM chain_head WHERE id = 1")
    last_id, last_hash = cursor.fetchone()
    txn_id = last_id + 1 if txn_id is None else txn_id
    last_hash = last_hash if prev_hash is None else prev_hash
    draft = Draft(
        external_id=external_id,
        date=date,
        type="journal",
        description="written around netfund",
        reference="",
        postings=tuple(
            Posting(account, fund, group, cents)
            for (account, fund, cents), group in zip(
                lines, groups or [None] * len(lines), strict=True
            )
        ),
        source_hash=source_hash(external_id),
    )
    actor = _actor(cursor, paramstyle)
    txn_hash = chain_hash(last_hash, txn_id, draft, actor) if stored_hash is None else stored_hash
    run(
        "INSERT INTO transactions (id, external_id, date, period, type, description, "
        "reference, source_hash, prev_hash, hash"
        + (
            ", actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            if actor
            else ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        txn_id,
        external_id,
        date.isoformat(),
        draft.period,
        draft.type,
        draft.description,
        draft.reference,
        draft.source_hash,
        last_hash,
        txn_hash,
        *([actor] if actor else []),
    )
    rows = [
        (txn_id, n, p.account, p.fund, p.group, p.amount_cents)
        for n, p in enumerate(draft.postings, 1)
    ]
    posting = 'INSERT INTO postings (txn_id, line_no, account, fund, "group", amount_cents) VALUES '
    if one_row_at_a_time:
        for row in rows:
            run(posting + "(?, ?, ?, ?, ?, ?)", *row)
    else:
        values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
        run(posting + values, *(v for row in rows for v in row))
    for _, _, account, fund, group, cents in rows:
        run(
            'INSERT INTO balance_totals (period, account, fund, "group", debit_cents, '
            "credit_cents) VALUES (?, ?, ?, ?, ?, ?) "
            'ON CONFLICT (period, account, fund, "group") DO UPDATE SET '
            "debit_cents = balance_totals.debit_cents + excluded.debit_cents, "
            "credit_cents = balance_totals.credit_cents + excluded.credit_cents",
            draft.period,
            account,
            fund,
            group or "",
            max(cents, 0),
            max(-cents, 0),
        )
    if move_head:
        run("UPDATE chain_head SET last_txn_id = ?, last_hash = ? WHERE id = 1", txn_id, txn_hash)
    return txn_id


@contextmanager
def driver_connection(db_url: str, *, foreign_keys: bool = True) -> Iterator[tuple[Any, str]]:
    """A connection of the database driver itself, which netfund never configured, and its
    paramstyle. SQLite's enforces foreign keys only if asked (``foreign_keys``)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        connection: Any = sqlite3.connect(url.database or "")
        connection.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        paramstyle = "qmark"
    else:
        connection = psycopg.connect(url.set(drivername="postgresql").render_as_string(False))
        paramstyle = "format"
    try:
        yield connection, paramstyle
    finally:
        connection.close()


def _actor(cursor: Any, paramstyle: str) -> str | None:
    """Who a write around netfund is by, as netfund would say it: the login on PostgreSQL
    (whose trigger insists on it), the OS user on SQLite; None before schema 0010."""
    if paramstyle == "qmark":
        cursor.execute("SELECT name FROM pragma_table_info('transactions') WHERE name = 'actor'")
        return os_user() if cursor.fetchone() else None
    cursor.execute(
        "SELECT session_user, EXISTS (SELECT 1 FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name = 'transactions' "
        "AND column_name = 'actor')"
    )
    login, has_actor = cursor.fetchone()
    return str(login) if has_actor else None


def record_raw_write(engine: Engine, first: int, last: int | None = None) -> None:
    """The ``write`` record netfund's writing path appends after its transactions, for
    transactions ``first``..``last`` stored with `write_raw`: a tool writing around netfund
    must keep the audit trail as well, or `verify` finds its transactions in no write record
    (`ledger/verification/trail.py`). Appended by netfund's own `append_record`, so it names
    the same actor `write_raw` gave the transactions."""
    from netfund.ledger.store.database import writing
    from netfund.ledger.store.records import append_record

    last = first if last is None else last
    content = {
        "action": "post",
        "arguments": {},
        "source": "written around netfund",
        "posted": last - first + 1,
        "skipped": 0,
        "first_txn": first,
        "last_txn": last,
        "at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
    }
    with writing(engine) as connection:
        append_record(connection, "write", content, last)
