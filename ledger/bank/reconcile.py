"""The bank reconciliation: the bank's balance against the ledger's Assets:Bank, and why they
differ, line by line.

An accountant's first control: what the bank says the network has, and what the ledger says
it has, on one day. They differ for reasons that each have a line to show, and the lines add
up to the difference exactly (a test holds this on messy data), so nothing is left
"unexplained":

- ``bank_only``: a bank line on or before the day that is not matched (`bank_lines.status`
  ``unmatched``), or that names a transaction the ledger has no bank movement for: on the
  bank statement, not in the ledger;
- ``ledger_only``: a ledger transaction touching Assets:Bank, dated on or before the day,
  that no bank line names: in transit, or booked but never paid (a receipt the administrator
  typed in that never arrived shows here);
- ``timing``: the bank line and its transaction fall on either side of the day (the bank
  booked it on 31 December, the ledger dated it 2 January, or the other way round);
- ``amount``: a bank line and the transaction it names, both by the day, for different
  amounts (a line linked to a transaction of another amount);
- ``opening``: the first statement's opening balance, against the ledger's bank movements
  dated before it that no line names (the money the ledger knew of before the statements
  began: equal when the ledger started from the same balance).

Each explanation's ``amount_cents`` is signed as its share of the difference (ledger − bank):
an unmatched credit of EUR 100 on the statement is −100 (the bank has it, the ledger not).

The bank's balance per account is its first statement's opening balance plus its lines booked
on or before the day (so a day between two statements has a balance too); where a statement
closes on that day, its closing balance must be the same, and a warning says so when it is
not (a statement is missing). The ledger has one Assets:Bank: with several accounts, their
total is what is compared.

Who may read it: the staff (administrator, approver, controller). A funder's login does not
read the bank tables (PostgreSQL grants, `store/roles.py`); it is refused before the query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from netfund.ledger.event_rules import BANK
from netfund.ledger.figures import _as_date
from netfund.ledger.model.errors import AccessDenied, LedgerError
from netfund.ledger.model.iban import format_iban
from netfund.ledger.store.access import readable_funders
from netfund.ledger.store.database import reading, require_schema
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import (
    bank_lines_table,
    bank_statements_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Connection, Engine, func, select

#: The kinds of explanation, in the order they are shown.
EXPLANATION_KINDS = ("bank_only", "ledger_only", "timing", "amount", "opening")
#: What each kind is called for a person.
KIND_TITLES = {
    "bank_only": "on the bank statement, not in the ledger",
    "ledger_only": "in the ledger, not on a bank statement",
    "timing": "booked on different days by the bank and the ledger",
    "amount": "booked for a different amount by the bank and the ledger",
    "opening": "before the first bank statement",
}
NO_STATEMENT = "no bank statement imported yet: netfund bank import FILE"


@dataclass(frozen=True)
class AccountBalance:
    """One of the network's bank accounts as the bank has it on the day.

    Attributes:
        iban: compact IBAN.
        name: its name in network.toml ("" if the network no longer names it).
        opening_cents: the first statement's opening balance.
        opening_date: its date.
        balance_cents: the opening balance plus the lines booked on or before the day.
        statement_date: the closing date of the newest statement that closes on or before
            the day ("the statement of DATE"), or None.
        statement_closing_cents: that statement's closing balance, or None.
    """

    iban: str
    name: str
    opening_cents: int
    opening_date: datetime.date
    balance_cents: int
    statement_date: datetime.date | None
    statement_closing_cents: int | None


@dataclass(frozen=True)
class Explanation:
    """One reason the ledger and the bank differ.

    Attributes:
        kind: one of `EXPLANATION_KINDS`.
        amount_cents: its share of the difference (ledger − bank), signed.
        date: the bank's booking date, else the transaction's date (None for the opening
            balances' total).
        ref: the bank line's reference, or "".
        transaction: the ledger transaction's external id, or "".
        account_iban: the bank account, or "".
        counterparty: the other party's name (and IBAN), or "".
        text: the remittance, the transaction's description, or what the line is.
    """

    kind: str
    amount_cents: int
    date: datetime.date | None
    ref: str
    transaction: str
    account_iban: str
    counterparty: str
    text: str


@dataclass(frozen=True)
class Reconciliation:
    """The bank against the ledger on ``as_of``.

    Attributes:
        as_of: the day.
        accounts: every account with a statement opening on or before the day.
        bank_cents: their balances together.
        ledger_cents: Σ Assets:Bank over every fund, transactions dated on or before the day.
        explanations: why they differ, grouped by kind (`EXPLANATION_KINDS`), by date within.
        warnings: what makes the comparison less than whole (an account without a statement,
            a statement whose closing balance the lines do not reach).
        unmatched_count: the unmatched bank lines booked on or before the day.
        unmatched_in_cents: their credits together.
        unmatched_out_cents: their debits together (positive).
    """

    as_of: datetime.date
    accounts: tuple[AccountBalance, ...]
    bank_cents: int
    ledger_cents: int
    explanations: tuple[Explanation, ...]
    warnings: tuple[str, ...]
    unmatched_count: int
    unmatched_in_cents: int
    unmatched_out_cents: int

    @property
    def difference_cents(self) -> int:
        """Ledger − bank."""
        return self.ledger_cents - self.bank_cents

    @property
    def reconciled(self) -> bool:
        return self.difference_cents == 0

    @property
    def statement_date(self) -> datetime.date | None:
        """The newest statement's closing date on or before the day, over every account."""
        dates = [a.statement_date for a in self.accounts if a.statement_date is not None]
        return max(dates) if dates else None

    def of_kind(self, kind: str) -> tuple[Explanation, ...]:
        return tuple(e for e in self.explanations if e.kind == kind)

    def subtotal_cents(self, kind: str) -> int:
        return sum(e.amount_cents for e in self.of_kind(kind))


def reconcile(engine: Engine, as_of: datetime.date | None = None) -> Reconciliation:
    """The reconciliation as of ``as_of`` (default: the newest statement's closing date).

    Raises `LedgerError` when no statement was imported or none opens by ``as_of``, and
    `AccessDenied` for a funder's login.
    """
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        found = read_reconciliation(connection, as_of)
    if found is None:
        raise LedgerError(NO_STATEMENT)
    return found


def newest_statement_date(connection: Connection) -> datetime.date | None:
    """The newest closing date of any imported statement, or None when there is none."""
    value = connection.execute(select(func.max(bank_statements_table.c.closing_date))).scalar()
    return None if value is None else _as_date(value)


def read_reconciliation(
    connection: Connection, as_of: datetime.date | None = None
) -> Reconciliation | None:
    """`reconcile` inside a read the caller holds; None when no statement was imported."""
    if readable_funders(connection) is not None:
        raise AccessDenied(
            "the bank reconciliation is for the administrator and the controller: "
            "a funder's login does not read the bank's statements"
        )
    newest = newest_statement_date(connection)
    if newest is None:
        return None
    day = as_of or newest
    accounts, warnings = _balances(connection, day)
    if not accounts:
        raise LedgerError(
            f"no bank statement covers {day.isoformat()}: the first opens later; "
            "reconcile as of a later date (--as-of)"
        )
    first_opening = min(account.opening_date for account in accounts)
    explanations, unmatched = _explain(connection, day, first_opening, accounts)
    ledger_cents = int(
        connection.execute(
            select(func.coalesce(func.sum(postings_table.c.amount_cents), 0))
            .join_from(postings_table, transactions_table)
            .where(postings_table.c.account == BANK, transactions_table.c.date <= day)
        ).scalar_one()
    )
    return Reconciliation(
        as_of=day,
        accounts=accounts,
        bank_cents=sum(account.balance_cents for account in accounts),
        ledger_cents=ledger_cents,
        explanations=explanations,
        warnings=tuple(warnings),
        unmatched_count=len(unmatched),
        unmatched_in_cents=sum(cents for cents in unmatched if cents > 0),
        unmatched_out_cents=-sum(cents for cents in unmatched if cents < 0),
    )


def reconciliation_as_of(connection: Connection, as_of: datetime.date) -> Reconciliation | None:
    """The reconciliation a report shows beside its figures as of ``as_of``, or None when
    there is none to show: no statement imported, none opening by then, or a funder's login
    (which does not read the bank). The day is ``as_of``, or the newest statement's closing
    date if that is earlier: the bank's balance is known only as far as its statements go.
    `netfund status` and the statements ask this."""
    if readable_funders(connection) is not None:
        return None
    newest = newest_statement_date(connection)
    if newest is None:
        return None
    try:
        return read_reconciliation(connection, min(as_of, newest))
    except LedgerError:  # no statement opens by then: nothing to compare
        return None


def _balances(
    connection: Connection, day: datetime.date
) -> tuple[tuple[AccountBalance, ...], list[str]]:
    """Each account's balance on ``day``, in the network's order (then by IBAN)."""
    s, line = bank_statements_table.c, bank_lines_table.c
    network = read_network(connection)
    names = {account.iban: account.name for account in network.bank_accounts}
    statements: dict[str, list] = defaultdict(list)
    for row in connection.execute(
        select(
            s.account_iban, s.opening_cents, s.opening_date, s.closing_cents, s.closing_date
        ).order_by(s.account_iban, s.opening_date, s.closing_date, s.id)
    ):
        statements[row.account_iban].append(row)
    moved = dict(
        connection.execute(
            select(line.account_iban, func.sum(line.amount_cents))
            .where(line.booking_date <= day)
            .group_by(line.account_iban)
        ).all()
    )
    order = {iban: index for index, iban in enumerate(names)}
    warnings = [
        f"{iban} has no bank statement imported: its money is not in the comparison"
        for iban in names
        if iban not in statements
    ]
    accounts = []
    for iban in sorted(statements, key=lambda each: (order.get(each, len(order)), each)):
        rows = statements[iban]
        first = rows[0]
        opening_date = _as_date(first.opening_date)
        if opening_date > day:
            warnings.append(
                f"{iban}'s first statement opens on {opening_date.isoformat()}, after "
                f"{day.isoformat()}: its money is not in the comparison"
            )
            continue
        balance = int(first.opening_cents) + int(moved.get(iban) or 0)
        closed = [row for row in rows if _as_date(row.closing_date) <= day]
        statement = closed[-1] if closed else None
        if (
            statement is not None
            and _as_date(statement.closing_date) == day
            and int(statement.closing_cents) != balance
        ):
            warnings.append(
                f"{iban}: the statement of {day.isoformat()} closes at "
                f"{int(statement.closing_cents)} cents, its lines reach {balance}: "
                "a statement is missing in between"
            )
        accounts.append(
            AccountBalance(
                iban=iban,
                name=names.get(iban, ""),
                opening_cents=int(first.opening_cents),
                opening_date=opening_date,
                balance_cents=balance,
                statement_date=None if statement is None else _as_date(statement.closing_date),
                statement_closing_cents=None if statement is None else int(statement.closing_cents),
            )
        )
    return tuple(accounts), warnings


@dataclass(frozen=True)
class _Movement:
    """One ledger transaction's net movement on Assets:Bank."""

    external_id: str
    date: datetime.date
    cents: int
    description: str
    id: int
    reversal_of: int | None


def _explain(
    connection: Connection,
    day: datetime.date,
    first_opening: datetime.date,
    accounts: tuple[AccountBalance, ...],
) -> tuple[tuple[Explanation, ...], list[int]]:
    """Every explanation (see the module), and the amounts of the unmatched lines by ``day``.

    The ledger − bank difference is Σ movements dated by the day − Σ openings − Σ lines
    booked by the day. Each movement and each line lands in exactly one explanation (or in a
    pair that cancels), which is why the explanations add up to the difference."""
    t, p, line = transactions_table.c, postings_table.c, bank_lines_table.c
    movements: dict[str, _Movement] = {}
    for row in connection.execute(
        select(
            t.id,
            t.reversal_of,
            t.external_id,
            t.date,
            t.description,
            func.sum(p.amount_cents).label("cents"),
        )
        .join_from(postings_table, transactions_table)
        .where(p.account == BANK)
        .group_by(t.id, t.reversal_of, t.external_id, t.date, t.description)
    ):
        movements[row.external_id] = _Movement(
            row.external_id,
            _as_date(row.date),
            int(row.cents),
            row.description,
            int(row.id),
            row.reversal_of,
        )
    included = {account.iban for account in accounts}
    found: list[Explanation] = []
    unmatched: list[int] = []
    named: dict[str, list] = defaultdict(list)
    for row in connection.execute(
        select(
            line.account_iban,
            line.ref,
            line.booking_date,
            line.amount_cents,
            line.counterparty_iban,
            line.counterparty_name,
            line.remittance,
            line.status,
            line.txn_external_id,
        ).order_by(line.account_iban, line.position)
    ):
        if row.account_iban not in included:
            continue
        if row.txn_external_id is not None:
            named[row.txn_external_id].append(row)
            continue
        booked = _as_date(row.booking_date)
        if booked <= day:
            unmatched.append(int(row.amount_cents))
            found.append(_line_explanation("bank_only", row, -int(row.amount_cents), ""))

    for external_id, rows in named.items():
        movement = movements.get(external_id)
        by_day = [row for row in rows if _as_date(row.booking_date) <= day]
        lines_cents = sum(int(row.amount_cents) for row in by_day)
        if movement is None:  # names a transaction without a bank movement
            for row in by_day:
                found.append(
                    _line_explanation(
                        "bank_only",
                        row,
                        -int(row.amount_cents),
                        f"(matched to {external_id}, which does not touch {BANK})",
                    )
                )
            continue
        in_ledger = movement.date <= day
        if in_ledger and by_day:
            if movement.cents != lines_cents:
                found.append(
                    _explanation(
                        "amount",
                        movement.cents - lines_cents,
                        movement,
                        by_day[0],
                        f"the ledger has {movement.cents} cents, the bank {lines_cents}",
                    )
                )
        elif in_ledger:
            later = min(_as_date(row.booking_date) for row in rows)
            found.append(
                _explanation(
                    "timing",
                    movement.cents,
                    movement,
                    rows[0],
                    f"dated {movement.date.isoformat()} in the ledger, "
                    f"booked by the bank on {later.isoformat()}",
                    date=movement.date,
                )
            )
        elif by_day:
            found.append(
                _explanation(
                    "timing",
                    -lines_cents,
                    movement,
                    by_day[0],
                    f"booked by the bank on {_as_date(by_day[0].booking_date).isoformat()}, "
                    f"dated {movement.date.isoformat()} in the ledger",
                )
            )

    # A transaction no line names and its reversal, both by the day, cancel: neither is shown.
    unnamed = {
        m.id: m
        for m in movements.values()
        if m.external_id not in named and m.date <= day and m.cents
    }
    cancelled = {
        pair
        for m in unnamed.values()
        if m.reversal_of in unnamed and unnamed[m.reversal_of].cents + m.cents == 0
        for pair in (m.id, m.reversal_of)
    }
    before = 0
    before_count = 0
    for movement in unnamed.values():
        if movement.id in cancelled:
            continue
        if movement.date < first_opening:
            before += movement.cents
            before_count += 1
            continue
        found.append(
            Explanation(
                kind="ledger_only",
                amount_cents=movement.cents,
                date=movement.date,
                ref="",
                transaction=movement.external_id,
                account_iban="",
                counterparty="",
                text=movement.description,
            )
        )
    for account in accounts:
        if account.opening_cents:
            found.append(
                Explanation(
                    kind="opening",
                    amount_cents=-account.opening_cents,
                    date=account.opening_date,
                    ref="",
                    transaction="",
                    account_iban=account.iban,
                    counterparty="",
                    text=f"the opening balance of {format_iban(account.iban)}'s first statement",
                )
            )
    if before:
        found.append(
            Explanation(
                kind="opening",
                amount_cents=before,
                date=None,
                ref="",
                transaction="",
                account_iban="",
                counterparty="",
                text=f"the ledger's bank movements dated before {first_opening.isoformat()} "
                f"({before_count} transaction{'s' if before_count != 1 else ''})",
            )
        )
    order = {kind: index for index, kind in enumerate(EXPLANATION_KINDS)}
    found.sort(key=lambda e: (order[e.kind], e.date or datetime.date.min, e.ref, e.transaction))
    return tuple(found), unmatched


def _counterparty(row) -> str:  # type: ignore[no-untyped-def]
    name, iban = row.counterparty_name or "", row.counterparty_iban or ""
    return f"{name} ({iban})" if name and iban else name or iban


def _line_explanation(kind: str, row, cents: int, note: str) -> Explanation:  # type: ignore[no-untyped-def]
    text = row.remittance or ""
    return Explanation(
        kind=kind,
        amount_cents=cents,
        date=_as_date(row.booking_date),
        ref=row.ref,
        transaction=row.txn_external_id or "",
        account_iban=row.account_iban,
        counterparty=_counterparty(row),
        text=f"{text} {note}".strip(),
    )


def _explanation(  # type: ignore[no-untyped-def]
    kind: str,
    cents: int,
    movement: _Movement,
    row,
    note: str,
    date: datetime.date | None = None,
) -> Explanation:
    return Explanation(
        kind=kind,
        amount_cents=cents,
        date=date or _as_date(row.booking_date),
        ref=row.ref,
        transaction=movement.external_id,
        account_iban=row.account_iban,
        counterparty=_counterparty(row),
        text=f"{movement.description}: {note}",
    )
