"""The database's environment (issue 15): file permissions, damaged and read-only files, lost
connections and bounded lock waits. Each test performs the attack or the accident; each
failed on the code before the fix (see /work/notes/environment.md for what happened then).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import Result
from netfund.ledger.model.errors import ConnectionLost, DatabaseDamaged, LedgerError
from netfund.ledger.store.database import connect, reading, writing
from netfund.ledger.store.database_errors import database_error
from sqlalchemy import text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML, PG_BASE_URL, database_url
from tests.support.reliability import PLAN, run_cli, transaction_count, with_query, write_text

EVENTS = EVENTS_HEADER + (
    "c1,2026-01-10,commitment,GEM,,1000.00,toezegging,\n"
    "r1,2026-02-01,receipt,GEM,,1000.00,ontvangst,\n"
    "a1,2026-02-02,allocation,GEM,WG-A,400.00,budget,\n"
    "e1,2026-03-01,expense,GEM,WG-A,120.00,uitgave,\n"
)
MORE = EVENTS_HEADER + "e2,2026-03-02,expense,GEM,WG-A,10.00,later,\n"


def _ledger(db_url: str, folder: Path) -> None:
    network = write_text(folder / "network.toml", NETWORK_TOML)
    assert run_cli(db_url, "init", str(network)).exit_code == 0
    result = run_cli(db_url, "import", str(write_text(folder / "events.csv", EVENTS)))
    assert result.exit_code == 0, result.output


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


# -- files created private ---------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True, ids=["umask022", "umask000"])
def test_every_file_netfund_creates_is_owner_only(umask: int, tmp_path: Path) -> None:
    """Before: the database 0644 (0666 under umask 000), its -wal and -shm alike, exports,
    statements and allocation CSVs too: every user of the machine could read the ledger."""
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    _ledger(url, tmp_path)
    assert _mode(database) == 0o600
    # SQLite gives the -wal and -shm the database file's mode: look while a writer has them.
    connection = sqlite3.connect(database)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("CREATE TEMP TABLE t (x)")
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()
        assert (_mode(wal), _mode(shm)) == (0o600, 0o600)
        connection.rollback()
    finally:
        connection.close()
    outputs = {
        "journal.csv": ("export", "journal", "--format", "csv", "--out"),
        "ledger.beancount": ("export", "beancount", "--out"),
    }
    for name, command in outputs.items():
        result = run_cli(url, *command, str(tmp_path / name))
        assert result.exit_code == 0, result.output
    plan = write_text(tmp_path / "plan.toml", PLAN)
    result = run_cli(url, "allocate", str(plan), "--out", str(tmp_path / "allocation.csv"))
    assert result.exit_code == 0, result.output
    statements = tmp_path / "statements"
    result = run_cli(url, "statements", "--period", "2026", "--out", str(statements))
    assert result.exit_code == 0, result.output
    written = [tmp_path / name for name in outputs] + [tmp_path / "allocation.csv"]
    written += sorted(statements.glob("*.pdf"))
    assert len(written) > 3
    assert {path.name: _mode(path) for path in written} == {path.name: 0o600 for path in written}


# -- a damaged database ------------------------------------------------------------------


def _damage(database: Path, table: str | None) -> None:
    """Overwrite the file's header (``table`` None) or the root page of ``table``."""
    connection = sqlite3.connect(database)
    (page_size,) = connection.execute("PRAGMA page_size").fetchone()
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = ?", (table or "transactions",)
    ).fetchone()[0]
    connection.close()
    assert not Path(f"{database}-wal").exists()
    with database.open("r+b") as handle:
        if table is None:
            handle.write(b"not a database!!")
        else:
            handle.seek(page_size * (root - 1))
            handle.write(b"\xff" * page_size)


