"""Bank statement files as banks write them, for tests and the example network.

netfund reads statements (`netfund.ledger.read_statements`); it never writes them. To test the
readers on files like the ones a treasurer downloads, and to give the example network a year of
statements, this module writes `BankStatement`s back out as a bank would:

- `camt053` — CAMT.053 XML, version ``001.02`` or ``001.08``, valid against the official XSDs;
- `mt940` — MT940 text with ``:86:`` in the Dutch banks' ``/KEY/value`` style (ING, ABN AMRO);
- `bank_line` and `statement` — build the inputs with the fields a test does not care about
  filled in (the closing balance is computed, the refs default to the bank's style).

What real files hold, these do too: a batch (consecutive lines sharing an ``entry_ref`` that is
not their own ``ref``) is one ``Ntry`` with a ``TxDtls`` per line in camt, and one ``:61:`` of
the total in MT940 (as Dutch banks report a batch there); returns (``RtrInf`` with a reason such
as ``AC04``; MT940 ``/RTRN/AC04/``); value dates across a year end; structured (``RF``) and
unstructured remittance; ``NOTPROVIDED`` for a missing end-to-end id; several statements in
one file.

Example::

    from netfund.examples.bank_files import bank_line, camt053, statement
    line = bank_line(date(2026, 3, 2), 125_000, ref="E1", counterparty_iban="NL91ABNA0417164300",
                     counterparty_name="Gemeente Saniveld", remittance="Wmo maart")
    stmt = statement("NL20INGB0001234567", "2026-03", [line], opening_cents=0,
                     from_date=date(2026, 3, 1), to_date=date(2026, 3, 31))
    Path("march.xml").write_bytes(camt053([stmt], "001.08"))
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from pathlib import Path

from lxml import etree
from netfund.ledger import BankLine, BankStatement

#: The camt versions `camt053` writes (and netfund reads).
CAMT_VERSIONS = ("001.02", "001.08")
_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.{}"
#: SEPA limits: remittance lines of 140 characters, references of 35.
_TEXT_MAX = 140
_REF_MAX = 35


def bank_line(
    booking_date: datetime.date,
    amount_cents: int,
    *,
    ref: str,
    entry_ref: str = "",
    value_date: datetime.date | None = None,
    counterparty_iban: str = "",
    counterparty_name: str = "",
    remittance: str = "",
    structured_reference: str = "",
    end_to_end_id: str = "",
    bank_code: str = "",
    returned: bool = False,
    return_reason: str = "",
) -> BankLine:
    """A `BankLine` to write: signed cents (+ in, − out), ``ref`` the bank's reference;
    ``entry_ref`` shared by the lines of one batch (default: its own ``ref``, no batch);
    ``value_date`` defaults to the booking date."""
    return BankLine(
        ref=ref,
        entry_ref=entry_ref or ref,
        booking_date=booking_date,
        value_date=value_date or booking_date,
        amount_cents=amount_cents,
        counterparty_iban=counterparty_iban,
        counterparty_name=counterparty_name,
        remittance=remittance,
        structured_reference=structured_reference,
        end_to_end_id=end_to_end_id,
        bank_code=bank_code,
        returned=returned,
        return_reason=return_reason,
        line=0,
    )


def statement(
    account_iban: str,
    statement_id: str,
    lines: Sequence[BankLine],
    *,
    opening_cents: int,
    from_date: datetime.date,
    to_date: datetime.date,
    sequence: str | None = None,
) -> BankStatement:
    """A `BankStatement` of ``lines`` on ``account_iban`` from ``from_date`` to ``to_date``:
    the closing balance is the opening plus the lines (a statement that adds up; build one by
    hand with `dataclasses.replace` to test one that does not)."""
    return BankStatement(
        source="",
        format="",
        statement_id=statement_id,
        sequence=sequence,
        account_iban=account_iban,
        currency="EUR",
        opening_cents=opening_cents,
        opening_date=from_date,
        closing_cents=opening_cents + sum(line.amount_cents for line in lines),
        closing_date=to_date,
        from_date=from_date,
        to_date=to_date,
        lines=tuple(lines),
        line=0,
        sha256="",
    )


def entries(lines: Iterable[BankLine]) -> list[list[BankLine]]:
    """``lines`` grouped as a bank books them: consecutive lines of one batch (same
    ``entry_ref``, not their own ``ref``) together, every other line alone."""
    grouped: list[list[BankLine]] = []
    for line in lines:
        batch = line.entry_ref and line.entry_ref != line.ref
        if batch and grouped and grouped[-1][0].entry_ref == line.entry_ref:
            grouped[-1].append(line)
        else:
            grouped.append([line])
    return grouped


def write(path: Path, statements: Sequence[BankStatement], format: str) -> Path:
    """Write ``statements`` to ``path`` as ``format`` (``camt.053.001.02``,
    ``camt.053.001.08`` or ``mt940``); returns ``path``."""
    if format == "mt940":
        path.write_text(mt940(statements), encoding="utf-8", newline="")
    elif format.startswith("camt.053."):
        path.write_bytes(camt053(statements, format.removeprefix("camt.053.")))
    else:
        raise ValueError(f"unknown bank file format {format!r}")
    return path


# -- camt.053 ------------------------------------------------------------------------------


def camt053(
    statements: Sequence[BankStatement],
    version: str = "001.02",
    *,
    message_id: str = "NETFUND-EXAMPLE",
    created: datetime.datetime | None = None,
) -> bytes:
    """``statements`` as one camt.053 message (UTF-8 XML, a ``Stmt`` each) of ``version``."""
    if version not in CAMT_VERSIONS:
        raise ValueError(f"camt.053 version {version!r}: write one of {CAMT_VERSIONS}")
    namespace = _NAMESPACE.format(version)
    writer = _Camt(namespace, version == "001.08")
    document = etree.Element(f"{{{namespace}}}Document", nsmap={None: namespace})
    message = writer.sub(document, "BkToCstmrStmt")
    header = writer.sub(message, "GrpHdr")
    stamp = (created or datetime.datetime(2027, 1, 3, 8, 0, 0)).isoformat(timespec="seconds")
    writer.sub(header, "MsgId", message_id[:_REF_MAX])
    writer.sub(header, "CreDtTm", stamp)
    for stmt in statements:
        writer.statement(message, stmt, stamp)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Camt:
    def __init__(self, namespace: str, v08: bool) -> None:
        self.namespace = namespace
        self.v08 = v08

    def sub(self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
        element = etree.SubElement(parent, f"{{{self.namespace}}}{tag}", **attrs)
        if text is not None:
            element.text = text
        return element

    def path(self, parent: etree._Element, path: str, text: str) -> etree._Element:
        for tag in path.split("/")[:-1]:
            parent = self.sub(parent, tag)
        return self.sub(parent, path.split("/")[-1], text)

    def amount(self, parent: etree._Element, cents: int, tag: str = "Amt") -> None:
        self.sub(parent, tag, _decimal(abs(cents)), Ccy="EUR")

    def indicator(self, parent: etree._Element, cents: int) -> None:
        self.sub(parent, "CdtDbtInd", "DBIT" if cents < 0 else "CRDT")

    def statement(self, message: etree._Element, stmt: BankStatement, stamp: str) -> None:
        element = self.sub(message, "Stmt")
        self.sub(element, "Id", stmt.statement_id[:_REF_MAX])
        if stmt.sequence is not None:
            self.sub(element, "ElctrncSeqNb", stmt.sequence)
        self.sub(element, "CreDtTm", stamp)
        period = self.sub(element, "FrToDt")
        self.sub(period, "FrDtTm", f"{stmt.from_date.isoformat()}T00:00:00")
        self.sub(period, "ToDtTm", f"{stmt.to_date.isoformat()}T23:59:59")
        account = self.sub(element, "Acct")
        self.path(account, "Id/IBAN", stmt.account_iban)
        self.sub(account, "Ccy", stmt.currency)
        for code, cents, day in (
            ("OPBD", stmt.opening_cents, stmt.opening_date),
            ("CLBD", stmt.closing_cents, stmt.closing_date),
        ):
            balance = self.sub(element, "Bal")
            self.path(balance, "Tp/CdOrPrtry/Cd", code)
            self.amount(balance, cents)
            self.indicator(balance, cents)
            self.path(balance, "Dt/Dt", day.isoformat())
        for group in entries(stmt.lines):
            self.entry(element, group)

    def entry(self, parent: etree._Element, group: list[BankLine]) -> None:
        first = group[0]
        total = sum(line.amount_cents for line in group)
        entry = self.sub(parent, "Ntry")
        batch = len(group) > 1
        if batch:
            self.sub(entry, "NtryRef", first.entry_ref[:_REF_MAX])
        self.amount(entry, total)
        self.indicator(entry, total)
        if self.v08:
            self.path(entry, "Sts/Cd", "BOOK")
        else:
            self.sub(entry, "Sts", "BOOK")
        self.path(entry, "BookgDt/Dt", first.booking_date.isoformat())
        if first.value_date is not None:
            self.path(entry, "ValDt/Dt", first.value_date.isoformat())
        self.sub(entry, "AcctSvcrRef", first.entry_ref[:_REF_MAX])
        self.bank_code(entry, first)
        details = self.sub(entry, "NtryDtls")
        if batch:
            self.path(details, "Btch/NbOfTxs", str(len(group)))
        for line in group:
            self.transaction(details, line, batch)

    def bank_code(self, parent: etree._Element, line: BankLine) -> None:
        code = line.bank_code if line.bank_code.count("/") == 2 else _default_code(line)
        domain, family, sub_family = code.split("/")
        tree = self.sub(parent, "BkTxCd")
        element = self.sub(tree, "Domn")
        self.sub(element, "Cd", domain)
        family_element = self.sub(element, "Fmly")
        self.sub(family_element, "Cd", family)
        self.sub(family_element, "SubFmlyCd", sub_family)

    def transaction(self, parent: etree._Element, line: BankLine, batch: bool) -> None:
        tx = self.sub(parent, "TxDtls")
        refs = self.sub(tx, "Refs")
        if batch:
            self.sub(refs, "AcctSvcrRef", line.ref[:_REF_MAX])
        self.sub(refs, "EndToEndId", (line.end_to_end_id or "NOTPROVIDED")[:_REF_MAX])
        if self.v08:
            self.amount(tx, line.amount_cents)
            self.indicator(tx, line.amount_cents)
        else:
            amounts = self.sub(tx, "AmtDtls")
            self.amount(self.sub(amounts, "TxAmt"), line.amount_cents)
        if line.counterparty_iban or line.counterparty_name:
            parties = self.sub(tx, "RltdPties")
            role = "Dbtr" if line.amount_cents > 0 else "Cdtr"
            if line.counterparty_name:
                party = self.sub(parties, role)
                if self.v08:
                    party = self.sub(party, "Pty")
                self.sub(party, "Nm", line.counterparty_name[:_TEXT_MAX])
            if line.counterparty_iban:
                self.path(self.sub(parties, f"{role}Acct"), "Id/IBAN", line.counterparty_iban)
        if line.remittance or line.structured_reference:
            remittance = self.sub(tx, "RmtInf")
            for chunk in _chunks(line.remittance, _TEXT_MAX):
                self.sub(remittance, "Ustrd", chunk)
            if line.structured_reference:
                reference = self.sub(self.sub(remittance, "Strd"), "CdtrRefInf")
                kind = self.sub(reference, "Tp")
                self.path(kind, "CdOrPrtry/Cd", "SCOR")
                if line.structured_reference.startswith("RF"):
                    self.sub(kind, "Issr", "ISO")
                self.sub(reference, "Ref", line.structured_reference[:_REF_MAX])
        if line.returned:
            info = self.sub(tx, "RtrInf")
            if line.return_reason:
                self.path(info, "Rsn/Cd", line.return_reason)


def _default_code(line: BankLine) -> str:
    """SEPA credit transfer codes: received (RCDT) for money in, issued (ICDT) for money out,
    a return (RRTN) of one we issued coming back in."""
    if line.returned:
        return "PMNT/ICDT/RRTN" if line.amount_cents > 0 else "PMNT/RCDT/RRTN"
    return "PMNT/RCDT/ESCT" if line.amount_cents > 0 else "PMNT/ICDT/ESCT"


def _decimal(cents: int) -> str:
    whole, fraction = divmod(cents, 100)
    return f"{whole}.{fraction:02d}"


def _chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, cut at spaces, so joining the
    pieces with a space (as the reader does) gives the text back."""
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > size:  # a word longer than a piece: cut it (rare; not round-trip)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:size])
            word = word[size:]
        if current and len(current) + 1 + len(word) > size:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


