"""Tamper evidence (invariant 3): `netfund verify` detects any single change to stored rows.

A realistic ledger (commitments, receipts, allocations, pro-rata and explicit expenses, a
refund, journal corrections, a reversal, a closed year with its settlements and carry-over,
and the next year's events) is built once per backend; then every trigger is dropped, as an
attacker with write access to the database could. Each of TRIALS seeded random trials per
backend makes one change: one field of one transaction (external_id, date, type, description,
reference, funder, group, source_hash) or posting (account, fund, group, amount), deletes one
transaction with its postings, deletes one posting, inserts one posting into a transaction, or
appends one transaction whose hash is correctly chained to the last one (only the chain head
was not moved). `netfund verify` must exit 4 naming the transaction: its chain position
(``transaction N``) or its external id appears in the message.

SQLite: each trial changes a fresh copy of the prepared file. PostgreSQL: each trial changes
the one schema, runs verify, restores the rows and checks that verify passes again with the
original fingerprint, so every trial starts from the same ledger.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.model.entries import Draft, Posting, chain_hash
from netfund.ledger.store.database import connect
from netfund.ledger.store.schema import TRANSACTION_TYPES, postings_table, transactions_table
from netfund.ledger.verification.chain import verify
from sqlalchemy import Connection, delete, func, insert, select, text, update

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.test_reliability_support import drop_guards, run_cli, write_text

TRIALS = 50
SEEDS = {"sqlite": 3_001, "postgresql": 3_002}

EVENTS_2026 = """\
c-gem,2026-01-05,commitment,GEM,,100000.00,Toezegging Wmo 2026,BESL-2026-01
c-zvk,2026-01-05,commitment,ZVK,,50000.00,Toezegging Zvw,BESL-2026-02
c-zonmw,2026-01-06,commitment,ZONMW,,30000.00,Subsidie,ZONMW-123
r-gem,2026-01-20,receipt,GEM,,60000.00,Eerste tranche,BANK-001
r-zvk,2026-01-21,receipt,ZVK,,50000.00,Betaling,BANK-002
r-zonmw,2026-01-22,receipt,ZONMW,,30000.00,Voorschot,BANK-003
a-gem-a,2026-02-01,allocation,GEM,WG-A,40000.00,Budget A,B-1
a-zvk-a,2026-02-01,allocation,ZVK,WG-A,20000.00,Budget A,B-1
a-zonmw-pmo,2026-02-01,allocation,ZONMW,PMO,9000.00,Programmabureau,B-2
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


def build_ledger(db_url: str, folder: Path) -> None:
    """The ledger every trial starts from, through the CLI, with its triggers dropped."""
    steps = [
        ("init", str(write_text(folder / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(folder / "e2026.csv", EVENTS_HEADER + EVENTS_2026))),
        ("import", "--journal", str(write_text(folder / "j2026.csv", JOURNAL_2026))),
        ("reverse", "e-2", "--date", "2026-03-10"),
        ("close", "2026"),
        ("import", str(write_text(folder / "e2027.csv", EVENTS_HEADER + EVENTS_2027))),
    ]
    for args in steps:
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, (args, result.output)
    engine = connect(db_url)
    try:
        drop_guards(engine)
    finally:
        engine.dispose()


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
        return new if new != 0 else value + 1
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
            hash=chain_hash(last["hash"], txn_id, draft),
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


def test_verify_detects_every_single_change(db_url: str, tmp_path: Path) -> None:
    backend = "postgresql" if "postgresql" in db_url else "sqlite"
    rng = random.Random(SEEDS[backend])
    build_ledger(db_url, tmp_path)
    baseline = run_cli(db_url, "verify", "--json")
    assert baseline.exit_code == 0, baseline.output
    fingerprint = json.loads(baseline.stdout)["fingerprint"]
    template = Path(db_url.removeprefix("sqlite:///")) if backend == "sqlite" else None
    if template is not None:  # everything in the main file, so a copy holds it all
        engine = connect(db_url)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    shared = connect(db_url) if template is None else None
    undetected: list[str] = []
    kinds: Counter[str] = Counter()
    try:
        for trial in range(TRIALS):
            kind = KINDS[trial % len(KINDS)] if trial < len(KINDS) else rng.choice(KINDS)
            kinds[kind] += 1
            url, engine = db_url, shared
            if template is not None:
                url = f"sqlite:///{tmp_path / f'trial-{trial}.db'}"
                shutil.copyfile(template, url.removeprefix("sqlite:///"))
                engine = connect(url)
            assert engine is not None
            with engine.begin() as connection:
                txn_id, external_id, restore = tamper(connection, rng, kind, trial)
            result = run_cli(url, "verify")
            if result.exit_code != 4 or not names_transaction(result.output, txn_id, external_id):
                undetected.append(
                    f"trial {trial} {kind} of transaction {txn_id} ({external_id!r}): "
                    f"exit {result.exit_code}: {result.output.strip()}"
                )
            if template is None:
                with engine.begin() as connection:
                    restore(connection)
                assert verify(engine).head_hash == fingerprint, f"trial {trial}: not restored"
            else:
                engine.dispose()
                Path(url.removeprefix("sqlite:///")).unlink()
    finally:
        if shared is not None:
            shared.dispose()
    print(f"\n{backend}: {TRIALS - len(undetected)}/{TRIALS} changes detected; {dict(kinds)}")
    assert set(kinds) == set(KINDS)
    assert not undetected, "\n".join(undetected)


@pytest.mark.parametrize("stored", ["2026-02-30", "2026-1-5", "garbage"])
def test_verify_reports_a_malformed_stored_date_as_tampering(tmp_path: Path, stored: str) -> None:
    """SQLite stores dates as text and enforces no type: a changed file can hold any text."""
    db_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    build_ledger(db_url, tmp_path)

    engine = connect(db_url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE transactions SET date = '{stored}' WHERE id = 4"))
    engine.dispose()
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert names_transaction(result.output, 4, "r-gem"), result.output


def test_verify_notices_a_closed_period_reopened_by_deleting_its_lock(
    db_url: str, tmp_path: Path
) -> None:
    build_ledger(db_url, tmp_path)  # 2026 is closed, the triggers are gone
    engine = connect(db_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM closed_periods WHERE period = '2026'"))
    engine.dispose()
    late = write_text(
        tmp_path / "late.csv", EVENTS_HEADER + "late,2026-12-30,receipt,GEM,,1.00,,\n"
    )
    imported = run_cli(db_url, "import", str(late))
    result = run_cli(db_url, "verify")
    assert imported.exit_code == 2 or result.exit_code == 4, (imported.output, result.output)
    if result.exit_code == 4:
        assert "'late'" in result.output or "2026" in result.output, result.output
