"""The outcomes on statements made from a ledger, on SQLite and PostgreSQL: the example year's
statements show each funded group's indicators beside the funder's money, in Dutch and
English, with figures re-derived here from plain balances and indicators.csv; and
verify-statement re-derives the outcomes, so a measurement imported after the statement but
dated within its as-of date is named, like a late transaction."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import load_network
from netfund.ledger.balance_sums import balances
from netfund.ledger.store.database import connect, reading
from netfund.reports.statement.check import check_statement
from netfund.reports.statement.data import read_period_inputs, statement_data
from netfund.reports.statement.embedded import differences, statement_figures

from tests.conftest import EXAMPLE, NETWORK_TOML, database_url, write_events
from tests.support.indicators import INDICATORS_TOML, ROWS, write_indicators
from tests.support.logins import as_login, dropped_afterwards, login_name
from tests.support.saniveld import year_steps
from tests.support.statements import embedded, page_texts

INDICATORS_CSV = EXAMPLE / "indicators.csv"


def _run(url: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result


def _statement(url: str, folder: Path, funder: str, language: str, *options: str) -> Path:
    _run(url, "statements", "--period", "2026", "--funder", funder, "--out", str(folder),
         "--lang", language, *options)  # fmt: skip
    [written] = folder.glob(f"*{funder}*.{language}.pdf")
    return written


def _text(path: Path) -> str:
    return " ".join(" ".join(page_texts(path)).split())


def _verify(url: str, path: Path) -> Result:
    return CliRunner().invoke(cli, ["--db", url, "verify-statement", str(path)])


# The example year ---------------------------------------------------------------------------


@pytest.fixture
def example_year(db_url: str) -> str:
    for step in year_steps():
        _run(db_url, *step)
    _run(db_url, "indicators", "import", str(INDICATORS_CSV))
    return db_url


def _csv_totals() -> dict[tuple[str, str], Decimal]:
    """Each count's 2026 total straight from indicators.csv."""
    totals: dict[tuple[str, str], Decimal] = {}
    with INDICATORS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["date"].startswith("2026-"):
                key = (row["indicator"], row["group"])
                totals[key] = totals.get(key, Decimal(0)) + Decimal(row["value"])
    return totals


def _spent_by_group(url: str, funder: str) -> dict[str, int]:
    """The funder's 2026 spending per group from plain balances (not netfund's figures)."""
    engine = connect(url)
    with reading(engine) as connection:
        lines = balances(connection, period="2026", by=("account", "fund", "group"))
    engine.dispose()
    spent: dict[str, int] = {}
    for line in lines:
        if line.fund == funder and line.account.startswith("Expenses:") and line.group:
            spent[line.group] = spent.get(line.group, 0) + line.balance_cents
    return spent


