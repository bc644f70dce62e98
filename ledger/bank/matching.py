"""What each bank line is to the ledger: matched, explained, and booked through the one path.

A line of the bank is either something the ledger already has, or something to book, or
something a person must decide. The order of the questions is the order of certainty:

1. **A refund netfund paid** (a debit whose end-to-end id is a payment of a pain.001 file that
   `payments.py` wrote): the refund owed is booked as paid. A returned credit with that id
   undoes the refund (the money is owed again).
2. **A transaction the ledger already has** and no bank line names yet (a receipt retyped
   into events.csv, an expense imported from the invoices, a refund booked by hand): the line
   is *linked* to it, never booked a second time. It must have the same amount on
   ``Assets:Bank`` and either its reference in the line's remittance (an invoice number, a
   decision number) or, for a funder's receipt or refund, that funder's account as the
   counterparty and a date at most `LINK_DAYS` away.
3. **A funder's payment**: a credit from an account network.toml gives a funder (``ibans``)
   becomes its receipt, matched to its instalments due (the payment schedule): the
   explanation says which instalment it pays, or that it pays an earlier year's commitment
   first (oldest first, as `settling.py` matches receipts). An account that pays for several
   funders is decided by the remittance (a funder's code or its commitment's reference) or
   by the amount fitting exactly one funder's next instalments. A credit more than the
   funder still owes is not booked.
4. **A refund paid by hand**: a debit to a funder's account, at most what is owed back to it.
5. **A debit the rules file names** (`rules.py`, ``bank-rules.toml``): an expense of the
   rule's group, attributed as every expense is (`event_rules`).
6. **A returned payment** whose original line was booked or linked: the original's
   transaction is reversed, dated the day the money came back.

Anything else stays *unmatched*, with the reason, for `netfund bank unmatched` and `assign`.
Every transaction made here is an event like one of events.csv (`event_rules.event_draft`,
so attribution and the standing rules are the same), with the bank's reference as its
``reference`` and id ``netfund:bank:<account>:<ref>``: the bank reference is in the hash
chain with it.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from netfund.ledger.bank.model import BankLine
from netfund.ledger.bank.payments import mark_paid, mark_returned, payment_by_end_to_end_id
from netfund.ledger.corrections import append_reversal
from netfund.ledger.event_rules import (
    BANK,
    CONTRIBUTIONS,
    RECEIVABLE,
    REFUNDABLE,
    AttributionError,
    AttributionState,
    event_draft,
)
from netfund.ledger.inputs.events import Event
from netfund.ledger.inputs.network import Funder, Network
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.fields import RESERVED_ID_PREFIX
from netfund.ledger.model.limits import (
    DESCRIPTION_LENGTH_MAX,
    EXTERNAL_ID_LENGTH_MAX,
    REFERENCE_LENGTH_MAX,
)
from netfund.ledger.model.money import format_grouped
from netfund.ledger.model.schedule import instalment_rows
from netfund.ledger.settling import match_oldest_first
from netfund.ledger.store.post import UnitOfWork
from netfund.ledger.store.schema import (
    bank_lines_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import case, func, select

#: How far apart a line and a ledger transaction without a shared reference may be dated and
#: still be linked (a receipt typed on the day it was announced, booked by the bank later).
LINK_DAYS = 10
#: The prefix of the ids of transactions made from bank lines.
BANK_ID_PREFIX = f"{RESERVED_ID_PREFIX}bank:"
#: A reference shorter than this is not looked for in remittance text ("1" is in everything).
_REFERENCE_MIN = 4


class RuleMatch(Protocol):
    """What a rule of bank-rules.toml decides for a line (`rules.RuleMatch`)."""

    group: str
    funder: str | None
    description: str | None
    source: str
    line: int


class Rules(Protocol):
    """The rules file as the matcher asks it (`rules.BankRules`)."""

    def match(self, line: BankLine) -> RuleMatch | None: ...


@dataclass(frozen=True)
class Outcome:
    """How one bank line stands with the ledger.

    Attributes:
        status: ``booked``, ``linked`` or ``unmatched`` (`schema.BANK_LINE_STATUSES`).
        txn_external_id: the transaction it was booked as or linked to (None: unmatched).
        explanation: why, in a sentence a person can check.
    """

    status: str
    txn_external_id: str | None
    explanation: str


def bank_transaction_id(account_iban: str, ref: str) -> str:
    """The id of the transaction made from line ``ref`` of ``account_iban``: readable while it
    fits the id column, else the ref's sha256 (refs are the bank's, up to 140 characters)."""
    readable = f"{BANK_ID_PREFIX}{account_iban}:{ref}"
    if len(readable) <= EXTERNAL_ID_LENGTH_MAX:
        return readable
    return f"{BANK_ID_PREFIX}{account_iban}:{hashlib.sha256(ref.encode()).hexdigest()[:32]}"


def euros(cents: int) -> str:
    return f"EUR {format_grouped(cents)}"


@dataclass(frozen=True)
class _Original:
    """The matched debit line a returned payment gives back."""

    ref: str
    txn_external_id: str
    end_to_end_id: str


@dataclass
class _Candidate:
    """A ledger transaction touching Assets:Bank that no bank line names yet."""

    external_id: str
    date: datetime.date
    type: str
    reference: str
    funds: frozenset[str]
    bank_cents: int
    position: int
    #: Linked to a line of this write already.
    linked: bool = False


class Matcher:
    """Matches lines within one write (`UnitOfWork`), booking through it; its state (what is
    owed, what is linked) follows what it books, so the lines of one statement see each
    other's effect (two instalments paid on one statement)."""

    def __init__(
        self,
        unit: UnitOfWork,
        account_iban: str,
        rules: Rules | None,
        dates: tuple[datetime.date, datetime.date],
    ) -> None:
        self.unit = unit
        self.account_iban = account_iban
        self.rules = rules
        self.connection = unit.connection
        self.state = AttributionState(unit.connection)
        self._candidates = self._load_candidates(dates)
        #: The same candidates by their reference (case-folded), for the remittance's words.
        self._by_reference: dict[str, list[_Candidate]] = defaultdict(list)
        #: References that do not begin and end with a letter or digit (``#1234``): no
        #: span (`_spans`) is one, so they are searched for one by one.
        self._odd_references: list[_Candidate] = []
        for same_amount in self._candidates.values():
            for candidate in same_amount:
                reference = candidate.reference.casefold()
                if len(reference) < _REFERENCE_MIN:
                    continue
                if _WORD.fullmatch(reference[0]) and _WORD.fullmatch(reference[-1]):
                    self._by_reference[reference].append(candidate)
                else:
                    self._odd_references.append(candidate)
        self._receivable = self._load_receivable()
        self._refundable = dict(self.state.refundable)
        self._commitment_refs = self._load_commitment_refs()
        #: The lines matched in this write, for a return of a payment on the same statement.
        self._matched: list[tuple[BankLine, Outcome]] = []

    # -- reading what the ledger holds -------------------------------------------------

    def _load_candidates(
        self, dates: tuple[datetime.date, datetime.date]
    ) -> dict[int, list[_Candidate]]:
        """Unlinked transactions on Assets:Bank dated near the lines, by their bank amount."""
        t, p, b = transactions_table.c, postings_table.c, bank_lines_table.c
        start = dates[0] - datetime.timedelta(days=366)
        end = dates[1] + datetime.timedelta(days=LINK_DAYS)
        named = select(b.txn_external_id).where(b.txn_external_id.is_not(None))
        rows = self.connection.execute(
            select(
                t.id,
                t.external_id,
                t.date,
                t.type,
                t.reference,
                p.fund,
                func.sum(p.amount_cents),
            )
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(p.account == BANK, t.date >= start, t.date <= end)
            .where(t.external_id.not_in(named))
            .group_by(t.id, t.external_id, t.date, t.type, t.reference, p.fund)
            .order_by(t.id)
        )
        by_id: dict[int, _Candidate] = {}
        for txn_id, external_id, date, kind, reference, fund, cents in rows:
            found = by_id.get(txn_id)
            if found is None:
                by_id[txn_id] = _Candidate(
                    external_id, date, kind, reference or "", frozenset({fund}), int(cents), txn_id
                )
            else:
                found.funds = found.funds | {fund}
                found.bank_cents += int(cents)
        index: dict[int, list[_Candidate]] = defaultdict(list)
        for candidate in by_id.values():
            if candidate.bank_cents:
                index[candidate.bank_cents].append(candidate)
        return index

    def _load_receivable(self) -> dict[str, dict[str, list[int]]]:
        """Per fund and period, [claimed, paid] on Assets:Receivable (commitments, receipts)."""
        t, p = transactions_table.c, postings_table.c
        found: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        debit = func.sum(case((p.amount_cents > 0, p.amount_cents), else_=0))
        credit = func.sum(case((p.amount_cents < 0, -p.amount_cents), else_=0))
        for fund, period, debits, credits in self.connection.execute(
            select(p.fund, t.period, debit, credit)
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(p.account == RECEIVABLE)
            .group_by(p.fund, t.period)
        ):
            found[fund][period][0] += int(debits)
            found[fund][period][1] += int(credits)
        return found

    def _load_commitment_refs(self) -> dict[str, set[str]]:
        """Each fund's commitment references (a decision number a payer quotes)."""
        t, p = transactions_table.c, postings_table.c
        refs: dict[str, set[str]] = defaultdict(set)
        for fund, reference in self.connection.execute(
            select(p.fund, t.reference)
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(p.account == CONTRIBUTIONS, p.amount_cents < 0)
            .distinct()
        ):
            if reference and len(reference) >= _REFERENCE_MIN:
                refs[fund].add(reference)
        return refs

    # -- the questions, in order ---------------------------------------------------------

    def match(self, line: BankLine, *, allow_link: bool = True) -> Outcome:
        """How ``line`` stands with the ledger; books what it decides (module doc)."""
        outcome = self._decide(line, allow_link)
        self._matched.append((line, outcome))
        return outcome

    def _decide(self, line: BankLine, allow_link: bool) -> Outcome:
        network = self.unit.network_for(f"{line.booking_date.year:04d}")
        if line.returned and line.amount_cents > 0:
            return self._returned(line)
        payment = self._payment(line)
        if payment is not None:
            return payment
        if allow_link:
            linked = self._link(line, network)
            if linked is not None:
                return linked
        if line.amount_cents > 0:
            return self._credit(line, network)
        return self._debit(line, network)

    def assign(
        self,
        line: BankLine,
        *,
        group: str | None,
        funder: str | None,
        description: str | None,
    ) -> Outcome:
        """Book ``line`` as a person decided (`lines.assign_line`): the ledger's rules still
        apply; only the matching is the person's."""
        said = f"assigned by hand ({description})" if description else "assigned by hand"
        if line.amount_cents > 0:
            if group is not None or funder is None:
                return Outcome(
                    "unmatched",
                    None,
                    "money in is a funder's payment: give --funder CODE (a receipt), not a group",
                )
            outcome = self._book(line, "receipt", funder, None, description)
            what = f"receipt of {funder}"
        elif group is not None:
            outcome = self._book(line, "expense", funder, group, description)
            what = f"expense of {group}" + (f" paid by {funder}" if funder else ", pro rata")
        elif funder is not None:
            outcome = self._book(line, "refund", funder, None, description)
            what = f"refund to {funder}"
        else:
            return Outcome("unmatched", None, "give --group GROUP (an expense) or --funder CODE")
        if outcome.status != "booked":
            return outcome
        return Outcome("booked", outcome.txn_external_id, f"{what}: {said}")

    def _payment(self, line: BankLine) -> Outcome | None:
        """A debit of a payment file's transfer: the refund it pays, booked."""
        if line.amount_cents > 0 or not line.end_to_end_id:
            return None
        payment = payment_by_end_to_end_id(self.connection, line.end_to_end_id)
        if payment is None:
            return None
        named = f"{payment.end_to_end_id}, the refund of {payment.period} to {payment.funder}"
        if payment.status == "replaced":
            return Outcome(
                "unmatched",
                None,
                f"{named} in {payment.file_name}, was written anew by a later payment file "
                "(pay refunds --again), yet the bank paid it: if it paid the new one too, the "
                f"funder was paid twice; ask it back, then assign this line",
            )
        if payment.status != "sent":
            return Outcome(
                "unmatched",
                None,
                f"{named} in {payment.file_name}, is {payment.status} already (bank line "
                f"{payment.bank_line_ref}): paid twice? ask the bank",
            )
        if -line.amount_cents != payment.amount_cents:
            return Outcome(
                "unmatched",
                None,
                f"{named} in {payment.file_name}, is {euros(payment.amount_cents)}, but the "
                f"bank paid {euros(-line.amount_cents)}",
            )
        booked = self._book(
            line,
            "refund",
            payment.funder,
            None,
            f"Terugbetaling {payment.period} aan {payment.funder} ({payment.end_to_end_id})",
        )
        if booked.status != "booked":
            return booked
        mark_paid(self.connection, payment.end_to_end_id, line.ref)
        return Outcome(
            "booked",
            booked.txn_external_id,
            f"refund of {payment.period} to {payment.funder} paid: {payment.end_to_end_id} of "
            f"payment file {payment.file_name}",
        )

    def _link(self, line: BankLine, network: Network) -> Outcome | None:
        """A transaction the ledger has, that this line is the bank's side of."""
        candidates = self._candidates.get(line.amount_cents)
        if not candidates:
            return None
        chosen: _Candidate | None = None
        why = ""
        text = _searchable(line)
        by_reference = [
            candidate
            for span in _spans(text)
            for candidate in self._by_reference.get(span, ())
            if candidate.bank_cents == line.amount_cents and not candidate.linked
        ] + [
            candidate
            for candidate in self._odd_references
            if candidate.bank_cents == line.amount_cents
            and not candidate.linked
            and _mentions(text, candidate.reference)
        ]
        if by_reference:
            chosen = min(by_reference, key=lambda c: _nearness(c, line))
            why = f"reference {chosen.reference} in the bank's remittance"
        elif line.counterparty_iban:
            payers = {f.code for f in network.funders_paying_from(line.counterparty_iban)}
            near = [
                c
                for c in candidates
                if not c.linked
                and c.type in ("receipt", "refund")
                and c.funds <= payers
                and abs((c.date - line.booking_date).days) <= LINK_DAYS
            ]
            if near:
                chosen = min(near, key=lambda c: _nearness(c, line))
                why = (
                    f"{'/'.join(sorted(chosen.funds))}'s account {line.counterparty_iban}, "
                    f"same amount, dated {chosen.date.isoformat()}"
                )
        if chosen is None:
            return None
        chosen.linked = True
        return Outcome(
            "linked",
            chosen.external_id,
            f"the ledger's {chosen.type} {chosen.external_id} (booked before): {why}",
        )

    def _credit(self, line: BankLine, network: Network) -> Outcome:
        if not line.counterparty_iban:
            return Outcome("unmatched", None, "money in without the payer's account")
        payers = network.funders_paying_from(line.counterparty_iban)
        if not payers:
            return Outcome(
                "unmatched",
                None,
                f"money in from {line.counterparty_iban} ({line.counterparty_name or 'no name'}), "
                "which network.toml names for no funder (a funder's ibans)",
            )
        funder, why = self._payer(line, payers)
        if funder is None:
            return Outcome("unmatched", None, why)
        owed = self._owed(funder.code)
        if line.amount_cents > owed:
            return Outcome(
                "unmatched",
                None,
                f"{euros(line.amount_cents)} from {funder.code} is more than it still owes "
                f"({euros(owed)} of its commitments): not booked as a receipt",
            )
        explained = self._instalments(funder, line)
        booked = self._book(line, "receipt", funder.code, None, None)
        if booked.status != "booked":
            return booked
        self._receivable[funder.code][f"{line.booking_date.year:04d}"][1] += line.amount_cents
        return Outcome(
            "booked", booked.txn_external_id, f"receipt of {funder.code}: {explained}{why}"
        )

    def _payer(self, line: BankLine, payers: tuple[Funder, ...]) -> tuple[Funder | None, str]:
        """Which of the funders paying from the line's account paid it, and on what ground."""
        if len(payers) == 1:
            return payers[0], ""
        text = _searchable(line)
        named = [
            f
            for f in payers
            if _mentions(text, f.code)
            or any(_mentions(text, ref) for ref in self._commitment_refs.get(f.code, ()))
        ]
        if len(named) == 1:
            return named[0], "; named in the remittance"
        fitting = [f for f in payers if self._fits(f, line)]
        if len(fitting) == 1:
            return fitting[
                0
            ], f"; the amount fits its instalments (the account pays for {len(payers)} funders)"
        codes = ", ".join(f.code for f in payers)
        return None, (
            f"money in from {line.counterparty_iban}, which pays for {codes}: neither the "
            "remittance nor the amount says whose it is (netfund bank assign REF --funder CODE)"
        )

    def _owed(self, fund: str) -> int:
        return sum(max(claimed - paid, 0) for claimed, paid in self._open_claims(fund).values())

    def _open_claims(self, fund: str) -> dict[str, list[int]]:
        """Per period [claimed, paid], receipts matched to the oldest open commitment."""
        periods = self._receivable.get(fund, {})
        claims = {period: values[0] for period, values in periods.items()}
        payments = {period: values[1] for period, values in periods.items()}
        settled: dict[str, list[int]] = {period: [claims[period], 0] for period in claims}
        for _paying, claimed, cents in match_oldest_first(claims, payments):
            settled[claimed][1] += cents
        return settled

    def _fits(self, funder: Funder, line: BankLine) -> bool:
        """Whether the amount is exactly the next instalments (or all that is open) of one
        period of the funder's commitments."""
        for period, (claimed, paid) in sorted(self._open_claims(funder.code).items()):
            if claimed <= paid:
                continue
            if line.amount_cents == claimed - paid:
                return True
            bounds = _instalment_bounds(funder, period, claimed)
            return paid in bounds and paid + line.amount_cents in bounds
        return False

    def _instalments(self, funder: Funder, line: BankLine) -> str:
        """Which instalments the receipt pays, oldest open commitment first, in words."""
        left = line.amount_cents
        said: list[str] = []
        for period, (claimed, paid) in sorted(self._open_claims(funder.code).items()):
            if left <= 0:
                break
            open_cents = claimed - paid
            if open_cents <= 0:
                continue
            cents = min(left, open_cents)
            left -= cents
            rows = instalment_rows(funder.schedule, period, claimed)
            cumulative, covered = 0, []
            for row in rows:
                start, cumulative = cumulative, cumulative + row.cents
                if row.cents and start < paid + cents and cumulative > paid:
                    part = "" if (start >= paid and cumulative <= paid + cents) else "part of "
                    covered.append(f"{part}{row.date.isoformat()} ({euros(row.cents)})")
            where = f"instalment {', '.join(covered)}" if covered else f"{period}'s commitment"
            said.append(f"{euros(cents)} for {where} of {period}")
        return "; ".join(said)

    def _debit(self, line: BankLine, network: Network) -> Outcome:
        paid_to = (
            network.funders_paying_from(line.counterparty_iban) if line.counterparty_iban else ()
        )
        owed_to = [f for f in paid_to if self._refundable.get(f.code, 0) >= -line.amount_cents]
        if len(owed_to) == 1:
            funder = owed_to[0]
            owed = self._refundable[funder.code]
            booked = self._book(line, "refund", funder.code, None, None)
            if booked.status == "booked":
                return Outcome(
                    "booked",
                    booked.txn_external_id,
                    f"refund to {funder.code}, paid to its account {line.counterparty_iban} "
                    f"({euros(owed)} was owed back to it)",
                )
            return booked
        if self.rules is not None:
            rule = self.rules.match(line)
            if rule is not None:
                booked = self._book(line, "expense", rule.funder, rule.group, rule.description)
                if booked.status == "booked":
                    attributed = "" if rule.funder else ", attributed pro rata to its funders"
                    return Outcome(
                        "booked",
                        booked.txn_external_id,
                        f"expense of {rule.group}{attributed}: rule {rule.source}:{rule.line}",
                    )
                return booked
        if paid_to:
            codes = ", ".join(f.code for f in paid_to)
            return Outcome(
                "unmatched",
                None,
                f"money out to {codes}'s account {line.counterparty_iban}, more than is owed "
                "back to it: not booked as a refund",
            )
        return Outcome(
            "unmatched",
            None,
            "money out that no rule of the rules file names and no transaction of the ledger "
            "has (same amount and its reference in the remittance)",
        )

    def _returned(self, line: BankLine) -> Outcome:
        """Money back from a payment that failed: undo the original's transaction."""
        reason = f" ({line.return_reason})" if line.return_reason else ""
        original = self._original_of(line)
        if original is None:
            return Outcome(
                "unmatched",
                None,
                f"a returned payment{reason} whose original debit is not among the matched "
                "bank lines: assign it",
            )
        period = f"{line.booking_date.year:04d}"
        if period in self.unit.closed_periods:
            return Outcome(
                "unmatched",
                None,
                f"a returned payment{reason} of bank line {original.ref}, booked by the bank in "
                f"closed period {period}: not reversed",
            )
        payment = None
        if original.end_to_end_id:
            payment = payment_by_end_to_end_id(self.connection, original.end_to_end_id)
        if payment is not None and payment.status not in ("sent", "paid"):
            return Outcome(
                "unmatched",
                None,
                f"a returned payment{reason} of {payment.end_to_end_id}, which is "
                f"{payment.status} already (bank line {payment.bank_line_ref})",
            )
        self.unit.flush()
        try:
            transaction = append_reversal(
                self.unit,
                original.txn_external_id,
                line.booking_date,
                f"Teruggeboekt door de bank{reason}: {original.txn_external_id}",
            )
        except LedgerError as error:
            return Outcome(
                "unmatched",
                None,
                f"a returned payment{reason} of bank line {original.ref}: {error}",
            )
        self.state.record(transaction)
        if payment is not None:
            mark_returned(self.connection, payment.end_to_end_id, line.ref)
        for posting in transaction.draft.postings:
            if posting.account == REFUNDABLE:
                owed = self._refundable.get(posting.fund, 0)
                self._refundable[posting.fund] = owed - posting.amount_cents
            if posting.account == RECEIVABLE:
                self._receivable[posting.fund][period][0] += max(posting.amount_cents, 0)
        return Outcome(
            "booked",
            transaction.draft.external_id,
            f"returned by the bank{reason}: bank line {original.ref} "
            f"({original.txn_external_id}) reversed",
        )

    def _original_of(self, line: BankLine) -> _Original | None:
        """The matched debit a returned credit gives back: by its end-to-end id, else by the
        counterparty's account; the newest first, this write's lines before stored ones."""

        def same(other: BankLine) -> bool:
            if other.amount_cents != -line.amount_cents:
                return False
            if line.end_to_end_id:
                return other.end_to_end_id == line.end_to_end_id
            return (
                bool(line.counterparty_iban) and other.counterparty_iban == line.counterparty_iban
            )

        for other, outcome in reversed(self._matched):
            if outcome.txn_external_id is not None and same(other):
                return _Original(other.ref, outcome.txn_external_id, other.end_to_end_id)
        if not line.end_to_end_id and not line.counterparty_iban:
            return None
        b = bank_lines_table.c
        query = select(b.ref, b.txn_external_id, b.end_to_end_id).where(
            b.account_iban == self.account_iban,
            b.amount_cents == -line.amount_cents,
            b.status != "unmatched",
        )
        if line.end_to_end_id:
            query = query.where(b.end_to_end_id == line.end_to_end_id)
        else:
            query = query.where(b.counterparty_iban == line.counterparty_iban)
        row = self.connection.execute(query.order_by(b.position.desc()).limit(1)).one_or_none()
        return None if row is None else _Original(row[0], row[1], row[2])

    # -- booking -------------------------------------------------------------------------

    def _book(
        self,
        line: BankLine,
        kind: str,
        funder: str | None,
        group: str | None,
        description: str | None,
    ) -> Outcome:
        """Book ``line`` as an event of ``kind`` through the unit; unmatched (with the
        reason) when the ledger would refuse it: a closed period, an expense with nothing to
        attribute it to, a line the standing rules refuse."""
        period = f"{line.booking_date.year:04d}"
        if period in self.unit.closed_periods:
            return Outcome(
                "unmatched",
                None,
                f"booked by the bank on {line.booking_date.isoformat()}, in closed period "
                f"{period}: not booked (reopen {period} to book it there)",
            )
        external_id = bank_transaction_id(self.account_iban, line.ref)
        event = Event(
            line=line.line,
            id=external_id,
            date=line.booking_date,
            type=kind,
            funder=funder,
            group=group,
            amount_cents=abs(line.amount_cents),
            description=_description(description or _said(line)),
            reference=_reference(line.ref),
        )
        try:
            draft = event_draft(event, self.state)
        except AttributionError as error:
            return Outcome("unmatched", None, str(error))
        refused = self.unit.draft_errors(draft)
        if refused:
            return Outcome("unmatched", None, "the ledger refuses it: " + "; ".join(refused))
        if not self.unit.admit(line.line, external_id, event.source_hash, period):
            return Outcome("linked", external_id, "booked before from this bank line")
        self.state.record(self.unit.append(draft))
        if kind == "refund" and funder is not None:
            self._refundable[funder] = self._refundable.get(funder, 0) + line.amount_cents
        return Outcome("booked", external_id, "")


