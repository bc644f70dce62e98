"""Three protections every export file gets: no spreadsheet formulas, no hidden characters,
no half-written files.

Formula injection (OWASP "CSV injection"): a spreadsheet opening a CSV or XLSX file runs a
cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or
carriage return can smuggle one past a naive check. Descriptions, references and ids come
from funders' and administrators' files, so a text cell beginning with any of these is
written with a single quote in front: the spreadsheet then shows it as text. Only text cells
are touched: amounts are written as numbers (a spreadsheet reads ``-12.50`` as a number, not
a formula), and Parquet, Beancount, hledger and XAF are not opened as spreadsheets.

Hidden characters: a description may hold a text-direction control (U+202E turns
``invoice-gpj.exe`` around on screen) or an invisible one (U+200B); in a spreadsheet cell they
are written as ``<U+202E>`` (`netfund.ledger.model.characters.reveal`), before the formula
check, so the auditor sees what is stored. Tabs and line breaks stay: a cell shows them.
Ids, codes and references cannot hold such characters at all (they are refused on input).

Atomic output: an export is written to a temporary file in the target's own directory (so
`os.replace` is a rename on one file system) and only renamed to the requested name once it
is complete and recorded; on any error the temporary file is removed and no file, or the
previous one, remains under the name.

Private output: an export is a copy of the ledger's money, descriptions and references, so it
gets the database's own mode, 0600 (owner only), whatever the umask: sharing it is a
deliberate act (chmod, a copy), never a side effect of where it was written. The file is
synced before the rename and its folder after it, so a file netfund reported as written
survives a crash complete. Statements (reports/) are written the same way, through this class.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from netfund.ledger.model.characters import reveal
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.sqlite_files import PRIVATE_FILE_MODE, sync_folder

if TYPE_CHECKING:
    import pyarrow as pa

#: The first characters that make a spreadsheet treat a cell as a formula (OWASP list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Bytes read at a time when hashing a finished export.
HASH_BLOCK_BYTES = 4 * 1024 * 1024


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet will show it, never run it: hidden characters written out,
    then a quote before a trigger."""
    text = reveal(text, keep_line_breaks=True)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def neutralise_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`neutralise` for a whole Arrow string column at once (nulls stay null)."""
    # Imported here: the CLI loads this module for every command, Arrow only for exports.
    import pyarrow.compute as pc

    values = _reveal_array(values)
    # One starts_with pass per trigger costs less than half an anchored regex match (the
    # journal export of a million expenses neutralises 54 million cells), and a column
    # without any trigger, nearly every column, is returned as it is, without a copy.
    dangerous = None
    for trigger in FORMULA_TRIGGERS:
        starts = pc.starts_with(values, trigger)
        dangerous = starts if dangerous is None else pc.or_(dangerous, starts)
    if dangerous is None or not pc.any(dangerous).as_py():
        return values
    quoted = pc.utf8_replace_slice(values, start=0, stop=0, replacement="'")
    return pc.if_else(dangerous, quoted, values)


def _reveal_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`reveal` for a whole Arrow string column: only the rows that may need it go to Python."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from netfund.ledger.exports.arrow_values import string_array

    # Printable ASCII (nearly every cell) has no hidden character; one fast pass finds the
    # rest (other text, tabs, line breaks), and a column without any is returned as it is.
    # A null stays null: `any` and `filter` skip it. No Python scalar goes to Arrow here
    # (it would import pandas, see `arrow_values`).
    suspect = pc.invert(pc.ascii_is_printable(values))
    if not pc.any(suspect).as_py():
        return values
    if isinstance(values, pa.ChunkedArray):
        values, suspect = values.combine_chunks(), suspect.combine_chunks()
    texts = pc.filter(values, suspect).to_pylist()
    revealed = [reveal(text, keep_line_breaks=True) for text in texts]
    if revealed == texts:
        return values
    return pc.replace_with_mask(values, suspect, string_array(revealed).cast(values.type))


def neutralise_table(table: pa.Table) -> pa.Table:
    """Every string column of ``table`` neutralised; other columns untouched."""
    import pyarrow as pa

    columns = [
        neutralise_array(column) if pa.types.is_string(column.type) else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, schema=table.schema)


class AtomicFile:
    """A temporary file beside ``target``, renamed onto it only by `publish()`.

    Use as a context manager: leaving the block without `publish()` (an error, a refused
    export) deletes the temporary file. Unusable targets are refused up front with a
    `LedgerError` (exit 2): a missing directory, a directory as target, no permission.

    Attributes:
        target: the path the user asked for.
        temporary: where the export is written meanwhile.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        if target.is_dir():
            raise LedgerError(f"cannot write {target}: it is a directory")
        folder = target.parent
        if not folder.is_dir():
            raise LedgerError(f"cannot write {target}: the directory {folder} does not exist")
        try:
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name[:64]}.", suffix=".partial", dir=folder
            )
        except OSError as error:
            raise LedgerError(f"cannot write {target}: {error.strerror or error}") from None
        os.close(handle)
        self.temporary = Path(name)
        self._published = False

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self._published:
            self.temporary.unlink(missing_ok=True)

    def digest(self) -> tuple[str, int]:
        """sha256 and size in bytes of what was written so far (the finished export)."""
        sha = hashlib.sha256()
        size = 0
        with self.temporary.open("rb") as handle:
            while block := handle.read(HASH_BLOCK_BYTES):
                sha.update(block)
                size += len(block)
        return sha.hexdigest(), size

    def publish(self) -> None:
        """Give the finished file its name (mode 0600, synced), replacing an older file."""
        try:
            descriptor = os.open(self.temporary, os.O_RDONLY)
            try:
                os.fchmod(descriptor, PRIVATE_FILE_MODE)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            os.replace(self.temporary, self.target)
        except OSError as error:
            raise LedgerError(f"cannot write {self.target}: {error.strerror or error}") from None
        self._published = True
        sync_folder(self.target.parent)
