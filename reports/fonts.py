"""The one typeface of every statement: DejaVu Sans, shipped in the package and embedded.

ReportLab falls back to Helvetica, one of the 14 standard fonts that are referenced but never
embedded, wherever a font is not named: a table cell, a chart label, the canvas's initial
font. A PDF that names a font it does not embed renders differently per viewer and fails
archival checks, so every paragraph style, table, drawing and the canvas get these names, and
a test runs `pdffonts` to prove no other font is in the file. DejaVu Sans covers the euro
sign, Dutch diacritics and the check marks the statement uses.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


def register_fonts() -> None:
    """Register both faces with ReportLab once per process (later calls do nothing).

    The files are read through importlib.resources, so they are found in a wheel as in a
    checkout; ReportLab reads a TTF completely when registering it.
    """
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, filename in _FILES.items():
        if name in registered:
            continue
        with as_file(files("netfund.reports") / "fonts" / filename) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    # <b> in a paragraph switches to the bold face; there are no italics, so those map too.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
