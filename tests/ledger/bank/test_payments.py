"""Refunds out as a SEPA payment file (issue 19): what a `return` close made owed, to the
funders' IBANs, in a pain.001.001.03 file that validates, recorded before it gets its name,
and never twice while a file is not matched back by a bank statement."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from netfund.examples.bank_files import bank_line, statement
from netfund.examples.bank_files import write as write_bank_file
from netfund.ledger import (
    InputError,
    LedgerError,
    audit_trail,
    import_bank_statements,
    import_events,
    mark_paid,
    mark_returned,
    payment_by_end_to_end_id,
    read_payments,
    refunds_owed,
    reopen_period,
    verify,
    write_refund_payments,
)
from netfund.ledger.bank import payments as payments_module
from netfund.ledger.bank.payments import sepa_text
from netfund.ledger.store.database import reading, writing
from netfund.ledger.store.records import verified_records
from sqlalchemy import Engine, text

from tests.conftest import write_events
from tests.support.payments import (
    FUNDER_IBANS,
    NETWORK_IBAN,
    RETURNING,
    SECOND_IBAN,
    closed_example,
)

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
TODAY = datetime.date.today()
SEPA_ID = r"[A-Za-z0-9/\-?:().,'+ ]{1,35}"


@pytest.fixture
def closed(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The example's ledger (with IBANs), 2026 closed: four funders are owed money."""
    engine = closed_example(db_url, tmp_path)
    yield engine
    engine.dispose()


def refundable_credits(engine: Engine) -> dict[str, int]:
    """Per fund, the Liabilities:Refundable credits of 2026's closing entries, read here
    independently of the code under test."""
    with reading(engine) as connection:
        rows = connection.execute(
            text(
                "SELECT p.fund, -SUM(p.amount_cents) FROM postings p "
                "JOIN transactions t ON t.id = p.txn_id "
                "WHERE t.type = 'close' AND t.period = '2026' "
                "AND p.account = 'Liabilities:Refundable' AND p.amount_cents < 0 "
                "GROUP BY p.fund"
            )
        ).all()
    return {fund: int(cents) for fund, cents in rows}


def transfers(path: Path) -> list[dict[str, str]]:
    """The credit transfers of a pain.001 file as the bank reads them."""
    root = ET.parse(path).getroot()
    return [
        {
            "e2e": tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) or "",
            "amount": tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) or "",
            "iban": tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) or "",
            "name": tx.findtext("p:Cdtr/p:Nm", namespaces=NS) or "",
            "remittance": tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) or "",
        }
        for tx in root.iterfind(".//p:CdtTrfTxInf", NS)
    ]


def cents(amount: str) -> int:
    whole, fraction = amount.split(".")
    assert len(fraction) == 2, amount
    return int(whole) * 100 + int(fraction)


def payment_records(engine: Engine) -> list[dict[str, object]]:
    with reading(engine) as connection:
        return [r.content for r in verified_records(connection) if r.kind == "payment-file"]


def payment_rows(engine: Engine) -> int:
    with reading(engine) as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM bank_payments")).scalar_one())


def refund_by_hand(engine: Engine, folder: Path, rows: list[tuple[str, int]]) -> None:
    """Refund events dated in 2027 (2026 is closed), as someone paid them without netfund."""
    lines = [
        f"HAND-{index},2027-01-15,refund,{fund},,{amount // 100}.{amount % 100:02d},"
        f"Terugbetaling per handmatige overboeking,BANK-{index}"
        for index, (fund, amount) in enumerate(rows, start=1)
    ]
    import_events(engine, write_events(folder / f"refunds-{len(os.listdir(folder))}.csv", lines))


