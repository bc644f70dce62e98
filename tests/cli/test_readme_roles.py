"""The README's walk-through of people and roles runs as written on the real server (issue 17).

The block creates a database and five logins, which belong to the whole server: the test runs
it with a database and login names of its own (the same words, made unique) and drops them
afterwards. Everything else runs exactly as the README says.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from netfund.ledger import ROLES
from sqlalchemy import create_engine, text

from tests.conftest import EXAMPLE, PG_BASE_URL, ROOT, database_url
from tests.support.shell import shell

LOGINS = ("anna", "bram", "carla", "gem", "zonmw")


def walkthrough_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## People and roles")[1].split("\n## ")[0]
    (block,) = [b for b in re.findall(r"```sh\n(.*?)\n```", section, re.S) if "roles install" in b]
    return block


def test_the_walkthrough_names_every_step_of_the_issue() -> None:
    block = walkthrough_block()
    for step in (
        "roles install",
        "--role administrator",
        "--role approver",
        "--role controller",
        "--funder GEM-SANIVELD-WMO",
        "--funder ZONMW",
        "allocate --commit",
        "approve 1",
        "carla@127.0.0.1:5432/netfund_walk import",
        " log",
    ):
        assert step in block, step


@pytest.mark.skipif(
    not Path(sys.prefix, "bin", "netfund").exists(), reason="netfund is not installed here"
)
def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    # Skips without a server, fails without one under CI=true, like every database test.
    for _ in database_url("postgresql", tmp_path):
        pass
    tag = uuid.uuid4().hex[:8]
    database = f"netfund_walk_{tag}"
    names = {login: f"{login}_{tag}" for login in LOGINS}
    script = walkthrough_block().replace("netfund_walk", database)
    for login, unique in names.items():
        script = re.sub(rf"\b{login}\b(?=@| --role)", unique, script)
    (tmp_path / "examples").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "saniveld")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    env["PATH"] = f"{Path(sys.prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin"
    admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    try:
        completed = shell("set -e\n" + script, tmp_path, env)
        assert completed.returncode == 0, (completed.stdout, completed.stderr)
        assert "proposal 1 recorded" in completed.stdout
        assert "refused: exit 2" in completed.stdout
        assert f"role controller may not import (login {names['carla']})" in completed.stderr

        def as_person(login: str, *words: str) -> object:
            url = f"postgresql://{names[login]}@127.0.0.1:5432/{database}"
            done = shell(f"netfund --db {url} {' '.join(words)} --json", tmp_path, env)
            assert done.returncode == 0, (words, done.stdout, done.stderr)
            return json.loads(done.stdout)

        # Each funder's balance holds its own fund only.
        for login, fund in (("gem", "GEM-SANIVELD-WMO"), ("zonmw", "ZONMW")):
            balances = as_person(login, "balance")
            assert {row["fund"] for row in balances} == {fund}, (login, balances)
        # The log names everyone who did something: the owner set up, Anna imported, solved
        # and proposed, Bram approved and so posted the allocation; Carla's refused import
        # wrote nothing, so it is not there.
        trail = as_person("carla", "log")
        done = {(entry["actor"], entry["event"]) for entry in trail}
        assert {
            (names["anna"], "import"),
            (names["anna"], "allocation run"),
            (names["anna"], "proposal"),
            (names["bram"], "approval"),
            (names["bram"], "allocation commit"),
        } <= done, done
        assert not any(entry["actor"] == names["carla"] for entry in trail)
        assert {entry["event"] for entry in trail if entry["actor"] == "postgres"} >= {
            "network change",
            "grant",
        }
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            groups = [f"{database}_{job}" for job in ROLES]  # the ledger's, in its own database
            # and each funder's own role (issue 18): <ledger>_funder_<code>
            own = list(
                connection.execute(
                    text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :prefix)"),
                    {"prefix": f"{database}_funder_"},
                ).scalars()
            )
            for unique in [*names.values(), *own, *groups]:
                connection.execute(text(f'DROP ROLE IF EXISTS "{unique}"'))
        admin.dispose()


def test_the_four_eyes_example_is_the_example_network_with_approvals() -> None:
    network = (EXAMPLE / "network.toml").read_text(encoding="utf-8")
    four_eyes = (EXAMPLE / "four-eyes.toml").read_text(encoding="utf-8")
    assert four_eyes.startswith(network)
    assert "\n[approvals]\nallocation_commit = true\n" in four_eyes[len(network) :]
