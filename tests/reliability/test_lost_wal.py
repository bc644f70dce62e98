"""A reported import lost with SQLite's `-wal` file is reported by verify (issue 15, item 5).

SQLite in WAL mode commits into `ledger.db-wal`; the frames reach the main file at a
checkpoint, which the last connection to close runs. While another process holds a read
transaction open, the writer's close is not the last one, so the WAL stays. If that reader is
then killed (nothing closes it) and someone deletes the `-wal` file (a cleanup script, a copy
that takes only `ledger.db`), the import is gone, and the database is consistent without it:
`verify` passed. The checkpoint file, appended to after the import committed, still names
the import's last transaction, so `verify` now exits 4.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import run_cli, write_text
from tests.support.tamper import EVENTS_2026, EVENTS_2027

#: The chain's end before the import that is lost, and after it.
KEPT = len(EVENTS_2026.splitlines())
LOST = KEPT + len(EVENTS_2027.splitlines())

_READER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN")
connection.execute("SELECT count(*) FROM transactions").fetchall()
print("reading", flush=True)
time.sleep(120)
"""


def test_an_import_lost_with_the_wal_is_reported(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    for args in (
        ("init", str(write_text(tmp_path / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(tmp_path / "e2026.csv", EVENTS_HEADER + EVENTS_2026))),
    ):
        assert run_cli(url, *args).exit_code == 0
    assert not Path(f"{database}-wal").exists()  # the last close checkpointed everything

    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        late = write_text(tmp_path / "e2027.csv", EVENTS_HEADER + EVENTS_2027)
        imported = run_cli(url, "import", "--json", str(late))
        assert imported.exit_code == 0, imported.output
        assert json.loads(imported.stdout)["head"] == LOST
        assert Path(f"{database}-wal").stat().st_size > 0  # the import is only in the WAL
    finally:
        os.kill(reader.pid, signal.SIGKILL)
        reader.wait()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink()

    result = run_cli(url, "verify")
    assert result.exit_code == 4, result.output
    assert f"the ledger ends at transaction {KEPT}" in result.output, result.output
    assert f"transaction {LOST}" in result.output, result.output
