"""Reading TOML input files with line numbers for error messages.

`tomllib` parses but forgets where a key stood, and errors must say `file:line`. `locate()`
finds the line of a key path like ``("funders", 2, "overhead_cap")`` by scanning the text for
table headers and ``key =`` lines, which covers how people write these files (tables, arrays
of tables, one key per line). When it cannot tell, callers still print the key path.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from netfund.ledger.model.errors import InputError, Problem

#: Input files larger than this are refused before parsing: a network or plan is small.
TOML_SIZE_MAX_BYTES = 5_000_000

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse ``path`` as UTF-8 TOML; raise `InputError` with the line of a syntax error."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(source, None, f"cannot read file: {error.strerror}")]) from None
    if len(raw) > TOML_SIZE_MAX_BYTES:
        raise InputError(
            [Problem(source, None, f"file is larger than {TOML_SIZE_MAX_BYTES} bytes")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError([Problem(source, line, "file is not valid UTF-8")]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", str(error))
        if line is None:  # Python < 3.14 puts the position in the message only
            found = re.search(r"line (\d+)", str(error))
            line = int(found.group(1)) if found else None
            message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise InputError([Problem(source, line, f"invalid TOML: {message}")]) from None


def key_path(path: tuple[str | int, ...]) -> str:
    """``("funders", 2, "code")`` → ``funders[2].code`` (indexes 0-based, as in the file order)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def locate(text: str, path: tuple[str | int, ...]) -> int | None:
    """Best-effort 1-based line of the key path ``path`` in TOML ``text``; None if not found.

    ``path`` alternates table names, array indexes and a final key, e.g.
    ``("network", "overhead_cap")`` or ``("requests", 3, "weight")``. A path that ends at a
    table or array element gives that table's header line. Each call reads the whole text:
    a reader that looks up many paths builds one `TomlLines` instead.
    """
    return TomlLines(text).line(path)


#: Where a key path's table stands: its name parts and, for an array element, its index.
_Table = tuple[tuple[str, ...], int | None]


class TomlLines:
    """The lines of every table header and ``key =`` line of one TOML text, read once.

    Why: a plan of 10,000 requests looks up two lines per request; scanning the text for
    each made reading it quadratic (issue 15: 2,000 requests took 14.7 s). The index is built
    in one pass and answers `line` in constant time, with the same answers the scan gave.
    """

    def __init__(self, text: str) -> None:
        self.first_header: dict[_Table, int] = {}
        self.last_header: dict[_Table, int] = {}
        self.keys: dict[tuple[_Table, str], int] = {}
        #: Keys above the first header, which a one-part path may also name.
        self.top_keys: dict[str, int] = {}
        table: tuple[str, ...] = ()
        array_counts: dict[str, int] = {}
        current_index: int | None = None
        seen_header = False
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                seen_header = True
                name = header.group(2).replace('"', "").replace("'", "").strip()
                table = tuple(name.split("."))
                if header.group(1) == "[[":
                    array_counts[name] = array_counts.get(name, -1) + 1
                    current_index = array_counts[name]
                else:
                    current_index = None
                self.first_header.setdefault((table, current_index), number)
                self.last_header[table, current_index] = number
                continue
            key = _KEY.match(line)
            if key:
                name = key.group(1).strip('"')
                self.keys.setdefault(((table, current_index), name), number)
                if not seen_header:
                    self.top_keys.setdefault(name, number)

    def line(self, path: tuple[str | int, ...]) -> int | None:
        """The 1-based line of ``path`` (see `locate`), or None."""
        # The last string of a path longer than one is the key; the rest names the table.
        wanted_key: str | None = None
        if len(path) > 1 and isinstance(path[-1], str):
            wanted_key = path[-1]
            path = path[:-1]
        wanted_index = path[-1] if path and isinstance(path[-1], int) else None
        wanted: _Table = (tuple(part for part in path if isinstance(part, str)), wanted_index)
        if wanted_key is None:
            found = self.first_header.get(wanted)
            if found is not None:
                return found
        else:
            candidates = [self.keys.get((wanted, wanted_key))]
            if not wanted[0]:  # no table named: a key above the first header also counts
                candidates.append(self.top_keys.get(wanted_key))
            lines = [line for line in candidates if line is not None]
            if lines:
                return min(lines)
        header_line = self.last_header.get(wanted)
        if header_line is None and len(path) == 1 and isinstance(path[0], str):
            # A single name may also be a plain key before the first table (an unknown key).
            return self.top_keys.get(path[0])
        return header_line
