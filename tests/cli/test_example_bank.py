"""The example year runs from its bank statements (issue 19): by hand as the README says, it
reconciles to the cent, gives the demo's figures, and the MT940 file gives the same ledger as
the camt file; the camt file is valid against the official camt.053.001.08 XSD, and the
committed bank files are what generate.py writes.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sepaxml
from click.testing import CliRunner
from lxml import etree
from netfund.cli.main import cli
from netfund.examples.bank_files import bank_line
from netfund.examples.bank_files import statement as bank_statement
from netfund.examples.bank_files import write as write_bank_file
from netfund.ledger import read_statements

from tests.conftest import EXAMPLE
from tests.support.saniveld import CAMT, MT940, RULES, receipts_csv, year_steps
from tests.support.statements import FUNDERS

#: What the funders paid in 2026: all they committed, except Lingezorg (60% of its last
#: tranche held back until the settlement of realised care).
RECEIVED = {
    "GEM-SANIVELD-WMO": "4218350.40",
    "GEM-SANIVELD-JW": "1796212.75",
    "ZK-REGIO": "1204880.00",
    "ZV-NOORDWAARD": "698425.50",
    "ZV-LINGEZORG": "407079.00",
    "ZONMW": "449968.00",
}
#: The statement's lines: 24 receipts and 12 months of bank costs booked; the 270 expenses and
#: the refund of spending.csv linked.
LINES, BOOKED, LINKED = 307, 36, 271
#: The fund's balance at the bank on 31 December 2026.
CLOSING = "1988138.60"


def _ok(url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def _figures(url: str) -> dict[str, tuple[str, str, str]]:
    """Per funder (received, spent, unspent) as `status --json` has them."""
    status = _ok(url, "status", "--json")
    return {
        line["funder"]: (line["received"], line["spent"], line["unspent"])
        for line in status["funders"]
    }


@pytest.fixture(scope="module")
def demo_figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of `netfund demo` (in this process): its JSON and its per-funder figures."""
    folder = tmp_path_factory.mktemp("demo") / "netfund-demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{folder / 'netfund.db'}"
    return {"summary": json.loads(result.stdout), "figures": _figures(url)}


def test_the_year_by_hand_from_the_bank_reconciles_and_gives_the_demos_figures(
    db_url: str, demo_figures: dict[str, Any]
) -> None:
    *before, bank = year_steps()
    for args in before:
        _ok(db_url, *args)
    # Before the statement, nothing has come in: the money in is the bank's.
    assert {received for received, _, _ in _figures(db_url).values()} == {"0.00"}

    imported = _ok(db_url, *bank, "--json")
    statements = imported["statements"]
    assert [s["statement_id"] for s in statements] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert sum(s["added"] for s in statements) == LINES
    assert sum(s["booked"] for s in statements) == BOOKED
    assert sum(s["linked"] for s in statements) == LINKED
    assert sum(s["unmatched"] for s in statements) == 0
    results = [item for s in statements for item in s["results"]]
    receipts = [item for item in results if item["explanation"].startswith("receipt of ")]
    costs = [item for item in results if "expense of PROGRAMMABUREAU" in item["explanation"]]
    assert (len(receipts), len(costs)) == (24, 12)
    # The municipality pays Wmo and Jeugdwet from one account: the remittance decides.
    municipality = [item for item in receipts if item["counterparty"].startswith("Gemeente")]
    assert len(municipality) == 8
    assert all("named in the remittance" in item["explanation"] for item in municipality)
    assert statements[-1]["closing_balance"] == CLOSING

    reconciled = _ok(db_url, "bank", "reconcile", "--as-of", "2026-12-31", "--json")
    assert reconciled["reconciled"] is True
    assert (reconciled["bank"], reconciled["ledger"], reconciled["difference"]) == (
        CLOSING,
        CLOSING,
        "0.00",
    )
    assert reconciled["unmatched"]["count"] == 0
    assert _ok(db_url, "bank", "unmatched", "--json") == []

    figures = _figures(db_url)
    assert {code: received for code, (received, _, _) in figures.items()} == RECEIVED
    assert figures == demo_figures["figures"]
    # What is left at the bank is what the funders have not spent.
    unspent = sum(int(u.replace(".", "")) for _, _, u in figures.values())
    assert unspent == int(CLOSING.replace(".", ""))

    # The statement again adds nothing (each line is known by the bank's reference).
    again = _ok(db_url, *bank, "--json")
    assert again["posted"] == 0 and all(s["record"] is None for s in again["statements"])


