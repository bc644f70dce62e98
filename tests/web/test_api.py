"""The JSON API of a funder's money: its shapes, its refusals, and text that tries to be code.

Integers only (cents), never floats; 401 without a session, 404 for another funder's code
exactly as for an unknown one, 400 for a bad parameter, each as JSON. On a ledger of its own,
descriptions that are markup, a spreadsheet formula or a text-direction trick are shown as
text on the page, kept as stored in the JSON, and neutralised in the CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger import add_user, chain_hash_at, import_events, install_roles, reading
from netfund.web.app import create_app
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from tests.conftest import write_events
from tests.support.portal import FUNDER_A, FUNDER_B, PortalLedger, client, csrf_token, sign_in
from tests.support.postings import direct_postings, in_order

PERIOD = "2026"
ENDPOINTS = ("summary", "groups", "postings")


@pytest.fixture
def funder_a(portal_ledger: PortalLedger) -> TestClient:
    return sign_in(portal_ledger.app(), "wmo")


def _json(browser: TestClient, url: str, status: int = 200) -> Any:
    answer = browser.get(url)
    assert answer.status_code == status, (url, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == "application/json"
    return answer.json()


def _no_floats(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list):
        for item in value:
            _no_floats(item)


def test_the_shapes_hold_integers_only(portal_ledger: PortalLedger, funder_a: TestClient) -> None:
    summary = _json(funder_a, f"/api/funders/{FUNDER_A}/summary?period={PERIOD}")
    assert set(summary) == {"funder", "period", "as_of", "currency", "fingerprint", "figures"}
    assert set(summary["figures"]) == {
        "committed_cents",
        "received_cents",
        "allocated_cents",
        "spent_cents",
        "refunded_cents",
        "unspent_cents",
        "unallocated_cents",
    }
    assert all(type(cents) is int for cents in summary["figures"].values())
    assert set(summary["fingerprint"]) == {"transaction", "hash"}
    groups = _json(funder_a, f"/api/funders/{FUNDER_A}/groups?period={PERIOD}")
    assert groups and all(
        set(group) == {"code", "name", "allocated_cents", "spent_cents", "remaining_cents"}
        and group["remaining_cents"] == group["allocated_cents"] - group["spent_cents"]
        for group in groups
    )
    assert sum(g["allocated_cents"] for g in groups) == summary["figures"]["allocated_cents"]
    assert sum(g["spent_cents"] for g in groups) == summary["figures"]["spent_cents"]
    postings = _json(funder_a, f"/api/funders/{FUNDER_A}/postings?period={PERIOD}&page=2")
    with reading(portal_ledger.engine) as connection:
        every = in_order(direct_postings(connection, FUNDER_A, PERIOD), "date")
    assert (postings["page"], postings["total"]) == (2, len(every))
    assert postings["pages"] == -(-len(every) // 50)
    assert [(row["transaction"], row["line"]) for row in postings["rows"]] == [
        (line.transaction, line.line) for line in every[50:100]
    ]
    first = postings["rows"][0]
    assert set(first) == {
        "date",
        "transaction",
        "line",
        "id",
        "type",
        "group",
        "account",
        "description",
        "reference",
        "amount_cents",
    }
    for body in (summary, groups, postings):
        _no_floats(body)
    # Past the last page: an empty page that still tells the total.
    past = _json(funder_a, f"/api/funders/{FUNDER_A}/postings?page=9999")
    assert (past["rows"], past["total"], past["page"]) == ([], len(every), 9999)


def test_refusals_are_json(portal_ledger: PortalLedger, funder_a: TestClient) -> None:
    anonymous = sign_in(portal_ledger.app(), None)
    staff = sign_in(portal_ledger.app(), "controle")
    for endpoint in ENDPOINTS:
        url = f"/api/funders/{{code}}/{endpoint}"
        assert _json(anonymous, url.format(code=FUNDER_A), 401) == {"error": "sign in first"}
        other = _json(funder_a, url.format(code=FUNDER_B), 404)
        assert other == _json(funder_a, url.format(code="NO-SUCH-FUNDER"), 404)
        assert other == {"error": "not found"}
        _json(staff, url.format(code=FUNDER_B), 200)
        bad = _json(funder_a, url.format(code=FUNDER_A) + "?period=twenty", 400)
        assert "is not a calendar year" in bad["error"]
    assert "page" in _json(funder_a, f"/api/funders/{FUNDER_A}/postings?page=0", 400)["error"]
    assert "page" in _json(funder_a, f"/api/funders/{FUNDER_A}/postings?page=x", 400)["error"]


#: Text a funder's own administrator could have typed, each aiming at one reader.
HOSTILE = [
    "c-1,2026-01-05,commitment,GEM,,1000.00,<script>alert('page')</script>,=HYPERLINK(\"http://x\")",
    "r-1,2026-02-01,receipt,GEM,,1000.00,=1+2,+31 6 1234",
    "a-1,2026-02-02,allocation,GEM,WG-A,600.00,@SUM(A1:A9),-5",
    'x-1,2026-03-01,expense,GEM,WG-A,130.00,"invoice \u202egpj.exe",F-1',
    "c-2,2026-03-02,commitment,ZVK,,55.55,Toezegging ZVK,B-2",
]


@pytest.fixture
def hostile(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The test network with `HOSTILE` imported and GEM's portal login signed in."""
    import_events(engine, write_events(tmp_path / "events.csv", HOSTILE))
    if engine.dialect.name == "postgresql":
        install_roles(engine)
    add_user(engine, "gem", "funder", "GEM", "Gem-wachtwoord-lang-genoeg-4711")
    browser = client(create_app(engine, files=tmp_path))
    form = browser.get("/login")
    answer = browser.post(
        "/login",
        data={
            "username": "gem",
            "password": "Gem-wachtwoord-lang-genoeg-4711",
            "csrf_token": csrf_token(form.text),
        },
    )
    assert answer.status_code == 303, answer.text
    yield browser


