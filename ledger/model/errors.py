"""Every exception netfund raises on purpose, drawn once here.

    NetfundError                       base of all deliberate errors
    ├── InputError          (exit 2)   bad input: carries every `Problem` found, file:line each
    ├── LedgerError         (exit 2)   a request the ledger refuses (closed period, unknown
    │                                  transaction, second reversal, ...); nothing was written
    │   ├── LockWaitExceeded           another writer held a lock longer than netfund waits
    │   ├── ReadOnlyLedger             a write to a ledger on a read-only medium
    │   └── AccessDenied               the login's role may not do it (PostgreSQL roles)
    ├── InfeasibleError     (exit 3)   an allocation plan that cannot be satisfied (allocation/)
    ├── SolverFailure       (exit 1)   the solver proved no optimum (time limit, numerics,
    │                                  missing solver); defined in allocation/solver.py
    ├── TimeLimitExceeded   (exit 1)   allocate's --time-limit ran out (the whole run, not one
    │                                  solve); nothing stored; defined in allocation/errors.py
    ├── VerificationError   (exit 4)   the stored ledger does not verify: names the transaction
    │   └── DatabaseDamaged            the database itself reports damage (SQLite: "file is not
    │                                  a database", "disk image is malformed")
    ├── ConnectionLost      (exit 5)   the database connection broke during the command; the
    │                                  server rolled back what was not committed
    └── InvariantViolation  (exit 1)   the engine was about to break an invariant; a bug, never
                                       a user error, so it is raised and not caught

Errors are values first: validators collect `Problem`s for a whole file and raise one
`InputError` with all of them, so a user fixes a file in one pass and not line by line.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every character str.splitlines() breaks on: a message quoting hostile input stays one line.
_LINE_BREAKS = {
    ord(char): char.encode("unicode_escape").decode("ascii")
    for char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input.

    Attributes:
        source: the file name (or another label of the input, like ``--line``).
        line: 1-based line in ``source``, or None when the problem has no single line.
        message: what is wrong, in words a user can act on.
        key: a key path like ``funders[2].overhead_cap`` for structured files, or None.
    """

    source: str
    line: int | None
    message: str
    key: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        if self.key:
            where = f"{where}: {self.key}"
        return f"{where}: {self.message}".translate(_LINE_BREAKS)


class NetfundError(Exception):
    """Base class of netfund's deliberate errors; `exit_code` is what the CLI exits with."""

    exit_code = 1


class InputError(NetfundError):
    """Bad input. Holds every problem found; `str()` lists them one per line."""

    exit_code = 2
    #: Problems listed in full; the rest are counted, so a broken million-line file stays legible.
    shown_max = 50

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("an InputError needs at least one problem")
        self.problems = sorted(problems, key=lambda p: (p.source, p.line or 0))
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(problem) for problem in self.problems[: self.shown_max]]
        hidden = len(self.problems) - self.shown_max
        if hidden > 0:
            lines.append(f"... and {hidden} more problems")
        return "\n".join(lines)


class LedgerError(NetfundError):
    """A well-formed request that the ledger refuses; the message says why and what to do."""

    exit_code = 2


class VerificationError(NetfundError):
    """The stored ledger fails verification; the message names the first bad transaction."""

    exit_code = 4


class DatabaseDamaged(VerificationError):
    """The database engine found its own file or pages damaged: nothing read from it is
    trustworthy, so every command that meets the damage stops as verify would (exit 4)."""


class LockWaitExceeded(LedgerError):
    """A lock another session holds was not released within the wait netfund allows.

    Exit 2 like any refused request: nothing was written, and the same command succeeds once
    the other writer is done. A wait without bound would hang cron jobs and scripts silently.
    """


class ReadOnlyLedger(LedgerError):
    """A write to a ledger whose file or folder cannot be written (a copy on a DVD, a
    read-only share): reading commands work there, writing ones need a writable copy."""


class AccessDenied(LedgerError):
    """The session's login may not do what it asked: its netfund role (PostgreSQL) does not
    allow it. Exit 2 like any refused request: nothing was written."""


class ConnectionLost(NetfundError):
    """The connection to the database broke while the command ran (server restart, killed
    session, network). Not bad input and not a bug, so it has its own exit code: the server
    rolls back every transaction that was not committed, and running the command again is
    the remedy."""

    exit_code = 5


class InvariantViolation(NetfundError):
    """The engine caught itself about to break a ledger invariant. Never raised by bad input."""

    exit_code = 1
