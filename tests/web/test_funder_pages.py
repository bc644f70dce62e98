"""A funder's pages on the example year: the overview, a group's postings, all postings, CSV.

What must hold, on SQLite and PostgreSQL:

- the page, the JSON API and the PDF statement agree to the cent, for every funder (the page's
  figures are read from its ``data-cents`` attributes, the PDF's from its embedded JSON);
- paging, sorting and filters give exactly the lines a direct SQL selection sorted in Python
  gives; a page past the end says so;
- the CSV holds the same lines as the API's pages, and its totals are the API's;
- a funder never sees another funder's figures or lines: not by its code in any URL, nor
  through a filter, a group or a page.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from netfund.ledger import funder_reading, reading
from netfund.reports.portal import FIGURES
from sqlalchemy import text
from starlette.testclient import TestClient

from tests.support.portal import FUNDER_A, FUNDER_B, PortalLedger, sign_in
from tests.support.postings import direct_postings, in_order
from tests.support.statements import FUNDERS, embedded

PERIOD = "2026"
_VOID = frozenset({"br", "input", "meta", "link", "img", "hr", "source"})


class DataCells(HTMLParser):
    """Every element carrying ``data-cents``, with the ``data-*`` attributes of it and of
    the elements around it (the row's group, the table's kind)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._open: list[tuple[str, dict[str, str]]] = []
        self.cells: list[dict[str, str]] = []
        self.rows: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {key: value or "" for key, value in attrs if key.startswith("data-")}
        if tag not in _VOID:
            self._open.append((tag, data))
        if tag == "tr" and "data-line" in data:
            self.rows.append(data)
        if "data-cents" in data:
            merged: dict[str, str] = {}
            for _, around in self._open:
                merged.update(around)
            merged.update(data)
            self.cells.append(merged)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return


def page_figures(html: str) -> dict[str, int]:
    """The seven figures of an overview page, in cents."""
    return {
        f"{cell['data-figure']}_cents": int(cell["data-cents"])
        for cell in DataCells(html).cells
        if cell.get("data-figure") in FIGURES
        and "data-group" not in cell
        and "data-schedule" not in cell
    }


def page_groups(html: str) -> list[dict[str, Any]]:
    """The per-group table of an overview page, in its order."""
    groups: dict[str, dict[str, Any]] = {}
    for cell in DataCells(html).cells:
        if "data-group" in cell and "data-figure" in cell:
            line = groups.setdefault(cell["data-group"], {"group": cell["data-group"]})
            line[f"{cell['data-figure']}_cents"] = int(cell["data-cents"])
    return list(groups.values())


def page_lines(html: str) -> list[tuple[int, int]]:
    """(transaction, line) of each row of a postings table, in order."""
    return [(int(row["data-transaction"]), int(row["data-line"])) for row in DataCells(html).rows]


@pytest.fixture
def staff(portal_ledger: PortalLedger) -> TestClient:
    return sign_in(portal_ledger.app(), "controle")


@pytest.fixture
def funder_a(portal_ledger: PortalLedger) -> TestClient:
    return sign_in(portal_ledger.app(), "wmo")


def _get(browser: TestClient, url: str, status: int = 200) -> Any:
    answer = browser.get(url)
    assert answer.status_code == status, (url, answer.status_code, answer.text[:500])
    return answer


