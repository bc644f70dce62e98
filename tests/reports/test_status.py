"""`netfund status`: the dashboard's figures equal the ledger's, and each warning fires exactly
at its threshold (overhead near and above a cap, overspending, receipts lagging, pre-financing).
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from netfund.ledger.figures import FunderFigures
from netfund.ledger.inputs.network import Funder, Group, Network
from netfund.ledger.model.schedule import QUARTERLY, due_by
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.registry import read_network
from netfund.reports.status import build_status, read_status

from tests.support.statements import FUNDERS, run_saniveld_year

NETWORK = Network(
    name="Testnet",
    currency="EUR",
    language="en",
    population=None,
    overhead_cap=Decimal("0.15"),
    funders=(
        Funder("GEM", "Gemeente", "municipality", "Wmo", None, None, "carry_over"),
        Funder("SUB", "Subsidie", "subsidy_body", "subsidy", Decimal("0.10"), None, "return"),
    ),
    groups=(
        Group("PMO", "Programme office", True, None),
        Group("WG-A", "Working group A", False, None),
    ),
)
YEAR_END = datetime.date(2026, 12, 31)


def _status(figures: dict[str, FunderFigures], due: datetime.date = YEAR_END):  # type: ignore[no-untyped-def]
    return build_status(NETWORK, "2026", figures, YEAR_END, due, None)


def _kinds(status) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(warning.kind, warning.subject) for warning in status.warnings}


def _funded(
    fund: str, overhead: int, other: int, spent: dict[str, int] | None = None
) -> FunderFigures:
    total = overhead + other
    return FunderFigures(
        fund,
        committed_cents=total,
        received_cents=total,
        allocated_cents={"PMO": overhead, "WG-A": other},
        spent_cents=spent or {},
    )


def test_a_healthy_period_has_no_warnings() -> None:
    status = _status({"GEM": _funded("GEM", 10_000_00, 90_000_00)})
    assert status.warnings == ()
    assert status.total.money.allocated_cents == 100_000_00
    assert [group.code for group in status.groups] == ["PMO", "WG-A"]


@pytest.mark.parametrize(
    ("overhead", "expected"),
    [
        (13_499_99, set()),  # 13.4999% of a 15% cap: below 90% of it
        (13_500_00, {("overhead_near_cap", "network")}),  # exactly 90% of the cap
        (15_000_00, {("overhead_near_cap", "network")}),  # exactly at the cap: allowed
        (15_000_01, {("overhead_over_cap", "network")}),  # one cent above
    ],
)
def test_network_overhead_warns_near_the_cap_and_above_it(
    overhead: int, expected: set[tuple[str, str]]
) -> None:
    status = _status({"GEM": _funded("GEM", overhead, 100_000_00 - overhead)})
    assert _kinds(status) == expected


def test_a_funder_with_its_own_cap_is_checked_against_it() -> None:
    # SUB: 11% overhead breaches its 10% cap; the network as a whole stays at 5.5%.
    status = _status(
        {"GEM": _funded("GEM", 0, 100_000_00), "SUB": _funded("SUB", 11_000_00, 89_000_00)}
    )
    assert _kinds(status) == {("overhead_over_cap", "SUB")}
    (warning,) = status.warnings
    assert "EUR 1,000.00 above the cap" in warning.message


def test_overhead_of_spending_is_checked_too() -> None:
    # Allocation at the cap (allowed, near it); spending 15,000 of 65,000 on overhead: 23%.
    spent = {"PMO": 15_000_00, "WG-A": 50_000_00}
    status = _status({"GEM": _funded("GEM", 15_000_00, 85_000_00, spent)})
    assert _kinds(status) == {("overhead_near_cap", "network"), ("overhead_over_cap", "network")}
    over = next(w for w in status.warnings if w.kind == "overhead_over_cap")
    assert "of what the network spent" in over.message


def test_an_overspent_group_is_named_with_the_amount_over() -> None:
    spent = {"PMO": 1_000_00, "WG-A": 90_000_01}
    status = _status({"GEM": _funded("GEM", 10_000_00, 90_000_00, spent)})
    assert _kinds(status) == {("overspent", "WG-A")}
    assert "EUR 0.01 over (GEM EUR 0.01)" in status.warnings[0].message


def test_one_funders_allocation_overspent_inside_the_groups_budget_is_reported() -> None:
    # WG-A: 100 allocated by each funder, 150 spent from GEM's money and 30 from SUB's: the
    # group is within its 200, GEM's allocation is 50 over.
    figures = {
        code: FunderFigures(
            code,
            committed_cents=1_000_00,
            received_cents=1_000_00,
            allocated_cents={"WG-A": 100_00},
            spent_cents={"WG-A": spent},
        )
        for code, spent in (("GEM", 150_00), ("SUB", 30_00))
    }
    status = _status(figures)
    assert _kinds(status) == {("allocation_overspent", "WG-A")}
    assert "(GEM EUR 50.00 over)" in status.warnings[0].message


@pytest.mark.parametrize(
    ("day", "share"),
    [
        ("2026-01-01", "0"),
        ("2026-02-14", "0"),
        ("2026-02-15", "0.25"),
        ("2026-05-15", "0.5"),
        ("2026-11-14", "0.75"),
        ("2026-11-15", "1"),
        ("2027-03-01", "1"),
    ],
)
def test_a_quarter_is_due_from_the_middle_of_the_quarter(day: str, share: str) -> None:
    # 400.00 splits into four equal quarters, so the share is exact in cents.
    due = due_by(QUARTERLY, "2026", 400_00, datetime.date.fromisoformat(day))
    assert due.due_cents == int(Decimal(share) * 400_00)


def test_receipts_lag_when_less_than_due_is_received() -> None:
    paid = FunderFigures("GEM", committed_cents=400_00, received_cents=100_00)
    on_time = _status({"GEM": paid}, datetime.date(2026, 5, 14))  # one quarter due
    assert _kinds(on_time) == set()
    late = _status({"GEM": paid}, datetime.date(2026, 5, 15))  # two quarters due
    assert _kinds(late) == {("receipts_lag", "GEM")}
    assert "EUR 100.00 outstanding" in late.warnings[0].message


def test_money_spent_before_it_was_received_is_reported() -> None:
    figures = FunderFigures(
        "GEM",
        committed_cents=1_000_00,
        received_cents=250_00,
        allocated_cents={"WG-A": 1_000_00},
        spent_cents={"WG-A": 300_00},
    )
    status = _status({"GEM": figures}, datetime.date(2026, 2, 20))
    assert _kinds(status) == {("spent_beyond_received", "GEM")}
    assert "EUR 50.00 of GEM's money" in status.warnings[0].message


@pytest.fixture
def saniveld_year(run_cli):  # type: ignore[no-untyped-def]
    """The example's whole year: money in, the plan committed, the spending imported."""
    run_saniveld_year(run_cli)
    return run_cli