def test_the_file_validates_and_pays_exactly_what_the_close_made_owed(
    closed: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "refunds-2026.xml"
    report = write_refund_payments(closed, "2026", out)
    # The file validates against the XSD sepaxml ships, checked here on its own.
    xmlschema.XMLSchema(str(XSD)).validate(str(out))
    owed = refundable_credits(closed)
    assert sorted(owed) == sorted(RETURNING)  # carry_over funders owe nothing
    found = transfers(out)
    by_iban = {FUNDER_IBANS[fund]: fund for fund in RETURNING}
    assert {by_iban[t["iban"]]: cents(t["amount"]) for t in found} == owed
    assert len(found) == len(RETURNING)
    assert sum(cents(t["amount"]) for t in found) == sum(owed.values()) == report.total_cents
    # End-to-end ids: unique, in SEPA's characters, at most 35, the ones recorded.
    ids = [t["e2e"] for t in found]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(SEPA_ID, i) for i in ids), ids
    assert ids == [p.end_to_end_id for p in report.payments]
    # Names in SEPA's characters (ZonMw's en dash transliterated), the Dutch remittance.
    names = {t["name"] for t in found}
    assert "ZonMw - transformatiesubsidie Veerkracht in de wijk" in names
    assert all(len(n) <= 70 and re.fullmatch(r"[A-Za-z0-9/\-?:().,'+ ]+", n)
               for n in names)  # fmt: skip
    assert {t["remittance"] for t in found} == {
        "Terugbetaling niet-besteed 2026 Veerkrachtnetwerk Saniveld"
    }
    root = ET.parse(out).getroot()
    assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == report.message_id
    assert cents(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) or "") == sum(owed.values())
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == NETWORK_IBAN
    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "ABNANL2A"
    assert root.findtext(".//p:ReqdExctnDt", namespaces=NS) == TODAY.isoformat()


def test_the_record_and_the_rows_name_the_file_written(closed: Engine, tmp_path: Path) -> None:
    owed_before = refunds_owed(closed, "2026")
    before = os.umask(0o022)  # a usual umask: the file is private all the same
    try:
        out = tmp_path / "refunds.xml"
        report = write_refund_payments(closed, "2026", out)
    finally:
        os.umask(before)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    sha256 = hashlib.sha256(out.read_bytes()).hexdigest()
    assert report.sha256 == sha256
    [record] = payment_records(closed)
    assert record["file_sha256"] == sha256
    assert record["file"] == str(out.resolve())
    assert record["message_id"] == report.message_id
    assert record["debtor_iban"] == NETWORK_IBAN
    assert record["period"] == "2026" and record["replaces"] == []
    assert record["by"] == report.by and record["at"] == report.at
    assert record["payments"] == [
        {"end_to_end_id": p.end_to_end_id, "funder": p.funder, "iban": p.iban, "cents": p.cents}
        for p in report.payments
    ]
    rows = read_payments(closed, "2026")
    assert [(r.end_to_end_id, r.funder, r.amount_cents, r.status) for r in rows] == [
        (p.end_to_end_id, p.funder, p.cents, "sent") for p in report.payments
    ]
    assert {r.record_seq for r in rows} == {report.record_seq}
    assert {r.file_sha256 for r in rows} == {sha256}
    # The record is in the hash chain: the ledger still verifies, and nothing moved money.
    assert verify(closed).records == report.record_seq
    # Writing the file moves no money: the same refunds are owed until a statement books them.
    assert refunds_owed(closed, "2026") == owed_before
    assert sum(r.cents for r in owed_before) == report.total_cents


def test_a_second_file_is_refused_until_again(closed: Engine, tmp_path: Path) -> None:
    first = write_refund_payments(closed, "2026", tmp_path / "first.xml")
    with pytest.raises(LedgerError) as refused:
        write_refund_payments(closed, "2026", tmp_path / "second.xml")
    message = str(refused.value)
    assert "ZK-REGIO's refund of 2026 (EUR 324,409.96)" in message
    assert str((tmp_path / "first.xml").resolve()) in message
    assert first.by in message and first.at in message and "--again" in message
    # Nothing of the refused run: no file, no temporary file, no record, no row.
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".xml", ".partial")) == [
        "first.xml"
    ]
    assert len(payment_records(closed)) == 1 and payment_rows(closed) == len(RETURNING)

    again = write_refund_payments(closed, "2026", tmp_path / "second.xml", again=True)
    assert again.message_id != first.message_id
    assert [(p.funder, p.cents) for p in again.payments] == [
        (p.funder, p.cents) for p in first.payments
    ]
    assert not {p.end_to_end_id for p in again.payments} & {p.end_to_end_id for p in first.payments}
    assert again.replaces == tuple(p.end_to_end_id for p in first.payments)
    assert payment_records(closed)[-1]["replaces"] == list(again.replaces)
    rows = read_payments(closed)
    assert len(rows) == 2 * len(RETURNING)
    assert {r.end_to_end_id: r.status for r in rows} == {
        **{p.end_to_end_id: "replaced" for p in first.payments},
        **{p.end_to_end_id: "sent" for p in again.payments},
    }
    xmlschema.XMLSchema(str(XSD)).validate(str(tmp_path / "second.xml"))


