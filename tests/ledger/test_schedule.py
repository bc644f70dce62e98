"""Payment schedules (issue 16): network.toml's ``schedule`` read with its lines, the cents
due by a date (shares split exactly, amounts never more than the commitment), the quarterly
default as it was, and the stored document unchanged for a funder without a schedule."""

from __future__ import annotations

import datetime
import tomllib
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.ledger.inputs.network import Funder, load_network, parse_network
from netfund.ledger.model.errors import InputError
from netfund.ledger.model.schedule import (
    QUARTERLY,
    Instalment,
    due_by,
    instalment_rows,
    schedule_problems,
    schedule_toml,
)
from netfund.ledger.store.registry import network_document, network_from_document

from tests.conftest import EXAMPLE

HEADER = """\
[network]
name = "T"

[[groups]]
code = "A"
name = "A"
"""


def _funder(code: str, schedule: str) -> str:
    return f"""
[[funders]]
code = "{code}"
name = "{code}"
kind = "municipality"
framework = "Wmo"
{schedule}
"""


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_network(tomllib.loads(text), text, "network.toml")


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InputError) as raised:
        _parse(text)
    return [(p.line, p.key or "", p.message) for p in raised.value.problems]


def test_a_schedule_in_shares_or_amounts_is_read_and_absent_means_quarterly() -> None:
    network = _parse(
        HEADER
        + _funder(
            "GEM", 'schedule = [ { due = "01-15", share = 0.5 }, { due = "07-15", share = "0.5" } ]'
        )
        + _funder(
            "ZK",
            'schedule = [{ due = "03-31", amount = "250000.10" }, { due = "12-31", amount = 7 }]',
        )
        + _funder("ZV", "")
    )
    gem, zk, zv = network.funders
    assert gem.schedule == (
        Instalment(1, 15, share=Decimal("0.5")),
        Instalment(7, 15, share=Decimal("0.5")),
    )
    assert zk.schedule == (
        Instalment(3, 31, amount_cents=25_000_010),
        Instalment(12, 31, amount_cents=700),
    )
    assert zv.schedule == QUARTERLY
    assert [(i.month, i.day, i.share) for i in QUARTERLY] == [
        (2, 15, Decimal("0.25")),
        (5, 15, Decimal("0.25")),
        (8, 15, Decimal("0.25")),
        (11, 15, Decimal("0.25")),
    ]
    # A Funder made in code without a schedule pays quarterly too.
    assert Funder("X", "X", "other", "x", None, None, "return").schedule == QUARTERLY


def test_every_problem_is_reported_with_its_line() -> None:
    text = (
        HEADER
        + _funder(
            "F1",
            """schedule = [
  { due = "03-31", amount = "250000.00" },   # fine
  { due = "02-29", amount = 250000.5 },
  { due = "13-01", share = 0, extra = 1 },
  { due = "04-31", amount = "1,5" },
  { share = 0.5, amount = "1" },
  { due = "7-15", amount = "0.001" },
]""",
        )
        + _funder(
            "F2", 'schedule = [ { due = "07-15", share = 0.5 }, { due = "01-15", share = 0.25 } ]'
        )
        + _funder("F3", "schedule = []")
        + _funder(
            "F4", 'schedule = [ { due = "07-15", share = 0.5 }, { due = "08-15", amount = 5 } ]'
        )
        + _funder("F5", 'schedule = { due = "07-15", share = 1 }')
        + _funder(
            "F6",
            'schedule = [ { due = "06-30", share = 1.5 }, { due = "12-31", share = 0.00001 } ]',
        )
    )
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(number for number, line in enumerate(lines, 1) if fragment in line)

    found = _problems(text)
    expected = [
        (line_of('"02-29"'), "funders[0].schedule[1].due", "not every year has 29 February"),
        (line_of('"02-29"'), "funders[0].schedule[1].amount", "amount must be exact"),
        (line_of('"13-01"'), "funders[0].schedule[2].extra", "unknown key 'extra'"),
        (line_of('"13-01"'), "funders[0].schedule[2].due", "'13-01' is not a day of the year"),
        (line_of('"13-01"'), "funders[0].schedule[2].share", "'share' must be more than 0"),
        (line_of('"04-31"'), "funders[0].schedule[3].due", "'04-31' is not a day of the year"),
        (line_of('"04-31"'), "funders[0].schedule[3].amount", "write euros with a decimal point"),
        (line_of("share = 0.5, amount"), "funders[0].schedule[4]", "needs 'due'"),
        (line_of("share = 0.5, amount"), "funders[0].schedule[4]", "either a share or an amount"),
        (line_of('"7-15"'), "funders[0].schedule[5].due", 'month-day like "07-15"'),
        (line_of('"7-15"'), "funders[0].schedule[5].amount", "more than two decimals"),
        (line_of('"01-15", share = 0.25'), "funders[1].schedule[1].due", "strictly ascending"),
        (line_of('"01-15", share = 0.25'), "funders[1].schedule", "add up to 0.75, not exactly 1"),
        (line_of("schedule = []"), "funders[2].schedule", "at least one instalment"),
        (line_of('"08-15", amount = 5'), "funders[3].schedule", "either shares or amounts"),
        (line_of("schedule = { due"), "funders[4].schedule", "must be a list of instalments"),
        (line_of('"06-30", share = 1.5'), "funders[5].schedule[0].share", "between 0 and 1"),
        (line_of('"06-30", share = 1.5'), "funders[5].schedule[1].share", "more than 4 decimals"),
    ]
    assert len(found) == len(expected), found
    for (line, key, message), (want_line, want_key, fragment) in zip(found, expected, strict=True):
        assert (line, key) == (want_line, want_key), (line, key, message)
        assert fragment in message, message


