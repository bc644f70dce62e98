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
    table or array element gives that table's header line.
    """
    lines = text.splitlines()
    table: tuple[str, ...] = ()
    array_counts: dict[str, int] = {}
    current_index: int | None = None
    # The last string of a path longer than one is the key; the rest names the table.
    wanted_key: str | None = None
    if len(path) > 1 and isinstance(path[-1], str):
        wanted_key = path[-1]
        path = path[:-1]
    wanted_index = path[-1] if path and isinstance(path[-1], int) else None
    wanted_table = [part for part in path if isinstance(part, str)]
    header_line: int | None = None
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(2).replace('"', "").replace("'", "").strip()
            table = tuple(name.split("."))
            if header.group(1) == "[[":
                array_counts[name] = array_counts.get(name, -1) + 1
                current_index = array_counts[name]
            else:
                current_index = None
            if list(table) == wanted_table and current_index == wanted_index:
                header_line = number
                if wanted_key is None:
                    return number
            continue
        key = _KEY.match(line)
        if (
            key
            and list(table) == wanted_table
            and current_index == wanted_index
            and key.group(1).strip('"') == wanted_key
        ):
            return number
        if not wanted_table and not table and key and key.group(1).strip('"') == wanted_key:
            return number
    if header_line is None and len(path) == 1 and isinstance(path[0], str):
        # A single name may also be a plain key before the first table (an unknown key).
        for number, line in enumerate(lines, start=1):
            if _HEADER.match(line):
                break
            key = _KEY.match(line)
            if key and key.group(1).strip('"') == path[0]:
                return number
    return header_line
