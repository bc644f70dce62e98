"""The indicators beside the money on the portal (issue 20), on the example year with its
measurements (examples/saniveld/indicators.csv), on SQLite and PostgreSQL.

What must hold:

- a funder's indicator page shows, per group its money went to, its own money (the overview's
  to the cent) beside exactly the figures `indicator_outcomes(..., funder=its code)` derives,
  in Dutch and English, worded as `indicator_words` words them; the cost per unit redone from
  the page's own money and indicators.csv's counts;
- the steering group's view lists exactly `moved_away` of every funder's money, in its order,
  with each funder's money in the group and their total;
- a funder never reaches a group its money did not go to, another funder's page or the
  steering view; and with the guard taken away, the attack gets through (where the database's
  row security is not there to stop it as well).
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from netfund.cli.commands.demo import DEMO_PASSWORD
from netfund.ledger import (
    GroupOutcomes,
    import_indicators,
    indicator_outcomes,
    moved_away,
    period_figures,
    read_measurements,
    read_network,
    reading,
    value_text,
)
from starlette.testclient import TestClient

from tests.conftest import EXAMPLE, database_url
from tests.support.portal import (
    FUNDER_A,
    FUNDER_B,
    USERS,
    PortalLedger,
    build_example_year,
    client,
    csrf_token,
)
from tests.support.portal import sign_in as sign_in_as

PERIOD = "2026"
AS_OF = datetime.date(2026, 12, 31)
#: A funder whose money went to a few groups only (ZonMw), and a group with indicators that
#: the other funders fund and it does not.
NARROW = "ZONMW"
NOT_NARROWS = "WG-JEUGD-NOORD"
#: Its login, as `netfund demo` makes one for every funder.
NARROW_USER = (NARROW.lower(), DEMO_PASSWORD)
#: A group with indicators funder A funds.
GROUP = "WG-WIJK-NOORD"


class IndicatorCells(HTMLParser):
    """Every indicator row (``tr`` with ``data-indicator``) and every money cell (with
    ``data-cents``), each with the ``data-*`` attributes of the elements around it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self._open: list[tuple[str, dict[str, str]]] = []
        self.rows: list[dict[str, str]] = []
        self.money: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {key: value or "" for key, value in attrs if key.startswith("data-")}
        if tag not in ("br", "input", "meta", "link", "img", "hr"):
            self._open.append((tag, data))
        if tag == "tr" and "data-indicator" in data:
            self.rows.append(data)
        if "data-cents" in data:
            merged: dict[str, str] = {}
            for _, around in self._open:
                merged.update(around)
            self.money.append(merged | data)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return


def expected_row(outcome: Any) -> dict[str, str]:
    """The ``data-*`` attributes a row must carry: `IndicatorOutcome`'s figures, exactly."""

    def exact(value: Decimal | None) -> str:
        return "" if value is None else value_text(value)

    latest = outcome.latest
    return {
        "data-indicator": outcome.indicator.code,
        "data-group": outcome.group,
        "data-latest": exact(None if latest is None else latest.value),
        "data-latest-date": "" if latest is None else latest.date.isoformat(),
        "data-change-previous": exact(outcome.change_since_previous),
        "data-change-start": exact(outcome.change_since_start),
        "data-total": exact(outcome.total),
        "data-reference": exact(outcome.reference),
        "data-reference-now": exact(outcome.reference_now),
        "data-gap": exact(outcome.gap),
        "data-side": outcome.side or "",
        "data-moved-away": "true" if outcome.moved_away else "false",
        "data-spent-cents": str(outcome.spent_cents),
        "data-cost-cents": ""
        if outcome.cost_per_unit_cents is None
        else str(outcome.cost_per_unit_cents),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalLedger]:
    """The example year with its measurements imported."""
    folder = tmp_path_factory.mktemp(f"indicators-{request.param}")
    for url in database_url(request.param, folder, prefix="indicators"):
        built = build_example_year(request.param, url, folder)
        try:
            # Imported on the period's last day, as the example year's story has it (its
            # December measurements are dated up to 31 December); idempotent, so a no-op
            # once `netfund demo` imports them itself.
            import_indicators(built.engine, EXAMPLE / "indicators.csv", today=AS_OF)
            with reading(built.engine) as connection:
                assert len(read_measurements(connection)) > 100
            yield built
        finally:
            built.engine.dispose()


def outcomes(ledger: PortalLedger, funder: str | None) -> tuple[GroupOutcomes, ...]:
    with reading(ledger.engine) as connection:
        return indicator_outcomes(
            read_network(connection, PERIOD),
            PERIOD,
            AS_OF,
            read_measurements(connection, until=AS_OF),
            period_figures(connection, PERIOD, as_of=AS_OF),
            funder=funder,
        )


