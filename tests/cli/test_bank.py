"""`netfund bank import | unmatched | assign` as an administrator uses them, on real files:
what each line became and why, the refusals with file:line and nothing written, and JSON."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from netfund.cli.main import cli
from netfund.examples.bank_files import bank_line, statement, write

from tests.conftest import NETWORK_TOML, write_events
from tests.support.bank_statements import (
    GEM_IBAN,
    NETWORK_IBAN,
    STRANGER_IBAN,
    SUPPLIER_IBAN,
    with_bank,
)

D = datetime.date


@pytest.fixture
def ledger(tmp_path: Path, db_url: str) -> str:
    network = tmp_path / "network.toml"
    network.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    events = write_events(
        tmp_path / "events.csv",
        [
            "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESLUIT-GEM-2026",
            "A-GEM,2026-01-06,allocation,GEM,WG-A,600.00,Toewijzing,",
        ],
    )
    for args in (("init", str(network)), ("import", str(events))):
        result = CliRunner().invoke(cli, ["--db", db_url, *args])
        assert result.exit_code == 0, result.output
    return db_url


def _february(path: Path, *, fmt: str = "camt.053.001.08") -> Path:
    lines = [
        bank_line(D(2026, 2, 16), 25_000, ref="F-1", counterparty_iban=GEM_IBAN,
                  counterparty_name="Gemeente", remittance="BESLUIT-GEM-2026 Q1"),
        bank_line(D(2026, 2, 20), -1_250, ref="F-2", counterparty_iban=SUPPLIER_IBAN,
                  counterparty_name="Drukkerij", remittance="folders"),
        bank_line(D(2026, 2, 25), 5_000, ref="F-3", counterparty_iban=STRANGER_IBAN,
                  counterparty_name="Onbekend"),
    ]  # fmt: skip
    month = statement(NETWORK_IBAN, "2026-02", lines, opening_cents=0,
                      from_date=D(2026, 2, 1), to_date=D(2026, 2, 28))  # fmt: skip
    return write(path, [month], fmt)


def _run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_prints_each_line_and_why_then_assign_books_the_rest(
    ledger: str, tmp_path: Path
) -> None:
    file = _february(tmp_path / "feb.xml")
    code, out, _ = _run(ledger, "bank", "import", str(file))
    assert code == 0, out
    assert "1 booked, 0 linked, 2 unmatched" in out
    assert "receipt of GEM" in out and "2 line(s) not matched: netfund bank unmatched" in out
    code, out, _ = _run(ledger, "bank", "unmatched", "--json")
    listed = json.loads(out)
    assert [(row["ref"], row["amount"]) for row in listed] == [("F-2", "-12.50"), ("F-3", "50.00")]
    code, out, _ = _run(ledger, "bank", "assign", "F-2", "--group", "WG-A", "--json")
    assert code == 0, out
    decided = json.loads(out)["decided"]
    assert decided[0]["status"] == "booked" and "expense of WG-A" in decided[0]["explanation"]
    # Money in is a funder's receipt, never a group's expense: refused, nothing written.
    code, out, _ = _run(ledger, "bank", "assign", "F-3", "--group", "WG-A", "--json")
    assert code == 2 and "give --funder" in json.loads(out)["message"]
    code, out, _ = _run(ledger, "bank", "unmatched")
    assert "F-3" in out and "F-2" not in out
    # The same file again adds nothing.
    code, out, _ = _run(ledger, "bank", "import", str(file))
    assert code == 0 and "imported before, nothing new (3 lines)" in out


def test_the_same_month_as_mt940_after_the_camt_file_adds_nothing(
    ledger: str, tmp_path: Path
) -> None:
    assert _run(ledger, "bank", "import", str(_february(tmp_path / "feb.xml")))[0] == 0
    mt940 = _february(tmp_path / "feb.sta", fmt="mt940")
    code, out, _ = _run(ledger, "bank", "import", str(mt940), "--json")
    assert code == 0, out
    assert json.loads(out)["statements"][0]["added"] == 0


def test_a_statement_that_does_not_add_up_is_refused_with_its_line_in_json(
    ledger: str, tmp_path: Path
) -> None:
    file = _february(tmp_path / "feb.xml")
    text = file.read_text(encoding="utf-8")
    # The bank's closing balance changed by a cent: the file is still XSD-valid.
    closing = text.rindex('<Amt Ccy="EUR">287.50</Amt>')
    file.write_text(text[:closing] + '<Amt Ccy="EUR">287.51</Amt>' + text[closing + 27 :])
    code, out, _ = _run(ledger, "bank", "import", str(file), "--json")
    assert code == 2
    problem = json.loads(out)["problems"][0]
    assert problem["file"] == "feb.xml" and problem["line"] > 1
    assert "does not add up" in problem["message"] and "EUR 287.51" in problem["message"]
    assert json.loads(_run(ledger, "bank", "unmatched", "--json")[1]) == []


def test_a_hostile_file_is_refused_and_nothing_is_written(ledger: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<Document>&lol2;</Document>\n",
        encoding="utf-8",
    )
    code, out, err = _run(ledger, "bank", "import", str(bomb))
    assert code == 2 and "Traceback" not in out + err
    assert "declares a DTD" in err
    code, out, _ = _run(ledger, "log", "--json")
    assert all(entry["event"] != "bank-import" for entry in json.loads(out))