def _ledger_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The ledger as figures, without the chain's hashes and the import's records (which
    name the file): transactions, postings and the bank lines' outcome."""
    connection = sqlite3.connect(path)
    try:
        return {
            "transactions": connection.execute(
                "SELECT external_id, date, type, period, description, reference "
                "FROM transactions ORDER BY id"
            ).fetchall(),
            "postings": connection.execute(
                'SELECT t.external_id, p.line_no, p.account, p.fund, p."group", p.amount_cents '
                "FROM postings p JOIN transactions t ON t.id = p.txn_id "
                "ORDER BY t.id, p.line_no"
            ).fetchall(),
            "bank_lines": connection.execute(
                "SELECT ref, booking_date, amount_cents, counterparty_iban, counterparty_name, "
                "remittance, end_to_end_id, status, txn_external_id FROM bank_lines ORDER BY ref"
            ).fetchall(),
        }
    finally:
        connection.close()


def test_the_mt940_file_gives_the_same_ledger_as_the_camt_file(tmp_path: Path) -> None:
    *before, _bank = year_steps()
    spent = tmp_path / "spent.db"
    for args in before:
        _ok(f"sqlite:///{spent}", *args)
    ledgers = {}
    for name, statement in (("camt", CAMT), ("mt940", MT940)):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(spent, path)
        url = f"sqlite:///{path}"
        imported = _ok(url, "bank", "import", str(statement), "--rules", str(RULES), "--json")
        assert sum(s["unmatched"] for s in imported["statements"]) == 0, name
        assert _ok(url, "bank", "reconcile", "--json")["reconciled"] is True, name
        ledgers[name] = (_ledger_rows(path), _figures(url), imported["head_hash"])
    camt, mt940 = ledgers["camt"], ledgers["mt940"]
    assert len(camt[0]["transactions"]) == 350 and len(camt[0]["bank_lines"]) == LINES
    assert camt[0] == mt940[0]
    assert camt[1] == mt940[1]
    # The same transactions: the same ledger fingerprint (the file read is in the records).
    assert camt[2] == mt940[2]


def test_the_camt_file_is_valid_against_the_official_xsd() -> None:
    xsd = importlib.metadata.distribution("camt053").locate_file("camt053/xsd/camt.053.001.08.xsd")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    document = etree.parse(str(CAMT))
    assert schema.validate(document), schema.error_log
    namespace = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}
    statements = document.findall("c:BkToCstmrStmt/c:Stmt", namespace)
    assert [s.findtext("c:Id", namespaces=namespace) for s in statements] == [
        f"2026-{month:02d}" for month in range(1, 13)
    ]
    opening = statements[0].find("c:Bal", namespace)
    assert opening is not None
    assert opening.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=namespace) == "OPBD"
    assert opening.findtext("c:Amt", namespaces=namespace) == "0.00"
    # Batches: the overhead groups' and the partners' monthly invoices, one entry each.
    batches = document.findall("c:BkToCstmrStmt/c:Stmt/c:Ntry/c:NtryDtls/c:Btch", namespace)
    assert len(batches) == 24
    # The schema is strict: a balance of an unknown type is refused.
    broken = etree.fromstring(CAMT.read_bytes().replace(b"<Cd>OPBD</Cd>", b"<Cd>OPENING</Cd>", 1))
    assert not schema.validate(broken)


#: What generate.py writes.
WRITTEN = (
    "events.csv",
    "spending.csv",
    "bank/2026.camt053.xml",
    "bank/2026.mt940",
    "indicators.csv",
)


