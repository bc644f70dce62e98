"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at 127.0.0.1:5432 (user postgres, database test) or at
NETFUND_TEST_PG; each test gets its own schema, dropped afterwards. Without a reachable
server the PostgreSQL half is skipped, except under CI=true, where it fails: CI must prove
both engines.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from netfund.cli.main import cli
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.access import funder_roles, group_roles
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "saniveld"
PG_BASE_URL = os.environ.get("NETFUND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

NETWORK_TOML = """\
[network]
name = "Testnetwerk"
currency = "EUR"
language = "en"
population = 1000
overhead_cap = 0.15

[[funders]]
code = "GEM"
name = "Gemeente"
kind = "municipality"
framework = "Wmo"
unspent = "carry_over"

[[funders]]
code = "ZVK"
name = "Zorgverzekeraar"
kind = "insurer"
framework = "Zvw"
unspent = "return"

[[funders]]
code = "ZONMW"
name = "ZonMw"
kind = "subsidy_body"
framework = "subsidy"
overhead_cap = 0.10
eligible_groups = ["WG-A", "PMO"]
unspent = "return"

[[groups]]
code = "CL-1"
name = "Cluster 1"

[[groups]]
code = "WG-A"
name = "Werkgroep A"
parent = "CL-1"

[[groups]]
code = "WG-B"
name = "Werkgroep B"
parent = "CL-1"

[[groups]]
code = "PMO"
name = "Programmabureau"
overhead = true
"""

EVENTS_HEADER = "id,date,type,funder,group,amount,description,reference\n"

# In CI the property tests replay a fixed sequence of examples, so a submission's result does
# not depend on the draw; locally they keep exploring (and keep what they find in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_BASE_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure to connect means: no server here
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"


_PG_UNAVAILABLE = _postgres_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    yield from database_url(request.param, tmp_path)


def database_url(kind: str, folder: Path, prefix: str = "t") -> Iterator[str]:
    """Yield the URL of an empty ``kind`` database (a file in ``folder``, or a PostgreSQL
    schema named ``prefix_...``) and drop it afterwards; skip or fail without PostgreSQL."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'ledger.db'}"
        return
    if _PG_UNAVAILABLE is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and not reachable: {_PG_UNAVAILABLE}")
        pytest.skip(f"PostgreSQL not reachable: {_PG_UNAVAILABLE}")
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(PG_BASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            # The group roles `netfund roles install` made for this ledger and each funder's
            # own role (server-wide, named after its schema) go with it.
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            groups = funder_roles(connection) + list(group_roles(connection).values())
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            for role in groups:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


@pytest.fixture
def network_file(tmp_path: Path) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(NETWORK_TOML, encoding="utf-8")
    return path


@pytest.fixture
def engine(db_url: str, network_file: Path) -> Iterator[Engine]:
    """An initialised ledger holding the test network."""
    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    yield engine
    engine.dispose()


def write_events(path: Path, rows: list[str]) -> Path:
    """Write an events.csv with the standard header and the given data rows."""
    path.write_text(EVENTS_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def run_cli(db_url: str):  # type: ignore[no-untyped-def]
    """Invoke the CLI against the test database: run_cli("balance", "--json")."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--db", db_url, *args], catch_exceptions=False)

    return invoke
