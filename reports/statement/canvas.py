"""The statement's canvas: "page X of Y", the footer, a fixed date and the embedded figures.

"Page X of Y" needs Y before any page is written, so the canvas keeps each finished page's
state and draws the footers when the document is saved (ReportLab's NumberedCanvas recipe).
The same save step embeds the figures as an attachment. The document's dates are the as-of
date, not the clock, and the document is built with ``invariant=1`` (no random file id), so
the same ledger and as-of date give the same bytes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from netfund.reports.fonts import REGULAR
from netfund.reports.statement.embedded import attach
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

FOOTER_SIZE = 6.5


@dataclass(frozen=True)
class Footer:
    """What every page's footer says.

    Attributes:
        left: the first line on the left (netfund version, network, period, funder).
        fingerprint: the second line: the ledger fingerprint.
        page: the page label with ``{page}`` and ``{pages}`` placeholders.
        margin: left and right margin in points.
        date: the document's creation date (the statement's as-of date).
        attachment: the JSON to embed.
        attachment_description: its description in the PDF.
    """

    left: str
    fingerprint: str
    page: str
    margin: float
    date: datetime.date
    attachment: bytes
    attachment_description: str


class StatementCanvas(Canvas):
    """A canvas that numbers pages "X of Y", writes the footer and embeds the figures."""

    def __init__(self, *args: Any, footer: Footer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []
        stamp = f"D:{footer.date:%Y%m%d}000000+00'00'"
        self.setDateFormatter(lambda *_: stamp)

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, pages)
            super().showPage()
        attach(self, self._footer.attachment, self._footer.attachment_description)
        super().save()

    def _draw_footer(self, number: int, pages: int) -> None:
        footer = self._footer
        width = self._pagesize[0]
        self.saveState()
        self.setStrokeColor(colors.HexColor("#c8d2dc"))
        self.setLineWidth(0.5)
        self.line(footer.margin, 34, width - footer.margin, 34)
        self.setFont(REGULAR, FOOTER_SIZE)
        self.setFillColor(colors.HexColor("#555555"))
        page = footer.page.format(page=number, pages=pages)
        room = width - 2 * footer.margin - stringWidth(page, REGULAR, FOOTER_SIZE) - 12
        self.drawString(footer.margin, 25, _fit(footer.left, room))
        self.drawString(footer.margin, 17, footer.fingerprint)
        self.drawRightString(width - footer.margin, 25, page)
        self.restoreState()


def _fit(text: str, width: float) -> str:
    """``text``, cut short with an ellipsis if it is wider than ``width`` points."""
    if stringWidth(text, REGULAR, FOOTER_SIZE) <= width:
        return text
    while text and stringWidth(text + "…", REGULAR, FOOTER_SIZE) > width:
        text = text[:-1]
    return text.rstrip() + "…"
