"""Sign-in throttling: a password cannot be guessed faster than a few tries per quarter hour.

Failures are counted per user name and per client address, in this process's memory. A name
that failed `PER_USER` times in `WINDOW_SECONDS` is refused even with the right password until
the oldest of those failures leaves the window (guessing one person's password from many
addresses); an address that failed `PER_ADDRESS` times likewise (guessing many names from one
place; higher, since an office shares one address). A refused attempt is not a failure of its
own, so the lock ends on time however long an attacker keeps trying. A success clears its
name's failures, not its address's.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

PER_USER = 5
PER_ADDRESS = 20
WINDOW_SECONDS = 15 * 60
#: Keys remembered at most (the oldest are forgotten first): memory stays bounded.
KEYS_MAX = 50_000


class Throttle:
    """Failed sign-ins per name and per address within the window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str, address: str) -> bool:
        """True when ``name`` or ``address`` has used up its tries in the window."""
        now = self._clock()
        with self._lock:
            return (
                self._count(("user", name.casefold()), now) >= PER_USER
                or self._count(("address", address), now) >= PER_ADDRESS
            )

    def failed(self, name: str, address: str) -> None:
        """Count one failed sign-in against ``name`` and ``address``."""
        now = self._clock()
        with self._lock:
            for key in (("user", name.casefold()), ("address", address)):
                self._failures.setdefault(key, deque()).append(now)
            while len(self._failures) > KEYS_MAX:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        """Forget ``name``'s failures after a successful sign-in."""
        with self._lock:
            self._failures.pop(("user", name.casefold()), None)

    def _count(self, key: tuple[str, str], now: float) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)