def test_the_instalment_guards_itself() -> None:
    for bad in (
        lambda: Instalment(2, 29, share=Decimal(1)),
        lambda: Instalment(1, 1),
        lambda: Instalment(1, 1, share=Decimal(1), amount_cents=1),
        lambda: Instalment(1, 1, share=Decimal("0.00001")),
        lambda: Instalment(1, 1, amount_cents=0),
    ):
        with pytest.raises(ValueError):
            bad()


#: Four decimals: shares are whole ten-thousandths.
_UNIT = 10_000

_days = st.sets(st.integers(1, 365), min_size=1, max_size=12).map(sorted)


def _instalment(day_of_year: int, **what: object) -> Instalment:
    day = datetime.date(2001, 1, 1) + datetime.timedelta(days=day_of_year - 1)
    return Instalment(day.month, day.day, **what)  # type: ignore[arg-type]


@st.composite
def share_schedules(draw: st.DrawFn) -> tuple[Instalment, ...]:
    days = draw(_days)
    cuts = sorted(
        draw(st.sets(st.integers(1, _UNIT - 1), min_size=len(days) - 1, max_size=len(days) - 1))
    )
    bounds = [0, *cuts, _UNIT]
    return tuple(
        _instalment(day, share=Decimal(bounds[i + 1] - bounds[i]) / _UNIT)
        for i, day in enumerate(days)
    )


@given(share_schedules(), st.integers(0, 10**13), st.integers(0, 400))
def test_shares_split_the_commitment_exactly(
    schedule: tuple[Instalment, ...], committed: int, day: int
) -> None:
    assert schedule_problems(schedule) == []
    rows = instalment_rows(schedule, "2026", committed)
    assert sum(row.cents for row in rows) == committed
    for row in rows:
        exact = Fraction(row.instalment.share) * committed  # type: ignore[union-attr]
        assert abs(row.cents - exact) < 1  # never a cent away from its exact share
    on = datetime.date(2026, 1, 1) + datetime.timedelta(days=day)
    due = due_by(schedule, "2026", committed, on)
    assert due.due_cents == sum(row.cents for row in rows if row.date <= on)
    if on > datetime.date(2026, 12, 31):
        assert due.due_cents == committed
    later = due_by(schedule, "2026", committed, on + datetime.timedelta(days=1))
    assert due.due_cents <= later.due_cents


@given(
    _days.flatmap(
        lambda days: st.lists(st.integers(1, 10**9), min_size=len(days), max_size=len(days)).map(
            lambda amounts: tuple(
                _instalment(d, amount_cents=a) for d, a in zip(days, amounts, strict=True)
            )
        )
    ),
    st.integers(0, 10**10),
    st.integers(0, 400),
)
def test_amounts_are_due_as_written_but_never_beyond_the_commitment(
    schedule: tuple[Instalment, ...], committed: int, day: int
) -> None:
    on = datetime.date(2026, 1, 1) + datetime.timedelta(days=day)
    due = due_by(schedule, "2026", committed, on)
    written = sum(i.amount_cents or 0 for i in schedule if i.date_in("2026") <= on)
    if on <= datetime.date(2026, 12, 31):
        assert due.due_cents == min(committed, written)
    else:
        assert due.due_cents == committed
    assert sum(row.cents for row in due.rows) == committed


