"""The real portal server for the tests that drive it from outside: `netfund serve` as a child
process on a free 127.0.0.1 port, its output kept in a file the test can read afterwards.

A child process rather than uvicorn in a thread: the test then sees exactly what a user's
browser sees (the CLI's options, uvicorn's proxy and header settings), and what the server
writes to its terminal can be searched for secrets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

READY_SECONDS = 60.0


@dataclass(frozen=True)
class Server:
    """A running `netfund serve`: its base URL and the file its output goes to."""

    base: str
    output: Path


def free_port() -> int:
    """A TCP port nothing listens on at the moment of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def netfund_program() -> Path:
    """The `netfund` script of the interpreter running the tests."""
    return Path(sys.executable).with_name("netfund")


@contextmanager
def serving(db: str, output: Path, *extra: str) -> Iterator[Server]:
    """`netfund --db DB serve --port P *extra` until the block ends (then terminated)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(netfund_program()), "--db", db, "serve", "--port", str(port), *extra],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NETFUND_DB": "", "NO_COLOR": "1"},
        )
        try:
            _wait_ready(process, f"{base}/login", output)
            yield Server(base, output)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, output: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"netfund serve ended with exit {process.returncode}: "
                + output.read_text(encoding="utf-8", errors="replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"netfund serve did not answer {url} in {READY_SECONDS:.0f} s")
        time.sleep(0.2)