def sign_in(ledger: PortalLedger, name: str, **options: Any) -> TestClient:
    """A client signed in as ``name``: a user of the portal's tests, or `NARROW_USER`."""
    app = ledger.app()
    if name != NARROW_USER[0]:
        return sign_in_as(app, name, **options)
    browser = client(app, **options)
    form = browser.get("/login").text
    answer = browser.post(
        "/login",
        data={"username": name, "password": NARROW_USER[1], "csrf_token": csrf_token(form)},
    )
    assert answer.status_code == 303, answer.text
    return browser


def get(browser: TestClient, url: str, status: int = 200) -> str:
    answer = browser.get(url)
    assert answer.status_code == status, (url, answer.status_code, answer.text[:500])
    return answer.text


def visible(html: str) -> str:
    """The page's text as a reader sees it (no tags, no charts, spaces folded)."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.mark.parametrize("user", ["wmo", "zorgkantoor", NARROW_USER[0]])
def test_a_funders_page_shows_exactly_its_outcomes_beside_its_own_money(
    ledger: PortalLedger, user: str
) -> None:
    code = USERS[user][1] if user in USERS else NARROW
    browser = sign_in(ledger, user)
    cells = IndicatorCells(get(browser, f"/funders/{code}/indicators?period={PERIOD}"))
    expected = outcomes(ledger, code)
    assert expected and all(group.allocated_cents or group.spent_cents for group in expected)
    # every group its money went to, in the network's order, and nothing else
    assert [row["data-group"] for row in cells.rows] == [
        each.group for group in expected for each in group.indicators
    ]
    assert cells.rows == [expected_row(each) for group in expected for each in group.indicators]
    money = {
        (cell["data-group"], cell["data-figure"]): int(cell["data-cents"]) for cell in cells.money
    }
    assert money == {
        key: cents
        for group in expected
        for key, cents in (
            ((group.group, "allocated"), group.allocated_cents),
            ((group.group, "spent"), group.spent_cents),
        )
    }
    # that money is the overview's (the statement's) to the cent
    overview = IndicatorCells(get(browser, f"/funders/{code}?period={PERIOD}")).money
    lines = {
        (cell["data-group"], cell["data-figure"]): int(cell["data-cents"])
        for cell in overview
        if cell.get("data-group") and cell.get("data-figure") in ("allocated", "spent")
    }
    assert all(lines[key] == cents for key, cents in money.items())
    if code == NARROW:
        assert NOT_NARROWS not in {group.group for group in expected}


def test_the_example_figures_read_from_indicators_csv(ledger: PortalLedger) -> None:
    """Spot checks against the example's own file, not against `indicator_outcomes`: the
    waiting time of Jeugd en gezin Noord and funder A's cost per resident reached in Noord."""
    rows = list(csv.DictReader((EXAMPLE / "indicators.csv").open(encoding="utf-8")))

    def series(indicator: str, group: str) -> list[tuple[str, Decimal]]:
        return sorted(
            (r["date"], Decimal(r["value"]))
            for r in rows
            if r["indicator"] == indicator and r["group"] == group and r["date"] <= "2026-12-31"
        )

    browser = sign_in(ledger, "wmo")
    cells = IndicatorCells(get(browser, f"/funders/{FUNDER_A}/indicators?period={PERIOD}"))
    by_key = {(row["data-indicator"], row["data-group"]): row for row in cells.rows}
    wait = series("WACHTTIJD-VOORDEUR", NOT_NARROWS)
    row = by_key[("WACHTTIJD-VOORDEUR", NOT_NARROWS)]
    assert wait[0][0] < "2026-01-01" <= wait[1][0]  # the example starts from the year before
    assert (row["data-latest-date"], Decimal(row["data-latest"])) == wait[-1]
    assert Decimal(row["data-change-previous"]) == wait[-1][1] - wait[-2][1]
    assert Decimal(row["data-change-start"]) == wait[-1][1] - wait[0][1]
    assert Decimal(row["data-gap"]) == wait[-1][1] - Decimal(10)  # lower is better, ref. 10
    reached = sum(value for day, value in series("BEREIK-VEERKRACHT", GROUP) if day >= "2026")
    row = by_key[("BEREIK-VEERKRACHT", GROUP)]
    spent = next(
        int(cell["data-cents"])
        for cell in cells.money
        if cell["data-group"] == GROUP and cell["data-figure"] == "spent"
    )
    assert Decimal(row["data-total"]) == reached
    each = (Decimal(spent) / reached).quantize(Decimal(1), ROUND_HALF_UP)
    assert row["data-cost-cents"] == str(each) and row["data-spent-cents"] == str(spent)


