"""The query parameters of a funder's pages, its CSV download and its JSON API, read once.

Every parameter is parsed before the ledger is read and a bad one is a 400 that says which
and why (`HTTPException` with the sentence as detail; the API turns it into JSON). The same
filters serve the page, its CSV twin and the API, so a download holds exactly the rows the
page pages through. Empty fields count as absent: a GET form sends ``from=`` when left blank.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from netfund.ledger import POSTING_SORTS, FieldError, parse_period
from netfund.reports.portal import FunderPeriod, NotInPeriod, funder_period
from sqlalchemy import Connection
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

#: Longest page number accepted (a million pages of 500 lines is far beyond any ledger).
PAGE_DIGITS_MAX = 7
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PAGE = re.compile(rf"[1-9][0-9]{{0,{PAGE_DIGITS_MAX - 1}}}")
#: The orders a URL may ask for.
ORDERS = ("asc", "desc")


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, detail=message)


def _single(params: QueryParams, name: str) -> str | None:
    """The one value of ``name``, None when absent or blank; 400 when it is given twice
    (two different values would be a guess)."""
    values = params.getlist(name)
    if len(values) > 1:
        raise bad_request(f"parameter {name!r} is given more than once")
    if not values or not values[0].strip():
        return None
    return values[0].strip()


def period_param(params: QueryParams) -> str | None:
    """``period`` as a calendar year, or None for the newest."""
    value = _single(params, "period")
    if value is None:
        return None
    try:
        return parse_period(value)
    except FieldError as error:
        raise bad_request(str(error)) from None


def page_param(params: QueryParams) -> int:
    """``page``, 1 when absent. No form has a page field (only links carry one), so a blank
    ``page=`` is a malformed number, not a missing one."""
    values = params.getlist("page")
    if not values:
        return 1
    value = _single(params, "page") or ""
    if not _PAGE.fullmatch(value):
        raise bad_request(f"page {value[:20]!r} is not a page number (1, 2, 3, ...)")
    return int(value)


def _date_param(params: QueryParams, name: str) -> datetime.date | None:
    value = _single(params, name)
    if value is None:
        return None
    if _DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise bad_request(f"{name} {value[:20]!r} is not a date written as YYYY-MM-DD")


@dataclass(frozen=True)
class PostingsQuery:
    """What a postings page, its CSV and the API's postings are asked for.

    Attributes:
        period: the period, or None for the newest the reader sees.
        group: one group's postings only, or None for all.
        date_from: from this date on (included), or None.
        date_to: up to this date (included), or None.
        sort: one of `POSTING_SORTS`.
        descending: reversed order.
        page: the page number (from 1).
    """

    period: str | None = None
    group: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    sort: str = "date"
    descending: bool = False
    page: int = 1

    def selection(self, funder: str, period: str, group: str | None = None) -> dict[str, Any]:
        """The keywords of `iter_postings` (and, with ``page``, of `postings_page`) that this
        query asks for, for ``funder`` in ``period`` (the period the reader's scope chose);
        ``group`` overrides the query's (a group's own page names it in its path)."""
        return {
            "funder": funder,
            "period": period,
            "group": group if group is not None else self.group,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "sort": self.sort,
            "descending": self.descending,
        }

    def link(self, path: str, **changes: object) -> str:
        """``path`` with this query (changed by ``changes``) as its parameters; defaults
        are left out, so links stay short."""
        query = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if query.period is not None:
            pairs.append(("period", query.period))
        if query.group is not None:
            pairs.append(("group", query.group))
        if query.date_from is not None:
            pairs.append(("from", query.date_from.isoformat()))
        if query.date_to is not None:
            pairs.append(("to", query.date_to.isoformat()))
        if query.sort != "date":
            pairs.append(("sort", query.sort))
        if query.descending:
            pairs.append(("order", "desc"))
        if query.page != 1:
            pairs.append(("page", str(query.page)))
        return f"{path}?{urlencode(pairs)}" if pairs else path


def postings_query(params: QueryParams, *, group_param: bool = True) -> PostingsQuery:
    """The query of a postings page from its URL parameters; 400 for a bad one.

    ``group_param`` False: the page is one group's (its path names it), a ``group``
    parameter is not read.
    """
    sort = _single(params, "sort") or "date"
    if sort not in POSTING_SORTS:
        raise bad_request(
            f"cannot sort by {sort[:40]!r}: sort by one of {', '.join(POSTING_SORTS)}"
        )
    order = _single(params, "order") or "asc"
    if order not in ORDERS:
        raise bad_request(f"order {order[:20]!r} is not asc or desc")
    date_from = _date_param(params, "from")
    date_to = _date_param(params, "to")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise bad_request(
            f"from-date {date_from.isoformat()} is after to-date {date_to.isoformat()}"
        )
    return PostingsQuery(
        period=period_param(params),
        group=_single(params, "group") if group_param else None,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        descending=order == "desc",
        page=page_param(params),
    )


def scope_of(connection: Connection, code: str, query: PostingsQuery) -> FunderPeriod:
    """The funder's period the query asks for: 404 when the period's network has no such
    funder (as for an unknown code), 400 for a group the network does not have."""
    try:
        scope = funder_period(connection, code, query.period)
    except NotInPeriod:
        raise HTTPException(404) from None
    if query.group is not None and query.group not in scope.groups:
        raise bad_request(f"group {query.group[:40]!r} is not in the network in {scope.period}")
    return scope