def test_page_api_and_statement_agree_for_every_funder(
    portal_ledger: PortalLedger, staff: TestClient, funder_a: TestClient
) -> None:
    funder_b = sign_in(portal_ledger.app(), "zorgkantoor")
    own = {FUNDER_A: funder_a, FUNDER_B: funder_b}
    for code in FUNDERS:
        document = embedded(portal_ledger.folder / "statements" / f"{PERIOD}-{code}.nl.pdf")
        stated = document["figures"]
        html = _get(staff, f"/funders/{code}?period={PERIOD}").text
        assert "Het geld van deze financier" in html  # staff are not addressed as the funder
        summary = _get(staff, f"/api/funders/{code}/summary?period={PERIOD}").json()
        groups = _get(staff, f"/api/funders/{code}/groups?period={PERIOD}").json()
        expected = {f"{name}_cents": stated["summary"][f"{name}_cents"] for name in FIGURES}
        assert page_figures(html) == summary["figures"] == expected, code
        assert expected["spent_cents"] > 0
        assert (summary["funder"], summary["period"], summary["as_of"]) == (
            code,
            PERIOD,
            document["as_of"],
        )
        assert summary["fingerprint"] == document["fingerprint"]
        assert summary["currency"] == "EUR"
        in_statement = stated["groups"]
        assert page_groups(html) == in_statement, code
        assert [
            {key: group[key] for key in ("allocated_cents", "spent_cents", "remaining_cents")}
            | {"group": group["code"]}
            for group in groups
        ] == in_statement
        # Receipts, refunds, the schedule and the funder's own overhead checks, by the cent.
        cells = DataCells(html).cells
        for kind in ("receipts", "refunds"):
            listed = [
                {"transaction": int(c["data-transaction"]), "amount_cents": int(c["data-cents"])}
                for c in cells
                if c.get("data-movements") == kind and "data-transaction" in c
            ]
            assert listed == [
                {"transaction": m["transaction"], "amount_cents": m["amount_cents"]}
                for m in stated[kind]
            ]
        schedule = {
            c["data-figure"]: int(c["data-cents"])
            for c in cells
            if c.get("data-schedule") == "totals"
        }
        if stated["summary"]["committed_cents"]:
            assert schedule == {
                "committed": stated["summary"]["committed_cents"],
                "due": stated["schedule"]["due_cents"],
                "received_for_period": stated["schedule"]["received_for_period_cents"],
                "overdue": stated["schedule"]["overdue_cents"],
            }
        checks = [c for c in cells if "data-check" in c]
        assert [int(c["data-cents"]) for c in checks] == [
            cents
            for check in stated["overhead"]
            if check["key"].startswith("funder_")
            for cents in (check["overhead_cents"], check["total_cents"])
        ]
        # The funder itself, signed in, sees the very same figures of its own money.
        if code in own:
            own_html = _get(own[code], f"/funders/{code}").text
            assert "Uw geld in het netwerkfonds" in own_html
            assert page_figures(own_html) == expected
            assert page_groups(own_html) == in_statement
            own_summary = _get(own[code], f"/api/funders/{code}/summary").json()
            assert own_summary["figures"] == expected
            # Row security hides the other funders' transactions; the fingerprint is still
            # the ledger's, as the funder's PDF states it (roles.py, _CHAIN_FACTS).
            assert own_summary["fingerprint"] == document["fingerprint"], code
    if portal_ledger.kind == "postgresql":
        # The premise of the comparison above: a funder's session reads its own fund only.
        with funder_reading(portal_ledger.engine, FUNDER_A) as connection:
            funds = set(connection.execute(text("SELECT DISTINCT fund FROM postings")).scalars())
        assert funds == {FUNDER_A}


def test_the_overview_shows_no_other_funder_and_no_network_total(
    portal_ledger: PortalLedger, funder_a: TestClient
) -> None:
    html = _get(funder_a, f"/funders/{FUNDER_A}").text
    with reading(portal_ledger.engine) as connection:
        from netfund.ledger import read_network

        network = read_network(connection, PERIOD)
    for funder in network.funders:
        if funder.code != FUNDER_A:
            assert funder.code not in html and funder.name not in html
    document = embedded(portal_ledger.folder / "statements" / f"{PERIOD}-{FUNDER_A}.nl.pdf")
    network_cents = {str(v) for v in document["figures"]["network"].values() if v}
    shown = {cell["data-cents"] for cell in DataCells(html).cells}
    own_cents = {str(v) for v in document["figures"]["summary"].values()}
    assert not (network_cents - own_cents) & shown
    # The chart: inline SVG with presentation attributes, a title and a description.
    assert "<svg" in html and 'role="img"' in html and "<title" in html and "<desc" in html
    assert "style=" not in html and "<script" not in html


