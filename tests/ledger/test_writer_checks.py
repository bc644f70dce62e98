"""The writer's last defence (`writer._check_transaction`), on SQLite and PostgreSQL.

Every writer hands its transactions to `Appender.append_lines`, and that one check refuses a
transaction that breaks an invariant, whatever the callers checked before (issue 21 made the
check faster; these hold it to what it refused, with the same message, and in the same order
when a transaction breaks more than one rule). The balance rule itself (`unbalanced_lines`)
is held to its plain definition over generated lines.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.ledger.model.entries import (
    Line,
    check_lines,
    is_budget_account,
    unbalanced_lines,
)
from netfund.ledger.model.errors import InvariantViolation
from netfund.ledger.store.database import writing
from netfund.ledger.store.writer import Appender
from sqlalchemy import Engine

BANK, RECEIVABLE, UNALLOCATED = "Assets:Bank", "Assets:Receivable", "Budget:Unallocated"


def _content(
    external_id: str = "t-1", kind: str = "journal", description: str = "x"
) -> tuple[Any, ...]:
    """`columns.content_values` of a transaction, as the batch import hands them over."""
    return (external_id, "2026-03-01", "2026", kind, description, "", None, None, None, "h")


class _Refused(Exception):
    """Rolls the test's write back once the appender has answered."""


REFUSED = [
    (
        "one fund off",
        {},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -99)],
        "transaction 't-1' does not balance per fund: {'GEM': (1, 0)}",
    ),
    (
        "zero overall, not per fund",
        {},
        [(BANK, "GEM", None, 100), (BANK, "ZVK", None, -100)],
        "transaction 't-1' does not balance per fund: {'GEM': (100, 0), 'ZVK': (-100, 0)}",
    ),
    (
        "an actual line against a budget line",
        {},
        [(BANK, "GEM", None, 100), (UNALLOCATED, "GEM", None, -100)],
        "transaction 't-1' does not balance per fund: {'GEM': (100, -100)}",
    ),
    (
        "the budget root against an actual line",
        {},
        [("Budget", "GEM", None, 100), (BANK, "GEM", None, -100)],
        "transaction 't-1' does not balance per fund: {'GEM': (-100, 100)}",
    ),
    (
        "balanced funds, one budget line off",
        {},
        [
            (BANK, "ZVK", None, 5),
            (UNALLOCATED, "GEM", None, 7),
            (RECEIVABLE, "ZVK", None, -5),
            ("Budget:Allocated:WG-A", "GEM", "WG-A", -6),
        ],
        "transaction 't-1' does not balance per fund: {'GEM': (0, 1)}",
    ),
    ("one posting", {}, [(BANK, "GEM", None, 100)], "has fewer than two postings"),
    ("no postings", {}, [], "has fewer than two postings"),
    (
        "a zero posting",
        {},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100), (BANK, "GEM", None, 0)],
        "transaction 't-1' has a zero posting",
    ),
    (
        "a zero posting in an unbalanced transaction",
        {},
        [(BANK, "GEM", None, 0), (RECEIVABLE, "GEM", None, -100)],
        "transaction 't-1' has a zero posting",
    ),
    (
        "a float",
        {},
        [(BANK, "GEM", None, 100.0), (RECEIVABLE, "GEM", None, -100)],
        "'t-1': amount 100.0 is not integer cents",
    ),
    (
        "a zero float",
        {},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100), (BANK, "GEM", None, 0.0)],
        "'t-1': amount 0.0 is not integer cents",
    ),
    (
        "a bool",
        {},
        [(BANK, "GEM", None, True), (RECEIVABLE, "GEM", None, -1)],
        "'t-1': amount True is not integer cents",
    ),
    (
        "an invalid account",
        {},
        [(BANK, "GEM", None, 100), ("Assets:bank", "GEM", None, -100)],
        "invalid account name 'Assets:bank'",
    ),
    (
        "an invalid account after a float",
        {},
        [(BANK, "GEM", None, 1.5), ("Assets:bank", "GEM", None, -100)],
        "'t-1': amount 1.5 is not integer cents",
    ),
    (
        "an invalid account after a zero posting",
        {},
        [(BANK, "GEM", None, 0), ("Assets:bank", "GEM", None, -100)],
        "invalid account name 'Assets:bank'",
    ),
    (
        "a float after an invalid account",
        {},
        [("assets", "GEM", None, 100), (BANK, "GEM", None, 1.5)],
        "invalid account name 'assets'",
    ),
    (
        "an account with a line break",
        {},
        [(BANK, "GEM", None, 100), ("Assets:Bank\n", "GEM", None, -100)],
        "invalid account name 'Assets:Bank\\n'",
    ),
    (
        "an unknown type",
        {"kind": "gift"},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100)],
        "unknown transaction type 'gift'",
    ),
    (
        "no external id",
        {"external_id": ""},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100)],
        "external id '' is empty or too long",
    ),
    (
        "a description too long",
        {"description": "x" * 1001},
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100)],
        "description of 't-1' is too long",
    ),
]


