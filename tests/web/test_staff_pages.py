"""The staff pages (web/staff_pages.py) on the example year, SQLite and PostgreSQL: the
controller's figures are `load_status`'s and the statements' to the cent, the exports download
as attachments, the administrator's dashboard shows the warnings (readable colours, never
colour alone) and the proposals waiting, and each page is for its roles only.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from netfund.ledger import (
    Posting,
    ProposalRecorded,
    add_user,
    close_period,
    connect,
    import_events,
    initialize,
    load_network,
    post_journal,
)
from netfund.reports.formatting import Formatter
from netfund.reports.statement.embedded import embedded_document
from netfund.reports.statements import prepare_statements
from netfund.reports.status import load_status
from netfund.web.staff_pages import FIGURES

from tests.conftest import NETWORK_TOML, write_events
from tests.support.portal import FUNDER_A, USERS, PortalLedger, sign_in

CSS = Path(__file__).resolve().parents[2] / "web" / "static" / "portal.css"
_CELL = re.compile(
    r'<tr data-funder="([^"]+)">.*?</tr>',
    re.DOTALL,
)
_FIGURE = re.compile(r'data-figure="([a-z]+)" data-cents="(-?[0-9]+)">([^<]*)</td>')


def figures_on(html: str) -> dict[str, dict[str, tuple[int, str]]]:
    """{funder: {figure: (cents, text shown)}} from a page's funders table."""
    return {
        match[1]: {f: (int(c), text) for f, c, text in _FIGURE.findall(match[0])}
        for match in _CELL.finditer(html)
    }


def test_the_controllers_figures_are_load_status_and_the_statements(
    portal_ledger: PortalLedger,
) -> None:
    app = portal_ledger.app(language="nl")
    page = sign_in(app, "controle").get("/controller")
    assert page.status_code == 200
    shown = figures_on(page.text)
    status = load_status(portal_ledger.engine, None, datetime.date.today())
    assert status is not None
    assert list(shown) == [line.code for line in status.funders] + ["total"]
    statements = {
        s.funder.code: s.summary
        for s in prepare_statements(portal_ledger.engine, "2026").statements
    }
    folder = portal_ledger.folder / "statements"
    for line in (*status.funders, status.total):
        for figure in FIGURES:
            cents, text = shown[line.code][figure]
            assert cents == getattr(line.money, f"{figure}_cents"), (line.code, figure)
            assert text == Formatter("nl").money(cents)  # as the statements print it
            if line.code != "total":
                assert cents == getattr(statements[line.code], f"{figure}_cents")
                issued = folder / f"2026-{line.code}.nl.pdf"
                document = embedded_document(issued.read_bytes(), issued)
                assert cents == document["figures"]["summary"][f"{figure}_cents"]
        assert f'href="/funders/{line.code}"' in page.text or line.code == "total"
    # Amounts as the statements print them: GEM's committed euros in Dutch.
    assert shown[FUNDER_A]["committed"] == (421835040, "€\xa04.218.350,40")
    english = sign_in(portal_ledger.app(language="en"), "controle").get("/controller").text
    assert figures_on(english)[FUNDER_A]["committed"] == (421835040, "€4,218,350.40")
    assert "Committed" in english and "Toegezegd" in page.text


