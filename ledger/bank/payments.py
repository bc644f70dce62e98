"""Refunds out: the money a `return` close made owed to funders, as one SEPA credit transfer
file (pain.001.001.03) the network uploads to its bank, and the bookkeeping that matches the
bank's debits back to it.

What is owed (`refunds_owed`): per funder, the ``Liabilities:Refundable`` credits of period
P's standing closing entries, less what was refunded since (anything after the close that
moved that fund's Refundable balance: refund events, a journal post, their reversals), and
never more than the fund's Refundable balance now. Funders under ``carry_over`` have no such
credit and owe nothing. The IBAN is the funder's first (``ibans = [...]`` in network.toml) in
the newest network version: the refund goes where the funder's account is now.

Writing the file (`write_refund_payments`) moves no ledger money: the refund is booked when
the bank's debit comes back on a statement and the lead's matcher finds it by its end-to-end
id (`payment_by_end_to_end_id`, `mark_paid`, `mark_returned`). So it is not an action the
four-eyes rules (`approvals.py`) gate; it is recorded, though: a ``payment-file`` record in the
records chain and one `bank_payments` row per credit transfer (status ``sent``), both in the
transaction that reads what is owed, under the chain lock (no refund, close or reopen can come
in between).

No double payment: a funder whose refund of P is in a file not yet matched back by a bank
statement (a ``sent`` row) is refused, naming the file, when and by whom; ``again`` writes it
anew (a new message id and new end-to-end ids; the earlier rows stay, the record names the
end-to-end ids it replaces), with the amount owed as the ledger says now.

Write order, so that a crash never leaves a payment file under its name without its record:

1. the XML is made, checked against the pain.001.001.03 XSD (sepaxml) and written to a
   temporary file beside the target (`AtomicFile`: mode 0600), synced to disk;
2. in the same database transaction that read what is owed, the record and the rows are
   written; the transaction commits;
3. only then is the temporary file renamed to its name (synced, 0600).

A failure before the commit (a refusal, a database error, a full disk) leaves no file, no
record and no row. A crash between the commit and the rename leaves the record and the
complete file under its temporary name (``.NAME.*.partial`` beside it), never a file the
bank could be sent twice: the next run is refused as a double payment (naming the file),
and ``--again`` writes a fresh one. The reverse order (rename, then commit) could leave a
file the bank accepts with no record of it, which a second run would pay again.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.ledger.event_rules import REFUNDABLE
from netfund.ledger.exports.safety import AtomicFile
from netfund.ledger.inputs.network import BankAccount, Network
from netfund.ledger.model.errors import InputError, LedgerError, Problem
from netfund.ledger.model.fields import parse_period
from netfund.ledger.model.iban import format_iban, parse_iban
from netfund.ledger.model.money import format_grouped
from netfund.ledger.store.access import require
from netfund.ledger.store.database import reading, require_schema, writing
from netfund.ledger.store.post import closed_periods, standing
from netfund.ledger.store.records import append_record, transaction_head, utc_now
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import (
    bank_payments_table,
    ledger_records_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Connection, Engine, case, func, insert, select, update

#: The schema every payment file is written in and checked against (the XSD sepaxml ships).
SCHEMA = "pain.001.001.03"
#: SEPA's limits: a name 70 characters, the unstructured remittance 140, ids 35.
NAME_MAX = 70
REMITTANCE_MAX = 140
ID_MAX = 35
#: The characters every SEPA bank accepts (EPC's basic Latin set); others are transliterated
#: (``é`` → ``e``, ``–`` → ``-``) or become a space. sepaxml's own cleaning transliterates
#: but keeps ``&``, ``_`` or ``!``, which some banks reject.
_SEPA_CHARACTERS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
#: The words of the remittance, in the network's language (`Network.language`).
_REMITTANCE = {
    "nl": "Terugbetaling niet-besteed {period} {network}",
    "en": "Refund of unspent {period} {network}",
}
#: Where the problems of a network without IBANs are said to be.
NETWORK_SOURCE = "network.toml"


@dataclass(frozen=True)
class RefundOwed:
    """What one funder is owed back from a period's close.

    Attributes:
        funder: the funder's code.
        name: its name (the newest network version's).
        iban: its first IBAN (compact), where the refund goes; None when network.toml names
            none (`refunds_owed` refuses that).
        cents: what is owed now, > 0.
        closed_cents: what the close made owed (the Refundable credits of its entries).
        refunded_cents: what was refunded of it since (net; 0 if nothing).
    """

    funder: str
    name: str
    iban: str | None
    cents: int
    closed_cents: int
    refunded_cents: int


@dataclass(frozen=True)
class Payment:
    """One credit transfer in a payment file.

    Attributes:
        funder: the funder's code.
        name: the creditor's name as the file gives it (SEPA's characters, 70 at most).
        iban: the funder's IBAN (compact).
        cents: the amount.
        end_to_end_id: the id the bank's statement returns with the debit.
    """

    funder: str
    name: str
    iban: str
    cents: int
    end_to_end_id: str


@dataclass(frozen=True)
class PaymentReport:
    """What `write_refund_payments` did.

    Attributes:
        period: the period whose refunds these are.
        file: the file written (None when nothing was owed and nothing written).
        sha256: its sha256 (hex), as the record keeps it ("" when nothing was written).
        message_id: the file's message id (``MsgId``), "" when nothing was written.
        execution_date: the day the bank is asked to pay.
        debtor_iban: the network's account the money leaves ("" when nothing was written).
        payments: one per funder, in the network's funder order.
        total_cents: their sum.
        record_seq: the ``payment-file`` record's position (None when nothing was written).
        replaces: the end-to-end ids of the earlier payments this file writes anew (again).
        by: who wrote it, as the record says ("" when nothing was written).
        at: when, UTC ("" when nothing was written).
    """

    period: str
    file: Path | None
    sha256: str
    message_id: str
    execution_date: datetime.date
    debtor_iban: str
    payments: tuple[Payment, ...]
    total_cents: int
    record_seq: int | None
    replaces: tuple[str, ...] = ()
    by: str = ""
    at: str = ""


@dataclass(frozen=True)
class BankPayment:
    """One stored credit transfer (a `bank_payments` row), for the matcher.

    Attributes:
        end_to_end_id: its id, which the statement's debit carries.
        message_id: the file's message id.
        period: the period whose refund it pays.
        funder: the funder's code.
        creditor_iban: where the money goes.
        creditor_name: the name the file gave.
        debtor_iban: the network's account it leaves.
        amount_cents: the amount, > 0 (the statement's debit is its negative).
        execution_date: the day asked for.
        file_name: the file it was written in (its path when written).
        file_sha256: that file's sha256.
        record_seq: the ``payment-file`` record that holds it.
        status: ``sent`` (in a file, not yet on a statement), ``paid``, ``returned``, or
            ``replaced`` (written anew by a later file: ``--again``).
        bank_line_ref: the statement line that paid or returned it, or None.
    """

    end_to_end_id: str
    message_id: str
    period: str
    funder: str
    creditor_iban: str
    creditor_name: str
    debtor_iban: str
    amount_cents: int
    execution_date: datetime.date
    file_name: str
    file_sha256: str
    record_seq: int
    status: str
    bank_line_ref: str | None


def sepa_text(text: str, limit: int) -> str:
    """``text`` in SEPA's character set, cut to ``limit`` characters: accents and dashes
    transliterated, ``&`` as ``+``, anything else a space, spaces collapsed."""
    from text_unidecode import unidecode  # sepaxml's own dependency

    ascii_text = unidecode(unicodedata.normalize("NFC", text)).replace("&", "+")
    cleaned = " ".join(_SEPA_CHARACTERS.sub(" ", ascii_text).split())
    return cleaned[:limit].rstrip()


def refunds_owed(engine: Engine, period: str) -> list[RefundOwed]:
    """What each funder is owed back from ``period``'s close now (module docstring), in the
    network's funder order; only amounts above zero.

    Refused (`LedgerError`) when ``period`` is not closed; an `InputError` lists every funder
    owed money that has no IBAN in network.toml.
    """
    period = parse_period(period)
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        owed = _owed(connection, period, read_network(connection))
    _require_ibans(period, owed)
    return owed


def _owed(connection: Connection, period: str, network: Network) -> list[RefundOwed]:
    """The refunds owed from ``period``'s close, read in ``connection``; IBANs may be None."""
    if period not in closed_periods(connection):
        raise LedgerError(
            f"period {period} is not closed: refunds are owed once it is; close it first "
            f"(netfund close {period})"
        )
    t, p = transactions_table.c, postings_table.c
    claims: dict[str, int] = defaultdict(int)
    closes_at: dict[str, int] = {}
    for fund, txn_id, amount in connection.execute(
        select(p.fund, t.id, p.amount_cents)
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(t.period == period, t.type == "close", p.account == REFUNDABLE, standing())
    ):
        if amount < 0:
            claims[fund] += -int(amount)
            closes_at[fund] = max(closes_at.get(fund, 0), int(txn_id))
    owed: list[RefundOwed] = []
    order = {funder.code: index for index, funder in enumerate(network.funders)}
    for fund in sorted(claims, key=lambda code: (order.get(code, len(order)), code)):
        moved_since, balance = connection.execute(
            select(
                func.coalesce(
                    func.sum(
                        case(
                            ((p.txn_id > closes_at[fund]) & (t.type != "close"), p.amount_cents),
                            else_=0,
                        )
                    ),
                    0,
                ),
                func.coalesce(func.sum(p.amount_cents), 0),
            )
            .join_from(postings_table, transactions_table, p.txn_id == t.id)
            .where(p.account == REFUNDABLE, p.fund == fund)
        ).one()
        refunded = max(int(moved_since), 0)  # debits (refunds) less credits (their reversals)
        cents = min(claims[fund] - refunded, -int(balance))
        if cents <= 0:
            continue
        funder = network.funder(fund)
        owed.append(
            RefundOwed(
                funder=fund,
                name=funder.name if funder is not None else fund,
                iban=funder.ibans[0] if funder is not None and funder.ibans else None,
                cents=cents,
                closed_cents=claims[fund],
                refunded_cents=refunded,
            )
        )
    return owed


def _require_ibans(period: str, owed: list[RefundOwed]) -> None:
    """Refuse, listing each, when a funder owed money has no IBAN to pay it to."""
    problems = [
        Problem(
            NETWORK_SOURCE,
            None,
            f"{refund.funder} is owed EUR {format_grouped(refund.cents)} from {period} but has "
            f'no IBAN: add ibans = ["NL.."] under that funder in network.toml and record it '
            f"(netfund network apply FILE --from YEAR)",
        )
        for refund in owed
        if refund.iban is None
    ]
    if problems:
        raise InputError(problems)


def _debtor(network: Network, account: str | None) -> BankAccount:
    """The network's account the refunds leave: its only one, or ``account`` among several."""
    accounts = network.bank_accounts
    if account is not None:
        iban = parse_iban(account, "--account")  # a FieldError: exit 2, the reason said
        chosen = network.bank_account(iban)
        if chosen is None:
            named = ", ".join(format_iban(a.iban) for a in accounts) or "none"
            raise LedgerError(
                f"--account {format_iban(iban)} is not one of the network's bank accounts "
                f"(network.toml [[bank_accounts]]: {named})"
            )
        return chosen
    if not accounts:
        raise InputError(
            [
                Problem(
                    NETWORK_SOURCE,
                    None,
                    "the network has no bank account to pay refunds from: add "
                    '[[bank_accounts]] with iban = "NL.." and name = "..." to network.toml '
                    "and record it (netfund network apply FILE --from YEAR)",
                )
            ]
        )
    if len(accounts) > 1:
        named = ", ".join(format_iban(a.iban) for a in accounts)
        raise LedgerError(
            f"the network has {len(accounts)} bank accounts ({named}): say which one pays "
            "the refunds with --account IBAN"
        )
    return accounts[0]


def _bic(account: BankAccount) -> str | None:
    """The debtor's BIC: network.toml's, else the one schwifty knows for the IBAN's bank."""
    if account.bic:
        return account.bic
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        bic = IBAN(account.iban).bic
    except SchwiftyException:
        return None
    return str(bic) if bic is not None else None


def _unmatched(connection: Connection, period: str, owed: list[RefundOwed]) -> tuple[str, ...]:
    """The end-to-end ids of ``owed``'s refunds already in a file and not yet on a statement:
    refused without ``again`` (`_double_payment`), replaced with it."""
    c = bank_payments_table.c
    rows = connection.execute(
        select(bank_payments_table)
        .where(
            c.period == period,
            c.status == "sent",
            c.funder.in_([refund.funder for refund in owed]),
        )
        .order_by(c.record_seq, c.end_to_end_id)
    ).all()
    return tuple(row.end_to_end_id for row in rows)


def _double_payment(connection: Connection, period: str, owed: list[RefundOwed]) -> None:
    """Refuse when a refund of ``owed`` is in a file not yet matched back by a statement."""
    c = bank_payments_table.c
    for refund in owed:
        row = connection.execute(
            select(bank_payments_table)
            .where(c.period == period, c.status == "sent", c.funder == refund.funder)
            .order_by(c.record_seq.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            continue
        by, at = _written_by(connection, int(row.record_seq))
        missing = "" if Path(row.file_name).exists() else " (no longer at that path)"
        raise LedgerError(
            f"{refund.funder}'s refund of {period} (EUR {format_grouped(row.amount_cents)}) is "
            f"in payment file {row.file_name}{missing} written by {by} at {at} and not yet on "
            f"a bank statement: import the statement (netfund bank import FILE), or --again "
            f"to write it anew"
        )


def _written_by(connection: Connection, seq: int) -> tuple[str, str]:
    """Who wrote the ``payment-file`` record ``seq`` and when."""
    r = ledger_records_table.c
    content = connection.execute(select(r.content).where(r.seq == seq)).scalar_one_or_none()
    document: dict[str, Any] = json.loads(content) if content else {}
    return str(document.get("by", "?")), str(document.get("at", "?"))


def _numbering(connection: Connection, period: str) -> tuple[int, int]:
    """How many payments and payment files ``period`` has had: the next ids count on."""
    c = bank_payments_table.c
    payments, files = connection.execute(
        select(func.count(), func.count(func.distinct(c.message_id))).where(c.period == period)
    ).one()
    return int(payments), int(files)


def end_to_end_id(period: str, number: int) -> str:
    """The end-to-end id of ``period``'s ``number``-th refund payment: ``NF-REFUND-2026-3``.

    Recognisable on a statement, in SEPA's characters, at most 35 long and unique (the
    number counts every payment of the period ever written, replaced ones included; the
    table's key holds it to that)."""
    return f"NF-REFUND-{period}-{number}"


def message_id(period: str, number: int) -> str:
    """The message id of ``period``'s ``number``-th payment file: ``NF-PAY-2026-1``."""
    return f"NF-PAY-{period}-{number}"


def write_refund_payments(
    engine: Engine,
    period: str,
    out: Path,
    *,
    execution_date: datetime.date | None = None,
    account: str | None = None,
    again: bool = False,
    today: datetime.date | None = None,
) -> PaymentReport:
    """Write every refund owed from ``period`` into one pain.001.001.03 file at ``out`` and
    record it (module docstring: what, the write order, no double payment).

    ``execution_date`` is the day the bank is asked to pay (default today; never before
    today, ``today`` being for tests); ``account`` picks the network's paying account when
    network.toml has several; ``again`` writes refunds anew that are in a file not yet
    matched back. Nothing owed: no file, no record (the report's ``file`` is None).
    """
    period = parse_period(period)
    on = today or datetime.date.today()
    pay_on = execution_date or on
    if pay_on < on:
        raise LedgerError(
            f"the execution date {pay_on.isoformat()} is in the past: a bank pays today "
            f"({on.isoformat()}) or later"
        )
    with AtomicFile(out) as output:
        with writing(engine) as connection:
            require_schema(connection, str(engine.url))
            require(connection, "pay")
            # The chain lock: no refund, close or reopen is written between reading what is
            # owed and recording what is paid.
            head = transaction_head(connection, lock=True)
            network = read_network(connection)
            owed = _owed(connection, period, network)
            _require_ibans(period, owed)
            if not owed:
                return PaymentReport(period, None, "", "", pay_on, "", (), 0, None)
            debtor = _debtor(network, account)
            replaces = _unmatched(connection, period, owed)
            if replaces and not again:
                _double_payment(connection, period, owed)
            paid, files = _numbering(connection, period)
            payments = tuple(
                Payment(
                    funder=refund.funder,
                    name=sepa_text(refund.name, NAME_MAX) or refund.funder,
                    iban=str(refund.iban),
                    cents=refund.cents,
                    end_to_end_id=end_to_end_id(period, paid + index),
                )
                for index, refund in enumerate(owed, start=1)
            )
            msg_id = message_id(period, files + 1)
            remittance = sepa_text(
                _REMITTANCE.get(network.language, _REMITTANCE["en"]).format(
                    period=period, network=network.name
                ),
                REMITTANCE_MAX,
            )
            document = _pain001(msg_id, debtor, payments, pay_on, remittance)
            _write_synced(output.temporary, document)
            sha256, _size = output.digest()
            at = utc_now()
            total = sum(payment.cents for payment in payments)
            record = append_record(
                connection,
                "payment-file",
                {
                    "message_id": msg_id,
                    "period": period,
                    "file": str(out.resolve()),
                    "file_sha256": sha256,
                    "schema": SCHEMA,
                    "execution_date": pay_on.isoformat(),
                    "debtor_iban": debtor.iban,
                    "payments": [
                        {
                            "end_to_end_id": payment.end_to_end_id,
                            "funder": payment.funder,
                            "iban": payment.iban,
                            "cents": payment.cents,
                        }
                        for payment in payments
                    ],
                    "total_cents": total,
                    "replaces": list(replaces),
                    "at": at,
                },
                head,
            )
            connection.execute(
                insert(bank_payments_table),
                [
                    {
                        "end_to_end_id": payment.end_to_end_id,
                        "message_id": msg_id,
                        "period": period,
                        "funder": payment.funder,
                        "creditor_iban": payment.iban,
                        "creditor_name": payment.name,
                        "debtor_iban": debtor.iban,
                        "amount_cents": payment.cents,
                        "execution_date": pay_on,
                        "file_name": str(out.resolve()),
                        "file_sha256": sha256,
                        "record_seq": record.seq,
                        "status": "sent",
                        "bank_line_ref": None,
                    }
                    for payment in payments
                ],
            )
            if replaces:
                # Not paid by the bank, written anew: a debit that still comes for one of them
                # means the funder was paid twice (the matcher says so, `matching.py`).
                connection.execute(
                    update(bank_payments_table)
                    .where(bank_payments_table.c.end_to_end_id.in_(replaces))
                    .values(status="replaced")
                )
        # Committed: only now does the file get its name (module docstring, step 3).
        output.publish()
    return PaymentReport(
        period=period,
        file=out,
        sha256=sha256,
        message_id=msg_id,
        execution_date=pay_on,
        debtor_iban=debtor.iban,
        payments=payments,
        total_cents=total,
        record_seq=record.seq,
        replaces=replaces,
        by=str(record.content.get("by", "")),
        at=at,
    )


def _pain001(
    msg_id: str,
    debtor: BankAccount,
    payments: tuple[Payment, ...],
    execution_date: datetime.date,
    remittance: str,
) -> bytes:
    """The pain.001.001.03 document, checked against its XSD by sepaxml (a payment file the
    bank would reject is never written)."""
    from sepaxml import SepaTransfer
    from sepaxml.validation import ValidationError

    class Transfer(SepaTransfer):  # type: ignore[misc]
        """sepaxml's transfer with netfund's message id (sepaxml draws a random one)."""

        def _create_header(self) -> None:
            self.msg_id = msg_id
            super()._create_header()

    config: dict[str, Any] = {
        "name": sepa_text(debtor.name, NAME_MAX) or "netfund",
        "IBAN": debtor.iban,
        "batch": True,
        "currency": "EUR",
    }
    bic = _bic(debtor)
    if bic:
        config["BIC"] = bic
    transfer = Transfer(config, schema=SCHEMA, clean=True)
    for payment in payments:
        transfer.add_payment(
            {
                "name": payment.name,
                "IBAN": payment.iban,
                "amount": payment.cents,
                "execution_date": execution_date,
                "description": remittance,
                "endtoend_id": payment.end_to_end_id,
            }
        )
    try:
        return bytes(transfer.export(validate=True))
    except ValidationError as error:
        reason = error.__cause__ or error
        raise LedgerError(
            f"the payment file does not validate against {SCHEMA}: {reason}"
        ) from None


def _write_synced(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (the temporary file, 0600) and sync it to disk, so that
    a committed record never names bytes a crash lost."""
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def read_payments(engine: Engine, period: str | None = None) -> list[BankPayment]:
    """Every stored credit transfer (of ``period``, if given), oldest file first."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        c = bank_payments_table.c
        query = select(bank_payments_table).order_by(c.record_seq, c.end_to_end_id)
        if period is not None:
            query = query.where(c.period == parse_period(period))
        return [_payment(row) for row in connection.execute(query)]


def payment_by_end_to_end_id(connection: Connection, e2e: str) -> BankPayment | None:
    """The credit transfer with end-to-end id ``e2e`` (as a statement line's
    ``end_to_end_id`` gives it), or None: for the matcher, in its import transaction."""
    row = connection.execute(
        select(bank_payments_table).where(bank_payments_table.c.end_to_end_id == e2e)
    ).one_or_none()
    return None if row is None else _payment(row)


def mark_paid(connection: Connection, e2e: str, line_ref: str) -> None:
    """The bank's debit with ``e2e`` came back on a statement (line ``line_ref``): the
    payment is ``paid``. Call it in the import transaction that books the refund, so the
    status and the booking commit together.

    Refused (`LedgerError`) for an unknown id, or one paid or returned already by another
    line (the same line again is a no-op: a re-imported statement)."""
    _change_status(connection, e2e, line_ref, "paid")


def mark_returned(connection: Connection, e2e: str, line_ref: str) -> None:
    """The payment with ``e2e`` came back (the bank's return credit, line ``line_ref``: a
    closed account, a wrong name): ``returned``, so the refund is owed again and a new file
    may pay it (no ``--again`` needed). A return may follow ``sent`` or ``paid`` (the debit
    was on an earlier statement). Call it in the import transaction."""
    _change_status(connection, e2e, line_ref, "returned")


def _change_status(connection: Connection, e2e: str, line_ref: str, status: str) -> None:
    payment = payment_by_end_to_end_id(connection, e2e)
    if payment is None:
        raise LedgerError(f"no payment file holds end-to-end id {e2e!r}")
    if payment.status == status and payment.bank_line_ref == line_ref:
        return
    allowed = {"paid": ("sent",), "returned": ("sent", "paid")}[status]
    if payment.status not in allowed:
        raise LedgerError(
            f"payment {e2e} is {payment.status} already (bank line {payment.bank_line_ref}): "
            f"it cannot be {status} by bank line {line_ref} as well"
        )
    connection.execute(
        update(bank_payments_table)
        .where(bank_payments_table.c.end_to_end_id == e2e)
        .values(status=status, bank_line_ref=line_ref)
    )


def _payment(row: Any) -> BankPayment:
    return BankPayment(
        end_to_end_id=row.end_to_end_id,
        message_id=row.message_id,
        period=row.period,
        funder=row.funder,
        creditor_iban=row.creditor_iban,
        creditor_name=row.creditor_name,
        debtor_iban=row.debtor_iban,
        amount_cents=int(row.amount_cents),
        execution_date=row.execution_date,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        record_seq=int(row.record_seq),
        status=row.status,
        bank_line_ref=row.bank_line_ref,
    )
