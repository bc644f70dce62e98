"""The files the portal hands out: issued statements and exports, found by listing, never by
building a path from what a browser sent.

A download names a file; the name is looked up in the listing of its folder (`listed_file`),
and only a listed file is read. The listing holds regular files directly in the folder:
no sub-folders, no hidden files, no symbolic links (a link could point anywhere, and the
folder's owner can copy a file in instead). ``../netfund.db``, ``%2e%2e`` (decoded by the
server before routing), an absolute path or a name with a slash are never in a listing, so
they are refused by the same lookup that serves the good names, with nothing to normalise.
The file is then opened without following a link (``O_NOFOLLOW``) and must still be the
regular file listed, so a link swapped in between the listing and the read is refused too.

A statement belongs to a funder when its file name is one `statement_name` writes for that
funder AND the figures embedded in it (`embedded.py`) name that funder: a file renamed to
another funder's name is nobody's statement here. Each listed statement is checked against
the ledger (`check_statement`), and the result is cached per file (path, size, modification
time) and ledger heads (transaction chain and records chain), so viewing the page again does
not re-check what has not changed, and any write to the ledger re-checks everything.

The check runs on the portal's own (staff) connection even when a funder is viewing: it
compares the network's totals in the statement too, which the funder's own database role
cannot read. The funder learns only whether its own document still holds and which of that
document's figures differ, not the ledger's values now (`FunderCheck`).
"""

from __future__ import annotations

import datetime
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from netfund.ledger import (
    AccessDenied,
    ConnectionLost,
    InputError,
    LedgerError,
    LockWaitExceeded,
    chain_position_as_of,
    reading,
    records_head,
    require_schema,
)
from netfund.ledger.exports import EXPORTS, ExportRecord, list_exports
from netfund.reports.statement.check import StatementCheck, check_statement
from netfund.reports.statement.data import default_as_of
from netfund.reports.statements import StatementName, parse_statement_name
from netfund.web.figure_cache import FigureCache
from sqlalchemy import Engine

#: The sub-folders of ``app.state.files`` the portal serves.
STATEMENTS = "statements"
EXPORTS_FOLDER = "exports"

#: A download is sent in pieces of this size.
CHUNK_BYTES = 256 * 1024
#: Checked statements kept in memory (a check result is a few hundred bytes).
CHECKS_KEPT = 1024

#: The media type of each export format's file suffix (anything else: a plain download).
EXPORT_MEDIA_TYPES: dict[str, str] = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".parquet": "application/vnd.apache.parquet",
    ".xaf": "application/xml",
    ".beancount": "text/plain; charset=utf-8",
    ".journal": "text/plain; charset=utf-8",
}
DOWNLOAD_MEDIA_TYPE = "application/octet-stream"
PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True)
class FolderFile:
    """A regular file directly inside a served folder, as listed.

    Attributes:
        name: its name in the folder.
        path: the folder (resolved) joined with the name.
        size: its size in bytes when listed.
        modified_ns: its modification time when listed, in nanoseconds.
        identity: (device, inode), so the file read is the file listed.
    """

    name: str
    path: Path
    size: int
    modified_ns: int
    identity: tuple[int, int]

    @property
    def modified(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.modified_ns / 1e9, tz=datetime.UTC)


def folder_files(folder: Path) -> list[FolderFile]:
    """The regular files directly in ``folder``, by name (none if the folder is missing).

    The folder itself may be a link (an operator may keep the statements elsewhere); the
    entries in it may not.
    """
    try:
        base = folder.resolve(strict=True)
        entries = list(os.scandir(base))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name.startswith("."):
            continue  # temporary files of a write in progress, editors' leftovers
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append(
                FolderFile(
                    entry.name,
                    base / entry.name,
                    info.st_size,
                    info.st_mtime_ns,
                    (info.st_dev, info.st_ino),
                )
            )
    return sorted(found, key=lambda item: item.name)