def test_the_committed_example_files_are_what_generate_py_writes(tmp_path: Path) -> None:
    """generate.py is deterministic and its checks pass: run on a copy of the example, it
    writes the committed events, spending, bank and indicator files byte for byte."""
    copy = tmp_path / "saniveld"
    shutil.copytree(EXAMPLE, copy)
    for written in WRITTEN:
        (copy / written).unlink()
    completed = subprocess.run(
        [sys.executable, str(copy / "generate.py")], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "all checks passed" in completed.stdout
    for written in WRITTEN:
        assert (copy / written).read_bytes() == (EXAMPLE / written).read_bytes(), written
    events = (EXAMPLE / "events.csv").read_text(encoding="utf-8")
    assert ",receipt," not in events  # the money in is on the bank statement


def test_generate_py_refuses_a_statement_that_does_not_pay_an_expense(tmp_path: Path) -> None:
    """Its bank check compares the statement with spending.csv: an expense the bank does not
    pay (its amount changed after the statement was written) is reported."""
    copy = tmp_path / "saniveld"
    shutil.copytree(EXAMPLE, copy)
    script = (copy / "generate.py").read_text(encoding="utf-8")
    # Check the committed files as they stand, after spending.csv is changed by hand.
    script = script.replace("    write(rows)\n    write_bank(rows, network)\n", "")
    (copy / "generate.py").write_text(script, encoding="utf-8")
    spending = (copy / "spending.csv").read_text(encoding="utf-8")
    (copy / "spending.csv").write_text(
        spending.replace(",15221.67,", ",15221.68,", 1), encoding="utf-8"
    )
    completed = subprocess.run(
        [sys.executable, str(copy / "generate.py")], capture_output=True, text=True, check=False
    )
    assert completed.returncode != 0
    assert "does not pay 2026-E-01-CLUSTERCOORDINATIE on its date and for its amount" in (
        completed.stderr
    )


def test_the_funders_of_the_example_are_the_statements_payers() -> None:
    """Every funder has an account in network.toml, and the municipality's two funds share
    one (so the example shows the remittance deciding)."""
    from netfund.ledger import load_network

    network = load_network(EXAMPLE / "network.toml")
    assert [f.code for f in network.funders] == FUNDERS
    assert all(f.ibans for f in network.funders)
    wmo, jeugd = network.funder("GEM-SANIVELD-WMO"), network.funder("GEM-SANIVELD-JW")
    assert wmo is not None and jeugd is not None and wmo.ibans == jeugd.ibans
    assert [a.name for a in network.bank_accounts] == ["Stichting Netwerkfonds Saniveld"]


def test_the_receipts_other_tests_import_are_the_statements(tmp_path: Path) -> None:
    """`receipts_csv` (the money in for tests whose network names other accounts) holds what
    the bank import books: per funder, the year's receipts."""
    import csv

    with receipts_csv(tmp_path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    totals: dict[str, int] = dict.fromkeys(RECEIVED, 0)
    for row in rows:
        totals[row["funder"]] += int(row["amount"].replace(".", ""))
    assert {code: f"{cents // 100}.{cents % 100:02d}" for code, cents in totals.items()} == (
        RECEIVED
    )


def test_the_closed_years_refunds_go_out_as_pain001_and_the_next_statement_matches_them(
    tmp_path: Path,
) -> None:
    """Done when (issue 19): the example year from its bank statement, closed; its refunds go
    out as a pain.001 file valid against its XSD; the bank pays them (its January statement,
    written here from the file as the bank would: each debit with the payment's end-to-end id
    and amount, to the creditor's account); importing that statement books every refund,
    nothing is owed any more, and the ledger still reconciles with the bank to the cent."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for args in year_steps():
        _ok(url, *args)
    _ok(url, "close", "2026", "--force", "--reason", "books complete")
    owed = {
        row["fund"]: row["balance"]
        for row in _ok(url, "balance", "--by", "account,fund", "--json")
        if row["account"] == "Liabilities:Refundable"
    }
    out = tmp_path / "refunds-2026.xml"
    paid = _ok(url, "pay", "refunds", "--period", "2026", "--out", str(out), "--json")
    assert {p["funder"]: "-" + p["amount"] for p in paid["payments"]} == {
        fund: balance for fund, balance in owed.items() if balance != "0.00"
    }
    xsd = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
    etree.XMLSchema(etree.parse(str(xsd))).assertValid(etree.parse(str(out)))
    # The bank: one debit per credit transfer of the file, as its statement reports it.
    namespace = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    document = etree.parse(str(out))
    debits = []
    for number, transfer in enumerate(document.iterfind(".//p:CdtTrfTxInf", namespace), 1):
        cents = int(Decimal(transfer.findtext("p:Amt/p:InstdAmt", namespaces=namespace)) * 100)
        debits.append(
            bank_line(
                datetime.date(2027, 1, 6),
                -cents,
                ref=f"2027-0106-{number:03d}",
                counterparty_iban=transfer.findtext(
                    ".//p:CdtrAcct/p:Id/p:IBAN", namespaces=namespace
                ),
                counterparty_name=transfer.findtext("p:Cdtr/p:Nm", namespaces=namespace),
                remittance=transfer.findtext(".//p:Ustrd", namespaces=namespace),
                end_to_end_id=transfer.findtext(".//p:EndToEndId", namespaces=namespace),
            )
        )
    last = read_statements(CAMT)[-1]
    january = bank_statement(
        last.account_iban,
        "2027-01",
        debits,
        opening_cents=last.closing_cents,
        from_date=datetime.date(2027, 1, 1),
        to_date=datetime.date(2027, 1, 31),
    )
    statement_file = write_bank_file(tmp_path / "2027-01.xml", [january], "camt.053.001.08")
    imported = _ok(url, "bank", "import", str(statement_file), "--json")
    results = imported["statements"][0]["results"]
    assert [r["status"] for r in results] == ["booked"] * len(debits)
    assert all("paid: NF-REFUND-2026-" in r["explanation"] for r in results)
    balances = _ok(url, "balance", "--by", "account,fund", "--json")
    assert {row["balance"] for row in balances if row["account"] == "Liabilities:Refundable"} <= {
        "0.00"
    }
    assert _ok(url, "pay", "refunds", "--period", "2026", "--out", str(tmp_path / "n.xml"),
               "--json")["payments"] == []  # fmt: skip
    reconciled = _ok(url, "bank", "reconcile", "--json")
    assert reconciled["reconciled"] is True and reconciled["difference"] == "0.00"
    _ok(url, "verify")
