"""Pages from templates: every page gets the same frame, words and number formats.

Jinja2 autoescapes every value (a description in the ledger holding ``<script>`` is shown as
text). `page` adds what the frame needs: the viewer, the language and its `t` (words) and `fmt`
(amounts, shares and dates as the statements print them), the CSRF token for the forms, and
the path to come back to after switching language.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from netfund.reports.formatting import Formatter
from netfund.web.guards import ensure_session, viewer
from netfund.web.i18n import LANGUAGES
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    """The templates' environment: autoescaped, and an undefined name is an error."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def language_of(request: Request) -> str:
    """The language of the page: the session's choice, else the network's."""
    state = request.app.state
    who = viewer(request)
    if who is not None:
        return who.language
    session = ensure_session(request)
    return session.language or state.language


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` in the viewer's language."""
    state = request.app.state
    language = language_of(request)
    session = ensure_session(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    values = {
        "viewer": viewer(request),
        "language": language,
        "languages": LANGUAGES,
        "t": partial(state.words.text, language),
        "fmt": Formatter(language, state.currency),
        "csrf_token": session.csrf_token,
        "network_name": state.network_name,
        "here": here,
        **(context or {}),
    }
    html = state.templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)