def _cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(fraction))


def test_status_figures_are_the_ledgers(saniveld_year) -> None:  # type: ignore[no-untyped-def]
    run_cli = saniveld_year
    status = json.loads(run_cli("status", "--json").stdout)
    assert status["period"] == "2026" and status["as_of"] == "2026-12-31"
    balances = json.loads(run_cli("balance", "--by", "account,fund,group", "--json").stdout)

    def ledger(prefix: str, key: str, value: str) -> int:
        return sum(
            _cents(line["balance"])
            for line in balances
            if line["account"].startswith(prefix) and line[key] == value
        )

    for funder in status["funders"]:
        code = funder["funder"]
        assert _cents(funder["committed"]) == -ledger("Income:Contributions", "fund", code)
        assert _cents(funder["allocated"]) == -ledger("Budget:Allocated:", "fund", code)
        assert _cents(funder["spent"]) == ledger("Expenses:", "fund", code)
        assert _cents(funder["unspent"]) == ledger("Assets:Bank", "fund", code)
    for group in status["groups"]:
        code = group["group"]
        assert _cents(group["allocated"]) == -ledger("Budget:Allocated:", "group", code)
        assert _cents(group["spent"]) == ledger("Expenses:", "group", code)
    for key in ("committed", "received", "allocated", "spent", "unspent"):
        assert _cents(status["total"][key]) == sum(_cents(f[key]) for f in status["funders"])
    # The example is built to show one overspent group and one funder paying late.
    assert {(w["kind"], w["subject"]) for w in status["warnings"]} == {
        ("overspent", "WG-JEUGD-NOORD"),
        ("receipts_lag", "ZV-LINGEZORG"),
    }


