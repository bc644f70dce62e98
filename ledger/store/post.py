"""One unit of work for every write to the chain: the only path from drafts to stored transactions.

`post_drafts` opens the write transaction, refuses a database netfund has not initialised,
locks the chain head (the `Appender`), reads the closed periods under that lock and hands the
caller's ``compose`` a `UnitOfWork`. ``compose`` reads what it needs through the unit's
connection (the same transaction: nothing changes in between) and appends its drafts through
the unit, where the rules every write shares are checked, here and only here:

- closed periods: nothing is appended to a period the lock table or a closing entry in the
  chain says is closed (deleting the lock row, outside the hash chain, must not reopen a year);
- idempotency, for input rows (`admit`): an id stored before, or earlier in the same write,
  with the same content is skipped; with other content it is a problem on the row's line;
- the standing rules of `rules.py`, against the network as stored: every line of every draft
  (known fund and group, `Expenses:G` and `Budget:Allocated:G` carry group G, earmarks), and,
  when ``compose`` is done, the budget of each period the write touched (no allocation below
  zero, none beyond what was committed, overhead within each cap).

When ``compose`` returns, the problems found (if any) raise one `InputError` and roll
everything back, so an input is stored completely or not at all; otherwise the last batch is
written, the chain head moves, a ``write`` record (the `Action`, who, when, which
transactions: the audit trail) is appended to the records chain, and the transaction
commits. The `PostReport` says what was posted and where the chain ends now.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from netfund.ledger.inputs.network import Network
from netfund.ledger.model.columns import content_values
from netfund.ledger.model.entries import Draft, Line, Transaction, lines_of
from netfund.ledger.model.errors import InputError, LedgerError, Problem
from netfund.ledger.store.access import require
from netfund.ledger.store.approvals import Gate, proposing
from netfund.ledger.store.database import require_schema, writing
from netfund.ledger.store.records import append_record, recorded_closes, utc_now
from netfund.ledger.store.registry import NetworkVersion, read_network_timeline
from netfund.ledger.store.repeats import Repeats
from netfund.ledger.store.rules import LineRules, budget_problems
from netfund.ledger.store.schema import closed_periods_table, transactions_table
from netfund.ledger.store.writer import Appender
from sqlalchemy import ColumnElement, Connection, Engine, func, insert, select

T = TypeVar("T")

#: Types whose postings never touch a budget or contribution account (`event_rules`); only
#: used to name an input line when a budget rule refuses a write.
_CASH_TYPES = frozenset({"expense", "receipt", "refund"})


@dataclass(frozen=True)
class Action:
    """What a write does, in the words of the audit trail and of the approval rules.

    Attributes:
        name: ``import``, ``post``, ``reverse``, ``allocation-commit``, ``close``, ``reopen``.
        arguments: what it was asked with (JSON values): enough to name it in the audit
            trail, and to perform it again.
        approving: the number of the proposal this write carries out (`approvals.py`), or
            None for a write asked for directly.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    approving: int | None = None


@dataclass(frozen=True)
class PostReport(Generic[T]):
    """What one write did.

    Attributes:
        source: the input (a file name) or the kind of request written.
        posted: transactions appended.
        skipped: input rows whose id was stored before with the same content.
        first_id: chain position of the first transaction appended (None if none was).
        last_id: chain position of the last one appended (None if none was).
        head_id: chain position of the newest transaction afterwards.
        head_hash: its hash: the ledger's fingerprint.
        actor: who wrote it (`identity.current_actor`), as its transactions and records say.
        seconds: wall time of the whole write.
        outcome: what the caller's ``compose`` returned.
    """

    source: str
    posted: int
    skipped: int
    first_id: int | None
    last_id: int | None
    head_id: int
    head_hash: str
    actor: str
    seconds: float
    outcome: T


def closed_periods(connection: Connection) -> set[str]:
    """The closed periods: those whose newest event in the lock table is a close, those with
    closing entries not reversed by a reopen, and those the records chain says are closed
    now (deleting or adding a lock row, outside both chains, reopens nothing)."""
    t, c = transactions_table.c, closed_periods_table.c
    newest = select(c.period, func.max(c.seq).label("seq")).group_by(c.period).subquery()
    locked = (
        select(c.period)
        .join(newest, (newest.c.period == c.period) & (newest.c.seq == c.seq))
        .where(c.event == "close")
    )
    settled = select(t.period).where(t.type == "close", standing()).distinct()
    return (
        set(connection.execute(locked).scalars())
        | set(connection.execute(settled).scalars())
        | set(recorded_closes(connection))
    )