def test_the_page_in_dutch_and_in_english(ledger: PortalLedger) -> None:
    browser = sign_in(ledger, "wmo")
    url = f"/funders/{FUNDER_A}/indicators?period={PERIOD}"
    cells = IndicatorCells(get(browser, url))
    row = next(r for r in cells.rows if r["data-indicator"] == "BEREIK-VEERKRACHT")
    spent, total, each = int(row["data-spent-cents"]), row["data-total"], row["data-cost-cents"]
    wait = next(
        r
        for r in cells.rows
        if (r["data-indicator"], r["data-group"]) == ("WACHTTIJD-VOORDEUR", NOT_NARROWS)
    )

    def euros(cents: int, language: str) -> str:
        whole, rest = divmod(cents, 100)
        grouped = f"{whole:,}"
        if language == "nl":
            return f"€ {grouped.replace(',', '.')},{rest:02d}"
        return f"€{grouped}.{rest:02d}"

    nl = visible(get(browser, url))
    assert '<html lang="nl">' in get(browser, url)
    for said in (
        "Laatste meting",
        "Sinds de vorige meting",
        "Sinds het begin van 2026",
        "Referentiepunt",
        "Kosten per eenheid",
        f"{euros(spent, 'nl')} / {total} inwoners = {euros(int(each), 'nl')} per inwoner",
        f"{wait['data-latest'].replace('.', ',')} dagen (31 december 2026)",
        f"{wait['data-gap'].replace('.', ',')} dagen boven het referentiepunt van 10 dagen",
        "verder van het referentiepunt dan aan het begin van de periode",
    ):
        assert said in nl, said
    token = csrf_token(get(browser, url))
    switched = browser.post("/language", data={"language": "en", "next": url, "csrf_token": token})
    assert switched.status_code == 303
    html = get(browser, url)
    assert '<html lang="en">' in html
    en = visible(html)
    for said in (
        "Latest measurement",
        "Since the previous measurement",
        "Since the start of 2026",
        "Reference point",
        "Cost per unit",
        f"{euros(spent, 'en')} / {total} residents = {euros(int(each), 'en')} per resident",
        f"{wait['data-latest']} days (31 December 2026)",
        f"{wait['data-gap']} days above the reference point of 10 days",
        "further from the reference point than at the start of the period",
    ):
        assert said in en, said
    # a reference point is never a bar passed or failed
    for word in ("gehaald", "behaald", "voldoende", "onvoldoende", "passed", "failed", "met the"):
        assert word not in nl.lower() and word not in en.lower(), word
    # the same figures in both languages
    assert IndicatorCells(html).rows == cells.rows


def test_the_steering_view_lists_exactly_what_moved_away_with_every_funders_money(
    ledger: PortalLedger,
) -> None:
    every = outcomes(ledger, None)
    moved = moved_away(every)
    assert moved  # the example's story: six indicators moved away
    html = get(sign_in(ledger, "controle"), f"/indicators?period={PERIOD}")
    cells = IndicatorCells(html)
    assert cells.rows == [expected_row(each) for _, each in moved]
    with reading(ledger.engine) as connection:
        figures = period_figures(connection, PERIOD, as_of=AS_OF)
    for group, outcome in moved:
        shown = [
            (cell["data-funder"], cell["data-figure"], int(cell["data-cents"]))
            for cell in cells.money
            if (cell["data-indicator"], cell["data-group"]) == (outcome.indicator.code, group.group)
        ]
        # whose money: each funder's spending on the group, the largest first, then the
        # group's spending and allocation of every funder's money
        spent = [(f.fund, f.spent_cents.get(group.group, 0)) for f in figures.values()]
        by_funder = sorted(((c, f) for f, c in spent if c), key=lambda p: (-p[0], p[1]))
        assert shown == [
            *((fund, "spent", cents) for cents, fund in by_funder),
            ("", "spent", group.spent_cents),
            ("", "allocated", group.allocated_cents),
        ]
        assert sum(cents for cents, _ in by_funder) == group.spent_cents
    assert "Indicatoren: stuurgroep" in html
    # A count's distance, against its reference pro rata to 31 December (the whole 36), is
    # said as the reference is (one decimal more), not with the pro rata's four decimals.
    rows = list(csv.DictReader((EXAMPLE / "indicators.csv").open(encoding="utf-8")))
    avoided = sum(
        int(r["value"])
        for r in rows
        if (r["indicator"], r["group"]) == ("OPNAMES-VOORKOMEN", "WG-HUISARTS-ZUID")
        and r["date"].startswith(PERIOD)
    )
    assert 0 < avoided < 36
    assert f"nu {36 - avoided},0 opnames aan het begin 0,0 opnames" in visible(html)


# --- who may see what ----------------------------------------------------------------------


