"""MT940 (SWIFT customer statement), as Dutch banks deliver it: ING, ABN AMRO, Rabobank.

The file is split into fields here, line by line, so every problem names its file line (the
``mt940`` package joins a file into one string and loses them); each field's value is then
read with the ``mt940`` package's own patterns (`mt940.tags`), which know the banks' variants
of ``:61:`` (entry date as spaces, a funds code, a reference after ``//``).

``:86:`` carries the counterparty in the SEPA era as ``/KEY/value`` pairs: ING and ABN AMRO
``/TRTP/.../IBAN/.../BIC/.../NAME/.../REMI/.../EREF/...``, Rabobank ``/EREF/.../CNTP/iban/bic/
name/city/REMI/USTD//text/``, returns as ``/RTRN/AC04/``. The package's processors read the
German ``?20`` style only, so the pairs are read by `details` below; an ``:86:`` without them is
the remittance text as it stands.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from mt940.tags import BalanceBase, Statement, StatementNumber
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

FORMAT = "mt940"

# A field starts a line: ":61:", ":28C:", ":NS:" (a bank's non-SWIFT field).
_FIELD = re.compile(r"^:([0-9]{2}[A-Z]?|NS):(.*)$")
# The SWIFT envelope around a message: "{1:F01...}{2:I940...}{4:" before, "-}" or "-" after.
_BLOCK_HEADER = re.compile(r"^(\{[1-3]:[^}]*\})*(\{4:)?")
_TRAILER = re.compile(r"^-\}?(\{5:.*)?$")
# One message's end and the next one's envelope on one line: "-}{5:...}{1:...}{2:...}{4:".
_NEXT_MESSAGE = re.compile(r"^-\}(\{5:[^}]*\})?(?=\{1:)")

# What a bank writes before the first :20: of a file: a BIC or the message type (ABN AMRO).
_PREAMBLE = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?|940")
_BALANCE = re.compile(BalanceBase.pattern, re.VERBOSE)
_STATEMENT_LINE = re.compile(Statement.pattern, re.VERBOSE | re.IGNORECASE)
_STATEMENT_NUMBER = re.compile(StatementNumber.pattern, re.VERBOSE)

#: The ``/KEY/`` words of the Dutch banks' ``:86:``; only these split it, so a slash in a
#: name or a remittance stays text.
DETAIL_KEYS = (
    "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "MARF", "CSID", "RTRN", "ORDP", "BENM",
    "CNTP", "PREF", "KREF", "SVCL", "ISDT", "ADDR", "PURP", "ULTC", "ULTD", "ULTB", "ID",
    "CDTRREF", "CDTRREFTP", "BUSP", "FX", "INFO", "NRTX",
)  # fmt: skip
_IBAN_MAX, _REF_MAX, _CODE_MAX = 34, 140, 35
_DETAIL_KEY = re.compile("/(" + "|".join(DETAIL_KEYS) + ")/")
_CLOSED_KEY = re.compile("//(?:" + "|".join(DETAIL_KEYS) + ")/")


@dataclass
class _Field:
    tag: str
    value: str
    line: int


@dataclass
class _Message:
    line: int
    fields: list[_Field] = field(default_factory=list)


def looks_like_mt940(text: str) -> bool:
    """Whether ``text`` starts as an MT940 file: ``:20:``, perhaps after a SWIFT header or
    ABN AMRO's three lines (``ABNANL2A``, ``940``, ``ABNANL2A``)."""
    first = text.lstrip("\ufeff \t\r\n")
    first = _BLOCK_HEADER.sub("", first, count=1).lstrip("\r\n")
    return "\n".join(_after_preamble(first.splitlines()[:8])).startswith(":20:")


def _after_preamble(lines: list[str]) -> list[str]:
    """``lines`` without a leading preamble of `_PREAMBLE` lines (at most three)."""
    for skip in range(min(3, len(lines)) + 1):
        if skip == len(lines) or not _PREAMBLE.fullmatch(lines[skip].strip()):
            return lines[skip:]
    return lines[3:]


