"""The portal's documents: a funder's issued statements (listed and checked, then one PDF at
a time) and the exports for staff.

Every download is found through the listing of its folder (`documents.py`), never by joining
the folder and the name the browser sent: a name the listing does not offer is the same 404
as any unknown page. Files go out as attachments with their real media type and
``nosniff``, so a browser saves them instead of rendering them in the portal's origin.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from netfund.web.documents import (
    EXPORTS_FOLDER,
    PDF_MEDIA_TYPE,
    FolderFile,
    IssuedStatement,
    chunks_of,
    export_media_type,
    folder_files,
    funder_statement,
    funder_statements,
    listed_file,
    open_listed,
)
from netfund.web.guards import STAFF, funder_view, staff_view
from netfund.web.render import page
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

WORDS: dict[str, tuple[str, str]] = {
    "docs_statements_title": ("Verantwoordingen van {funder}", "Statements of {funder}"),
    "docs_statements_intro": (
        "De uitgegeven verantwoordingen, elk gecontroleerd tegen het grootboek zoals het nu "
        "is: staan de cijfers er nog zo in, en is het document ongewijzigd?",
        "The issued statements, each checked against the ledger as it is now: do its "
        "figures still hold, and is the document unchanged?",
    ),
    "docs_no_statements": (
        "Er zijn nog geen verantwoordingen uitgegeven.",
        "No statements have been issued yet.",
    ),
    "docs_period": ("Periode", "Period"),
    "docs_as_of": ("Stand per", "As of"),
    "docs_language": ("Taal", "Language"),
    "docs_kind": ("Soort", "Kind"),
    "docs_check": ("Controle", "Check"),
    "docs_file": ("Bestand", "File"),
    "docs_annual": ("Jaarverantwoording", "Annual statement"),
    "docs_interim": ("Tussentijds", "Interim"),
    "docs_language_nl": ("Nederlands", "Dutch"),
    "docs_language_en": ("Engels", "English"),
    "docs_download": ("{name} downloaden (PDF)", "Download {name} (PDF)"),
    "docs_not_offered": ("niet beschikbaar", "not available"),
    "docs_holds": ("Klopt nog", "Still holds"),
    "docs_fails": ("Klopt niet meer", "No longer holds"),
    "docs_unreadable": ("Onleesbaar", "Unreadable"),
    "docs_holds_text": (
        "De cijfers zijn gelijk aan wat het grootboek nu zegt.",
        "Its figures equal what the ledger says now.",
    ),
    "docs_added_since": (
        "Sindsdien zijn {count} transacties toegevoegd die deze cijfers niet veranderen.",
        "{count} transactions added since do not change these figures.",
    ),
    "docs_signed_ok": (
        "Ondertekend; de handtekening is intact.",
        "Signed; the signature is intact.",
    ),
    "docs_unsigned": ("Niet ondertekend.", "Not signed."),
    "docs_signature_broken": (
        "De handtekening klopt niet: het bestand is na ondertekening gewijzigd.",
        "The signature does not hold: the file was changed after signing.",
    ),
    "docs_not_in_chain": (
        "De vingerafdruk staat niet in de keten van dit grootboek: het document komt uit een "
        "ander grootboek, of de keten is herschreven.",
        "Its fingerprint is not in this ledger's chain: the document comes from another "
        "ledger, or the chain was rewritten.",
    ),
    "docs_differ": (
        "Deze cijfers wijken nu af van het grootboek:",
        "These figures now differ from the ledger:",
    ),
    "docs_name_mismatch": (
        "De bestandsnaam noemt een andere periode of datum dan het document zelf.",
        "The file name states another period or date than the document itself.",
    ),
    "docs_unreadable_text": (
        "Dit bestand is geen leesbare netfund-verantwoording; het wordt niet aangeboden.",
        "This file is not a readable netfund statement; it is not offered for download.",
    ),
}


def _served(item: FolderFile, media_type: str) -> Response:
    """The listed file as a download, never to render in the portal's origin."""
    handle = open_listed(item)
    if handle is None:  # changed between listing and reading: as if it were not there
        raise HTTPException(404)
    return StreamingResponse(
        chunks_of(handle),
        media_type=media_type,
        headers={
            "Content-Disposition": _disposition(item.name),
            "Content-Length": str(item.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _disposition(name: str) -> str:
    """``attachment`` with the name: plain ASCII as is, anything else in RFC 6266/5987 form
    (a quote or a line break in a name can never end the header's value)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _files(request: Request) -> Path:
    files = request.app.state.files
    if files is None:  # a server database and no --files: nothing is served
        raise HTTPException(404)
    return Path(files)


def statement_rows(statements: list[IssuedStatement]) -> list[dict[str, object]]:
    """What the listing shows of each statement (the template words it)."""
    rows = []
    for s in statements:
        check = s.check
        if check is None:
            status = "unreadable"
        elif check.holds:
            status = "holds"
        else:
            status = "fails"
        rows.append(
            {
                "name": s.file.name,
                "href": quote(s.file.name, safe=""),
                "period": s.name.period,
                "as_of": s.as_of,
                "language": s.name.language,
                "interim": s.name.interim,
                "status": status,
                "check": check,
                "downloadable": s.downloadable,
            }
        )
    return rows


def statements_page(request: Request) -> Response:
    code = request.path_params["code"]
    funder_view(request, code)
    files = request.app.state.files
    statements = (
        []
        if files is None
        else funder_statements(
            request.app.state.engine, Path(files), code, request.app.state.statement_checks
        )
    )
    return page(
        request,
        "statements.html",
        {"funder": code, "rows": statement_rows(statements)},
    )


def statement_file(request: Request) -> Response:
    code = request.path_params["code"]
    funder_view(request, code)
    found = funder_statement(
        request.app.state.engine,
        _files(request),
        code,
        request.path_params["name"],
        request.app.state.statement_checks,
    )
    if found is None:
        raise HTTPException(404)
    return _served(found.file, PDF_MEDIA_TYPE)


def export_file(request: Request) -> Response:
    staff_view(request, STAFF)
    found = listed_file(folder_files(_files(request) / EXPORTS_FOLDER), request.path_params["name"])
    if found is None:
        raise HTTPException(404)
    return _served(found, export_media_type(found.name))


routes: list[BaseRoute] = [
    Route("/funders/{code}/statements", statements_page, methods=["GET"]),
    Route("/funders/{code}/statements/{name}", statement_file, methods=["GET"]),
    Route("/exports/{name}", export_file, methods=["GET"]),
]
