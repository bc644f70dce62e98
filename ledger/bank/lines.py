"""The bank lines the ledger could not match, and a person deciding them.

`unmatched_lines` is what `netfund bank unmatched` lists: every line still unmatched, with
why. `assign_line` books one of them as a person says (a funder's receipt or refund, an
expense of a group), and `assign_by_rules` asks the matcher again for all of them, with a
rules file and with whatever the ledger has gained since (an invoice imported after its
payment is then linked). Both are writes through `post_drafts` (action ``bank-assign``), so
the standing rules, the closed periods, the audit trail and, where the network asks a second
person to approve posts above an amount, the approvals apply as to any post.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netfund.ledger.bank.matching import Matcher, Outcome, euros, lines_between, stored_line
from netfund.ledger.bank.model import BankLine
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.database import reading
from netfund.ledger.store.post import Action, UnitOfWork, post_drafts
from netfund.ledger.store.schema import bank_lines_table
from sqlalchemy import Connection, Engine, select, update


@dataclass(frozen=True)
class UnmatchedLine:
    """A bank line the ledger does not have yet, and why.

    Attributes:
        account_iban: the network's account it is on.
        line: the line as the bank gave it (`model.BankLine`; its ``ref`` is what `assign`
            takes).
        explanation: why it is not matched.
    """

    account_iban: str
    line: BankLine
    explanation: str


@dataclass(frozen=True)
class AssignReport:
    """What an assignment did: each line decided, the chain afterwards.

    Attributes:
        decided: (account, ref, outcome) of every line that is no longer unmatched.
        still_unmatched: lines asked about that stay unmatched (by rules only).
        posted: transactions appended.
        head_id: the chain's newest position.
        head_hash: its hash.
    """

    decided: tuple[tuple[str, str, Outcome], ...]
    still_unmatched: int
    posted: int
    head_id: int
    head_hash: str


def unmatched_lines(engine: Engine) -> list[UnmatchedLine]:
    """Every unmatched line, oldest first per account."""
    with reading(engine) as connection:
        return _unmatched(connection)


def _unmatched(connection: Connection) -> list[UnmatchedLine]:
    b = bank_lines_table.c
    query = select(bank_lines_table).where(b.status == "unmatched")
    return [
        UnmatchedLine(row.account_iban, stored_line(row), row.explanation)
        for row in connection.execute(query.order_by(b.account_iban, b.position))
    ]


def assign_line(
    engine: Engine,
    ref: str,
    *,
    group: str | None = None,
    funder: str | None = None,
    description: str | None = None,
    account: str | None = None,
    approving: int | None = None,
) -> AssignReport:
    """Book unmatched line ``ref`` as a person decided: money in with ``funder`` is its
    receipt; money out with ``group`` an expense of it (of ``funder`` only, if given, else
    attributed pro rata), with only ``funder`` a refund to it. ``account`` (an IBAN) names
    the account when two of the network's accounts have a line ``ref``."""
    arguments = {
        "ref": ref,
        "account": account,
        "group": group,
        "funder": funder,
        "description": description,
    }

    def compose(unit: UnitOfWork) -> tuple[tuple[str, str, Outcome], ...]:
        row = _the_line(unit.connection, ref, account)
        line = stored_line(row)
        matcher = Matcher(unit, row.account_iban, None, lines_between([line]))
        outcome = matcher.assign(line, group=group, funder=funder, description=description)
        if outcome.status == "unmatched":
            raise LedgerError(f"bank line {ref} cannot be booked so: {outcome.explanation}")
        unit.resolve(account=row.account_iban)
        _decide(unit.connection, row.id, outcome)
        return ((row.account_iban, row.ref, outcome),)

    report = post_drafts(
        engine,
        "bank assign",
        compose,
        action=Action("bank-assign", arguments, approving=approving),
    )
    return AssignReport(report.outcome, 0, report.posted, report.head_id, report.head_hash)


def assign_by_rules(
    engine: Engine, rules_path: Path, *, approving: int | None = None
) -> AssignReport:
    """Match every unmatched line again, with the rules of ``rules_path``."""
    from netfund.ledger.bank.rules import load_bank_rules

    def compose(unit: UnitOfWork) -> tuple[tuple[tuple[str, str, Outcome], ...], int]:
        rules = load_bank_rules(rules_path, unit.network)
        b = bank_lines_table.c
        rows = list(
            unit.connection.execute(
                select(bank_lines_table)
                .where(b.status == "unmatched")
                .order_by(b.account_iban, b.position)
            )
        )
        decided: list[tuple[str, str, Outcome]] = []
        still = 0
        for account in sorted({row.account_iban for row in rows}):
            mine = [row for row in rows if row.account_iban == account]
            lines = [stored_line(row) for row in mine]
            matcher = Matcher(unit, account, rules, lines_between(lines))
            for row, line in zip(mine, lines, strict=True):
                outcome = matcher.match(line)
                if outcome.status == "unmatched":
                    still += 1
                    continue
                _decide(unit.connection, row.id, outcome)
                decided.append((account, row.ref, outcome))
        return tuple(decided), still

    report = post_drafts(
        engine,
        str(rules_path),
        compose,
        action=Action("bank-assign", {"rules": str(rules_path)}, approving=approving),
    )
    decided, still = report.outcome
    return AssignReport(decided, still, report.posted, report.head_id, report.head_hash)


def _the_line(connection: Connection, ref: str, account: str | None) -> object:
    b = bank_lines_table.c
    query = select(bank_lines_table).where(b.ref == ref)
    if account is not None:
        query = query.where(b.account_iban == account)
    rows = list(connection.execute(query))
    if not rows:
        raise LedgerError(f"no bank line {ref!r} (netfund bank unmatched lists them)")
    if len(rows) > 1:
        accounts = ", ".join(row.account_iban for row in rows)
        raise LedgerError(f"bank line {ref} is on several accounts ({accounts}): give --account")
    row = rows[0]
    if row.status != "unmatched":
        raise LedgerError(
            f"bank line {ref} ({euros(row.amount_cents)} on {row.booking_date.isoformat()}) is "
            f"{row.status} already: {row.txn_external_id} ({row.explanation})"
        )
    return row


def _decide(connection: Connection, row_id: int, outcome: Outcome) -> None:
    b = bank_lines_table.c
    connection.execute(
        update(bank_lines_table)
        .where(b.id == row_id)
        .values(
            status=outcome.status,
            txn_external_id=outcome.txn_external_id,
            explanation=outcome.explanation,
        )
    )
