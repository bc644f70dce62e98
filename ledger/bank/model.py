"""What a bank statement says, whatever file it came in: the records the formats produce.

The formats (`formats/camt.py`, `formats/mt940.py`) turn a file into `BankStatement`s; the
importer, the matcher and the reconciliation read only these. Money is signed integer cents
from the network's account's point of view: a credit (money in) is positive, a debit
negative; balances likewise (an overdrawn account is negative).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

#: The formats netfund reads, as `BankStatement.format` names them.
FORMATS = ("camt.053.001.02", "camt.053.001.08", "mt940")


@dataclass(frozen=True)
class BankLine:
    """One movement to match: an entry of the statement, or one transaction of a batched
    entry (a camt ``Ntry`` with several ``TxDtls``: each is a line of its own, their amounts
    adding up to the entry's).

    Attributes:
        ref: the line's reference, unique per bank account and stable across statements
            (re-importing or an overlapping statement finds it again): the entry's
            ``AcctSvcrRef`` (or ``NtryRef``), with ``/2``, ``/3``... for the second and later
            transaction of a batch (``/1`` for the first of several); MT940's bank reference
            (after ``//`` in ``:61:``); without one, ``H`` and 24 hex digits of the sha256 of
            account, booking date, amount, counterparty, remittance and the line's occurrence
            on that day.
        entry_ref: the reference of the entry the line belongs to (the same for a batch).
        booking_date: the day the bank booked it (decides the ledger period).
        value_date: the value date, if the bank gave one (can lie across a year end).
        amount_cents: signed cents: + credit, - debit. Never 0.
        counterparty_iban: the other party's account (debtor of a credit, creditor of a
            debit), compact and upper case (``NL91ABNA0417164300``), or "" if none.
        counterparty_name: the other party's name, or "".
        remittance: the unstructured remittance information (``Ustrd`` lines joined by a
            space; MT940 ``:86:`` text), or "".
        structured_reference: the structured creditor reference (``CdtrRefInf/Ref``, an
            ``RF..`` or Dutch payment reference), or "".
        end_to_end_id: the end-to-end id the payer gave (``EndToEndId``; MT940 ``/EREF/``),
            "" if none or ``NOTPROVIDED``.
        bank_code: the bank transaction code, ``DOMAIN/FAMILY/SUBFAMILY`` (``PMNT/RCDT/ESCT``)
            or MT940's three letters after ``N`` (``TRF``), or "".
        returned: a payment that came back (camt ``RtrInf``, sub-family ``RRTN``/``RPCR``,
            MT940 ``/RTRN/``).
        return_reason: the ISO reason code of a return (``AC04``), or "".
        line: the file's line where the line's entry (or its ``TxDtls``) starts.
    """

    ref: str
    entry_ref: str
    booking_date: datetime.date
    value_date: datetime.date | None
    amount_cents: int
    counterparty_iban: str
    counterparty_name: str
    remittance: str
    structured_reference: str
    end_to_end_id: str
    bank_code: str
    returned: bool
    return_reason: str
    line: int

    @property
    def is_credit(self) -> bool:
        return self.amount_cents > 0


@dataclass(frozen=True)
class BankStatement:
    """One statement of one account (a camt ``Stmt``; an MT940 message from ``:20:`` to
    ``:62F:``). A file may hold several.

    Attributes:
        source: the file it was read from, for messages.
        format: one of `FORMATS`.
        statement_id: the bank's id of the statement (camt ``Stmt/Id``; MT940 ``:20:`` and
            ``:28C:``).
        sequence: the statement's number (``ElctrncSeqNb``, else ``LglSeqNb``; MT940
            ``:28C:``), or None.
        account_iban: the account's IBAN, compact and upper case.
        currency: the account's currency (netfund books EUR only).
        opening_cents: the opening booked balance (``OPBD``; MT940 ``:60F:``/``:60M:``).
        opening_date: its date.
        closing_cents: the closing booked balance (``CLBD``; MT940 ``:62F:``/``:62M:``).
        closing_date: its date.
        from_date: the first day the statement covers (``FrToDt``, else the opening date).
        to_date: the last day (``FrToDt``, else the closing date).
        lines: every line, in the file's order.
        line: the file's line where the statement starts.
        sha256: the sha256 (hex) of the whole file's bytes.
    """

    source: str
    format: str
    statement_id: str
    sequence: str | None
    account_iban: str
    currency: str
    opening_cents: int
    opening_date: datetime.date
    closing_cents: int
    closing_date: datetime.date
    from_date: datetime.date
    to_date: datetime.date
    lines: tuple[BankLine, ...]
    line: int
    sha256: str

    @property
    def movement_cents(self) -> int:
        """The sum of its lines: what the balance moved by, if the statement adds up."""
        return sum(line.amount_cents for line in self.lines)

    @property
    def adds_up(self) -> bool:
        """Whether opening balance plus the lines is the closing balance."""
        return self.opening_cents + self.movement_cents == self.closing_cents