def read_mt940(text: str, source: str, sha256: str) -> list[BankStatement]:
    """The statements of an MT940 file's ``text``, one per ``:20:`` message, in file order."""
    problems = Problems(source)
    messages = _messages(text, problems)
    problems.raise_any()
    reader = _Reader(source, sha256, problems)
    statements = [reader.statement(message) for message in messages]
    problems.raise_any()
    return statements


def _messages(text: str, problems: Problems) -> list[_Message]:
    """The file cut into messages and their fields, each with its first line."""
    messages: list[_Message] = []
    current: _Field | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not messages and _PREAMBLE.fullmatch(raw.strip().lstrip("\ufeff")):
            continue
        line = _NEXT_MESSAGE.sub("", raw.lstrip("\ufeff") if number == 1 else raw, count=1)
        line = _BLOCK_HEADER.sub("", line, count=1)
        if not line.strip() or _TRAILER.match(line.strip()):
            current = None if line.strip() else current
            continue
        match = _FIELD.match(line)
        if match is None:
            if current is None or current.tag not in ("86", "61", "NS"):
                problems.add(number, f"not an MT940 field: {line.strip()[:40]!r}")
                continue
            # Kept as it is: a bank cuts :86: at 65 characters, a space at the cut included.
            current.value += "\n" + line
            continue
        tag, value = match.groups()
        if tag == "20":
            messages.append(_Message(number))
        elif not messages:
            problems.add(number, f"field :{tag}: before the first :20: (start of a statement)")
            continue
        current = _Field(tag, value, number)
        messages[-1].fields.append(current)
    if not messages and not problems.items:
        problems.add(1, "no MT940 statement (:20:) in the file")
    return messages


