"""`netfund bank import`: a bank statement in, checked, stored once, every new line matched.

A statement is refused whole (exit 2, nothing written) when

- its account is not one of the network's (``[[bank_accounts]]`` in network.toml);
- its opening balance plus its lines is not its closing balance;
- it does not follow what was imported of its account: its opening balance must be the
  balance the imported lines reach where it begins, and it may not begin before the last
  statement ended without carrying that statement's lines.

A line is known by its bank reference (`model.BankLine.ref`). Re-importing a statement adds
nothing. A statement that overlaps imported ones (a month's statement after the days') is
reconciled line by line: the lines it shares with them must be the newest imported lines of
the account, with the same amount and date, and its opening balance the balance before the
first of them; only what follows them is added. Nothing is ever counted twice.

The whole file is one write through `post_drafts` (action ``bank-import``): the transactions
the matcher books (`matching.py`), then per statement a ``bank-statement`` record in the
records chain (its facts, the sha256 of the file and of the lines it added with their
matches) and its rows in `bank_statements` and `bank_lines`. A problem anywhere rolls all of
it back.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netfund.ledger.bank.matching import Matcher, Outcome, Rules, euros, lines_between
from netfund.ledger.bank.model import BankLine, BankStatement
from netfund.ledger.store.database import reading, require_schema
from netfund.ledger.store.post import Action, UnitOfWork, post_drafts
from netfund.ledger.store.records import append_record, utc_now
from netfund.ledger.store.schema import bank_lines_table, bank_statements_table
from sqlalchemy import Connection, Engine, func, insert, select

#: Refs looked up per query (SQLite allows 32,766 parameters; PostgreSQL more).
_LOOKUP_BATCH = 5_000


@dataclass(frozen=True)
class LineResult:
    """One new line of a statement and how it stands with the ledger."""

    ref: str
    booking_date: datetime.date
    amount_cents: int
    counterparty: str
    status: str
    txn_external_id: str | None
    explanation: str


@dataclass(frozen=True)
class StatementResult:
    """What importing one statement did.

    Attributes:
        account_iban: the account.
        statement_id: the bank's id of the statement.
        closing_date: the day its closing balance is of.
        closing_cents: that balance.
        lines: its lines.
        added: lines new to the ledger (0: imported before, or only lines imported before).
        record_seq: its ``bank-statement`` record, or None when it added nothing.
        results: each new line's outcome, in the statement's order.
    """

    account_iban: str
    statement_id: str
    closing_date: datetime.date
    closing_cents: int
    lines: int
    added: int
    record_seq: int | None
    results: tuple[LineResult, ...]

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)


@dataclass(frozen=True)
class BankImportReport:
    """What `import_bank_statements` did: per statement, and the chain afterwards."""

    source: str
    statements: tuple[StatementResult, ...]
    posted: int
    head_id: int
    head_hash: str
    seconds: float


def import_bank_statements(
    engine: Engine, path: Path, *, rules_path: Path | None = None
) -> BankImportReport:
    """Import the statements of the bank file at ``path`` (CAMT.053 or MT940), matching new
    lines with the rules of ``rules_path`` (bank-rules.toml) too; all or nothing."""
    from netfund.ledger.bank.formats import read_statements

    with reading(engine) as connection:  # a missing ledger is said before the file is read
        require_schema(connection, str(engine.url))
    return import_parsed(engine, read_statements(path), path.name, rules_path=rules_path)


def import_parsed(
    engine: Engine,
    statements: Sequence[BankStatement],
    source: str,
    *,
    rules_path: Path | None = None,
) -> BankImportReport:
    """Import ``statements`` read from the file named ``source``: `import_bank_statements`
    after reading."""

    def compose(unit: UnitOfWork) -> tuple[StatementResult, ...]:
        rules = None
        if rules_path is not None:
            from netfund.ledger.bank.rules import load_bank_rules

            rules = load_bank_rules(rules_path, unit.network)
        return import_statements(unit, statements, rules)

    arguments = {"file": source, "rules": None if rules_path is None else rules_path.name}
    report = post_drafts(
        engine, source, compose, action=Action("bank-import", arguments), on_closed="report"
    )
    return BankImportReport(
        source=source,
        statements=report.outcome,
        posted=report.posted,
        head_id=report.head_id,
        head_hash=report.head_hash,
        seconds=report.seconds,
    )


def import_statements(
    unit: UnitOfWork, statements: Sequence[BankStatement], rules: Rules | None
) -> tuple[StatementResult, ...]:
    """Check, store and match ``statements`` within ``unit`` (module doc); problems go to the
    unit, which rolls the write back. One `Matcher` per account serves all of the file's
    statements of it: what it reads of the ledger (its balances, the transactions a line may
    be linked to) is read once per import, not once per statement, and it keeps what the
    earlier statements booked and linked."""
    spans = {
        account: lines_between(
            [line for statement in statements if statement.account_iban == account
             for line in statement.lines]
        )
        for account in {statement.account_iban for statement in statements if statement.lines}
    }  # fmt: skip
    matchers: dict[str, Matcher] = {}

    def matcher_of(account: str) -> Matcher:
        if account not in matchers:
            matchers[account] = Matcher(unit, account, rules, spans[account])
        return matchers[account]

    results = []
    for statement in statements:
        result = _import_one(unit, statement, matcher_of)
        if result is not None:
            results.append(result)
    return tuple(results)


@dataclass(frozen=True)
class _Known:
    """A line of the statement imported before: where it stands in its account's lines."""

    position: int
    amount_cents: int
    booking_date: datetime.date


