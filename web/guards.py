"""Who is asking and what they may see: every route passes here before it reads the ledger.

The rules of the URL map (README, "The funder portal"): a funder sees its own code's pages
and nothing else; a controller sees every funder and the exports; an administrator sees
everything. Another funder's code answers exactly as a code that does not exist (404, same
body), so a funder cannot even learn which codes exist. A page without a signed-in session
sends the browser to the sign-in form; the JSON API answers 401.

`read_for` is the second wall: a funder's reads run in `funder_reading`, which on a PostgreSQL
ledger with roles installed runs them under that funder's own database role, so the row
policies hide every other funder's rows even if a route here had a bug.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from netfund.ledger import (
    GroupOutcomes,
    funder_reading,
    portal_user,
    read_network_timeline,
    reading,
)
from netfund.reports.portal import FunderIndicators
from netfund.web.security import COOKIE_STATE
from netfund.web.sessions import COOKIE, Session, Viewer, viewer_of
from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request

#: Staff roles.
STAFF = frozenset({"administrator", "controller"})
#: How long the list of funder codes is trusted before it is read again.
FUNDERS_SECONDS = 30.0
#: How often a signed-in session's login is looked up again (`still_valid`).
RECHECK_SECONDS = 5.0
_SESSION = "netfund_session_object"


class SignInRequired(Exception):
    """No signed-in session: a page sends the browser to /login, the API answers 401."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _state(request: Request) -> dict[str, object]:
    """The request's state dict (the one `SecurityHeaders` reads the cookie from)."""
    return request.scope.setdefault("state", {})


def session_of(request: Request) -> Session | None:
    """The request's live session, if its cookie names one (and its login still exists
    as it signed in: see `still_valid`)."""
    if _SESSION not in _state(request):
        token = request.cookies.get(COOKIE)
        session = request.app.state.sessions.get(token)
        if session is not None and not still_valid(request, session):
            request.app.state.sessions.end(session.token)
            session = None
        _state(request)[_SESSION] = session
    return _state(request)[_SESSION]


def still_valid(request: Request, session: Session) -> bool:
    """False when the session's login was removed, or now has another role or funder, since
    it signed in (`netfund user remove`): its sessions end at their next page. Asked of the
    ledger at most every `RECHECK_SECONDS` per session."""
    if session.user is None:
        return True
    now = request.app.state.sessions.now()
    if now - session.checked < RECHECK_SECONDS:
        return True
    if portal_user(request.app.state.engine, session.user.name) != session.user:
        return False
    session.checked = now
    return True


def ensure_session(request: Request) -> Session:
    """The request's session, a new anonymous one if it has none (the sign-in form needs a
    CSRF token before anyone signed in)."""
    session = session_of(request)
    if session is None:
        session = request.app.state.sessions.new()
        use_session(request, session)
    return session


def use_session(request: Request, session: Session) -> None:
    """Make ``session`` the request's and send its cookie with the response."""
    _state(request)[_SESSION] = session
    _state(request)[COOKIE_STATE] = (session.token, None)  # a browser-session cookie


def end_session(request: Request) -> None:
    """End the request's session and tell the browser to forget its cookie."""
    session = session_of(request)
    if session is not None:
        request.app.state.sessions.end(session.token)
    _state(request)[_SESSION] = None
    _state(request)[COOKIE_STATE] = ("", 0)


def viewer(request: Request) -> Viewer | None:
    """Who signed in, or None."""
    return viewer_of(session_of(request), request.app.state.language)


def need_viewer(request: Request) -> Viewer:
    """The signed-in viewer, else `SignInRequired`."""
    who = viewer(request)
    if who is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(here)
    return who


def known_funders(request: Request) -> frozenset[str]:
    """Every funder code the ledger knows (its newest network version lists them all)."""
    state = request.app.state
    cached = state.funders
    now = time.monotonic()
    if cached is None or now - cached[0] > FUNDERS_SECONDS:
        with reading(state.engine) as connection:
            timeline = read_network_timeline(connection)
        codes = frozenset(funder.code for funder in timeline.newest.network.funders)
        state.funders = cached = (now, codes)
    return cached[1]


def funder_view(request: Request, code: str) -> Viewer:
    """The viewer, if it may see funder ``code``'s pages; 404 for another funder's code or
    an unknown one (the same answer, so neither tells the other apart)."""
    who = need_viewer(request)
    if who.role == "funder" and who.funder != code:
        raise HTTPException(404)
    if code not in known_funders(request):
        raise HTTPException(404)
    return who


def staff_view(request: Request, roles: frozenset[str] = STAFF) -> Viewer:
    """The viewer, if its role is one of ``roles``; 403 for any other signed-in viewer."""
    who = need_viewer(request)
    if who.role not in roles:
        raise HTTPException(403)
    return who


def funded_group(found: FunderIndicators, group: str) -> GroupOutcomes:
    """Group ``group``'s indicators on a funder's page, if the funder's money went to it in
    the period; 404 otherwise, the same answer as for a group that does not exist (a group
    funded only by others is none of this funder's business, and its money is theirs)."""
    outcomes = found.group(group)
    if outcomes is None:
        raise HTTPException(404)
    return outcomes


@contextmanager
def read_for(request: Request, who: Viewer) -> Iterator[Connection]:
    """One read snapshot for ``who``: a funder's under its own database role (see module)."""
    engine = request.app.state.engine
    if who.role == "funder":
        assert who.funder is not None  # a funder's login always names its funder
        with funder_reading(engine, who.funder) as connection:
            yield connection
    else:
        with reading(engine) as connection:
            yield connection


def sign_in_path(next_path: str) -> str:
    """/login with ``next_path`` to return to after signing in."""
    return f"/login?next={quote(next_path, safe='/')}"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server, never another site (an open
    redirect would make the sign-in form a phishing tool)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(character) < 32 for character in value):
        return "/"
    return value
