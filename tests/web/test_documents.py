"""The files the portal hands out (web/documents.py), on SQLite and PostgreSQL: which
statements are a funder's, which names a download may use, what a statement's check says
after the ledger or the file changed, and the exports with their log entries.

First the functions, driven directly, so each refusal is shown at the function that refuses;
then the pages (`/funders/{code}/statements`, the PDFs, `/exports/{name}`) through a signed-in
client on the example year (tests/support/portal.py), per role.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from netfund.ledger import Posting, import_events, post_journal
from netfund.ledger.exports import ExportRequest, run_export
from netfund.reports.statements import (
    parse_statement_name,
    prepare_statements,
    statement_name,
    write_statements,
)
from netfund.web.documents import (
    CheckCache,
    export_files,
    folder_files,
    funder_statement,
    funder_statements,
    listed_file,
    read_listed,
)
from pypdf import PdfReader, PdfWriter
from sqlalchemy import Engine

from tests.conftest import write_events
from tests.support.portal import (
    FUNDER_A,
    FUNDER_B,
    PortalLedger,
    build_example_year,
    sign_in,
)

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,100000.00,Toezegging,BESL-1",
    "c-zvk,2026-01-05,commitment,ZVK,,50000.00,Toezegging,BESL-2",
    "c-zonmw,2026-01-06,commitment,ZONMW,,30000.00,Subsidie,ZONMW-1",
    "r-gem,2026-01-20,receipt,GEM,,60000.00,Tranche,BANK-1",
    "r-zvk,2026-01-21,receipt,ZVK,,50000.00,Betaling,BANK-2",
    "a-gem-a,2026-02-01,allocation,GEM,WG-A,40000.00,Budget A,B-1",
    "a-zvk-a,2026-02-01,allocation,ZVK,WG-A,20000.00,Budget A,B-1",
    "e-1,2026-03-01,expense,GEM,WG-A,1234.57,Huur,F-1",
    "e-2,2026-03-02,expense,ZVK,WG-A,99.99,Koffie,F-2",
]

#: A file the naive ``statements / name`` would reach with ``../netfund.db``.
SECRET = b"SQLite format 3\x00 the ledger itself"


@pytest.fixture
def files(engine: Engine, tmp_path: Path) -> Path:
    """A served folder: every funder's 2026 statement in English and GEM's in Dutch, an
    interim one of GEM, an exports folder, and a ``netfund.db`` beside them."""
    import_events(engine, write_events(tmp_path / "events.csv", EVENTS))
    root = tmp_path / "served"
    statements = root / "statements"
    write_statements(prepare_statements(engine, "2026", language="en"), statements)
    write_statements(prepare_statements(engine, "2026", "GEM", language="nl"), statements)
    interim = prepare_statements(engine, "2026", "GEM", "en", datetime.date(2026, 2, 15))
    write_statements(interim, statements)
    (root / "exports").mkdir()
    (root / "netfund.db").write_bytes(SECRET)
    return root


def _names(statements: list) -> list[str]:  # type: ignore[type-arg]
    return [s.file.name for s in statements]


def test_statement_names_parse_back_to_what_statement_name_wrote(
    engine: Engine, tmp_path: Path
) -> None:
    import_events(engine, write_events(tmp_path / "events.csv", EVENTS))
    for as_of in (None, datetime.date(2026, 2, 15)):
        for data in prepare_statements(engine, "2026", as_of=as_of, language="nl").statements:
            parsed = parse_statement_name(statement_name(data))
            assert parsed is not None
            assert (parsed.period, parsed.funder, parsed.language) == (
                "2026",
                data.funder.code,
                "nl",
            )
            assert parsed.as_of == (data.as_of if data.interim else None)
    for name in (
        "2026-GEM.de.pdf",  # not a statement language
        "2026-GEM.interim-2026-12-31.nl.pdf",  # the last day is the annual statement
        "2026-GEM.interim-2025-06-30.nl.pdf",  # before the period
        "2026-GEM.interim-2026-02-30.nl.pdf",  # no such day
        "0999-GEM.nl.pdf",  # no period the ledger can hold
        "../2026-GEM.nl.pdf",
        "2026-GEM.nl.pdf/",
        "2026-GEM.nl.pdf\n",
        "2026-GEM.nl.PDF",
        "2026-.nl.pdf",
        "２０２６-GEM.nl.pdf",  # fullwidth digits
    ):
        assert parse_statement_name(name) is None, name


def test_a_funder_lists_only_its_own_statements(engine: Engine, files: Path) -> None:
    statements = files / "statements"
    # ZVK's statement copied under a GEM name: the name says GEM, the contents say ZVK.
    shutil.copy(statements / "2026-ZVK.en.pdf", statements / "2026-GEM.interim-2026-03-31.en.pdf")
    # Not statements, or not files directly in the folder: never listed.
    (statements / "notes.txt").write_text("GEM", encoding="utf-8")
    (statements / ".2026-GEM.en.pdf.tmp").write_bytes(b"%PDF-")
    (statements / "2026-GEM.interim-2026-04-30.nl.pdf").mkdir()
    cache = CheckCache()
    gem = funder_statements(engine, files, "GEM", cache)
    assert _names(gem) == [
        "2026-GEM.en.pdf",
        "2026-GEM.nl.pdf",
        "2026-GEM.interim-2026-02-15.en.pdf",
    ]
    assert all(s.downloadable and s.check is not None and s.check.holds for s in gem)
    assert [s.as_of for s in gem] == [datetime.date(2026, 12, 31)] * 2 + [
        datetime.date(2026, 2, 15)
    ]
    assert _names(funder_statements(engine, files, "ZVK", cache)) == ["2026-ZVK.en.pdf"]
    assert _names(funder_statements(engine, files, "ZONMW", cache)) == ["2026-ZONMW.en.pdf"]
    assert funder_statements(engine, files, "NOBODY", cache) == []
    # Downloads find only what the listing offers.
    assert funder_statement(engine, files, "GEM", "2026-GEM.en.pdf", cache) is not None
    for code, name in (
        ("GEM", "2026-ZVK.en.pdf"),  # another funder's
        ("ZVK", "2026-GEM.en.pdf"),
        ("GEM", "2026-GEM.interim-2026-03-31.en.pdf"),  # ZVK's contents under GEM's name
        ("ZVK", "2026-GEM.interim-2026-03-31.en.pdf"),
        ("GEM", "notes.txt"),
    ):
        assert funder_statement(engine, files, code, name, cache) is None, (code, name)


def test_path_traversal_is_refused_where_the_naive_join_would_serve_the_ledger(
    engine: Engine, files: Path, tmp_path: Path
) -> None:
    statements = files / "statements"
    outside = tmp_path / "outside.pdf"
    shutil.copy(statements / "2026-GEM.en.pdf", outside)
    os.symlink(outside, statements / "2026-GEM.interim-2026-01-31.en.pdf")  # points out
    os.symlink(files / "netfund.db", files / "exports" / "ledger.db")
    attacks = [
        "../netfund.db",
        "..",
        ".",
        "",
        "%2e%2e/netfund.db",
        "..%2fnetfund.db",
        "..\\netfund.db",
        "/etc/passwd",
        str(files / "netfund.db"),
        str(statements / "2026-GEM.en.pdf"),  # absolute, even to a good file
        "./2026-GEM.en.pdf",
        "statements/2026-GEM.en.pdf",
        "2026-GEM.en.pdf/",
        "2026-GEM.en.pdf\x00",
        "2026-GEM.interim-2026-01-31.en.pdf",  # the link out of the folder
    ]
    # The naive approach: join the folder and the name the browser sent.
    assert (statements / "../netfund.db").read_bytes() == SECRET
    assert (files / "exports" / "ledger.db").read_bytes() == SECRET
    cache = CheckCache()
    listing = folder_files(statements)
    exports = folder_files(files / "exports")
    assert listing and listed_file(listing, "2026-GEM.en.pdf") is not None
    for name in attacks:
        assert listed_file(listing, name) is None, name
        assert listed_file(exports, name) is None, name
        assert funder_statement(engine, files, "GEM", name, cache) is None, name
    assert listed_file(exports, "ledger.db") is None
    assert all(not item.path.is_symlink() for item in listing + exports)


def test_a_file_swapped_for_a_link_after_listing_is_not_read(files: Path) -> None:
    statements = files / "statements"
    listing = folder_files(statements)
    item = listed_file(listing, "2026-ZVK.en.pdf")
    assert item is not None
    content = read_listed(item)
    assert content is not None and content.startswith(b"%PDF-")
    item.path.unlink()
    os.symlink(files / "netfund.db", item.path)
    assert read_listed(item) is None
    item.path.unlink()
    item.path.write_bytes(SECRET)  # another file under the same name
    assert read_listed(item) is None


def test_a_late_transaction_in_the_period_makes_the_statement_no_longer_hold(
    engine: Engine, files: Path
) -> None:
    cache = CheckCache()
    before = funder_statements(engine, files, "GEM", cache)
    assert all(s.check is not None and s.check.holds for s in before)
    checks = cache.checks_run
    assert checks == 3
    funder_statements(engine, files, "GEM", cache)  # nothing changed: nothing re-checked
    assert cache.checks_run == checks
    # A late invoice dated in the period, after the interim statement's as-of date.
    post_journal(
        engine,
        "LATE-1",
        datetime.date(2026, 11, 30),
        "Late invoice",
        [
            Posting("Expenses:WG-A", "GEM", "WG-A", 12345),
            Posting("Assets:Bank", "GEM", None, -12345),
        ],
    )
    after = {s.file.name: s for s in funder_statements(engine, files, "GEM", cache)}
    assert cache.checks_run == checks + 3  # the ledger moved: every file checked again
    annual = after["2026-GEM.en.pdf"].check
    assert annual is not None and not annual.holds and annual.in_chain
    assert {"summary.spent_cents", "groups[WG-A].spent_cents", "summary.unspent_cents"} <= set(
        annual.differing
    )
    assert annual.added_since == 1
    interim = after["2026-GEM.interim-2026-02-15.en.pdf"].check
    assert interim is not None and interim.holds  # dated after its as-of: still holds


def _replace_attachment(path: Path, change: dict) -> None:  # type: ignore[type-arg]
    """Rewrite the statement's embedded figures (a forger's edit with an ordinary library)."""
    reader = PdfReader(path)
    document = json.loads(reader.attachments["netfund-statement.json"][0])
    document["figures"]["summary"].update(change)
    writer = PdfWriter(clone_from=reader)
    writer._root_object.pop("/Names")  # the old attachment goes
    writer.add_attachment("netfund-statement.json", json.dumps(document).encode())
    output = io.BytesIO()
    writer.write(output)
    path.write_bytes(output.getvalue())


def test_a_tampered_statement_shows_its_failure(engine: Engine, files: Path) -> None:
    statements = files / "statements"
    cache = CheckCache()
    assert funder_statements(engine, files, "ZVK", cache)[0].check.holds  # type: ignore[union-attr]
    _replace_attachment(statements / "2026-ZVK.en.pdf", {"spent_cents": 1})
    (forged,) = funder_statements(engine, files, "ZVK", cache)
    assert forged.check is not None and not forged.check.holds
    assert "summary.spent_cents" in forged.check.differing
    # Garbled beyond reading: listed with its failure, never handed out.
    gem = statements / "2026-GEM.nl.pdf"
    gem.write_bytes(gem.read_bytes()[:2000])
    listed = {s.file.name: s for s in funder_statements(engine, files, "GEM", cache)}
    broken = listed["2026-GEM.nl.pdf"]
    assert broken.check is None and broken.unreadable and not broken.downloadable
    assert funder_statement(engine, files, "GEM", "2026-GEM.nl.pdf", cache) is None
    # A statement renamed to another period: the name no longer states what it holds.
    os.rename(statements / "2026-GEM.en.pdf", statements / "2026-GEM.interim-2026-05-31.en.pdf")
    renamed = next(
        s
        for s in funder_statements(engine, files, "GEM", cache)
        if s.file.name == "2026-GEM.interim-2026-05-31.en.pdf"
    )
    assert renamed.check is not None and not renamed.check.name_matches
    assert not renamed.check.holds


def test_a_signed_statement_with_bytes_appended_fails_its_signature(
    engine: Engine, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netfund.reports.statement.signing import load_signer

    from tests.support.statements import write_pkcs12

    monkeypatch.setenv("NETFUND_TEST_KEY_PASSWORD", "geheim-voor-de-test")
    key, _ = write_pkcs12(tmp_path, "geheim-voor-de-test")
    signer = load_signer(key, "NETFUND_TEST_KEY_PASSWORD")
    signed_folder = tmp_path / "signed"
    write_statements(
        prepare_statements(engine, "2026", "ZONMW", "en"), signed_folder, signer=signer
    )
    target = files / "statements" / "2026-ZONMW.en.pdf"
    shutil.copy(signed_folder / "2026-ZONMW.en.pdf", target)
    cache = CheckCache()
    (good,) = funder_statements(engine, files, "ZONMW", cache)
    assert good.check is not None and good.check.signed and good.check.signature_ok
    assert good.check.holds
    with target.open("ab") as handle:
        handle.write(b"\n% appended after signing\n")
    (appended,) = funder_statements(engine, files, "ZONMW", cache)
    assert appended.check is not None and appended.check.signed
    assert appended.check.signature_ok is False and not appended.check.holds


def test_exports_are_listed_with_their_log_entries(engine: Engine, files: Path) -> None:
    exports = files / "exports"
    run_export(engine, ExportRequest("journal", "csv", exports / "journal-2026.csv", "2026"))
    run_export(engine, ExportRequest("trial-balance", "csv", exports / "tb-2026.csv", "2026"))
    (exports / "handmade.csv").write_text("a,b\n", encoding="utf-8")
    os.symlink(files / "netfund.db", exports / "netfund.db")
    listed = {e.file.name: e for e in export_files(engine, files)}
    assert sorted(listed) == ["handmade.csv", "journal-2026.csv", "tb-2026.csv"]
    assert listed["journal-2026.csv"].kind == "journal"
    assert listed["tb-2026.csv"].kind == "trial-balance"
    assert listed["handmade.csv"].kind is None
    assert listed["journal-2026.csv"].file.size == (exports / "journal-2026.csv").stat().st_size
    assert listed["journal-2026.csv"].media_type.startswith("text/csv")
    # A folder moved elsewhere: the log's paths no longer match, names and sizes still do.
    moved = files.parent / "moved"
    shutil.copytree(files, moved, symlinks=True)
    assert {e.file.name: e.kind for e in export_files(engine, moved)} == {
        "handmade.csv": None,
        "journal-2026.csv": "journal",
        "tb-2026.csv": "trial-balance",
    }


# --- the pages ----------------------------------------------------------------------------


def main_of(html: str) -> str:
    """The page's content (the frame around it names the page's own path)."""
    return html[html.index("<main") : html.index("</main>")]


def _statement_links(html: str, code: str) -> list[str]:
    return re.findall(rf'href="/funders/{re.escape(code)}/statements/([^"]+)"', html)


def test_each_funder_sees_only_its_own_statements(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app(language="en")
    own = sign_in(app, "wmo")
    page = own.get(f"/funders/{FUNDER_A}/statements")
    assert page.status_code == 200
    assert _statement_links(page.text, FUNDER_A) == [f"2026-{FUNDER_A}.nl.pdf"]
    assert FUNDER_B not in page.text
    assert 'data-status="holds"' in page.text and "Still holds" in page.text
    assert page.text.count("✓") == 1  # the status is a word and an icon, not a colour only
    unknown = own.get("/funders/NOBODY/statements")
    assert unknown.status_code == 404
    for path in (
        f"/funders/{FUNDER_B}/statements",
        f"/funders/{FUNDER_B}/statements/2026-{FUNDER_B}.nl.pdf",
        f"/funders/{FUNDER_A}/statements/2026-{FUNDER_B}.nl.pdf",  # B's file under A's code
    ):
        refused = own.get(path)
        assert (refused.status_code, main_of(refused.text)) == (404, main_of(unknown.text)), path
    other = sign_in(app, "zorgkantoor").get(f"/funders/{FUNDER_B}/statements")
    assert _statement_links(other.text, FUNDER_B) == [f"2026-{FUNDER_B}.nl.pdf"]
    for staff in ("controle", "beheer"):
        seen = sign_in(app, staff).get(f"/funders/{FUNDER_A}/statements")
        assert _statement_links(seen.text, FUNDER_A) == [f"2026-{FUNDER_A}.nl.pdf"], staff
    anonymous = sign_in(app, None).get(f"/funders/{FUNDER_A}/statements/2026-{FUNDER_A}.nl.pdf")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_statement_downloads_as_an_attachment(portal_ledger: PortalLedger) -> None:
    name = f"2026-{FUNDER_A}.nl.pdf"
    answer = sign_in(portal_ledger.app(), "wmo").get(f"/funders/{FUNDER_A}/statements/{name}")
    assert answer.status_code == 200
    assert answer.content == (portal_ledger.folder / "statements" / name).read_bytes()
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith(f'attachment; filename="{name}"')
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_traversal_over_http_is_the_unknown_page(portal_ledger: PortalLedger) -> None:
    controller = sign_in(portal_ledger.app(), "beheer")
    unknown = controller.get("/no-such-page")
    statements = f"/funders/{FUNDER_A}/statements/"
    for path in (
        statements + "..%2F..%2Fnetfund.db",
        statements + "%2e%2e%2fnetfund.db",
        statements + "%2e%2e",
        statements + "..%5Cnetfund.db",
        statements + "%2Fetc%2Fpasswd",
        statements
        + quote(str(portal_ledger.folder / "statements" / f"2026-{FUNDER_A}.nl.pdf"), ""),
        statements + f"2026-{FUNDER_A}.nl.pdf%00",
        "/exports/..%2Fnetfund.db",
        "/exports/%2e%2e%2fnetfund.db",
        "/exports/%2e%2e",
        "/exports/netfund.db",
        "/exports/%2Fetc%2Fpasswd",
        "/exports/" + quote(str(portal_ledger.folder / "netfund.db"), ""),
    ):
        refused = controller.get(path)
        assert (refused.status_code, main_of(refused.text)) == (404, main_of(unknown.text)), path
        assert b"SQLite format" not in refused.content


def test_a_late_transaction_and_a_tampered_file_show_on_the_page(
    db_url: str, tmp_path: Path
) -> None:
    kind = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    ledger = build_example_year(kind, db_url, tmp_path)
    try:
        app = ledger.app(language="en")
        funder = sign_in(app, "wmo")
        path = f"/funders/{FUNDER_A}/statements"
        assert 'data-status="holds"' in funder.get(path).text
        checks = app.state.statement_checks.checks_run
        assert funder.get(path).status_code == 200
        assert app.state.statement_checks.checks_run == checks  # unchanged: not re-checked
        # A late invoice dated in the period, posted after the statement was written.
        post_journal(
            ledger.engine,
            "LATE-INVOICE",
            datetime.date(2026, 11, 30),
            "Late invoice",
            [
                Posting("Expenses:WG-WIJK-NOORD", FUNDER_A, "WG-WIJK-NOORD", 12345),
                Posting("Assets:Bank", FUNDER_A, None, -12345),
            ],
        )
        page = funder.get(path).text
        assert 'data-status="fails"' in page and "No longer holds" in page
        assert "<code>summary.spent_cents</code>" in page
        assert "<code>groups[WG-WIJK-NOORD].spent_cents</code>" in page
        assert "123.45" not in page and "12345" not in page  # not the ledger's figures now
        # A forged copy of B's statement: its own page shows the figure it changed.
        _replace_attachment(
            ledger.folder / "statements" / f"2026-{FUNDER_B}.nl.pdf", {"received_cents": 1}
        )
        forged = sign_in(app, "zorgkantoor").get(f"/funders/{FUNDER_B}/statements").text
        assert 'data-status="fails"' in forged and "<code>summary.received_cents</code>" in forged
    finally:
        ledger.engine.dispose()
