"""The portal in a real browser: Chromium, driven by Playwright, against `netfund serve`.

The demo ledger (`netfund demo`, with its demo logins) is served by the real server in a child
process; Debian's Chromium (/usr/bin/chromium; Playwright's own browser download cannot run
here) signs in as a funder, reads the overview and checks its seven figures against the
figures embedded in the funder's statement PDF, drills down from a group to its postings,
sorts them, downloads the statement, switches the language and signs out. The accessibility
checks: every field has a label, the page says its language, the keyboard reaches the sign-in
fields and button in order, and the warning colour keeps a contrast of at least 4.5:1
(WCAG AA) against its background. The indicators (issue 20): a funder's trend charts, drawn,
with their dashed reference points and a text alternative, and the steering group's view.
Screenshots go to a temporary folder
(``NETFUND_SCREENSHOTS`` names another), never into the repository.

Without Chromium the module is skipped, except under CI=true, where it fails: CI must prove it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from netfund.cli.commands.demo import DEMO_PASSWORD, DEMO_STAFF
from netfund.cli.main import cli
from netfund.reports.statement.embedded import embedded_document, read_statement_file

from tests.support.portal_server import Server, serving

CHROMIUM = Path("/usr/bin/chromium")
FUNDER = "GEM-SANIVELD-WMO"
GROUP = "WG-WIJK-NOORD"
#: The group whose indicators the indicator pages' test opens (issue 20).
INDICATOR_GROUP = "WG-JEUGD-NOORD"
STATEMENT = f"2026-{FUNDER}.nl.pdf"
SEVEN = ("committed", "received", "allocated", "spent", "refunded", "unspent", "unallocated")
ADMINISTRATOR = next(name for name, role in DEMO_STAFF if role == "administrator")
#: WCAG 2.x AA for normal text.
CONTRAST_MIN = 4.5

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser") / "netfund-demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def server(demo: Path) -> Iterator[Server]:
    with serving(
        f"sqlite:///{demo / 'netfund.db'}", demo.parent / "serve.log", "--files", str(demo)
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
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, server: Server, name: str, password: str) -> None:
    page.goto(f"{server.base}/")
    assert page.url.startswith(f"{server.base}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")


def language(page: Any) -> str:
    return str(page.evaluate("document.documentElement.lang"))


def test_a_funder_reads_drills_down_downloads_switches_language_and_signs_out(
    page: Any, server: Server, demo: Path, chromium: Any, screenshots: Path
) -> None:
    page.goto(f"{server.base}/")
    assert page.url == f"{server.base}/login"
    page.screenshot(path=str(screenshots / "login.png"), full_page=True)
    sign_in(page, server, FUNDER.lower(), DEMO_PASSWORD)
    assert page.url == f"{server.base}/funders/{FUNDER}"

    # The overview's seven figures are the statement's, to the cent.
    path = demo / "statements" / STATEMENT
    stated = embedded_document(read_statement_file(path), path)["figures"]["summary"]
    cells = page.locator("table.figures td[data-figure]")
    shown = {
        cells.nth(i).get_attribute("data-figure"): int(cells.nth(i).get_attribute("data-cents"))
        for i in range(cells.count())
    }
    assert set(shown) == set(SEVEN)
    assert shown == {key: stated[f"{key}_cents"] for key in SEVEN}
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)

    # Drill down: the group's line links to its postings, which sort by amount both ways.
    page.click(f"tr[data-group='{GROUP}'] th a")
    assert page.url.startswith(f"{server.base}/funders/{FUNDER}/groups/{GROUP}")
    assert page.locator("table.postings tbody tr").count() > 0
    for order in ("ascending", "descending"):
        page.click("table.postings thead a[data-sort='amount']")
        assert "sort=amount" in page.url
        header = page.locator("table.postings thead th:has(a[data-sort='amount'])")
        assert header.get_attribute("aria-sort") == order
        amounts = [
            int(value)
            for value in page.locator("table.postings tbody td[data-cents]").evaluate_all(
                "cells => cells.map(cell => cell.dataset.cents)"
            )
        ]
        assert len(amounts) > 1
        assert amounts == sorted(amounts, reverse=order == "descending")
    page.screenshot(path=str(screenshots / "postings.png"), full_page=True)

    # The statement's download is the file on disk, byte for byte.
    page.goto(f"{server.base}/funders/{FUNDER}/statements")
    with page.expect_download() as download:
        page.click(f"a[href$='/{STATEMENT}']")
    assert Path(download.value.path()).read_bytes() == path.read_bytes()
    assert download.value.suggested_filename == STATEMENT

    # The language switch: <html lang> and the words follow.
    page.goto(f"{server.base}/funders/{FUNDER}")
    assert language(page) == "nl"
    page.click("form.language button[value='en']")
    assert language(page) == "en"
    assert page.url == f"{server.base}/funders/{FUNDER}"
    page.click("form.language button[value='nl']")
    assert language(page) == "nl"

    # Sign out: back to the form, and the old cookie opens nothing any more.
    cookies = page.context.cookies()
    assert [cookie["name"] for cookie in cookies] == ["netfund_session"]
    assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
    page.click("form.sign-out button[type=submit]")
    assert page.url.startswith(f"{server.base}/login")
    stale = chromium.new_context()
    try:
        stale.add_cookies(cookies)
        other = stale.new_page()
        other.goto(f"{server.base}/funders/{FUNDER}")
        assert other.url.startswith(f"{server.base}/login?next=")
    finally:
        stale.close()
    assert DEMO_PASSWORD not in server.output.read_text(encoding="utf-8", errors="replace")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(field => field.type !== 'hidden')
    .filter(field => field.labels.length === 0 && !field.getAttribute('aria-label')
        && !field.getAttribute('aria-labelledby'))
    .map(field => field.outerHTML)"""

