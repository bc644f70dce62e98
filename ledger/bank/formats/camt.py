"""CAMT.053 (ISO 20022 bank-to-customer statement), versions 001.02 and 001.08.

A statement file comes from outside (a download, an e-mail, a shared folder), so it is read as
hostile XML: lxml's parser loads no DTD, expands no entity, touches no network, and a file that
declares a DTD at all is refused before anything else (a bank statement never has one; a DTD is
how billion-laughs and external-entity attacks start). XInclude is never processed and is
refused by name; ``xsi:schemaLocation`` is never fetched (the schema is netfund's own copy).

Then the file is checked against the official XSD of its version, the copy the ``camt053``
package ships (located through its distribution's files, not imported: importing ``camt053``
pulls in a web framework). Only a file the XSD accepts is mapped, so the mapping below can rely
on the structure the schema promises and reports only what the schema cannot say (currency,
a batch that does not add up).
"""

from __future__ import annotations

import datetime
import functools
import importlib.metadata
import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree
from netfund.ledger.bank.formats.common import (
    CURRENCY,
    AmountError,
    Occurrences,
    Problems,
    amount_cents,
    hash_ref,
    joined,
)
from netfund.ledger.bank.model import BankLine, BankStatement
from netfund.ledger.model.fields import FieldError
from netfund.ledger.model.iban import compact_account, parse_iban
from netfund.ledger.model.money import format_grouped

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
#: The versions read, by their namespace: what Dutch banks deliver (001.02 for years, 001.08
#: since the 2019 ISO release); the others differ in places this mapping would have to guess.
VERSIONS = {
    NAMESPACE_PREFIX + "camt.053.001.02": "camt.053.001.02",
    NAMESPACE_PREFIX + "camt.053.001.08": "camt.053.001.08",
}
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]{0,80}", re.IGNORECASE)
_XSD_NAMESPACE = re.compile(r"\{" + re.escape(NAMESPACE_PREFIX) + r"[^}]*\}")
_XSD_ERRORS_SHOWN = 5