def test_paging_sorting_and_filters_match_a_direct_selection(
    portal_ledger: PortalLedger, funder_a: TestClient
) -> None:
    with reading(portal_ledger.engine) as connection:
        every = direct_postings(connection, FUNDER_A, PERIOD)
    assert len(every) > 100
    for sort, order in (("date", "asc"), ("amount", "desc"), ("group", "asc"), ("account", "desc")):
        expected = [
            (line.transaction, line.line) for line in in_order(every, sort, order == "desc")
        ]
        first = _get(funder_a, f"/funders/{FUNDER_A}/postings?sort={sort}&order={order}").text
        pages = int(re.search(r'data-pages="(\d+)"', first)[1])  # type: ignore[index]
        assert pages == -(-len(every) // 50)
        shown = page_lines(first)
        for number in range(2, pages + 1):
            url = f"/funders/{FUNDER_A}/postings?sort={sort}&order={order}&page={number}"
            shown += page_lines(_get(funder_a, url).text)
        assert shown == expected, (sort, order)
    # The column headers are the sort links, the current one marked for assistive technology.
    sorted_page = _get(funder_a, f"/funders/{FUNDER_A}/postings?sort=amount").text
    assert 'aria-sort="ascending"' in sorted_page
    assert "sort=amount&amp;order=desc" in sorted_page
    # Filters: dates and a group, on the postings page and on the group's own page.
    group = next(line.group for line in every if line.group)
    chosen = [
        line
        for line in in_order(every, "date")
        if line.group == group and "2026-03-01" <= line.date.isoformat() <= "2026-09-30"
    ]
    for url in (
        f"/funders/{FUNDER_A}/postings?group={group}&from=2026-03-01&to=2026-09-30",
        f"/funders/{FUNDER_A}/groups/{group}?from=2026-03-01&to=2026-09-30",
    ):
        html = _get(funder_a, url).text
        assert page_lines(html) == [(line.transaction, line.line) for line in chosen[:50]]
        assert f'data-total="{len(chosen)}"' in html
        assert f'data-sum-cents="{sum(line.amount_cents for line in chosen)}"' in html
    # The form that sets them has a label for every field.
    for field in ("period", "group", "from", "to"):
        assert f'<label for="{field}">' in html or field == "group"
        assert f'id="{field}"' in html or field == "group"


def test_a_page_past_the_end_says_so(funder_a: TestClient) -> None:
    html = _get(funder_a, f"/funders/{FUNDER_A}/postings?page=9999").text
    assert page_lines(html) == []
    assert re.search(r'data-total="[1-9]\d*"', html)
    pages = -(-int(re.search(r'data-total="(\d+)"', html)[1]) // 50)  # type: ignore[index]
    assert f"Pagina 9999 bestaat niet: er zijn {pages} pagina&#39;s." in html
    assert f'href="/funders/{FUNDER_A}/postings?period=2026&amp;page={pages}"' in html


def test_the_csv_holds_the_pages_lines_and_the_apis_totals(
    portal_ledger: PortalLedger, funder_a: TestClient
) -> None:
    for query in ("", "&group=PROGRAMMABUREAU", "&from=2026-04-01&to=2026-06-30&sort=amount"):
        answer = _get(funder_a, f"/funders/{FUNDER_A}/postings.csv?period={PERIOD}{query}")
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="{PERIOD}-{FUNDER_A}-postings.csv"'
        )
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))
        api_rows: list[dict[str, Any]] = []
        page = 1
        while True:
            url = f"/api/funders/{FUNDER_A}/postings?period={PERIOD}{query}&page={page}"
            body = _get(funder_a, url).json()
            api_rows += body["rows"]
            if page >= body["pages"]:
                break
            page += 1
        assert len(rows) == body["total"] == len(api_rows)
        assert sum(int(row["amount_cents"]) for row in rows) == body["sum_cents"]
        assert [(int(r["transaction"]), int(r["line"])) for r in rows] == [
            (r["transaction"], r["line"]) for r in api_rows
        ]
        for row in rows:
            assert Decimal(row["amount"]) * 100 == int(row["amount_cents"])
    assert rows, "the last selection holds lines"


