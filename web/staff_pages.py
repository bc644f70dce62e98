"""The staff pages: the controller's overview of every funder with the exports to download,
and the administrator's dashboard with its warnings and the proposals waiting for approval.

Every figure is `load_status`'s, the function behind ``netfund status``, whose funder lines
are exactly the statements' summaries: the pages format, they never add or subtract. The
warnings are `load_status`'s too; their sentences are the ledger's (English, in euros), so the
page words their kind and marks them with an icon and a word, never with colour alone.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from netfund.ledger import FieldError, Proposal, list_proposals, parse_period
from netfund.reports.portal import FIGURES
from netfund.reports.status import FunderLine, Status, load_status
from netfund.web.documents import ExportFile, export_files
from netfund.web.guards import STAFF, staff_view
from netfund.web.render import page
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

#: The warning kinds `load_status` gives, each worded on the page.
WARNING_KINDS = (
    "overhead_over_cap",
    "overhead_near_cap",
    "overspent",
    "allocation_overspent",
    "receipts_lag",
    "spent_beyond_received",
    "bank_difference",
    "bank_unmatched",
)
ADMINISTRATOR = frozenset({"administrator"})

WORDS: dict[str, tuple[str, str]] = {
    "staff_controller_title": ("Financiers en exports", "Funders and exports"),
    "staff_admin_title": ("Overzicht en waarschuwingen", "Dashboard and warnings"),
    "staff_period": ("Periode {period}", "Period {period}"),
    "staff_as_of": (
        "Alles gedateerd tot en met {as_of}, zoals in de verantwoordingen.",
        "Everything dated up to and including {as_of}, as in the statements.",
    ),
    "staff_periods": ("Andere perioden", "Other periods"),
    "staff_empty": (
        "Het grootboek heeft nog geen transacties.",
        "The ledger has no transactions yet.",
    ),
    "staff_funders": ("Financiers", "Funders"),
    "staff_funder": ("Financier", "Funder"),
    "staff_total": ("Totaal netwerk", "Network total"),
    "staff_fig_committed": ("Toegezegd", "Committed"),
    "staff_fig_received": ("Ontvangen", "Received"),
    "staff_fig_allocated": ("Toegewezen", "Allocated"),
    "staff_fig_spent": ("Besteed", "Spent"),
    "staff_fig_refunded": ("Terugbetaald", "Refunded"),
    "staff_fig_unspent": ("Niet besteed", "Unspent"),
    "staff_fig_unallocated": ("Niet toegewezen", "Unallocated"),
    "staff_exports": ("Exports", "Exports"),
    "staff_no_exports": ("Er zijn geen exports.", "There are no exports."),
    "staff_no_files": (
        "Er is geen map met statements/ en exports/: start het portaal met --files MAP.",
        "There is no folder holding statements/ and exports/: start the portal with --files DIR.",
    ),
    "staff_statements_link": ("verantwoordingen", "statements"),
    "staff_export_file": ("Bestand", "File"),
    "staff_export_kind": ("Soort", "Kind"),
    "staff_export_period": ("Periode", "Period"),
    "staff_export_size": ("Grootte", "Size"),
    "staff_export_date": ("Gemaakt", "Written"),
    "staff_export_bytes": ("{count} bytes", "{count} bytes"),
    "staff_export_unlogged": ("niet in het exportlogboek", "not in the exports log"),
    "staff_export_whole": ("het hele grootboek", "the whole ledger"),
    "staff_export_download": ("{name} downloaden", "Download {name}"),
    "staff_groups": ("Groepen", "Groups"),
    "staff_group": ("Groep", "Group"),
    "staff_no_group": ("zonder groep", "without a group"),
    "staff_remaining": ("Resterend", "Remaining"),
    "staff_overhead": ("overhead", "overhead"),
    "staff_warnings": ("Waarschuwingen", "Warnings"),
    "staff_no_warnings": ("Geen waarschuwingen.", "No warnings."),
    "staff_warning": ("Waarschuwing", "Warning"),
    "staff_warning_overhead_over_cap": ("Overhead boven het plafond", "Overhead above the cap"),
    "staff_warning_overhead_near_cap": ("Overhead dicht bij het plafond", "Overhead near the cap"),
    "staff_warning_overspent": ("Groep overbesteed", "Group overspent"),
    "staff_warning_allocation_overspent": (
        "Toewijzing van een financier overbesteed",
        "A funder's allocation overspent",
    ),
    "staff_warning_receipts_lag": ("Betaling achter op schema", "Receipts behind schedule"),
    "staff_warning_spent_beyond_received": (
        "Meer besteed dan ontvangen",
        "Spent beyond what was received",
    ),
    "staff_warning_bank_difference": (
        "Grootboek wijkt af van de bank",
        "The ledger differs from the bank",
    ),
    "staff_warning_bank_unmatched": ("Banklijnen niet verwerkt", "Bank lines not matched"),
    "staff_warning_other": ("Waarschuwing", "Warning"),
    "staff_warning_subject": ("betreft {subject}", "concerns {subject}"),
    "staff_proposals": ("Voorstellen die op goedkeuring wachten", "Proposals waiting for approval"),
    "staff_no_proposals": (
        "Geen voorstellen wachten op goedkeuring.",
        "No proposals wait for approval.",
    ),
    "staff_proposals_intro": (
        "Een tweede persoon voert een voorstel uit met het commando hieronder (vier ogen); "
        "het portaal keurt zelf niets goed.",
        "A second person carries out a proposal with the command below (four eyes); the "
        "portal approves nothing itself.",
    ),
    "staff_proposal": ("Voorstel", "Proposal"),
    "staff_proposal_by": ("Voorgesteld door", "Proposed by"),
    "staff_proposal_reason": ("Reden", "Reason"),
    "staff_proposal_does": ("Wat goedkeuren doet", "What approving does"),
    "staff_does_allocation_commit": (
        "legt toewijzingsrun {run} vast per {date}",
        "commits allocation run {run} as of {date}",
    ),
    "staff_does_close": ("sluit periode {period} af", "closes period {period}"),
    "staff_does_reopen": ("heropent periode {period}", "reopens period {period}"),
    "staff_does_post": ("boekt transactie {id} per {date}", "posts transaction {id} dated {date}"),
    "staff_does_reverse": ("keert transactie {id} terug", "reverses transaction {id}"),
    "staff_does_bank_assign": (
        "boekt bankregel {ref} op {target}",
        "books bank line {ref} as {target}",
    ),
    "staff_does_other": ("voert {action} uit", "performs {action}"),
    "staff_does_postings": (
        "{count} transacties, debet {debits}",
        "{count} transactions, debits {debits}",
    ),
}


def _period(request: Request) -> str | None:
    """The ``period`` asked for (None: the newest); 400 for anything but a year."""
    asked = request.query_params.get("period")
    if asked is None or asked == "":
        return None
    try:
        return parse_period(asked)
    except FieldError as error:
        raise HTTPException(400, detail=str(error)) from None


def _status(request: Request) -> Status | None:
    engine = request.app.state.engine
    return load_status(engine, _period(request), datetime.date.today())


def funder_rows(status: Status) -> list[dict[str, Any]]:
    """Each funder's seven figures (cents, as `load_status` gives them), then the total."""

    def row(line: FunderLine, link: bool) -> dict[str, Any]:
        money = line.money
        return {
            "code": line.code,
            "name": line.name,
            "link": link,
            "cents": {figure: getattr(money, f"{figure}_cents") for figure in FIGURES},
        }

    return [row(line, True) for line in status.funders] + [row(status.total, False)]


