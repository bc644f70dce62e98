"""Tampering with a stored ledger behind netfund's back: the kinds of change, one seeded
change, and whether verify's message names the transaction. Shared by the tamper,
balance-totals and parallel-verify tests."""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Callable
from typing import Any

from netfund.ledger.model.canonical import chain_hash
from netfund.ledger.model.entries import Draft, Posting
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.schema import TRANSACTION_TYPES, postings_table, transactions_table
from sqlalchemy import Connection, delete, func, insert, select, update

EVENTS_2026 = """\
c-gem,2026-01-05,commitment,GEM,,100000.00,Toezegging Wmo 2026,BESL-2026-01
c-zvk,2026-01-05,commitment,ZVK,,50000.00,Toezegging Zvw,BESL-2026-02
c-zonmw,2026-01-06,commitment,ZONMW,,30000.00,Subsidie,ZONMW-123
r-gem,2026-01-20,receipt,GEM,,60000.00,Eerste tranche,BANK-001
r-zvk,2026-01-21,receipt,ZVK,,50000.00,Betaling,BANK-002
r-zonmw,2026-01-22,receipt,ZONMW,,30000.00,Voorschot,BANK-003
a-gem-a,2026-02-01,allocation,GEM,WG-A,40000.00,Budget A,B-1
a-zvk-a,2026-02-01,allocation,ZVK,WG-A,20000.00,Budget A,B-1
a-zonmw-pmo,2026-02-01,allocation,ZONMW,PMO,2000.00,Programmabureau,B-2
a-zonmw-a,2026-02-01,allocation,ZONMW,WG-A,21000.00,Budget A,B-2
a-gem-b,2026-02-02,allocation,GEM,WG-B,10000.00,Budget B,B-3
e-1,2026-03-01,expense,,WG-A,1234.57,Huur wijkruimte,F-1
e-2,2026-03-02,expense,,WG-A,0.03,Afronding,F-2
e-3,2026-03-03,expense,ZONMW,PMO,500.00,Coördinatie,F-3
e-4,2026-04-01,expense,,WG-B,250.00,"Training, twee dagen",F-4
e-5,2026-05-01,expense,,WG-A,999.99,"Café ""De Hoek"" overleg",F-5
f-zvk,2026-06-01,refund,ZVK,,100.00,Terugbetaling,BANK-004
"""


JOURNAL_2026 = """\
txn_id,date,description,account,fund,group,amount
J-1,2026-07-01,Herclassificatie,Expenses:WG-B,GEM,WG-B,12.50
J-1,2026-07-01,Herclassificatie,Expenses:WG-A,GEM,WG-A,-12.50
J-2,2026-07-02,Rente,Assets:Bank,NET,,3.21
J-2,2026-07-02,Rente,Income:Interest,NET,,-3.21
"""


EVENTS_2027 = """\
c-gem-27,2027-01-05,commitment,GEM,,80000.00,Toezegging 2027,BESL-2027-01
r-gem-27,2027-01-20,receipt,GEM,,40000.00,Tranche 2027,BANK-101
a-gem-27,2027-02-01,allocation,GEM,WG-A,30000.00,Budget 2027,B-27
e-27,2027-03-01,expense,,WG-A,777.77,Huur 2027,F-27
"""


TRANSACTION_FIELDS = (
    "external_id",
    "date",
    "type",
    "description",
    "reference",
    "funder",
    "group",
    "source_hash",
)


POSTING_FIELDS = ("account", "fund", "group", "amount_cents")


KINDS = (
    *(f"transaction.{name}" for name in TRANSACTION_FIELDS),
    *(f"posting.{name}" for name in POSTING_FIELDS),
    "delete transaction",
    "delete posting",
    "insert posting",
    "insert transaction",
)


CODES = ("GEM", "ZVK", "ZONMW", "NET", "WG-A", "WG-B", "PMO")


ACCOUNTS = ("Assets:Bank", "Assets:Receivable", "Income:Contributions", "Expenses:WG-A")


def _other(rng: random.Random, choices: tuple[Any, ...], current: Any) -> Any:
    return rng.choice([choice for choice in choices if choice != current])


def _changed_text(rng: random.Random, value: str) -> str:
    how = rng.choice(("append", "replace", "case", "space"))
    if not value or how == "append":
        return value + rng.choice(("x", ".", "é", "0"))
    if how == "space":
        return value + " "
    position = rng.randrange(len(value))
    if how == "case" and value[position].swapcase() != value[position]:
        return value[:position] + value[position].swapcase() + value[position + 1 :]
    replacement = "9" if value[position] != "9" else "8"
    return value[:position] + replacement + value[position + 1 :]


def _new_value(rng: random.Random, field: str, value: Any, serial: int) -> Any:
    if field == "external_id":
        return f"{value}~{serial}" if rng.random() < 0.5 else f"forged-{serial}"
    if field == "date":
        return value + datetime.timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 400))
    if field == "type":
        return _other(rng, TRANSACTION_TYPES, value)
    if field in ("funder", "fund", "group"):
        return _other(rng, (*CODES, None) if field != "fund" else CODES, value)
    if field == "account":
        return _other(rng, ACCOUNTS, value)
    if field == "amount_cents":
        new = value + rng.choice((-1, 1)) * rng.choice((1, 100, rng.randint(1, 10**9)))
        return new if new != 0 else value * 2  # never zero: the schema refuses that first
    return _changed_text(rng, value)