def test_a_funder_gets_404_for_a_group_its_money_did_not_go_to(ledger: PortalLedger) -> None:
    browser = sign_in(ledger, NARROW_USER[0])
    assert "GEEN-GROEP" not in {g.code for g in _network(ledger).groups}
    unknown = get(browser, f"/funders/{NARROW}/indicators/GEEN-GROEP?period={PERIOD}", 404)
    for group in (NOT_NARROWS, "PMO"):  # funded by others / without indicators
        other = get(browser, f"/funders/{NARROW}/indicators/{group}?period={PERIOD}", 404)
        assert other == unknown  # the same answer: it does not tell the two apart
        assert NOT_NARROWS not in visible(other)
    # staff see that group's page of funder A, whose money went to it
    get(sign_in(ledger, "controle"), f"/funders/{FUNDER_A}/indicators/{NOT_NARROWS}")
    own = get(browser, f"/funders/{NARROW}/indicators/RG-ERVARING?period={PERIOD}")
    assert "data-indicator" in own


def test_a_funder_gets_404_for_another_funders_indicators_and_403_for_the_steering_view(
    ledger: PortalLedger,
) -> None:
    browser = sign_in(ledger, "wmo")
    for url in (
        f"/funders/{FUNDER_B}/indicators?period={PERIOD}",
        f"/funders/{FUNDER_B}/indicators/{GROUP}?period={PERIOD}",
    ):
        assert get(browser, url, 404) == get(browser, url.replace(FUNDER_B, "GEEN-FINANCIER"), 404)
    for url in ("/indicators", f"/indicators?period={PERIOD}"):
        refused = get(browser, url, 403)
        assert FUNDER_B not in refused and "data-indicator" not in refused
    anonymous = sign_in_as(ledger.app(), None).get("/indicators")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_bad_period_is_a_400_never_a_server_error(ledger: PortalLedger) -> None:
    browser = sign_in(ledger, "beheer")
    for url in (
        f"/funders/{FUNDER_A}/indicators?period=20x6",
        f"/funders/{FUNDER_A}/indicators/{GROUP}?period=1;drop",
        "/indicators?period=2026&period=2025",
    ):
        get(browser, url, 400)


def test_without_the_guards_the_attacks_get_through_where_no_database_role_stops_them(
    ledger: PortalLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Take `funder_view`, `staff_view` and `funded_group` away: on SQLite a funder then
    reads another funder's money beside its indicators, every funder's money in the steering
    view, and a group its money did not go to; on PostgreSQL its own database role still
    hides the other funders' money (the second wall, `read_for`)."""
    import netfund.web.indicator_pages as pages
    from netfund.web.guards import need_viewer

    truth = IndicatorCells(
        get(sign_in(ledger, "zorgkantoor"), f"/funders/{FUNDER_B}/indicators?period={PERIOD}")
    )
    assert truth.money
    browser = sign_in(ledger, "wmo")
    steering = f"/indicators?period={PERIOD}"
    other = f"/funders/{FUNDER_B}/indicators?period={PERIOD}"
    assert browser.get(steering).status_code == 403 and browser.get(other).status_code == 404
    monkeypatch.setattr(pages, "funder_view", lambda request, code: need_viewer(request))
    monkeypatch.setattr(pages, "staff_view", lambda request, roles: need_viewer(request))
    answer, seen = browser.get(other), browser.get(steering)
    if ledger.kind == "sqlite":
        assert answer.status_code == 200
        assert IndicatorCells(answer.text).money == truth.money  # funder B's money, leaked
        assert seen.status_code == 200
        assert {c["data-funder"] for c in IndicatorCells(seen.text).money} > {"", FUNDER_A}
    else:  # under funder A's own role the rows of B's money are not there to read
        assert answer.status_code != 200 or not IndicatorCells(answer.text).money
        assert seen.status_code == 200
        assert {c["data-funder"] for c in IndicatorCells(seen.text).money} <= {"", FUNDER_A}
    # The group guard: the narrow funder's outcomes hold no group its money did not go to
    # (`indicator_outcomes(..., funder=)`); `funded_group` makes that absence the answer a
    # group that does not exist gets. Without it, the page is no longer refused as such.
    narrow = sign_in(ledger, NARROW_USER[0], raise_server_exceptions=False)
    url = f"/funders/{NARROW}/indicators/{NOT_NARROWS}?period={PERIOD}"
    assert narrow.get(url).status_code == 404
    monkeypatch.setattr(pages, "funded_group", lambda found, group: found.group(group))
    answer = narrow.get(url)
    assert answer.status_code == 500 and NOT_NARROWS not in answer.text


def _network(ledger: PortalLedger) -> Any:
    with reading(ledger.engine) as connection:
        return read_network(connection, PERIOD)