class _Reader:
    def __init__(self, source: str, sha256: str, problems: Problems) -> None:
        self.source = source
        self.sha256 = sha256
        self.problems = problems
        self.occurrences = Occurrences()

    def statement(self, message: _Message) -> BankStatement:
        tags: dict[str, _Field] = {}
        entries: list[tuple[_Field, _Field | None]] = []
        for item in message.fields:
            if item.tag == "61":
                entries.append((item, None))
            elif (
                item.tag == "86"
                and entries
                and entries[-1][1] is None
                and not ("62F" in tags or "62M" in tags)
            ):
                entries[-1] = (entries[-1][0], item)
            else:
                tags.setdefault(item.tag, item)
        reference = tags["20"].value.strip()
        account = tags.get("25")
        opening = tags.get("60F") or tags.get("60M")
        closing = tags.get("62F") or tags.get("62M")
        missing = [
            name
            for name, found in (
                (":25: (the account)", account),
                (":60F: (the opening balance)", opening),
                (":62F: (the closing balance)", closing),
            )
            if found is None
        ]
        if missing:
            raise self.problems.fail(
                message.line,
                f"the statement {reference!r} has no {', no '.join(missing)}: a truncated or "
                "damaged file? ask the bank for it again",
            )
        assert account is not None and opening is not None and closing is not None
        iban = self._account(account)
        opening_cents, opening_date = self._balance(opening)
        closing_cents, closing_date = self._balance(closing)
        number = tags.get("28C") or tags.get("28")
        sequence = None
        statement_id = reference
        if number is not None:
            found = _STATEMENT_NUMBER.match(number.value.strip())
            if found is None:
                raise self.problems.fail(
                    number.line, f"statement number {number.value.strip()[:20]!r} is not n[/n]"
                )
            sequence = str(int(found.group("statement_number")))
            statement_id = f"{reference}/{number.value.strip()}"
        lines = [self._line(entry, details, iban, closing_date) for entry, details in entries]
        return BankStatement(
            source=self.source,
            format=FORMAT,
            statement_id=statement_id,
            sequence=sequence,
            account_iban=iban,
            currency=CURRENCY,
            opening_cents=opening_cents,
            opening_date=opening_date,
            closing_cents=closing_cents,
            closing_date=closing_date,
            from_date=opening_date,
            to_date=closing_date,
            lines=tuple(lines),
            line=message.line,
            sha256=self.sha256,
        )

    def _account(self, item: _Field) -> str:
        """``:25:`` as an IBAN: ``NL91ABNA0417164300``, ``ABNANL2A/NL91ABNA0417164300`` or
        ``NL91ABNA0417164300EUR`` (a currency after it, with or without a space)."""
        text = item.value.strip().split("/")[-1].strip()
        candidates = [text]
        if len(text) > 3 and text[-3:].isalpha():
            currency = text[-3:].upper()
            if currency == CURRENCY or not text[-4].isalpha():
                candidates.append(text[:-3].strip())
        error: FieldError | None = None
        for candidate in candidates:
            try:
                return parse_iban(candidate, "the statement's account (:25:)")
            except FieldError as found:
                error = error or found
        raise self.problems.fail(item.line, str(error))

    def _balance(self, item: _Field) -> tuple[int, datetime.date]:
        found = _BALANCE.match(item.value.strip())
        if found is None or not found.group("amount"):
            raise self.problems.fail(
                item.line,
                f"balance {item.value.strip()[:30]!r} is not C/D, YYMMDD, currency, amount",
            )
        if found.group("currency") != CURRENCY:
            raise self.problems.fail(
                item.line,
                f"the balance is in {found.group('currency')}: netfund books {CURRENCY} only",
            )
        day = self._date(item, found.group("year"), found.group("month"), found.group("day"))
        try:
            cents = amount_cents(found.group("amount"), decimal_comma=True)
        except AmountError as error:
            raise self.problems.fail(item.line, str(error)) from None
        return (-cents if found.group("status") == "D" else cents), day

    def _date(self, item: _Field, year: str, month: str, day: str) -> datetime.date:
        try:
            return datetime.date(2000 + int(year), int(month), int(day))
        except ValueError:
            raise self.problems.fail(
                item.line, f"{year}{month}{day} is not a date (YYMMDD)"
            ) from None

    def _line(
        self, entry: _Field, details: _Field | None, iban: str, closing: datetime.date
    ) -> BankLine:
        found = _STATEMENT_LINE.match(entry.value)
        if found is None:
            raise self.problems.fail(
                entry.line,
                f"statement line {entry.value.strip()[:40]!r} is not value date, entry date, "
                "D/C/RD/RC, amount, N and a code, reference",
            )
        value_date = self._date(
            entry, found.group("year"), found.group("month"), found.group("day")
        )
        booking_date = value_date
        month, day = (found.group("entry_month") or "").strip(), (found.group("entry_day") or "")
        if month and day.strip():
            booking_date = _entry_date(value_date, int(month), int(day), entry, self.problems)
        status = found.group("status").upper()
        try:
            cents = amount_cents(found.group("amount"), decimal_comma=True)
        except AmountError as error:
            raise self.problems.fail(entry.line, str(error)) from None
        if cents == 0:
            raise self.problems.fail(entry.line, "a statement line of 0,00 moves no money")
        # D debit, C credit; RD (reversal of a debit) is money in, RC money out.
        signed = cents if status in ("C", "RD") else -cents
        code = (found.group("id") or "").strip()
        bank_code = code[1:] if code[:1] in ("N", "S", "F") and len(code) == 4 else code
        bank_ref = (found.group("bank_reference") or "").strip()
        text = details.value if details is not None else ""
        info = details_of(text)
        counterparty = f"{info.iban} {info.name}".strip()
        if bank_ref:
            ref = bank_ref
        else:
            key = (iban, booking_date.isoformat(), str(signed), counterparty, info.remittance)
            ref = hash_ref(
                iban,
                booking_date.isoformat(),
                signed,
                counterparty,
                info.remittance,
                self.occurrences.next(*key),
            )
        return BankLine(
            ref=ref,
            entry_ref=ref,
            booking_date=booking_date,
            value_date=value_date,
            amount_cents=signed,
            counterparty_iban=info.iban,
            counterparty_name=info.name,
            remittance=info.remittance,
            structured_reference=info.structured_reference,
            end_to_end_id=info.end_to_end_id,
            bank_code=bank_code,
            returned=info.returned or status.startswith("R"),
            return_reason=info.return_reason,
            line=entry.line,
        )


