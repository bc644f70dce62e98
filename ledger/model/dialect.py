"""How a CSV input file writes its fields: the standard dialect, or Dutch Excel's.

Dutch Excel saves "CSV" with `;` between fields (the comma is its decimal mark), amounts like
``1.234,56``, dates like ``31-12-2026`` and text in Windows-1252. Rather than guess per file,
the user says which dialect a file is in (``--dialect nl``); every reader, the amount and the
date parsers take it from here, so one file never mixes the two.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """One way of writing a CSV input file.

    Attributes:
        name: what the user passes to ``--dialect``.
        delimiter: the field separator.
        decimal_comma: amounts as ``1.234,56`` (dots group thousands) instead of ``1234.56``.
        day_first: dates as ``31-12-2026`` (``2026-12-31`` still accepted) instead of ISO only.
        windows_1252: a file that is not valid UTF-8 is read as Windows-1252.
    """

    name: str
    delimiter: str
    decimal_comma: bool
    day_first: bool
    windows_1252: bool


STANDARD = Dialect("standard", ",", decimal_comma=False, day_first=False, windows_1252=False)
DUTCH = Dialect("nl", ";", decimal_comma=True, day_first=True, windows_1252=True)
#: Every dialect by the name ``--dialect`` takes.
DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (STANDARD, DUTCH)}

#: Said after a standard-dialect error that a Dutch file would explain.
DUTCH_HINT = "a Dutch Excel file? use --dialect nl"