def standing() -> ColumnElement[bool]:
    """Transactions that neither reverse one nor are reversed: a period's closing entries
    that still stand (a reopen reverses them, and a reopened period has none)."""
    t = transactions_table.c
    reversing = select(t.reversal_of).where(t.reversal_of.is_not(None))
    return t.reversal_of.is_(None) & t.id.not_in(reversing)


class UnitOfWork:
    """One write transaction on the chain, as `post_drafts` hands it to its caller.

    Attributes:
        connection: the write transaction, for reading what the drafts depend on.
        source: what is written (a file name, or the kind of request).
        problems: input problems found so far; any of them rolls the write back.
    """

    def __init__(
        self,
        connection: Connection,
        source: str,
        appender: Appender,
        on_closed: Literal["refuse", "report"],
        closed_hint: str,
    ) -> None:
        self.connection = connection
        self.source = source
        self.problems: list[Problem] = []
        #: The drafts appended, kept only when an approval may ask for them (`approvals.Gate`).
        self.drafts: list[Draft] | None = None
        #: Arguments ``compose`` settled itself (`resolve`).
        self.resolved: dict[str, Any] = {}
        self._appender = appender
        self._on_closed = on_closed
        self._closed_hint = closed_hint
        # Read after the appender locked the chain head: no writer can close a period now.
        self._closed = closed_periods(connection)
        self._repeats = Repeats(source, appender, self.problems)
        #: The input row `admit` passed last: (id, period, line).
        self._admitted: tuple[str, str, int] | None = None
        self._networks = read_network_timeline(connection)
        #: The version in force per period, and its line rules, each found at the period's
        #: first row (an import asks once per row: a dictionary look-up, not a search).
        self._versions: dict[str, NetworkVersion] = {}
        self._lines: dict[str, LineRules] = {}
        #: The input line that changed a (fund, period)'s budget last, and a period's, to
        #: name the line when the budget rules refuse the write.
        self._budget_lines: dict[tuple[str | None, str], int] = {}

    @property
    def network(self) -> Network:
        """The newest network version (every funder and group the ledger knows), read (and
        its records chain re-hashed) once per write."""
        return self._networks.newest.network

    def network_for(self, period: str | None) -> Network:
        """The network in force for ``period`` (the newest version for None): what decides
        a transaction of that period, its earmarks, caps and unspent money."""
        return self.network if period is None else self._version_for(period).network

    def _version_for(self, period: str) -> NetworkVersion:
        version = self._versions.get(period)
        if version is None:
            version = self._versions[period] = self._networks.version_for(period)
        return version

    def _line_rules(self, period: str) -> LineRules:
        rules = self._lines.get(period)
        if rules is None:
            rules = self._lines[period] = LineRules(self._version_for(period).network)
        return rules

    @property
    def closed_periods(self) -> frozenset[str]:
        """The periods closed, as of the chain lock and what this write closed since."""
        return frozenset(self._closed)

    @property
    def head_id(self) -> int:
        """The chain position of the newest transaction, appended in this write or before."""
        return self._appender.last_id

    @property
    def skipped(self) -> int:
        """Input rows skipped so far: their id was stored before with the same content."""
        return self._repeats.skipped

    def resolve(self, **arguments: Any) -> None:
        """Record what the write's arguments left open and ``compose`` settled (the run
        ``latest`` was, the default date used): the `Action` is kept with them, so that
        performing it again (an approval) gives the same drafts."""
        self.resolved.update(arguments)

    def problem(self, line: int | None, message: str) -> None:
        """Report a problem on ``line`` of the input: the write will be rolled back."""
        self.problems.append(Problem(self.source, line, message))

    def position_of(self, external_id: str) -> int | None:
        """The chain position of the transaction with ``external_id``, if it is stored."""
        stored = self._appender.stored_sources([external_id]).get(external_id)
        return None if stored is None else stored[0]

    def prefetch(self, external_ids: Sequence[str]) -> None:
        """Start a round of `admit`: look up ``external_ids`` in the ledger together."""
        self._repeats.prefetch(external_ids)

    def admit(self, line: int, external_id: str, fingerprint: str, period: str) -> bool:
        """Whether the input row on ``line`` is to be appended: its id is new (one stored
        with the same content is skipped, with other content reported) and its period open.

        Call `prefetch` with the row's id first (per round of rows), and `append` the row's
        draft right after. A closed period is a problem on ``line`` when the unit reports
        them, else refused.
        """
        if not self._repeats.is_new(line, external_id, fingerprint):
            return False
        if period in self._closed:
            if self._on_closed == "report":
                self.problem(line, f"period {period} is closed")
                return False
            self._refuse(period, external_id)
        self._admitted = (external_id, period, line)
        return True

    def flush(self) -> None:
        """Write what was appended so far into the transaction, so that this write's own
        reads see it (a bank's returned payment reverses a refund booked a line earlier)."""
        self._appender.flush()
        self._appender.drain()

    def draft_errors(self, draft: Draft) -> list[str]:
        """What the standing line rules of its period's network say against ``draft`` (empty:
        nothing), without appending it: for a writer that leaves a line aside rather than
        refuse the whole write (a bank line the ledger cannot book stays unmatched)."""
        return self._line_rules(draft.period).draft_errors(draft)

    def append(self, draft: Draft) -> Transaction:
        """Number, hash and buffer ``draft`` as the next transaction of the chain.

        A draft `admit` did not pass just before is refused here (`LedgerError`) if its
        period is closed: every draft is checked once, by `admit` or here.
        """
        admitted, self._admitted = self._admitted, None
        line = 0
        if (
            admitted is not None
            and admitted[0] == draft.external_id
            and admitted[1] == draft.period
        ):
            line = admitted[2]
        elif draft.period in self._closed:
            self._refuse(draft.period, draft.external_id)
        lines = lines_of(draft.postings)
        self._line_checks(line, draft.external_id, draft.period, draft.type, lines)
        prev_hash = self._appender.last_hash
        self._appender.append_lines(content_values(draft), lines)
        transaction = Transaction(
            id=self._appender.last_id,
            draft=draft,
            prev_hash=prev_hash,
            hash=self._appender.last_hash,
        )
        self._repeats.appended(line, draft.external_id)
        if self.drafts is not None:
            self.drafts.append(draft)
        return transaction

    def append_lines(self, line: int, content: Sequence[Any], lines: Sequence[Line]) -> None:
        """`append` for a transaction given as plain values (`Appender.append_lines`), from
        ``line`` of the input: the batch import's way in, with the same rules (closed
        periods, the standing line rules, the budget's lines). Such rows are not `admit`ted:
        the caller makes sure their ids are new, and the database's unique index refuses one
        that is not."""
        if self.drafts is not None:
            raise LedgerError("a write an approval must see cannot append plain lines")
        external_id, period, kind = content[0], content[2], content[3]
        if period in self._closed:
            self._refuse(period, external_id)
        self._line_checks(line, external_id, period, kind, lines)
        self._appender.append_lines(content, lines)

    def _line_checks(
        self, line: int, external_id: str, period: str, kind: str, lines: Sequence[Line]
    ) -> None:
        """The standing line rules of ``period``'s network on every line (a problem on
        ``line``, 0 for none), and which input line changed a budget last."""
        errors = self._line_rules(period).lines_errors(lines)
        if errors:
            # Appending goes on, so later rows are still checked; the problem rolls it back.
            self.problem(line or None, f"{external_id}: " + "; ".join(errors))
        if line and kind not in _CASH_TYPES:
            for _, fund, _, _ in lines:
                self._budget_lines[(fund, period)] = line
                self._budget_lines[(None, period)] = line

    def check_budgets(self) -> None:
        """Report each budget rule the write as a whole breaks (`rules.budget_problems`)."""
        for found in budget_problems(
            self.connection, self.network_for, self._appender.written_totals()
        ):
            line = self._budget_lines.get((found.fund, found.period)) or self._budget_lines.get(
                (None, found.period)
            )
            self.problem(line, found.message)

    def close_period(self, period: str, note: dict[str, Any]) -> None:
        """Mark ``period`` closed as of the chain's current end (after what is appended): a
        ``close`` record in the records chain (with ``note``: who, when, why) that `verify`
        holds the lock row to, and the lock row."""
        self._lock_event(period, "close", note)
        self._closed.add(period)

    def reopen_period(self, period: str, note: dict[str, Any]) -> None:
        """Lift the lock of ``period`` as of the chain's current end: a reopen record and its
        row. Append the entries that undo the close after this (they are dated in it)."""
        self._lock_event(period, "reopen", note)
        self._closed.discard(period)

    def _lock_event(self, period: str, event: str, note: dict[str, Any]) -> None:
        self.flush()
        lock = {"period": period, "last_txn_id": self.head_id}
        record = append_record(
            self.connection, "close", {**note, **lock, "event": event}, self.head_id
        )
        self.connection.execute(
            insert(closed_periods_table), [{**lock, "event": event, "seq": record.seq}]
        )

    def _refuse(self, period: str, external_id: str) -> None:
        hint = f"; {self._closed_hint}" if self._closed_hint else ""
        raise LedgerError(f"period {period} is closed: {external_id!r} cannot be posted{hint}")