def _entry_date(
    value_date: datetime.date, month: int, day: int, item: _Field, problems: Problems
) -> datetime.date:
    """The entry (booking) date ``MMDD`` in the year that puts it nearest the value date: a
    payment valued 31 December and booked 2 January was booked in the next year."""
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(datetime.date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise problems.fail(item.line, f"entry date {month:02d}{day:02d} is not a date (MMDD)")
    return min(candidates, key=lambda candidate: abs((candidate - value_date).days))


@dataclass(frozen=True)
class Details:
    """What an ``:86:`` says about one line."""

    iban: str = ""
    name: str = ""
    remittance: str = ""
    structured_reference: str = ""
    end_to_end_id: str = ""
    return_reason: str = ""
    returned: bool = False


def details_of(text: str) -> Details:
    """The ``/KEY/value`` pairs of a Dutch bank's ``:86:`` (module docstring); text without
    them is the remittance. Lines are joined without a separator: banks cut the field at 65
    characters wherever that falls, mid-word included."""
    flat = text.replace("\r", "").replace("\n", "")
    pairs = _pairs(flat)
    if not pairs:
        return Details(remittance=" ".join(text.split()))
    iban = pairs.get("IBAN", "")
    name = pairs.get("NAME", "")
    for key in ("CNTP", "ORDP", "BENM"):
        if key in pairs and not (iban or name):
            # Rabobank CNTP: iban/bic/name/city; ING ORDP/BENM: //NAME/... handled as pairs.
            parts = pairs[key].split("/")
            iban = parts[0] if parts else ""
            name = parts[2] if len(parts) > 2 else ""
    remittance, structured = _remittance(pairs.get("REMI", ""))
    end_to_end = pairs.get("EREF", "").strip()
    account = compact_account(iban)
    # The lengths SEPA allows (and the bank tables keep): MT940 has no schema to hold a bank
    # to them, so a value beyond one is cut, and an "IBAN" longer than any IBAN is none.
    return Details(
        iban=account if len(account) <= _IBAN_MAX else "",
        name=" ".join(name.split()),
        remittance=remittance,
        structured_reference=structured[:_REF_MAX],
        end_to_end_id="" if end_to_end.upper() == "NOTPROVIDED" else end_to_end[:_REF_MAX],
        return_reason=pairs.get("RTRN", "").split("/")[0].strip()[:_CODE_MAX],
        returned="RTRN" in pairs,
    )


def _pairs(text: str) -> dict[str, str]:
    """The ``/KEY/value`` pairs of ``text`` (first value of a key kept), or {} when it does
    not start with a key. A free remittance ``/REMI/USTD//text/`` ends where ``//KEY/``
    follows (the text's closing slash, then the next key), so a word such as ``PREF`` in the
    text between slashes stays text."""
    match = _DETAIL_KEY.match(text)
    if match is None:
        return {}
    pairs: dict[str, str] = {}
    while match is not None:
        key, start = match.group(1), match.end()
        following = None
        if key == "REMI" and text.startswith("USTD//", start):
            closing = _CLOSED_KEY.search(text, start + len("USTD//"))
            if closing is not None:
                following = _DETAIL_KEY.match(text, closing.start() + 1)
        if following is None:
            following = _DETAIL_KEY.search(text, start)
        end = following.start() if following is not None else len(text)
        value = text[start:end]
        pairs.setdefault(key, value if key == "REMI" else value.rstrip("/"))
        match = following
    return pairs


def _remittance(value: str) -> tuple[str, str]:
    """``REMI``'s unstructured text and structured reference: ``USTD//text/`` (ING, Rabobank),
    ``STRD/CUR/RF18...`` (a creditor reference), or the text itself (ABN AMRO)."""
    if value.startswith("USTD//"):
        return joined([value[len("USTD//") :].rstrip("/")]), ""
    if value.startswith("STRD/"):
        parts = [part for part in value[len("STRD/") :].split("/") if part]
        reference = parts[-1] if parts else ""
        return "", reference.strip()
    return joined([value.rstrip("/")]), ""
