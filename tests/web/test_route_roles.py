"""Every route of the portal × every role, and the attacks a funder or a stranger would try.

The route table below is the URL map of the README ("The funder portal") with concrete
parameters from the example year: a real group, a real statement file, a real export. The
table is checked against `app.routes`, so a route added without an entry here fails
`test_every_route_has_an_entry_in_the_table` until someone writes down who may see it.

The attacks: one funder asking for another's pages, API, CSV, statements and groups (in other
cases, URL-encoded, with a trailing slash, with the other's real file name); pages and
parameters beyond range; path traversal on the three routes that serve files, sent as raw
paths exactly as a hostile client would put them on the wire (a client library would
normalise some of them away); forms without this session's CSRF token; a session token
planted before sign-in; sign-in guessing per name and per address; and a search of everything
the portal wrote or said for the passwords it was given. Where a naive route would have served
what the portal refuses, a test shows that too (`naive_app`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx2
import pytest
from click.testing import CliRunner
from netfund.cli.main import cli
from netfund.ledger import PortalUser, audit_trail
from netfund.web.sessions import COOKIE, Session, SessionStore
from netfund.web.throttle import PER_ADDRESS, PER_USER, WINDOW_SECONDS, Throttle
from sqlalchemy import inspect, select, table, text
from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from tests.support.portal import (
    FUNDER_A,
    FUNDER_B,
    ROLE_USERS,
    USERS,
    PortalLedger,
    client,
    csrf_token,
    sign_in,
)

ROLES = tuple(ROLE_USERS)
PERIOD = "2026"
#: A group both funders fund, and one only funder A funds (in the example year).
GROUP = "WG-WIJK-NOORD"
GROUP_A_ONLY = "RG-DATA"
STATEMENT_A = f"{PERIOD}-{FUNDER_A}.nl.pdf"
STATEMENT_B = f"{PERIOD}-{FUNDER_B}.nl.pdf"
EXPORT = "journal-2026.csv"
STATIC = "portal.css"
STATIC_FOLDER = Path(__file__).resolve().parents[2] / "web" / "static"
UNKNOWN = "GEEN-FINANCIER"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

#: What a role gets: a status, or LOGIN (303 to the sign-in form, coming back here after).
LOGIN = "login"
FUNDER_PAGE = {
    "anonymous": LOGIN,
    "administrator": 200,
    "controller": 200,
    "funder_a": 200,
    "funder_b": 404,
}
FUNDER_API = {**FUNDER_PAGE, "anonymous": 401}
STAFF_PAGE = {
    "anonymous": LOGIN,
    "administrator": 200,
    "controller": 200,
    "funder_a": 403,
    "funder_b": 403,
}
ADMIN_PAGE = {**STAFF_PAGE, "controller": 403}
EVERYONE = dict.fromkeys(ROLES, 200)
#: A form posted without the session's CSRF token is refused for everyone.
NO_TOKEN = dict.fromkeys(ROLES, 403)
HOME = {
    "anonymous": ("redirect", "/login"),
    "administrator": ("redirect", "/admin"),
    "controller": ("redirect", "/controller"),
    "funder_a": ("redirect", f"/funders/{FUNDER_A}"),
    "funder_b": ("redirect", f"/funders/{FUNDER_B}"),
}
SIGN_IN_FORM = {**dict.fromkeys(ROLES, ("redirect", "/")), "anonymous": 200}
_A = f"/funders/{FUNDER_A}"
_API_A = f"/api/funders/{FUNDER_A}"

#: (method, route path) → (the concrete URL asked for, what each role gets).
TABLE: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/"): ("/", HOME),
    ("GET", "/login"): ("/login", SIGN_IN_FORM),
    ("POST", "/login"): ("/login", NO_TOKEN),
    ("POST", "/logout"): ("/logout", NO_TOKEN),
    ("POST", "/language"): ("/language", NO_TOKEN),
    ("GET", "/funders/{code}"): (f"{_A}?period={PERIOD}", FUNDER_PAGE),
    ("GET", "/funders/{code}/groups/{group}"): (
        f"{_A}/groups/{GROUP}?period={PERIOD}",
        FUNDER_PAGE,
    ),
    ("GET", "/funders/{code}/postings"): (f"{_A}/postings?period={PERIOD}&page=1", FUNDER_PAGE),
    ("GET", "/funders/{code}/postings.csv"): (f"{_A}/postings.csv?period={PERIOD}", FUNDER_PAGE),
    ("GET", "/funders/{code}/statements"): (f"{_A}/statements", FUNDER_PAGE),
    ("GET", "/funders/{code}/statements/{name}"): (f"{_A}/statements/{STATEMENT_A}", FUNDER_PAGE),
    ("GET", "/api/funders/{code}/summary"): (f"{_API_A}/summary?period={PERIOD}", FUNDER_API),
    ("GET", "/api/funders/{code}/groups"): (f"{_API_A}/groups?period={PERIOD}", FUNDER_API),
    ("GET", "/api/funders/{code}/postings"): (
        f"{_API_A}/postings?period={PERIOD}&page=1",
        FUNDER_API,
    ),
    ("GET", "/funders/{code}/indicators"): (f"{_A}/indicators?period={PERIOD}", FUNDER_PAGE),
    ("GET", "/funders/{code}/indicators/{group}"): (
        f"{_A}/indicators/{GROUP}?period={PERIOD}",
        FUNDER_PAGE,
    ),
    ("GET", "/indicators"): (f"/indicators?period={PERIOD}", STAFF_PAGE),
    ("GET", "/controller"): ("/controller", STAFF_PAGE),
    ("GET", "/exports/{name}"): (f"/exports/{EXPORT}", STAFF_PAGE),
    ("GET", "/admin"): ("/admin", ADMIN_PAGE),
    ("GET", "/static"): (f"/static/{STATIC}", EVERYONE),
}


def route_keys(app: Starlette) -> set[tuple[str, str]]:
    """(method, path) of every route the app answers; a kind of route this test does not
    know is its own key, so it cannot slip through unlisted."""
    keys: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Mount):
            keys.add(("GET", route.path))
        elif isinstance(route, Route):
            keys.update((method, route.path) for method in (route.methods or {"GET"}) - {"HEAD"})
        else:
            keys.add((type(route).__name__, repr(route)))
    return keys


@pytest.fixture(scope="module")
def browsers(portal_ledger: PortalLedger) -> Iterator[dict[str, TestClient]]:
    """One portal, and a client per role signed in on it (anonymous: a session, no user)."""
    app = portal_ledger.app()
    yield {role: sign_in(app, name) for role, name in ROLE_USERS.items()}


def assert_security_headers(answer: httpx2.Response, path: str) -> None:
    headers = answer.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
    assert headers["x-frame-options"] == "DENY", path
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["referrer-policy"] == "same-origin", path
    if path.startswith("/static/"):
        assert "no-store" not in headers.get("cache-control", ""), path
    else:
        assert headers["cache-control"] == "no-store", path
    for cookie in headers.get_list("set-cookie"):
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, (path, cookie)


def ask(browser: TestClient, method: str, url: str) -> httpx2.Response:
    if method == "POST":
        return browser.post(url, data={"language": "en", "next": "/"})
    return browser.request(method, url)


def check_answer(
    portal_ledger: PortalLedger, url: str, expected: Any, answer: httpx2.Response
) -> None:
    """``answer`` is what ``expected`` says, and a file download is the file on disk."""
    if expected == LOGIN:
        assert answer.status_code == 303, (url, answer.status_code)
        location = urlsplit(answer.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [url]
        return
    if isinstance(expected, tuple):
        assert answer.status_code == 303, (url, answer.status_code)
        assert answer.headers["location"] == expected[1]
        return
    assert answer.status_code == expected, (url, answer.status_code, answer.text[:300])
    if expected != 200:
        return
    path = urlsplit(url).path
    folder = portal_ledger.folder
    if path.endswith(".pdf"):
        assert answer.content == (folder / "statements" / STATEMENT_A).read_bytes()
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"].startswith("attachment")
    elif path.startswith("/exports/"):
        assert answer.content == (folder / "exports" / EXPORT).read_bytes()
        assert answer.headers["content-disposition"].startswith("attachment")
    elif path.startswith("/static/"):
        assert answer.content == (STATIC_FOLDER / STATIC).read_bytes()
    elif path.endswith(".csv"):
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"].startswith("attachment")
    elif path.startswith("/api/"):
        assert answer.headers["content-type"].startswith("application/json")
        assert json.loads(answer.text)
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert FUNDER_A in answer.text or not path.startswith("/funders/")


def test_every_route_has_an_entry_in_the_table(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app()
    assert route_keys(app) == set(TABLE), (
        "routes without an entry in TABLE (who may see them?) or entries without a route: "
        f"{sorted(route_keys(app) ^ set(TABLE))}"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", list(TABLE), ids=[f"{m} {p}" for m, p in TABLE])
def test_each_route_answers_each_role_as_the_url_map_says(
    portal_ledger: PortalLedger, browsers: dict[str, TestClient], key: tuple[str, str], role: str
) -> None:
    url, expectations = TABLE[key]
    answer = ask(browsers[role], key[0], url)
    assert_security_headers(answer, urlsplit(url).path)
    check_answer(portal_ledger, url, expectations[role], answer)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused_on_every_route(
    browsers: dict[str, TestClient], method: str
) -> None:
    browser = browsers["administrator"]
    for url, _ in TABLE.values():
        answer = browser.request(method, url)
        assert answer.status_code in (404, 405), (method, url, answer.status_code)
        assert_security_headers(answer, urlsplit(url).path)


# --- one funder asking for another's data ---------------------------------------------------


def follow(browser: TestClient, url: str) -> httpx2.Response:
    """GET ``url``, following redirects on this server (a trailing slash's, say)."""
    answer = browser.get(url)
    for _ in range(5):
        if answer.status_code not in (301, 302, 303, 307, 308):
            break
        answer = browser.get(answer.headers["location"])
    return answer


def _other_funder_urls(code: str, statement: str) -> list[str]:
    """Every URL of funder ``code``'s data, written as the map writes it."""
    return [
        f"/funders/{code}?period={PERIOD}",
        f"/funders/{code}/groups/{GROUP}?period={PERIOD}",
        f"/funders/{code}/postings?period={PERIOD}",
        f"/funders/{code}/postings?period={PERIOD}&group={GROUP}&page=2",
        f"/funders/{code}/postings.csv?period={PERIOD}",
        f"/funders/{code}/statements",
        f"/funders/{code}/statements/{statement}",
        f"/funders/{code}/indicators?period={PERIOD}",
        f"/funders/{code}/indicators/{GROUP}?period={PERIOD}",
        f"/api/funders/{code}/summary?period={PERIOD}",
        f"/api/funders/{code}/groups?period={PERIOD}",
        f"/api/funders/{code}/postings?period={PERIOD}&page=1",
    ]


def _spellings(code: str) -> list[str]:
    """``code`` as itself, in other cases, percent-encoded, and with a trailing slash (which
    only makes sense at the end of a path: `_with_trailing_slash`)."""
    return [
        code,
        code.lower(),
        code.title(),
        "".join(f"%{ord(character):02X}" for character in code),
        quote(code, safe=""),
    ]


def _with_trailing_slash(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + "/" + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize(
    ("attacker", "victim", "statement"),
    [("funder_a", FUNDER_B, STATEMENT_B), ("funder_b", FUNDER_A, STATEMENT_A)],
)
def test_a_funder_gets_404_for_every_url_of_another_funder(
    browsers: dict[str, TestClient], attacker: str, victim: str, statement: str
) -> None:
    """Every way of writing the other funder's code answers exactly as a code that does not
    exist: the attacker cannot even tell that the other funder is there."""
    browser = browsers[attacker]
    for spelling in _spellings(victim):
        for url in _other_funder_urls(spelling, statement):
            for variant in (url, _with_trailing_slash(url)):
                answer = follow(browser, variant)
                assert answer.status_code == 404, (attacker, variant, answer.status_code)
                unknown = follow(browser, variant.replace(spelling, UNKNOWN, 1))
                assert unknown.status_code == 404
                assert answer.content == unknown.content, (attacker, variant)


def test_a_guard_that_only_asks_for_a_sign_in_would_leak_on_sqlite_and_not_under_row_security(
    portal_ledger: PortalLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The naive variant of `funder_view` (signed in is enough) on the JSON summary: funder B
    reads funder A's seven figures on SQLite, where the portal's guard is the only wall; on
    PostgreSQL B's reads run under B's own database role and A's rows stay invisible."""
    import netfund.web.api as api
    from netfund.web.guards import need_viewer

    app = portal_ledger.app()
    url = f"{_API_A}/summary?period={PERIOD}"
    truth = sign_in(app, "wmo").get(url).json()["figures"]
    assert truth["committed_cents"] > 0
    monkeypatch.setattr(api, "funder_view", lambda request, code: need_viewer(request))
    answer = sign_in(app, "zorgkantoor").get(url)
    if portal_ledger.kind == "sqlite":
        assert answer.status_code == 200 and answer.json()["figures"] == truth  # leaked
    else:  # under B's role A's rows are not there: nothing, or all zeros
        assert answer.status_code != 200 or answer.json()["figures"] == dict.fromkeys(truth, 0)


@pytest.mark.parametrize(
    ("attacker", "own", "statement"),
    [("funder_a", FUNDER_A, STATEMENT_B), ("funder_b", FUNDER_B, STATEMENT_A)],
)
def test_a_funder_cannot_download_another_funders_statement_under_its_own_code(
    portal_ledger: PortalLedger,
    browsers: dict[str, TestClient],
    attacker: str,
    own: str,
    statement: str,
) -> None:
    """The other funder's real file name, in the same folder, asked for under one's own code:
    404, and the listing of one's own statements does not name it."""
    assert (portal_ledger.folder / "statements" / statement).is_file()
    browser = browsers[attacker]
    answer = browser.get(f"/funders/{own}/statements/{statement}")
    assert answer.status_code == 404
    assert b"%PDF" not in answer.content
    listing = browser.get(f"/funders/{own}/statements")
    assert listing.status_code == 200
    assert statement not in listing.text
    assert f"{PERIOD}-{own}.nl.pdf" in listing.text


def test_a_funder_sees_no_other_funders_postings_through_a_group_only_the_other_funds(
    browsers: dict[str, TestClient],
) -> None:
    """Funder B asking for a group only funder A funds: the group page, the postings filtered
    to it, its CSV and its API page hold none of A's postings (404 or nothing)."""
    browser = browsers["funder_b"]
    a_rows = browsers["funder_a"].get(
        f"{_A}/postings.csv", params={"period": PERIOD, "group": GROUP_A_ONLY}
    )
    assert a_rows.status_code == 200
    a_lines = a_rows.text.strip().splitlines()
    assert len(a_lines) > 1, "funder A has postings in the group only it funds"
    own = f"/funders/{FUNDER_B}"
    page = browser.get(f"{own}/groups/{GROUP_A_ONLY}", params={"period": PERIOD})
    assert page.status_code in (200, 404)
    csv = browser.get(f"{own}/postings.csv", params={"period": PERIOD, "group": GROUP_A_ONLY})
    assert csv.status_code in (200, 404)
    if csv.status_code == 200:
        assert len(csv.text.strip().splitlines()) == 1, "only the header: B has no posting there"
    api = browser.get(
        f"/api/funders/{FUNDER_B}/postings", params={"period": PERIOD, "group": GROUP_A_ONLY}
    )
    assert api.status_code in (200, 400, 404)
    for line in a_lines[1:]:
        assert line not in page.text and line not in csv.text and line not in api.text


BEYOND = ("page=99999999", f"page={10**30}", "period=1999")


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
        "page=99999999",
        f"page={10**30}",
        "period=1999",
        "period=abcd",
        "period=2026%27%20OR%201%3D1",
        "sort=amount%3B%20DROP%20TABLE%20postings",
        "sort=__class__",
        "order=sideways",
        "from=2026-13-45",
        "from=2026-12-31&to=2026-01-01",
        f"group={quote(GROUP_A_ONLY + chr(39) + ' OR 1=1 --', safe='')}",
    ],
)
@pytest.mark.parametrize(
    "path",
    [f"{_A}/postings", f"{_A}/groups/{GROUP}", f"{_A}/postings.csv", f"{_API_A}/postings"],
)
def test_parameters_beyond_range_are_refused_or_empty_never_an_error(
    browsers: dict[str, TestClient], path: str, query: str
) -> None:
    """Pages beyond the end, malformed numbers, unknown periods, sort columns and injected
    SQL: a 400 or 404 (or an empty page), never a server error, never another funder's row."""
    browser = browsers["funder_a"]
    answer = browser.get(f"{path}?{query}")
    assert answer.status_code in (200, 400, 404), (path, query, answer.status_code)
    assert "Traceback" not in answer.text
    assert FUNDER_B not in answer.text
    if path.startswith("/api/"):
        body = json.loads(answer.text)
        if answer.status_code == 200:
            # An empty page= is the first page; beyond the end and before any posting: none.
            if query in BEYOND:
                assert body["rows"] == [], query
        else:
            assert set(body) == {"error"}


# --- path traversal, sent as raw paths ------------------------------------------------------


def raw_get(app: Starlette, raw_path: str, cookie: str | None) -> tuple[int, bytes]:
    """`raw_request`'s status and body, after following redirects on this server."""
    for _ in range(4):
        status, headers, body = raw_request(app, raw_path, cookie)
        location = headers.get("location", "")
        if status not in (301, 302, 307, 308):
            break
        parts = urlsplit(location)
        assert parts.netloc in ("", "testserver"), f"{raw_path} redirects off the server"
        raw_path = parts.path
    return status, body


def raw_request(
    app: Starlette, raw_path: str, cookie: str | None
) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw_path`` to the app as uvicorn would pass it on: ``path`` percent-decoded
    once, nothing normalised (httpx would remove dot segments before sending)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + ([(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status: list[int] = []
    headers: dict[str, str] = {}
    body: list[bytes] = []

    requested: list[bool] = []

    async def receive() -> dict[str, Any]:
        if not requested:  # the (empty) body once; then the client stays connected
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            headers.update(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
            )
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    try:
        asyncio.run(app(scope, receive, send))
    except Exception:  # the server error middleware re-raises after answering 500
        if not status:
            raise
    return status[0], headers, b"".join(body)


def traversal_paths(target: str) -> list[str]:
    """Ways of writing ``target`` (a path relative to the served folder, with ``../``) that
    try to leave the folder: encoded, double-encoded, backslashes, absolute, NUL."""
    slashless = target.replace("/", "%2f")
    return [
        target,
        slashless,
        target.replace("/", "%2F"),
        target.replace("..", "%2e%2e"),
        slashless.replace("..", "%2e%2e"),
        slashless.replace("..", "%2E%2E"),
        target.replace("/", "%252f"),
        target.replace("/", "%252f").replace("..", "%252e%252e"),
        target.replace("/", "\\"),
        target.replace("/", "%5c"),
        "..%c0%af" + target.removeprefix("../"),
        "....//" + target.removeprefix("../"),
        "..;/" + target.removeprefix("../"),
        ".",
        "..",
        "%2e",
        "%2e%2e",
        "%00",
    ]


def _absolute(path: Path) -> list[str]:
    return [quote(str(path), safe=""), str(path).lstrip("/"), quote(str(path), safe="/")]


def _attacks(portal_ledger: PortalLedger) -> list[tuple[str, str, bytes]]:
    """(role, raw path, bytes that must not come back) of every traversal attempt."""
    folder = portal_ledger.folder
    secret_file = folder / "exports" / EXPORT
    statement_b = folder / "statements" / STATEMENT_B
    app_source = STATIC_FOLDER.parent / "app.py"
    targets: list[tuple[str, str, str, Path]] = [
        ("funder_a", f"{_A}/statements/", f"../exports/{EXPORT}", secret_file),
        ("funder_a", f"{_A}/statements/", f"../statements/{STATEMENT_B}", statement_b),
        ("funder_a", f"{_A}/statements/", f"../../{folder.name}/exports/{EXPORT}", secret_file),
        ("controller", "/exports/", f"../statements/{STATEMENT_B}", statement_b),
        ("anonymous", "/static/", "../app.py", app_source),
        ("anonymous", "/static/", "../../web/app.py", app_source),
    ]
    if portal_ledger.kind == "sqlite":
        database = Path(portal_ledger.engine.url.database or "")
        relative = f"../{database.name}"
        targets.append(("funder_a", f"{_A}/statements/", relative, database))
        targets.append(("controller", "/exports/", relative, database))
    attacks = []
    for role, prefix, target, path in targets:
        assert path.is_file(), path
        secret = path.read_bytes()[:256]
        for written in [*traversal_paths(target), *_absolute(path)]:
            attacks.append((role, prefix + written, secret))
    # a real file name followed by a NUL (and something else): C would stop at the NUL
    statement_a = (folder / "statements" / STATEMENT_A).read_bytes()[:256]
    export = secret_file.read_bytes()[:256]
    for suffix in ("%00", "%00.txt", "%00/"):
        attacks.append(("funder_a", f"{_A}/statements/{STATEMENT_A}{suffix}", statement_a))
        attacks.append(("controller", f"/exports/{EXPORT}{suffix}", export))
    return attacks


def test_no_path_leaves_the_served_folders(
    portal_ledger: PortalLedger, browsers: dict[str, TestClient]
) -> None:
    """Every traversal attempt on /funders/{code}/statements/{name}, /exports/{name} and
    /static/{file} answers 404 (405 or 400 would do as well: anything but the file)."""
    app = browsers["anonymous"].app
    folder = portal_ledger.folder
    for role, raw_path, path in (
        ("funder_a", f"{_A}/statements/{STATEMENT_A}", folder / "statements" / STATEMENT_A),
        ("controller", f"/exports/{EXPORT}", folder / "exports" / EXPORT),
        ("anonymous", f"/static/{STATIC}", STATIC_FOLDER / STATIC),
    ):  # the raw requests do reach the routes: the real names are served
        assert raw_get(app, raw_path, browsers[role].cookies.get(COOKIE)) == (
            200,
            path.read_bytes(),
        )
    refused = 0
    for role, raw_path, secret in _attacks(portal_ledger):
        cookie = browsers[role].cookies.get(COOKIE)
        status, body = raw_get(app, raw_path, cookie)
        assert status in (400, 404, 405), (role, raw_path, status)
        assert secret not in body, (role, raw_path)
        refused += 1
    assert refused > 100


def naive_app(folder: Path) -> Starlette:
    """What a route serving ``folder / name`` would be: one that trusts the router to keep
    names to one path segment, one that accepts a path."""

    async def statement(request: Any) -> FileResponse:
        return FileResponse(folder / "statements" / request.path_params["name"])

    async def export(request: Any) -> FileResponse:
        return FileResponse(folder / "exports" / request.path_params["name"])

    return Starlette(
        routes=[
            Route("/funders/{code}/statements/{name}", statement),
            Route("/exports/{name:path}", export),
        ]
    )


def test_a_naive_route_would_have_served_what_the_portal_refuses(
    portal_ledger: PortalLedger, browsers: dict[str, TestClient]
) -> None:
    """The attacks succeed against the naive routes (another funder's statement under one's
    own code; a file outside exports/) and fail against the portal."""
    folder = portal_ledger.folder
    naive = naive_app(folder)
    portal = browsers["anonymous"].app
    cookie = browsers["funder_a"].cookies.get(COOKIE)
    staff = browsers["controller"].cookies.get(COOKIE)
    other_statement = f"{_A}/statements/{STATEMENT_B}"
    leaving = f"/exports/..%2fstatements%2f{STATEMENT_B}"
    wanted = (folder / "statements" / STATEMENT_B).read_bytes()
    assert raw_get(naive, other_statement, None) == (200, wanted)
    assert raw_get(naive, leaving, None) == (200, wanted)
    assert raw_get(portal, other_statement, cookie)[0] == 404
    assert raw_get(portal, leaving, staff)[0] == 404


# --- forms: CSRF -----------------------------------------------------------------------------


def _trail_head(ledger: PortalLedger) -> int:
    return max(entry.seq for entry in audit_trail(ledger.engine))


def test_forms_without_this_sessions_token_change_nothing(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app()
    attacker = sign_in(app, None)
    attacker_token = csrf_token(attacker.get("/login").text)
    forms = [
        ("/login", None, {"username": "wmo", "password": USERS["wmo"][2], "next": "/"}),
        ("/logout", "controle", {}),
        ("/language", "controle", {"language": "en", "next": "/controller"}),
    ]
    for route, name, data in forms:
        victim = sign_in(app, name)
        home_before = victim.get("/").headers["location"]
        page_before = victim.get("/controller" if name else "/login").text
        lang_before = page_before.split("<html lang=", 1)[1][:4]
        own = csrf_token(page_before)
        since = _trail_head(portal_ledger)
        for forged in (
            {**data},
            {**data, "csrf_token": attacker_token},
        ):
            answer = victim.post(route, data=forged)
            assert answer.status_code == 403, (route, forged.keys())
        answer = victim.post(
            route, data={**data, "csrf_token": own}, headers={"Origin": "https://evil.example"}
        )
        assert answer.status_code == 403, route
        # Nothing changed: still (not) signed in, same language, nothing in the trail.
        assert victim.get("/").headers["location"] == home_before, route
        page_after = victim.get("/controller" if name else "/login").text
        assert page_after.split("<html lang=", 1)[1][:4] == lang_before, route
        assert _trail_head(portal_ledger) == since, route  # no sign-in, no sign-out recorded
    # The same forms with the right token do work (the refusals above were the token's).
    victim = sign_in(app, "controle")
    own = csrf_token(victim.get("/controller").text)
    answer = victim.post("/language", data={"language": "en", "next": "/", "csrf_token": own})
    assert answer.status_code == 303


# --- session fixation -----------------------------------------------------------------------


def _cookie_token(answer: httpx2.Response) -> str:
    """The session token the answer's Set-Cookie gives the browser."""
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    return cookie.split(";", 1)[0].split("=", 1)[1]


def test_a_planted_or_pre_sign_in_token_is_dead_after_sign_in_and_after_sign_out(
    portal_ledger: PortalLedger,
) -> None:
    app = portal_ledger.app()
    planted = "attacker-chosen-token-0123456789abcdef"
    form = client(app, cookies={COOKIE: planted}).get("/login")
    before = _cookie_token(form)
    assert before and before != planted  # an unknown token is never adopted
    victim = client(app, cookies={COOKIE: before})
    attacker = client(app, cookies={COOKIE: before})  # the attacker learned the anonymous token
    answer = victim.post(
        "/login",
        data={"username": "wmo", "password": USERS["wmo"][2], "csrf_token": csrf_token(form.text)},
    )
    assert answer.status_code == 303
    after = _cookie_token(answer)
    assert after and after not in (before, planted)
    victim = client(app, cookies={COOKIE: after})  # the browser now holds only the new token
    assert victim.get(_A).status_code == 200
    for stale in (attacker, client(app, cookies={COOKIE: planted})):
        refused = stale.get(_A)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    # Sign out: the signed-in token dies too, for anyone holding it, and so does its CSRF token.
    page = victim.get(_A)
    token = csrf_token(page.text)
    copy = client(app, cookies={COOKIE: after})
    assert victim.post("/logout", data={"csrf_token": token}).status_code == 303
    refused = copy.get(_A)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert copy.post("/logout", data={"csrf_token": token}).status_code == 403
    assert copy.post("/language", data={"csrf_token": token, "language": "en"}).status_code == 403


class SessionsWithoutRotation(SessionStore):
    """The naive store: signing in marks the browser's existing session as signed in."""

    def sign_in(self, old: Session | None, user: PortalUser) -> Session:
        if old is None:
            return super().sign_in(old, user)
        old.user = user
        return old


def test_without_a_new_token_at_sign_in_the_planted_token_would_have_worked(
    portal_ledger: PortalLedger,
) -> None:
    """The fixation attack above, against a store that keeps the token at sign-in: the
    attacker who planted (or read) the anonymous token reads the funder's page."""
    app = portal_ledger.app(sessions=SessionsWithoutRotation())
    form = client(app).get("/login")
    before = _cookie_token(form)
    victim = client(app, cookies={COOKIE: before})
    answer = victim.post(
        "/login",
        data={"username": "wmo", "password": USERS["wmo"][2], "csrf_token": csrf_token(form.text)},
    )
    assert answer.status_code == 303
    attacker = client(app, cookies={COOKIE: before})
    assert attacker.get(_A).status_code == 200  # the attack succeeds against the naive store


def test_the_cookie_is_secure_behind_tls_and_never_readable_by_script(
    portal_ledger: PortalLedger,
) -> None:
    for base, secure in (("https://portal.example", True), ("http://portal.example", False)):
        browser = client(portal_ledger.app(), base_url=base)
        form = browser.get("/login")
        answer = browser.post(
            "/login",
            data={
                "username": "controle",
                "password": USERS["controle"][2],
                "csrf_token": csrf_token(form.text),
            },
        )
        for cookie in [form.headers["set-cookie"], answer.headers["set-cookie"]]:
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
            assert ("Secure" in cookie.split("; ")) is secure, (base, cookie)


# --- throttling -----------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand: no sleeping."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def _log_json(ledger: PortalLedger) -> list[dict[str, Any]]:
    """`netfund log --json`, as the administrator would read it."""
    result = CliRunner().invoke(cli, ["--db", ledger.url, "log", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _attempt(browser: TestClient, name: str, password: str) -> int:
    token = csrf_token(browser.get("/login").text)
    answer = browser.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}
    )
    return answer.status_code


def test_guessing_one_name_from_many_addresses_is_throttled_per_name(
    portal_ledger: PortalLedger,
) -> None:
    clock = Clock()
    app = portal_ledger.app(throttle=Throttle(clock))
    since = _trail_head(portal_ledger)
    for number in range(PER_USER):
        guesser = client(app, client=(f"198.51.100.{number + 1}", 40000))
        assert _attempt(guesser, "controle", f"guess-number-{number}") == 401
    owner = client(app, client=("203.0.113.9", 40000))
    assert _attempt(owner, "controle", USERS["controle"][2]) == 429  # the right password too
    clock.now += WINDOW_SECONDS - 1
    assert _attempt(owner, "controle", USERS["controle"][2]) == 429
    assert _attempt(client(app, client=("203.0.113.10", 1)), "controle", "x" * 12) == 429
    clock.now += 1  # the first failure leaves the window; the refusals did not count
    assert _attempt(owner, "controle", USERS["controle"][2]) == 303
    entries = [e for e in _log_json(portal_ledger) if e["seq"] > since]
    events = [(e["event"], e["details"].get("user")) for e in entries]
    assert events == (
        [("failed sign-in", "controle")] * PER_USER
        + [("throttled sign-in", "controle")] * 3
        + [("sign-in", "controle")]
    )
    addresses = [json.dumps(e) for e in entries]
    for number in range(PER_USER):
        assert f"198.51.100.{number + 1}" in addresses[number]
    assert "203.0.113.9" in addresses[-1]


def test_guessing_many_names_from_one_address_is_throttled_per_address(
    portal_ledger: PortalLedger,
) -> None:
    clock = Clock()
    app = portal_ledger.app(throttle=Throttle(clock))
    since = _trail_head(portal_ledger)
    here = client(app, client=("192.0.2.77", 41000))
    names = [name for name in USERS] + [f"gok-{n}" for n in range(PER_ADDRESS)]
    for number in range(PER_ADDRESS):
        name = names[number % len(names)]
        assert _attempt(here, name, f"wrong-password-{number}") == 401
    # No name has PER_USER failures of its own: the address alone is what is spent.
    assert _attempt(here, "beheer", USERS["beheer"][2]) == 429
    elsewhere = client(app, client=("192.0.2.78", 41000))
    assert _attempt(elsewhere, "zorgkantoor", USERS["zorgkantoor"][2]) == 303
    clock.now += WINDOW_SECONDS
    assert _attempt(here, "beheer", USERS["beheer"][2]) == 303
    entries = [e for e in _log_json(portal_ledger) if e["seq"] > since]
    assert len(entries) == PER_ADDRESS + 3
    assert sum(e["event"] == "throttled sign-in" for e in entries) >= 1
    assert [e["event"] for e in entries[-3:]] == ["throttled sign-in", "sign-in", "sign-in"]
    assert all("192.0.2.7" in json.dumps(e) for e in entries)


# --- no secret anywhere ---------------------------------------------------------------------


def _database_text(ledger: PortalLedger) -> str:
    """Every row of every table of the ledger, as text."""
    engine = ledger.engine
    parts = []
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        assert "portal_users" in names
        for name in names:
            for row in connection.execute(select(text("*")).select_from(table(name))):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def _someone_elses_password(name: str) -> str:
    names = list(USERS)
    return USERS[names[(names.index(name) + 1) % len(names)]][2]


def test_no_password_anywhere_after_a_morning_of_sign_ins(
    portal_ledger: PortalLedger,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Right and wrong passwords, a password typed into the name field, another user's
    password, pages, downloads, sign-outs: no password in any page, header, record, log line,
    captured output or database row afterwards."""
    caplog.set_level(logging.DEBUG)
    app = portal_ledger.app()
    typed = {
        "typo": USERS["wmo"][2] + "!",
        "in-name-field": "Mijn-geheime-zin-2026-xyz",
    }
    secrets = [password for _, _, password in USERS.values()] + list(typed.values())
    answers: list[httpx2.Response] = []
    for name, (_role, _funder, password) in USERS.items():
        browser = client(app)
        answers.append(browser.get("/login"))
        for attempt_name, attempt_password in (
            (name, typed["typo"]),
            (name, _someone_elses_password(name)),
            (typed["in-name-field"], password),
            (name, password),
        ):
            form = browser.get("/login")
            answers.append(form)
            answers.append(
                browser.post(
                    "/login",
                    data={
                        "username": attempt_name,
                        "password": attempt_password,
                        "csrf_token": csrf_token(form.text),
                    },
                )
            )
        assert answers[-1].status_code == 303, name
        for url, expectations in TABLE.values():
            role = next(r for r, n in ROLE_USERS.items() if n == name)
            if expectations[role] == 200 and not url.startswith("/static"):
                answers.append(browser.get(url))
        page = browser.get("/")
        answers.append(page)
        answers.append(
            browser.post("/logout", data={"csrf_token": csrf_token(follow(browser, "/").text)})
        )
    places = {
        "pages and headers": "\n".join(
            a.text + repr(a.headers.multi_items()) + repr(a.request.url) for a in answers
        ),
        "audit trail": repr(audit_trail(portal_ledger.engine)),
        "netfund log --json": json.dumps(_log_json(portal_ledger)),
        "log records": caplog.text + repr([r.__dict__ for r in caplog.records]),
        "captured output": "".join(capsys.readouterr()),
        "database rows": _database_text(portal_ledger),
    }
    if portal_ledger.kind == "sqlite":
        database = Path(portal_ledger.engine.url.database or "")
        raw = b"".join(
            path.read_bytes()
            for path in database.parent.glob(database.name + "*")
            if path.is_file()
        )
        places["database file bytes"] = raw.decode("latin-1")
    # The request URLs hold no secret because the form posts its body; the body itself is the
    # only place a password travels, and the page answering it must not echo it.
    for place, content in places.items():
        for secret in secrets:
            assert secret not in content, f"a password appears in the {place}"
    assert "sign-in" in places["netfund log --json"]


def test_other_spellings_of_a_name_count_against_it_and_huge_fields_are_no_way_around(
    portal_ledger: PortalLedger,
) -> None:
    """Guessing as CONTROLE, Controle, ... counts against controle (names are compared
    case-blind); a megabyte name or password is refused like any other wrong one."""
    clock = Clock()
    app = portal_ledger.app(throttle=Throttle(clock))
    spellings = ["CONTROLE", "Controle", "controlE", "cOnTrOlE", "controle"]
    assert len(spellings) == PER_USER
    for number, spelling in enumerate(spellings):
        guesser = client(app, client=(f"198.51.100.{number + 50}", 40000))
        assert _attempt(guesser, spelling, f"guess-{number}") == 401
    owner = client(app, client=("203.0.113.60", 40000))
    assert _attempt(owner, "controle", USERS["controle"][2]) == 429
    huge = client(app, client=("203.0.113.61", 40000))
    assert _attempt(huge, "x" * 1_000_000, "y" * 1_000_000) == 401
    assert _attempt(huge, "beheer", USERS["beheer"][2] + "z" * 1_000_000) == 401
    assert _attempt(huge, "beheer", USERS["beheer"][2]) == 303


def test_well_formed_names_that_were_never_issued_are_404(
    portal_ledger: PortalLedger, browsers: dict[str, TestClient]
) -> None:
    """A statement or export name of the right shape that is not in the folder: 404, for the
    funder and for staff alike (nothing is made on request)."""
    statements = portal_ledger.folder / "statements"
    exports = portal_ledger.folder / "exports"
    for role in ("funder_a", "administrator"):
        for name in (
            f"2027-{FUNDER_A}.nl.pdf",
            f"2026-{FUNDER_A}.en.pdf",
            f"2026-{FUNDER_A}.interim-2026-06-30.nl.pdf",
            f"2025-{FUNDER_A}.nl.pdf",
        ):
            assert not (statements / name).exists()
            assert browsers[role].get(f"{_A}/statements/{name}").status_code == 404, name
    for name in ("journal-2025.csv", "journal-2026.parquet", "trial-balance-2027.csv"):
        assert not (exports / name).exists()
        assert browsers["controller"].get(f"/exports/{name}").status_code == 404, name