def test_the_exports_are_listed_and_download_for_staff_only(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app(language="en")
    controller = sign_in(app, "controle")
    page = controller.get("/controller").text
    exports = portal_ledger.folder / "exports"
    names = sorted(path.name for path in exports.iterdir())
    assert names and re.findall(r'href="/exports/([^"]+)"', page) == names
    assert "journal (csv)" in page and "audit-trail (xlsx)" in page
    size = (exports / "journal-2026.csv").stat().st_size
    assert f"{size:,} bytes" in page
    for name in names:
        answer = controller.get(f"/exports/{name}")
        assert answer.status_code == 200, name
        assert answer.content == (exports / name).read_bytes()
        assert answer.headers["content-disposition"].startswith(f'attachment; filename="{name}"')
        assert answer.headers["x-content-type-options"] == "nosniff"
    csv = controller.get("/exports/journal-2026.csv")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert sign_in(app, "beheer").get("/exports/journal-2026.csv").status_code == 200
    for funder in ("wmo", "zorgkantoor"):
        browser = sign_in(app, funder)
        assert browser.get("/controller").status_code == 403
        assert browser.get("/exports/journal-2026.csv").status_code == 403
    anonymous = sign_in(app, None).get("/exports/journal-2026.csv")
    assert anonymous.status_code == 303


def test_the_dashboard_shows_the_warnings_for_the_administrator_only(
    portal_ledger: PortalLedger,
) -> None:
    app = portal_ledger.app(language="en")
    page = sign_in(app, "beheer").get("/admin")
    assert page.status_code == 200
    status = load_status(portal_ledger.engine, None, datetime.date.today())
    assert status is not None and status.warnings  # the example year has some
    items = re.findall(r'<li class="warning" data-kind="([a-z_]+)">(.*?)</li>', page.text, re.S)
    assert [kind for kind, _ in items] == [w.kind for w in status.warnings]
    for (_, item), warning in zip(items, status.warnings, strict=True):
        assert "⚠" in item and "Warning:" in item  # an icon and a word, not colour alone
        assert warning.message in item and f"concerns {warning.subject}" in item
    assert "Group overspent" in page.text  # the example overspends WG-JEUGD-NOORD
    shown = figures_on(page.text)
    for line in status.funders:
        assert shown[line.code]["spent"][0] == line.money.spent_cents
    for group in status.groups:
        assert f'<tr data-group="{group.code}">' in page.text
    assert "No proposals wait for approval." in page.text
    assert sign_in(app, "controle").get("/admin").status_code == 403
    assert sign_in(app, "wmo").get("/admin").status_code == 403
    dutch = sign_in(portal_ledger.app(language="nl"), "beheer").get("/admin").text
    assert "Waarschuwing: Groep overbesteed" in dutch


def test_a_bad_period_is_refused_and_another_period_shown(portal_ledger: PortalLedger) -> None:
    browser = sign_in(portal_ledger.app(language="en"), "beheer")
    for bad in ("abc", "2026-01", "１２３４", "99999"):
        answer = browser.get("/controller", params={"period": bad})
        assert answer.status_code == 400, bad
    empty = browser.get("/controller", params={"period": "2025"})
    assert empty.status_code == 200
    assert all(
        cents == 0 for figures in figures_on(empty.text).values() for cents, _ in figures.values()
    )


def _hex_rgb(value: str) -> tuple[float, float, float]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def contrast(ink: str, paper: str) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(colour: str) -> float:
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in _hex_rgb(colour)
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(ink), luminance(paper)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_warning_colours_meet_wcag_aa() -> None:
    # The calculator against WCAG's own figures: black on white 21:1, #777 on white 4.48:1.
    assert round(contrast("#000", "#fff"), 2) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
    css = CSS.read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})\s*;", css))
    rule = re.search(r"\.warning\s*\{([^}]*)\}", css)
    assert rule is not None
    assert "var(--warning-ink)" in rule[1] and "var(--warning-paper)" in rule[1]
    pairs = [
        ("warning-ink", "warning-paper"),  # a warning's text on its own background
        ("warning-ink", "paper"),
        ("ok-ink", "paper"),  # "still holds"
        ("accent", "paper"),  # links
    ]
    for ink, paper in pairs:
        assert contrast(colours[ink], colours[paper]) >= 4.5, (ink, paper)


NETWORK_WITH_APPROVALS = NETWORK_TOML + '\n[approvals]\npost_above = "100.00"\nclose = true\n'