@pytest.mark.parametrize(
    "path",
    [
        "/funders/{code}",
        "/funders/{code}/postings",
        "/funders/{code}/postings.csv",
        "/funders/{code}/groups/PROGRAMMABUREAU",
        "/funders/{code}/postings?group=PROGRAMMABUREAU&page=2",
    ],
)
def test_another_funders_pages_are_not_found_like_unknown_ones(
    funder_a: TestClient, staff: TestClient, path: str
) -> None:
    asked, unknown_path = path.format(code=FUNDER_B), path.format(code="NO-SUCH-FUNDER")
    other = _get(funder_a, asked, 404)
    unknown = _get(funder_a, unknown_path, 404)
    # The same page, but for the address it echoes (the language switch returns to it).
    echoed = asked.replace("&", "&amp;")
    assert other.text.replace(echoed, "") == unknown.text.replace(
        unknown_path.replace("&", "&amp;"), ""
    )
    assert FUNDER_B not in other.text.replace(echoed, "")
    _get(staff, path.format(code=FUNDER_B), 200)


def test_a_funders_lines_hold_no_other_funds_line_whatever_the_filter(
    portal_ledger: PortalLedger, funder_a: TestClient
) -> None:
    with reading(portal_ledger.engine) as connection:
        mine = direct_postings(connection, FUNDER_A, PERIOD)
        theirs = direct_postings(connection, FUNDER_B, PERIOD)
    own = {(line.transaction, line.line) for line in mine}
    groups = sorted({line.group for line in theirs if line.group})
    seen: set[tuple[int, int]] = set()
    for group in groups:
        for url in (
            f"/funders/{FUNDER_A}/groups/{group}?sort=amount&order=desc",
            f"/funders/{FUNDER_A}/postings?group={group}&sort=description",
        ):
            seen |= set(page_lines(_get(funder_a, url).text))
        body = _get(funder_a, f"/api/funders/{FUNDER_A}/postings?group={group}").json()
        seen |= {(row["transaction"], row["line"]) for row in body["rows"]}
        answer = _get(funder_a, f"/funders/{FUNDER_A}/postings.csv?group={group}")
        seen |= {
            (int(row["transaction"]), int(row["line"]))
            for row in csv.DictReader(io.StringIO(answer.text))
        }
    assert seen <= own and seen


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("sort=fund", "cannot sort by &#39;fund&#39;"),
        ("sort=amount_cents%3B+DROP+TABLE+postings", "cannot sort by"),
        ("order=sideways", "order &#39;sideways&#39; is not asc or desc"),
        ("page=0", "page &#39;0&#39; is not a page number"),
        ("page=-1", "is not a page number"),
        ("page=1e3", "is not a page number"),
        ("page=", "page &#39;&#39; is not a page number"),
        ("period=20x6", "is not a calendar year"),
        ("from=2026-13-01", "is not a date written as YYYY-MM-DD"),
        ("from=2026-05-02&to=2026-05-01", "from-date 2026-05-02 is after to-date 2026-05-01"),
        ("group=NO-SUCH-GROUP", "group &#39;NO-SUCH-GROUP&#39; is not in the network"),
        ("page=1&page=2", "is given more than once"),
    ],
)
def test_bad_parameters_are_a_400_that_says_why(
    funder_a: TestClient, query: str, reason: str
) -> None:
    for path in ("postings", "postings.csv"):
        answer = _get(funder_a, f"/funders/{FUNDER_A}/{path}?{query}", 400)
        assert reason in answer.text
    body = _get(funder_a, f"/api/funders/{FUNDER_A}/postings?{query}", 400).json()
    assert reason.replace("&#39;", "'") in body["error"]


def test_anonymous_visitors_are_sent_to_sign_in(portal_ledger: PortalLedger) -> None:
    anonymous = sign_in(portal_ledger.app(), None)
    for path in ("", "/postings", "/postings.csv", "/groups/PROGRAMMABUREAU"):
        answer = _get(anonymous, f"/funders/{FUNDER_A}{path}", 303)
        assert answer.headers["location"].startswith("/login?next=")


def test_words_follow_the_language(portal_ledger: PortalLedger, funder_a: TestClient) -> None:
    dutch = _get(funder_a, f"/funders/{FUNDER_A}").text
    assert "Toegezegd" in dutch and "Toets aansturing en overhead" in dutch
    assert '<html lang="nl">' in dutch
    english = sign_in(portal_ledger.app(language="en"), "wmo")
    text = _get(english, f"/funders/{FUNDER_A}").text
    assert "Committed" in text and "Overhead check" in text
    assert page_figures(text) == page_figures(dutch)
