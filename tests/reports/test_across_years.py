"""Warnings right across years (issue 16, item 3), on SQLite and PostgreSQL, through the CLI.

What went wrong before, each reproduced here:

- the receipt of last year's last advance, arriving in January, is booked in the new year:
  `status` for last year kept saying "send a reminder" for money that had arrived;
- the refund after a `return` close is necessarily dated in the next year (the closed one is
  locked): `status` for that year said the funder's money "was spent before it was received;
  the network pre-finances it".

Both are now matched to the period they settle (`netfund.ledger.settling`, oldest claim
first); the matching itself is tested on the pure function.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netfund.ledger.settling import match_oldest_first

from tests.conftest import EVENTS_HEADER, NETWORK_TOML

#: 2025 for GEM (carry_over): three of four advances paid in 2025, the fourth in January
#: 2026, after 2026's own commitment; ZVK (return): 400.00 of 1,000.00 left unspent.
YEARS = """\
c-gem-25,2025-01-05,commitment,GEM,,1000.00,,
r-gem-25a,2025-02-10,receipt,GEM,,750.00,,
a-gem-25,2025-01-20,allocation,GEM,WG-A,1000.00,,
e-gem-25,2025-06-01,expense,GEM,WG-A,700.00,,
c-zvk-25,2025-01-05,commitment,ZVK,,1000.00,,
r-zvk-25,2025-01-10,receipt,ZVK,,1000.00,,
a-zvk-25,2025-01-20,allocation,ZVK,WG-A,1000.00,,
e-zvk-25,2025-06-01,expense,ZVK,WG-A,600.00,,
"""
NEXT_YEAR = """\
c-gem-26,2026-01-02,commitment,GEM,,1000.00,,
r-gem-25b,2026-01-10,receipt,GEM,,250.00,,Q4 2025
f-zvk-25,2026-01-15,refund,ZVK,,400.00,,unspent 2025
"""


def _ok(run_cli, *args: str):  # type: ignore[no-untyped-def]
    result = run_cli(*args)
    assert result.exit_code == 0, (args, result.output)
    return result


def _funder(run_cli, period: str, code: str) -> dict:  # type: ignore[no-untyped-def]
    status = json.loads(_ok(run_cli, "status", "--period", period, "--json").stdout)
    return next(line for line in status["funders"] if line["funder"] == code)


def _warnings(run_cli, *args: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    status = json.loads(_ok(run_cli, "status", "--json", *args).stdout)
    return {(w["kind"], w["subject"]) for w in status["warnings"]}


@pytest.fixture
def two_years(run_cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """2025 booked and closed; in January 2026 the late receipt and the refund arrive."""
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    _ok(run_cli, "init", str(network))
    (tmp_path / "2025.csv").write_text(EVENTS_HEADER + YEARS, encoding="utf-8")
    _ok(run_cli, "import", str(tmp_path / "2025.csv"))
    assert ("receipts_lag", "GEM") in _warnings(run_cli, "--period", "2025")
    _ok(run_cli, "close", "2025")
    (tmp_path / "2026.csv").write_text(EVENTS_HEADER + NEXT_YEAR, encoding="utf-8")
    _ok(run_cli, "import", str(tmp_path / "2026.csv"))
    return run_cli


def test_a_late_receipt_settles_last_years_commitment(two_years) -> None:  # type: ignore[no-untyped-def]
    assert ("receipts_lag", "GEM") not in _warnings(two_years, "--period", "2025")
    gem = _funder(two_years, "2025", "GEM")
    # The figures stay those of what was dated in 2025, as the statement shows them.
    assert gem["received"] == "750.00"
    assert gem["received_later"] == "250.00"
    shown = _ok(two_years, "status", "--period", "2025").output
    assert "GEM: EUR 250.00 received after 2025 for it" in shown


def test_an_interim_view_sees_only_what_was_dated_by_then(two_years) -> None:  # type: ignore[no-untyped-def]
    # As of 2025-12-31 the payment had not arrived: the reminder was right then.
    assert ("receipts_lag", "GEM") in _warnings(
        two_years, "--period", "2025", "--as-of", "2025-11-30"
    )


def test_the_refund_after_a_return_close_is_not_pre_financing(two_years) -> None:  # type: ignore[no-untyped-def]
    assert ("spent_beyond_received", "ZVK") not in _warnings(two_years)  # the newest: 2026
    assert ("spent_beyond_received", "ZVK") not in _warnings(two_years, "--period", "2026")
    zvk = _funder(two_years, "2026", "ZVK")
    assert zvk["refunded"] == "400.00"
    assert zvk["refunded_for_earlier_periods"] == "400.00"


def test_the_late_receipt_is_not_this_years_money(two_years) -> None:  # type: ignore[no-untyped-def]
    gem = _funder(two_years, "2026", "GEM")
    assert gem["received_for_earlier_periods"] == "250.00"


@pytest.mark.parametrize(
    ("claims", "payments", "expected"),
    [
        # a January payment settles last year's open advance before this year's
        ({"2025": 100, "2026": 400}, {"2025": 75, "2026": 25}, {("2026", "2025", 25)}),
        # a payment beyond every open claim waits for the next claim
        ({"2026": 50}, {"2025": 80}, {("2025", "2026", 50)}),
        # nothing open, nothing paid: no match
        ({"2025": 0}, {}, set()),
        # the oldest claim first, then the next
        (
            {"2024": 10, "2025": 10},
            {"2026": 15},
            {("2026", "2024", 10), ("2026", "2025", 5)},
        ),
    ],
)
def test_payments_settle_the_oldest_claim_first(
    claims: dict[str, int], payments: dict[str, int], expected: set[tuple[str, str, int]]
) -> None:
    matches = match_oldest_first(claims, payments)
    assert {match for match in matches if match[0] != match[1]} == expected
    assert sum(cents for *_, cents in matches) <= sum(payments.values())
