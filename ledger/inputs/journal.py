"""Reading `journal.csv`: raw double-entry lines for controllers' corrections.

Columns `txn_id,date,description,account,fund,group,amount`; the lines of one transaction
share a `txn_id` (they need not be adjacent) and must agree on date and description. Amounts
are signed, debit positive. Every transaction must balance per fund, actuals and budget
separately, like everything the ledger stores.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.network import Network, Networks
from netfund.ledger.model.dialect import STANDARD, Dialect
from netfund.ledger.model.entries import (
    Draft,
    Posting,
    lines_fingerprint,
    unbalanced_funds,
)
from netfund.ledger.model.errors import Problem
from netfund.ledger.model.fields import FieldError, parse_amount, parse_date, parse_id, parse_text
from netfund.ledger.model.limits import DESCRIPTION_LENGTH_MAX
from netfund.ledger.model.money import format_cents
from netfund.ledger.store.rules import line_errors

JOURNAL_COLUMNS = ("txn_id", "date", "description", "account", "fund", "group", "amount")
#: Lines of one journal transaction, at most.
LINES_PER_TRANSACTION_MAX = 1_000


@dataclass
class _Pending:
    first_line: int
    date: datetime.date
    description: str
    postings: list[Posting]
    lines: list[int]


def read_journal(reader: CsvReader, networks: Networks) -> list[tuple[int, Draft]]:
    """The journal's transactions as (first line, draft); problems go to ``reader.problems``.
    Each line is checked against the network in force for its date's period.

    A journal is a controller's correction file, small by nature, so it is grouped in memory.
    """
    pending: dict[str, _Pending] = {}
    broken: set[str] = set()
    for row in reader.rows():
        values = row.values
        errors: list[str] = []
        try:
            txn_id = parse_id(values["txn_id"], "txn_id")
        except FieldError as error:
            reader.problem(row.line, str(error))
            continue
        date = description = amount = None
        try:
            date = parse_date(values["date"], reader.dialect)
        except FieldError as error:
            errors.append(str(error))
        try:
            description = parse_text(
                values["description"], "description", DESCRIPTION_LENGTH_MAX, multiline=True
            )
        except FieldError as error:
            errors.append(str(error))
        try:
            amount = parse_amount(values["amount"], signed=True, dialect=reader.dialect)
        except FieldError as error:
            errors.append(str(error))
        account = values["account"].strip()
        fund = values["fund"].strip()
        group = values["group"].strip() or None
        network = networks(None if date is None else f"{date.year:04d}")
        errors += line_errors(network, account, fund, group)
        if errors or date is None or description is None or amount is None:
            reader.problem(row.line, "; ".join(errors))
            broken.add(txn_id)
            continue
        entry = pending.get(txn_id)
        if entry is None:
            pending[txn_id] = _Pending(row.line, date, description, [], [])
            entry = pending[txn_id]
        elif entry.date != date or entry.description != description:
            reader.problem(
                row.line,
                f"transaction {txn_id!r} has another date or description than on line "
                f"{entry.first_line}",
            )
            broken.add(txn_id)
            continue
        if len(entry.postings) >= LINES_PER_TRANSACTION_MAX:
            reader.problem(
                row.line, f"transaction {txn_id!r} has more than {LINES_PER_TRANSACTION_MAX} lines"
            )
            broken.add(txn_id)
            continue
        entry.postings.append(Posting(account, fund, group, amount))
        entry.lines.append(row.line)
    drafts: list[tuple[int, Draft]] = []
    for txn_id, entry in pending.items():
        if txn_id in broken:
            continue
        reason = balance_problem(entry.postings)
        if reason is not None:
            reader.problem(
                entry.first_line,
                f"transaction {txn_id!r} (lines {', '.join(map(str, entry.lines))}) {reason}",
            )
            continue
        fingerprint = lines_fingerprint(txn_id, entry.date, entry.description, "", entry.postings)
        drafts.append(
            (
                entry.first_line,
                Draft(
                    external_id=txn_id,
                    date=entry.date,
                    type="journal",
                    description=entry.description,
                    reference="",
                    postings=tuple(entry.postings),
                    source_hash=fingerprint,
                ),
            )
        )
    return drafts


def balance_problem(postings: list[Posting]) -> str | None:
    """Why the lines of one transaction do not balance per fund, or None if they do."""
    if len(postings) < 2:
        return "a transaction needs at least two lines"
    unbalanced = unbalanced_funds(postings)
    if not unbalanced:
        return None
    detail = ", ".join(
        f"{fund} off by {format_cents(actual)}"
        if actual
        else f"{fund} budget lines off by {format_cents(budget)}"
        for fund, (actual, budget) in unbalanced.items()
    )
    return f"does not balance per fund: {detail}"


def check_lines(network: Network, postings: tuple[Posting, ...], source: str) -> list[Problem]:
    """Every problem of a transaction given line by line (`post_journal`, `netfund post`).

    The lines come as values, not text, so their amounts get the rule a journal.csv amount
    gets when it is read (`parse_amount`: not zero, within the maximum) here.
    """
    problems = [
        Problem(source, number, "; ".join(errors))
        for number, posting in enumerate(postings, start=1)
        if (
            errors := line_errors(network, posting.account, posting.fund, posting.group)
            + _amount_errors(posting.amount_cents)
        )
    ]
    reason = balance_problem(list(postings))
    if reason is not None:
        problems.append(Problem(source, None, f"the transaction {reason}"))
    return problems


def _amount_errors(cents: int) -> list[str]:
    if type(cents) is not int:
        return [f"amount {cents!r} is not integer cents"]
    try:
        parse_amount(format_cents(cents), signed=True)
    except FieldError as error:
        return [str(error)]
    return []


def journal_reader(path: Path, dialect: Dialect = STANDARD) -> CsvReader:
    return CsvReader(path, JOURNAL_COLUMNS, dialect)
