"""The headers every response carries, and the session cookie they set.

One ASGI middleware, so no route can forget them. The Content-Security-Policy allows nothing
but this server's own stylesheet and images: no script at all (the pages work without it), no
inline style (charts use SVG presentation attributes), no framing (clickjacking), forms posting
only here. Pages with money are never cached (``no-store``: a shared computer's browser cache
or a proxy must not keep a funder's figures); only /static may be.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the
    # portal's own form posts, which `sign_in.csrf_ok` must refuse (a sandboxed frame sends it
    # too). Other sites still learn nothing of a page's address.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: The request state key under which a route leaves the cookie to set: (value, max_age).
COOKIE_STATE = "netfund_cookie"


class SecurityHeaders:
    """Adds `HEADERS`, the cache rule and the session cookie to every HTTP response."""

    def __init__(self, app: ASGIApp, cookie_name: str) -> None:
        self.app = app
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
                cookie = scope.get("state", {}).get(COOKIE_STATE)
                if cookie is not None:
                    headers.append("Set-Cookie", self._cookie(scope, *cookie))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, scope: Scope, value: str, max_age: int | None) -> str:
        parts = [f"{self.cookie_name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if scope.get("scheme") == "https":  # behind TLS (uvicorn's proxy headers say so)
            parts.append("Secure")
        return "; ".join(parts)
