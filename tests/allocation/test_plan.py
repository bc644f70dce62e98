"""plan.toml parsing: a good plan, and bad plans whose every problem names its line."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from netfund.allocation import FunderSupply, load_plan
from netfund.ledger.model.errors import InputError

from tests.support.line_reads import counting_line_reads

GROUPS = {"WG-WIJK", "WG-BW", "PB"}

GOOD = """\
# a plan
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-WIJK"
min = "250000.00"
max = "900000.00"
weight = 3

[[requests]]
group = "WG-BW"
min = "0"
max = 120000
weight = 1.5

[[requests]]
group = "PB"
min = 1_000.5
max = "20000"
weight = "0.25"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(InputError) as caught:
        load_plan(write(tmp_path, text), GROUPS)
    for problem in caught.value.problems:
        assert problem.source == str(tmp_path / "plan.toml")
    return [(problem.line, problem.message) for problem in caught.value.problems]


def only_problem(tmp_path: Path, text: str) -> tuple[int | None, str]:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


def test_a_good_plan_parses_to_exact_cents_and_decimals(tmp_path):
    plan = load_plan(write(tmp_path, GOOD), GROUPS)
    assert (plan.period, plan.basis, plan.objective) == ("2026", "committed", "priority")
    assert [(r.group, r.min_cents, r.max_cents, r.weight, r.line) for r in plan.requests] == [
        ("WG-WIJK", 25_000_000, 90_000_000, Decimal(3), 7),
        ("WG-BW", 0, 12_000_000, Decimal("1.5"), 13),
        ("PB", 100_050, 2_000_000, Decimal("0.25"), 19),
    ]


def test_a_plan_joins_the_ledger_figures_into_a_problem(tmp_path):
    plan = load_plan(write(tmp_path, GOOD), GROUPS)
    problem = plan.to_problem(
        [FunderSupply("GEM", 100_000_000, overhead_cap=Decimal("0.10"))],
        {"PB"},
        Decimal("0.15"),  # the ledger's caps are Decimals; they become exact fractions
        already_allocated_cents=500,
        already_allocated_overhead_cents=50,
    )
    assert [r.group for r in problem.requests] == ["PB", "WG-BW", "WG-WIJK"]  # sorted
    assert problem.request("PB").overhead is True
    assert problem.request("WG-WIJK").overhead is False
    assert problem.objective == "priority"
    assert problem.already_allocated_overhead_cents == 50
    assert problem.overhead_cap == Fraction(3, 20)
    assert problem.funder("GEM").overhead_cap == Fraction(1, 10)


BASE = """\
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-WIJK"
min = "100.00"
max = "900.00"
weight = 3
"""


def test_unknown_key_in_allocation_names_its_line(tmp_path):
    text = BASE.replace('objective = "priority"', 'objective = "priority"\nobjectve = "x"')
    line, message = only_problem(tmp_path, text)
    assert line == 5
    assert message.startswith("unknown key 'objectve' in [allocation]")


def test_missing_period_points_at_the_allocation_table(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('period = "2026"\n', ""))
    assert (line, message) == (1, "missing 'period' in [allocation]")


