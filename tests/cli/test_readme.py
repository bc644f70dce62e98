"""The README's year by hand runs as written after the quick start (issue 16).

The quick start installs netfund in ``.venv-run``, which is not on the PATH; the by-hand block
says how to put it there and then runs as it stands. Here ``.venv-run`` is the test's own
environment (a link to it), in a folder laid out like the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT
from tests.support.shell import shell


def by_hand_block() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start")[1].split("\n## ")[0]
    (block,) = [
        block
        for block in re.findall(r"```sh\n(.*?)\n```", quick_start, re.S)
        if "netfund init" in block
    ]
    return block.splitlines()


def test_no_document_the_readme_points_to_is_missing() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (ROOT / target).exists(), target
    for name in re.findall(r"\b[A-Z][A-Z_]+\.md\b", readme):
        assert list(ROOT.glob(f"**/{name}")), name


@pytest.mark.skipif(
    not Path(sys.prefix, "bin", "activate").exists(), reason="not running in a venv"
)
def test_the_year_by_hand_runs_as_written_after_the_quick_start(tmp_path: Path) -> None:
    lines = by_hand_block()
    assert lines[0].startswith(". .venv-run/bin/activate")
    # The year ends in its close, which must run on any date: before 31 December only
    # with --force and the reason (the suite runs before and after 2026 has ended).
    assert re.match(r'netfund close 2026 --force --reason "[^"]+" ', lines[-1])
    (tmp_path / "examples").mkdir()
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "saniveld")
    (tmp_path / ".venv-run").symlink_to(sys.prefix, target_is_directory=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # a new shell: no netfund on it

    assert shell("command -v netfund", tmp_path, env).returncode != 0
    completed = shell("set -e\n" + "\n".join(lines), tmp_path, env)
    assert completed.returncode == 0, (completed.stdout, completed.stderr)
    assert (tmp_path / "auditfile-2026.xaf").is_file()
    assert len(list((tmp_path / "statements").glob("2026-*.pdf"))) == 6
    assert "recorded: closed by " in completed.stdout and ": books complete" in completed.stdout
    again = shell(f"{lines[0]}\nnetfund close 2026", tmp_path, env)
    assert again.returncode == 2 and "period 2026 is already closed" in again.stderr
