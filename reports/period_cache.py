"""The period's inputs, read once per state of the ledger and shared by the portal's pages.

`read_period_inputs` reads the whole period: 1.4 s at 100k expenses (docs/BENCHMARKS.md, "The
funder portal under load"), and an overview needs it on every request. Every write to the
ledger appends a record to the records chain (a `write` record with each batch of transactions,
network changes, approvals, closes, users and sign-ins), so the records chain's head names the
state the inputs were read from: the same ledger, period, as-of date and head give the same
inputs, and any write makes the next page read afresh. The head is read in the caller's own
read transaction, so the key and the inputs belong to the same snapshot.

A read under another database role than the login's (a funder's session on PostgreSQL, where
row security changes what every query sees) is not cached: its inputs are that role's, and
the head alone would not tell them apart.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict

from netfund.ledger import records_head
from netfund.reports.statement.data import PeriodInputs, read_period_inputs
from sqlalchemy import Connection, text

#: Inputs kept at most (the oldest go first): a few periods, as-of dates and ledgers.
ENTRIES_MAX = 8

_Key = tuple[str, str, datetime.date, int, str]
_cache: OrderedDict[_Key, PeriodInputs] = OrderedDict()
#: One lock per state being read, so a crowd of first requests reads it once.
_reading: dict[_Key, threading.Lock] = {}
_lock = threading.Lock()


def period_inputs(connection: Connection, period: str, as_of: datetime.date) -> PeriodInputs:
    """`read_period_inputs`, or the inputs an earlier call read at the same state. Callers
    asking for the same state at once wait for one read rather than each reading."""
    key = _key(connection, period, as_of)
    if key is None:
        return read_period_inputs(connection, period, as_of)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        gate = _reading.setdefault(key, threading.Lock())
    with gate:
        with _lock:
            found = _cache.get(key)
        if found is not None:  # read by the caller this one waited for
            return found
        try:
            inputs = read_period_inputs(connection, period, as_of)
            with _lock:
                _cache[key] = inputs
                while len(_cache) > ENTRIES_MAX:
                    _cache.popitem(last=False)
        finally:
            with _lock:
                _reading.pop(key, None)
    return inputs


def _key(connection: Connection, period: str, as_of: datetime.date) -> _Key | None:
    if connection.dialect.name == "postgresql":
        own = connection.execute(text("SELECT current_user = session_user")).scalar()
        if not own:
            return None
    head = records_head(connection)
    return (str(connection.engine.url), period, as_of, head.seq, head.hash)