def test_period_must_be_a_four_digit_year(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"2026"', '"26"'))
    assert (line, message) == (
        2,
        "period '26' is not a calendar year from 2000 to 2099 in the digits 0-9, like 2026",
    )


def test_period_as_a_number_is_the_wrong_type(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"2026"', "2026"))
    assert (line, message) == (2, "period must be a string, not an integer (2026)")


def test_bad_basis_and_bad_objective_are_both_reported(tmp_path):
    text = BASE.replace('"committed"', '"paid"').replace('"priority"', '"fair"')
    assert problems(tmp_path, text) == [
        (3, "basis 'paid' is not one of: committed, received"),
        (4, "objective 'fair' is not one of: priority, proportional"),
    ]


def test_unknown_group_names_the_line_of_the_group(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"WG-WIJK"', '"WG-NOPE"'))
    assert (line, message) == (7, "unknown group 'WG-NOPE' (not defined in the network)")


def test_duplicate_group_points_at_the_second_request_and_the_first(tmp_path):
    text = BASE + '\n[[requests]]\ngroup = "WG-WIJK"\nmin = "0"\nmax = "10"\nweight = 1\n'
    line, message = only_problem(tmp_path, text)
    assert (line, message) == (13, "duplicate request for group 'WG-WIJK' (first at line 7)")


def test_min_above_max(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"100.00"', '"1000.00"'))
    assert (line, message) == (8, "min EUR 1,000.00 is greater than max EUR 900.00")


@pytest.mark.parametrize("weight", ["２", "٣", "1٣"])
def test_a_weight_is_ascii_digits_only(tmp_path, weight):
    """Fullwidth or Arabic-Indic digits, which `Decimal` would read, are not a plain number."""
    line, message = only_problem(tmp_path, BASE.replace("weight = 3", f'weight = "{weight}"'))
    assert line == 10 and "is not a plain number >= 0" in message


def test_negative_weight(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace("weight = 3", "weight = -2"))
    assert (line, message) == (10, "weight -2 is negative: it must be >= 0")


def test_more_than_two_decimals_in_text(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"900.00"', '"900.005"'))
    assert (line, message) == (9, "max: amount '900.005' has more than two decimals")


def test_a_float_with_more_than_two_decimals_is_refused_as_typed(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"100.00"', "100.125"))
    assert (line, message) == (8, "min: amount '100.125' has more than two decimals")


def test_a_float_with_an_exponent_is_refused(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"900.00"', "9e2"))
    assert line == 9
    assert message.startswith("max: amount '9e2' is not a plain decimal number")


def test_negative_minimum_and_zero_maximum(tmp_path):
    text = BASE.replace('"100.00"', '"-5"').replace('"900.00"', '"0.00"')
    assert problems(tmp_path, text) == [
        (8, "min: amount '-5' must be positive"),
        (9, "max: amount '0.00' is zero"),
    ]


def test_wrong_types_in_a_request(tmp_path):
    text = BASE.replace("weight = 3", 'weight = "three"').replace('"WG-WIJK"', "7")
    assert problems(tmp_path, text) == [
        (7, "group must be a string, not an integer (7)"),
        (10, "weight 'three' is not a plain number >= 0"),
    ]


def test_boolean_amount_is_the_wrong_type(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace('"900.00"', "true"))
    assert line == 9
    assert message == 'max must be an amount in euros like "250000.00", not a boolean (true)'


def test_unknown_key_in_a_request_and_a_missing_key(tmp_path):
    text = BASE.replace('max = "900.00"', 'maximum = "900.00"')
    assert problems(tmp_path, text) == [
        (6, "missing 'max' in requests[0]"),
        (9, "unknown key 'maximum' in [requests[0]] (expected one of: group, min, max, weight)"),
    ]


def test_unknown_top_level_table_and_key(tmp_path):
    text = "version = 2\n" + BASE + "\n[extra]\nx = 1\n"
    assert problems(tmp_path, text) == [
        (1, "unknown key 'version' (expected one of: allocation, requests)"),
        (13, "unknown key 'extra' (expected one of: allocation, requests)"),
    ]


def test_no_requests(tmp_path):
    text = BASE.split("[[requests]]")[0]
    assert problems(tmp_path, text) == [
        (None, "the plan has no requests: add [[requests]] entries")
    ]


def test_requests_of_the_wrong_shape(tmp_path):
    text = BASE.split("[[requests]]")[0].replace("[allocation]", 'requests = "all"\n[allocation]')
    line, message = only_problem(tmp_path, text)
    assert (line, message) == (1, "requests must be an array of tables: [[requests]]")


def test_missing_allocation_table(tmp_path):
    text = BASE.split("[[requests]]", 1)[1]
    assert problems(tmp_path, "[[requests]]" + text) == [(None, "missing [allocation] table")]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = """\
    [allocation]
    period = "26"
    basis = "paid"

    [[requests]]
    group = "WG-NOPE"
    min = "1.001"
    max = "2"
    weight = -1
    """
    found = problems(tmp_path, text)
    assert found == [
        (1, "missing 'objective' in [allocation]"),
        (2, "period '26' is not a calendar year from 2000 to 2099 in the digits 0-9, like 2026"),
        (3, "basis 'paid' is not one of: committed, received"),
        (6, "unknown group 'WG-NOPE' (not defined in the network)"),
        (7, "min: amount '1.001' has more than two decimals"),
        (9, "weight -1 is negative: it must be >= 0"),
    ]


def test_invalid_toml_names_its_line(tmp_path):
    line, message = only_problem(tmp_path, BASE.replace("weight = 3", "weight = = 3"))
    assert line == 10
    assert message.startswith("invalid TOML")


def test_error_text_carries_file_line_and_key(tmp_path):
    with pytest.raises(InputError) as caught:
        load_plan(write(tmp_path, BASE.replace("weight = 3", "weight = -2")), GROUPS)
    assert str(caught.value) == (
        f"{tmp_path / 'plan.toml'}:10: requests[0].weight: weight -2 is negative: it must be >= 0"
    )
    assert caught.value.exit_code == 2


def _lines_read(tmp_path: Path, count: int, *, bad: bool) -> int:
    """How many times the line finder matches a line while reading a plan of ``count``
    requests (floats among the amounts, whose decimals are read from the text; with ``bad``,
    every request has a problem that names its line)."""
    groups = {f"WG-{index:05d}" for index in range(count)}
    requests = "".join(
        f'\n[[requests]]\ngroup = "WG-{index:05d}"\nmin = {index}.5\n'
        f'max = "{"x" if bad else 10 * index + 10}"\nweight = 1.25\n'
        for index in range(count)
    )
    path = write(tmp_path, BASE.split("[[requests]]")[0] + requests)
    with counting_line_reads() as counter:
        if bad:
            with pytest.raises(InputError) as caught:
                load_plan(path, groups)
            assert len(caught.value.problems) == count
            assert all(problem.line is not None for problem in caught.value.problems)
        else:
            assert len(load_plan(path, groups).requests) == count
    return counter[0]


@pytest.mark.parametrize("bad", [False, True], ids=["good", "every-request-wrong"])
def test_reading_a_plan_is_linear_in_its_requests(tmp_path, bad):
    # Issue 15: every request's line was found by scanning the whole file, twice or more, so
    # 2,000 requests took 14.7 s and 10,000 over five minutes. Now the file's lines are
    # indexed once: each line is matched at most twice (header, key), whatever the size.
    small = _lines_read(tmp_path, 50, bad=bad)
    large = _lines_read(tmp_path, 400, bad=bad)
    lines_small, lines_large = 5 + 6 * 50, 5 + 6 * 400
    assert small <= 2 * lines_small
    assert large <= 2 * lines_large