def test_a_replaced_payment_the_bank_pays_anyway_is_not_booked_and_says_why(
    closed: Engine, tmp_path: Path
) -> None:
    """Both files reached the bank: the new one's debit books the refund, the old one's stays
    unmatched, saying the funder may have been paid twice."""
    first = write_refund_payments(closed, "2026", tmp_path / "first.xml")
    again = write_refund_payments(closed, "2026", tmp_path / "second.xml", again=True)
    old = next(p for p in first.payments if p.funder == "ZONMW")
    new = next(p for p in again.payments if p.funder == "ZONMW")
    day = datetime.date(2027, 1, 5)
    debits = [
        bank_line(day, -p.cents, ref=f"D-{p.end_to_end_id}", counterparty_iban=p.iban,
                  end_to_end_id=p.end_to_end_id)
        for p in (new, old)
    ]  # fmt: skip
    january = statement(NETWORK_IBAN, "2027-01", debits, opening_cents=new.cents + old.cents,
                        from_date=day, to_date=day)  # fmt: skip
    imported = import_bank_statements(
        closed, write_bank_file(tmp_path / "jan.xml", [january], "camt.053.001.08")
    )
    booked, unmatched = imported.statements[0].results
    assert booked.status == "booked" and "ZONMW paid" in booked.explanation
    assert unmatched.status == "unmatched"
    assert "written anew by a later payment file" in unmatched.explanation
    assert "paid twice" in unmatched.explanation


def test_a_year_whose_refunds_wait_in_a_payment_file_is_not_reopened(
    closed: Engine, tmp_path: Path
) -> None:
    write_refund_payments(closed, "2026", tmp_path / "refunds.xml")
    with pytest.raises(LedgerError, match="not yet on a bank statement"):
        reopen_period(closed, "2026", reason="a late invoice")


def test_a_refund_made_by_hand_since_lowers_what_a_new_file_pays(
    closed: Engine, tmp_path: Path
) -> None:
    first = write_refund_payments(closed, "2026", tmp_path / "first.xml")
    owed = {p.funder: p.cents for p in first.payments}
    refund_by_hand(closed, tmp_path, [("ZONMW", 100_000), ("ZV-LINGEZORG", owed["ZV-LINGEZORG"])])
    now = {r.funder: (r.cents, r.refunded_cents) for r in refunds_owed(closed, "2026")}
    assert now["ZONMW"] == (owed["ZONMW"] - 100_000, 100_000)
    assert "ZV-LINGEZORG" not in now  # paid in full by hand: owed nothing
    again = write_refund_payments(closed, "2026", tmp_path / "again.xml", again=True)
    assert {p.funder: p.cents for p in again.payments} == {
        "ZK-REGIO": owed["ZK-REGIO"],
        "ZV-NOORDWAARD": owed["ZV-NOORDWAARD"],
        "ZONMW": owed["ZONMW"] - 100_000,
    }
    assert {t["amount"] for t in transfers(tmp_path / "again.xml")} >= {
        f"{(owed['ZONMW'] - 100_000) // 100}.{(owed['ZONMW'] - 100_000) % 100:02d}"
    }


def test_nothing_owed_writes_no_file_and_no_record(closed: Engine, tmp_path: Path) -> None:
    refund_by_hand(closed, tmp_path, sorted(refundable_credits(closed).items()))
    assert refunds_owed(closed, "2026") == []
    out = tmp_path / "refunds.xml"
    report = write_refund_payments(closed, "2026", out)
    assert report.file is None and report.payments == () and report.total_cents == 0
    assert not out.exists() and not list(tmp_path.glob(".*.partial"))
    assert payment_records(closed) == [] and payment_rows(closed) == 0