def _row(connection: Connection, table: Any, *where: Any) -> dict[str, Any]:
    return dict(connection.execute(select(table).where(*where)).mappings().one())


def tamper(
    connection: Connection, rng: random.Random, kind: str, serial: int
) -> tuple[int, str, Callable[[Connection], None]]:
    """Make one change; return the transaction it concerns, its original external id, and a
    function that restores the rows."""
    t, p = transactions_table.c, postings_table.c
    ids = list(connection.execute(select(t.id).order_by(t.id)).scalars())
    names = dict(connection.execute(select(t.id, t.external_id)).all())
    if kind.startswith("transaction."):
        field = kind.split(".", 1)[1]
        txn_id = rng.choice(ids)
        old = _row(connection, transactions_table, t.id == txn_id)[field]
        new = _new_value(rng, field, old, serial)
        connection.execute(update(transactions_table).where(t.id == txn_id).values({field: new}))
        return (
            txn_id,
            names[txn_id],
            lambda c: c.execute(
                update(transactions_table).where(t.id == txn_id).values({field: old})
            ),
        )
    lines = connection.execute(select(p.txn_id, p.line_no).order_by(p.txn_id, p.line_no)).all()
    if kind.startswith("posting."):
        field = kind.split(".", 1)[1]
        txn_id, line_no = rng.choice(lines)
        where = (p.txn_id == txn_id, p.line_no == line_no)
        old = _row(connection, postings_table, *where)[field]
        new = _new_value(rng, field, old, serial)
        connection.execute(update(postings_table).where(*where).values({field: new}))
        return (
            txn_id,
            names[txn_id],
            lambda c: c.execute(update(postings_table).where(*where).values({field: old})),
        )
    if kind == "delete posting":
        txn_id, line_no = rng.choice(lines)
        where = (p.txn_id == txn_id, p.line_no == line_no)
        old_line = _row(connection, postings_table, *where)
        connection.execute(delete(postings_table).where(*where))
        return (
            txn_id,
            names[txn_id],
            lambda c: c.execute(insert(postings_table).values(old_line)),
        )
    if kind == "delete transaction":
        reversed_ids = set(
            connection.execute(select(t.reversal_of).where(t.reversal_of.is_not(None))).scalars()
        )
        txn_id = rng.choice([i for i in ids if i not in reversed_ids])
        old_txn = _row(connection, transactions_table, t.id == txn_id)
        old_lines = [
            dict(row)
            for row in connection.execute(
                select(postings_table).where(p.txn_id == txn_id).order_by(p.line_no)
            ).mappings()
        ]
        connection.execute(delete(postings_table).where(p.txn_id == txn_id))
        connection.execute(delete(transactions_table).where(t.id == txn_id))

        def restore_transaction(c: Connection) -> None:
            c.execute(insert(transactions_table).values(old_txn))
            c.execute(insert(postings_table), old_lines)

        return txn_id, names[txn_id], restore_transaction
    if kind == "insert posting":
        txn_id = rng.choice(ids)
        line_no = (
            1
            + connection.execute(select(func.max(p.line_no)).where(p.txn_id == txn_id)).scalar_one()
        )
        connection.execute(
            insert(postings_table).values(
                txn_id=txn_id,
                line_no=line_no,
                account=rng.choice(ACCOUNTS),
                fund=rng.choice(CODES[:4]),
                group=None,
                amount_cents=rng.choice((-1, 1)) * rng.randint(1, 10**7),
            )
        )
        return (
            txn_id,
            names[txn_id],
            lambda c: c.execute(
                delete(postings_table).where(p.txn_id == txn_id, p.line_no == line_no)
            ),
        )
    assert kind == "insert transaction"
    last = _row(connection, transactions_table, t.id == ids[-1])
    txn_id, cents = ids[-1] + 1, rng.randint(1, 10**8)
    external_id = f"forged-{serial}"
    draft = Draft(
        external_id=external_id,
        date=datetime.date(2027, 12, rng.randint(1, 31)),
        type="journal",
        description="Forged transfer",
        reference="",
        postings=(
            Posting("Expenses:WG-A", "GEM", "WG-A", cents),
            Posting("Assets:Bank", "GEM", None, -cents),
        ),
        source_hash="0" * 64,
    )
    connection.execute(
        insert(transactions_table).values(
            id=txn_id,
            external_id=external_id,
            date=draft.date,
            period=draft.period,
            type=draft.type,
            description=draft.description,
            reference=draft.reference,
            funder=None,
            group=None,
            reversal_of=None,
            source_hash=draft.source_hash,
            prev_hash=last["hash"],
            actor=current_actor(connection),
            hash=chain_hash(last["hash"], txn_id, draft, current_actor(connection)),
        )
    )
    connection.execute(
        insert(postings_table),
        [
            {"txn_id": txn_id, "line_no": n, "account": q.account, "fund": q.fund}
            | {"group": q.group, "amount_cents": q.amount_cents}
            for n, q in enumerate(draft.postings, start=1)
        ],
    )

    def remove(c: Connection) -> None:
        c.execute(delete(postings_table).where(p.txn_id == txn_id))
        c.execute(delete(transactions_table).where(t.id == txn_id))

    return txn_id, external_id, remove


def names_transaction(message: str, txn_id: int, external_id: str) -> bool:
    return bool(re.search(rf"\btransaction {txn_id}\b", message)) or repr(external_id) in message
