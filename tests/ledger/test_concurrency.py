"""Invariant 7: concurrent writers never lose a transaction and never fork the chain.

Each writer is a separate Python process (as two administrators would be) posting through
the public API; afterwards the chain must hold every transaction exactly once and verify.
"""

from __future__ import annotations

import subprocess
import sys

from netfund.ledger.store.checkpoints import CHAINS
from netfund.ledger.store.database import reading
from netfund.ledger.store.schema import transactions_table
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine, func, select

WRITERS = 4
POSTS_EACH = 25

WRITER_SCRIPT = """
import datetime, sys
from netfund.ledger.store.database import connect
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.importer import post

url, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = connect(url)
date = datetime.date(2026, 5, 1)
for number in range(count):
    external_id = f"w{writer}-{number}"
    lines = (
        Posting("Assets:Bank", "NET", None, 100 + number),
        Posting("Income:Interest", "NET", None, -(100 + number)),
    )
    fingerprint = lines_fingerprint(external_id, date, "", "", lines)
    post(engine, [Draft(external_id, date, "journal", "", "", lines, fingerprint)])
"""


def _run_writers(db_url: str, writer_names: list[str]) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, db_url, name, str(POSTS_EACH)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in writer_names
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr


def _stored(engine: Engine) -> int:
    with reading(engine) as connection:
        return connection.execute(select(func.count()).select_from(transactions_table)).scalar_one()


def test_parallel_writers_make_one_linear_chain(engine: Engine, db_url: str) -> None:
    _run_writers(db_url, [str(n) for n in range(WRITERS)])
    assert _stored(engine) == WRITERS * POSTS_EACH
    report = verify(engine)
    assert report.transactions == WRITERS * POSTS_EACH
    if db_url.startswith("sqlite"):  # PostgreSQL has no checkpoint file unless configured
        # Every write appended one whole line (init wrote two), none torn by another writer's.
        assert report.checkpoints_found
        lines = 2 + WRITERS * POSTS_EACH
        assert (report.anchors, report.unreadable) == (lines * len(CHAINS), ())


def test_the_same_posts_twice_at_once_are_stored_once(engine: Engine, db_url: str) -> None:
    _run_writers(db_url, ["same", "same"])
    assert _stored(engine) == POSTS_EACH
    assert verify(engine).transactions == POSTS_EACH