# -- MT940 ---------------------------------------------------------------------------------


def mt940(
    statements: Sequence[BankStatement], *, bic: str = "INGBNL2A", swift_header: bool = False
) -> str:
    """``statements`` as MT940 text, a message each (``:20:`` to ``:62F:``), ``:86:`` in the
    ING/ABN AMRO ``/KEY/value`` style, lines cut at 65 characters, CRLF line ends as banks
    send them. ``swift_header`` wraps each message in its ``{1:...}{2:...}{4:`` envelope."""
    out: list[str] = []
    for stmt in statements:
        if swift_header:
            out.append(f"{{1:F01{bic}AXXX0000000000}}{{2:I940{bic}XXXXN}}{{4:")
        out.append(f":20:{stmt.statement_id[:16]}")
        out.append(f":25:{stmt.account_iban}")
        out.append(f":28C:{stmt.sequence or '1'}")
        out.append(f":60F:{_balance(stmt.opening_cents, stmt.opening_date)}")
        for group in entries(stmt.lines):
            out.extend(_statement_line(group))
        out.append(f":62F:{_balance(stmt.closing_cents, stmt.closing_date)}")
        out.append("-}" if swift_header else "-")
    return "\r\n".join(out) + "\r\n"


def _balance(cents: int, day: datetime.date) -> str:
    return f"{'D' if cents < 0 else 'C'}{day:%y%m%d}EUR{_mt_amount(cents)}"