#: What each command reads: balance only the totals, the journal export its postings through
#: the columnar reader (a driver error that never passes through SQLAlchemy).
DAMAGE = {
    "header": (None, ["verify", "status", "import", "export", "balance"]),
    "transactions page": ("transactions", ["verify", "status", "import", "export"]),
    "postings page": ("postings", ["verify", "export"]),
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_database_stops_every_command_that_reads_it_with_exit_4(
    tmp_path: Path, how: str
) -> None:
    """Before: "unexpected error ... please report" (exit 1) and a SQLAlchemy message."""
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    _ledger(url, tmp_path)
    table, names = DAMAGE[how]
    _damage(database, table)
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    commands = {
        "verify": ("verify",),
        "status": ("status", "--period", "2026"),
        "import": ("import", str(write_text(tmp_path / "more.csv", MORE))),
        "export": ("export", "journal", "--format", "csv", "--out", str(tmp_path / "j.csv")),
        "balance": ("balance",),
    }
    for name in names:
        result = run_cli(url, *commands[name])
        assert result.exit_code == 4, (name, result.output)
        assert "is damaged" in result.output and "Restore the newest backup" in result.output
        assert "unexpected" not in result.output and "Traceback" not in result.output
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert not (tmp_path / "j.csv").exists()


def test_postgresql_reports_of_damage_are_exit_4_too() -> None:
    """PostgreSQL names damage by SQLSTATE (XX001 data, XX002 index corrupted)."""
    for error in (psycopg.errors.DataCorrupted("bad block"), psycopg.errors.IndexCorrupted("x")):
        translated = database_error(error, "the test database")
        assert isinstance(translated, DatabaseDamaged) and translated.exit_code == 4


# -- a read-only medium ------------------------------------------------------------------


def _run_as_other_user(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`netfund ARGS` in a child process that cannot write ``folder``: as root (who may write
    anything) the child runs as nobody; otherwise permissions alone keep it out."""
    command = [sys.executable, "-m", "netfund.cli", *args]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot act as a user without rights")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(folder)}
    return subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture
def medium() -> Iterator[Path]:
    """A folder others may enter, made read-only after the test has put a ledger in it."""
    folder = Path(tempfile.mkdtemp(prefix="netfund-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _read_only_copy(tmp_path: Path, medium: Path, *extra: str) -> Path:
    source = tmp_path / "ledger.db"
    _ledger(f"sqlite:///{source}", tmp_path)
    copy = medium / "ledger.db"
    shutil.copyfile(source, copy)
    write_text(medium / "more.csv", MORE)
    for suffix in extra:
        Path(f"{copy}{suffix}").write_bytes(b"\0" * 4096)
    for path in medium.iterdir():
        path.chmod(0o444)
    medium.chmod(0o555)
    return copy


def test_a_ledger_on_a_read_only_medium_can_be_read_but_not_written(
    tmp_path: Path, medium: Path
) -> None:
    """Before: verify, balance and status failed with "attempt to write a readonly database"
    (exit 2), and so did the import, with the same words."""
    copy = _read_only_copy(tmp_path, medium)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    for command in (("verify",), ("balance",), ("status", "--period", "2026")):
        result = _run_as_other_user(medium, "--db", str(copy), *command)
        assert result.returncode == 0, (command, result.stderr)
    result = _run_as_other_user(medium, "--db", str(copy), "verify")
    assert "ledger verified: 4 transactions" in result.stdout
    result = _run_as_other_user(medium, "--db", str(copy), "import", "more.csv")
    assert result.returncode == 2, result.stderr
    assert "is read-only here" in result.stderr and "Traceback" not in result.stderr
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in medium.iterdir()) == ["ledger.db", "more.csv"]


def test_a_read_only_copy_whose_wal_cannot_be_read_is_refused_not_shown_old(
    tmp_path: Path, medium: Path
) -> None:
    """A -wal without its -shm holds commits an immutable open would skip: showing the older
    ledger without a word would be worse than refusing."""
    copy = _read_only_copy(tmp_path, medium, "-wal")
    result = _run_as_other_user(medium, "--db", str(copy), "balance")
    assert result.returncode == 2, result.stderr
    assert "ledger.db-wal" in result.stderr and "writable folder" in result.stderr


# -- bounded lock waits ------------------------------------------------------------------

#: How long the tests let netfund wait, and how long the lock holder holds at most: a
#: netfund that waited without bound would get the lock and succeed, failing the test.
WAIT_SECONDS = "1"
HOLD_SECONDS = 8.0


def _hold(release: threading.Event, statements: list[str], url: str) -> threading.Thread:
    """Run ``statements`` in a transaction on a connection of its own and keep its locks
    until ``release`` (or `HOLD_SECONDS`)."""
    taken = threading.Event()
    engine = connect(url)

    def holder() -> None:
        with engine.connect() as connection, connection.begin():
            for statement in statements:
                connection.exec_driver_sql(statement)
            taken.set()
            release.wait(HOLD_SECONDS)
        engine.dispose()

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert taken.wait(30)
    return thread


def _run_while_held(
    url: str, statements: list[str], *args: str, run_at: str | None = None
) -> Result:
    """`netfund ARGS` (on ``run_at``, else ``url``) while another session holds what
    ``statements`` lock; the command must end well before the holder lets go
    (`HOLD_SECONDS`), however it ends."""
    release = threading.Event()
    holder = _hold(release, statements, url)
    started = time.monotonic()
    try:
        return run_cli(run_at or url, *args)
    finally:
        waited = time.monotonic() - started
        release.set()
        holder.join()
        assert waited < HOLD_SECONDS - 2, f"netfund waited {waited:.1f} s for the lock"


def _holding_statements(db_url: str) -> list[str]:
    if db_url.startswith("sqlite"):
        return ["DELETE FROM pending_head_move WHERE 0"]  # any write takes the file's lock
    return ["SELECT * FROM chain_head FOR UPDATE"]


def test_an_import_waits_for_a_held_chain_lock_only_as_long_as_configured(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: on PostgreSQL the import waited silently for as long as the lock was held (no
    lock_timeout); on SQLite 60 s, whatever the setting, then "database is locked".

    The ledger is built with the usual wait, the import runs with 1 s: on PostgreSQL the
    wait is also how long a writer may sit idle inside its transaction, and `init` loads
    the migration scripts inside it (on a stalled machine that once took more than 1 s)."""
    _ledger(db_url, tmp_path)
    monkeypatch.setenv("NETFUND_LOCK_WAIT_SECONDS", WAIT_SECONDS)
    more = str(write_text(tmp_path / "more.csv", MORE))
    result = _run_while_held(db_url, _holding_statements(db_url), "import", more)
    assert result.exit_code == 2, result.output
    lock = "the ledger's write lock" if db_url.startswith("sqlite") else "chain head lock"
    assert lock in result.output and "more than 1 s" in result.output, result.output
    assert transaction_count(db_url) == 4
    assert run_cli(db_url, "import", str(tmp_path / "more.csv")).exit_code == 0


def test_balance_on_postgresql_waits_for_a_table_lock_only_as_long_as_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `balance` waited for as long as another session held the table."""
    for url in database_url("postgresql", tmp_path, prefix="lockwait"):
        _ledger(url, tmp_path)
        monkeypatch.setenv("NETFUND_LOCK_WAIT_SECONDS", WAIT_SECONDS)
        statement = "LOCK TABLE balance_totals IN ACCESS EXCLUSIVE MODE"
        result = _run_while_held(url, [statement], "balance")
        assert result.exit_code == 2, result.output
        assert "a lock on the table balance_totals" in result.output


def test_a_stalled_writer_does_not_hold_the_chain_lock_for_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that stops between two statements (a suspended process) is ended by the
    server once it sat idle as long as writers wait, and its lock is free again. Before: it
    held the chain head lock for as long as it stood still."""
    for url in database_url("postgresql", tmp_path, prefix="stall"):
        _ledger(url, tmp_path)
        monkeypatch.setenv("NETFUND_LOCK_WAIT_SECONDS", WAIT_SECONDS)
        engine = connect(url)
        try:
            stalled = pytest.raises(ConnectionLost, match="rolled the write back")
            with stalled, writing(engine) as connection:
                connection.execute(text("SELECT * FROM chain_head FOR UPDATE"))
                time.sleep(float(WAIT_SECONDS) + 1.5)
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
        # The lock is free again: another writer gets it at once.
        other = connect(url)
        try:
            started = time.monotonic()
            with writing(other) as connection:
                connection.execute(text("SELECT * FROM chain_head FOR UPDATE"))
            assert time.monotonic() - started < 1
        finally:
            other.dispose()


def test_the_lock_wait_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("soon", "0", "-5", "1e9"):
        monkeypatch.setenv("NETFUND_LOCK_WAIT_SECONDS", bad)
        with pytest.raises(LedgerError, match="NETFUND_LOCK_WAIT_SECONDS"):
            connect("sqlite://")


# -- a lost connection -------------------------------------------------------------------


def test_a_connection_lost_mid_import_is_its_own_error_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    """The import waits for the chain head lock (held by another session, so the moment is
    certain) when its backend is terminated. Before: exit 2 "database error at ...: terminating
    connection due to administrator command", the exit code of bad input."""
    for url in database_url("postgresql", tmp_path, prefix="lost"):
        _ledger(url, tmp_path)
        victim = with_query(url, application_name="netfund-victim")
        killer = threading.Thread(target=_terminate_when_waiting, args=("netfund-victim",))
        killer.start()
        more = str(write_text(tmp_path / "more.csv", MORE))
        try:
            holding = ["SELECT * FROM chain_head FOR UPDATE"]
            result = _run_while_held(url, holding, "import", more, run_at=victim)
        finally:
            killer.join()
        assert result.exit_code == 5, result.output
        assert "connection to the database" in result.output and "was lost" in result.output
        assert "Run the command again" in result.output
        assert transaction_count(url) == 4
        assert run_cli(url, "import", str(tmp_path / "more.csv")).exit_code == 0
        assert transaction_count(url) == 5


def _terminate_when_waiting(application: str) -> None:
    with psycopg.connect(PG_BASE_URL.replace("+psycopg", ""), autocommit=True) as admin:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                "AND wait_event_type = 'Lock'",
                (application,),
            ).fetchone()
            if row:
                admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                return
            time.sleep(0.05)


# -- durability --------------------------------------------------------------------------


def test_sqlite_syncs_every_commit_and_leaves_no_wal_behind(tmp_path: Path) -> None:
    """synchronous = FULL (2): the WAL is synced at each commit, so a reported commit survives
    a power loss (NORMAL, 1, synced only at checkpoints). And when netfund is done the WAL
    is folded into the database file and removed, so the file alone is the whole ledger and
    there is no -wal for anyone to delete."""
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    _ledger(url, tmp_path)
    files = [path.name for path in tmp_path.glob("ledger.db*") if path.suffix != ".checkpoints"]
    assert files == ["ledger.db"]
    engine = connect(url)
    try:
        with reading(engine) as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_a_wal_left_by_a_killed_reader_is_folded_in_by_the_next_command(tmp_path: Path) -> None:
    """The one moment a -wal outlives netfund: a reader holding an old snapshot keeps the
    writer from folding its commit into the file, and is then killed (-9). Deleting that
    -wal would delete the import (ledger/docs.md says so, and only an anchor outside the
    database would show it); the next netfund command, even a read, folds it in."""
    database = tmp_path / "ledger.db"
    url = f"sqlite:///{database}"
    _ledger(url, tmp_path)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
            "c.execute('BEGIN'); c.execute('SELECT count(*) FROM transactions').fetchone()\n"
            "print('reading', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "reading\n"
        result = run_cli(url, "import", str(write_text(tmp_path / "more.csv", MORE)))
        assert result.exit_code == 0, result.output
    finally:
        reader.kill()
        reader.wait()
    wal = Path(f"{database}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the import is only in the -wal now
    assert run_cli(url, "balance").exit_code == 0
    assert not wal.exists()
    alone = tmp_path / "copy"
    alone.mkdir()
    shutil.copyfile(database, alone / "ledger.db")
    assert transaction_count(f"sqlite:///{alone / 'ledger.db'}") == 5