def _instalment_bounds(funder: Funder, period: str, claimed: int) -> set[int]:
    """The cumulative cents at each instalment boundary of ``period``'s commitment."""
    bounds, total = {0}, 0
    for row in instalment_rows(funder.schedule, period, claimed):
        total += row.cents
        bounds.add(total)
    return bounds


def _searchable(line: BankLine) -> str:
    """The line's words a payer writes: remittance, structured reference, end-to-end id."""
    return " ".join((line.remittance, line.structured_reference, line.end_to_end_id)).casefold()


def _nearness(candidate: _Candidate, line: BankLine) -> tuple[int, int]:
    """Closest in date first, then the oldest in the chain."""
    return abs((candidate.date - line.booking_date).days), candidate.position


def _spans(text: str) -> set[str]:
    """Every stretch of ``text`` from the start of a word to the end of a word (words of
    letters and digits; ``INV-2026-0001`` and ``betaling INV-2026-0001`` are both spans of
    ``betaling INV-2026-0001.``), at most a reference long: what `_mentions` would find,
    looked up in a dictionary instead of searched for once per reference (a year of
    invoices of the same amount made that quadratic: 10,000 lines took 13 s)."""
    starts = [m.start() for m in _WORD.finditer(text)]
    ends = [m.end() for m in _WORD.finditer(text)]
    return {
        text[start:end]
        for index, start in enumerate(starts)
        for end in ends[index:]
        if end - start <= REFERENCE_LENGTH_MAX
    }