FOCUSED = """() => { const e = document.activeElement;
    return e ? (e.id || e.name || e.tagName.toLowerCase() + ':' + (e.type || '')
        + ':' + (e.textContent || '').trim()) : null; }"""

COLOURS = """element => { const style = getComputedStyle(element);
    let back = element, background = 'rgba(0, 0, 0, 0)';
    while (back) { background = getComputedStyle(back).backgroundColor;
        if (!/rgba\\(.*, 0\\)$/.test(background) && background !== 'transparent') break;
        back = back.parentElement; background = 'rgb(255, 255, 255)'; }
    return [style.color, background]; }"""


def _fields_without_label(page: Any) -> list[str]:
    return list(page.evaluate(UNLABELLED))


def _luminance(colour: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two CSS rgb() colours."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_is_computed_as_wcag_says() -> None:
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(119, 119, 119)", "rgb(255, 255, 255)") == pytest.approx(4.48, abs=0.01)
    assert contrast("rgb(255, 255, 255)", "rgb(255, 255, 255)") == pytest.approx(1.0)


def test_the_pages_are_usable_by_keyboard_and_screen_reader(
    page: Any, server: Server, screenshots: Path
) -> None:
    page.goto(f"{server.base}/login")
    assert language(page) in ("nl", "en")
    assert _fields_without_label(page) == []
    # The name field has the focus on arrival; from the top of the page (the skip link, the
    # first stop) the keyboard reaches the name, the password and the button, in that order.
    assert page.evaluate(FOCUSED) == "username"
    page.focus("a.skip")
    reached = []
    for _ in range(25):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(FOCUSED))
    order = [reached.index(target) for target in ("username", "password")]
    button = next(
        i
        for i, item in enumerate(reached)
        if item and item.startswith("button:submit:") and i > order[1]
    )
    assert order[0] < order[1] < button, reached
    # A failed sign-in shows its warning in a colour that can be read.
    page.fill("#username", ADMINISTRATOR)
    page.fill("#password", "not-the-password")
    page.click("form[action='/login'] button[type=submit]")
    warning = page.locator("p.notice.warning")
    assert warning.count() == 1
    foreground, background = warning.evaluate(COLOURS)
    assert contrast(foreground, background) >= CONTRAST_MIN, (foreground, background)

    # Signed in as the administrator: the dashboard's warnings, every field labelled.
    sign_in(page, server, ADMINISTRATOR, DEMO_PASSWORD)
    assert page.url == f"{server.base}/admin"
    assert language(page) in ("nl", "en")
    assert _fields_without_label(page) == []
    warnings = page.locator(".warning")
    assert warnings.count() > 0, "the demo year has warnings to show"
    for index in range(warnings.count()):
        foreground, background = warnings.nth(index).evaluate(COLOURS)
        ratio = contrast(foreground, background)
        assert ratio >= CONTRAST_MIN, (index, foreground, background, ratio)
    page.screenshot(path=str(screenshots / "admin.png"), full_page=True)
    for path in (f"/funders/{FUNDER}", f"/funders/{FUNDER}/postings", "/controller"):
        page.goto(f"{server.base}{path}")
        assert _fields_without_label(page) == [], path
        assert language(page) in ("nl", "en"), path
    said = server.output.read_text(encoding="utf-8", errors="replace")
    assert DEMO_PASSWORD not in said and "not-the-password" not in said


FUNDER_LOGIN = FUNDER.lower()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        (FUNDER_LOGIN, f"/funders/{FUNDER}"),
        (FUNDER_LOGIN, f"/funders/{FUNDER}/groups/{GROUP}"),
        (FUNDER_LOGIN, f"/funders/{FUNDER}/postings"),
        (FUNDER_LOGIN, f"/funders/{FUNDER}/statements"),
        (ADMINISTRATOR, "/admin"),
        (ADMINISTRATOR, "/controller"),
    ],
)
def test_no_page_scrolls_sideways_on_a_laptop_screen(
    chromium: Any, server: Server, name: str, path: str
) -> None:
    """At 1280 pixels wide (a common laptop) every page fits: nothing hides to the right."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server, name, DEMO_PASSWORD)
        page.goto(f"{server.base}{path}")
        assert page.url == f"{server.base}{path}"
        width, window = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width <= window, (path, width, window)
    finally:
        context.close()


# --- The indicators beside the money (issue 20): a trend chart per indicator, drawn, with its
# dashed reference point and a text alternative a screen reader reads (the <svg>'s title and
# description name the indicator and every measurement); the steering group's view.

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
    sign_in(page, server, FUNDER.lower(), DEMO_PASSWORD)
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
    page.click(f"section[data-group='{INDICATOR_GROUP}'] h2 a")
    assert page.url == f"{server.base}/funders/{FUNDER}/indicators/{INDICATOR_GROUP}?period=2026"
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
    sign_in(page, server, ADMINISTRATOR, DEMO_PASSWORD)
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
