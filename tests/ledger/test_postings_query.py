"""A funder's postings a page at a time (`postings_page`) and streamed (`iter_postings`).

Checked against a direct computation: the fund's lines read with plain SQL and sorted in
Python, on the example's whole year (pro-rata expenses split over several funds, allocation
runs of many lines, equal dates and amounts) on SQLite and PostgreSQL. Summed, the lines
must give the statement's figures; no page, filter or sort may show another fund's line.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

import pytest
from netfund.ledger import (
    POSTING_SORTS,
    POSTINGS_PAGE_SIZE_MAX,
    FieldError,
    PostingLine,
    connect,
    iter_postings,
    postings_order,
    postings_page,
    postings_totals,
    reading,
)
from netfund.reports.statement.data import read_period_inputs, statement_data

from tests.support.postings import SORT_KEYS, direct_postings
from tests.support.statements import FUNDERS, run_saniveld_year

PERIOD = "2026"


@pytest.fixture
def saniveld(run_cli, db_url: str):  # type: ignore[no-untyped-def]
    run_saniveld_year(run_cli)
    engine = connect(db_url)
    yield engine
    engine.dispose()


def test_the_lines_are_the_statements_figures(saniveld) -> None:  # type: ignore[no-untyped-def]
    """Summed by account and group, each funder's lines give its statement's figures."""
    with reading(saniveld) as connection:
        inputs = read_period_inputs(connection, PERIOD, datetime.date(2026, 12, 31))
        for funder in FUNDERS:
            lines = list(iter_postings(connection, funder=funder, period=PERIOD))
            assert sorted(lines, key=SORT_KEYS["date"]) == lines
            assert sorted(lines, key=SORT_KEYS["date"]) == sorted(
                direct_postings(connection, funder, PERIOD), key=SORT_KEYS["date"]
            )
            data = statement_data(inputs, funder, "en", "test")
            by_account: dict[str, int] = defaultdict(int)
            allocated: dict[str, int] = defaultdict(int)
            spent: dict[str, int] = defaultdict(int)
            for line in lines:
                by_account[line.account] += line.amount_cents
                if line.account.startswith("Budget:Allocated:"):
                    allocated[line.group or ""] -= line.amount_cents
                elif line.account.startswith("Expenses:"):
                    spent[line.group or ""] += line.amount_cents
            assert -by_account["Income:Contributions"] == data.summary.committed_cents
            assert (
                by_account["Liabilities:Refundable"] + by_account["Income:Refunded"]
                == data.summary.refunded_cents
            )
            assert sum(spent.values()) == data.summary.spent_cents > 0
            assert sum(allocated.values()) == data.summary.allocated_cents > 0
            for group in data.groups:
                assert allocated[group.code] == group.allocated_cents, (funder, group.code)
                assert spent[group.code] == group.spent_cents, (funder, group.code)
            # A fund balances on its own: its lines of the period sum to zero.
            assert sum(line.amount_cents for line in lines) == 0


def test_pages_follow_every_sort_in_both_directions(saniveld) -> None:  # type: ignore[no-untyped-def]
    with reading(saniveld) as connection:
        expected_all = direct_postings(connection, "ZONMW", PERIOD)
        for sort in POSTING_SORTS:
            for descending in (False, True):
                expected = sorted(expected_all, key=SORT_KEYS[sort], reverse=descending)
                first = postings_page(
                    connection,
                    funder="ZONMW",
                    period=PERIOD,
                    sort=sort,
                    descending=descending,
                    page_size=17,
                )
                assert first.total == len(expected) > 17 * 3
                assert first.pages == -(-len(expected) // 17)
                shown: list[PostingLine] = []
                for number in range(1, first.pages + 1):
                    page = postings_page(
                        connection,
                        funder="ZONMW",
                        period=PERIOD,
                        sort=sort,
                        descending=descending,
                        page=number,
                        page_size=17,
                    )
                    assert page.total == first.total and page.pages == first.pages
                    assert len(page.rows) == (
                        17 if number < first.pages else len(expected) % 17 or 17
                    )
                    shown.extend(page.rows)
                assert shown == expected, (sort, descending)
                streamed = list(
                    iter_postings(
                        connection, funder="ZONMW", period=PERIOD, sort=sort, descending=descending
                    )
                )
                assert streamed == expected, (sort, descending)
                # Kept order and totals (the portal's cache): the same pages, read by key.
                order = postings_order(
                    connection, funder="ZONMW", period=PERIOD, sort=sort, descending=descending
                )
                totals = postings_totals(connection, funder="ZONMW", period=PERIOD)
                assert (len(order), totals.lines) == (len(expected), len(expected))
                by_key: list[PostingLine] = []
                for number in range(1, first.pages + 2):  # one past the end: empty
                    by_key.extend(
                        postings_page(
                            connection,
                            funder="ZONMW",
                            period=PERIOD,
                            sort=sort,
                            descending=descending,
                            page=number,
                            page_size=17,
                            totals=totals,
                            order=order,
                        ).rows
                    )
                assert by_key == expected, (sort, descending)


def test_a_page_past_the_end_is_empty_and_keeps_the_total(saniveld) -> None:  # type: ignore[no-untyped-def]
    with reading(saniveld) as connection:
        total = len(direct_postings(connection, "ZK-REGIO", PERIOD))
        page = postings_page(connection, funder="ZK-REGIO", period=PERIOD, page=999)
        assert page.rows == () and page.total == total > 0 and page.page == 999
        assert page.pages == -(-total // 50)
        empty = postings_page(connection, funder="ZK-REGIO", period="2031")
        assert (empty.rows, empty.total, empty.pages, empty.sum_cents) == ((), 0, 1, 0)


def test_filters_by_group_and_dates_match_a_direct_selection(saniveld) -> None:  # type: ignore[no-untyped-def]
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 6, 30)
    with reading(saniveld) as connection:
        for funder in FUNDERS:
            every = direct_postings(connection, funder, PERIOD)
            groups = {line.group for line in every if line.group is not None}
            assert groups
            for group in sorted(groups):
                expected = sorted(
                    (line for line in every if line.group == group), key=SORT_KEYS["amount"]
                )
                page = postings_page(
                    connection,
                    funder=funder,
                    period=PERIOD,
                    group=group,
                    sort="amount",
                    page_size=POSTINGS_PAGE_SIZE_MAX,
                )
                assert list(page.rows) == expected
                assert page.sum_cents == sum(line.amount_cents for line in expected)
            expected = sorted(
                (line for line in every if start <= line.date <= end), key=SORT_KEYS["date"]
            )
            dated = list(
                iter_postings(
                    connection, funder=funder, period=PERIOD, date_from=start, date_to=end
                )
            )
            assert dated == expected
            one_day = [line for line in every if line.date == expected[0].date]
            page = postings_page(
                connection,
                funder=funder,
                period=PERIOD,
                date_from=expected[0].date,
                date_to=expected[0].date,
                page_size=POSTINGS_PAGE_SIZE_MAX,
            )
            assert sorted(page.rows, key=SORT_KEYS["date"]) == sorted(
                one_day, key=SORT_KEYS["date"]
            )


def test_no_filter_shows_another_funds_line(saniveld) -> None:  # type: ignore[no-untyped-def]
    """Pro-rata expenses put several funds' lines in one transaction: a funder's page holds
    its own line of such a transaction and never the others', whatever the filter."""
    with reading(saniveld) as connection:
        own = {
            (line.transaction, line.line) for line in direct_postings(connection, "ZONMW", PERIOD)
        }
        everyone = {
            (line.transaction, line.line)
            for funder in FUNDERS
            for line in direct_postings(connection, funder, PERIOD)
        }
        shared = {transaction for transaction, _ in own} & {
            transaction for transaction, _ in everyone - own
        }
        assert shared, "the example has transactions with lines of several funds"
        seen: set[tuple[int, int]] = set()
        for group in (None, "WG-WIJK-NOORD", "PROGRAMMABUREAU", "NO-SUCH-GROUP"):
            for sort in POSTING_SORTS:
                page = postings_page(
                    connection,
                    funder="ZONMW",
                    period=PERIOD,
                    group=group,
                    sort=sort,
                    page_size=POSTINGS_PAGE_SIZE_MAX,
                )
                seen |= {(line.transaction, line.line) for line in page.rows}
        assert seen == own
        assert not postings_page(connection, funder="NOPE", period=PERIOD).rows


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sort": "amount_cents; DROP TABLE postings"}, "cannot sort by"),
        ({"sort": "fund"}, "cannot sort by 'fund': sort by one of date, transaction"),
        ({"page": 0}, "page 0 is not a page number"),
        ({"page": -3}, "page -3 is not a page number"),
        ({"page_size": 0}, "page size 0 is not from 1 to 500"),
        ({"page_size": 501}, "page size 501 is not from 1 to 500"),
        ({"period": "26"}, "period '26' is not a calendar year"),
        (
            {"date_from": datetime.date(2026, 5, 2), "date_to": datetime.date(2026, 5, 1)},
            "from-date 2026-05-02 is after to-date 2026-05-01",
        ),
    ],
)
def test_bad_requests_are_refused_in_one_sentence(
    engine, arguments: dict[str, Any], message: str
) -> None:  # type: ignore[no-untyped-def]
    query: dict[str, Any] = {"funder": "GEM", "period": PERIOD, **arguments}
    with reading(engine) as connection:
        with pytest.raises(FieldError, match=message):
            postings_page(connection, **query)
        query.pop("page", None)
        query.pop("page_size", None)
        if len(query) > 2 or "period" in arguments:
            with pytest.raises(FieldError, match=message):
                iter_postings(connection, **query)  # refused before the first row
