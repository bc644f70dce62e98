"""The benchmark generator writes the same ledger for netfund and for its peers (issue 7).

`benchmarks/compare.py` times netfund against bean-check, hledger and ledger-cli on files
from `benchmarks/generate.py`; that comparison is only fair if the peers load exactly the
postings netfund stores. These tests import the generated events.csv through the CLI and
require netfund's balance per account and fund to equal, to the cent, what Beancount's loader,
`hledger bal` and `ledger bal` make of the generated files. The pro-rata split of the
expenses is where they could differ (largest-remainder rounding, fund order, zero shares), so
a generator that splits other than netfund does fails here.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from tests.conftest import ROOT
from tests.support.exports import as_json, hledger_binary, invoke, ledger_balances, ok

GENERATOR = ROOT / "benchmarks" / "generate.py"
EXPENSES = 200
#: One line per account: name, amount and commodity of its balance, tab-separated.
LEDGER_FORMAT = (
    "%(account)\t%(quantity(scrub(display_total)))\t%(commodity(scrub(display_total)))\n"
)


def _generate(out: Path, *extra: str) -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


def _split_name(name: str) -> tuple[str, str]:
    """A peer's account name back to netfund's (account, fund)."""
    account, _, fund = name.rpartition(":")
    return account.removeprefix("Equity:") if account.startswith("Equity:Budget") else account, fund


def _nonzero(balances: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    return {key: cents for key, cents in balances.items() if cents}


def _ledger_binary() -> str:
    found = shutil.which("ledger")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("ledger is required in CI (apt-get install ledger) and not installed")
        pytest.skip("ledger-cli is not installed (apt-get install ledger)")
    return found


def _run(*arguments: str) -> str:
    result = subprocess.run(
        list(arguments), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A generated network year of 200 expenses, imported into a fresh SQLite ledger."""
    folder = tmp_path_factory.mktemp("bench-generator")
    _generate(folder, "--events", str(EXPENSES), "--funders", "5", "--groups", "12", "--seed", "7")
    url = f"sqlite:///{folder / 'ledger.db'}"
    ok(invoke(url, "init", str(folder / "network.toml")))
    ok(invoke(url, "import", str(folder / "events.csv")))
    return folder, url


def test_every_expense_is_split_over_three_funds(generated: tuple[Path, str]) -> None:
    folder, url = generated
    with (folder / "events.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expenses = [row for row in rows if row["type"] == "expense"]
    assert len(expenses) == EXPENSES
    assert all(row["funder"] == "" for row in expenses)
    report = as_json(invoke(url, "verify", "--json"))
    assert report["status"] == "ok"
    assert report["transactions"] == len(rows)
    # Two postings for every other event, six (three funds) for every expense.
    assert report["postings"] == 2 * (len(rows) - EXPENSES) + 6 * EXPENSES


def test_beancount_file_holds_netfunds_postings(generated: tuple[Path, str]) -> None:
    folder, url = generated
    entries, errors, _ = loader.load_file(str(folder / "ledger.beancount"))
    assert errors == []
    totals: dict[tuple[str, str], int] = {}
    postings = 0
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                assert posting.units.currency == "EUR"
                key = _split_name(posting.account)
                totals[key] = totals.get(key, 0) + _to_cents(posting.units.number)
                postings += 1
    assert _nonzero(totals) == ledger_balances(url, "--by", "account,fund")
    assert postings == as_json(invoke(url, "verify", "--json"))["postings"]


def test_hledger_reads_netfunds_balances(generated: tuple[Path, str]) -> None:
    folder, url = generated
    output = _run(
        hledger_binary(), "-f", str(folder / "ledger.journal"), "bal", "--flat", "--no-total",
        "-O", "csv",
    )  # fmt: skip
    balances = {}
    for row in csv.DictReader(io.StringIO(output)):
        amount, currency = row["balance"].split()
        assert currency == "EUR"
        balances[_split_name(row["account"])] = _to_cents(Decimal(amount))
    assert _nonzero(balances) == ledger_balances(url, "--by", "account,fund")


def test_ledger_cli_reads_netfunds_balances(generated: tuple[Path, str]) -> None:
    folder, url = generated
    output = _run(
        _ledger_binary(), "-f", str(folder / "ledger.journal"), "bal", "--flat", "--no-total",
        "--balance-format", LEDGER_FORMAT,
    )  # fmt: skip
    balances = {}
    for line in output.splitlines():
        name, amount, commodity = line.split("\t")
        assert commodity == "EUR"
        balances[_split_name(name)] = _to_cents(Decimal(amount))
    assert _nonzero(balances) == ledger_balances(url, "--by", "account,fund")


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    _generate(tmp_path / "a", "--events", "50", "--seed", "3")
    _generate(tmp_path / "b", "--events", "50", "--seed", "3")
    _generate(tmp_path / "c", "--events", "50", "--seed", "4")
    names = ("network.toml", "events.csv", "ledger.beancount", "ledger.journal")
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    other = (tmp_path / "c" / "events.csv").read_bytes()
    assert (tmp_path / "a" / "events.csv").read_bytes() != other
