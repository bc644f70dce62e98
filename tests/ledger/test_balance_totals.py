"""`balance_totals` always equals the sums of the postings, and what reads it agrees.

The ledger is built through the CLI with every kind of write (events of every type, a
journal import, a reversal, closing a year with its settlements and carry-over, the next
year's events); after each step the stored totals are compared with sums computed from the
postings by an independent query. A failed import must leave them untouched. Balances and
the trial balance (read from the totals) must equal what the postings give, for every
dimension and period; a trial balance pinned before the head still sums the postings up to it.
`verify` must report a changed, deleted or added totals row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netfund.ledger.balance_sums import balances
from netfund.ledger.exports.scope import read_scope
from netfund.ledger.exports.trial_balance import trial_balance
from netfund.ledger.store.database import connect, reading
from sqlalchemy import Engine, text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import drop_guards, run_cli, write_text
from tests.support.tamper import EVENTS_2026, EVENTS_2027, JOURNAL_2026
from tests.support.totals import Key, posting_sums, stored_totals

STEPS: list[tuple[str, ...]] = [
    ("import", "e2026.csv"),
    ("import", "--journal", "j2026.csv"),
    ("reverse", "e-2", "--date", "2026-03-10"),
    ("close", "2026", "--force", "--reason", "closed early in a test"),
    ("import", "e2027.csv"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_text(tmp_path / "network.toml", NETWORK_TOML)
    write_text(tmp_path / "e2026.csv", EVENTS_HEADER + EVENTS_2026)
    write_text(tmp_path / "j2026.csv", JOURNAL_2026)
    write_text(tmp_path / "e2027.csv", EVENTS_HEADER + EVENTS_2027)
    return tmp_path


def _run(db_url: str, folder: Path, *args: str) -> None:
    paths = [str(folder / arg) if arg.endswith(".csv") else arg for arg in args]
    result = run_cli(db_url, *paths)
    assert result.exit_code == 0, (args, result.output)


@pytest.fixture
def full_ledger(db_url: str, folder: Path) -> Iterator[Engine]:
    _run(db_url, folder, "init", str(folder / "network.toml"))
    for step in STEPS:
        _run(db_url, folder, *step)
    engine = connect(db_url)
    yield engine
    engine.dispose()


def test_totals_follow_every_kind_of_write(db_url: str, folder: Path) -> None:
    _run(db_url, folder, "init", str(folder / "network.toml"))
    engine = connect(db_url)
    try:
        assert stored_totals(engine) == {}
        for step in STEPS:
            _run(db_url, folder, *step)
            sums = posting_sums(engine)
            assert sums, step
            assert stored_totals(engine) == sums, step
        periods = {key[0] for key in sums}
        assert periods == {"2026", "2027"}
        # Closing 2026 and its carry-over wrote transactions of both types.
        with reading(engine) as connection:
            types = set(
                connection.execute(text("SELECT DISTINCT type FROM transactions")).scalars()
            )
        assert {"close", "carry_over", "reversal", "journal", "refund"} <= types
    finally:
        engine.dispose()


def test_a_failed_import_leaves_the_totals_as_they_were(
    full_ledger: Engine, db_url: str, folder: Path
) -> None:
    before = stored_totals(full_ledger)
    bad = write_text(
        folder / "bad.csv",
        EVENTS_HEADER
        + "e-ok,2027-04-01,expense,,WG-A,10.00,Huur,F-90\n"
        + "e-bad,2027-04-02,expense,,WG-A,ten euros,Huur,F-91\n",
    )
    result = run_cli(db_url, "import", str(bad))
    assert result.exit_code == 2, result.output
    assert stored_totals(full_ledger) == before == posting_sums(full_ledger)


def _expected_balances(
    sums: dict[Key, tuple[int, int]], by: tuple[str, ...], period: str | None
) -> dict[tuple[str | None, ...], int]:
    index = {"account": 1, "fund": 2, "group": 3}
    expected: dict[tuple[str | None, ...], int] = {}
    for key, (debit, credit) in sums.items():
        if period is not None and key[0] != period:
            continue
        line = tuple(key[index[name]] for name in by)
        expected[line] = expected.get(line, 0) + debit - credit
    return {line: cents for line, cents in expected.items() if cents}


@pytest.mark.parametrize("period", [None, "2026", "2027"])
def test_balances_equal_the_postings(full_ledger: Engine, period: str | None) -> None:
    sums = posting_sums(full_ledger)
    for by in (("account",), ("account", "fund"), ("fund", "group"), ("account", "fund", "group")):
        with reading(full_ledger) as connection:
            lines = balances(connection, period=period, by=by)
        got = {tuple(getattr(line, name) for name in by): line.balance_cents for line in lines}
        assert got == _expected_balances(sums, by, period), by
        assert len(got) == len(lines)
        order = [tuple(getattr(line, name) or "" for name in by) for line in lines]
        assert order == sorted(order)


def _expected_trial_balance(
    sums: dict[Key, tuple[int, int]], by: str, period: str | None
) -> dict[tuple[str | None, str], tuple[int, int, int]]:
    """(key, account) → (opening, debits, credits) as the module docstring defines them."""
    index = {"fund": 2, "group": 3}
    lines: dict[tuple[str | None, str], list[int]] = {}
    for key, (debit, credit) in sums.items():
        if period is not None and key[0] > period:
            continue
        line = lines.setdefault((None if by == "account" else key[index[by]], key[1]), [0, 0, 0])
        if period is not None and key[0] < period:
            line[0] += debit - credit
        else:
            line[1] += debit
            line[2] += credit
    return {key: (o, d, c) for key, (o, d, c) in lines.items() if o or d or c}


@pytest.mark.parametrize("by", ["account", "fund", "group"])
def test_the_trial_balance_equals_the_postings(full_ledger: Engine, by: str) -> None:
    sums = posting_sums(full_ledger)
    for period in (None, "2026", "2027"):
        with reading(full_ledger) as connection:
            lines = trial_balance(connection, read_scope(connection, period), by)
        got = {
            (line.key, line.account): (line.opening_cents, line.debit_cents, line.credit_cents)
            for line in lines
        }
        assert got == _expected_trial_balance(sums, by, period), period
        assert len(got) == len(lines)


def test_a_trial_balance_pinned_before_the_head_sums_the_postings_up_to_it(
    full_ledger: Engine,
) -> None:
    with reading(full_ledger) as connection:
        scope = read_scope(connection, "2026")
    early = type(scope)(period="2026", fund=None, head_id=12, head_hash=scope.head_hash)
    with reading(full_ledger) as connection:
        lines = trial_balance(connection, early, "fund")
    got = {
        (line.key, line.account): (line.opening_cents, line.debit_cents, line.credit_cents)
        for line in lines
    }
    expected = _expected_trial_balance(posting_sums(full_ledger, head_id=12), "fund", "2026")
    assert got == expected
    assert expected != _expected_trial_balance(posting_sums(full_ledger), "fund", "2026")


TAMPERING = {
    "debit changed": "UPDATE balance_totals SET debit_cents = debit_cents + 1 WHERE account = "
    "'Assets:Bank' AND fund = 'GEM' AND period = '2026'",
    "credit changed": "UPDATE balance_totals SET credit_cents = credit_cents + 100000 WHERE "
    "account = 'Assets:Bank' AND fund = 'GEM' AND period = '2026'",
    "row deleted": "DELETE FROM balance_totals WHERE account = 'Assets:Bank' AND fund = 'GEM' "
    "AND period = '2026'",
    "row added": 'INSERT INTO balance_totals (period, account, fund, "group", debit_cents, '
    "credit_cents) VALUES ('2027', 'Assets:Bank', 'ZONMW', '', 5, 5)",
    "moved to a group": "UPDATE balance_totals SET \"group\" = 'WG-A' WHERE account = "
    "'Assets:Bank' AND fund = 'GEM' AND period = '2026'",
}


@pytest.mark.parametrize("change", sorted(TAMPERING))
def test_verify_reports_changed_totals(full_ledger: Engine, db_url: str, change: str) -> None:
    assert run_cli(db_url, "verify").exit_code == 0
    drop_guards(full_ledger)
    with full_ledger.begin() as connection:
        connection.execute(text(TAMPERING[change]))
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert "balance totals" in result.output
    assert "Assets:Bank" in result.output
