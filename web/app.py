"""The portal's ASGI application: routes, error pages, headers, and the state they share.

`create_app` reads what every page needs once (the network's name, language and currency),
gathers the routes and words of `ROUTE_MODULES`, and wraps everything in `SecurityHeaders`.
Errors never show a traceback: an unknown page, a refusal or a bad parameter is a page in the
viewer's language (the JSON API answers JSON), and an unexpected error is a plain 500.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from netfund.ledger import read_network_timeline, reading, require_schema
from netfund.web import words
from netfund.web.documents import CheckCache
from netfund.web.figure_cache import ORDERS_MAX, FigureCache, warm
from netfund.web.guards import SignInRequired, sign_in_path
from netfund.web.i18n import LANGUAGES, Words
from netfund.web.render import environment, page
from netfund.web.security import SecurityHeaders
from netfund.web.sessions import COOKIE, SessionStore
from netfund.web.throttle import Throttle
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

#: The modules holding the portal's routes (each exports ``routes``, and may export ``WORDS``).
ROUTE_MODULES = (
    "netfund.web.sign_in",
    "netfund.web.funder_pages",
    "netfund.web.api",
    "netfund.web.document_pages",
    "netfund.web.staff_pages",
    "netfund.web.indicator_pages",
)
STATIC = Path(__file__).parent / "static"
#: What the JSON API says for each refusal (the pages say it in words).
API_ERRORS = {
    400: "bad request",
    401: "sign in first",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
}


def default_files(engine: Engine) -> Path | None:
    """The folder holding statements/ and exports/ when none is given: a SQLite ledger's own
    folder (as `netfund demo` lays it out); None for a server database."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return Path(database).resolve().parent
    return None


def create_app(
    engine: Engine,
    *,
    files: Path | None = None,
    language: str | None = None,
    sessions: SessionStore | None = None,
    throttle: Throttle | None = None,
) -> Starlette:
    """The portal on the ledger of ``engine``.

    ``files`` holds the issued statements (``statements/``) and exports (``exports/``);
    ``language`` overrides the network's; ``sessions`` and ``throttle`` are given by tests
    that drive their clocks.
    """
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        network = read_network_timeline(connection).newest.network
    chosen = language or network.language
    if chosen not in LANGUAGES:
        chosen = "en"
    gathered = Words()
    gathered.add("netfund.web.words", words.WORDS)
    routes: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(name)
        routes.extend(module.routes)
        if hasattr(module, "WORDS"):
            gathered.add(name, module.WORDS)
    routes.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    app = Starlette(
        routes=routes,
        lifespan=_warm_on_start,
        middleware=[Middleware(SecurityHeaders, cookie_name=COOKIE)],
        exception_handlers={
            SignInRequired: _sign_in_required,
            HTTPException: _refused,
        },
    )
    app.state.engine = engine
    app.state.files = files if files is not None else default_files(engine)
    app.state.language = chosen
    app.state.network_name = network.name
    app.state.currency = network.currency
    app.state.words = gathered
    app.state.templates = environment()
    app.state.sessions = sessions if sessions is not None else SessionStore()
    app.state.throttle = throttle if throttle is not None else Throttle()
    app.state.funders = None
    app.state.figures = FigureCache()
    app.state.orders = FigureCache(ORDERS_MAX)
    app.state.statement_checks = CheckCache()
    return app


@contextlib.asynccontextmanager
async def _warm_on_start(app: Starlette) -> AsyncIterator[None]:
    """When a server starts the app: read the newest period's figures in the background, so
    the first funders to sign in do not wait for them (tests' clients skip this)."""
    threading.Thread(
        target=warm, args=(app.state.engine, app.state.figures), name="netfund-warm", daemon=True
    ).start()
    yield


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _sign_in_required(request: Request, error: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"error": API_ERRORS[401]}, status_code=401)
    assert isinstance(error, SignInRequired)
    return RedirectResponse(sign_in_path(error.next_path), status_code=303)


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    status = error.status_code
    if _is_api(request):
        message = error.detail if status == 400 else API_ERRORS.get(status, "error")
        return JSONResponse({"error": message}, status_code=status)
    key = {400: "error_400", 403: "error_403"}.get(status, "error_404")
    reason = error.detail if status == 400 else ""
    # The language switch of an error page goes home, not back to the address asked: the
    # page of another funder's code must be byte for byte the page of an unknown code.
    context = {"status": status, "message": key, "reason": reason, "here": "/"}
    return page(request, "error.html", context, status)
