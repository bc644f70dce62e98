"""Helpers shared by the reliability tests (issue 8); this module holds no tests itself.

- `SLOW` marks the slowest cases. They still run by default; `-m "not slow"` leaves them out.
  The marker is registered here (pyproject.toml has no `markers` list yet), so pytest does
  not warn about an unknown mark.
- `run_cli` runs a `netfund` command in-process and disposes of the engine it opened.
- `transaction_count`, `with_query` and `drop_guards` work on either database.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Engine, func, select, text

from tests.conftest import ROOT

SLOW = pytest.mark.slow  # registered in pyproject.toml
#: An allocation plan for the test network (tests/conftest.py): up to EUR 50 for WG-B in 2026.
PLAN = """\
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-B"
min = "0.00"
max = "50.00"
weight = 1
"""

_RUNNER = CliRunner()


def run_cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """`netfund --db URL ARGS...` in-process; exceptions are caught so no test hangs on one."""
    obj: dict[str, Any] = {}
    try:
        return _RUNNER.invoke(cli, ["--db", db_url, *args], obj=obj, env=env)
    finally:
        if "engine" in obj:
            obj["engine"].dispose()


def transaction_count(db_url: str) -> int:
    engine = connect(db_url)
    try:
        with reading(engine) as connection:
            return connection.execute(
                select(func.count()).select_from(transactions_table)
            ).scalar_one()
    finally:
        engine.dispose()


def with_query(url: str, **params: str) -> str:
    """``url`` with query parameters added (PostgreSQL URLs already carry one)."""
    return url + ("&" if "?" in url else "?") + urlencode(params)


def drop_guards(engine: Engine) -> None:
    """Drop every trigger of the ledger (append-only, closed periods, balanced transactions):
    what an attacker with write access to the database can do. Found in the catalogue, so
    new triggers go too (PostgreSQL's deferred constraint trigger of migration 0006 as well)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            rows = connection.execute(
                text(
                    "SELECT t.tgname, c.relname FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
            ).all()
            for name, table in rows:
                connection.execute(text(f'DROP TRIGGER "{name}" ON "{table}"'))
        else:
            names = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            for name in list(names):
                connection.execute(text(f'DROP TRIGGER "{name}"'))


def benchmark_module() -> ModuleType:
    """benchmarks/import_speed.py (its `write_network` and `write_events`), loaded by path."""
    path = ROOT / "benchmarks" / "import_speed.py"
    spec = importlib.util.spec_from_file_location("netfund_bench_import_speed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ledger_state(db_url: str) -> tuple[int, str, str]:
    """What a refused command must leave as it was: the chain (transactions and fingerprint,
    as `verify` recomputes them) and the stored allocation runs."""
    verified = run_cli(db_url, "verify", "--json")
    assert verified.exit_code == 0, verified.output
    runs = run_cli(db_url, "allocations", "list", "--json")
    assert runs.exit_code == 0, runs.output
    report = json.loads(verified.stdout)
    return report["transactions"], report["fingerprint"], runs.stdout


def assert_refused(db_url: str, *args: str, reason: str) -> None:
    """`netfund ARGS` exits 2 with ``reason``, no traceback, and the ledger as it was."""
    before = ledger_state(db_url)
    result = run_cli(db_url, *args)
    assert result.exit_code == 2, (args, result.output)
    assert reason in result.output, (args, result.output)
    assert "Traceback" not in result.output
    assert ledger_state(db_url) == before, args


def write_text(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path
