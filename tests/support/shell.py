"""Running a line as a user types it: bash, in a folder, with an environment of the test's."""

from __future__ import annotations

import subprocess
from pathlib import Path


def shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``script`` run by bash in ``cwd``; its output captured as text."""
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
