"""The SQLite ledger's files: created only by `init`, private, opened read-only where they cannot
be written.

Created only by `init`: SQLite creates a missing file on the first connection, so a reading
command given a wrong path (`netfund --db typo.db balance`) used to leave an empty database
there, which the next command then took for an uninitialised ledger. Every connection opens
the file with SQLite's URI ``mode=rw`` (never create), and a missing file is refused with
what to do; `create_private` makes it when the schema is created (`database.upgrade`).

Private: the database holds every funder's money and every description and reference.
SQLite creates a missing file with mode 0644 under the usual umask (readable by every user of
the machine) and gives its ``-wal`` and ``-shm`` files the database file's mode. So netfund
creates the file itself, empty, with mode 0600 (set with fchmod, whatever the umask), before
SQLite opens it, and the WAL files follow. A file that exists keeps the mode its owner gave it.

Read-only: a copy on a DVD, a write-protected stick or a read-only share cannot take the
``-shm`` file WAL mode needs, and even a verify failed there. When the file or its folder
cannot be written, it is opened read-only (SQLite URI ``mode=ro``), and writes are refused
with a clear message. Without a writable folder SQLite can still read a WAL database when its
``-shm`` file is there; when neither ``-wal`` nor ``-shm`` is, nothing is writing the file and
it is opened ``immutable=1`` (no locks, no shared memory). A ``-wal`` without its ``-shm`` holds
committed transactions SQLite could not read there (``immutable`` would skip them and show an
older ledger), so that copy is refused with what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from netfund.ledger.model.errors import LedgerError

#: Mode of every file netfund creates: the database, its WAL files, exports, statements.
PRIVATE_FILE_MODE = 0o600


def database_file(database: str | None) -> Path | None:
    """The file of a SQLite URL's database part; None for in-memory and URI databases."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_private(path: Path) -> None:
    """Create ``path`` empty with `PRIVATE_FILE_MODE` if it does not exist yet.

    The folder is synced too, so a ledger `init` reported survives a power loss with its name.
    A file that cannot be made (no such folder, no permission) is a `LedgerError` saying why.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as error:
        raise LedgerError(f"cannot create the ledger {path}: {error.strerror}") from None
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # the umask may have taken bits off
    finally:
        os.close(descriptor)
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """fsync ``folder`` so a file just created or renamed in it keeps its name after a crash."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory; the data itself is synced
    finally:
        os.close(descriptor)


def existing_uri(path: Path) -> str | None:
    """The SQLite URI that opens ``path`` for reading and writing without ever creating it
    (``mode=rw``), or None when there is no file at ``path``."""
    if not path.exists():
        return None
    return f"file:{quote(str(path.resolve()))}?mode=rw"


def read_only_uri(path: Path) -> str | None:
    """The SQLite URI to open ``path`` read-only with, or None when it can be written.

    Raises `LedgerError` for a read-only copy whose ``-wal`` cannot be read (see the module).
    """
    if not path.exists():
        return None
    folder = path.parent
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK):
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    if os.access(folder, os.W_OK):
        return uri  # SQLite makes the -shm itself, and sees writers by it
    wal, shm = _sibling(path, "-wal"), _sibling(path, "-shm")
    if shm.exists():
        return uri
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerError(
            f"{path} is read-only here and {wal.name} beside it holds transactions not yet "
            f"in the database file, which cannot be read without {shm.name}: copy the "
            "database with its -wal file to a writable folder and run the command there"
        )
    return uri + "&immutable=1"


def reader_uri(path: Path) -> str:
    """The URI a second, read-only reader of ``path`` opens it with (the columnar exports):
    the read-only connection's own where the file cannot be written, else plain ``mode=ro``."""
    return read_only_uri(path) or f"{path.resolve().as_uri()}?mode=ro"


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)
