"""Shared fixtures and helpers of the export tests (issue 5); this module holds no tests.

Building the Saniveld ledger (init, import a year of events, allocate, commit) takes seconds,
so the export tests build it once per module and database: `saniveld_url` is the module-scoped
twin of conftest's `db_url` (a SQLite file, or a PostgreSQL schema of its own), and every test
reads it through the CLI. Exports only append to the exports log, never to the ledger, so the
tests cannot disturb each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli

from tests.conftest import ROOT, database_url
from tests.support.saniveld import year_steps

#: The official XAF schemas, kept beside the project (see ../shared/schemas/README.md).
SCHEMAS = ROOT.parent / "shared" / "schemas"
TEXT_COLUMNS = (
    "external_id",
    "period",
    "type",
    "description",
    "reference",
    "account",
    "fund",
    "group",
    "txn_hash",
)
HOSTILE_EVENTS = """\
id,date,type,funder,group,amount,description,reference
=1+2,2026-01-02,commitment,GEM,,1000.00,"=HYPERLINK(""http://x"",""y"")",@SUM(A1)
+31-6,2026-01-03,receipt,GEM,,400.00,+cmd|' /C calc'!A0,-2+3
@x,2026-01-04,allocation,GEM,WG-A,300.00,-1+1,=1
"""


def invoke(url: str, *args: str) -> Result:
    """Run the CLI on the database at ``url``."""
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def cents(text_amount: str) -> int:
    """``"-1234.50"`` → ``-123450``, exactly (tests compare money as integer cents)."""
    whole, _, fraction = text_amount.strip().partition(".")
    assert len(fraction) == 2, text_amount
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(fraction))


def ledger_balances(url: str, *extra: str) -> dict[tuple[str, str], int]:
    """`netfund balance --json` by account and fund, as cents."""
    lines = as_json(invoke(url, "balance", "--json", *extra))
    return {(line["account"], line["fund"]): cents(line["balance"]) for line in lines}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def saniveld_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The Saniveld example's year (allocated and committed, the spending and the bank
    statement imported) on SQLite or PostgreSQL (per module)."""
    folder = tmp_path_factory.mktemp(f"saniveld-{request.param}")
    for url in database_url(request.param, folder, prefix="x"):
        for args in year_steps(commit_date=None):
            ok(invoke(url, *args))
        yield url


def require_schemas() -> Path:
    if not SCHEMAS.is_dir():
        pytest.skip(f"the XAF schemas are not at {SCHEMAS} (a clone outside the team's setup)")
    return SCHEMAS


def hledger_binary() -> str:
    """The hledger executable; skipped without it, except under CI=true where it must exist."""
    found = shutil.which("hledger")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hledger is required in CI (apt-get install hledger) and not installed")
        pytest.skip("hledger is not installed (apt-get install hledger)")
    return found


def build_two_periods(url: str, folder: Path) -> None:
    """The test network with a closed 2025 (carry-over and return) and an open 2026."""
    from tests.conftest import NETWORK_TOML, write_events

    network = folder / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    ok(invoke(url, "init", str(network)))
    write_events(
        folder / "2025.csv",
        [
            "c1,2025-01-02,commitment,GEM,,1000.00,Toezegging 2025,B-2025",
            "c2,2025-01-02,commitment,ZVK,,600.00,Zvw 2025,",
            "r1,2025-01-03,receipt,GEM,,800.00,Voorschot,",
            "r2,2025-01-03,receipt,ZVK,,600.00,Zvw,",
            "a1,2025-01-04,allocation,GEM,WG-A,500.00,Budget,",
            "a2,2025-01-04,allocation,ZVK,WG-A,300.00,Budget,",
            "e1,2025-03-01,expense,,WG-A,120.25,Kosten,F-1",
            "e2,2025-06-01,expense,,WG-A,99.99,Kosten,F-2",
        ],
    )
    ok(invoke(url, "import", str(folder / "2025.csv")))
    ok(invoke(url, "close", "2025"))
    write_events(
        folder / "2026.csv",
        [
            "c3,2026-01-05,commitment,ZVK,,300.00,Zvw 2026,",
            "r3,2026-01-06,receipt,ZVK,,300.00,Zvw 2026,",
            "a3,2026-01-07,allocation,GEM,WG-B,100.00,Budget 2026,",
            "e3,2026-02-01,expense,GEM,WG-B,40.00,Uitgave,",
            "f1,2026-03-01,refund,ZVK,,200.00,Terugbetaling,",
        ],
    )
    ok(invoke(url, "import", str(folder / "2026.csv")))