class NotCamt(Exception):
    """The XML is well formed and safe but not a statement this module reads; its message
    names what it is, for the caller's "not a bank statement" problem."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _parser() -> etree.XMLParser:
    """A parser that reads the document and nothing else: no DTD loaded or checked, no entity
    substituted, no network, no huge-tree exception to libxml2's limits."""
    return etree.XMLParser(
        load_dtd=False,
        dtd_validation=False,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def parse_xml(data: bytes, problems: Problems) -> etree._Element:
    """The root element of ``data``, read safely (module docstring), or `InputError`."""
    doctype = _DOCTYPE.search(data)
    if doctype is not None:
        raise _doctype_refused(
            data, doctype.start(), doctype.group().decode("ascii", "replace"), problems
        )
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        reason = str(error.msg or error).split(", line ")[0]
        raise problems.fail(line, f"the file is not well-formed XML: {reason}") from None
    # Belt and braces: a DTD the byte scan could not see (another encoding than UTF-8).
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _doctype_refused(data, 0, tree.docinfo.doctype or "<!DOCTYPE", problems)
    root = tree.getroot()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            namespace = element.tag[1:].split("}")[0]
            if namespace in XINCLUDE_NAMESPACES:
                raise problems.fail(
                    element.sourceline,
                    "the file uses XInclude, which a bank statement never does (it would "
                    "pull in another file); nothing was read from it",
                )
        elif not isinstance(element.tag, str) and element.tag is etree.Entity:
            raise problems.fail(element.sourceline, "the file uses an XML entity reference")
    return root


def _doctype_refused(data: bytes, offset: int, found: str, problems: Problems) -> Exception:
    line = data.count(b"\n", 0, offset) + 1
    shown = " ".join(found.split())[:60].rstrip(" >")
    return problems.fail(
        line,
        f"the file declares a DTD ({shown} ...>), which a bank statement never does; "
        "refused unread (a DTD can expand entities or fetch files)",
    )


def version_of(root: etree._Element) -> str:
    """The statement version of ``root`` (`VERSIONS`), or `NotCamt` saying what it is."""
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    version = VERSIONS.get(namespace)
    if version is not None and local == "Document":
        return version
    line = root.sourceline or 1
    if namespace.startswith(NAMESPACE_PREFIX):
        name = namespace[len(NAMESPACE_PREFIX) :]
        if name.startswith("camt.053."):
            raise NotCamt(f"{name} is not read; ask the bank for 001.02 or 001.08", line)
        if name.startswith(("camt.052.", "camt.054.")):
            kind = "an intraday account report" if "052" in name else "a debit/credit notification"
            raise NotCamt(
                f"it is {name} ({kind}, not a statement); ask the bank for camt.053.001.02 "
                "or 001.08",
                line,
            )
        raise NotCamt(f"it is ISO 20022 {name}", line)
    where = f" in namespace {namespace}" if namespace else " without a namespace"
    raise NotCamt(f"it is XML with root element <{local[:40]}>{where[:120]}", line)


@functools.cache
def schema(version: str) -> etree.XMLSchema:
    """The official XSD of ``version``, loaded once per process from the ``camt053``
    distribution's files (not by importing it)."""
    path = Path(
        str(importlib.metadata.distribution("camt053").locate_file(f"camt053/xsd/{version}.xsd"))
    )
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def validate(root: etree._Element, version: str, problems: Problems) -> None:
    """`InputError` naming the lines the XSD refuses, each with a short reason."""
    checker = schema(version)
    if checker.validate(root):
        return
    for entry in list(checker.error_log)[:_XSD_ERRORS_SHOWN]:
        message = _XSD_NAMESPACE.sub("", entry.message).replace("Element ", "element ", 1)
        problems.add(entry.line or None, f"not valid {version}: {message}")
    problems.raise_any()


def read_camt(
    data: bytes, root: etree._Element, version: str, source: str, sha256: str
) -> list[BankStatement]:
    """The statements of an XSD-valid ``root`` of ``version``, in file order."""
    problems = Problems(source)
    validate(root, version, problems)
    reader = _Reader(root, version, source, sha256, problems)
    statements = [reader.statement(element) for element in reader.all(root, "BkToCstmrStmt/Stmt")]
    problems.raise_any()
    return statements


class _Reader:
    """Maps one XSD-valid document; the two versions differ only where `_party` and
    `_tx_amount` look."""

    def __init__(
        self, root: etree._Element, version: str, source: str, sha256: str, problems: Problems
    ) -> None:
        namespace = root.tag[1:].split("}")[0]
        self.ns = {"c": namespace}
        self.version = version
        self.source = source
        self.sha256 = sha256
        self.problems = problems
        self.occurrences = Occurrences()

    # -- small helpers over the namespace --------------------------------------------------

    def _path(self, path: str) -> str:
        return "/".join(f"c:{part}" for part in path.split("/"))

    def one(self, element: etree._Element | None, path: str) -> etree._Element | None:
        return None if element is None else element.find(self._path(path), self.ns)

    def all(self, element: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if element is None else element.findall(self._path(path), self.ns)

    def text(self, element: etree._Element | None, path: str) -> str:
        found = self.one(element, path)
        return (found.text or "").strip() if found is not None else ""

    def date(self, element: etree._Element | None, path: str) -> datetime.date | None:
        """``Dt`` or the day of ``DtTm`` under ``path`` (the bank's own day, as it wrote it)."""
        text = self.text(element, f"{path}/Dt") or self.text(element, f"{path}/DtTm")[:10]
        return datetime.date.fromisoformat(text) if text else None

    def euro_cents(self, amount: etree._Element, *, zero: bool = False) -> int:
        """Unsigned cents of an ``Amt``-like element, refusing another currency than EUR."""
        currency = amount.get("Ccy", "")
        if currency != CURRENCY:
            raise self.problems.fail(
                amount.sourceline,
                f"amount in {currency or 'no currency'}: netfund books {CURRENCY} only, ask the "
                "bank for the EUR account's statement",
            )
        try:
            cents = amount_cents(amount.text or "")
        except AmountError as error:
            raise self.problems.fail(amount.sourceline, str(error)) from None
        if cents == 0 and not zero:
            raise self.problems.fail(amount.sourceline, "an entry of 0.00 moves no money")
        return cents

    def signed(self, element: etree._Element, cents: int) -> int:
        return -cents if self.text(element, "CdtDbtInd") == "DBIT" else cents

    # -- the statement ---------------------------------------------------------------------

    def statement(self, stmt: etree._Element) -> BankStatement:
        line = stmt.sourceline or 1
        iban_text = self.text(stmt, "Acct/Id/IBAN")
        try:
            iban = parse_iban(iban_text, "the statement's account")
        except FieldError as error:
            raise self.problems.fail(self.one(stmt, "Acct/Id").sourceline, str(error)) from None
        currency = self.text(stmt, "Acct/Ccy") or CURRENCY
        if currency != CURRENCY:
            raise self.problems.fail(
                self.one(stmt, "Acct/Ccy").sourceline,
                f"the account is in {currency}: netfund books {CURRENCY} only",
            )
        balances = self._balances(stmt)
        opening = balances.get("OPBD") or balances.get("PRCD")
        closing = balances.get("CLBD")
        if opening is None or closing is None:
            missing = "opening (OPBD or PRCD)" if opening is None else "closing (CLBD)"
            raise self.problems.fail(line, f"the statement has no {missing} balance")
        lines: list[BankLine] = []
        for entry in self.all(stmt, "Ntry"):
            status = self.text(entry, "Sts/Cd") or self.text(entry, "Sts")
            if status and status != "BOOK":
                continue  # pending or information only: not in the booked balance
            lines.extend(self._entry(entry, iban))
        sequence = self.text(stmt, "ElctrncSeqNb") or self.text(stmt, "LglSeqNb") or None
        from_date = _day(self.text(stmt, "FrToDt/FrDtTm"))
        to_date = _day(self.text(stmt, "FrToDt/ToDtTm"))
        return BankStatement(
            source=self.source,
            format=self.version,
            statement_id=self.text(stmt, "Id"),
            sequence=sequence,
            account_iban=iban,
            currency=currency,
            opening_cents=opening[0],
            opening_date=opening[1],
            closing_cents=closing[0],
            closing_date=closing[1],
            from_date=from_date or opening[1],
            to_date=to_date or closing[1],
            lines=tuple(lines),
            line=line,
            sha256=self.sha256,
        )

    def _balances(self, stmt: etree._Element) -> dict[str, tuple[int, datetime.date]]:
        found: dict[str, tuple[int, datetime.date]] = {}
        for balance in self.all(stmt, "Bal"):
            code = self.text(balance, "Tp/CdOrPrtry/Cd")
            amount = self.one(balance, "Amt")
            day = self.date(balance, "Dt")
            if code and code not in found and amount is not None and day is not None:
                found[code] = (self.signed(balance, self.euro_cents(amount, zero=True)), day)
        return found

    # -- entries and their transactions ----------------------------------------------------

    def _entry(self, entry: etree._Element, iban: str) -> Iterator[BankLine]:
        line = entry.sourceline or 1
        cents = self.signed(entry, self.euro_cents(self.one(entry, "Amt")))
        reversal = self.text(entry, "RvslInd").lower() in ("true", "1")
        booked = self.date(entry, "BookgDt")
        if booked is None:
            raise self.problems.fail(line, "the entry has no booking date (BookgDt)")
        value = self.date(entry, "ValDt")
        code = self._bank_code(entry)
        details = [tx for block in self.all(entry, "NtryDtls") for tx in self.all(block, "TxDtls")]
        entry_ref = self.text(entry, "AcctSvcrRef") or self.text(entry, "NtryRef")
        if len(details) <= 1:
            tx = details[0] if details else None
            fields = self._tx_fields(tx, cents, iban)
            ref = entry_ref or self.text(tx, "Refs/AcctSvcrRef")
            if not ref:
                ref = self._hash(iban, booked, cents, fields)
            yield self._line(ref, ref, booked, value, cents, fields, code, tx, reversal, line)
            return
        amounts = [self._tx_amount(tx, cents) for tx in details]
        if sum(amounts) != cents:
            raise self.problems.fail(
                line,
                f"the entry's {len(details)} transactions (TxDtls) add up to "
                f"{_euros(sum(amounts))}, not to the entry's {_euros(cents)}",
            )
        if not entry_ref:
            entry_ref = self._hash(iban, booked, cents, ("", "", f"batch of {len(details)}"))
        own = [self.text(tx, "Refs/AcctSvcrRef") for tx in details]
        use_own = all(own) and len(set(own)) == len(own) and entry_ref not in own
        for number, (tx, tx_cents) in enumerate(zip(details, amounts, strict=True), start=1):
            fields = self._tx_fields(tx, tx_cents, iban)
            ref = own[number - 1] if use_own else f"{entry_ref}/{number}"
            yield self._line(
                ref, entry_ref, booked, value, tx_cents, fields, code, tx, reversal,
                tx.sourceline or line,
            )  # fmt: skip

    def _hash(
        self, iban: str, booked: datetime.date, cents: int, fields: tuple[str, str, str]
    ) -> str:
        counterparty = f"{fields[0]} {fields[1]}".strip()
        key = (iban, booked.isoformat(), str(cents), counterparty, fields[2])
        return hash_ref(
            iban, booked.isoformat(), cents, counterparty, fields[2], self.occurrences.next(*key)
        )

    def _line(
        self,
        ref: str,
        entry_ref: str,
        booked: datetime.date,
        value: datetime.date | None,
        cents: int,
        fields: tuple[str, str, str],
        entry_code: str,
        tx: etree._Element | None,
        reversal: bool,
        line: int,
    ) -> BankLine:
        reason = self.text(tx, "RtrInf/Rsn/Cd") or self.text(tx, "RtrInf/Rsn/Prtry")
        returned_info = tx is not None and self.one(tx, "RtrInf") is not None
        code = self._bank_code(tx) or entry_code
        returned = returned_info or reversal or code.endswith(("/RRTN", "/RPCR"))
        end_to_end = self.text(tx, "Refs/EndToEndId")
        return BankLine(
            ref=ref,
            entry_ref=entry_ref,
            booking_date=booked,
            value_date=value,
            amount_cents=cents,
            counterparty_iban=fields[0],
            counterparty_name=fields[1],
            remittance=fields[2],
            structured_reference=joined(
                el.text or "" for el in self.all(tx, "RmtInf/Strd/CdtrRefInf/Ref")
            ),
            end_to_end_id="" if end_to_end.upper() == "NOTPROVIDED" else end_to_end,
            bank_code=code,
            returned=returned,
            return_reason=reason,
            line=line,
        )

    def _bank_code(self, element: etree._Element | None) -> str:
        parts = (
            self.text(element, "BkTxCd/Domn/Cd"),
            self.text(element, "BkTxCd/Domn/Fmly/Cd"),
            self.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        )
        if all(parts):
            return "/".join(parts)
        return self.text(element, "BkTxCd/Prtry/Cd")

    def _tx_amount(self, tx: etree._Element, entry_cents: int) -> int:
        """A batch transaction's signed cents: ``AmtDtls/TxAmt/Amt`` (001.02) or ``Amt``
        (001.08), with its own ``CdtDbtInd`` if it has one, else the entry's sign."""
        amount = self.one(tx, "Amt")
        if amount is None:
            amount = self.one(tx, "AmtDtls/TxAmt/Amt")
        if amount is None:
            raise self.problems.fail(
                tx.sourceline,
                "a transaction of a batched entry has no amount (AmtDtls/TxAmt or Amt), so "
                "the batch cannot be split",
            )
        cents = self.euro_cents(amount)
        indicator = self.text(tx, "CdtDbtInd")
        if indicator:
            return -cents if indicator == "DBIT" else cents
        return -cents if entry_cents < 0 else cents

    def _tx_fields(self, tx: etree._Element | None, cents: int, iban: str) -> tuple[str, str, str]:
        """Counterparty IBAN, counterparty name, unstructured remittance of a transaction: the
        debtor of a credit, the creditor of a debit (the other side if that one is empty and
        not the account itself, as in some banks' returns)."""
        first, second = ("Dbtr", "Cdtr") if cents > 0 else ("Cdtr", "Dbtr")
        account, name = self._party(tx, first)
        if not account and not name:
            account, name = self._party(tx, second)
            if account == iban:
                account, name = "", ""
        remittance = joined(el.text or "" for el in self.all(tx, "RmtInf/Ustrd"))
        return account, name, remittance

    def _party(self, tx: etree._Element | None, role: str) -> tuple[str, str]:
        parties = self.one(tx, "RltdPties")
        account = self.text(parties, f"{role}Acct/Id/IBAN")
        # 001.02: Dbtr/Nm; 001.08: Dbtr/Pty/Nm (a party or an agent).
        name = self.text(parties, f"{role}/Nm") or self.text(parties, f"{role}/Pty/Nm")
        return (compact_account(account) if account else "", " ".join(name.split()))


def _day(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text[:10]) if text else None


def _euros(cents: int) -> str:
    return format_grouped(cents)