def _import_one(
    unit: UnitOfWork, statement: BankStatement, matcher_of: Callable[[str], Matcher]
) -> StatementResult | None:
    connection = unit.connection
    problems_before = len(unit.problems)
    account = unit.network.bank_account(statement.account_iban)
    if account is None:
        ours = ", ".join(a.iban for a in unit.network.bank_accounts) or "none"
        unit.problem(
            statement.line,
            f"statement {statement.statement_id} is of account {statement.account_iban}, which "
            f"is not one of the network's bank accounts (network.toml [[bank_accounts]]: {ours})",
        )
        return None
    if statement.currency != "EUR":
        unit.problem(statement.line, f"the account's currency is {statement.currency}, not EUR")
    if not statement.adds_up:
        unit.problem(
            statement.line,
            f"statement {statement.statement_id} does not add up: opening balance "
            f"{euros(statement.opening_cents)} plus its {len(statement.lines)} lines "
            f"({euros(statement.movement_cents)}) is "
            f"{euros(statement.opening_cents + statement.movement_cents)}, but its closing "
            f"balance is {euros(statement.closing_cents)}",
        )
    refs = [line.ref for line in statement.lines]
    if len(set(refs)) != len(refs):
        seen: set[str] = set()
        for line in statement.lines:
            if line.ref in seen:
                unit.problem(line.line, f"bank reference {line.ref} occurs twice in the statement")
            seen.add(line.ref)
    if len(unit.problems) > problems_before:
        return None
    known = _known_lines(connection, statement.account_iban, refs)
    for line in statement.lines:
        found = known.get(line.ref)
        if found is not None and (found.amount_cents, found.booking_date) != (
            line.amount_cents,
            line.booking_date,
        ):
            unit.problem(
                line.line,
                f"bank line {line.ref} was imported before as {euros(found.amount_cents)} on "
                f"{found.booking_date.isoformat()}; this statement says "
                f"{euros(line.amount_cents)} on {line.booking_date.isoformat()}",
            )
    if len(unit.problems) > problems_before:
        return None
    last = _last_statement(connection, statement.account_iban)
    new_lines = _check_continuity(unit, statement, known, last)
    if new_lines is None:
        return None
    quiet_and_later = not statement.lines and (
        last is None or statement.closing_date > last.closing_date
    )
    if not new_lines and not quiet_and_later:
        # Imported before, or only lines imported before: nothing to add. (A statement of
        # days without movement is kept: it moves the date the bank's balance is known for.)
        return StatementResult(
            statement.account_iban,
            statement.statement_id,
            statement.closing_date,
            statement.closing_cents,
            len(statement.lines),
            0,
            None,
            (),
        )
    outcomes: list[tuple[BankLine, Outcome]] = []
    if new_lines:
        matcher = matcher_of(statement.account_iban)
        outcomes = [(line, matcher.match(line)) for line in new_lines]
    return _store(unit, statement, outcomes)