def test_the_proposals_waiting_show_what_approving_them_does(db_url: str, tmp_path: Path) -> None:
    from netfund.web.app import create_app

    network = tmp_path / "network.toml"
    network.write_text(NETWORK_WITH_APPROVALS, encoding="utf-8")
    engine = connect(db_url)
    try:
        initialize(engine, load_network(network))
        import_events(
            engine,
            write_events(
                tmp_path / "events.csv",
                ["c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1"],
            ),
        )
        with pytest.raises(ProposalRecorded):
            post_journal(
                engine,
                "BIG-1",
                datetime.date(2026, 3, 1),
                "Grote correctie",
                [
                    Posting("Expenses:WG-A", "GEM", "WG-A", 25000),
                    Posting("Assets:Bank", "GEM", None, -25000),
                ],
            )
        with pytest.raises(ProposalRecorded):
            close_period(engine, "2026", force=True, reason="year end")
        for name in ("beheer", "controle"):
            role, _, password = USERS[name]
            add_user(engine, name, role, None, password)
        app = create_app(engine, files=tmp_path, language="en")
        page = sign_in(app, "beheer").get("/admin").text
        rows = dict(re.findall(r'<tr data-proposal="([0-9]+)">(.*?)</tr>', page, re.S))
        assert list(rows) == ["1", "2"]
        assert "<code>netfund approve 1</code>" in rows["1"]
        assert (
            "posts transaction BIG-1 dated 2026-03-01: 1 transactions, debits €250.00" in rows["1"]
        )
        assert "<code>netfund approve 2</code>" in rows["2"] and "closes period 2026" in rows["2"]
        assert "year end" in rows["2"]
        # No folder of files (a PostgreSQL ledger served without --files): nothing offered.
        app.state.files = None
        controller = sign_in(app, "controle")
        assert "start the portal with --files DIR" in controller.get("/controller").text
        assert controller.get("/exports/events.csv").status_code == 404
        assert (
            "No statements have been issued yet." in controller.get("/funders/GEM/statements").text
        )
        assert controller.get("/funders/GEM/statements/2026-GEM.en.pdf").status_code == 404
    finally:
        engine.dispose()


def test_a_hostile_export_file_name_is_text_and_cannot_break_the_headers(
    portal_ledger: PortalLedger, tmp_path: Path
) -> None:
    from netfund.web.app import create_app

    exports = tmp_path / "exports"
    exports.mkdir()
    hostile = '<img src=x onerror=alert(1)>"; x=1\r\nSet-Cookie: stolen=1 €.csv'
    (exports / hostile).write_text("a,b\n", encoding="utf-8")
    app = create_app(portal_ledger.engine, files=tmp_path, language="en")
    controller = sign_in(app, "controle")
    page = controller.get("/controller").text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;" in page
    (href,) = re.findall(r'href="/exports/([^"]+)"', page)
    answer = controller.get(f"/exports/{href}")
    assert answer.status_code == 200 and answer.text == "a,b\n"
    assert "stolen" not in answer.headers.get("set-cookie", "")
    disposition = answer.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.startswith('attachment; filename="_img_src_x_onerror_alert_1___')
    encoded = "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%22%3B%20x%3D1%0D%0ASet-Cookie"
    assert f"filename*=UTF-8''{encoded}" in disposition


def test_every_warning_kind_and_proposal_action_has_its_words() -> None:
    from netfund.ledger.proposals import LEDGER_PERFORMERS
    from netfund.web.staff_pages import WARNING_KINDS, WORDS

    # The kinds `load_status` documents for its warnings (reports/status.py, `Warning`).
    documented = re.findall(r"``([a-z_]+)``", _warning_doc())
    assert sorted(WARNING_KINDS) == sorted(documented)
    for kind in (*WARNING_KINDS, "other"):
        assert all(WORDS[f"staff_warning_{kind}"])
    for action in (*LEDGER_PERFORMERS, "allocation-commit", "other"):
        assert all(WORDS[f"staff_does_{action.replace('-', '_')}"])


def _warning_doc() -> str:
    from netfund.reports.status import Warning

    doc = Warning.__doc__ or ""
    return doc[doc.index("kind:") : doc.index("subject:")]
