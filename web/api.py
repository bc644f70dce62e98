"""The JSON twin of a funder's pages: its figures, its groups and its postings, in cents.

Amounts are integers of cents, never floats (a float would round 0.1 + 0.2); dates are ISO
text. The figures are the overview's (`netfund.reports.portal`, the statement's own data) and
the postings the postings page's (`postings_page`), read in one snapshot through `read_for`.

Refusals are JSON too (`web/app.py`): 401 ``{"error": "sign in first"}`` without a session,
404 ``{"error": "not found"}`` for another funder's code exactly as for a code that does not
exist, 400 ``{"error": "<why>"}`` for a bad parameter.
"""

from __future__ import annotations

from typing import Any

from netfund.ledger import POSTINGS_PAGE_SIZE, PostingLine
from netfund.reports.portal import FunderOverview, NotInPeriod
from netfund.web import figure_cache
from netfund.web.funder_params import period_param, postings_query, scope_of
from netfund.web.guards import funder_view, read_for
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _overview(request: Request) -> FunderOverview:
    code = request.path_params["code"]
    who = funder_view(request, code)
    period = period_param(request.query_params)
    with read_for(request, who) as connection:
        try:
            return figure_cache.overview(request, who, connection, code, period, "en")
        except NotInPeriod:
            raise HTTPException(404) from None


def summary(request: Request) -> Response:
    data = _overview(request)
    fingerprint = data.fingerprint
    return JSONResponse(
        {
            "funder": data.funder.code,
            "period": data.period,
            "as_of": data.as_of.isoformat(),
            "currency": data.scope.currency,
            "fingerprint": None
            if fingerprint is None
            else {"transaction": fingerprint.transaction, "hash": fingerprint.hash},
            "figures": data.figures(),
        }
    )


def groups(request: Request) -> Response:
    data = _overview(request)
    return JSONResponse(
        [
            {
                "code": line.code,
                "name": line.name,
                "allocated_cents": line.allocated_cents,
                "spent_cents": line.spent_cents,
                "remaining_cents": line.remaining_cents,
            }
            for line in data.groups
        ]
    )


def postings(request: Request) -> Response:
    code = request.path_params["code"]
    who = funder_view(request, code)
    query = postings_query(request.query_params)
    with read_for(request, who) as connection:
        scope = scope_of(connection, code, query)
        selected = figure_cache.postings(
            request,
            who,
            connection,
            **query.selection(code, scope.period),
            page=query.page,
            page_size=POSTINGS_PAGE_SIZE,
        )
    return JSONResponse(
        {
            "funder": code,
            "period": scope.period,
            "page": selected.page,
            "pages": selected.pages,
            "page_size": selected.page_size,
            "total": selected.total,
            "sum_cents": selected.sum_cents,
            "rows": [posting_json(line) for line in selected.rows],
        }
    )


def posting_json(line: PostingLine) -> dict[str, Any]:
    """One posting line as the API gives it."""
    return {
        "date": line.date.isoformat(),
        "transaction": line.transaction,
        "line": line.line,
        "id": line.external_id,
        "type": line.type,
        "group": line.group,
        "account": line.account,
        "description": line.description,
        "reference": line.reference,
        "amount_cents": line.amount_cents,
    }


routes = [
    Route("/api/funders/{code}/summary", summary, methods=["GET"]),
    Route("/api/funders/{code}/groups", groups, methods=["GET"]),
    Route("/api/funders/{code}/postings", postings, methods=["GET"]),
]
