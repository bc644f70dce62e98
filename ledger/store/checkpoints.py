"""The checkpoint file: after every committed write, one line saying where each chain ends.

The hash chain proves that stored rows were not changed one by one, but someone who can write
the database can delete its newest transactions, or change one and re-hash every transaction
after it, and fix the chain head: the chain is consistent again. What the database said
before has to be kept outside it. netfund appends one JSON line to a file beside the database
after each write commits::

    {"time":"2026-12-05T10:31:07Z","transactions":{"id":1234,"hash":"9f2c..."},
     "records":{"id":7,"hash":"41d0..."}}

and `verify` holds the chain to every line (`verification/anchors.py`): a line naming a
transaction the ledger no longer holds, or holds with another hash, is exit 4. A copy of the
file kept elsewhere (and each funder's statement, which embeds a fingerprint) does the same
for an attacker who can also change the file beside the database.

Where (`database.checkpoint_file`): ``--checkpoints FILE`` or ``NETFUND_CHECKPOINTS``;
otherwise ``<file>.checkpoints`` beside a SQLite database file, and none for PostgreSQL or an
in-memory database (a server's data directory is not the place for a file netfund writes:
configure one).

The line is written with one ``write`` to a file opened with ``O_APPEND`` (concurrent writers'
lines never interleave on a local file system) and fsynced before the command reports
success; a new file is created 0600, whatever the umask. The write has committed by then, so
a failed append does not make the command fail: it is logged as a warning on stderr
(``netfund: warning: ...``), and the next write's line covers it again.

Each line names every chain's head (`current_heads`): the transactions' and the records'
(network versions, allocation runs, closes). A line without a chain (written before it
existed) anchors only the chains it names.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from netfund.ledger.store.schema import chain_head_table, records_head_table
from netfund.ledger.store.sqlite_files import PRIVATE_FILE_MODE, sync_folder
from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

#: The environment variable naming the checkpoint file.
CHECKPOINTS_ENV = "NETFUND_CHECKPOINTS"
#: Appended to a SQLite database file's name for its default checkpoint file.
SUFFIX = ".checkpoints"
#: The engine's execution option that carries the file (set by `database.connect`).
OPTION = "netfund_checkpoints"
#: The chains a checkpoint line names, each by its key in the line.
CHAINS = ("transactions", "records")

_log = logging.getLogger("netfund.checkpoints")


@dataclass(frozen=True)
class Head:
    """Where a chain ends: its newest position (0: empty) and that entry's hash."""

    position: int
    hash: str


def current_heads(connection: Connection) -> dict[str, Head]:
    """Where each chain ends now, as read through ``connection``: one entry per `CHAINS`."""
    transactions = connection.execute(
        select(chain_head_table.c.last_txn_id, chain_head_table.c.last_hash)
    ).one()
    records = connection.execute(
        select(records_head_table.c.last_seq, records_head_table.c.last_hash)
    ).one()
    return {
        "transactions": Head(int(transactions.last_txn_id), str(transactions.last_hash)),
        "records": Head(int(records.last_seq), str(records.last_hash)),
    }


def checkpoint_line(heads: Mapping[str, Head], now: datetime.datetime | None = None) -> bytes:
    """One line of the checkpoint file: the UTC time and each chain's head."""
    moment = now or datetime.datetime.now(datetime.UTC)
    record: dict[str, object] = {"time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    for chain, head in heads.items():
        record[chain] = {"id": head.position, "hash": head.hash}
    return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def append_line(path: Path, line: bytes) -> None:
    """Append ``line`` to ``path`` with one write, and fsync it (and a new file's folder).

    A file that does not end with a newline lost the end of an append (a power cut during the
    write): ``line`` then starts on a line of its own, so the torn piece stays one unreadable
    line instead of spoiling this one.
    """
    flags = os.O_RDWR | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        created = True
    except FileExistsError:
        descriptor = os.open(path, flags)
        created = False
    try:
        if created:
            os.fchmod(descriptor, PRIVATE_FILE_MODE)  # the umask may have taken bits from it
        else:
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                line = b"\n" + line
        written = os.write(descriptor, line)
        if written != len(line):
            raise OSError(f"only {written} of {len(line)} bytes were written")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        sync_folder(path.parent)


def record_checkpoint(connection: Connection, path: Path) -> None:
    """Append the heads as ``connection`` reads them now, right after its write committed.

    Called by `database.writing` once the write transaction committed. The heads are read in
    a new read transaction: a writer that committed in between gives a later head, which is
    as true. Nothing here may raise: the write has committed, so a failure is a warning.
    """
    try:
        with connection.begin():
            heads = current_heads(connection)
        append_line(path, checkpoint_line(heads))
    except (OSError, SQLAlchemyError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        _log.warning(
            "netfund: warning: the write was stored, but its checkpoint could not be "
            "appended to %s (%s); verify cannot hold the ledger to it until the next write",
            path,
            reason.splitlines()[0] if reason else type(error).__name__,
        )
