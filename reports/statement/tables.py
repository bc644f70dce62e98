"""Paragraph styles and tables of the statement, all in DejaVu Sans.

Long tables are cut into chunks of at most `CHUNK_ROWS` rows, each a `LongTable` that
repeats its header row on every page (``repeatRows=1``): ReportLab lays a table out in one
piece, and its time and memory grow with the rows, so a funder with thousands of receipts
still renders in bounded steps, and every page of a long list says what its columns are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from netfund.ledger import reveal
from netfund.reports.fonts import BOLD, REGULAR
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, LongTable, Table, TableStyle

#: Rows per table chunk (the header row comes on top of each chunk).
CHUNK_ROWS = 500
CELL_SIZE = 7.5
HEADER_BACKGROUND = colors.HexColor("#e8eef3")
ZEBRA = colors.HexColor("#f6f8fa")
RULE = colors.HexColor("#c8d2dc")
ALERT = colors.HexColor("#c0392b")
GOOD = colors.HexColor("#1e7d46")
MUTED = colors.HexColor("#666666")


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of a statement."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    note: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle


def make_styles() -> Styles:
    """Styles naming DejaVu Sans explicitly (ReportLab's sample styles use Helvetica)."""
    return Styles(
        title=ParagraphStyle("title", fontName=BOLD, fontSize=16, leading=20, spaceAfter=4),
        heading=ParagraphStyle(
            "heading", fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4
        ),
        body=ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=11),
        note=ParagraphStyle(
            "note", fontName=REGULAR, fontSize=7, leading=9, textColor=MUTED, spaceAfter=3
        ),
        cell=ParagraphStyle("cell", fontName=REGULAR, fontSize=CELL_SIZE, leading=9),
        cell_right=ParagraphStyle(
            "cell_right", fontName=REGULAR, fontSize=CELL_SIZE, leading=9, alignment=TA_RIGHT
        ),
    )


def text(value: str) -> str:
    """``value`` safe inside paragraph markup (a name may hold ``&`` or ``<``), with any
    invisible or text-direction character written as ``<U+202E>`` (`reveal`)."""
    return escape(reveal(value, keep_line_breaks=True))


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    widths: Sequence[float],
    numeric: set[int],
    styles: Sequence[tuple[object, ...]] = (),
    total_row: bool = False,
) -> list[LongTable]:
    """A table with a header row, split into chunks of `CHUNK_ROWS` rows.

    ``numeric`` columns are right-aligned; ``styles`` are extra TableStyle commands whose
    rows count from 1 (the first data row) over the whole table, and are moved into the
    chunk that holds their row. ``total_row`` prints the last row in bold above a rule.
    """
    if not rows:
        rows = [["" for _ in header]]
    chunks: list[LongTable] = []
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = list(rows[start : start + CHUNK_ROWS])
        commands: list[tuple[object, ...]] = [
            ("FONT", (0, 0), (-1, -1), REGULAR, CELL_SIZE),
            ("FONT", (0, 0), (-1, 0), BOLD, CELL_SIZE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
            ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ]
        commands += [("ALIGN", (column, 0), (column, -1), "RIGHT") for column in sorted(numeric)]
        for command in styles:
            name, (c0, r0), (c1, r1), *rest = command  # type: ignore[misc]
            if start < r0 <= start + len(chunk):
                row = r0 - start
                commands.append((name, (c0, row), (c1, row + (r1 - r0)), *rest))
        if total_row and start + len(chunk) == len(rows):
            commands += [
                ("FONT", (0, -1), (-1, -1), BOLD, CELL_SIZE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("BACKGROUND", (0, -1), (-1, -1), colors.white),
            ]
        chunks.append(
            LongTable(
                [list(header), *chunk],
                colWidths=list(widths),
                repeatRows=1,
                style=TableStyle(commands),
                hAlign="LEFT",
            )
        )
    return chunks


def key_value_table(
    pairs: Sequence[tuple[str, str]],
    widths: Sequence[float],
    bold_rows: Sequence[int] = (),
    indented_rows: Sequence[int] = (),
    styles: Sequence[tuple[object, ...]] = (),
) -> LongTable:
    """A two-column label/value table without header (the summary, the statement header);
    ``styles`` are extra TableStyle commands."""
    commands: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    commands += [("FONT", (0, row), (-1, row), BOLD, 8.5) for row in bold_rows]
    commands += [("LEFTPADDING", (0, row), (0, row), 14) for row in indented_rows]
    commands += [("TEXTCOLOR", (0, row), (-1, row), MUTED) for row in indented_rows]
    commands += styles
    return LongTable(
        [list(pair) for pair in pairs],
        colWidths=list(widths),
        style=TableStyle(commands),
        hAlign="LEFT",
    )


def layout_table(
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    commands: Sequence[tuple[object, ...]] = (),
) -> Table:
    """A borderless table that places things side by side (no header, top-aligned)."""
    return Table(
        [list(row) for row in rows],
        colWidths=list(widths),
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, CELL_SIZE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                *commands,
            ]
        ),
        hAlign="LEFT",
    )
