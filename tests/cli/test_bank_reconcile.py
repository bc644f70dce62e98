"""`netfund bank reconcile`: the table, the JSON and the refusal without a statement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.examples.bank_files import write
from netfund.ledger import connect, import_parsed

from tests.ledger.bank.test_reconcile import EVENTS, SAVINGS_IBAN, _import_statements
from tests.support.bank_statements import (
    GEM_IBAN,
    STRANGER_IBAN,
    SUPPLIER_IBAN,
    ledger_with_savings,
    line,
    statement,
)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> str:
    return ledger_with_savings(db_url, tmp_path, SAVINGS_IBAN, EVENTS)


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, "bank", "reconcile", *args])


def test_without_a_statement_it_says_how_to_import_one(ledger: str) -> None:
    result = _run(ledger)
    assert result.exit_code == 2
    assert "no bank statement imported yet: netfund bank import FILE" in result.output
    result = _run(ledger, "--json")
    assert result.exit_code == 2
    assert "no bank statement imported yet" in json.loads(result.stdout)["message"]


def test_the_table_shows_balances_the_explanations_and_the_verdict(ledger: str) -> None:
    engine = connect(ledger)
    _import_statements(engine)
    engine.dispose()
    result = _run(ledger, "--as-of", "2026-03-31")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "NL91 ABNA 0417 1643 00  Stichting Testnetwerk  2026-03-31" in out
    assert "bank (the accounts together)      EUR 480.00" in out
    assert "ledger (Assets:Bank, every fund)  EUR 470.00" in out
    assert "difference (ledger - bank)        EUR -10.00" in out
    assert "on the bank statement, not in the ledger" in out
    assert "in the ledger, not on a bank statement" in out
    assert "R-TYPED" in out and "Onbekend (NL38RABO0300000001)" in out
    assert "subtotal" in out and "-30.00" in out  # timing: +70.00 - 100.00
    assert out.rstrip().endswith(
        "not reconciled as of 2026-03-31: the ledger differs from the bank by EUR -10.00 "
        "(explained above)"
    )


def test_json_follows_status_money_and_adds_up(ledger: str) -> None:
    engine = connect(ledger)
    _import_statements(engine)
    engine.dispose()
    result = _run(ledger, "--as-of", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["bank"], found["ledger"], found["difference"]) == ("480.00", "470.00", "-10.00")
    assert found["reconciled"] is False
    subtotals = [found["explanations"][kind]["subtotal"] for kind in found["explanations"]]
    assert sum(int(s.replace(".", "")) for s in subtotals) == -1_000
    assert found["unmatched"] == {"count": 2, "in": "50.00", "out": "20.00"}
    assert found["accounts"][1]["iban"] == SAVINGS_IBAN


def test_a_bad_date_is_a_usage_error(ledger: str) -> None:
    result = _run(ledger, "--as-of", "31-03-2026")
    assert result.exit_code == 2 and "--as-of" in result.output


def test_reconciled_says_so(ledger: str) -> None:
    engine = connect(ledger)
    try:
        # Only the opening balance: the ledger's 100.00 before it, and nothing since.
        import_parsed(
            engine,
            [statement("S0", 10_000, [], start="2026-02-01", end="2026-02-28")],
            "feb.xml",
        )
    finally:
        engine.dispose()
    result = _run(ledger)
    assert result.exit_code == 0
    assert result.output.rstrip().endswith(
        "reconciled as of 2026-02-28: the ledger and the bank agree"
    )
    # Status as of the end of February: no bank warning, and it says they agree.
    status = _status(ledger, "--as-of", "2026-02-28")
    assert "the ledger agrees with the bank as of 2026-02-28" in status.output
    assert "netfund bank reconcile" in status.output and "differs" not in status.output


def _status(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, "status", "--period", "2026", *args])


def test_status_warns_when_the_ledger_and_the_bank_differ(ledger: str) -> None:
    before = json.loads(_status(ledger, "--json").stdout)
    assert "bank" not in before
    assert not [w for w in before["warnings"] if w["subject"] == "bank"]
    engine = connect(ledger)
    _import_statements(engine)
    engine.dispose()
    # As of the newest statement (30 April), the status's as-of being later.
    document = json.loads(_status(ledger, "--json").stdout)
    bank = [w["message"] for w in document["warnings"] if w["subject"] == "bank"]
    assert bank == [
        "the ledger's bank balance EUR 570.00 differs from the bank's EUR 550.00 "
        "(statement of 2026-04-30) by EUR 20.00: netfund bank reconcile",
        "2 bank lines are not matched (EUR 50.00 in, EUR 20.00 out): netfund bank unmatched",
    ]
    assert document["bank"] == {
        "as_of": "2026-04-30",
        "statement_date": "2026-04-30",
        "reconciled": False,
        "bank": "550.00",
        "ledger": "570.00",
        "difference": "20.00",
        "unmatched": {"count": 2, "in": "50.00", "out": "20.00"},
    }
    # An earlier as-of: the reconciliation of that day.
    march = json.loads(_status(ledger, "--as-of", "2026-03-31", "--json").stdout)
    assert march["bank"]["difference"] == "-10.00"
    assert march["bank"]["statement_date"] == "2026-03-31"
    text = _status(ledger).output
    assert "differs from the bank's EUR 550.00" in text
    assert "netfund bank unmatched" in text


def test_from_real_files_through_bank_import_with_rules(ledger: str, tmp_path: Path) -> None:
    """End to end: a camt file and an MT940 file imported by `netfund bank import --rules`,
    then reconciled; the printer's debit, booked by its rule, no longer needs explaining."""
    march = [
        line("B1", "2026-02-16", 25_000, iban=GEM_IBAN, name="Gemeente"),
        line("B2", "2026-02-17", 5_000, iban=STRANGER_IBAN, name="Onbekend", remittance="gift"),
        line(
            "B4",
            "2026-03-20",
            -2_000,
            iban=SUPPLIER_IBAN,
            name="Drukkerij",
            remittance="folders maart",
        ),
        line("B3", "2026-03-31", 10_000, iban=GEM_IBAN, remittance="GEM-Q2-2026"),
    ]
    first = statement("S1", 10_000, march, start="2026-02-01", end="2026-03-31")
    april = [line("B5", "2026-04-03", 7_000, iban=GEM_IBAN, remittance="GEM-X1-2026")]
    second = statement("S2", first.closing_cents, april, start="2026-04-01", end="2026-04-30")
    rules = tmp_path / "bank-rules.toml"
    rules.write_text('[[rules]]\nname = "drukkerij"\ngroup = "WG-A"\n', encoding="utf-8")
    for path, month, fmt in (
        (tmp_path / "march.xml", first, "camt.053.001.08"),
        (tmp_path / "april.sta", second, "mt940"),
    ):
        write(path, [month], fmt)
        imported = CliRunner().invoke(
            cli, ["--db", ledger, "bank", "import", str(path), "--rules", str(rules)]
        )
        assert imported.exit_code == 0, imported.output
    result = _run(ledger, "--as-of", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    # The ledger: 100 + 250 + 50 (typed) + 70 (dated early) - 20 (the rule's expense).
    assert (found["bank"], found["ledger"], found["difference"]) == ("480.00", "450.00", "-30.00")
    explained = found["explanations"]
    assert [item["ref"] for item in explained["bank_only"]["lines"]] == ["B2"]
    assert explained["timing"]["subtotal"] == "-30.00"
    assert explained["ledger_only"]["subtotal"] == "50.00"
    assert found["unmatched"] == {"count": 1, "in": "50.00", "out": "0.00"}
    assert any(SAVINGS_IBAN in warning for warning in found["warnings"])
