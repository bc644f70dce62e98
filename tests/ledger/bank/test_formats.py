"""Bank statement files read into `BankStatement`s (issue 19): CAMT.053 001.02 and 001.08,
MT940 as Dutch banks write it, and the hostile files a statement folder may hold.

Files are written two ways: by hand below (as a bank's documentation shows them, so the reader
is not only checked against netfund's own writer) and by `netfund.examples.bank_files` (a
realistic year, the same statements in all three formats)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import http.server
import importlib.metadata
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from netfund.examples import bank_files
from netfund.examples.bank_files import bank_line, statement
from netfund.ledger import BankLine, BankStatement, InputError, read_statements
from netfund.ledger.bank.formats import MAX_FILE_BYTES, camt

D = datetime.date
ACCOUNT = "NL20INGB0001234567"
GEMEENTE = "NL02ABNA0123456789"
ZORG = "NL44RABO0123456789"
WIJK = "NL39RABO0300065264"
FORMATS = ("camt.053.001.02", "camt.053.001.08", "mt940")


def problems(error: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def write(tmp_path: Path, text: str | bytes, name: str = "statement.xml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


# -- a camt.053.001.02 as a bank's documentation shows it ----------------------------------

CAMT_02 = """\
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>MSG-2027-01-03</MsgId>
      <CreDtTm>2027-01-03T06:00:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>STMT-0001</Id>
      <ElctrncSeqNb>1</ElctrncSeqNb>
      <LglSeqNb>101</LglSeqNb>
      <CreDtTm>2027-01-03T06:00:00</CreDtTm>
      <FrToDt>
        <FrDtTm>2026-12-28T00:00:00+01:00</FrDtTm>
        <ToDtTm>2027-01-02T23:59:59+01:00</ToDtTm>
      </FrToDt>
      <Acct>
        <Id><IBAN>NL20INGB0001234567</IBAN></Id>
        <Ccy>EUR</Ccy>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">99.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-12-27</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">100.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Dt><Dt>2026-12-28</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">1100.0</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><DtTm>2027-01-02T23:59:59</DtTm></Dt>
      </Bal>
      <Ntry>
        <NtryRef>N-1</NtryRef>
        <Amt Ccy="EUR">1250.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-30</Dt></BookgDt>
        <ValDt><Dt>2026-12-30</Dt></ValDt>
        <AcctSvcrRef>ACSR-0001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>GEM-2026-Q4</EndToEndId></Refs>
            <RltdPties>
              <Dbtr><Nm>Gemeente   Saniveld</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct>
              <Cdtr><Nm>Netwerk Saniveld</Nm></Cdtr>
              <CdtrAcct><Id><IBAN>NL20INGB0001234567</IBAN></Id></CdtrAcct>
            </RltdPties>
            <RmtInf>
              <Ustrd>Wmo subsidie</Ustrd>
              <Ustrd>vierde kwartaal 2026</Ustrd>
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">125.50</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-31</Dt></BookgDt>
        <ValDt><Dt>2026-12-31</Dt></ValDt>
        <AcctSvcrRef>BATCH-7</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">50.00</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Cdtr><Nm>Zorg BV</Nm></Cdtr>
              <CdtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></CdtrAcct>
            </RltdPties>
            <RmtInf>
              <Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>
                <Ref>RF18539007547034</Ref></CdtrRefInf></Strd>
            </RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><EndToEndId>NF-2026-12-2</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">75.50</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Cdtr><Nm>Wijkteam Oost</Nm></Cdtr>
              <CdtrAcct><Id><IBAN>NL39RABO0300065264</IBAN></Id></CdtrAcct>
            </RltdPties>
            <RmtInf><Ustrd>factuur 2026-118</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">75.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2027-01-02</Dt></BookgDt>
        <ValDt><Dt>2026-12-31</Dt></ValDt>
        <AcctSvcrRef>RTRN-55</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>NF-2026-12-2</EndToEndId></Refs>
            <RltdPties>
              <Dbtr><Nm>Wijkteam Oost</Nm></Dbtr>
              <DbtrAcct><Id><IBAN>NL39RABO0300065264</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Rekening opgeheven</AddtlInf></RtrInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">1.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>PDNG</Sts>
        <BookgDt><Dt>2027-01-02</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_camt_001_02_every_field_mapped(tmp_path: Path) -> None:
    path = write(tmp_path, CAMT_02)
    [stmt] = read_statements(path)
    assert stmt.source == str(path)
    assert stmt.format == "camt.053.001.02"
    assert (stmt.statement_id, stmt.sequence) == ("STMT-0001", "1")
    assert (stmt.account_iban, stmt.currency) == (ACCOUNT, "EUR")
    # OPBD wins over PRCD; a debit balance is negative; "1100.0" is 110000 cents; DtTm's day.
    assert (stmt.opening_cents, stmt.opening_date) == (-10000, D(2026, 12, 28))
    assert (stmt.closing_cents, stmt.closing_date) == (110000, D(2027, 1, 2))
    assert (stmt.from_date, stmt.to_date) == (D(2026, 12, 28), D(2027, 1, 2))
    assert stmt.line == CAMT_02.splitlines().index("    <Stmt>") + 1
    assert stmt.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # the pending entry is not booked, so it is no line; the rest adds up
    assert stmt.adds_up
    receipt, first, second, returned = stmt.lines
    assert receipt == BankLine(
        ref="ACSR-0001",
        entry_ref="ACSR-0001",
        booking_date=D(2026, 12, 30),
        value_date=D(2026, 12, 30),
        amount_cents=125000,
        counterparty_iban=GEMEENTE,
        counterparty_name="Gemeente Saniveld",
        remittance="Wmo subsidie vierde kwartaal 2026",
        structured_reference="",
        end_to_end_id="GEM-2026-Q4",
        bank_code="PMNT/RCDT/ESCT",
        returned=False,
        return_reason="",
        line=line_of(CAMT_02, "<NtryRef>N-1</NtryRef>") - 1,
    )
    # a batch: one line per TxDtls, /1 and /2 after the entry's AcctSvcrRef
    assert [first.ref, second.ref] == ["BATCH-7/1", "BATCH-7/2"]
    assert first.entry_ref == second.entry_ref == "BATCH-7"
    assert [first.amount_cents, second.amount_cents] == [-5000, -7550]
    assert (first.counterparty_iban, first.counterparty_name) == (ZORG, "Zorg BV")
    assert (first.structured_reference, first.end_to_end_id) == ("RF18539007547034", "")
    assert (second.counterparty_iban, second.remittance) == (WIJK, "factuur 2026-118")
    assert second.end_to_end_id == "NF-2026-12-2"
    assert first.line == line_of(CAMT_02, "<Refs><EndToEndId>NOTPROVIDED") - 1
    assert second.line == line_of(CAMT_02, "<Refs><EndToEndId>NF-2026-12-2") - 1
    # a return of the second payment, booked after the year end, valued before it
    assert returned.returned and returned.return_reason == "AC04"
    assert (returned.booking_date, returned.value_date) == (D(2027, 1, 2), D(2026, 12, 31))
    assert (returned.amount_cents, returned.counterparty_iban) == (7550, WIJK)
    assert returned.end_to_end_id == "NF-2026-12-2"
    assert returned.bank_code == "PMNT/ICDT/RRTN"


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` holding ``needle`` (its first)."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


CAMT_08 = """\
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M8</MsgId><CreDtTm>2026-04-01T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S8-1</Id>
      <LglSeqNb>31</LglSeqNb>
      <Acct><Id><IBAN>NL20INGB0001234567</IBAN></Id></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">0</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-31</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="EUR">19.75</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-31</Dt></Dt>
      </Bal>
      <Ntry>
        <NtryRef>NR-8</NtryRef>
        <Amt Ccy="EUR">20.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>2026-03-31T10:00:00</DtTm></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><AcctSvcrRef>TX-A</AcctSvcrRef><EndToEndId>E-A</EndToEndId></Refs>
            <Amt Ccy="EUR">12.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>Zorgverzekeraar Noord</Nm></Pty></Dbtr>
              <DbtrAcct><Id><IBAN>NL44RABO0123456789</IBAN></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Ustrd>Zvw maart</Ustrd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><AcctSvcrRef>TX-B</AcctSvcrRef></Refs>
            <Amt Ccy="EUR">8.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>ZonMw</Nm></Pty></Dbtr></RltdPties>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">0.25</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-31</Dt></BookgDt>
        <BkTxCd><Prtry><Cd>CHRG</Cd></Prtry></BkTxCd>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_camt_001_08_names_under_pty_and_own_refs_of_a_batch(tmp_path: Path) -> None:
    [stmt] = read_statements(write(tmp_path, CAMT_08))
    assert stmt.format == "camt.053.001.08"
    assert (stmt.sequence, stmt.opening_cents, stmt.closing_cents) == ("31", 0, 1975)
    # without FrToDt the statement covers its balances' days
    assert (stmt.from_date, stmt.to_date) == (D(2026, 3, 31), D(2026, 3, 31))
    first, second, reversal = stmt.lines
    assert [first.ref, second.ref] == ["TX-A", "TX-B"]  # the bank's own refs per TxDtls
    assert first.entry_ref == second.entry_ref == "NR-8"  # no AcctSvcrRef: NtryRef
    assert (first.counterparty_name, first.counterparty_iban) == ("Zorgverzekeraar Noord", ZORG)
    assert (first.end_to_end_id, first.remittance) == ("E-A", "Zvw maart")
    assert (second.counterparty_name, second.counterparty_iban) == ("ZonMw", "")
    assert first.booking_date == D(2026, 3, 31) and first.value_date is None
    # a reversal: the sign is the entry's own (DBIT), the line is a returned one; no ref at
    # all, so the hash rule, and the proprietary bank code
    assert reversal.amount_cents == -25 and reversal.returned and reversal.return_reason == ""
    assert reversal.ref.startswith("H") and len(reversal.ref) == 25
    assert reversal.bank_code == "CHRG"
    assert stmt.adds_up


def test_hash_refs_are_stable_and_tell_identical_lines_apart(tmp_path: Path) -> None:
    """Two equal payments on one day without a bank reference are two lines, and reading the
    file again (or an overlapping statement) gives the same refs."""
    entry = CAMT_08[CAMT_08.index('      <Ntry>\n        <Amt Ccy="EUR">0.25') :]
    entry = entry[: entry.index("</Ntry>") + len("</Ntry>\n")]
    twice = CAMT_08.replace(entry, entry + entry).replace(">19.75<", ">19.50<")
    first = read_statements(write(tmp_path, twice, "a.xml"))[0].lines[2:]
    again = read_statements(write(tmp_path, twice, "b.xml"))[0].lines[2:]
    assert len({line.ref for line in first}) == 2
    assert [line.ref for line in first] == [line.ref for line in again]


# -- a year written three ways -------------------------------------------------------------


def year_of_statements() -> list[BankStatement]:
    """Twelve monthly statements with what real ones hold: receipts, a batch, a return after
    the year end, structured and unstructured remittance, missing end-to-end ids."""
    statements = []
    balance = 1_000_00
    for month in range(1, 13):
        start = D(2026, month, 1)
        end = (D(2026 + month // 12, month % 12 + 1, 1)) - datetime.timedelta(days=1)
        lines = [
            bank_line(
                start + datetime.timedelta(days=1),
                25_000_00 + month,
                ref=f"IN-{month:02d}",
                counterparty_iban=GEMEENTE,
                counterparty_name="Gemeente Saniveld",
                remittance=f"Wmo {month:02d}-2026 voorschot netwerk Saniveld",
                end_to_end_id=f"GEM-2026-{month:02d}",
            ),
            bank_line(
                start + datetime.timedelta(days=14),
                -(3_000_00 + month * 7),
                ref=f"B{month:02d}/1",
                entry_ref=f"B{month:02d}",
                counterparty_iban=ZORG,
                counterparty_name="Zorg BV",
                structured_reference="RF18539007547034",
            ),
            bank_line(
                start + datetime.timedelta(days=14),
                -1_234_56,
                ref=f"B{month:02d}/2",
                entry_ref=f"B{month:02d}",
                counterparty_iban=WIJK,
                counterparty_name="Wijkteam Oost & Zn.",
                remittance="factuur " + " ".join(["regel"] * 30),  # over one Ustrd, :86: line
                end_to_end_id=f"NF-{month:02d}-2",
            ),
        ]
        if month == 12:
            lines.append(
                bank_line(
                    end,
                    -50_00,
                    ref="OUT-12",
                    value_date=D(2027, 1, 2),
                    counterparty_iban=WIJK,
                    counterparty_name="Wijkteam Oost & Zn.",
                    remittance="teruggave",
                    end_to_end_id="NF-REFUND-1",
                )
            )
        stmt = statement(
            ACCOUNT,
            f"2026-{month:02d}",
            lines,
            opening_cents=balance,
            from_date=start,
            to_date=end,
            sequence=str(month),
        )
        statements.append(stmt)
        balance = stmt.closing_cents
    january = statement(
        ACCOUNT,
        "2027-01",
        [
            bank_line(
                D(2027, 1, 2),
                50_00,
                ref="RTRN-1",
                value_date=D(2026, 12, 31),
                counterparty_iban=WIJK,
                counterparty_name="Wijkteam Oost & Zn.",
                end_to_end_id="NF-REFUND-1",
                returned=True,
                return_reason="AC04",
            )
        ],
        opening_cents=balance,
        from_date=D(2027, 1, 1),
        to_date=D(2027, 1, 31),
        sequence="13",
    )
    return [*statements, january]


def comparable(line: BankLine) -> BankLine:
    """A line without what differs by format: refs, the bank code, the file line."""
    return dataclasses.replace(line, ref="", entry_ref="", bank_code="", line=0)


def collapsed(stmt: BankStatement) -> list[BankLine]:
    """The lines as MT940 reports them: a batch as one line of its total, without details."""
    lines = []
    for group in bank_files.entries(stmt.lines):
        if len(group) == 1:
            lines.append(comparable(group[0]))
        else:
            total = sum(line.amount_cents for line in group)
            lines.append(
                dataclasses.replace(
                    comparable(group[0]),
                    amount_cents=total,
                    counterparty_iban="",
                    counterparty_name="",
                    remittance="",
                    structured_reference="",
                    end_to_end_id="",
                )
            )
    return lines


def test_the_same_year_reads_the_same_in_all_three_formats(tmp_path: Path) -> None:
    year = year_of_statements()
    read = {
        fmt: read_statements(bank_files.write(tmp_path / f"year.{fmt}", year, fmt))
        for fmt in FORMATS
    }
    for fmt, statements in read.items():
        assert [s.format for s in statements] == [fmt] * 13
        assert [s.sequence for s in statements] == [str(n) for n in range(1, 14)]
        for got, written in zip(statements, year, strict=True):
            assert got.adds_up
            assert (got.account_iban, got.opening_cents, got.closing_cents) == (
                written.account_iban,
                written.opening_cents,
                written.closing_cents,
            )
            assert (got.opening_date, got.closing_date) == (
                written.opening_date,
                written.closing_date,
            )
    for v02, v08, written in zip(
        read["camt.053.001.02"], read["camt.053.001.08"], year, strict=True
    ):
        assert [dataclasses.replace(line, line=0) for line in v02.lines] == [
            dataclasses.replace(line, line=0) for line in v08.lines
        ]
        # camt keeps every field and the bank's refs
        assert [dataclasses.replace(line, line=0, bank_code="") for line in v02.lines] == [
            dataclasses.replace(line, bank_code="") for line in written.lines
        ]
        assert (v02.statement_id, v02.from_date, v02.to_date) == (
            written.statement_id,
            written.from_date,
            written.to_date,
        )
    for mt, written in zip(read["mt940"], year, strict=True):
        assert [comparable(line) for line in mt.lines] == collapsed(written)
    # the return after the year end: booked in 2027, valued in 2026, in every format
    for statements in read.values():
        [last] = statements[-1].lines
        assert (last.booking_date, last.value_date) == (D(2027, 1, 2), D(2026, 12, 31))
        assert last.returned and last.return_reason == "AC04"
        assert last.end_to_end_id == "NF-REFUND-1"
    # and December's refund valued after the year end
    assert all(s[11].lines[-1].value_date == D(2027, 1, 2) for s in read.values())


@pytest.mark.parametrize("version", bank_files.CAMT_VERSIONS)
def test_the_writer_is_valid_against_the_official_xsd(version: str) -> None:
    xml = bank_files.camt053(year_of_statements(), version)
    checker = etree.XMLSchema(file=str(camt_xsd(version)))
    document = etree.fromstring(xml)
    assert checker.validate(document), checker.error_log
    assert document.tag == f"{{urn:iso:std:iso:20022:tech:xsd:camt.053.{version}}}Document"
    assert len(document.findall(".//{*}Stmt")) == 13
    assert len(document.findall(".//{*}RtrInf")) == 1


def camt_xsd(version: str) -> Path:
    found = importlib.metadata.distribution("camt053").locate_file(
        f"camt053/xsd/camt.053.{version}.xsd"
    )
    return Path(str(found))


texts = st.text(
    alphabet=st.characters(codec="ascii", categories=("L", "N"), include_characters=" .-&"),
    max_size=60,
).map(lambda text: " ".join(text.split()))


@st.composite
def statements_strategy(draw: st.DrawFn) -> list[BankStatement]:
    count = draw(st.integers(1, 6))
    lines = []
    for number in range(count):
        cents = draw(st.integers(1, 10**9)) * draw(st.sampled_from([1, -1]))
        booked = draw(st.dates(D(2020, 1, 1), D(2030, 12, 31)))
        lines.append(
            bank_line(
                booked,
                cents,
                ref=f"R{number}",
                value_date=booked + datetime.timedelta(days=draw(st.integers(-3, 3))),
                counterparty_iban=draw(st.sampled_from(["", GEMEENTE, ZORG])),
                counterparty_name=draw(texts),
                remittance=draw(texts),
                end_to_end_id=draw(st.sampled_from(["", "E2E-1", "x/y"])),
                returned=draw(st.booleans()),
            )
        )
    opening = draw(st.integers(-(10**9), 10**9))
    return [
        statement(
            ACCOUNT,
            "P",
            lines,
            opening_cents=opening,
            from_date=D(2020, 1, 1),
            to_date=D(2031, 1, 1),
        )
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statements=statements_strategy())
def test_writer_to_reader_round_trip(tmp_path: Path, statements: list[BankStatement]) -> None:
    for fmt in FORMATS:
        [got] = read_statements(bank_files.write(tmp_path / "round", statements, fmt))
        assert (got.opening_cents, got.closing_cents) == (
            statements[0].opening_cents,
            statements[0].closing_cents,
        )
        want = [comparable(line) for line in statements[0].lines]
        if fmt == "mt940":  # MT940 has no room for a reason-less return but its /RTRN/ mark
            want = [dataclasses.replace(line, return_reason="") for line in want]
        assert [comparable(line) for line in got.lines] == want


# -- MT940 as the Dutch banks write it ---------------------------------------------------

ING_MT940 = """\
{1:F01INGBNL2AAXXX0000000000}{2:I940INGBNL2AXXXXN}{4:
:20:P261231000000001
:25:NL20INGB0001234567EUR
:28C:00012/001
:60F:C261228EUR1000,00
:61:2612311231C1250,NTRFGEM-2026-Q4//0001234567890123
/TRCD/00100/
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL02ABNA0123456789/BIC/ABNANL2A/NAME/Ge
meente Saniveld/REMI/USTD//Wmo subsidie vierde kwartaal 2026/EREF/GE
M-2026-Q4
:61:2612310102D50,25NTRFNONREF//0001234567890124
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/Zo
rg BV/REMI/STRD/CUR/RF18539007547034//EREF/NOTPROVIDED
:61:2701030103RD50,25NRTINONREF//0001234567890125
:86:/RTRN/AC04/TRTP/SEPA TERUGBOEKING/IBAN/NL44RABO0123456789/NAME/Zorg B
V/EREF/NF-1
:62F:C270103EUR2250,00
:64:C270103EUR2250,00
:86:Dit is informatie over het afschrift zelf
-}
"""


def test_ing_mt940_with_swift_header_continuations_and_year_end(tmp_path: Path) -> None:
    path = write(tmp_path, ING_MT940, "MT940.sta")
    [stmt] = read_statements(path)
    assert stmt.format == "mt940"
    assert (stmt.statement_id, stmt.sequence) == ("P261231000000001/00012/001", "12")
    assert (stmt.account_iban, stmt.currency) == (ACCOUNT, "EUR")
    assert (stmt.opening_cents, stmt.opening_date) == (100000, D(2026, 12, 28))
    assert (stmt.closing_cents, stmt.closing_date) == (225000, D(2027, 1, 3))
    assert (stmt.from_date, stmt.to_date) == (D(2026, 12, 28), D(2027, 1, 3))
    assert stmt.line == 2 and stmt.adds_up
    receipt, payment, reversal = stmt.lines
    assert receipt == BankLine(
        ref="0001234567890123",
        entry_ref="0001234567890123",
        booking_date=D(2026, 12, 31),
        value_date=D(2026, 12, 31),
        amount_cents=125000,
        counterparty_iban=GEMEENTE,
        counterparty_name="Gemeente Saniveld",
        remittance="Wmo subsidie vierde kwartaal 2026",
        structured_reference="",
        end_to_end_id="GEM-2026-Q4",
        bank_code="TRF",
        returned=False,
        return_reason="",
        line=6,
    )
    # valued 31 December 2026, entered 2 January: the entry date is in the next year
    assert (payment.value_date, payment.booking_date) == (D(2026, 12, 31), D(2027, 1, 2))
    assert (payment.amount_cents, payment.counterparty_name) == (-5025, "Zorg BV")
    assert (payment.structured_reference, payment.end_to_end_id, payment.remittance) == (
        "RF18539007547034",
        "",
        "",
    )
    # RD: the reversal of a debit is money in, and a return
    assert reversal.amount_cents == 5025 and reversal.returned
    assert (reversal.return_reason, reversal.bank_code, reversal.line) == ("AC04", "RTI", 14)


ABN_MT940 = """\
ABNANL2A
940
ABNANL2A
:20:ABN AMRO BANK NV
:25:ABNANL2A/NL02ABNA0123456789
:28C:19101
:60F:C260301EUR0,00
:61:2603020302D12,50N422NONREF
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/Zo
rg BV/REMI/Factuur 12 / maart/EREF/NOTPROVIDED
:61:2603020302D12,50N422NONREF
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/Zo
rg BV/REMI/Factuur 12 / maart/EREF/NOTPROVIDED
:61:260303C7,00N658NONREF
:86:BEA   NR:5F2K01   03.03.26/10.04 KANTINE,PAS123
:62F:D260303EUR18,00
"""


def test_abn_amro_mt940_with_its_header_lines_and_the_bic_before_the_iban(
    tmp_path: Path,
) -> None:
    """ABN AMRO puts three lines (its BIC, 940, its BIC) before the first :20:."""
    [stmt] = read_statements(write(tmp_path, ABN_MT940, "abn.sta"))
    assert stmt.line == 4
    assert stmt.account_iban == GEMEENTE and stmt.sequence == "19101"
    assert (stmt.opening_cents, stmt.closing_cents) == (0, -1800) and stmt.adds_up
    twice, again, card = stmt.lines
    # no bank reference: the hash rule, two identical payments on one day stay two lines
    assert twice.ref != again.ref and twice.ref.startswith("H") and len(twice.ref) == 25
    assert twice.remittance == "Factuur 12 / maart"  # a slash in the text stays text
    assert (twice.bank_code, twice.booking_date) == ("422", D(2026, 3, 2))
    # without an entry date the booking date is the value date; free text is the remittance
    assert (card.booking_date, card.amount_cents) == (D(2026, 3, 3), 700)
    assert card.remittance == "BEA NR:5F2K01 03.03.26/10.04 KANTINE,PAS123"
    assert card.counterparty_iban == card.counterparty_name == ""


RABO_MT940 = """\
:20:940S260401
:25:NL44RABO0123456789 EUR
:28C:1
:60F:C260331EUR100,00
:61:260401D25,00N541NONREF//RABO-1
:86:/EREF/NF-2026-04-1//CNTP/NL02ABNA0123456789/ABNANL2A/GEMEENTE SANIVELD/
SANIVELD//REMI/USTD//Terugbetaling subsidie/
:62F:C260401EUR75,00
-
:20:940S260402
:25:NL44RABO0123456789 EUR
:28C:2
:60F:C260401EUR75,00
:62F:C260402EUR75,00
-
"""


def test_rabobank_mt940_counterparty_and_several_messages(tmp_path: Path) -> None:
    first, second = read_statements(write(tmp_path, RABO_MT940, "rabo.swi"))
    assert first.account_iban == ZORG and [first.sequence, second.sequence] == ["1", "2"]
    [line] = first.lines
    assert (line.counterparty_iban, line.counterparty_name) == (GEMEENTE, "GEMEENTE SANIVELD")
    assert (line.end_to_end_id, line.remittance, line.ref) == (
        "NF-2026-04-1",
        "Terugbetaling subsidie",
        "RABO-1",
    )
    assert second.lines == () and second.line == 10 and second.adds_up


def test_mt940_account_forms(tmp_path: Path) -> None:
    for account in (ACCOUNT, f"INGBNL2A/{ACCOUNT}", f"{ACCOUNT}EUR", f"{ACCOUNT} EUR"):
        text = RABO_MT940.split("-\n")[0].replace(":25:NL44RABO0123456789 EUR", f":25:{account}")
        [stmt] = read_statements(write(tmp_path, text, "a.sta"))
        assert stmt.account_iban == ACCOUNT
    text = RABO_MT940.replace(":25:NL44RABO0123456789 EUR", ":25:0123456789", 1)
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, text, "b.sta"))
    assert problems(error)[0].startswith(f"{tmp_path / 'b.sta'}:2: the statement's account")


def test_mt940_non_euro_and_damaged_fields_name_their_line(tmp_path: Path) -> None:
    dollars = RABO_MT940.replace(":60F:C260331EUR100,00", ":60F:C260331USD100,00")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, dollars, "usd.sta"))
    assert problems(error) == [
        f"{tmp_path / 'usd.sta'}:4: the balance is in USD: netfund books EUR only"
    ]
    broken = RABO_MT940.replace(":61:260401D25,00", ":61:261301D25,00")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, broken, "date.sta"))
    assert problems(error) == [f"{tmp_path / 'date.sta'}:5: 261301 is not a date (YYMMDD)"]
    garbled = RABO_MT940.replace(":61:260401D25,00", ":61:260401X25,00")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, garbled, "line.sta"))
    assert problems(error)[0].startswith(f"{tmp_path / 'line.sta'}:5: statement line")


def test_truncated_mt940_is_refused_naming_the_statement(tmp_path: Path) -> None:
    cut = ING_MT940[: ING_MT940.index(":62F:")]
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, cut, "cut.sta"))
    assert problems(error) == [
        f"{tmp_path / 'cut.sta'}:2: the statement 'P261231000000001' has no :62F: (the closing "
        "balance): a truncated or damaged file? ask the bank for it again"
    ]
    stray = ING_MT940.replace(":60F:", "this is not a field\n:60F:")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, stray, "stray.sta"))
    assert problems(error) == [
        f"{tmp_path / 'stray.sta'}:5: not an MT940 field: 'this is not a field'"
    ]


# -- what is not a statement -----------------------------------------------------------


def test_an_empty_file_garbage_and_other_xml_are_not_statements(tmp_path: Path) -> None:
    prefix = "not a CAMT.053 (001.02 or 001.08) or MT940 bank statement"
    cases = {
        "empty.xml": (b"", "the file is empty"),
        "blank.txt": (b"\n \r\n", "the file is empty"),
        "garbage.bin": (bytes(range(256)) * 4, "binary data"),
        "csv.txt": (b"datum;bedrag\n2026-01-01;12,00\n", "text starting 'datum;bedrag\\n2026-01'"),
        "bic.txt": (
            b"ABNANL2A\n940\nABNANL2A\n:25:NL02ABNA0123456789\n",
            "text starting 'ABNANL2A\\n940\\nABNANL2'",
        ),
        "html.xml": (
            b"<html><body/></html>",
            "it is XML with root element <html> without a namespace",
        ),
    }
    for name, (data, what) in cases.items():
        with pytest.raises(InputError) as error:
            read_statements(write(tmp_path, data, name))
        assert problems(error) == [f"{tmp_path / name}:1: {prefix}: {what}"], name


@pytest.mark.parametrize(
    ("namespace", "what"),
    [
        (
            "camt.052.001.02",
            "it is camt.052.001.02 (an intraday account report, not a statement); ask the bank "
            "for camt.053.001.02 or 001.08",
        ),
        ("camt.053.001.04", "camt.053.001.04 is not read; ask the bank for 001.02 or 001.08"),
        ("pain.001.001.03", "it is ISO 20022 pain.001.001.03"),
    ],
)
def test_other_iso_20022_messages_are_named(tmp_path: Path, namespace: str, what: str) -> None:
    xml = f'<?xml version="1.0"?>\n\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{namespace}"/>'
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml, "other.xml"))
    assert problems(error) == [
        f"{tmp_path / 'other.xml'}:3: not a CAMT.053 (001.02 or 001.08) or MT940 bank "
        f"statement: {what}"
    ]


def test_a_file_over_64_mib_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written or read
    with pytest.raises(InputError) as error:
        read_statements(path)
    [message] = problems(error)
    assert message.startswith(f"{path}: the file has 67,108,865 bytes")
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES)  # the limit itself is read (and is no statement)
    with pytest.raises(InputError) as error:
        read_statements(path)
    assert "binary data" in problems(error)[0]


def test_an_unreadable_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        read_statements(tmp_path / "missing.xml")
    assert problems(error)[0].startswith(f"{tmp_path / 'missing.xml'}: cannot read the file")


# -- camt content errors --------------------------------------------------------------------


def test_a_file_the_xsd_refuses_names_the_line(tmp_path: Path) -> None:
    bad = CAMT_02.replace('<Amt Ccy="EUR">1250.00</Amt>', '<Amt Ccy="EUR">12,50</Amt>')
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, bad, "bad.xml"))
    [message] = problems(error)
    line = line_of(bad, "12,50")
    assert message.startswith(f"{tmp_path / 'bad.xml'}:{line}: not valid camt.053.001.02: element")
    assert "'12,50'" in message and "urn:iso" not in message
    missing = CAMT_02.replace("<Sts>BOOK</Sts>", "", 1)
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, missing, "missing.xml"))
    assert problems(error)[0].startswith(f"{tmp_path / 'missing.xml'}:")
    assert "Sts" in problems(error)[0]


def test_camt_in_another_currency_is_refused(tmp_path: Path) -> None:
    dollars = CAMT_02.replace('<Amt Ccy="EUR">75.50</Amt>', '<Amt Ccy="USD">75.50</Amt>', 1)
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, dollars, "usd.xml"))
    assert problems(error) == [
        f"{tmp_path / 'usd.xml'}:{line_of(dollars, 'USD')}: amount in USD: netfund books EUR "
        "only, ask the bank for the EUR account's statement"
    ]
    account = CAMT_02.replace("<Ccy>EUR</Ccy>", "<Ccy>GBP</Ccy>")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, account, "gbp.xml"))
    assert problems(error) == [
        f"{tmp_path / 'gbp.xml'}:{line_of(account, 'GBP')}: the account is in GBP: netfund "
        "books EUR only"
    ]


def test_a_batch_whose_transactions_do_not_add_up_is_refused(tmp_path: Path) -> None:
    bad = CAMT_02.replace('<TxAmt><Amt Ccy="EUR">75.50</Amt>', '<TxAmt><Amt Ccy="EUR">75.05</Amt>')
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, bad, "batch.xml"))
    entry_line = line_of(bad, ">125.50<") - 1
    assert problems(error) == [
        f"{tmp_path / 'batch.xml'}:{entry_line}: the entry's 2 transactions (TxDtls) add up to "
        "-125.05, not to the entry's -125.50"
    ]


def test_a_statement_without_a_closing_balance_is_refused(tmp_path: Path) -> None:
    bad = CAMT_08.replace("<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, bad, "nobal.xml"))
    assert problems(error) == [
        f"{tmp_path / 'nobal.xml'}:5: the statement has no closing (CLBD) balance"
    ]


def test_several_statements_in_one_camt_file_in_file_order(tmp_path: Path) -> None:
    stmt = CAMT_08[CAMT_08.index("    <Stmt>") : CAMT_08.index("</BkToCstmrStmt>")]
    second = stmt.replace("<Id>S8-1</Id>", "<Id>S8-2</Id>").replace(
        "<IBAN>NL20INGB0001234567</IBAN>", "<IBAN>NL44RABO0123456789</IBAN>"
    )
    both = CAMT_08.replace(stmt, stmt + second)
    first, other = read_statements(write(tmp_path, both, "two.xml"))
    assert [first.statement_id, other.statement_id] == ["S8-1", "S8-2"]
    assert [first.account_iban, other.account_iban] == [ACCOUNT, ZORG]
    assert other.line == line_of(both, "<Id>S8-2</Id>") - 1
    assert first.sha256 == other.sha256


# -- hostile XML ----------------------------------------------------------------------------

SECRET = "netfund-secret-7f3a"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A local file an external entity points at: its content must appear nowhere."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A web server on localhost that records every request: a DTD, schema or entity the
    parser fetched would show up here (there is no network to time out on)."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(f'<!ENTITY x "{SECRET}">'.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def doctype_case(tmp_path: Path, doctype: str, body: str = "&lol9;") -> pytest.ExceptionInfo:
    xml = (
        '<?xml version="1.0"?>\n'
        f"{doctype}\n"
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{body}</MsgId></GrpHdr></BkToCstmrStmt></Document>\n"
    )
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml, "hostile.xml"))
    return error


def assert_dtd_refused(error: pytest.ExceptionInfo, tmp_path: Path, line: int = 2) -> None:
    [message] = problems(error)
    assert message.startswith(
        f"{tmp_path / 'hostile.xml'}:{line}: the file declares a DTD (<!DOCTYPE"
    )
    assert "which a bank statement never does" in message
    assert SECRET not in str(error.value) and "lol" * 3 not in str(error.value)


def test_billion_laughs_is_refused_unexpanded(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    ]
    error = doctype_case(tmp_path, "<!DOCTYPE Document [\n" + "\n".join(entities) + "\n]>")
    assert_dtd_refused(error, tmp_path)


def test_an_external_entity_to_a_local_file_is_refused(tmp_path: Path, secret_file: Path) -> None:
    doctype = f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
    assert_dtd_refused(doctype_case(tmp_path, doctype, "&xxe;"), tmp_path)
    passwd = '<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    error = doctype_case(tmp_path, passwd, "&xxe;")
    assert_dtd_refused(error, tmp_path)
    assert "root:" not in str(error.value)


def test_an_external_dtd_is_never_fetched(tmp_path: Path, listener: tuple[str, list[str]]) -> None:
    url, requests = listener
    error = doctype_case(tmp_path, f'<!DOCTYPE Document SYSTEM "{url}/evil.dtd">', "&x;")
    assert_dtd_refused(error, tmp_path)
    parameter = f'<!DOCTYPE Document [<!ENTITY % remote SYSTEM "{url}/p.dtd"> %remote;]>'
    assert_dtd_refused(doctype_case(tmp_path, parameter, "&x;"), tmp_path)
    assert requests == []


def test_a_doctype_alone_is_refused_with_its_line(tmp_path: Path) -> None:
    xml = CAMT_02.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a bank -->\n<!DOCTYPE Document>\n',
    )
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml, "hostile.xml"))
    assert problems(error) == [
        f"{tmp_path / 'hostile.xml'}:3: the file declares a DTD (<!DOCTYPE Document ...>), which "
        "a bank statement never does; refused unread (a DTD can expand entities or fetch files)"
    ]


def test_a_doctype_the_byte_scan_misses_is_still_refused(tmp_path: Path) -> None:
    """UTF-16 hides ``<!DOCTYPE`` from a byte search; the parsed document still shows it."""
    xml = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE Document>\n<Document/>\n'
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml.encode("utf-16"), "hostile.xml"))
    assert "the file declares a DTD" in problems(error)[0]


def test_xinclude_is_refused_and_never_processed(tmp_path: Path, secret_file: Path) -> None:
    xml = CAMT_02.replace(
        "<MsgId>MSG-2027-01-03</MsgId>",
        '<MsgId><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="file://{secret_file}" parse="text"/></MsgId>',
    )
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml, "xinclude.xml"))
    assert problems(error) == [
        f"{tmp_path / 'xinclude.xml'}:{line_of(xml, 'xi:include')}: the file uses XInclude, "
        "which a bank statement never does (it would pull in another file); nothing was read "
        "from it"
    ]
    assert SECRET not in str(error.value)


def test_a_schema_location_is_never_fetched(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    url, requests = listener
    xml = CAMT_02.replace(
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 {url}/evil.xsd"',
    )
    [stmt] = read_statements(write(tmp_path, xml, "located.xml"))
    assert len(stmt.lines) == 4  # read against netfund's own copy of the XSD
    assert requests == []


def test_an_undeclared_entity_is_not_well_formed(tmp_path: Path) -> None:
    xml = CAMT_02.replace("<MsgId>MSG-2027-01-03</MsgId>", "<MsgId>&xxe;</MsgId>")
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, xml, "entity.xml"))
    assert problems(error)[0].startswith(
        f"{tmp_path / 'entity.xml'}:{line_of(xml, '&xxe;')}: the file is not well-formed XML"
    )


def test_broken_xml_names_its_line(tmp_path: Path) -> None:
    cut = CAMT_02[: CAMT_02.index("<Ntry>")]
    with pytest.raises(InputError) as error:
        read_statements(write(tmp_path, cut, "cut.xml"))
    [message] = problems(error)
    assert message.startswith(f"{tmp_path / 'cut.xml'}:")
    assert "not well-formed XML" in message


def test_the_xsd_is_loaded_once_and_without_importing_camt053() -> None:
    import sys

    assert camt.schema("camt.053.001.02") is camt.schema("camt.053.001.02")
    assert camt.schema("camt.053.001.08") is not camt.schema("camt.053.001.02")
    assert "camt053" not in sys.modules


def test_the_public_api_names() -> None:
    import netfund.ledger as ledger

    assert {"read_statements", "BankStatement", "BankLine"} <= set(ledger.__all__)
    assert ledger.read_statements is read_statements


def test_mt940_messages_in_swift_envelopes_one_after_another(tmp_path: Path) -> None:
    """Banks chain messages as ``-}{5:...}{1:...}{2:...}{4:`` or ``-}{1:...``; the writer's
    envelopes read back too."""
    body = ":20:A\r\n:25:NL20INGB0001234567\r\n:28C:1\r\n:60F:C260101EUR1,\r\n:62F:C260101EUR1,\r\n"
    envelope = "{1:F01INGBNL2AAXXX0000000000}{2:I940INGBNL2AXXXXN}{4:"
    chained = (
        f"{envelope}\r\n{body}-}}{{5:{{CHK:123}}}}{envelope}\r\n{body.replace(':20:A', ':20:B')}"
        f"-}}{envelope}\r\n{body.replace(':20:A', ':20:C')}-}}"
    )
    read = read_statements(write(tmp_path, chained, "chained.sta"))
    assert [(s.statement_id, s.line, s.opening_cents) for s in read] == [
        ("A/1", 2, 100),
        ("B/1", 8, 100),
        ("C/1", 14, 100),
    ]
    year = year_of_statements()[:2]
    text = bank_files.mt940(year, swift_header=True)
    assert text.startswith("{1:F01INGBNL2AAXXX")
    again = read_statements(write(tmp_path, text, "enveloped.sta"))
    assert [[comparable(line) for line in s.lines] for s in again] == [collapsed(s) for s in year]


@pytest.mark.parametrize("word", ["PREF", "EREF", "NAME", "IBAN", "REMI"])
def test_an_mt940_remittance_that_is_a_key_word_stays_text(tmp_path: Path, word: str) -> None:
    """Found by the round trip: ``/REMI/USTD//PREF//EREF/...`` is the text "PREF", not a key."""
    line = bank_line(D(2026, 5, 1), 1, ref="R", remittance=word, counterparty_name=word)
    stmt = statement(
        ACCOUNT, "S", [line], opening_cents=0, from_date=D(2026, 5, 1), to_date=D(2026, 5, 1)
    )
    [got] = read_statements(bank_files.write(tmp_path / "key.sta", [stmt], "mt940"))
    assert (got.lines[0].remittance, got.lines[0].counterparty_name) == (word, word)
