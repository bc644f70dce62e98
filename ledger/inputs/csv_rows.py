"""Reading the CSV input files with a line number on every row and a limit on everything.

Files are UTF-8 (a byte-order mark is accepted) and comma-separated with a header row. The
reader streams: a file of a million events is never held in memory at once. Whatever goes
wrong (encoding, an unclosed quote, a line of a million fields) becomes a `Problem` with the
file and line, never a traceback. Rows whose fields are all empty (``,,,,,,,``, what Excel
leaves below the data) are skipped like blank lines.

In the nl dialect (`model/dialect.py`) fields are separated by `;` and the encoding is decided
once for the whole file, not guessed per row: a file that decodes as strict UTF-8 (a
byte-order mark or not) is UTF-8, any other is Windows-1252. A header separated by the other
dialect's separator is refused naming ``--dialect``, before a row is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from netfund.ledger.model.dialect import DUTCH_HINT, STANDARD, Dialect
from netfund.ledger.model.errors import InputError, Problem

#: Longest field accepted, in characters (descriptions are at most 1,000).
FIELD_LENGTH_MAX = 4_000
#: Input files larger than this are refused up front (about 30 million events).
FILE_SIZE_MAX_BYTES = 4 * 1024**3
#: The header is looked at for its separator before the file is decoded; it is far shorter.
_HEADER_BYTES_MAX = 1024 * 1024
#: The codec for what follows the header line (a byte-order mark only opens a file).
_REST = {"utf-8-sig": "utf-8", "cp1252": "cp1252"}


@dataclass(frozen=True)
class Row:
    """One data row: ``line`` is the file line it starts on, ``values`` keyed by column."""

    line: int
    values: dict[str, str]


class CsvReader:
    """Iterates the rows of one CSV file; problems found on the way collect in `problems`."""

    def __init__(self, path: Path, columns: tuple[str, ...], dialect: Dialect = STANDARD) -> None:
        self.path = path
        self.source = str(path)
        self.columns = columns
        self.dialect = dialect
        self.problems: list[Problem] = []
        #: Data rows read so far, good or bad.
        self.rows_read = 0

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def rows(self) -> Iterator[Row]:
        """The data rows, each with its values keyed by column."""
        columns = self.columns
        for line, values in self.records():
            yield Row(line, dict(zip(columns, values, strict=True)))

    def records(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """The data rows as (line, values in `columns` order): what `rows` yields, without a
        dictionary per row (the batch import of `event_batches.py` reads millions)."""
        try:
            size = self.path.stat().st_size
        except OSError as error:
            raise InputError(
                [Problem(self.source, None, f"cannot read file: {error.strerror}")]
            ) from None
        if size > FILE_SIZE_MAX_BYTES:
            raise InputError([Problem(self.source, None, "file is larger than 4 GiB")])
        # The limit is process-wide in the csv module: set it for this file, then restore it.
        previous_limit = csv.field_size_limit(FIELD_LENGTH_MAX)
        try:
            # Opened once and read front to back: the input may be a pipe.
            with self.path.open("rb") as raw:
                first = raw.readline(_HEADER_BYTES_MAX)
                if not self._check_separator(first):
                    return
                encoding = self._encoding(raw, first)
                if encoding is None:
                    return
                try:
                    header = first.decode(encoding)
                except UnicodeDecodeError:
                    self.problem(1, self._decode_message(encoding))
                    return
                text = io.TextIOWrapper(raw, encoding=_REST[encoding], newline="")
                try:
                    lines = itertools.chain([header] if header else [], text)
                    yield from self._rows(lines, encoding)
                finally:
                    text.detach()  # ``raw`` is closed by its own ``with``
        except OSError as error:
            raise InputError(
                [Problem(self.source, None, f"cannot read file: {error.strerror}")]
            ) from None
        finally:
            csv.field_size_limit(previous_limit)

    def _check_separator(self, first_line: bytes) -> bool:
        """Whether the header is separated as the dialect says; if the other dialect's
        separator splits it instead, a problem naming ``--dialect``."""
        first = first_line.decode("utf-8", errors="replace")
        other = ";" if self.dialect.delimiter == "," else ","
        if len(_fields(first, self.dialect.delimiter)) > 1 or len(_fields(first, other)) < 2:
            return True
        if self.dialect is STANDARD:
            self.problem(1, f"the header is separated by ';': {DUTCH_HINT}")
        else:
            self.problem(
                1,
                f"the header is separated by {other!r}: not a Dutch Excel file? "
                f"leave out --dialect {self.dialect.name}",
            )
        return False

    def _encoding(self, raw: BinaryIO, first_line: bytes) -> str | None:
        """The file's encoding: UTF-8, or in a Windows-1252 dialect whichever decodes the
        whole file strictly, UTF-8 first; None (and a problem) when neither does.

        Deciding reads the file once more, so a pipe in a Windows-1252 dialect is UTF-8."""
        if not self.dialect.windows_1252 or not raw.seekable():
            return "utf-8-sig"
        after_header = raw.tell()
        bad_line = _first_invalid_line(raw, "utf-8", first_line)
        raw.seek(after_header)
        if bad_line is None:
            return "utf-8-sig"
        if first_line.startswith(codecs.BOM_UTF8):
            self.problem(
                bad_line, "file starts with a UTF-8 byte-order mark but this line is not UTF-8"
            )
            return None
        return "cp1252"

    def _decode_message(self, encoding: str) -> str:
        if encoding == "cp1252":
            return "file is neither UTF-8 nor Windows-1252 (save it as UTF-8)"
        if self.dialect.windows_1252:
            return "file is not valid UTF-8 (save it as UTF-8, or as a file, not a pipe)"
        return f"file is not valid UTF-8 (save it as UTF-8; {DUTCH_HINT})"

    def _rows(self, handle: Iterable[str], encoding: str) -> Iterator[tuple[int, tuple[str, ...]]]:
        reader = csv.reader(handle, delimiter=self.dialect.delimiter, quotechar='"', strict=True)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                self.problem(1, f"file is empty; expected the header {','.join(self.columns)}")
                return
            if not self._check_header(header):
                return
            positions = [header.index(name) for name in self.columns]
            if positions == list(range(len(header))):
                positions = []  # the columns in the file's order: the row as it is
            while True:
                line = reader.line_num + 1
                fields = next(reader, None)
                if fields is None:
                    return
                if not any(map(str.strip, fields)):
                    continue  # a blank line, or a row of empty fields, carries nothing
                self.rows_read += 1
                if len(fields) != len(header):
                    self.problem(
                        line,
                        f"expected {len(header)} fields, found {len(fields)} "
                        f"(a {_SEPARATOR_NAMES[self.dialect.delimiter]} inside a value needs "
                        "quotes)",
                    )
                    continue
                yield (
                    line,
                    tuple(fields[position] for position in positions)
                    if positions
                    else tuple(fields),
                )
        except UnicodeDecodeError:
            # The text layer decodes ahead in blocks, so the row being read is not where the
            # bad byte is: find its line in the bytes.
            with self.path.open("rb") as raw:
                self.problem(_first_invalid_line(raw, encoding), self._decode_message(encoding))
        except csv.Error as error:
            reason = str(error)
            if "field larger than field limit" in reason:
                reason = f"a field is longer than {FIELD_LENGTH_MAX} characters"
            elif "EOF" in reason or "unexpected end of data" in reason:
                reason = "a quote is opened and never closed"
            self.problem(line, f"unreadable CSV: {reason}")  # the line the bad row starts on

    def _check_header(self, header: list[str]) -> bool:
        cleaned = [name.strip() for name in header]
        missing = [name for name in self.columns if name not in cleaned]
        unknown = [name for name in cleaned if name not in self.columns]
        duplicated = sorted({name for name in cleaned if cleaned.count(name) > 1})
        if missing or unknown or duplicated:
            parts = []
            if missing:
                parts.append(f"missing column(s) {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown column(s) {', '.join(repr(n) for n in unknown[:10])}")
            if duplicated:
                parts.append(f"duplicated column(s) {', '.join(repr(n) for n in duplicated)}")
            self.problem(
                1, "bad header: " + "; ".join(parts) + f" (expected {','.join(self.columns)})"
            )
            return False
        header[:] = cleaned
        return True


_SEPARATOR_NAMES = {",": "comma", ";": "semicolon"}


def _fields(line: str, delimiter: str) -> list[str]:
    """The fields of one line of text split at ``delimiter`` (quotes respected)."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a header field over the limit: the header check reports it
        return []


def _first_invalid_line(handle: BinaryIO, encoding: str, before: bytes = b"") -> int | None:
    """The 1-based line holding the first byte sequence that is not ``encoding``, reading
    ``before`` and then ``handle`` to its end; None when all of it decodes."""
    decoder = codecs.getincrementaldecoder(_REST.get(encoding, encoding))(errors="strict")
    line = 1
    for block in itertools.chain([before], iter(lambda: handle.read(1 << 16), b"")):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as error:
            return line + block[: error.start].count(b"\n")
        line += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    return None