def _permission(action: Action) -> str:
    """What a write asks permission for: carrying out an approved proposal is approving (an
    approver's login may do that, and only after its decision record: `roles.py`)."""
    return "approve" if action.approving is not None else action.name


def _record_write(
    connection: Connection, action: Action, source: str, appender: Appender, skipped: int
) -> None:
    """The write's entry in the audit trail: a ``write`` record, after its transactions."""
    posted = appender.appended_count
    content = {
        "action": action.name,
        "arguments": action.arguments,
        "source": source,
        "posted": posted,
        "skipped": skipped,
        "first_txn": appender.last_id - posted + 1 if posted else None,
        "last_txn": appender.last_id if posted else None,
        "at": utc_now(),
    }
    if action.approving is not None:
        content["proposal"] = action.approving
    append_record(connection, "write", content, appender.last_id)


@proposing
def post_drafts(
    engine: Engine,
    source: str,
    compose: Callable[[UnitOfWork], T],
    *,
    on_closed: Literal["refuse", "report"] = "refuse",
    closed_hint: str = "",
    bulk: bool = False,
    action: Action | None = None,
) -> PostReport[T]:
    """Run ``compose`` in one write transaction; store what it appends, all or nothing.

    ``action`` names the write in its ``write`` record (the audit trail); the default is a
    ``post`` of ``source``.

    ``compose`` appends through the `UnitOfWork` it is given; what it returns becomes the
    report's ``outcome``. ``on_closed="report"`` makes a row in a closed period a problem on
    its line (imports), else a `LedgerError` (with ``closed_hint`` added) refuses the write.
    ``bulk`` is for long imports: a background thread writes the batches while ``compose``
    goes on, and there is no cyclic garbage collection meanwhile (each row's records are
    freed by reference counting; full collections over a long import's objects cost a few
    percent of its time).

    An action the network reserves for two people (`approvals.py`) is not stored: when
    ``compose`` and every rule passed, the write is rolled back, a proposal is recorded and
    `ProposalRecorded` is raised. ``action.approving`` carries out a proposal instead.
    """
    started = time.perf_counter()
    action = action or Action("post")
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        # Who may do this, asked before anything is locked or read (the database refuses
        # it too: this says so in one sentence).
        require(connection, _permission(action))
        # The appender locks the chain head first: everything is read under that lock.
        appender = Appender(connection, background=bulk)
        collecting = bulk and gc.isenabled()
        if collecting:
            gc.disable()
        try:
            unit = UnitOfWork(connection, source, appender, on_closed, closed_hint)
            gate = Gate(connection, action, unit)
            outcome = compose(unit)
            unit.check_budgets()
            if unit.problems:
                raise InputError(unit.problems)
            performed = gate.passed(unit)
            appender.finish()
            _record_write(connection, performed, source, appender, unit.skipped)
        finally:
            # The writer thread must be done with the connection before it commits or rolls back.
            appender.close()
            if collecting:
                gc.enable()
    posted = appender.appended_count
    return PostReport(
        source=source,
        posted=posted,
        skipped=unit.skipped,
        first_id=appender.last_id - posted + 1 if posted else None,
        last_id=appender.last_id if posted else None,
        head_id=appender.last_id,
        head_hash=appender.last_hash,
        actor=appender.actor,
        seconds=time.perf_counter() - started,
        outcome=outcome,
    )
