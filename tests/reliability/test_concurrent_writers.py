"""Invariant 7 under load: many writers at once never lose, repeat or fork anything.

Eight writer processes (as eight administrators would be) each post 500 transactions through
`netfund.ledger.importer.post`, in calls of BATCH drafts, all released at the same moment once
every one has connected. Afterwards the ledger must hold exactly the 4,000 transactions, each
external id once, in one linear hash chain that `netfund verify` accepts, and the balance of
every account and fund must equal the sum of the posted amounts to the cent. Then two
`netfund import` processes load the same events file at the same time: it is stored once.

PostgreSQL is the engine for concurrent writers (docs/CONTRACT.md): the eight-writer case runs there
only; the same-file case runs on both backends (SQLite writers queue on ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.balance_sums import balances
from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.store.database import reading
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Engine, select

from tests.conftest import write_events
from tests.support.reliability import SLOW, run_cli, transaction_count

WRITERS = 8
POSTS_EACH = 500
BATCH = 25

#: Shared by the writer processes and the test, which recomputes the expected balances.
GENERATOR = """
import datetime
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint

DATE = datetime.date(2026, 5, 1)
FUNDS = ("NET", "GEM", "ZVK", "ZONMW")


def draft(writer, number):
    external_id = f"w{writer}-{number}"
    description = f"writer {writer}"
    fund = FUNDS[(writer + number) % len(FUNDS)]
    cents = 1 + (writer * 1_000_003 + number * 7_919) % 10_000_000
    if number % 3 == 0:
        lines = (
            Posting("Assets:Bank", fund, None, cents),
            Posting("Income:Interest", fund, None, -cents),
        )
    elif number % 3 == 1:
        lines = (
            Posting("Expenses:WG-A", fund, "WG-A", cents),
            Posting("Assets:Bank", fund, None, -cents),
        )
    else:
        half = cents // 2
        lines = (
            Posting("Expenses:WG-A", fund, "WG-A", half + 1),
            Posting("Expenses:PMO", fund, "PMO", cents - half),
            Posting("Assets:Bank", fund, None, -(cents + 1)),
        )
    fingerprint = lines_fingerprint(external_id, DATE, description, "", lines)
    return Draft(external_id, DATE, "journal", description, "", lines, fingerprint)
"""

WRITER_SCRIPT = (
    GENERATOR
    + """
import sys
from netfund.ledger.store.database import connect
from netfund.ledger.importer import post

url, writer, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
drafts = [draft(writer, number) for number in range(count)]
engine = connect(url)
with engine.connect():
    pass
print("ready", flush=True)
sys.stdin.readline()
for start in range(0, count, batch):
    post(engine, drafts[start : start + batch], source=f"writer {writer}")
engine.dispose()
"""
)


def _expected_drafts() -> list[Any]:
    namespace: dict[str, Any] = {}
    exec(GENERATOR, namespace)
    return [
        namespace["draft"](writer, number)
        for writer in range(WRITERS)
        for number in range(POSTS_EACH)
    ]


def _start_together(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command, wait until each says "ready", then release them all at once."""
    processes = [
        subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdin is not None
            if process.stdout.readline().strip() != "ready":
                process.wait(60)
                pytest.fail(f"a writer did not start: {process.stderr.read()}")  # type: ignore[union-attr]
        for process in processes:
            process.stdin.write("go\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
        results = []
        for process, command in zip(processes, commands, strict=True):
            stdout, stderr = process.communicate(timeout=600)
            results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@SLOW
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_eight_writers_at_once_keep_one_exact_linear_chain(engine: Engine, db_url: str) -> None:
    commands = [
        [sys.executable, "-c", WRITER_SCRIPT, db_url, str(w), str(POSTS_EACH), str(BATCH)]
        for w in range(WRITERS)
    ]
    for result in _start_together(commands):
        assert result.returncode == 0, result.stderr

    total = WRITERS * POSTS_EACH
    t = transactions_table.c
    with reading(engine) as connection:
        chain = connection.execute(
            select(t.id, t.external_id, t.prev_hash, t.hash).order_by(t.id)
        ).all()
        stored = {
            (line.account, line.fund): line.balance_cents
            for line in balances(connection, by=("account", "fund"))
        }
    drafts = _expected_drafts()
    assert len(chain) == total
    assert [row.id for row in chain] == list(range(1, total + 1))
    external_ids = [row.external_id for row in chain]
    assert len(set(external_ids)) == total
    assert set(external_ids) == {draft.external_id for draft in drafts}
    previous = GENESIS_HASH
    for row in chain:
        assert row.prev_hash == previous, f"the chain forks at transaction {row.id}"
        previous = row.hash
    verified = run_cli(db_url, "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["transactions"] == total

    expected: dict[tuple[str, str], int] = defaultdict(int)
    for draft in drafts:
        for posting in draft.postings:
            expected[(posting.account, posting.fund)] += posting.amount_cents
    assert stored == {key: cents for key, cents in expected.items() if cents}

    # The writers really ran at once: along the chain the writer changes many times.
    writers = [external_id.split("-")[0] for external_id in external_ids]
    switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
    print(f"\n{total} transactions from {WRITERS} writers; the writer changes {switches} times")
    assert switches >= 2 * WRITERS


def test_the_same_file_imported_twice_at_once_is_stored_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    rows = [
        "c-gem,2026-01-05,commitment,GEM,,900000.00,,",
        "c-zonmw,2026-01-05,commitment,ZONMW,,500000.00,,",
        "r-gem,2026-01-06,receipt,GEM,,900000.00,,",
        "r-zonmw,2026-01-06,receipt,ZONMW,,500000.00,,",
        "a-gem,2026-01-07,allocation,GEM,WG-A,300000.00,,",
        "a-zonmw,2026-01-07,allocation,ZONMW,WG-A,100000.00,,",
        "a-pmo,2026-01-07,allocation,ZONMW,PMO,10000.00,,",
    ]
    rows += [
        f"e{n},2026-{1 + n % 12:02d}-20,expense,,{'PMO' if n % 5 == 0 else 'WG-A'},"
        f"{1 + n % 97}.{n % 100:02d},Kosten {n},F-{n}"
        for n in range(1_500)
    ]
    path = write_events(tmp_path / "events.csv", rows)
    command = [sys.executable, "-c", _IMPORT_WHEN_RELEASED, db_url, str(path)]
    results = _start_together([command, command])
    reports = []
    for result in results:
        assert result.returncode == 0, result.stderr
        reports.append(json.loads(result.stdout))
    assert sorted((r["posted"], r["skipped"]) for r in reports) == [
        (0, len(rows)),
        (len(rows), 0),
    ]
    assert reports[0]["fingerprint"] == reports[1]["fingerprint"]
    assert transaction_count(db_url) == len(rows)
    verified = run_cli(db_url, "verify", "--json")
    assert verified.exit_code == 0, verified.output


#: `netfund import --json FILE`, run through the CLI's own entry point once released.
_IMPORT_WHEN_RELEASED = """
import sys
from netfund.cli.main import cli

url, path = sys.argv[1], sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()
cli(["--db", url, "import", "--json", path], prog_name="netfund")
"""