@pytest.mark.parametrize(
    ("content", "lines", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_the_writer_refuses_what_breaks_an_invariant(
    engine: Engine, content: dict[str, Any], lines: list[Any], message: str
) -> None:
    with pytest.raises(InvariantViolation) as refused, writing(engine) as connection:
        appender = Appender(connection)
        try:
            appender.append_lines(_content(**content), lines)
        finally:
            appender.close()
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "lines",
    [
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -100)],
        [(BANK, "GEM", None, 100), (RECEIVABLE, "GEM", None, -40), (RECEIVABLE, "GEM", None, -60)],
        [
            ("Expenses:WG-A", "GEM", "WG-A", 2),
            ("Expenses:WG-A", "ZVK", "WG-A", 1),
            (BANK, "GEM", None, -2),
            (BANK, "ZVK", None, -1),
        ],
        [(UNALLOCATED, "GEM", None, 100), ("Budget:Allocated:WG-A", "GEM", "WG-A", -100)],
        [
            (BANK, "GEM", None, 100),
            (UNALLOCATED, "GEM", None, 5),
            (RECEIVABLE, "GEM", None, -100),
            ("Budget", "GEM", None, -5),
        ],
    ],
)
def test_the_writer_appends_what_balances(engine: Engine, lines: list[Line]) -> None:
    with pytest.raises(_Refused), writing(engine) as connection:
        appender = Appender(connection)
        try:
            appender.append_lines(_content(), lines)
            assert appender.appended_count == 1
        finally:
            appender.close()
        raise _Refused  # nothing is stored


def _plain_unbalanced(lines: list[Line]) -> dict[str, tuple[int, int]]:
    """The balance rule as written before issue 21 made it faster: its definition."""
    sums: dict[tuple[str, bool], int] = {}
    for account, fund, _, cents in lines:
        key = (fund, is_budget_account(account))
        sums[key] = sums.get(key, 0) + cents
    funds = sorted({fund for fund, _ in sums})
    return {
        fund: (sums.get((fund, False), 0), sums.get((fund, True), 0))
        for fund in funds
        if sums.get((fund, False), 0) != 0 or sums.get((fund, True), 0) != 0
    }


_LINES = st.lists(
    st.tuples(
        st.sampled_from([BANK, RECEIVABLE, UNALLOCATED, "Budget", "Budget:Allocated:WG-A"]),
        st.sampled_from(["GEM", "ZVK", "NET"]),
        st.none(),
        st.integers(min_value=-3, max_value=3),
    ),
    max_size=8,
)


@given(_LINES)
def test_unbalanced_lines_is_its_definition(lines: list[Line]) -> None:
    assert unbalanced_lines(lines) == _plain_unbalanced(lines)
    expected: str | None = None
    if len(lines) < 2:
        expected = "fewer than two postings"
    elif any(line[3] == 0 for line in lines):
        expected = "has a zero posting"
    elif _plain_unbalanced(lines):
        expected = f"does not balance per fund: {_plain_unbalanced(lines)}"
    if expected is None:
        check_lines("t", lines)
    else:
        with pytest.raises(InvariantViolation) as refused:
            check_lines("t", lines)
        assert expected in str(refused.value)
