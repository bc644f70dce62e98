"""Money edge cases on SQLite and PostgreSQL: exact cents, no floats, the largest amount.

- Pro-rata attribution (property): an unattributed expense over random allocations is split
  into parts that add up to the whole in cents, each within one cent of its exact share.
- No float reaches the database: every amount column is an integer column, and the bound
  parameters of every statement in a full CLI year (init, import, journal, post, allocate and
  commit, reverse, close, balance, verify) hold no float.
- The largest amount, 999,999,999,999.99, is accepted on every input path (events, journal,
  post) and one cent more is refused cleanly (exit 2, nothing written); sums far beyond a
  float's exact range are still exact.
- The Python post API refuses an amount that is not an int (a float never becomes money).
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netfund.ledger.balance_sums import balances
from netfund.ledger.importer import import_events, post
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.model.errors import NetfundError
from netfund.ledger.model.money import AMOUNT_MAX_CENTS, format_cents
from netfund.ledger.store.database import reading
from netfund.ledger.store.schema import postings_table, transactions_table
from sqlalchemy import Engine, Float, Integer, Numeric, event, inspect, select

from tests.conftest import EXAMPLE, write_events
from tests.support.reliability import run_cli, transaction_count, write_text

MAX = format_cents(AMOUNT_MAX_CENTS)
ONE_CENT_MORE = format_cents(AMOUNT_MAX_CENTS + 1)
_serial = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    allocations=st.dictionaries(
        st.sampled_from(["GEM", "ZVK", "ZONMW"]),
        st.integers(1, AMOUNT_MAX_CENTS),
        min_size=1,
    ),
    expenses=st.lists(
        st.integers(1, AMOUNT_MAX_CENTS) | st.integers(1, 1_000), min_size=1, max_size=6
    ),
)
def test_pro_rata_attribution_always_adds_up_to_the_whole(
    engine: Engine, tmp_path: Path, allocations: dict[str, int], expenses: list[int]
) -> None:
    serial = next(_serial)
    year = 2000 + serial % 100  # a period of its own while there are fewer than 100 examples
    rows = [
        f"{kind[0]}{serial}-{funder},{year}-01-10,{kind},{funder},{group},{format_cents(cents)},,"
        for funder, cents in allocations.items()
        for kind, group in (("commitment", ""), ("allocation", "WG-A"))
    ]
    rows += [
        f"e{serial}-{n},{year}-06-01,expense,,WG-A,{format_cents(cents)},,"
        for n, cents in enumerate(expenses)
    ]
    import_events(engine, write_events(tmp_path / f"p{serial}.csv", rows))

    t, p = transactions_table.c, postings_table.c
    with reading(engine) as connection:
        weights = {
            line.fund: -line.balance_cents
            for line in balances(connection, period=str(year), by=("account", "fund"))
            if line.account == "Budget:Allocated:WG-A"
        }
        lines = connection.execute(
            select(t.external_id, p.account, p.fund, p.amount_cents)
            .join(transactions_table, t.id == p.txn_id)
            .where(t.external_id.like(f"e{serial}-%"))
        ).all()
    by_expense: dict[str, list[Any]] = defaultdict(list)
    for line in lines:
        by_expense[line.external_id].append(line)
    total_weight = sum(weights.values())
    for n, cents in enumerate(expenses):
        postings = by_expense[f"e{serial}-{n}"]
        shares = {q.fund: q.amount_cents for q in postings if q.account == "Expenses:WG-A"}
        bank = {q.fund: -q.amount_cents for q in postings if q.account == "Assets:Bank"}
        assert all(isinstance(q.amount_cents, int) for q in postings)
        assert sum(shares.values()) == cents, (cents, shares)
        assert bank == shares
        assert set(shares) <= set(weights)
        for fund, weight in weights.items():
            exact = Fraction(cents * weight, total_weight)
            assert abs(shares.get(fund, 0) - exact) < 1, (fund, shares, weights)


AMOUNT_COLUMN = ("amount", "cents", "balance", "total")


def test_every_amount_column_is_an_integer_and_no_column_is_a_float(engine: Engine) -> None:
    inspector = inspect(engine)
    amount_columns, floats = [], []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            name, kind = column["name"], column["type"]
            if any(word in name for word in AMOUNT_COLUMN):
                amount_columns.append(f"{table}.{name}")
                assert isinstance(kind, Integer), f"{table}.{name} is {kind!r}, not an integer"
            if isinstance(kind, Float | Numeric) and not isinstance(kind, Integer):
                floats.append(f"{table}.{name} {kind!r}")
    assert "postings.amount_cents" in amount_columns
    assert floats == []


@pytest.fixture
def bound_parameters() -> Iterator[list[Any]]:
    """Every parameter bound to any statement of any engine while the test runs."""
    recorded: list[Any] = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # type: ignore[no-untyped-def]
        recorded.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield recorded
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


JOURNAL = """\
txn_id,date,description,account,fund,group,amount
J-1,2026-09-30,Herclassificatie,Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,1234.56
J-1,2026-09-30,Herclassificatie,Assets:Bank,GEM-SANIVELD-WMO,,-1234.56
"""


def test_no_float_is_bound_to_any_statement_in_a_full_year(
    db_url: str, tmp_path: Path, bound_parameters: list[Any]
) -> None:
    journal = write_text(tmp_path / "journal.csv", JOURNAL)
    steps = [
        ("init", str(EXAMPLE / "network.toml")),
        ("import", str(EXAMPLE / "events.csv")),
        ("import", "--journal", str(journal)),
        (
            *("post", "FIX-1", "--date", "2026-10-01", "-d", "Bankkosten"),
            *("--line", "Expenses:WG-WIJK-NOORD,GEM-SANIVELD-WMO,WG-WIJK-NOORD,0.07"),
            *("--line", "Assets:Bank,GEM-SANIVELD-WMO,,-0.07"),
        ),
        ("allocate", str(EXAMPLE / "plan.toml")),
        ("allocate", "--commit", "latest"),
        ("import", str(EXAMPLE / "spending.csv")),
        ("reverse", "J-1", "--date", "2026-10-02"),
        ("close", "2026", "--force", "--reason", "closed early in a test"),
        ("balance", "--by", "account,fund,group", "--json"),
        ("verify",),
    ]
    for args in steps:
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, (args, result.output)
    floats = [
        (statement[:80], value)
        for statement, parameters in bound_parameters
        for value in _leaves(parameters)
        if isinstance(value, float)
    ]
    assert floats == []
    ints = [v for _, ps in bound_parameters for v in _leaves(ps) if isinstance(v, int)]
    assert any(abs(value) >= 100_000_00 for value in ints)  # amounts did go through


def _contributions(db_url: str, fund: str) -> str:
    result = run_cli(db_url, "balance", "--json")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.stdout)
    return next(
        line["balance"]
        for line in lines
        if line["account"] == "Income:Contributions" and line["fund"] == fund
    )


def test_the_largest_amount_is_accepted_and_one_cent_more_is_refused(
    db_url: str, network_file: Path, tmp_path: Path
) -> None:
    assert run_cli(db_url, "init", str(network_file)).exit_code == 0
    largest = write_events(tmp_path / "max.csv", [f"max-1,2026-01-05,commitment,GEM,,{MAX},,"])
    result = run_cli(db_url, "import", str(largest))
    assert result.exit_code == 0, result.output
    assert _contributions(db_url, "GEM") == f"-{MAX}"

    big_event = f"big,2026-01-05,commitment,GEM,,{ONE_CENT_MORE},,"
    too_large = [
        ("events", ("import", str(write_events(tmp_path / "big.csv", [big_event])))),
        (
            "journal",
            (
                "import",
                "--journal",
                str(
                    write_text(
                        tmp_path / "big-journal.csv",
                        "txn_id,date,description,account,fund,group,amount\n"
                        f"JB,2026-02-01,x,Assets:Bank,NET,,{ONE_CENT_MORE}\n"
                        f"JB,2026-02-01,x,Income:Other,NET,,-{ONE_CENT_MORE}\n",
                    )
                ),
            ),
        ),
        (
            "post",
            (
                *("post", "PB", "--date", "2026-02-01", "-d", "x"),
                *("--line", f"Assets:Bank,NET,,{ONE_CENT_MORE}"),
                *("--line", f"Income:Other,NET,,-{ONE_CENT_MORE}"),
            ),
        ),
    ]
    for label, args in too_large:
        before = transaction_count(db_url)
        refused = run_cli(db_url, *args)
        assert refused.exit_code == 2, (label, refused.output)
        assert "exceeds the maximum of 999999999999.99" in refused.output, (label, refused.output)
        assert "Traceback" not in refused.output
        assert transaction_count(db_url) == before, label

    # The largest amount on the other input paths, both signs.
    journal = write_text(
        tmp_path / "max-journal.csv",
        "txn_id,date,description,account,fund,group,amount\n"
        f"JM,2026-02-01,x,Assets:Bank,NET,,{MAX}\n"
        f"JM,2026-02-01,x,Income:Other,NET,,-{MAX}\n",
    )
    assert run_cli(db_url, "import", "--journal", str(journal)).exit_code == 0
    posted = run_cli(
        db_url,
        *("post", "PM", "--date", "2026-02-01", "-d", "x"),
        *("--line", f"Income:Other,NET,,{MAX}", "--line", f"Assets:Bank,NET,,-{MAX}"),
    )
    assert posted.exit_code == 0, posted.output

    # 100 more: the sum has 17 digits of cents, beyond what a float holds exactly.
    many = [f"max-{n},2026-01-05,commitment,GEM,,{MAX},," for n in range(2, 102)]
    result = run_cli(db_url, "import", str(write_events(tmp_path / "many.csv", many)))
    assert result.exit_code == 0, result.output
    expected = Decimal(MAX) * 101
    cents = int(expected * 100)
    assert cents > 2**53 and float(cents) != cents  # a float on the way would lose the cent
    assert _contributions(db_url, "GEM") == f"-{expected}"
    assert run_cli(db_url, "verify").exit_code == 0


@pytest.mark.parametrize("amount", [150.0, 150.5])
def test_the_post_api_refuses_a_float_amount(engine: Engine, db_url: str, amount: float) -> None:
    date = datetime.date(2026, 5, 1)
    lines = (
        Posting("Assets:Bank", "NET", None, amount),  # type: ignore[arg-type]
        Posting("Income:Other", "NET", None, -amount),  # type: ignore[arg-type]
    )
    draft = Draft(
        "f-1", date, "journal", "", "", lines, lines_fingerprint("f-1", date, "", "", lines)
    )
    with pytest.raises(NetfundError):
        post(engine, [draft])
    assert transaction_count(db_url) == 0
    assert run_cli(db_url, "verify").exit_code == 0