def test_a_funder_owed_money_without_an_iban_is_named(db_url: str, tmp_path: Path) -> None:
    engine = closed_example(db_url, tmp_path, without=("ZONMW", "ZV-LINGEZORG"))
    try:
        out = tmp_path / "refunds.xml"
        for attempt in (lambda: refunds_owed(engine, "2026"),
                        lambda: write_refund_payments(engine, "2026", out)):  # fmt: skip
            with pytest.raises(InputError) as refused:
                attempt()
            problems = [str(p) for p in refused.value.problems]
            assert len(problems) == 2
            assert all(p.startswith("network.toml: ") and "has no IBAN" in p for p in problems)
            assert any("ZONMW is owed EUR 95,178.12 from 2026" in p for p in problems)
            assert any(p.startswith("network.toml: ZV-LINGEZORG") for p in problems)
        assert not out.exists() and payment_records(engine) == [] and payment_rows(engine) == 0
    finally:
        engine.dispose()


def test_a_carry_over_funder_needs_no_iban(db_url: str, tmp_path: Path) -> None:
    engine = closed_example(db_url, tmp_path, without=("GEM-SANIVELD-WMO", "GEM-SANIVELD-JW"))
    try:
        report = write_refund_payments(engine, "2026", tmp_path / "refunds.xml")
        assert [p.funder for p in report.payments] == list(RETURNING)
    finally:
        engine.dispose()


def test_a_period_not_closed_is_refused(db_url: str, tmp_path: Path) -> None:
    engine = closed_example(db_url, tmp_path, close=False)
    try:
        out = tmp_path / "refunds.xml"
        with pytest.raises(LedgerError, match=r"period 2026 is not closed.*close it first"):
            write_refund_payments(engine, "2026", out)
        with pytest.raises(LedgerError, match="close it first"):
            refunds_owed(engine, "2026")
        assert not out.exists() and not list(tmp_path.glob(".*.partial"))
        assert payment_records(engine) == []
    finally:
        engine.dispose()


def test_the_paying_account_is_asked_for_when_there_are_several(
    db_url: str, tmp_path: Path
) -> None:
    engine = closed_example(db_url, tmp_path, accounts=(NETWORK_IBAN, SECOND_IBAN))
    try:
        out = tmp_path / "refunds.xml"
        with pytest.raises(LedgerError, match="--account IBAN"):
            write_refund_payments(engine, "2026", out)
        with pytest.raises(LedgerError, match="not one of the network's bank accounts"):
            write_refund_payments(engine, "2026", out, account=FUNDER_IBANS["ZONMW"])
        assert not out.exists() and payment_rows(engine) == 0
        pay_on = TODAY + datetime.timedelta(days=3)
        report = write_refund_payments(
            engine, "2026", out, account="NL38 RABO 0300 0000 01", execution_date=pay_on
        )
        assert report.debtor_iban == SECOND_IBAN
        root = ET.parse(out).getroot()
        assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == SECOND_IBAN
        # No BIC in network.toml: schwifty's for the IBAN's bank.
        assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "RABONL2U"
        assert root.findtext(".//p:ReqdExctnDt", namespaces=NS) == pay_on.isoformat()
    finally:
        engine.dispose()


def test_an_execution_date_in_the_past_is_refused(closed: Engine, tmp_path: Path) -> None:
    out = tmp_path / "refunds.xml"
    with pytest.raises(LedgerError, match="in the past"):
        write_refund_payments(
            closed, "2026", out, execution_date=TODAY - datetime.timedelta(days=1)
        )
    assert not out.exists() and payment_rows(closed) == 0