def test_hostile_text_stays_text(hostile: TestClient) -> None:
    html = hostile.get("/funders/GEM/postings?period=2026").text
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;page&#39;)" in html
    assert "invoice <U+202E>gpj.exe" not in html  # escaped markup: the brackets are entities
    assert "invoice &lt;U+202E&gt;gpj.exe" in html and "\u202e" not in html
    rows = list(csv.DictReader(io.StringIO(hostile.get("/funders/GEM/postings.csv").text)))
    descriptions = {row["description"] for row in rows}
    assert descriptions == {
        "<script>alert('page')</script>",
        "'=1+2",
        "'@SUM(A1:A9)",
        "invoice <U+202E>gpj.exe",
    }
    references = {row["reference"] for row in rows}
    assert {'\'=HYPERLINK("http://x")', "'+31 6 1234", "'-5", "F-1"} <= references
    # Amounts stay numbers a spreadsheet reads as such: a credit is "-600.00", not "'-600.00".
    assert "-600.00" in {row["amount"] for row in rows}
    body = hostile.get("/api/funders/GEM/postings?period=2026&sort=transaction").json()
    assert body["rows"][0]["description"] == "<script>alert('page')</script>"
    assert body["rows"][-1]["description"] == "invoice \u202egpj.exe"


def test_a_funders_fingerprint_is_the_ledgers_though_it_cannot_read_the_newest(
    hostile: TestClient, engine: Engine
) -> None:
    """The newest transaction is ZVK's. Row security hides it from GEM's session on
    PostgreSQL, yet GEM's fingerprint is the ledger's newest, as its statement states it
    (roles.py, ``_CHAIN_FACTS``); ZVK's money stays out of every answer."""
    fingerprint = hostile.get("/api/funders/GEM/summary").json()["fingerprint"]
    with reading(engine) as connection:
        newest = connection.execute(text("SELECT max(id) FROM transactions")).scalar_one()
        assert chain_hash_at(connection, newest) == fingerprint["hash"]
    assert fingerprint["transaction"] == newest
    # ZVK's money is nowhere in GEM's answers.
    for endpoint in ENDPOINTS:
        assert "5555" not in hostile.get(f"/api/funders/GEM/{endpoint}").text
