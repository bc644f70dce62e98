"""A funder's overview on the portal (`funder_overview`) is its PDF statement's figures.

For every funder of the example year, on SQLite and PostgreSQL, the overview is compared
with the figures embedded in the statement `netfund statements` writes (read back with
pypdf). On PostgreSQL the overview is also read under a funder's own login, as a funder's
web session reads it (row-level security): its own figures are the same as the staff's, and
nothing of another funder's money is there to show.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import FieldError, connect, reading
from netfund.reports.portal import (
    FIGURES,
    FunderOverview,
    NotInPeriod,
    funder_overview,
    funder_period,
)
from sqlalchemy import create_engine

from tests.conftest import database_url
from tests.support.logins import as_login, dropped_afterwards, login_name
from tests.support.statements import FUNDERS, embedded, run_saniveld_year


@pytest.fixture
def saniveld(run_cli, db_url: str):  # type: ignore[no-untyped-def]
    run_saniveld_year(run_cli)
    engine = connect(db_url)
    yield engine
    engine.dispose()


def _overview_figures(overview: FunderOverview) -> dict[str, Any]:
    """The overview in the shape of the statement's embedded figures (the parts it shows)."""
    return {
        "summary": dataclasses.asdict(overview.summary),
        "groups": [
            {
                "group": line.code,
                "allocated_cents": line.allocated_cents,
                "spent_cents": line.spent_cents,
                "remaining_cents": line.remaining_cents,
            }
            for line in overview.groups
        ],
        "receipts": [_movement(m) for m in overview.receipts],
        "refunds": [_movement(m) for m in overview.refunds],
        "overhead": [
            {
                "key": check.key,
                "overhead_cents": check.overhead_cents,
                "total_cents": check.total_cents,
                "cap": None if check.cap is None else str(check.cap),
                "passes": check.passes,
            }
            for check in overview.overhead
        ],
        "schedule": {
            "instalments": [
                {"date": row.date.isoformat(), "cents": row.cents, "rest": row.instalment is None}
                for row in overview.due.rows
            ],
            "due_cents": overview.due.due_cents,
            "received_for_period_cents": overview.received_for_period_cents,
            "overdue_cents": overview.overdue_cents,
        },
    }


def _movement(movement: Any) -> dict[str, Any]:
    return {
        "transaction": movement.transaction,
        "date": movement.date.isoformat(),
        "reference": movement.reference,
        "amount_cents": movement.amount_cents,
    }


def _stated(document: dict[str, Any]) -> dict[str, Any]:
    """The statement's figures that the overview shows: the funder's own overhead checks."""
    figures = document["figures"]
    return {
        "summary": figures["summary"],
        "groups": figures["groups"],
        "receipts": figures["receipts"],
        "refunds": figures["refunds"],
        "overhead": [c for c in figures["overhead"] if c["key"].startswith("funder_")],
        "schedule": figures["schedule"],
    }


def test_every_funders_overview_is_its_statement(
    saniveld,  # type: ignore[no-untyped-def]
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    out = tmp_path / "statements"
    written = run_cli("statements", "--period", "2026", "--out", str(out), "--json")
    assert written.exit_code == 0, written.output
    files = {
        item["funder"]: Path(item["file"]) for item in json.loads(written.stdout)["statements"]
    }
    assert sorted(files) == sorted(FUNDERS)
    with reading(saniveld) as connection:
        for funder in FUNDERS:
            document = embedded(files[funder])
            overview = funder_overview(connection, funder, None, None, "nl")
            assert overview.period == document["period"] == "2026"
            assert overview.as_of.isoformat() == document["as_of"] == "2026-12-31"
            assert not overview.interim
            assert dataclasses.asdict(overview.fingerprint) == document["fingerprint"]
            assert _overview_figures(overview) == _stated(document), funder
            assert overview.figures() == {
                f"{name}_cents": document["figures"]["summary"][f"{name}_cents"] for name in FIGURES
            }
            assert overview.summary.spent_cents > 0 and len(overview.groups) > 1


def test_defaults_an_interim_view_and_refusals(saniveld) -> None:  # type: ignore[no-untyped-def]
    with reading(saniveld) as connection:
        whole = funder_overview(connection, "ZONMW")
        assert (whole.period, whole.as_of, whole.scope.periods) == (
            "2026",
            datetime.date(2026, 12, 31),
            ("2026",),
        )
        march = funder_overview(connection, "ZONMW", "2026", datetime.date(2026, 3, 31), "en")
        assert march.interim and march.as_of == datetime.date(2026, 3, 31)
        assert march.summary.spent_cents < whole.summary.spent_cents
        assert march.coverage.transactions < whole.coverage.transactions
        # A group without the funder's money shows zeros; a group not in the network refuses.
        spent_on = {line.code for line in whole.groups}
        other = next(code for code in whole.scope.groups if code not in spent_on)
        assert (whole.group(other).allocated_cents, whole.group(other).spent_cents) == (0, 0)
        with pytest.raises(NotInPeriod, match="group 'NOPE' is not in the network"):
            whole.group("NOPE")
        # An unknown funder is named alone: the message lists no other funder of the network.
        with pytest.raises(NotInPeriod) as refused:
            funder_overview(connection, "NOPE", "2026")
        assert str(refused.value) == "funder 'NOPE' is not in the network in period 2026"
        with pytest.raises(NotInPeriod):
            funder_period(connection, "NOPE", "2026")
        with pytest.raises(FieldError, match="period '26' is not a calendar year"):
            funder_overview(connection, "ZONMW", "26")
        assert funder_period(connection, "ZONMW").period == "2026"


def test_a_funders_login_sees_the_same_figures_of_its_own_money(
    run_cli_as_owner,  # type: ignore[no-untyped-def]
) -> None:
    owner_url, run = run_cli_as_owner
    assert run("roles", "install").exit_code == 0
    login = login_name("funder")
    with dropped_afterwards(owner_url, [login]):
        granted = run("roles", "grant", login, "--role", "funder", "--funder", "ZONMW")
        assert granted.exit_code == 0, granted.output
        staff = connect(owner_url)
        funder = create_engine(as_login(owner_url, login))
        try:
            with reading(staff) as connection:
                expected = funder_overview(connection, "ZONMW")
                others = {
                    code: funder_overview(connection, code).summary.committed_cents
                    for code in FUNDERS
                    if code != "ZONMW"
                }
            with reading(funder) as connection:
                seen = funder_overview(connection, "ZONMW")
                # Another funder's overview reads as no money at all: its rows are hidden.
                hidden = funder_overview(connection, "ZK-REGIO")
        finally:
            staff.dispose()
            funder.dispose()
    assert _overview_figures(seen) == _overview_figures(expected)
    assert seen.figures() == expected.figures()
    assert all(cents > 0 for cents in others.values())
    assert hidden.figures() == dict.fromkeys(hidden.figures(), 0)
    assert hidden.groups == () and hidden.receipts == ()
    # No part of the overview holds the network's totals or other funders' figures.
    names = {field.name for field in dataclasses.fields(FunderOverview)}
    assert not names & {"network", "funders"}
    assert [check.key for check in seen.overhead] == [
        "funder_of_allocation",
        "funder_of_spending",
    ]


@pytest.fixture
def run_cli_as_owner(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The example year on a PostgreSQL schema of its own, and the CLI as its owner."""
    for url in database_url("postgresql", tmp_path, prefix="portal"):

        def run(*args: str, url: str = url) -> Result:
            return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)

        run_saniveld_year(run)
        yield url, run
