"""What a database driver's error means for the person at the command line.

A driver speaks in codes: SQLite's result codes, PostgreSQL's SQLSTATEs. Four of them are not
bugs and not bad input, and each needs its own words and exit code (docs/CONTRACT.md):

- damage: SQLite "file is not a database" / "database disk image is malformed", PostgreSQL
  "data corrupted" / "index corrupted". Nothing read from such a file can be trusted, so
  every command that meets the damage stops as a failed verify does (exit 4), not as a bug
  ("please report", exit 1) and not by carrying on;
- a lock held too long by another session (SQLite's busy timeout, PostgreSQL's
  `lock_timeout`): exit 2 naming the lock, nothing written, the same command works later;
- a write to a read-only ledger (a copy on a DVD): exit 2, reading commands work there;
- a connection that broke mid-command (server restart, `pg_terminate_backend`, network):
  exit 5. The server rolls back every transaction that was not committed, so nothing is
  half-written, and running the command again is safe (imports skip what is stored,
  reversals, closes and commits refuse a second time).

The translation lives here once. Every engine netfund makes calls it from SQLAlchemy's
`handle_error` hook (`database.connect`), so the library, the CLI and the verify worker
processes all raise the same errors; the CLI calls it too for the rare driver error that
never passed through SQLAlchemy (PostgreSQL's COPY, the columnar export reader).
"""

from __future__ import annotations

import re
from typing import Any

from netfund.ledger.model.errors import (
    AccessDenied,
    ConnectionLost,
    DatabaseDamaged,
    LockWaitExceeded,
    NetfundError,
    ReadOnlyLedger,
)

# SQLite primary result codes (https://sqlite.org/rescode.html); extended codes keep the
# primary one in their low byte.
_SQLITE_BUSY = 5
_SQLITE_CONSTRAINT = 19
_SQLITE_READONLY = 8
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_SQLITE_PHRASES = (
    ("database disk image is malformed", _SQLITE_CORRUPT),
    ("file is not a database", _SQLITE_NOTADB),
)
# PostgreSQL SQLSTATEs (Appendix A of its manual).
_PG_LOCK_NOT_AVAILABLE = "55P03"
_PG_DAMAGE = {"XX001": "data corrupted", "XX002": "index corrupted"}
_PG_IDLE_TIMEOUT = "25P03"
#: A grant, a row policy or netfund's actor trigger said no (roles.py, migration 0010).
_PG_INSUFFICIENT_PRIVILEGE = "42501"
#: Connection exceptions (class 08) and the server ending the session (57P01-57P03).
_PG_GONE = ("08", "57P01", "57P02", "57P03")
_RELATION = re.compile(r'relation "([^"]+)"')
_CHAIN_HEAD = "chain_head"


def database_error(
    error: BaseException,
    where: str,
    *,
    lock_wait: float | None = None,
    connected: bool = True,
    disconnect: bool = False,
    statement: str | None = None,
) -> NetfundError | None:
    """The netfund error ``error`` (a DB-API error, or SQLAlchemy's wrapper of one) stands
    for, or None when it is none of the four (the caller then treats it as it did).

    ``where`` names the ledger (a redacted URL or a file). ``connected`` is False for an
    error while connecting: a server that cannot be reached is not a lost connection.
    ``disconnect`` is SQLAlchemy's own finding that the connection is gone.
    """
    original: Any = getattr(error, "orig", None) or error
    statement = statement or getattr(error, "statement", None)
    reason = _first_line(original)
    code = _sqlite_code(original)
    if code is not None:
        return _sqlite_error(code, reason, where, lock_wait)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _PG_DAMAGE:
        return _damaged(where, f"PostgreSQL: {_PG_DAMAGE[sqlstate]}: {reason}")
    if sqlstate == _PG_INSUFFICIENT_PRIVILEGE:
        return AccessDenied(
            f"the database at {where} refused it: {reason}. The login's netfund role does not "
            "allow this (netfund roles list); nothing was changed"
        )
    if sqlstate == _PG_LOCK_NOT_AVAILABLE:
        return _lock_wait(_pg_lock_name(original, statement), lock_wait)
    if sqlstate == _PG_IDLE_TIMEOUT:
        return ConnectionLost(
            f"the database at {where} ended this command's session: it stayed inside a "
            "write without a statement for longer than netfund lets a writer hold the "
            "ledger's locks (a stopped or stalled process). The server "
            "rolled the write back: nothing was stored. Run the command again."
        )
    if connected and (disconnect or _pg_gone(original)):
        return ConnectionLost(
            f"the connection to the database at {where} was lost during the command "
            f"({reason}). The server rolls back every write that was not committed, so "
            "nothing half-written stays; if the connection broke while committing, the "
            "write may be stored whole. Run the command again: an import skips what is "
            "already stored, and a reversal, close or commit refuses to happen twice."
        )
    return None


