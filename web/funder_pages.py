"""A funder's pages: its overview, one group's postings, all its postings, and their CSV.

Every figure comes from `netfund.reports.portal` (the statement's own data) and every line
from `netfund.ledger.postings_page` / `iter_postings`; nothing is summed here. Each request
reads in one snapshot through `read_for`, so a funder's reads run under its own database role
on PostgreSQL; `funder_view` has already answered 404 for another funder's code.

The pages show numbers formatted for the reader and carry the exact cents in ``data-cents``
attributes, so a test (or a reader's script) compares them with the statement without parsing
a formatted amount. A page number past the last page is a page that says so (200) with a link
back: the URL was valid, the selection just got shorter.

The CSV holds every line of the page's selection (all pages), streamed from one snapshot:
amounts as exact decimal euros and as integer cents; text cells that a spreadsheet would run
as a formula are written with a leading quote (`neutralise`, as every export is).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from markupsafe import Markup
from netfund.ledger import (
    POSTING_SORTS,
    POSTINGS_PAGE_SIZE,
    PostingLine,
    format_cents,
    iter_postings,
    reveal,
)
from netfund.ledger.exports import neutralise
from netfund.reports.formatting import Formatter
from netfund.reports.portal import (
    FIGURES,
    FunderOverview,
    FunderPeriod,
    NotInPeriod,
)
from netfund.reports.statement.wording import wording
from netfund.web import figure_cache
from netfund.web.charts import ChartWords, budget_chart
from netfund.web.funder_params import (
    PostingsQuery,
    period_param,
    postings_query,
    scope_of,
)
from netfund.web.guards import funder_view, read_for
from netfund.web.render import language_of, page
from netfund.web.sessions import Viewer
from netfund.web.words_funder import WORDS
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

__all__ = ["WORDS", "routes"]

#: The CSV's columns, in order.
CSV_COLUMNS = (
    "date",
    "transaction",
    "line",
    "id",
    "type",
    "group",
    "account",
    "description",
    "reference",
    "amount",
    "amount_cents",
)
#: The columns of the postings table; those in `POSTING_SORTS` sort by a click on the header.
TABLE_COLUMNS = ("date", "transaction", "group", "account", "description", "reference", "amount")
#: Page links shown either side of the current page.
PAGER_SPAN = 3


def _words(request: Request) -> tuple[str, dict[str, str], Formatter]:
    language = language_of(request)
    return language, wording(language), Formatter(language, request.app.state.currency)


def overview(request: Request) -> Response:
    code = request.path_params["code"]
    who = funder_view(request, code)
    period = period_param(request.query_params)
    language, words, formatter = _words(request)
    with read_for(request, who) as connection:
        try:
            data = figure_cache.overview(request, who, connection, code, period, language)
        except NotInPeriod:
            raise HTTPException(404) from None
    base = f"/funders/{code}"
    return page(
        request,
        "funder_overview.html",
        {
            "ov": data,
            "w": words,
            "base": base,
            "figures": _figures(data, words, request),
            "chart": _chart(data, words, request, formatter),
            "group_link": lambda group: _group_link(base, group, data.period),
            "postings_link": PostingsQuery(period=data.period).link(f"{base}/postings"),
            "csv_link": PostingsQuery(period=data.period).link(f"{base}/postings.csv"),
        },
    )


def group_page(request: Request) -> Response:
    code, group = request.path_params["code"], request.path_params["group"]
    who = funder_view(request, code)
    query = postings_query(request.query_params, group_param=False)
    language, words, formatter = _words(request)
    with read_for(request, who) as connection:
        try:
            data = figure_cache.overview(request, who, connection, code, query.period, language)
            line = data.group(group)
        except NotInPeriod:
            raise HTTPException(404) from None
        query = replace(query, period=data.period)
        selected = _page(request, who, connection, code, query, group)
    base = f"/funders/{code}"
    here = f"{base}/groups/{group}"
    csv_query = replace(query, group=group, page=1)
    return page(
        request,
        "funder_group.html",
        {
            "ov": data,
            "w": words,
            "base": base,
            "line": line,
            "group_name": line.name or group,
            **_postings_context(request, data.scope, query, selected, here, with_group=False),
            "csv_link": csv_query.link(f"{base}/postings.csv"),
            "chart": budget_chart(
                (line,), formatter, _chart_words(words, request), chart_id="group-chart"
            ),
        },
    )


def postings(request: Request) -> Response:
    code = request.path_params["code"]
    who = funder_view(request, code)
    query = postings_query(request.query_params)
    with read_for(request, who) as connection:
        scope = scope_of(connection, code, query)
        query = replace(query, period=scope.period)
        selected = _page(request, who, connection, code, query, query.group)
    base = f"/funders/{code}"
    return page(
        request,
        "funder_postings.html",
        {
            "scope": scope,
            "base": base,
            **_postings_context(
                request, scope, query, selected, f"{base}/postings", with_group=True
            ),
            "csv_link": query.link(f"{base}/postings.csv", page=1),
        },
    )


def postings_csv(request: Request) -> Response:
    code = request.path_params["code"]
    who = funder_view(request, code)
    query = postings_query(request.query_params)
    # The snapshot stays open while the rows stream; everything that can refuse the request
    # (an unknown period, group or sort) is asked before the first byte is sent.
    stack = ExitStack()
    try:
        connection = stack.enter_context(read_for(request, who))
        scope = scope_of(connection, code, query)
        lines = iter_postings(connection, **query.selection(code, scope.period))
    except BaseException:
        stack.close()
        raise
    name = f"{scope.period}-{code}-postings.csv"
    return StreamingResponse(
        _csv_chunks(lines, stack),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _page(
    request: Request,
    who: Viewer,
    connection: Any,
    code: str,
    query: PostingsQuery,
    group: str | None,
) -> Any:
    assert query.period is not None
    return figure_cache.postings(
        request,
        who,
        connection,
        **query.selection(code, query.period, group),
        page=query.page,
        page_size=POSTINGS_PAGE_SIZE,
    )


#: Rows gathered into one chunk of the CSV response.
CSV_CHUNK_ROWS = 500


def _csv_chunks(lines: Iterator[PostingLine], stack: ExitStack) -> Iterator[bytes]:
    """The CSV in chunks of `CSV_CHUNK_ROWS` rows; closes the snapshot when done (or when
    the client goes away and the response stops iterating)."""
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for count, line in enumerate(lines, start=1):
            writer.writerow(csv_row(line))
            if count % CSV_CHUNK_ROWS == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
    finally:
        stack.close()


def csv_row(line: PostingLine) -> list[str]:
    """One CSV row: text cells neutralised (a spreadsheet shows them, never runs them);
    the numbers as they are (``-12.50`` is a number to a spreadsheet, not a formula)."""
    return [
        line.date.isoformat(),
        str(line.transaction),
        str(line.line),
        neutralise(line.external_id),
        neutralise(line.type),
        neutralise(line.group or ""),
        neutralise(line.account),
        neutralise(line.description),
        neutralise(line.reference),
        format_cents(line.amount_cents),
        str(line.amount_cents),
    ]


def _figures(
    data: FunderOverview, words: dict[str, str], request: Request
) -> list[tuple[str, str, int]]:
    """The seven figures: (key, label in the statement's words, cents)."""
    labels = {name: words.get(name, "") for name in FIGURES}
    labels["refunded"] = request.app.state.words.text(language_of(request), "fp_refunded")
    return [(name, labels[name], getattr(data.summary, f"{name}_cents")) for name in FIGURES]


def _chart_words(words: dict[str, str], request: Request) -> ChartWords:
    return ChartWords(
        title=words["bar_chart"],
        allocated=words["allocated"],
        spent=words["spent"],
        overspent=words["overspent"],
        no_group=words["no_group"],
    )


def _chart(
    data: FunderOverview, words: dict[str, str], request: Request, formatter: Formatter
) -> Markup:
    return budget_chart(data.groups, formatter, _chart_words(words, request), "budget-chart")


def _group_link(base: str, group: str, period: str) -> str | None:
    """The group page of ``group``; None for spending without a group (no page of its own)."""
    if not group:
        return None
    return PostingsQuery(period=period).link(f"{base}/groups/{group}")


def _postings_context(
    request: Request,
    scope: FunderPeriod,
    query: PostingsQuery,
    selected: Any,
    here: str,
    *,
    with_group: bool,
) -> dict[str, Any]:
    """What the postings table, its filters and its pager need."""
    words = wording(language_of(request))
    base = f"/funders/{scope.funder.code}"
    rows = [
        {
            "date": line.date,
            "transaction": line.transaction,
            "line": line.line,
            "external_id": line.external_id,
            "group": line.group,
            "group_name": (
                scope.groups.get(line.group, line.group) if line.group else words["no_group"]
            ),
            "group_link": _group_link(base, line.group or "", scope.period),
            "account": line.account,
            "description": reveal(line.description, keep_line_breaks=True),
            "reference": line.reference,
            "amount_cents": line.amount_cents,
        }
        for line in selected.rows
    ]
    headers = []
    for column in TABLE_COLUMNS:
        sortable = column in POSTING_SORTS
        current = sortable and query.sort == column
        headers.append(
            {
                "column": column,
                "link": (
                    query.link(
                        here, sort=column, descending=current and not query.descending, page=1
                    )
                    if sortable
                    else None
                ),
                "aria_sort": (
                    ("descending" if query.descending else "ascending") if current else None
                ),
                "numeric": column in ("amount", "transaction"),
            }
        )
    pages = selected.pages
    middle = min(query.page, pages)  # past the end: the pages before it
    first = max(1, middle - PAGER_SPAN)
    last = min(pages, middle + PAGER_SPAN)
    return {
        "query": query,
        "selected": selected,
        "rows": rows,
        "headers": headers,
        "scope": scope,
        "with_group": with_group,
        "form_action": here,
        "past_the_end": query.page > pages,
        "pager": [
            {
                "number": number,
                "link": query.link(here, page=number),
                "current": number == query.page,
            }
            for number in range(first, last + 1)
        ],
        "first_link": query.link(here, page=1),
        "last_link": query.link(here, page=pages),
        "previous_link": query.link(here, page=query.page - 1) if 1 < query.page <= pages else None,
        "next_link": query.link(here, page=query.page + 1) if query.page < pages else None,
    }


routes = [
    Route("/funders/{code}", overview, methods=["GET"]),
    Route("/funders/{code}/groups/{group}", group_page, methods=["GET"]),
    Route("/funders/{code}/postings", postings, methods=["GET"]),
    Route("/funders/{code}/postings.csv", postings_csv, methods=["GET"]),
]