def listed_file(files: list[FolderFile], name: str) -> FolderFile | None:
    """The listed file called exactly ``name``, or None: the only way a download finds a
    file (see the module doc)."""
    return next((item for item in files if item.name == name), None)


def open_listed(item: FolderFile) -> BinaryIO | None:
    """``item`` opened for reading (the caller closes it), or None if it is no longer the
    regular file that was listed (deleted, replaced by a link or another file, or written
    since): a statement is handed out only as it was checked."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(item.path, flags)
    except OSError:
        return None
    handle = os.fdopen(descriptor, "rb")
    info = os.fstat(handle.fileno())
    if (
        not stat.S_ISREG(info.st_mode)
        or (info.st_dev, info.st_ino) != item.identity
        or (info.st_size, info.st_mtime_ns) != (item.size, item.modified_ns)
    ):
        handle.close()
        return None
    return handle


def read_listed(item: FolderFile) -> bytes | None:
    """The bytes of ``item`` as `open_listed` finds it, or None."""
    handle = open_listed(item)
    if handle is None:
        return None
    with handle:
        return handle.read()


def chunks_of(handle: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """``handle``'s bytes in pieces, closing it at the end: an export of millions of
    postings is sent without holding it in memory."""
    with handle:
        while piece := handle.read(size):
            yield piece


# --- statements -------------------------------------------------------------------------


@dataclass(frozen=True)
class FunderCheck:
    """What the portal shows of a statement's check.

    Attributes:
        holds: the check passed.
        in_chain: the statement's fingerprint is in this ledger's chain.
        differing: the figures (key paths of its embedded figures) the ledger now puts
            differently, without the ledger's values.
        signed: the statement carries a signature.
        signature_ok: that signature is intact and covers the whole file (None: unsigned).
        added_since: transactions dated within its as-of date appended after it.
        name_matches: the file name states the period and as-of date the contents do.
    """

    holds: bool
    in_chain: bool
    differing: tuple[str, ...]
    signed: bool
    signature_ok: bool | None
    added_since: int
    name_matches: bool

    @classmethod
    def of(cls, check: StatementCheck, name: StatementName) -> FunderCheck:
        signature = check.signature
        name_as_of = name.as_of or default_as_of(name.period)
        name_matches = check.period == name.period and (
            check.as_of == name_as_of if name.interim else check.as_of >= name_as_of
        )
        return cls(
            holds=check.ok and name_matches,
            in_chain=check.fingerprint_in_chain,
            differing=tuple(d.figure for d in check.differences),
            signed=signature is not None,
            signature_ok=None if signature is None else signature.ok,
            added_since=check.added_since,
            name_matches=name_matches,
        )


@dataclass(frozen=True)
class IssuedStatement:
    """One statement file of a funder, checked.

    Attributes:
        file: the file.
        name: what its name says.
        check: its check, or None when it cannot be read as a statement.
        as_of: the as-of date its contents state (None when unreadable).
        unreadable: why it cannot be read as a statement, or None.
    """

    file: FolderFile
    name: StatementName
    check: FunderCheck | None
    as_of: datetime.date | None
    unreadable: str | None

    @property
    def downloadable(self) -> bool:
        """Only a file whose contents name the funder is handed out."""
        return self.check is not None


@dataclass(frozen=True)
class _Checked:
    """A cached check: the funder the contents name (None: unreadable) and the outcome."""

    funder: str | None
    check: StatementCheck | None
    unreadable: str | None


class CheckCache(FigureCache):
    """Checked statements by (path, size, mtime, ledger heads): the portal's figure cache
    (bounded, least recently used out, one check per key however many pages ask at once)."""

    def __init__(self, kept: int = CHECKS_KEPT) -> None:
        super().__init__(kept)

    @property
    def checks_run(self) -> int:
        """How many statements were checked (not found kept)."""
        return self.misses


def ledger_heads(engine: Engine) -> tuple[int, str, int, str]:
    """Where both chains end now: any write to the ledger moves one of them."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        newest = chain_position_as_of(connection, datetime.date.max)
        records = records_head(connection)
    if newest is None:
        return (0, "", records.seq, records.hash)
    return (newest.transaction, newest.hash, records.seq, records.hash)