def _known_lines(connection: Connection, account: str, refs: Sequence[str]) -> dict[str, _Known]:
    b = bank_lines_table.c
    known: dict[str, _Known] = {}
    for start in range(0, len(refs), _LOOKUP_BATCH):
        for ref, position, amount, date in connection.execute(
            select(b.ref, b.position, b.amount_cents, b.booking_date).where(
                b.account_iban == account, b.ref.in_(refs[start : start + _LOOKUP_BATCH])
            )
        ):
            known[ref] = _Known(int(position), int(amount), date)
    return known


@dataclass(frozen=True)
class _Last:
    statement_id: str
    closing_cents: int
    closing_date: datetime.date


def _last_statement(connection: Connection, account: str) -> _Last | None:
    s = bank_statements_table.c
    row = connection.execute(
        select(s.statement_id, s.closing_cents, s.closing_date)
        .where(s.account_iban == account)
        .order_by(s.closing_date.desc(), s.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else _Last(row[0], int(row[1]), row[2])


def _balance_before(connection: Connection, account: str, position: int | None) -> int | None:
    """The account's balance before its line at ``position`` (None: after every line), from
    the first imported statement's opening balance; None when nothing was imported."""
    s, b = bank_statements_table.c, bank_lines_table.c
    opening = connection.execute(
        select(s.opening_cents).where(s.account_iban == account).order_by(s.id).limit(1)
    ).scalar_one_or_none()
    if opening is None:
        return None
    query = select(func.coalesce(func.sum(b.amount_cents), 0)).where(b.account_iban == account)
    if position is not None:
        query = query.where(b.position < position)
    return int(opening) + int(connection.execute(query).scalar_one())


def _last_position(connection: Connection, account: str) -> int:
    b = bank_lines_table.c
    return int(
        connection.execute(
            select(func.coalesce(func.max(b.position), 0)).where(b.account_iban == account)
        ).scalar_one()
    )


def _check_continuity(
    unit: UnitOfWork, statement: BankStatement, known: dict[str, _Known], last: _Last | None
) -> list[BankLine] | None:
    """The statement's new lines, if it follows what was imported (module doc); else the
    problem is reported and None returned."""
    connection, account = unit.connection, statement.account_iban
    shared = [line for line in statement.lines if line.ref in known]
    new_lines = [line for line in statement.lines if line.ref not in known]
    where = f"statement {statement.statement_id} of {account}"
    if shared:
        leading = statement.lines[: len(shared)]
        if [line.ref for line in leading] != [line.ref for line in shared]:
            first_new = next(line for line in statement.lines if line.ref not in known)
            unit.problem(
                first_new.line,
                f"{where} has line {first_new.ref}, new to the ledger, before lines imported "
                "earlier: it does not fit the statements imported of the account",
            )
            return None
        positions = [known[line.ref].position for line in shared]
        if positions != list(range(positions[0], positions[0] + len(positions))):
            unit.problem(
                statement.line,
                f"{where} shares lines with imported statements, but not in the order the "
                "bank booked them there (or skips some of them)",
            )
            return None
        if new_lines and positions[-1] != _last_position(connection, account):
            unit.problem(
                new_lines[0].line,
                f"{where} adds lines after {shared[-1].ref}, but the ledger has later lines of "
                "the account from another statement: it does not fit",
            )
            return None
        expected = _balance_before(connection, account, positions[0])
        if expected is not None and expected != statement.opening_cents:
            unit.problem(
                statement.line,
                f"{where} opens with {euros(statement.opening_cents)}, but the imported lines "
                f"give {euros(expected)} before its first line {shared[0].ref}",
            )
            return None
        return new_lines
    if last is None:
        return new_lines
    balance = _balance_before(connection, account, None)
    if balance != statement.opening_cents:
        unit.problem(
            statement.line,
            f"{where} does not follow the previous statement {last.statement_id} (closing "
            f"balance {euros(last.closing_cents)} on {last.closing_date.isoformat()}): it opens "
            f"with {euros(statement.opening_cents)} on {statement.opening_date.isoformat()}. "
            "Is a statement missing in between? Import them in order",
        )
        return None
    if new_lines and statement.opening_date < last.closing_date:
        unit.problem(
            statement.line,
            f"{where} begins on {statement.opening_date.isoformat()}, before the previous "
            f"statement {last.statement_id} ended ({last.closing_date.isoformat()}), yet has "
            "none of its lines",
        )
        return None
    return new_lines


def _store(
    unit: UnitOfWork, statement: BankStatement, outcomes: list[tuple[BankLine, Outcome]]
) -> StatementResult:
    """The statement's record, its row and its new lines with their matches."""
    connection = unit.connection
    results = tuple(
        LineResult(
            line.ref,
            line.booking_date,
            line.amount_cents,
            line.counterparty_name or line.counterparty_iban,
            outcome.status,
            outcome.txn_external_id,
            outcome.explanation,
        )
        for line, outcome in outcomes
    )
    at = utc_now()
    record = append_record(
        connection,
        "bank-statement",
        {
            "account": statement.account_iban,
            "statement_id": statement.statement_id,
            "sequence": statement.sequence,
            "format": statement.format,
            "source": Path(statement.source).name,
            "file_sha256": statement.sha256,
            "from": statement.from_date.isoformat(),
            "to": statement.to_date.isoformat(),
            "opening_cents": statement.opening_cents,
            "opening_date": statement.opening_date.isoformat(),
            "closing_cents": statement.closing_cents,
            "closing_date": statement.closing_date.isoformat(),
            "lines": len(statement.lines),
            "added": len(outcomes),
            "lines_sha256": lines_sha256([line for line, _ in outcomes]),
            "booked": sum(1 for r in results if r.status == "booked"),
            "linked": sum(1 for r in results if r.status == "linked"),
            "unmatched": sum(1 for r in results if r.status == "unmatched"),
            "at": at,
        },
        unit.head_id,
    )
    statement_id = connection.execute(
        insert(bank_statements_table).returning(bank_statements_table.c.id),
        [
            {
                "account_iban": statement.account_iban,
                "statement_id": statement.statement_id,
                "sequence": statement.sequence,
                "format": statement.format,
                "source": Path(statement.source).name,
                "file_sha256": statement.sha256,
                "from_date": statement.from_date,
                "to_date": statement.to_date,
                "opening_cents": statement.opening_cents,
                "opening_date": statement.opening_date,
                "closing_cents": statement.closing_cents,
                "closing_date": statement.closing_date,
                "lines_count": len(statement.lines),
                "lines_added": len(outcomes),
                "record_seq": record.seq,
                "imported_at": at,
                "imported_by": record.actor or "",
            }
        ],
    ).scalar_one()
    position = _last_position(connection, statement.account_iban)
    if outcomes:
        connection.execute(
            insert(bank_lines_table),
            [
                {
                    "account_iban": statement.account_iban,
                    "ref": line.ref,
                    "entry_ref": line.entry_ref,
                    "statement": statement_id,
                    "position": position + number,
                    "booking_date": line.booking_date,
                    "value_date": line.value_date,
                    "amount_cents": line.amount_cents,
                    "counterparty_iban": line.counterparty_iban,
                    "counterparty_name": line.counterparty_name,
                    "remittance": line.remittance,
                    "structured_reference": line.structured_reference,
                    "end_to_end_id": line.end_to_end_id,
                    "bank_code": line.bank_code,
                    "returned": line.returned,
                    "return_reason": line.return_reason,
                    "status": outcome.status,
                    "txn_external_id": outcome.txn_external_id,
                    "explanation": outcome.explanation,
                }
                for number, (line, outcome) in enumerate(outcomes, start=1)
            ],
        )
    return StatementResult(
        statement.account_iban,
        statement.statement_id,
        statement.closing_date,
        statement.closing_cents,
        len(statement.lines),
        len(outcomes),
        record.seq,
        results,
    )


def lines_sha256(lines: Sequence[BankLine]) -> str:
    """The sha256 of the lines a statement added, as the bank gave them (reference, booking
    date, amount, counterparty's account), as canonical JSON: the ``bank-statement`` record
    holds it, and `verify` recomputes it from `bank_lines` (`bank/checks.py`)."""
    rows = [
        [line.ref, line.booking_date.isoformat(), line.amount_cents, line.counterparty_iban]
        for line in lines
    ]
    text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