def test_status_as_a_table_marks_what_needs_attention(saniveld_year) -> None:  # type: ignore[no-untyped-def]
    result = saniveld_year("status", "--period", "2026", "--as-of", "2026-03-31")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "as of 2026-03-31" in lines[0]
    header = next(line for line in lines if line.startswith("funder"))
    assert header.split() == [
        *("funder", "committed", "received", "allocated", "spent", "unspent"),
        *("overhead", "%", "cap", "%"),
    ]
    # As of March, Lingezorg has paid its first quarter: nothing lags; overspending is later.
    assert "no warnings" in result.output


def test_funders_without_a_schedule_get_the_reminders_they_always_got(
    saniveld_year, db_url
) -> None:  # type: ignore[no-untyped-def]
    """The example through the year: for every funder paying quarterly (no schedule), the
    reminders are those of the old hard-coded rule (a quarter of the commitment per quarter
    past its 15th, truncated to the cent), re-performed here; ZV-NOORDWAARD, which pays at
    each quarter's end under a schedule of its own, is never reminded, though the old rule
    would have reminded it every half quarter."""
    old_days = [datetime.date(2026, month, 15) for month in (2, 5, 8, 11)]
    engine = connect(db_url)
    reminded_by_old_rule: set[str] = set()
    with reading(engine) as connection:
        network = read_network(connection)
        quarterly = {f.code for f in network.funders if f.schedule == QUARTERLY}
        assert quarterly == set(FUNDERS) - {"ZV-NOORDWAARD"}
        for day in ("01-31", "02-14", "02-15", "03-01", "04-01", "05-15", "06-15", "08-15",
                    "09-15", "11-15", "12-01", "12-31"):  # fmt: skip
            as_of = datetime.date.fromisoformat(f"2026-{day}")
            status = read_status(connection, "2026", datetime.date(2100, 1, 1), as_of)
            lags = {w.subject: w.message for w in status.warnings if w.kind == "receipts_lag"}
            expected = {}
            for line in status.funders:
                quarters = sum(1 for due in old_days if due <= as_of)
                old_due = int(Decimal(quarters) / 4 * line.money.committed_cents)
                if line.received_for_period_cents < old_due:
                    expected[line.code] = old_due - line.received_for_period_cents
            reminded_by_old_rule |= set(expected)
            assert set(lags) == set(expected) - {"ZV-NOORDWAARD"}, as_of
            for code, message in lags.items():
                outstanding = _cents(
                    message.split("): EUR ")[1].split(" outstanding")[0].replace(",", "")
                )
                assert 0 <= outstanding - expected[code] <= 1, (as_of, message)
    engine.dispose()
    assert {"ZV-NOORDWAARD", "ZV-LINGEZORG"} <= reminded_by_old_rule


def test_status_refuses_a_bad_period_or_date(saniveld_year) -> None:  # type: ignore[no-untyped-def]
    for args in (("--period", "26"), ("--as-of", "2026-02-30")):
        result = saniveld_year("status", *args)
        assert result.exit_code == 2
        assert "Traceback" not in result.output


def test_a_period_without_money_says_which_periods_have_some(saniveld_year) -> None:  # type: ignore[no-untyped-def]
    result = saniveld_year("status", "--period", "2025")
    assert result.exit_code == 0
    assert "nothing committed, allocated or spent in period 2025" in result.output
    assert "periods in the ledger: 2026" in result.output


def test_status_of_an_empty_ledger_says_what_to_do(run_cli, network_file) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("init", str(network_file)).exit_code == 0
    result = run_cli("status")
    assert result.exit_code == 0
    assert "netfund import" in result.output