def test_amounts_leave_the_rest_due_after_the_period() -> None:
    schedule = (
        Instalment(3, 31, amount_cents=250_000_00),
        Instalment(9, 30, amount_cents=250_000_00),
    )
    rows = instalment_rows(schedule, "2026", 600_000_00)
    assert [(r.date.isoformat(), r.cents, r.instalment is None) for r in rows] == [
        ("2026-03-31", 250_000_00, False),
        ("2026-09-30", 250_000_00, False),
        ("2027-01-01", 100_000_00, True),
    ]
    # Less committed than the amounts: the instalments take it in order.
    small = instalment_rows(schedule, "2026", 300_000_00)
    assert [r.cents for r in small] == [250_000_00, 50_000_00]
    assert due_by(schedule, "2026", 300_000_00, datetime.date(2026, 4, 1)).due_cents == 250_000_00
    assert due_by(schedule, "2026", 0, datetime.date(2027, 1, 1)).due_cents == 0


def test_shares_round_by_largest_remainder() -> None:
    halves = (Instalment(1, 15, share=Decimal("0.5")), Instalment(7, 15, share=Decimal("0.5")))
    assert [r.cents for r in instalment_rows(halves, "2026", 1000_01)] == [500_01, 500_00]
    thirds = (
        Instalment(1, 1, share=Decimal("0.3333")),
        Instalment(5, 1, share=Decimal("0.3333")),
        Instalment(9, 1, share=Decimal("0.3334")),
    )
    assert [r.cents for r in instalment_rows(thirds, "2026", 100)] == [33, 33, 34]


@pytest.mark.parametrize("committed", [400_00, 1_796_212_75, 69_842_550, 1, 3, 0])
def test_the_default_is_the_old_quarterly_rule(committed: int) -> None:
    """The rule `netfund status` had (a quarter per quarter past its 15th, truncated to the
    cent), re-performed: equal where a quarter is whole cents, otherwise at most one cent
    earlier (largest remainder gives the first quarters the odd cents), and all of it after
    the last quarter."""
    old_days = [datetime.date(2026, m, 15) for m in (2, 5, 8, 11)]
    day = datetime.date(2026, 1, 1)
    while day <= datetime.date(2027, 1, 5):
        quarters = 4 if day.year > 2026 else sum(1 for d in old_days if d <= day)
        old = int(Decimal(quarters) / 4 * committed)
        new = due_by(QUARTERLY, "2026", committed, day).due_cents
        if committed % 4 == 0 or quarters in (0, 4):
            assert new == old, day
        else:
            assert 0 <= new - old <= 1, day
        day += datetime.timedelta(days=1)


def test_the_stored_document_has_a_schedule_only_when_it_is_not_the_default() -> None:
    network = load_network(EXAMPLE / "network.toml")
    document = network_document(network)
    with_schedule = [f["code"] for f in document["funders"] if "schedule" in f]
    assert with_schedule == [f.code for f in network.funders if f.schedule != QUARTERLY]
    for funder in document["funders"]:
        # The keys every record has had since the records chain began: an unchanged network
        # gives the same document, so the same hash. The example's funders name the accounts
        # they pay from (issue 19), stored only when present, as a schedule is.
        assert funder["ibans"]
        assert set(funder) - {"schedule", "ibans"} == {
            "code",
            "name",
            "kind",
            "framework",
            "overhead_cap",
            "eligible_groups",
            "unspent",
        }
    assert network_from_document(document) == network
    # A record from before schedules existed reads as quarterly.
    old = {
        **document,
        "funders": [{k: v for k, v in f.items() if k != "schedule"} for f in document["funders"]],
    }
    assert all(f.schedule == QUARTERLY for f in network_from_document(old).funders)


def test_shares_and_amounts_survive_the_document_exactly() -> None:
    network = _parse(
        HEADER
        + _funder(
            "GEM",
            'schedule = [ { due = "01-15", share = 0.3333 }, { due = "07-15", share = 0.6667 } ]',
        )
        + _funder("ZK", 'schedule = [ { due = "03-31", amount = "0.10" } ]')
    )
    document = network_document(network)
    assert document["funders"][0]["schedule"] == [
        {"due": "01-15", "share": "0.3333"},
        {"due": "07-15", "share": "0.6667"},
    ]
    assert document["funders"][1]["schedule"] == [{"due": "03-31", "amount_cents": 10}]
    assert network_from_document(document) == network


def test_a_schedule_is_shown_as_network_toml_writes_it() -> None:
    text = 'schedule = [{ due = "01-15", share = 0.3333 }, { due = "07-15", share = 0.6667 }]'
    (funder,) = _parse(HEADER + _funder("GEM", text)).funders
    assert f"schedule = {schedule_toml(funder.schedule)}" == text
    amounts = (Instalment(3, 31, amount_cents=250_000_00), Instalment(9, 30, amount_cents=5))
    assert schedule_toml(amounts) == (
        '[{ due = "03-31", amount = "250000.00" }, { due = "09-30", amount = "0.05" }]'
    )
    assert schedule_toml(QUARTERLY).count("share = 0.25") == 4
