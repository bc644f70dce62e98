"""Figures computed once per state of the ledger, not once per page view.

A funder's overview is its statement's data, and reading a period's inputs takes 1.4 s at
100,000 expenses (docs/BENCHMARKS.md); twenty funders' staff refreshing their pages would
queue behind each other. Between two writes the answer cannot change, so it is kept under a
key that holds the `LedgerState` (the transaction chain's head and the network's versions:
any import, post, close or network change moves it) and the reader's database scope (a
funder's row policies change what its role reads). A stale figure is impossible: the state
is read in the same snapshot as the page, and a changed state is a different key.

The cache is this process's, bounded (`ENTRIES_MAX`, least recently used go first) and
thread-safe; threads missing the same key at once compute it once (the others wait for it).
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from netfund.ledger import (
    ledger_state,
    postings_order,
    postings_page,
    postings_totals,
    reading,
    recorded_periods,
)
from netfund.reports.portal import (
    FunderIndicators,
    FunderOverview,
    funder_indicators,
    funder_overview,
)
from netfund.reports.statement.data import PeriodInputs, default_as_of, read_period_inputs
from netfund.web.sessions import Viewer
from sqlalchemy import Connection, Engine
from starlette.requests import Request

T = TypeVar("T")

#: Answers kept at most.
ENTRIES_MAX = 256
#: Orders of postings kept at most (2 MB each for a funder's year of 120,000 lines).
ORDERS_MAX = 32


class FigureCache:
    """A bounded map from a key (with the ledger's state in it) to a computed answer."""

    def __init__(self, entries: int = ENTRIES_MAX) -> None:
        self._entries = entries
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        #: One lock per key being computed: a crowd of first requests computes it once.
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer under ``key``, computed by ``compute`` if it is not kept (by one
        caller; the others asking for it meanwhile wait for that one)."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                self.hits += 1
                return self._answers[key]  # type: ignore[no-any-return]
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._answers:  # computed by the caller this one waited for
                    self.hits += 1
                    return self._answers[key]  # type: ignore[no-any-return]
                self.misses += 1
            try:
                answer = compute()
                with self._lock:
                    self._answers[key] = answer
                    while len(self._answers) > self._entries:
                        self._answers.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return answer


def _scope(who: Viewer, connection: Connection) -> tuple[str, str | None]:
    """Whose database view the figures were read in: on PostgreSQL a funder's own role reads
    less (row security); elsewhere every reader sees the same rows, so they share answers."""
    if who.role == "funder" and connection.dialect.name == "postgresql":
        return ("funder", who.funder)
    return ("everything", None)


def overview(
    request: Request,
    who: Viewer,
    connection: Connection,
    code: str,
    period: str | None,
    language: str,
) -> FunderOverview:
    """`funder_overview` of ``code``, kept per state of the ledger (see module)."""
    scope, state = _scope(who, connection), ledger_state(connection)
    figures: FigureCache = request.app.state.figures
    return figures.get(
        ("overview", scope, code, period, language, state),
        lambda: funder_overview(
            connection, code, period, None, language, read=_inputs(request, scope, state)
        ),
    )


def indicators(
    request: Request, who: Viewer, connection: Connection, code: str, period: str | None
) -> FunderIndicators:
    """`funder_indicators` of ``code`` on the period's inputs kept per state of the ledger.

    Only the inputs are kept (an import of measurements moves the `LedgerState`, so the
    inputs' measurements are never stale); the outcomes are computed on every page (a few
    hundred rows; `indicator_outcomes` is pure and quick).
    """
    scope, state = _scope(who, connection), ledger_state(connection)
    return funder_indicators(connection, code, period, read=_inputs(request, scope, state))


def _inputs(
    request: Request, scope: tuple[str, str | None], state: Hashable
) -> Callable[[Connection, str, datetime.date], PeriodInputs]:
    """The period's inputs as the reader ``scope`` sees them, read once per state of the
    ledger for every page that needs them (1.4 s at 100,000 expenses)."""
    figures: FigureCache = request.app.state.figures

    def read(connection: Connection, period: str, as_of: datetime.date) -> PeriodInputs:
        return figures.get(
            ("inputs", scope, period, as_of, state),
            lambda: read_period_inputs(connection, period, as_of),
        )

    return read


def postings(request: Request, who: Viewer, connection: Connection, **selection: Any) -> Any:
    """`postings_page` with the selection's totals and its order kept per state of the
    ledger: a page is then a look-up of its 50 lines by key, whichever page it is.
    ``selection`` holds `postings_page`'s keywords."""
    state = ledger_state(connection)
    counted = {
        name: selection[name] for name in ("funder", "period", "group", "date_from", "date_to")
    }
    key = (_scope(who, connection), tuple(sorted(counted.items())), state)
    totals = request.app.state.figures.get(
        ("totals", *key), lambda: postings_totals(connection, **counted)
    )
    ordering = {"sort": selection["sort"], "descending": selection["descending"]}
    order = request.app.state.orders.get(
        ("order", *key, tuple(sorted(ordering.items()))),
        lambda: postings_order(connection, **counted, **ordering),
    )
    return postings_page(connection, totals=totals, order=order, **selection)


def warm(engine: Engine, figures: FigureCache) -> None:
    """Read the newest period's inputs into ``figures`` (as every reader who sees all rows
    shares them), so the first overviews after the server starts do not each wait 1.4 s.
    Run in a thread at start-up; any failure is left for the first page to report."""
    try:
        with reading(engine) as connection:
            periods = recorded_periods(connection)
            if not periods:
                return
            period = periods[-1]
            as_of = default_as_of(period)
            key = ("inputs", ("everything", None), period, as_of, ledger_state(connection))
            figures.get(key, lambda: read_period_inputs(connection, period, as_of))
    except Exception:
        return
