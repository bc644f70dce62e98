"""The statements say whether the ledger agrees with the bank: a line under the header once a
bank statement was imported, nothing before; the line is no embedded figure, so a statement
made before the bank's statement arrived still verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import connect, import_parsed

from tests.ledger.bank.test_reconcile import EVENTS, SAVINGS_IBAN, _import_statements
from tests.support.bank_statements import (
    STRANGER_IBAN,
    ledger_with_savings,
    line,
    statement,
)
from tests.support.statements import embedded, page_texts


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> str:
    return ledger_with_savings(db_url, tmp_path, SAVINGS_IBAN, EVENTS)


def _statement(url: str, folder: Path, language: str, *options: str) -> Path:
    result: Result = CliRunner().invoke(
        cli,
        ["--db", url, "statements", "--period", "2026", "--funder", "GEM", "--out", str(folder),
         "--lang", language, *options],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [written] = folder.glob(f"*.{language}.pdf")
    return written


def _first_page(path: Path) -> str:
    return " ".join(page_texts(path)[0].split())


def test_no_line_before_a_bank_statement(ledger: str, tmp_path: Path) -> None:
    text = _first_page(_statement(ledger, tmp_path / "before", "en"))
    assert "reconciled" not in text.lower() and "bank" not in text.lower()


def test_the_line_is_no_embedded_figure_so_the_statement_still_verifies(
    ledger: str, tmp_path: Path
) -> None:
    engine = connect(ledger)
    _import_statements(engine)
    made = _statement(ledger, tmp_path / "april", "en")
    assert "difference €20.00 (as of 30 April 2026)" in _first_page(made)
    # May's statement: a stranger's gift, not matched. The ledger's figures stay as they
    # were; the reconciliation does not.
    may = statement("S3", 55_000, [line("M1", "2026-05-04", 1_000, iban=STRANGER_IBAN)],
                    start="2026-05-01", end="2026-05-31")  # fmt: skip
    import_parsed(engine, [may], "may.xml")
    engine.dispose()
    later = _statement(ledger, tmp_path / "may", "en")
    assert "difference €10.00 (as of 31 May 2026)" in _first_page(later)
    assert embedded(later)["figures"] == embedded(made)["figures"]
    checked = CliRunner().invoke(cli, ["--db", ledger, "verify-statement", str(made)])
    assert checked.exit_code == 0, checked.output


def test_a_difference_is_stated_in_the_statements_language(ledger: str, tmp_path: Path) -> None:
    engine = connect(ledger)
    _import_statements(engine)
    engine.dispose()
    # As of the period's end; the bank is known to 30 April, when the ledger is 20.00 ahead.
    english = _first_page(_statement(ledger, tmp_path / "en", "en"))
    assert "Not reconciled with the bank: difference €20.00 (as of 30 April 2026)." in english
    dutch = _first_page(_statement(ledger, tmp_path / "nl", "nl"))
    assert "Niet afgestemd met de bank: verschil € 20,00 (per 30 april 2026)." in dutch
    interim = _first_page(_statement(ledger, tmp_path / "march", "en", "--as-of", "2026-03-31"))
    assert "difference -€10.00 (as of 31 March 2026)" in interim


def test_reconciled_says_with_which_statement(ledger: str, tmp_path: Path) -> None:
    engine = connect(ledger)
    try:
        import_parsed(
            engine,
            [statement("S0", 10_000, [], start="2026-02-01", end="2026-02-28")],
            "feb.xml",
        )
    finally:
        engine.dispose()
    english = _first_page(_statement(ledger, tmp_path / "en", "en", "--as-of", "2026-02-28"))
    assert "Reconciled with the bank statement of 28 February 2026." in english
    dutch = _first_page(_statement(ledger, tmp_path / "nl", "nl", "--as-of", "2026-02-28"))
    assert "Afgestemd met het bankafschrift van 28 februari 2026." in dutch