def refused_by_constraint(error: BaseException) -> bool:
    """Whether the database refused a row for a constraint (a unique key, a check, a foreign
    key, a trigger's ABORT): SQLite's SQLITE_CONSTRAINT, PostgreSQL's SQLSTATE class 23, raw
    from the driver (PostgreSQL's COPY reaches past SQLAlchemy) or wrapped by SQLAlchemy. The
    import's batch path leaves such a file to the row path, which names the row."""
    original: Any = getattr(error, "orig", None) or error
    code = _sqlite_code(original)
    if code is not None:
        return code & 0xFF == _SQLITE_CONSTRAINT
    sqlstate = getattr(original, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("23")


def _sqlite_error(
    code: int, reason: str, where: str, lock_wait: float | None
) -> NetfundError | None:
    primary = code & 0xFF
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return _damaged(where, f"SQLite: {reason}")
    if primary == _SQLITE_BUSY:
        return _lock_wait("the ledger's write lock (another netfund writer)", lock_wait)
    if primary == _SQLITE_READONLY:
        return read_only(where)
    return None


def read_only(where: str) -> ReadOnlyLedger:
    """The refusal of a write to a ledger that cannot be written here."""
    return ReadOnlyLedger(
        f"the ledger at {where} is read-only here (the file or its folder cannot be written, "
        "as on a DVD, a write-protected stick or a read-only share): reading commands such "
        "as verify, balance and status work, this one writes. Copy the database to a "
        "writable folder to write to it."
    )


def _damaged(where: str, reason: str) -> DatabaseDamaged:
    return DatabaseDamaged(
        f"the database at {where} is damaged ({reason}): nothing read from it can be "
        "trusted. Restore the newest backup (and check it with netfund verify); keep the "
        "damaged file for investigation."
    )


def _lock_wait(lock: str, seconds: float | None) -> LockWaitExceeded:
    how_long = "longer than netfund waits" if seconds is None else f"more than {seconds:g} s"
    return LockWaitExceeded(
        f"another session held {lock} for {how_long}, so netfund stopped "
        "waiting; nothing was written. Run the command again when the other one is done "
        "(NETFUND_LOCK_WAIT_SECONDS sets how long netfund waits)."
    )


def _pg_lock_name(original: Any, statement: str | None) -> str:
    diag = getattr(original, "diag", None)
    context = getattr(diag, "context", None) or ""
    match = _RELATION.search(context)
    relation = match.group(1) if match else None
    if relation is None and statement:
        # A table lock names no relation in the context, only where in the statement it
        # stopped: the table name at that position.
        position = getattr(diag, "statement_position", None)
        if position and position.isdigit():
            word = re.match(r'"?([A-Za-z_][A-Za-z0-9_]*)', statement[int(position) - 1 :])
            relation = word.group(1) if word else None
    if relation == _CHAIN_HEAD:
        return "the ledger's chain head lock (another netfund writer)"
    if relation:
        return f"a lock on the table {relation}"
    return "a lock netfund needs"


def _sqlite_code(original: Any) -> int | None:
    code = getattr(original, "sqlite_errorcode", None)
    if code is None and type(original).__module__.startswith("adbc_driver"):
        # The ADBC driver (columnar exports) passes on SQLite's message, not its code.
        text = str(original)
        code = next((number for phrase, number in _SQLITE_PHRASES if phrase in text), None)
    return code if isinstance(code, int) else None


def _pg_gone(original: Any) -> bool:
    if not type(original).__module__.startswith("psycopg"):
        return False
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:
        # libpq's own failures (server closed the connection, consuming input failed)
        # carry no SQLSTATE; a broken connection reports itself closed.
        return type(original).__name__ == "OperationalError"
    return sqlstate.startswith(_PG_GONE)


def _first_line(error: Any) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
