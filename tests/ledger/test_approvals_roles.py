"""Four eyes with PostgreSQL's roles (issues 17, items 2 and 3): an administrator proposes,
an approver's login carries the proposal out, which it may only do as an approval.

PostgreSQL only: roles are the database's. The approver's login may insert transactions only
after a decision record in the same database transaction (`roles.py`); netfund's writing
path records that decision first and asks permission for "approve", not for the action.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli

from tests.conftest import EXAMPLE, database_url
from tests.support.logins import as_login, dropped_afterwards, login_name

APPROVALS = "\n[approvals]\nallocation_commit = true\nclose = true\n"


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def _ok(url: str, *args: str) -> Result:
    result = _run(url, *args)
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def owner_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url("postgresql", tmp_path, prefix="foureyes")


@pytest.fixture
def staff(owner_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The example network with four eyes and roles; each person's URL, by job."""
    network = tmp_path / "network.toml"
    network.write_text(EXAMPLE.joinpath("network.toml").read_text() + APPROVALS)
    _ok(owner_url, "init", str(network))
    _ok(owner_url, "roles", "install")
    jobs = {"administrator": "administrator", "approver": "approver", "controller": "controller"}
    logins = {job: login_name(job[:5]) for job in jobs}
    with dropped_afterwards(owner_url, list(logins.values())):
        for job, role in jobs.items():
            _ok(owner_url, "roles", "grant", logins[job], "--role", role)
        urls = {job: as_login(owner_url, login) for job, login in logins.items()}
        urls.update({f"login:{job}": login for job, login in logins.items()})
        _ok(urls["administrator"], "import", str(EXAMPLE / "events.csv"))
        _ok(urls["administrator"], "allocate", str(EXAMPLE / "plan.toml"))
        yield urls


def test_the_approver_carries_out_what_the_administrator_proposed(
    staff: dict[str, str], owner_url: str
) -> None:
    commit = ("allocate", "--commit", "latest", "--date", "2026-01-20")
    proposed = json.loads(_ok(staff["administrator"], *commit, "--json").stdout)
    assert (proposed["status"], proposed["by"]) == ("waiting", staff["login:administrator"])
    # The approver may not commit on its own: only as an approval.
    refused = _run(staff["approver"], *commit)
    assert refused.exit_code == 2 and "may not commit an allocation" in refused.output
    # The controller may not approve.
    refused = _run(staff["controller"], "approve", "1")
    assert refused.exit_code == 2 and "may not approve or reject a proposal" in refused.output
    approved = json.loads(_ok(staff["approver"], "approve", "1", "--json").stdout)
    assert approved["approved_by"] == staff["login:approver"]
    assert approved["proposed_by"] == staff["login:administrator"]
    _ok(owner_url, "verify")


def test_the_approver_closes_a_period_as_an_approval_and_may_reject(
    staff: dict[str, str], owner_url: str
) -> None:
    close = ("close", "2026", "--force", "--reason", "books complete")
    _ok(staff["administrator"], *close)
    rejected = json.loads(
        _ok(staff["approver"], "reject", "1", "--reason", "not yet", "--json").stdout
    )
    assert rejected["by"] == staff["login:approver"]
    _ok(staff["administrator"], *close)
    _ok(staff["approver"], "approve", "2")
    closed = _run(staff["administrator"], "close", "2026", "--force", "--reason", "again")
    assert closed.exit_code == 2 and "already closed" in closed.output
    _ok(owner_url, "verify")
