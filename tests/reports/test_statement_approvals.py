"""Who decided each allocation, on the statement (issue 17): proposed and approved (four
eyes), committed by one person where the network asks no second one, or committed before
identities were recorded. In both languages, embedded for verify-statement. The file is
what is tested here, on one SQLite ledger; the PostgreSQL read is in tests/cli/test_approvals.py.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import AllocationApproval, allocation_approvals, connect, reading
from netfund.reports.statement.data import read_period_inputs, statement_data
from netfund.reports.statement.embedded import statement_figures
from netfund.reports.statement.pdf import render_statement

from tests.conftest import EXAMPLE
from tests.support.statements import page_texts, run_saniveld_year

AS_OF = datetime.date(2026, 12, 31)


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example year, committed by one person (the network asks no second one)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('one-person') / 'ledger.db'}"
    run_saniveld_year(partial(_run, url))
    return url


def _words(data: object, tmp_path: Path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(render_statement(data))  # type: ignore[arg-type]
    return " ".join(" ".join(page_texts(path)).split())


def _data(url: str, language: str) -> object:
    engine = connect(url)
    try:
        with reading(engine) as connection:
            inputs = read_period_inputs(connection, "2026", AS_OF)
    finally:
        engine.dispose()
    return statement_data(inputs, "ZONMW", language, "test")


def test_one_person_committed_it_and_the_network_asked_no_more(ledger: str, tmp_path: Path) -> None:
    engine = connect(ledger)
    try:
        [commit] = allocation_approvals(engine, "2026")
    finally:
        engine.dispose()
    assert commit.external_id == "netfund:allocation-run:1" and commit.run == "1"
    assert commit.recorded and commit.approved_by is None
    english = _words(_data(ledger, "en"), tmp_path)
    assert "Allocation decisions" in english
    assert f"Allocation run 1 (transaction {commit.transaction}," in english
    assert f"committed by {commit.committed_by} on" in english
    assert "no second approval required by the network" in english
    dutch = _words(_data(ledger, "nl"), tmp_path)
    assert "Besluiten over toewijzingen" in dutch
    assert "het netwerk vraagt hiervoor geen tweede goedkeuring" in dutch
    figures = statement_figures(_data(ledger, "en"))  # type: ignore[arg-type]
    assert figures["approvals"][0]["committed_by"] == commit.committed_by
    assert figures["approvals"][0]["committed_on"] == str(commit.committed_at)[:10]
    assert figures["approvals"][0]["approved_by"] is None


def test_a_commit_from_before_identities_says_so(ledger: str, tmp_path: Path) -> None:
    data = _data(ledger, "en")
    [commit] = data.approvals  # type: ignore[attr-defined]
    before = AllocationApproval(
        transaction=commit.transaction,
        external_id=commit.external_id,
        date=commit.date,
        run=None,
        committed_by=None,
        committed_at=None,
    )
    words = _words(replace(data, approvals=(before,)), tmp_path)  # type: ignore[type-var]
    assert "committed before identities were recorded" in words
    assert "netfund:allocation-run:1" in words


def test_a_statement_without_allocations_has_no_such_section(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for args in (("init", str(EXAMPLE / "network.toml")), ("import", str(EXAMPLE / "events.csv"))):
        assert _run(url, *args).exit_code == 0
    data = _data(url, "en")
    assert data.approvals == ()  # type: ignore[attr-defined]
    assert "Allocation decisions" not in _words(data, tmp_path)
