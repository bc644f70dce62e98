"""``netfund pay refunds``: what it prints, its JSON, its refusals (exit 2, nothing written)
and nothing owed (exit 0, no file)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema

from tests.conftest import write_events
from tests.support.payments import closed_example

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Path]:
    """The example's ledger with IBANs, 2026 closed; yields a folder for the files."""
    engine = closed_example(db_url, tmp_path)
    engine.dispose()
    out = tmp_path / "out"
    out.mkdir()
    yield out


def test_pay_refunds_prints_each_payment_and_what_to_do_next(run_cli: Any, ledger: Path) -> None:
    out = ledger / "refunds-2026.xml"
    result = run_cli("pay", "refunds", "--period", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    xmlschema.XMLSchema(str(XSD)).validate(str(out))
    text = result.output
    assert "ZONMW" in text and "NL34 BNGH 0285 0000 01" in text and "95,178.12" in text
    assert "ZK-REGIO" in text and "324,409.96" in text
    assert "GEM-SANIVELD-WMO" not in text  # carry_over: owed nothing
    assert "total 680,733.53 in 4 payments" in text
    assert hashlib.sha256(out.read_bytes()).hexdigest() in text
    assert "netfund bank import FILE" in text


def test_pay_refunds_json_and_a_second_run_refused(run_cli: Any, ledger: Path) -> None:
    out = ledger / "refunds.xml"
    result = run_cli("pay", "refunds", "--period", "2026", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert [p["funder"] for p in document["payments"]] == [
        "ZK-REGIO",
        "ZV-NOORDWAARD",
        "ZV-LINGEZORG",
        "ZONMW",
    ]
    assert document["total"] == "680733.53" and document["replaces"] == []
    second = ledger / "second.xml"
    refused = run_cli("pay", "refunds", "--period", "2026", "--out", str(second), "--json")
    assert refused.exit_code == 2
    error = json.loads(refused.output)
    assert "not yet on a bank statement" in error["message"] and "--again" in error["message"]
    assert not second.exists()
    again = run_cli("pay", "refunds", "--period", "2026", "--out", str(second), "--again")
    assert again.exit_code == 0, again.output
    assert "replaces NF-REFUND-2026-1, NF-REFUND-2026-2" in again.output


def test_nothing_owed_exits_0_and_writes_no_file(
    run_cli: Any, ledger: Path, tmp_path: Path
) -> None:
    rows = [
        f"BACK-{fund},2027-01-10,refund,{fund},,{amount},Terugbetaling,BANK-{fund}"
        for fund, amount in [
            ("ZK-REGIO", "324409.96"),
            ("ZV-NOORDWAARD", "180575.18"),
            ("ZV-LINGEZORG", "80570.27"),
            ("ZONMW", "95178.12"),
        ]
    ]
    assert run_cli("import", str(write_events(tmp_path / "back.csv", rows))).exit_code == 0
    out = ledger / "refunds.xml"
    result = run_cli("pay", "refunds", "--period", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "nothing owed for 2026" in result.output
    assert not out.exists() and list(ledger.iterdir()) == []
    as_json = run_cli("pay", "refunds", "--period", "2026", "--out", str(out), "--json")
    assert json.loads(as_json.output)["payments"] == [] and not out.exists()


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--period", "2025"], "period 2025 is not closed"),
        (["--period", "2026", "--date", "2026-02-30"], "--date"),
        (["--period", "2026", "--date", "2020-01-01"], "in the past"),
        (["--period", "2026", "--account", "NL00 XXXX 1234"], "not a valid IBAN"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(
    run_cli: Any, ledger: Path, arguments: list[str], says: str
) -> None:
    out = ledger / "refunds.xml"
    result = run_cli("pay", "refunds", *arguments, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert list(ledger.iterdir()) == []
