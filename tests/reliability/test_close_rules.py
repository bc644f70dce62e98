"""What `close` and every period argument refuse (issue 15, item 2), on SQLite and PostgreSQL.

The attacks, each through the CLI, each refused with exit 2 and nothing written:

- `close 2099` on a ledger of 2024-2026 booked every fund's money as unspent in 2099 and
  then refused `close 2026` for good (periods close in order): a period after the current
  calendar year has not begun.
- `close 2025` while 2024 holds transactions and is open: closing it first would lock 2024
  out of its own close for good. Periods close oldest first.
- `close` of the current year before its last day locked the rest of the year; now it
  needs `--force --reason TEXT`.
- `close ２０２６` (fullwidth digits pass `isdigit()`, and `int()` reads them as 2026) closed
  2026; a plan with period ``２０２６`` was stored as a junk run; `balance --period ２０２６`
  printed "no postings". Every period goes through `parse_period`: ASCII digits only.

The rules themselves (with a fixed ``today``) are tested on the library call below.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from netfund.ledger import LedgerError, close_period
from netfund.ledger.importer import import_events
from sqlalchemy import Engine

from tests.conftest import EVENTS_HEADER, NETWORK_TOML, write_events
from tests.support.reliability import PLAN, assert_refused, run_cli, write_text

YEARS = """\
c-24,2024-01-05,commitment,GEM,,100.00,,
r-24,2024-01-10,receipt,GEM,,100.00,,
c-25,2025-01-05,commitment,GEM,,200.00,,
r-25,2025-01-10,receipt,GEM,,150.00,,
c-26,2026-01-05,commitment,GEM,,300.00,,
r-26,2026-01-10,receipt,GEM,,300.00,,
"""
#: Periods written in digits other than 0-9, or hidden characters around a year.
NOT_PERIODS = ["２０２６", "٢٠٢٦", "2026\u200b", "20\u202e26"]


def _ok(db_url: str, *args: str) -> None:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)


@pytest.fixture
def years(db_url: str, tmp_path: Path) -> str:
    """The test network with money received in 2024, 2025 and 2026, nothing closed."""
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(tmp_path / "years.csv", EVENTS_HEADER + YEARS)))
    return db_url


def test_a_period_that_has_not_begun_is_not_closed(years: str) -> None:
    assert_refused(years, "close", "2099", reason="period 2099 has not begun")
    assert_refused(
        years,
        "close",
        "2099",
        "--force",
        "--reason",
        "closed early in a test",
        reason="period 2099 has not begun",
    )
    # The real years still close, in order.
    _ok(years, "close", "2024")
    _ok(years, "close", "2025")
    _ok(years, "close", "2026", "--force", "--reason", "closed early in a test")


def test_periods_close_oldest_first(years: str) -> None:
    assert_refused(
        years,
        "close",
        "2025",
        reason="period 2024 holds transactions and is still open; periods close in order: "
        "close 2024 first",
    )
    _ok(years, "close", "2024")
    assert_refused(years, "close", "2024", reason="period 2024 is already closed")
    _ok(years, "close", "2025")
    assert_refused(years, "close", "2024", reason="already closed")


def test_the_current_year_closes_only_with_force_and_reason(years: str) -> None:
    year = str(datetime.date.today().year)
    assert_refused(
        years, "close", year, reason=f"period {year} has not ended: it ends {year}-12-31"
    )
    assert_refused(years, "close", year, reason="or give --force --reason TEXT")


@pytest.mark.parametrize("period", NOT_PERIODS)
def test_a_period_in_other_digits_is_refused_by_every_command(
    years: str, tmp_path: Path, period: str
) -> None:
    reason = f"{period!r} is not a calendar year from 2000 to 2099 in the digits 0-9"
    for args in [
        ("close", period),
        ("close", period, "--force", "--reason", "closed early in a test"),
        ("balance", "--period", period),
        ("status", "--period", period),
        ("statements", "--period", period, "--out", str(tmp_path / "statements")),
        ("export", "journal", "--period", period, "--out", str(tmp_path / "journal.csv")),
    ]:
        assert_refused(years, *args, reason=reason)
    assert not (tmp_path / "statements").exists()
    assert not (tmp_path / "journal.csv").exists()
    plan = write_text(tmp_path / "plan.toml", PLAN.replace('"2026"', json.dumps(period)))
    assert_refused(
        years, "allocate", str(plan), reason=f"plan.toml:2: allocation.period: period {period!r}"
    )


def test_the_rules_hold_on_the_library_call(engine: Engine, tmp_path: Path) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", YEARS.splitlines()[4:]))
    new_year_eve = datetime.date(2026, 12, 31)
    with pytest.raises(LedgerError, match=r"has not ended: .* last 1 day\(s\)"):
        close_period(engine, "2026", today=new_year_eve)
    with pytest.raises(LedgerError, match="period 2027 has not begun"):
        close_period(
            engine, "2027", force=True, reason="closed early in a test", today=new_year_eve
        )
    with pytest.raises(LedgerError, match="is not a calendar year"):
        close_period(engine, "２０２６", today=datetime.date(2027, 1, 1))
    report = close_period(engine, "2026", today=datetime.date(2027, 1, 1))
    assert report.period == "2026" and report.transactions > 0
    with pytest.raises(LedgerError, match="already closed"):
        close_period(engine, "2026", today=datetime.date(2027, 1, 1))