@pytest.mark.parametrize("where", ["file", "rows"])
def test_a_failure_while_writing_leaves_neither_file_nor_record(
    closed: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A full disk while the file is written, or a database error after the record was
    appended (the rows): the transaction rolls back and the temporary file goes."""

    def disk_full(path: Path, content: bytes) -> None:
        path.write_bytes(content[:100])
        raise OSError(28, "No space left on device")

    def rows_fail(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the database went away")

    if where == "file":
        monkeypatch.setattr(payments_module, "_write_synced", disk_full)
    else:
        monkeypatch.setattr(payments_module, "insert", rows_fail)
    out = tmp_path / "refunds.xml"
    with pytest.raises((OSError, RuntimeError)):
        write_refund_payments(closed, "2026", out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".xml", ".partial")) == []
    assert payment_records(closed) == [] and payment_rows(closed) == 0
    monkeypatch.undo()
    # Nothing half-done stands in the way: the next run writes the file.
    assert write_refund_payments(closed, "2026", out).file == out and out.exists()


def test_a_crash_before_the_rename_leaves_a_record_that_refuses_a_second_file(
    closed: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed, then the process dies before the rename: the record names the file, the
    complete bytes lie beside it under the temporary name, and a second run is refused
    (never a file the bank could pay twice without a record)."""

    def crash(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(payments_module.AtomicFile, "publish", crash)
    monkeypatch.setattr(payments_module.AtomicFile, "__exit__", lambda *args: None)
    out = tmp_path / "refunds.xml"
    with pytest.raises(KeyboardInterrupt):
        write_refund_payments(closed, "2026", out)
    monkeypatch.undo()
    assert not out.exists()
    [partial] = tmp_path.glob(".refunds.xml.*.partial")
    [record] = payment_records(closed)
    assert record["file_sha256"] == hashlib.sha256(partial.read_bytes()).hexdigest()
    with pytest.raises(LedgerError, match=r"no longer at that path.*--again"):
        write_refund_payments(closed, "2026", tmp_path / "other.xml")
    assert write_refund_payments(closed, "2026", out, again=True).file == out


def test_the_matcher_marks_payments_paid_or_returned(closed: Engine, tmp_path: Path) -> None:
    report = write_refund_payments(closed, "2026", tmp_path / "refunds.xml")
    first, second = report.payments[0].end_to_end_id, report.payments[1].end_to_end_id
    with writing(closed) as connection:
        found = payment_by_end_to_end_id(connection, first)
        assert found is not None and found.status == "sent" and found.funder == "ZK-REGIO"
        assert found.amount_cents == report.payments[0].cents
        assert payment_by_end_to_end_id(connection, "NF-REFUND-2026-99") is None
        mark_paid(connection, first, "STMT-1/4")
        mark_paid(connection, first, "STMT-1/4")  # the same statement again: no change
        with pytest.raises(LedgerError, match="paid already"):
            mark_paid(connection, first, "STMT-2/1")
        mark_returned(connection, second, "STMT-1/5")
        with pytest.raises(LedgerError, match="no payment file holds"):
            mark_paid(connection, "NF-REFUND-2026-99", "STMT-1/6")
    statuses = {r.end_to_end_id: (r.status, r.bank_line_ref) for r in read_payments(closed)}
    assert statuses[first] == ("paid", "STMT-1/4")
    assert statuses[second] == ("returned", "STMT-1/5")
    # Only the refunds still in a file unpaid stand in the way of a new one.
    with pytest.raises(LedgerError, match="ZV-LINGEZORG's refund of 2026"):
        write_refund_payments(closed, "2026", tmp_path / "next.xml")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Gemeente Saniveld – Wmo 2015", "Gemeente Saniveld - Wmo 2015"),
        ("Zorg & Welzijn_Noord!  <b>", "Zorg + Welzijn Noord b"),
        ("Stichting Ĳsselmonde é ß", "Stichting IJsselmonde e ss"),
        ("x" * 80, "x" * 70),
    ],
)
def test_names_are_written_in_sepa_characters_within_70(given: str, expected: str) -> None:
    assert sepa_text(given, 70) == expected


def test_the_record_content_is_canonical_json(closed: Engine, tmp_path: Path) -> None:
    """The stored record parses back to what the report says (no floats, cents as integers)."""
    write_refund_payments(closed, "2026", tmp_path / "refunds.xml")
    with reading(closed) as connection:
        content = connection.execute(
            text("SELECT content FROM ledger_records WHERE kind = 'payment-file'")
        ).scalar_one()
    document = json.loads(content)
    assert all(isinstance(p["cents"], int) for p in document["payments"])
    assert document["total_cents"] == sum(p["cents"] for p in document["payments"])


