"""The README's JSON API recipe runs as written against `netfund serve` on the demo: a script
signs in with curl (password piped in) and reads a funder's summary, equal to its statement."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from netfund.cli.commands.demo import DEMO_PASSWORD
from netfund.cli.main import cli

from tests.conftest import ROOT
from tests.support.portal_server import serving
from tests.support.statements import embedded


def recipe() -> str:
    """The sh block of the README's JSON API section that signs in with curl."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### The JSON API")[1]
    (block,) = [b for b in re.findall(r"```sh\n(.*?)\n```", section, re.S) if "curl" in b]
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_recipe_signs_in_and_reads_the_summary(tmp_path: Path) -> None:
    folder = tmp_path / "netfund-demo"
    made = CliRunner().invoke(cli, ["demo", str(folder), "--json"])
    assert made.exit_code == 0, made.output
    with serving(f"sqlite:///{folder / 'netfund.db'}", tmp_path / "serve.log") as server:
        script = recipe().replace("http://127.0.0.1:8000", server.base)
        env = {**os.environ, "NETFUND_PASSWORD": DEMO_PASSWORD}
        ran = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        status, document = ran.stdout.split("\n", 1)
        assert status == "303", ran.stdout
        summary = json.loads(document)
        stated = embedded(folder / "statements" / "2026-ZONMW.nl.pdf")
        assert summary["figures"] == {
            key: value
            for key, value in stated["figures"]["summary"].items()
            if key in summary["figures"]
        }
        assert len(summary["figures"]) == 7 and summary["fingerprint"] == stated["fingerprint"]
        # A wrong password: 401, and no summary with the cookie that got.
        env["NETFUND_PASSWORD"] = "not-the-demo-password"
        wrong = subprocess.run(
            ["bash", "-c", script.replace("cookies.txt", "other.txt")], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert wrong.stdout.split("\n", 1)[0] == "401"
        assert json.loads(wrong.stdout.split("\n", 1)[1]) == {"error": "sign in first"}
    assert DEMO_PASSWORD not in (tmp_path / "serve.log").read_text(encoding="utf-8")