def funder_statements(
    engine: Engine, files: Path, funder: str, cache: CheckCache
) -> list[IssuedStatement]:
    """The statements of ``funder`` in ``files/statements``, each checked (see module doc):
    newest period first, then as-of date, then language."""
    named = [
        (item, parsed)
        for item in folder_files(files / STATEMENTS)
        if (parsed := parse_statement_name(item.name)) is not None and parsed.funder == funder
    ]
    if not named:
        return []
    heads = ledger_heads(engine)
    found = []
    for item, parsed in named:
        key = (str(item.path), item.size, item.modified_ns, item.identity, heads)
        checked = cache.get(key, lambda item=item: _check(engine, item))
        if checked.funder is not None and checked.funder != funder:
            continue  # another funder's statement under this funder's name
        if checked.check is None:
            found.append(IssuedStatement(item, parsed, None, None, checked.unreadable))
        else:
            view = FunderCheck.of(checked.check, parsed)
            found.append(IssuedStatement(item, parsed, view, checked.check.as_of, None))
    found.sort(key=lambda s: (s.name.period, s.as_of or datetime.date.min), reverse=True)
    return found


def _check(engine: Engine, item: FolderFile) -> _Checked:
    """Check one file; a file that is no statement (or one so damaged that the PDF reader
    gives up) is an outcome to show and cache, a database that cannot be read is not."""
    from pyhanko.pdf_utils.misc import PdfError  # loaded by the check already

    try:
        check = check_statement(engine, item.path)
    except (LockWaitExceeded, AccessDenied, ConnectionLost):
        raise
    except (InputError, LedgerError) as error:
        # Its message names the server's path: the page says only that it is no statement.
        return _Checked(None, None, type(error).__name__)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        return _Checked(None, None, type(error).__name__)
    return _Checked(check.funder, check, None)


def funder_statement(
    engine: Engine, files: Path, funder: str, name: str, cache: CheckCache
) -> IssuedStatement | None:
    """The downloadable statement ``name`` of ``funder``, or None (any name its listing does
    not offer for download)."""
    return next(
        (
            s
            for s in funder_statements(engine, files, funder, cache)
            if s.file.name == name and s.downloadable
        ),
        None,
    )


# --- exports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """One file of the exports folder, with what the exports log says of it.

    Attributes:
        file: the file.
        record: the newest log entry written to this file (by its path, or, for a folder
            that was moved, by its name and size), or None.
    """

    file: FolderFile
    record: ExportRecord | None

    @property
    def kind(self) -> str | None:
        return None if self.record is None else self.record.kind

    @property
    def media_type(self) -> str:
        return export_media_type(self.file.name)


def export_media_type(name: str) -> str:
    """The media type an export file is sent with, by its suffix."""
    return EXPORT_MEDIA_TYPES.get(Path(name).suffix.lower(), DOWNLOAD_MEDIA_TYPE)


def export_files(engine: Engine, files: Path) -> list[ExportFile]:
    """The files in ``files/exports``, by name, each with its exports-log entry."""
    listed = folder_files(files / EXPORTS_FOLDER)
    if not listed:
        return []
    records = list_exports(engine)
    by_path: dict[str, ExportRecord] = {}
    by_name: dict[tuple[str, int], ExportRecord] = {}
    for record in records:  # oldest first: the newest entry for a file wins
        by_name[(Path(record.path).name, record.file_bytes)] = record
        try:
            by_path[str(Path(record.path).resolve())] = record
        except OSError:
            continue
    return [
        ExportFile(item, by_path.get(str(item.path)) or by_name.get((item.name, item.size)))
        for item in listed
    ]


def export_kinds() -> tuple[str, ...]:
    """Every kind of export there is (for the page's legend)."""
    return tuple(EXPORTS)
