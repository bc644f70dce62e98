"""Signing in and out of the portal: the session, its cookie, CSRF, throttling, the trail.

The thorough attack walk (every route × role, traversal, IDOR) is test_route_roles.py; here the
mechanisms themselves, each shown refusing what it exists to refuse.
"""

from __future__ import annotations

from netfund.ledger import add_user, audit_trail, remove_user
from netfund.web.app import create_app
from netfund.web.guards import RECHECK_SECONDS
from netfund.web.sessions import COOKIE, IDLE_SECONDS, SessionStore
from netfund.web.throttle import PER_USER, WINDOW_SECONDS, Throttle
from sqlalchemy import Engine

from tests.support.portal import USERS, PortalLedger, client, csrf_token, sign_in


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _sign_ins(ledger: PortalLedger, since: int) -> list[tuple[str | None, str]]:
    return [
        (entry.details.get("user"), entry.event)
        for entry in audit_trail(ledger.engine)
        if entry.seq > since and "sign" in entry.event
    ]


def _head(ledger: PortalLedger) -> int:
    return max(entry.seq for entry in audit_trail(ledger.engine))


def test_a_funder_signs_in_lands_on_its_page_and_signs_out(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app()
    browser = client(app)
    form = browser.get("/login")
    assert form.status_code == 200
    assert 'for="username"' in form.text and 'for="password"' in form.text
    before = browser.cookies.get(COOKIE)
    assert before
    since = _head(portal_ledger)
    answer = browser.post(
        "/login",
        data={"username": "wmo", "password": USERS["wmo"][2], "csrf_token": csrf_token(form.text)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    after = browser.cookies.get(COOKIE)
    assert after and after != before  # a new token at sign-in: fixation is useless
    home = browser.get("/")
    assert home.headers["location"] == "/funders/GEM-SANIVELD-WMO"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    page = browser.get("/login")  # signed in: the form sends you home
    assert page.status_code == 303
    out = browser.post("/logout", data={"csrf_token": csrf_token(form.text)})
    assert out.status_code == 403  # the anonymous session's token died with it
    token = csrf_token(browser.get("/no-such-page").text)  # any page: its sign-out form
    out = browser.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    # The old token is dead for anyone who copied it.
    stolen = client(app, cookies={COOKIE: after})
    assert stolen.get("/").headers["location"] == "/login"
    assert _sign_ins(portal_ledger, since) == [("wmo", "sign-in"), ("wmo", "sign-out")]


def test_a_wrong_password_is_refused_and_recorded_without_the_password(
    portal_ledger: PortalLedger,
) -> None:
    app = portal_ledger.app()
    browser = client(app)
    form = browser.get("/login")
    since = _head(portal_ledger)
    typo = USERS["wmo"][2] + "x"
    answer = browser.post(
        "/login",
        data={"username": "wmo", "password": typo, "csrf_token": csrf_token(form.text)},
    )
    assert answer.status_code == 401
    assert typo not in answer.text and COOKIE not in answer.text
    # A password typed into the name field is not stored either.
    answer = browser.post(
        "/login",
        data={"username": typo, "password": typo, "csrf_token": csrf_token(answer.text)},
    )
    assert answer.status_code == 401
    trail = _sign_ins(portal_ledger, since)
    assert trail == [("wmo", "failed sign-in"), (None, "failed sign-in")]
    assert typo not in repr(list(audit_trail(portal_ledger.engine)))


def test_a_form_without_this_sessions_token_is_refused(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app()
    attacker, victim = client(app), client(app)
    attacker_token = csrf_token(attacker.get("/login").text)
    victim.get("/login")
    for data in (
        {"username": "wmo", "password": USERS["wmo"][2]},
        {"username": "wmo", "password": USERS["wmo"][2], "csrf_token": attacker_token},
    ):
        answer = victim.post("/login", data=data)
        assert answer.status_code == 403
        assert victim.get("/").headers["location"] == "/login"
    # Another site's form, even with a valid token, is refused by its Origin; so is a
    # sandboxed frame's ("null"). The portal's own pages send their origin (same-origin
    # referrer policy: with no-referrer Chromium would send "null" for them too).
    for origin in ("https://evil.example", "null"):
        answer = victim.post(
            "/login",
            data={
                "username": "wmo",
                "password": USERS["wmo"][2],
                "csrf_token": csrf_token(victim.get("/login").text),
            },
            headers={"Origin": origin},
        )
        assert answer.status_code == 403, origin
    assert victim.get("/login").headers["referrer-policy"] == "same-origin"


def test_sign_ins_are_throttled_per_user_then_released(portal_ledger: PortalLedger) -> None:
    clock = Clock()
    app = portal_ledger.app(throttle=Throttle(clock))
    browser = client(app)
    token = csrf_token(browser.get("/login").text)
    since = _head(portal_ledger)
    for _ in range(PER_USER):
        wrong = {"username": "controle", "password": "not-it-at-all", "csrf_token": token}
        assert browser.post("/login", data=wrong).status_code == 401
    right = {"username": "controle", "password": USERS["controle"][2], "csrf_token": token}
    assert browser.post("/login", data=right).status_code == 429  # even the right password
    events = [event for _, event in _sign_ins(portal_ledger, since)]
    assert events == ["failed sign-in"] * PER_USER + ["throttled sign-in"]
    clock.now += WINDOW_SECONDS
    assert browser.post("/login", data=right).status_code == 303


def test_idle_sessions_end(portal_ledger: PortalLedger) -> None:
    clock = Clock()
    app = portal_ledger.app(sessions=SessionStore(clock))
    browser = sign_in(app, "beheer")
    assert browser.get("/").headers["location"] == "/admin"
    clock.now += IDLE_SECONDS + 1
    assert browser.get("/").headers["location"] == "/login"


def test_the_language_switch_needs_the_token_and_changes_the_page(
    portal_ledger: PortalLedger,
) -> None:
    browser = client(portal_ledger.app())
    page = browser.get("/login")
    assert '<html lang="nl">' in page.text and "Inloggen" in page.text
    refused = browser.post("/language", data={"language": "en", "next": "/login"})
    assert refused.status_code == 403
    answer = browser.post(
        "/language",
        data={"language": "en", "next": "/login", "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    page = browser.get("/login")
    assert '<html lang="en">' in page.text and "Sign in" in page.text


def test_after_sign_in_only_paths_of_this_server(portal_ledger: PortalLedger) -> None:
    app = portal_ledger.app()
    for target, expected in [
        ("/funders/GEM-SANIVELD-WMO", "/funders/GEM-SANIVELD-WMO"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        browser = client(app)
        form = browser.get("/login", params={"next": target})
        answer = browser.post(
            "/login",
            data={
                "username": "wmo",
                "password": USERS["wmo"][2],
                "csrf_token": csrf_token(form.text),
                "next": target,
            },
        )
        assert answer.headers["location"] == expected, target


def test_every_answer_carries_the_security_headers(portal_ledger: PortalLedger) -> None:
    browser = sign_in(portal_ledger.app(), "beheer")
    for path in ("/login", "/", "/no-such-page", "/static/portal.css"):
        answer = browser.get(path)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src" not in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        if path.startswith("/static/"):
            assert answer.headers.get("cache-control") != "no-store"
        else:
            assert answer.headers["cache-control"] == "no-store"


def test_behind_tls_the_cookie_is_secure(portal_ledger: PortalLedger) -> None:
    browser = client(portal_ledger.app(), base_url="https://portal.example")
    answer = browser.get("/login")
    assert "Secure" in answer.headers["set-cookie"]


def test_a_removed_login_is_signed_out_at_its_next_page(engine: Engine) -> None:
    """`netfund user remove` ends the login's open sessions, not only its next sign-in."""
    add_user(engine, "tijdelijk", "controller", None, "Tijdelijk-wachtwoord-3141")
    clock = Clock()
    app = create_app(engine, sessions=SessionStore(clock))
    browser = client(app)
    token = csrf_token(browser.get("/login").text)
    answer = browser.post(
        "/login",
        data={
            "username": "tijdelijk",
            "password": "Tijdelijk-wachtwoord-3141",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 303
    assert browser.get("/").headers["location"] == "/controller"
    remove_user(engine, "tijdelijk")
    assert browser.get("/").headers["location"] == "/controller"  # looked up 5 s ago
    clock.now += RECHECK_SECONDS
    assert browser.get("/").headers["location"] == "/login"
    assert browser.get("/controller").status_code == 303
    assert [entry.summary for entry in audit_trail(engine)][-2:] == [
        "tijdelijk signed in from testclient",
        "portal login tijdelijk removed",
    ]
