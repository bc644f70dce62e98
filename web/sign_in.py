"""Signing in and out, the language switch, and the start page that sends each role home.

Every POST here carries the session's CSRF token (`csrf_ok`); the session cookie is also
SameSite=Strict, so a form on another site cannot post here with it. A sign-in is refused while
the name or the address is throttled (`throttle.py`), and every attempt — signed in, refused,
throttled — and every sign-out is appended to the audit trail (`record_sign_in`: the name only
when it is a known user's, so a password typed into the name field is never stored). The
password itself goes to `check_password` and nowhere else: not into a page, a log or a record.
"""

from __future__ import annotations

import secrets

from netfund.ledger import check_password, record_sign_in
from netfund.web.guards import (
    end_session,
    ensure_session,
    safe_next,
    session_of,
    use_session,
    viewer,
)
from netfund.web.i18n import LANGUAGES
from netfund.web.render import page
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

#: Longest user name or password read from the form (Argon2 hashes any length; a megabyte
#: password would only cost the server time).
FIELD_MAX = 1024


def csrf_ok(request: Request, form: FormData) -> bool:
    """True when the form carries this session's CSRF token and, if the browser says where
    the form came from, it came from this server."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    session = session_of(request)
    sent = form.get("csrf_token")
    return (
        session is not None
        and isinstance(sent, str)
        and secrets.compare_digest(sent.encode(), session.csrf_token.encode())
    )


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:FIELD_MAX] if isinstance(value, str) else ""


def _form_page(request: Request, next_path: str, message: str | None, status: int) -> Response:
    return page(request, "login.html", {"next": next_path, "message": message}, status)


async def home(request: Request) -> Response:
    """/: each role's own start page."""
    who = viewer(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.role == "funder":
        return RedirectResponse(f"/funders/{who.funder}", status_code=303)
    return RedirectResponse("/admin" if who.role == "administrator" else "/controller", 303)


async def sign_in_form(request: Request) -> Response:
    """GET /login: the form (a signed-in viewer goes home)."""
    if viewer(request) is not None:
        return RedirectResponse("/", status_code=303)
    ensure_session(request)
    message = "signed_out" if request.query_params.get("signed_out") == "1" else None
    return _form_page(request, safe_next(request.query_params.get("next")), message, 200)


async def sign_in(request: Request) -> Response:
    """POST /login: check the password, then a new session (a new token: fixation)."""
    form = await request.form()
    next_path = safe_next(_field(form, "next"))
    if not csrf_ok(request, form):
        ensure_session(request)
        return _form_page(request, next_path, "session_expired", 403)
    state = request.app.state
    name, password, address = _field(form, "username"), _field(form, "password"), _address(request)
    if state.throttle.blocked(name, address):
        await run_in_threadpool(record_sign_in, state.engine, name, "throttled", address)
        return _form_page(request, next_path, "sign_in_throttled", 429)
    user = await run_in_threadpool(check_password, state.engine, name, password)
    if user is None:
        state.throttle.failed(name, address)
        await run_in_threadpool(record_sign_in, state.engine, name, "refused", address)
        return _form_page(request, next_path, "sign_in_failed", 401)
    state.throttle.succeeded(name)
    use_session(request, state.sessions.sign_in(session_of(request), user))
    await run_in_threadpool(record_sign_in, state.engine, user.name, "signed in", address)
    return RedirectResponse(next_path, status_code=303)


async def sign_out(request: Request) -> Response:
    """POST /logout: end the session for every holder of its token."""
    form = await request.form()
    if not csrf_ok(request, form):
        return page(request, "error.html", {"status": 403, "message": "session_expired"}, 403)
    who = viewer(request)
    end_session(request)
    if who is not None:
        state = request.app.state
        await run_in_threadpool(
            record_sign_in, state.engine, who.name, "signed out", _address(request)
        )
    return RedirectResponse("/login?signed_out=1", status_code=303)


async def switch_language(request: Request) -> Response:
    """POST /language: show the pages in the other language from now on."""
    form = await request.form()
    if not csrf_ok(request, form):
        return page(request, "error.html", {"status": 403, "message": "session_expired"}, 403)
    language = _field(form, "language")
    if language in LANGUAGES:
        ensure_session(request).language = language
    return RedirectResponse(safe_next(_field(form, "next")), status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", sign_in_form, methods=["GET"]),
    Route("/login", sign_in, methods=["POST"]),
    Route("/logout", sign_out, methods=["POST"]),
    Route("/language", switch_language, methods=["POST"]),
]
