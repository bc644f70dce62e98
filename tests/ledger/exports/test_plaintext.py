"""Beancount and hledger exports (issue 5): the tools themselves check the files and arrive at
`netfund balance --json` to the cent, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from netfund.ledger.exports.plaintext import beancount_account

from tests.conftest import NETWORK_TOML, write_events
from tests.support.exports import (
    as_json,
    cents,
    hledger_binary,
    invoke,
    ledger_balances,
    ok,
    saniveld_url,  # noqa: F401 - a fixture
)

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def _bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def _beancount_balances(path: Path, funds: tuple[str, ...] = ()) -> dict[tuple[str, str], int]:
    """Sum every posting of the file per account, with Beancount's own parser.

    ``funds`` in lower case appear capitalised in Beancount names; they are mapped back.
    """
    renamed = {fund[:1].upper() + fund[1:]: fund for fund in funds}
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    totals: dict[str, Decimal] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units.currency == "EUR"
                totals[posting.account] = (
                    totals.get(posting.account, Decimal(0)) + posting.units.number
                )
    result = {}
    for name, amount in totals.items():
        account, _, fund = name.rpartition(":")
        fund = renamed.get(fund, fund)
        if account.startswith("Equity:Budget"):
            account = account.removeprefix("Equity:")
        if amount:
            result[(account, fund)] = int(amount.scaleb(2).to_integral_exact())
    return result


def _hledger_balances(path: Path, *extra: str) -> dict[tuple[str, str], int]:
    result = subprocess.run(
        [hledger_binary(), "-f", str(path), "bal", "--flat", "--no-total", "-O", "csv", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    balances = {}
    for row in csv.DictReader(io.StringIO(result.stdout)):
        amount, currency = row["balance"].split()
        assert currency == "EUR"
        account, _, fund = row["account"].rpartition(":")
        balances[(account, fund)] = cents(amount)
    return balances


def _one_euro_more(line: str) -> str:
    """The line with its last amount one euro higher: a wrong balance assertion."""
    words = line.split(" ")
    words[-2] = str(Decimal(words[-2]) + 1)
    return " ".join(words)


def test_beancount_checks_and_matches_the_ledger(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "saniveld.beancount"
    record = as_json(invoke(saniveld_url, "export", "beancount", "--out", str(out), "--json"))
    checked = _bean_check(out)
    assert checked.returncode == 0 and checked.stdout + checked.stderr == ""
    expected = ledger_balances(saniveld_url)
    assert _beancount_balances(out) == expected
    text = out.read_text(encoding="utf-8")
    # One open and one assertion per account and fund posted to (zero balances too).
    assert text.count(" balance ") == text.count(" open ") >= len(expected)
    assert record["rows"] == as_json(invoke(saniveld_url, "verify", "--json"))["postings"]
    # The assertions are really checked: a wrong one fails bean-check.
    line = next(line for line in text.splitlines() if " balance Assets:Bank:ZONMW " in line)
    tampered = tmp_path / "tampered.beancount"
    tampered.write_text(text.replace(line, _one_euro_more(line)), encoding="utf-8")
    failed = _bean_check(tampered)
    assert failed.returncode != 0 and "Balance failed" in failed.stdout + failed.stderr


def test_hledger_checks_and_matches_the_ledger(saniveld_url: str, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "saniveld.journal"
    ok(invoke(saniveld_url, "export", "hledger", "--out", str(out)))
    expected = ledger_balances(saniveld_url)
    assert _hledger_balances(out) == expected
    text = out.read_text(encoding="utf-8")
    assert text.count(" 0 EUR = ") == text.count("\naccount ") >= len(expected)
    line = next(line for line in text.splitlines() if "Assets:Bank:ZONMW  0 EUR = " in line)
    tampered = tmp_path / "tampered.journal"
    tampered.write_text(text.replace(line, _one_euro_more(line)), encoding="utf-8")
    failed = subprocess.run(
        [hledger_binary(), "-f", str(tampered), "bal"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode != 0 and "balance assertion" in failed.stderr.lower()


def test_a_period_export_holds_the_periods_movements(db_url: str, tmp_path: Path) -> None:
    """Two periods, a closed one, descriptions that need escaping, a fund in lower case."""
    network = tmp_path / "network.toml"
    lower = '[[funders]]\ncode = "klein"\nname = "Klein"\nkind = "other"\nframework = "x"\n'
    network.write_text(
        NETWORK_TOML.replace("[[groups]]", lower + 'unspent = "return"\n\n[[groups]]', 1),
        encoding="utf-8",
    )
    ok(invoke(db_url, "init", str(network)))
    write_events(
        tmp_path / "2025.csv",
        [
            'c1,2025-01-02,commitment,GEM,,1000.00,"Toezegging ""Wmo""; deel 1",REF-1',
            "r1,2025-01-03,receipt,GEM,,800.00,(voorschot) ontvangst,",
            "a1,2025-01-04,allocation,GEM,WG-B,500.00,Budget,",
            "c3,2025-01-04,commitment,klein,,70.00,Klein,",
            "r3,2025-01-05,receipt,klein,,70.00,Klein,",
            "a3,2025-01-06,allocation,klein,WG-B,60.00,Klein,",
            'e1,2025-03-01,expense,,WG-B,120.25,"Kosten\\regel, met komma",F-1',
        ],
    )
    ok(invoke(db_url, "import", str(tmp_path / "2025.csv")))
    ok(invoke(db_url, "close", "2025"))
    write_events(
        tmp_path / "2026.csv",
        [
            "c2,2026-01-05,commitment,ZVK,,300.00,Zvw 2026,",
            "r2,2026-01-06,receipt,ZVK,,300.00,Zvw 2026,",
            "a2,2026-01-07,allocation,GEM,WG-A,100.00,Budget 2026,",
            "e2,2026-02-01,expense,GEM,WG-A,40.00,Uitgave,",
        ],
    )
    ok(invoke(db_url, "import", str(tmp_path / "2026.csv")))
    for period in ("2025", "2026"):
        bean, journal = tmp_path / f"{period}.beancount", tmp_path / f"{period}.journal"
        ok(invoke(db_url, "export", "beancount", "--period", period, "--out", str(bean)))
        ok(invoke(db_url, "export", "hledger", "--period", period, "--out", str(journal)))
        checked = _bean_check(bean)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        expected = ledger_balances(db_url, "--period", period)
        assert _beancount_balances(bean, ("klein",)) == expected
        assert _hledger_balances(journal) == expected
    whole = tmp_path / "all.beancount"
    ok(invoke(db_url, "export", "beancount", "--out", str(whole)))
    assert _bean_check(whole).returncode == 0
    assert _beancount_balances(whole, ("klein",)) == ledger_balances(db_url)
    text = (tmp_path / "2025.beancount").read_text(encoding="utf-8")
    assert '* "Toezegging \\"Wmo\\"; deel 1"' in text
    assert "Expenses:WG-B:Klein" in text and 'group: "WG-B"' in text
    assert '* "Kosten\\\\regel, met komma"' in text
    journal_text = (tmp_path / "2025.journal").read_text(encoding="utf-8")
    assert '* (1) Toezegging "Wmo", deel 1' in journal_text
    assert "* (2) (voorschot) ontvangst" in journal_text
    assert "; reference: F-1" in journal_text


def test_beancount_names_are_valid_and_distinct() -> None:
    assert beancount_account("Assets:Bank", "GEM-SANIVELD-WMO") == "Assets:Bank:GEM-SANIVELD-WMO"
    assert beancount_account("Budget:Allocated:WG-A", "NET") == "Equity:Budget:Allocated:WG-A:NET"
    assert beancount_account("Expenses:wg-a", "zvk") == "Expenses:Wg-a:Zvk"
    with pytest.raises(Exception, match="Beancount root"):
        beancount_account("Memo:Thing", "GEM")