def _mt_amount(cents: int) -> str:
    whole, fraction = divmod(abs(cents), 100)
    return f"{whole},{fraction:02d}"


def _statement_line(group: list[BankLine]) -> list[str]:
    first = group[0]
    total = sum(line.amount_cents for line in group)
    value = first.value_date or first.booking_date
    mark = "D" if total < 0 else "C"
    code = first.bank_code if len(first.bank_code) == 3 else ("RTI" if first.returned else "TRF")
    customer = (first.end_to_end_id or "NONREF")[:16] if len(group) == 1 else "NONREF"
    head = (
        f":61:{value:%y%m%d}{first.booking_date:%m%d}{mark}{_mt_amount(total)}N{code}"
        f"{customer}//{first.entry_ref[:16]}"
    )
    if len(group) > 1:
        details = f"/TRTP/SEPA BATCH/PREF/{first.entry_ref}/NRTX/{len(group)}"
    else:
        details = _details(first)
    text = f":86:{details}"
    return [head] + [text[i : i + 65] for i in range(0, len(text), 65)]


def _details(line: BankLine) -> str:
    kind = "SEPA OVERBOEKING" if not line.returned else "SEPA TERUGBOEKING"
    parts = [f"/TRTP/{kind}"]
    if line.counterparty_iban:
        parts.append(f"/IBAN/{line.counterparty_iban}")
    if line.counterparty_name:
        parts.append(f"/NAME/{line.counterparty_name}")
    if line.returned:
        parts.append(f"/RTRN/{line.return_reason}/")
    if line.structured_reference:
        parts.append(f"/REMI/STRD/CUR/{line.structured_reference}/")
    elif line.remittance:
        parts.append(f"/REMI/USTD//{line.remittance}/")
    parts.append(f"/EREF/{line.end_to_end_id or 'NOTPROVIDED'}")
    return "".join(parts)


__all__ = ["CAMT_VERSIONS", "bank_line", "camt053", "entries", "mt940", "statement", "write"]