def test_the_example_years_statement_shows_what_the_money_bought(
    example_year: str, tmp_path: Path
) -> None:
    """The Done-when of issue 20: for each group the funder's money went to, its money beside
    the indicators that group agreed to, in Dutch and English; the cost per unit re-derived
    from balances and the CSV, to the cent."""
    funder = "GEM-SANIVELD-WMO"
    english = _statement(example_year, tmp_path / "en", funder, "en")
    dutch = _statement(example_year, tmp_path / "nl", funder, "nl")
    figures = embedded(english)["figures"]
    spent = _spent_by_group(example_year, funder)
    totals = _csv_totals()
    groups = {each["group"]: each for each in figures["outcomes"]}
    # Every group with indicators that its money went to, and none other.
    network = load_network(EXAMPLE / "network.toml")
    with_indicators = {group for each in network.indicators for group in each.groups}
    funded = {line["group"] for line in figures["groups"]}
    assert set(groups) == with_indicators & funded
    checked = 0
    en, nl = _text(english), _text(dutch)
    for code, group in groups.items():
        # Each group under its name, with the indicators it agreed to, in both languages.
        name = next(g.name for g in network.groups if g.code == code)
        assert f"{name} · {code}" in en and f"{name} · {code}" in nl
        agreed = network.indicators_of(code)
        assert [i["indicator"] for i in group["indicators"]] == [a.code for a in agreed]
        assert all(a.name_en in en and a.name_nl in nl for a in agreed)
        assert group["spent_cents"] == spent.get(code, 0)
        for indicator in group["indicators"]:
            total = totals.get((indicator["indicator"], code))
            if indicator["cost_per_unit_cents"] is None:
                continue
            assert total is not None and Decimal(indicator["total"]) == total
            expected = (Decimal(spent[code]) / total).quantize(Decimal(1), ROUND_HALF_UP)
            assert indicator["cost_per_unit_cents"] == int(expected)
            checked += 1
    assert checked >= 3  # the wijk groups' reach at least
    noord = groups["WG-WIJK-NOORD"]
    reach = next(i for i in noord["indicators"] if i["indicator"] == "BEREIK-VEERKRACHT")
    assert "What your money achieved" in en and "Wat uw geld opleverde" in nl
    assert "Wijkteam en veerkrachtcombi Noord · WG-WIJK-NOORD" in en
    euros = Decimal(spent["WG-WIJK-NOORD"]) / 100
    each = Decimal(reach["cost_per_unit_cents"]) / 100
    assert (
        f"Cost per unit: €{euros:,.2f} / {reach['total']} residents = €{each:,.2f} per resident."
        in en
    )
    dutch_euros = f"{euros:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    dutch_each = f"{each:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert (
        f"Kosten per eenheid: € {dutch_euros} / {reach['total']} inwoners = € {dutch_each} "
        "per inwoner." in nl
    )
    assert "Residents' experienced resilience (score 1–10)" in en
    assert "Ervaren veerkracht van inwoners (rapportcijfer 1–10)" in nl
    assert "Quadruple Aim: professionals' work · lower is better" in en
    assert "reference point of 10 days" in en and "referentiepunt van 10 dagen" in nl
    # A fresh statement verifies, the outcomes among its figures.
    checked_en = _verify(example_year, english)
    assert checked_en.exit_code == 0, checked_en.output


def test_another_funder_sees_only_its_own_money(example_year: str, tmp_path: Path) -> None:
    zonmw = embedded(_statement(example_year, tmp_path, "ZONMW", "en"))["figures"]
    spent = _spent_by_group(example_year, "ZONMW")
    assert zonmw["outcomes"], "ZonMw funds groups with indicators"
    for group in zonmw["outcomes"]:
        assert group["group"] in {line["group"] for line in zonmw["groups"]}
        assert group["spent_cents"] == spent.get(group["group"], 0)
        assert all(i["spent_cents"] == group["spent_cents"] for i in group["indicators"])


# verify-statement on the test network -------------------------------------------------------


@pytest.fixture
def small_year(db_url: str, tmp_path: Path) -> str:
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
    _run(db_url, "init", str(network))
    _events(db_url, tmp_path)
    _run(db_url, "indicators", "import", str(write_indicators(tmp_path / "first.csv", ROWS)))
    return db_url


def _events(url: str, folder: Path) -> None:
    _run(url, "import", str(write_events(folder / "events.csv", [
        "c1,2026-01-02,commitment,GEM,,1000.00,,",
        "a1,2026-01-10,allocation,GEM,WG-A,600.00,,",
        "a2,2026-01-10,allocation,GEM,WG-B,200.00,,",
        "r1,2026-02-01,receipt,GEM,,1000.00,,BANK-1",
        "e1,2026-03-01,expense,GEM,WG-A,450.00,,INV-1",
        "e2,2026-03-02,expense,GEM,WG-B,36.00,,INV-2",
    ])))  # fmt: skip


def test_a_later_measurement_within_the_as_of_date_is_named(
    small_year: str, tmp_path: Path
) -> None:
    made = _statement(small_year, tmp_path / "made", "GEM", "en", "--as-of", "2026-06-30")
    stated = embedded(made)["figures"]["outcomes"]
    [wg_a, wg_b] = stated
    reach = wg_a["indicators"][1]
    assert (reach["total"], reach["spent_cents"], reach["cost_per_unit_cents"]) == (
        "40",
        45000,
        1125,  # 450.00 / 40 = 11.25
    )
    assert wg_b["indicators"][0]["cost_per_unit_cents"] == 300  # 36.00 / 12
    assert _verify(small_year, made).exit_code == 0
    # After the as-of date: not the statement's business.
    after = write_indicators(tmp_path / "after.csv", ["WACHTTIJD,WG-A,2026-09-30,15,Registratie"])
    _run(small_year, "indicators", "import", str(after))
    assert _verify(small_year, made).exit_code == 0
    # Within it, imported later: named by indicator, group and date, like a late transaction.
    late = write_indicators(tmp_path / "late.csv", ["BEREIK,WG-A,2026-05-31,10,Deelnemerslijsten"])
    _run(small_year, "indicators", "import", str(late))
    result = _verify(small_year, made)
    assert result.exit_code != 0
    assert (
        "outcomes[WG-A].indicators[BEREIK].points[2026-05-31].value: statement (absent), "
        "ledger now 10" in result.output
    )
    assert "outcomes[WG-A].indicators[BEREIK].total: statement 40, ledger now 50" in result.output
    assert (
        "outcomes[WG-A].indicators[BEREIK].cost_per_unit_cents: statement 1125, ledger now 900"
        in result.output
    )
    # A new statement says what the ledger says now, and verifies.
    again = _statement(small_year, tmp_path / "again", "GEM", "en", "--as-of", "2026-06-30")
    assert "Cost per unit: €450.00 / 50 residents = €9.00 per resident." in _text(again)
    assert _verify(small_year, again).exit_code == 0


def test_without_the_outcome_figures_a_late_measurement_would_go_unnoticed(
    small_year: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack: a measurement slipped in afterwards, dated within the statement's period.
    With the outcomes left out of the compared figures the statement still 'verifies';
    with them it is refused."""
    made = _statement(small_year, tmp_path / "made", "GEM", "en")
    late = write_indicators(tmp_path / "late.csv", ["WACHTTIJD,WG-A,2026-09-30,30,Registratie"])
    _run(small_year, "indicators", "import", str(late))
    engine = connect(small_year)
    try:
        refused = check_statement(engine, made)
        assert not refused.ok
        assert any(d.figure.startswith("outcomes[WG-A]") for d in refused.differences)

        def without_outcomes(stated: Any, computed: Any) -> list[tuple[str, Any, Any]]:
            return [d for d in differences(stated, computed) if not d[0].startswith("outcomes")]

        monkeypatch.setattr("netfund.reports.statement.check.differences", without_outcomes)
        disabled = check_statement(engine, made)
        assert disabled.ok, disabled.problems()
    finally:
        engine.dispose()


def test_a_statement_made_before_indicators_keeps_verifying(db_url: str, tmp_path: Path) -> None:
    """Made on a network without indicators: no outcome figures in it, none in its text. The
    network gains indicators for the year and measurements arrive; the statement still
    verifies, and a new one shows them."""
    plain = tmp_path / "network.toml"
    plain.write_text(NETWORK_TOML, encoding="utf-8")
    _run(db_url, "init", str(plain))
    _events(db_url, tmp_path)
    before = _statement(db_url, tmp_path / "before", "GEM", "en")
    assert "outcomes" not in embedded(before)["figures"]
    assert "What your money achieved" not in _text(before)
    agreed = tmp_path / "agreed.toml"
    agreed.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
    _run(db_url, "network", "apply", str(agreed), "--from", "2026", "--reason", "indicators")
    _run(db_url, "indicators", "import", str(write_indicators(tmp_path / "m.csv", ROWS)))
    checked = _verify(db_url, before)
    assert checked.exit_code == 0, checked.output
    after = _statement(db_url, tmp_path / "after", "GEM", "nl")
    assert "Wat uw geld opleverde" in _text(after)
    assert embedded(after)["figures"]["outcomes"][0]["group"] == "WG-A"


def test_measurements_are_read_to_the_as_of_date(small_year: str) -> None:
    """The statement's inputs hold the measurements dated up to its as-of date, those before
    the period included; later ones are not read."""
    engine = connect(small_year)
    try:
        with reading(engine) as connection:
            march = read_period_inputs(connection, "2026", datetime.date(2026, 3, 31))
            june = read_period_inputs(connection, "2026", datetime.date(2026, 6, 30))
    finally:
        engine.dispose()
    assert {m.date for m in march.measurements} == {datetime.date(2026, 3, 31)}
    assert len(june.measurements) == len(ROWS)


# A funder's own login (PostgreSQL roles) ----------------------------------------------------


@pytest.fixture
def example_as_owner(tmp_path: Path) -> Iterator[str]:
    """The example year with its measurements on a PostgreSQL schema of its own."""
    for url in database_url("postgresql", tmp_path, prefix="stmtind"):
        for step in year_steps():
            _run(url, *step)
        _run(url, "indicators", "import", str(INDICATORS_CSV))
        yield url


def test_a_funders_login_reads_the_outcomes_of_its_statement(example_as_owner: str) -> None:
    """Under a funder's role the ledger shows only its own money, and the measurements: its
    statement's outcomes are the ones the administrator's statement of it shows."""
    url = example_as_owner
    _run(url, "roles", "install")
    login = login_name("funder")
    with dropped_afterwards(url, [login]):
        _run(url, "roles", "grant", login, "--role", "funder", "--funder", "ZONMW")
        seen: dict[str, Any] = {}
        for who, engine in (("staff", connect(url)), ("funder", connect(as_login(url, login)))):
            try:
                with reading(engine) as connection:
                    inputs = read_period_inputs(connection, "2026", datetime.date(2026, 12, 31))
            finally:
                engine.dispose()
            seen[who] = statement_figures(statement_data(inputs, "ZONMW", "en", ""))["outcomes"]
    assert seen["funder"] == seen["staff"]
    assert any(i["points"] for group in seen["funder"] for i in group["indicators"])
