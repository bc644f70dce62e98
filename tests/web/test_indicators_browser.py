"""The indicators beside the money in a real browser: Chromium, driven by Playwright, against
`netfund serve` on the demo ledger with the example's measurements (issue 20).

A funder opens its indicators from the navigation and sees, per group its money went to, a
trend chart per indicator: drawn (it has a size on the screen), its line and its dashed
reference point there, and a text alternative a screen reader reads (the ``<svg>``'s title
and description name the indicator and every measurement). The steering group's view shows
the charts of what moved away. Screenshots go to a temporary folder (``NETFUND_SCREENSHOTS``
names another); look at them.

Without Chromium the module is skipped, except under CI=true, where it fails: CI must prove it.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from netfund.cli.commands.demo import DEMO_PASSWORD, DEMO_STAFF
from netfund.cli.main import cli
from netfund.ledger import connect, import_indicators

from tests.conftest import EXAMPLE
from tests.support.portal_server import Server, serving

CHROMIUM = Path("/usr/bin/chromium")
FUNDER = "GEM-SANIVELD-WMO"
GROUP = "WG-JEUGD-NOORD"
ADMINISTRATOR = next(name for name, role in DEMO_STAFF if role == "administrator")

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("indicators-browser") / "netfund-demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    engine = connect(f"sqlite:///{folder / 'netfund.db'}")
    try:
        # on the year's last day (its December measurements); a no-op once the demo does it
        import_indicators(engine, EXAMPLE / "indicators.csv", today=datetime.date(2026, 12, 31))
    finally:
        engine.dispose()
    with serving(
        f"sqlite:///{folder / 'netfund.db'}", folder.parent / "serve.log", "--files", str(folder)
    ) as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    chosen = os.environ.get("NETFUND_SCREENSHOTS")
    folder = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="netfund-screens-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, server: Server, name: str) -> None:
    page.goto(f"{server.base}/login")
    page.fill("#username", name)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")


#: What a screen reader is given of each chart: its accessible name and description.
CHARTS = """() => [...document.querySelectorAll('svg.trend')].map(svg => {
    const box = svg.getBoundingClientRect();
    const [title, desc] = svg.getAttribute('aria-labelledby').split(' ')
        .map(id => document.getElementById(id).textContent);
    return {role: svg.getAttribute('role'), title, desc, width: box.width, height: box.height,
        trend: svg.querySelectorAll('polyline[data-line=trend]').length,
        reference: [...svg.querySelectorAll('polyline[data-line=reference]')]
            .map(line => line.getAttribute('stroke-dasharray')),
        points: svg.querySelectorAll('circle').length}; })"""


def test_a_funder_sees_a_trend_chart_per_indicator_with_its_reference_point(
    page: Any, server: Server, screenshots: Path
) -> None:
    sign_in(page, server, FUNDER.lower())
    assert page.url == f"{server.base}/funders/{FUNDER}"
    page.click(f"nav a[href='/funders/{FUNDER}/indicators']")
    assert page.url == f"{server.base}/funders/{FUNDER}/indicators"
    rows = page.locator("table.indicators tbody tr[data-indicator]")
    assert rows.count() > 10
    charts = page.evaluate(CHARTS)
    assert len(charts) == rows.count()  # every indicator of the example has measurements
    for chart in charts:
        assert chart["role"] == "img"
        assert chart["width"] > 200 and chart["height"] > 100, chart  # drawn, on the screen
        assert chart["trend"] == 1 and chart["points"] >= 2, chart
        assert chart["reference"] == ["6 4"], chart  # every indicator has a 2026 reference
        assert chart["title"] and "2026" in chart["desc"] and "referentiepunt" in chart["desc"]
    page.screenshot(path=str(screenshots / "indicators.png"), full_page=True)

    # One group's page: its charts say its waiting time in words.
    page.click(f"section[data-group='{GROUP}'] h2 a")
    assert page.url == f"{server.base}/funders/{FUNDER}/indicators/{GROUP}?period=2026"
    waiting = page.locator("figure[data-trend='WACHTTIJD-VOORDEUR'] svg")
    assert waiting.is_visible()
    described = page.evaluate(CHARTS)[0]["desc"]
    assert described.startswith("gemeten: 12,0 dagen (31 december 2025); ")
    assert "17,0 dagen (31 december 2026)" in described
    page.screenshot(path=str(screenshots / "indicators-group.png"), full_page=True)

    # In English, the same chart in English words; nothing scrolls sideways.
    page.click("form.language button[value='en']")
    described = page.evaluate(CHARTS)[0]["desc"]
    assert described.startswith("measured: 12.0 days (31 December 2025); ")
    width, window = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= window
    page.click("form.language button[value='nl']")

    # The steering view is not the funder's to see.
    answer = page.goto(f"{server.base}/indicators")
    assert answer is not None and answer.status == 403


def test_the_steering_group_sees_what_moved_away_with_its_charts(
    page: Any, server: Server, screenshots: Path
) -> None:
    sign_in(page, server, ADMINISTRATOR)
    page.click("nav a[href='/indicators']")
    assert page.url == f"{server.base}/indicators"
    rows = page.locator("table.steering > tbody > tr[data-indicator]")
    assert rows.count() > 0
    charts = page.evaluate(CHARTS)
    assert len(charts) == rows.count()
    assert all(chart["reference"] == ["6 4"] and chart["width"] > 200 for chart in charts)
    width, window = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= window
    page.screenshot(path=str(screenshots / "indicators-steering.png"), full_page=True)
