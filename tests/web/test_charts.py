"""The budget chart: SVG the page's Content-Security-Policy allows, readable without sight,
with bar lengths computed from cents in integers."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from netfund.reports.formatting import Formatter
from netfund.reports.statement.data import GroupLine
from netfund.web.charts import WIDTH, ChartWords, bar_length, budget_chart

WORDS = ChartWords("Allocated and spent", "allocated", "spent", "overspent", "(no group)")
SVG = "{http://www.w3.org/2000/svg}"


def test_bars_scale_in_integers_from_zero() -> None:
    assert bar_length(0, 100, 400) == 0
    assert bar_length(-5, 100, 400) == 0  # a net reversal draws nothing
    assert bar_length(100, 100, 400) == 400
    assert bar_length(1, 10**12, 400) == 1  # a cent is never drawn as nothing
    assert bar_length(50, 100, 401) == 201  # half up: 200.5 -> 201
    assert isinstance(bar_length(33, 97, 486), int)


def test_the_chart_is_accessible_svg_without_style_or_script() -> None:
    lines = (
        GroupLine("WG-A", 'Wijk <script>alert("x")</script> & co', False, None, 100_000, 40_000),
        GroupLine("PMO", "Programmabureau", True, None, 20_000, 25_050),
        GroupLine("", "", False, None, 0, 1_234),
    )
    svg = str(budget_chart(lines, Formatter("nl"), WORDS, "budget"))
    assert "style=" not in svg and "<script" not in svg
    root = ElementTree.fromstring(svg)  # well-formed: every text escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "budget-title budget-desc"
    assert root.find(f"{SVG}title").text == "Allocated and spent"
    described = root.find(f"{SVG}desc").text
    assert 'Wijk <script>alert("x")</script> & co: allocated € 1.000,00, spent € 400,00' in (
        described.replace("\u00a0", " ")
    )
    assert "Programmabureau: allocated € 200,00, spent € 250,50 (overspent)" in (
        described.replace("\u00a0", " ")
    )
    bars = root.findall(f"{SVG}rect")[3:]  # after the legend's three swatches
    widths = [int(bar.get("width")) for bar in bars]
    assert widths[0] == WIDTH - 4 - 150  # the largest amount fills the plot
    assert widths[1] == round(40_000 * widths[0] / 100_000)
    fills = [bar.get("fill") for bar in bars]
    assert fills[3] == "#b30000"  # PMO spent more than allocated
    assert all(bar.find(f"{SVG}title") is not None for bar in bars)
    assert "(no group)" in svg
    assert re.fullmatch(r"\d+", root.get("height"))
    assert str(budget_chart((), Formatter("en"), WORDS, "empty")) == ""