#: A word: letters and digits (the boundaries `_mentions` uses).
_WORD = re.compile(r"[0-9a-z]+")


def _mentions(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole token (``INV-1`` is not in ``INV-12``)."""
    pattern = rf"(?<![0-9a-z]){re.escape(word.casefold())}(?![0-9a-z])"
    return re.search(pattern, text) is not None


def _said(line: BankLine) -> str:
    parts = [part for part in (line.counterparty_name, line.remittance) if part]
    return ": ".join(parts) or f"Bank {line.ref}"


def _visible(text: str) -> str:
    """Bank text as one line of ordinary characters (controls and format characters become
    spaces): it must pass the ledger's field rules like any typed description."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char for char in text
    )
    return " ".join(cleaned.split())


def _description(text: str) -> str:
    return _visible(text)[:DESCRIPTION_LENGTH_MAX] or "Bank"


def _reference(ref: str) -> str:
    return _visible(ref)[:REFERENCE_LENGTH_MAX]


def stored_line(row: object) -> BankLine:
    """A `bank_lines` row as the `BankLine` it was imported as (file line 0: not in a file)."""
    return BankLine(
        ref=row.ref,  # type: ignore[attr-defined]
        entry_ref=row.entry_ref,  # type: ignore[attr-defined]
        booking_date=row.booking_date,  # type: ignore[attr-defined]
        value_date=row.value_date,  # type: ignore[attr-defined]
        amount_cents=row.amount_cents,  # type: ignore[attr-defined]
        counterparty_iban=row.counterparty_iban,  # type: ignore[attr-defined]
        counterparty_name=row.counterparty_name,  # type: ignore[attr-defined]
        remittance=row.remittance,  # type: ignore[attr-defined]
        structured_reference=row.structured_reference,  # type: ignore[attr-defined]
        end_to_end_id=row.end_to_end_id,  # type: ignore[attr-defined]
        bank_code=row.bank_code,  # type: ignore[attr-defined]
        returned=row.returned,  # type: ignore[attr-defined]
        return_reason=row.return_reason,  # type: ignore[attr-defined]
        line=0,
    )


def lines_between(lines: Iterable[BankLine]) -> tuple[datetime.date, datetime.date]:
    dates = [line.booking_date for line in lines]
    return min(dates), max(dates)