def test_the_audit_trail_shows_the_payment_file(closed: Engine, tmp_path: Path) -> None:
    first = write_refund_payments(closed, "2026", tmp_path / "refunds.xml")
    again = write_refund_payments(closed, "2026", tmp_path / "new.xml", again=True)
    entries = [e for e in audit_trail(closed, period="2026") if e.event == "payment file"]
    assert [e.seq for e in entries] == [first.record_seq, again.record_seq]
    assert entries[0].summary == (
        f"payment file NF-PAY-2026-1: refunds of 2026, 4 payments, 680,733.53, to "
        f"{(tmp_path / 'refunds.xml').resolve()}"
    )
    assert entries[1].summary.endswith(
        "(writes anew NF-REFUND-2026-1, NF-REFUND-2026-2, NF-REFUND-2026-3, NF-REFUND-2026-4)"
    )
    assert entries[0].actor == first.by and entries[0].periods == ("2026",)


def test_writers_at_the_same_time_write_one_file(
    closed: Engine, db_url: str, tmp_path: Path
) -> None:
    """Three administrators run pay refunds at once (three processes): the chain lock makes
    them take turns, so one file is written and the others are refused as double payments."""
    netfund = Path(sys.executable).with_name("netfund")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETFUND_")}
    processes = [
        subprocess.Popen(
            [
                str(netfund),
                "--db",
                db_url,
                "pay",
                "refunds",
                "--period",
                "2026",
                "--out",
                str(tmp_path / f"refunds-{n}.xml"),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    results = [(p.returncode, out) for p, out in zip(processes, outputs, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2], results
    refusals = [json.loads(out)["message"] for code, out in results if code == 2]
    assert all("not yet on a bank statement" in message for message in refusals)
    assert len(list(tmp_path.glob("refunds-*.xml"))) == 1
    assert len(payment_records(closed)) == 1 and payment_rows(closed) == len(RETURNING)


def test_the_bank_statement_books_the_refunds_by_their_end_to_end_ids(
    closed: Engine, tmp_path: Path
) -> None:
    """The round trip: the file's payments come back as debits on the network's statement
    (camt.053, as the bank writes it); the importer finds each by its end-to-end id, books
    the refund and marks it paid, so nothing is owed any more. A payment the bank returns
    (AC04: account closed) is owed again, and a new file pays it without --again."""
    report = write_refund_payments(closed, "2026", tmp_path / "refunds.xml")
    day = datetime.date(2027, 1, 5)
    debits = [
        bank_line(
            day,
            -p.cents,
            ref=f"DEB-{n}",
            counterparty_iban=p.iban,
            counterparty_name=p.name,
            remittance="Terugbetaling niet-besteed 2026",
            end_to_end_id=p.end_to_end_id,
        )
        for n, p in enumerate(report.payments, start=1)
    ]
    january = statement(
        NETWORK_IBAN,
        "2027-01",
        debits,
        opening_cents=report.total_cents,
        from_date=day,
        to_date=day,
    )
    imported = import_bank_statements(
        closed, write_bank_file(tmp_path / "jan.xml", [january], "camt.053.001.08")
    )
    assert [r.status for r in imported.statements[0].results] == ["booked"] * len(debits)
    rows = {r.end_to_end_id: r for r in read_payments(closed)}
    assert {(r.status, r.bank_line_ref) for r in rows.values()} == {
        ("paid", f"DEB-{n}") for n in range(1, len(debits) + 1)
    }
    assert refunds_owed(closed, "2026") == []
    assert write_refund_payments(closed, "2026", tmp_path / "nothing.xml").file is None

    zonmw = next(p for p in report.payments if p.funder == "ZONMW")
    back_day = datetime.date(2027, 1, 8)
    returned = bank_line(
        back_day,
        zonmw.cents,
        ref="RET-1",
        counterparty_iban=zonmw.iban,
        end_to_end_id=zonmw.end_to_end_id,
        returned=True,
        return_reason="AC04",
    )
    later = statement(
        NETWORK_IBAN,
        "2027-01b",
        [returned],
        opening_cents=january.closing_cents,
        from_date=back_day,
        to_date=back_day,
    )
    import_bank_statements(
        closed, write_bank_file(tmp_path / "back.xml", [later], "camt.053.001.08")
    )
    assert {r.funder: r.status for r in read_payments(closed)}["ZONMW"] == "returned"
    assert [(r.funder, r.cents) for r in refunds_owed(closed, "2026")] == [("ZONMW", zonmw.cents)]
    again = write_refund_payments(closed, "2026", tmp_path / "zonmw.xml")
    assert [(p.funder, p.cents) for p in again.payments] == [("ZONMW", zonmw.cents)]
    assert again.replaces == ()
