"""The audit trail: who did what to the ledger, and when (issue 17).

The trail is not a table of its own: it IS the records chain (`store/records.py`), read after
re-hashing it (`verified_records`), so an entry cannot be changed, dropped or slipped in
without `verify` finding it (`verification/trail.py` holds the transactions and the exports
log to it). Each user action is one entry:

- a ``write`` record per write through `post_drafts` (import, post, reverse, allocation
  commit, close, reopen): its action, arguments and the transactions it appended. A close or
  reopen also writes a ``close`` record (the lock event) just before its write record; the
  two are one entry, the write record's, with the lock event among its details;
- a ``run`` record per allocation run solved; a ``network`` record per network version
  (``init``, ``network apply``); ``proposal`` and ``decision`` records (four-eyes approvals);
  an ``export`` record per export; a ``grant`` record per role granted;
- a ``user`` record per portal login added or given a new password, and a ``sign-in`` record
  per portal sign-in, failed or throttled attempt and sign-out (issue 18, `accounts.py`). Their
  actor is the login that wrote them (the portal's database login); a sign-in's portal login
  is in its summary and details, and ``actor`` filtering finds it by either name;
- an ``indicator-import`` record per import of indicator measurements that added some (issue
  20), beside its write record, like a bank statement beside its bank import.

Records written before identities were recorded (migration 0010) have no actor column: a
network version or close says ``by``/``at`` in its content, which is shown; a run before
0010 says neither, and is shown as by an unknown actor at an unknown time.

Periods: a write is about the periods of the transactions it appended (read in one query of
the chain's period boundaries, not per transaction) and the period it names; a run, a close
and an export about theirs (an export of the whole ledger about every period it held); a
network version about the periods it governs as the version in force; a proposal about the
period or date in its arguments, a decision about its proposal's.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netfund.ledger.model.money import format_grouped
from netfund.ledger.store.database import reading, require_schema
from netfund.ledger.store.records import Record, verified_records
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import Connection, Engine, func, or_, select

#: The event each write action is shown as.
WRITE_EVENTS = {
    "import": "import",
    "post": "post",
    "reverse": "reverse",
    "allocation-commit": "allocation commit",
    "close": "close",
    "reopen": "reopen",
    "bank-import": "bank import",
    "bank-assign": "bank assign",
    "indicator-import": "indicator import",
}

#: Every event the trail shows, in the words of `netfund log`.
EVENTS = (
    "import",
    "post",
    "reverse",
    "allocation run",
    "allocation commit",
    "proposal",
    "approval",
    "rejection",
    "close",
    "reopen",
    "network change",
    "export",
    "bank import",
    "bank statement",
    "bank assign",
    "payment file",
    "indicator import",
    "indicator measurements",
    "grant",
    "user",
    "sign-in",
    "failed sign-in",
    "throttled sign-in",
    "sign-out",
)

#: The event each portal sign-in outcome (`accounts.SIGN_IN_OUTCOMES`) is shown as.
SIGN_IN_EVENTS = {
    "signed in": "sign-in",
    "refused": "failed sign-in",
    "throttled": "throttled sign-in",
    "signed out": "sign-out",
}


@dataclass(frozen=True)
class AuditEntry:
    """One user action, as the records chain holds it.

    Attributes:
        seq: the record's position in the records chain (the write record's, for a close or
            reopen): where an auditor finds it.
        at: when (UTC, ISO 8601), None when the record does not say (a run before 0010).
        actor: who (the login role on PostgreSQL, the OS user on SQLite), None when the record
            does not say (written before migration 0010).
        event: one of `EVENTS`.
        summary: one line: what was done.
        periods: the periods it is about, sorted.
        first_txn: the first transaction it appended (None: it appended none).
        last_txn: the last transaction it appended.
        record_hash: the record's hash: ties the entry to the chain `verify` re-hashed.
        details: the record's content as stored (a close or reopen: with its lock event
            under ``"lock"``).
    """

    seq: int
    at: str | None
    actor: str | None
    event: str
    summary: str
    periods: tuple[str, ...]
    first_txn: int | None
    last_txn: int | None
    record_hash: str
    details: Mapping[str, Any] = field(default_factory=dict)


def audit_trail(
    engine: Engine, period: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    """The audit trail, oldest first, read in one snapshot after re-hashing the records chain.

    ``period`` keeps the entries about that period, ``actor`` those by that actor (and the
    portal sign-ins of the portal login of that name).
    """
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return trail_entries(connection, period, actor)


def trail_entries(
    connection: Connection, period: str | None = None, actor: str | None = None
) -> list[AuditEntry]:
    """`audit_trail` in a transaction of the caller's (the audit-trail export's)."""
    records = verified_records(connection)
    entries = _entries(records, PeriodIndex.read(connection))
    return [
        entry
        for entry in entries
        if (period is None or period in entry.periods) and (actor is None or _by(entry, actor))
    ]


def _by(entry: AuditEntry, actor: str) -> bool:
    """Whether ``entry`` is by ``actor``: its writer, or the portal login a sign-in names."""
    if entry.actor == actor:
        return True
    return entry.event in SIGN_IN_EVENTS.values() and entry.details.get("user") == actor


@dataclass(frozen=True)
class PeriodIndex:
    """Where the transaction chain passes from one period to another: the ids at which the
    period differs from the one before, with that period. A range of ids is then about the
    period at its start and those of the boundaries inside it: one query of a few rows per
    year boundary crossed, not a row per transaction (a GROUP BY when each period is one
    block of ids, else a window query)."""

    starts: tuple[int, ...]
    periods: tuple[str, ...]

    @classmethod
    def read(cls, connection: Connection) -> PeriodIndex:
        t = transactions_table.c
        # A GROUP BY first (a third of the window's time): when each period's transactions
        # fill the ids between its first and last (a ledger written year after year), those
        # blocks are the boundaries. Ids have no gaps (verify holds that).
        blocks = connection.execute(
            select(t.period, func.min(t.id), func.max(t.id), func.count()).group_by(t.period)
        ).all()
        if all(count == last - first + 1 for _, first, last, count in blocks):
            ordered = sorted(blocks, key=lambda block: block[1])
            return cls(tuple(int(b[1]) for b in ordered), tuple(b[0] for b in ordered))
        before = func.lag(t.period).over(order_by=t.id).label("before")
        changes = select(t.id, t.period, before).subquery()
        rows = connection.execute(
            select(changes.c.id, changes.c.period)
            .where(or_(changes.c.before.is_(None), changes.c.before != changes.c.period))
            .order_by(changes.c.id)
        ).all()
        return cls(tuple(int(row.id) for row in rows), tuple(row.period for row in rows))

    def between(self, first: int, last: int) -> set[str]:
        """The periods of transactions ``first`` to ``last``."""
        if last < first or not self.starts:
            return set()
        start = max(bisect.bisect_right(self.starts, first) - 1, 0)
        stop = bisect.bisect_right(self.starts, last)
        return set(self.periods[start:stop])


def _entries(records: Sequence[Record], index: PeriodIndex) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    proposals: dict[int, tuple[str, ...]] = {}
    governs = _governed_periods(records, index)
    for position, record in enumerate(records):
        following = records[position + 1] if position + 1 < len(records) else None
        if record.kind == "close" and _lock_of(record, following):
            continue  # the write record after it is the entry
        previous = records[position - 1] if position else None
        entry = _entry(record, previous, index, proposals, governs)
        if record.kind == "proposal":
            proposals[_int(record.content.get("proposal"))] = entry.periods
        entries.append(entry)
    return entries


def _lock_of(record: Record, following: Record | None) -> bool:
    """Whether close record ``record`` is the lock event of the write record after it."""
    if following is None or following.kind != "write":
        return False
    content = following.content
    return content.get("action") == record.content.get("event", "close") and str(
        _arguments(content).get("period")
    ) == str(record.content.get("period"))


def _entry(
    record: Record,
    previous: Record | None,
    index: PeriodIndex,
    proposals: Mapping[int, tuple[str, ...]],
    governs: Mapping[int, set[str]],
) -> AuditEntry:
    content = record.content
    details: dict[str, Any] = dict(content)
    first = last = None
    periods: set[str] = set()
    if record.kind == "write":
        event, summary = _write(content)
        first = _optional_int(content.get("first_txn"))
        last = _optional_int(content.get("last_txn"))
        if first is not None and last is not None:
            periods |= index.between(first, last)
        periods |= _named_periods(_arguments(content))
        if previous is not None and previous.kind == "close" and _lock_of(previous, record):
            details["lock"] = dict(previous.content)
    elif record.kind == "run":
        event = "allocation run"
        summary = f"allocation run {content.get('run')} for {content.get('period')}: " + str(
            content.get("status")
        )
        periods |= _named_periods(content)
    elif record.kind == "network":
        event, summary = "network change", _network(content)
        periods |= governs.get(record.seq, set())
    elif record.kind == "close":
        event = str(content.get("event", "close"))
        summary = f"{event} {content.get('period')}" + _reason(content)
        periods |= _named_periods(content)
    elif record.kind == "proposal":
        event, summary = "proposal", _proposal(content)
        periods |= _named_periods(_arguments(content))
    elif record.kind == "decision":
        approved = content.get("decision") == "approve"
        event = "approval" if approved else "rejection"
        number = _int(content.get("proposal"))
        summary = f"proposal {number} {'approved' if approved else 'rejected'}" + _reason(content)
        periods |= set(proposals.get(number, ()))
    elif record.kind == "export":
        event, summary = "export", _export(content)
        if content.get("period"):
            periods.add(str(content["period"]))
        else:
            periods |= index.between(1, record.transaction_head)
    elif record.kind == "bank-statement":
        event, summary = "bank statement", _bank_statement(content)
        periods |= {str(content.get("from", ""))[:4], str(content.get("to", ""))[:4]} - {""}
    elif record.kind == "payment-file":
        event, summary = "payment file", _payment_file(content)
        if content.get("period"):
            periods.add(str(content["period"]))
    elif record.kind == "indicator-import":
        event, summary = "indicator measurements", _indicator_import(content)
        periods |= {str(period) for period in content.get("periods") or ()}
    elif record.kind == "user":
        event, summary = "user", _user(content)
    elif record.kind == "sign-in":
        event, summary = _sign_in(content)
    else:  # grant
        event, summary = "grant", _grant(content)
    return AuditEntry(
        seq=record.seq,
        at=_utc_text(content.get("at")),
        actor=record.actor or _optional_str(content.get("by")),
        event=event,
        summary=summary,
        periods=tuple(sorted(periods)),
        first_txn=first,
        last_txn=last,
        record_hash=record.hash,
        details=details,
    )


def _write(content: Mapping[str, Any]) -> tuple[str, str]:
    action = str(content.get("action"))
    arguments = _arguments(content)
    posted, skipped = _int(content.get("posted")), _int(content.get("skipped"))
    txns = f"{posted} transaction{'' if posted == 1 else 's'}"
    if action == "import":
        summary = f"import {arguments.get('file', content.get('source'))}: {txns}"
        summary += f", {skipped} skipped (stored before)" if skipped else ""
    elif action == "post":
        summary = f"post {arguments.get('id', content.get('source'))}"
        if arguments.get("date"):
            summary += f" dated {arguments['date']}"
        if arguments.get("description"):
            summary += f": {arguments['description']}"
    elif action == "reverse":
        summary = f"reverse {arguments.get('id')}"
        summary += f" dated {arguments['date']}" if arguments.get("date") else ""
        summary += f": {txns}"
    elif action == "allocation-commit":
        summary = f"commit allocation run {arguments.get('run')}"
        summary += f" dated {arguments['date']}" if arguments.get("date") else ""
        summary += f": {txns}"
    elif action == "close":
        summary = f"close {arguments.get('period')}"
        summary += " before its end (--force)" if arguments.get("force") else ""
        summary += f": {posted} closing entr{'y' if posted == 1 else 'ies'}"
        summary += _reason(arguments)
    elif action == "bank-import":
        summary = f"bank import {arguments.get('file')}: {txns}"
        summary += f" (rules {arguments['rules']})" if arguments.get("rules") else ""
    elif action == "bank-assign":
        if arguments.get("rules"):
            summary = f"bank assign by rules {arguments['rules']}: {txns}"
        else:
            what = ", ".join(
                f"{key} {arguments[key]}" for key in ("group", "funder") if arguments.get(key)
            )
            summary = f"bank assign line {arguments.get('ref')} ({what}): {txns}"
    elif action == "indicator-import":
        summary = f"indicator import {arguments.get('file')}"
        if arguments.get("dialect") not in (None, "standard"):
            summary += f" (--dialect {arguments['dialect']})"
    elif action == "reopen":
        summary = f"reopen {arguments.get('period')}: {posted} entries reversed" + _reason(
            arguments
        )
    else:
        summary = f"{action} {content.get('source')}: {txns}"
    if content.get("proposal") is not None:
        summary += f" (carries out proposal {content['proposal']})"
    return WRITE_EVENTS.get(action, action.replace("-", " ")), summary


def _network(content: Mapping[str, Any]) -> str:
    version = content.get("version")
    network = content.get("network")
    size = ""
    if isinstance(network, Mapping):
        funders, groups = network.get("funders") or [], network.get("groups") or []
        size = f": {len(funders)} funders, {len(groups)} groups"
    if content.get("effective_from"):
        summary = f"network version {version} from {content['effective_from']}{size}"
    else:
        summary = f"network version {version}{size}"
    if content.get("source"):
        summary += f" ({content['source']})"
    if content.get("recorded_by"):
        summary += f" (taken over by {content['recorded_by']})"
    return summary + _reason(content)


def _proposal(content: Mapping[str, Any]) -> str:
    action = str(content.get("action"))
    arguments = _arguments(content)
    named = ", ".join(
        f"{key} {arguments[key]}"
        for key in ("run", "id", "period", "date", "file")
        if arguments.get(key) is not None
    )
    summary = f"proposal {content.get('proposal')}: {action.replace('-', ' ')}"
    summary += f" ({named})" if named else ""
    found = content.get("summary")
    if isinstance(found, Mapping):
        count = _int(found.get("transactions"))
        summary += f", {count} transaction{'' if count == 1 else 's'}"
        if isinstance(found.get("debit_cents"), int):
            summary += f", debits {format_grouped(found['debit_cents'])}"
    return summary + _reason(content)


def _export(content: Mapping[str, Any]) -> str:
    scope = f"period {content['period']}" if content.get("period") else "all periods"
    return (
        f"export {content.get('export')}: {content.get('kind')} ({content.get('format')}), "
        f"{scope}, {content.get('rows')} rows to {content.get('path')}"
    )


def _bank_statement(content: Mapping[str, Any]) -> str:
    """A bank statement imported (`bank/importing.py`): whose, up to when, what it added."""
    closing = content.get("closing_cents")
    balance = f" closing {format_grouped(closing)}" if isinstance(closing, int) else ""
    return (
        f"bank statement {content.get('statement_id')} of {content.get('account')} "
        f"({content.get('from')} to {content.get('to')},{balance}): "
        f"{content.get('added')} new of {content.get('lines')} lines, "
        f"{content.get('booked')} booked, {content.get('linked')} linked, "
        f"{content.get('unmatched')} unmatched"
    )


def _payment_file(content: Mapping[str, Any]) -> str:
    """A refunds payment file (`bank/payments.py`): what it pays, to whom it is written."""
    payments = content.get("payments")
    count = len(payments) if isinstance(payments, list) else 0
    total = content.get("total_cents")
    amount = f", {format_grouped(total)}" if isinstance(total, int) else ""
    summary = (
        f"payment file {content.get('message_id')}: refunds of {content.get('period')}, "
        f"{count} payment{'' if count == 1 else 's'}{amount}, to {content.get('file')}"
    )
    replaced = content.get("replaces")
    if isinstance(replaced, list) and replaced:
        summary += f" (writes anew {', '.join(str(e) for e in replaced)})"
    return summary


def _indicator_import(content: Mapping[str, Any]) -> str:
    """Measurements imported (`indicators/importing.py`): from which file, how many."""
    added, rows = _int(content.get("added")), _int(content.get("rows"))
    return (
        f"indicator measurements from {content.get('file')}: {added} new of {rows} "
        f"row{'' if rows == 1 else 's'}"
    )


def _grant(content: Mapping[str, Any]) -> str:
    summary = f"grant role {content.get('role')} to {content.get('login')}"
    if content.get("funder"):
        summary += f" for funder {content['funder']}"
    return summary


def _user(content: Mapping[str, Any]) -> str:
    name = content.get("name")
    if content.get("change") == "password":
        return f"new password for portal login {name}"
    if content.get("change") == "removed":
        return f"portal login {name} removed"
    role = f"funder {content['funder']}" if content.get("funder") else str(content.get("role"))
    return f"portal login {name} added: {role}"


def _sign_in(content: Mapping[str, Any]) -> tuple[str, str]:
    outcome = str(content.get("outcome"))
    event = SIGN_IN_EVENTS.get(outcome, outcome)
    name = content.get("user")
    who = str(name) if name is not None else "an unknown name"
    address = content.get("address")
    words = {
        "sign-in": f"{who} signed in",
        "failed sign-in": f"failed sign-in as {who}",
        "throttled sign-in": f"throttled sign-in as {who}",
        "sign-out": f"{who} signed out",
    }
    return event, words.get(event, f"{event} of {who}") + f" from {address}"


def _governed_periods(records: Sequence[Record], index: PeriodIndex) -> dict[int, set[str]]:
    """Per network record, the periods (of those the chain holds, and those the versions
    name) for which it is the version in force: the one with the latest ``effective_from``
    at or before the period, of two the newer (`registry.NetworkTimeline.version_for`)."""
    versions = [
        (record.seq, _optional_str(record.content.get("effective_from")))
        for record in records
        if record.kind == "network"
    ]
    known = index.between(1, index.starts[-1]) if index.starts else set()
    known |= {start for _, start in versions if start}
    governs: dict[int, set[str]] = {}
    for period in known:
        candidates = [(start or "", seq) for seq, start in versions if (start or "") <= period]
        if candidates:
            governs.setdefault(max(candidates)[1], set()).add(period)
    return governs


def _named_periods(values: Mapping[str, Any]) -> set[str]:
    """The period a record's content or a write's arguments names (a ``period``, or the
    year of a ``date``)."""
    found = set()
    if isinstance(values.get("period"), str):
        found.add(values["period"])
    if isinstance(values.get("date"), str) and len(values["date"]) >= 4:
        found.add(values["date"][:4])
    return found


def _arguments(content: Mapping[str, Any]) -> Mapping[str, Any]:
    arguments = content.get("arguments")
    return arguments if isinstance(arguments, Mapping) else {}


def _reason(content: Mapping[str, Any]) -> str:
    return f" ({content['reason']})" if content.get("reason") else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _utc_text(value: Any) -> str | None:
    """A record's UTC time in one spelling for the trail: exports keep their log row's
    ``...Z``, the other records ``...+00:00``."""
    text = _optional_str(value)
    return text[:-1] + "+00:00" if text is not None and text.endswith("Z") else text
