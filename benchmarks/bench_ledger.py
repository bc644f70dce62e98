"""pytest-benchmark timings of the ledger on a generated network year; on demand only.

    .venv/bin/python -m pytest benchmarks/bench_ledger.py --benchmark-enable

(pyproject adds ``--benchmark-disable`` to every run and collects only ``tests/`` by
default, so these run only when named, and without ``--benchmark-enable`` each runs once as a
smoke test.) The data is `generate.py`'s: 2,000 unattributed expenses of six postings each
(2,145 events, 12,290 postings), in process through the Python API, on a fresh SQLite file
per import. The command-level comparison with Beancount, hledger and ledger-cli is
`compare.py`.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.balance_sums import balances
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import generate

EXPENSES = 2_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench-ledger")
    generate.generate(folder, EXPENSES)
    return folder


@pytest.fixture(scope="module")
def stored(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One ledger holding the generated year, for the read-only benchmarks."""
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('stored') / 'ledger.db'}")
    initialize(engine, load_network(data / "network.toml"))
    import_events(engine, data / "events.csv")
    yield engine
    engine.dispose()


def test_import_2k_expenses(benchmark: Any, data: Path, tmp_path: Path) -> None:
    network = load_network(data / "network.toml")
    counter = itertools.count()
    engines: list[Engine] = []

    def fresh_ledger() -> tuple[tuple[Engine], dict[str, Any]]:
        engine = connect(f"sqlite:///{tmp_path / f'ledger-{next(counter)}.db'}")
        initialize(engine, network)
        engines.append(engine)
        return (engine,), {}

    def run(engine: Engine) -> int:
        return import_events(engine, data / "events.csv").posted

    posted = benchmark.pedantic(run, setup=fresh_ledger, rounds=3, iterations=1)
    for engine in engines:
        engine.dispose()
    assert posted == EXPENSES + 145


def test_balance_by_account_and_fund(benchmark: Any, stored: Engine) -> None:
    def run() -> int:
        with stored.connect() as connection:
            return len(balances(connection, by=("account", "fund")))

    assert benchmark(run) > 0


def test_verify(benchmark: Any, stored: Engine) -> None:
    report = benchmark(verify, stored)
    assert report.postings == 6 * EXPENSES + 2 * 145