def export_rows(exports: list[ExportFile]) -> list[dict[str, Any]]:
    rows = []
    for export in exports:
        record = export.record
        if record is not None:
            written = record.created_at.replace("T", " ").replace("Z", " UTC")
        else:
            written = export.file.modified.strftime("%Y-%m-%d %H:%M:%S UTC")
        rows.append(
            {
                "name": export.file.name,
                "href": quote(export.file.name, safe=""),
                "kind": export.kind,
                "format": None if record is None else record.format,
                "period": None if record is None else record.period,
                "recorded": record is not None,
                "size": export.file.size,
                "written": written,
            }
        )
    return rows


def proposal_rows(proposals: list[Proposal]) -> list[dict[str, Any]]:
    """Each waiting proposal and the words of what ``netfund approve N`` would carry out."""
    rows = []
    for p in proposals:
        arguments = p.arguments
        if p.action == "allocation-commit":
            key, values = (
                "allocation_commit",
                {"run": arguments.get("run"), "date": arguments.get("date")},
            )
        elif p.action in ("close", "reopen"):
            key, values = p.action, {"period": arguments.get("period")}
        elif p.action in ("post", "reverse"):
            key, values = p.action, {"id": arguments.get("id"), "date": arguments.get("date")}
        elif p.action == "bank-assign" and arguments.get("ref"):
            target = " ".join(
                str(arguments[name]) for name in ("group", "funder") if arguments.get(name)
            )
            key, values = "bank_assign", {"ref": arguments["ref"], "target": target}
        else:
            key, values = "other", {"action": p.action}
        rows.append(
            {
                "number": p.number,
                "does": f"staff_does_{key}",
                "fill": {name: str(value) for name, value in values.items()},
                "transactions": int(p.summary.get("transactions", 0)),
                "debit_cents": int(p.summary.get("debit_cents", 0)),
                "by": p.by or "",
                "at": (p.at or "").replace("T", " ").replace("Z", " UTC"),
                "reason": p.reason or "",
            }
        )
    return rows


def _common(status: Status | None) -> dict[str, Any]:
    if status is None:
        return {"status": None, "funders": [], "periods": []}
    return {
        "status": status,
        "funders": funder_rows(status),
        "periods": [p for p in status.periods if p != status.period],
        "figures": FIGURES,
    }


def controller_page(request: Request) -> Response:
    staff_view(request, STAFF)
    status = _status(request)
    files = request.app.state.files
    exports = [] if files is None else export_files(request.app.state.engine, Path(files))
    return page(
        request,
        "controller.html",
        {
            **_common(status),
            "figures": FIGURES,
            "exports": export_rows(exports),
            "files": files is not None,
        },
    )


def admin_page(request: Request) -> Response:
    staff_view(request, ADMINISTRATOR)
    status = _status(request)
    warnings = []
    if status is not None:
        warnings = [
            {
                "label": f"staff_warning_{w.kind if w.kind in WARNING_KINDS else 'other'}",
                "kind": w.kind,
                "subject": w.subject,
                "message": w.message,
            }
            for w in status.warnings
        ]
    return page(
        request,
        "admin.html",
        {
            **_common(status),
            "figures": FIGURES,
            "warnings": warnings,
            "proposals": proposal_rows(list_proposals(request.app.state.engine)),
        },
    )


routes: list[BaseRoute] = [
    Route("/controller", controller_page, methods=["GET"]),
    Route("/admin", admin_page, methods=["GET"]),
]
