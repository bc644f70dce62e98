"""Server-side sessions: the browser holds a random token, the server holds everything else.

A signed cookie holding the user (Starlette's SessionMiddleware) cannot be revoked: a stolen
cookie would work until it expires, and logout would only ask the browser to forget it. Here
the cookie is a 256-bit random token naming a session in this process's memory, so logout and
expiry end it for everyone holding it. The token is replaced at sign-in (an attacker who planted
a token before sign-in holds a dead one: session fixation) and each session carries its own
CSRF token for the forms. Sessions die after `IDLE_SECONDS` without a request and after
`ABSOLUTE_SECONDS` in all; a restart of the server signs everyone out. At most `SESSIONS_MAX`
live at once (the oldest go first), so anonymous visitors cannot fill the memory.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from netfund.ledger import PortalUser

#: The cookie's name.
COOKIE = "netfund_session"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 60 * 60
SESSIONS_MAX = 10_000


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as pages and guards see it.

    Attributes:
        name: the portal user's name.
        role: administrator, controller or funder.
        funder: the funder code of a funder's login, else None.
        language: the language the pages are shown in.
        csrf_token: the token every form of this session carries.
    """

    name: str
    role: str
    funder: str | None
    language: str
    csrf_token: str


@dataclass
class Session:
    """One browser's session.

    Attributes:
        token: the cookie's value.
        csrf_token: the token its forms must send back.
        created: when it began (the store's clock).
        seen: its last request.
        user: who signed in, or None before sign-in.
        language: the language chosen with the switch, or None for the network's.
        checked: when its login was last found unchanged (the store's clock).
    """

    token: str
    csrf_token: str
    created: float
    seen: float
    user: PortalUser | None = None
    language: str | None = None
    checked: float = float("-inf")


class SessionStore:
    """The live sessions of one server process; safe to use from the worker threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token`` (its last request now), or None."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session.seen > IDLE_SECONDS or now - session.created > ABSOLUTE_SECONDS:
                del self._sessions[token]
                return None
            session.seen = now
            self._sessions.move_to_end(token)
            return session

    def new(self, language: str | None = None) -> Session:
        """A new anonymous session."""
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        session.language = language
        self._add(session)
        return session

    def sign_in(self, old: Session | None, user: PortalUser) -> Session:
        """A new session for ``user``, with a new token and CSRF token; ``old`` ends."""
        if old is not None:
            self.end(old.token)
        now = self._clock()
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            now,
            now,
            user=user,
            language=old.language if old is not None else None,
        )
        self._add(session)
        return session

    def end(self, token: str) -> None:
        """End the session of ``token`` (logout); unknown tokens are ignored."""
        with self._lock:
            self._sessions.pop(token, None)

    def now(self) -> float:
        """The store's clock (tests drive it)."""
        return self._clock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _add(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.token] = session
            while len(self._sessions) > SESSIONS_MAX:
                self._sessions.popitem(last=False)


def viewer_of(session: Session | None, default_language: str) -> Viewer | None:
    """The `Viewer` of a signed-in session, else None."""
    if session is None or session.user is None:
        return None
    user = session.user
    return Viewer(
        name=user.name,
        role=user.role,
        funder=user.funder,
        language=session.language or default_language,
        csrf_token=session.csrf_token,
    )
