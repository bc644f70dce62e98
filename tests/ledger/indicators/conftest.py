"""A ledger of the test network with its indicators declared, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.ledger import connect, initialize, load_network
from sqlalchemy import Engine

from tests.conftest import NETWORK_TOML
from tests.support.indicators import INDICATORS_TOML


@pytest.fixture
def indicators_network(tmp_path: Path) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
    return path


@pytest.fixture
def indicator_engine(db_url: str, indicators_network: Path) -> Iterator[Engine]:
    engine = connect(db_url)
    initialize(engine, load_network(indicators_network))
    yield engine
    engine.dispose()
