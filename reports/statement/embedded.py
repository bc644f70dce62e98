"""The statement's figures inside the PDF, as JSON a program can read back and re-check.

The figures travel as an embedded file attachment (``netfund-statement.json`` in the
catalog's /Names /EmbeddedFiles tree, relationship /Data), the mechanism e-invoices use
(ZUGFeRD, Factur-X): every PDF library reads it (pypdf's ``reader.attachments``, pyHanko's
object model), a viewer lists it, and a PAdES signature leaves it alone, since pyHanko signs
by an incremental update that keeps the original catalog's entries. A custom document-info
key would be read as easily, but the info dictionary is what editing and signing tools
update (pyHanko writes its own /Info in the update), so it is the less reliable place.

The JSON holds the period, funder, as-of date, fingerprint and whether it is interim, and
under ``figures`` the transactions it covers (count, first and last chain position) and every
amount in cents: the summary, each group, each receipt and refund, the network's totals, the
funding per funder, the overhead checks and the funder's payment schedule (each instalment's
date and cents; what fell due, was received for the period and is overdue by the as-of date),
and, in a network with indicators, ``outcomes``: per group its money went to, the indicators
beside it (each point of the trend, the latest, previous and start values, the changes, the
reference point and the one applying at the latest measurement, a count's total, the spending
and the cost per unit; values as exact decimal text, `value_text`).
`verify-statement` rebuilds ``figures`` from the ledger and compares them key by key
(`differences`).
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from netfund.ledger import (
    Anchor,
    GroupOutcomes,
    IndicatorOutcome,
    InputError,
    MoneyMovement,
    Problem,
    anchor,
)
from netfund.reports.indicators import exact, point_document
from netfund.reports.statement.data import StatementData, Summary
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfgen.canvas import Canvas

FORMAT = "netfund-statement/1"
ATTACHMENT_NAME = "netfund-statement.json"
#: A statement larger than this is not read (a 300-group statement is well under 1 MiB).
STATEMENT_BYTES_MAX = 100 * 1024 * 1024
#: Nesting depth of a PDF name tree that is still walked.
NAME_TREE_DEPTH_MAX = 8
#: Fields that identify an item of a list in the figures, so differences name it.
_ITEM_KEYS = ("group", "funder", "transaction", "key", "date", "indicator")


def statement_document(data: StatementData) -> dict[str, Any]:
    """The JSON document embedded in ``data``'s statement."""
    fingerprint = data.fingerprint
    return {
        "format": FORMAT,
        "netfund_version": data.netfund_version,
        "network": data.network_name,
        "language": data.language,
        "period": data.period,
        "funder": data.funder.code,
        "as_of": data.as_of.isoformat(),
        "fingerprint": None
        if fingerprint is None
        else {"transaction": fingerprint.transaction, "hash": fingerprint.hash},
        "interim": data.interim,
        "figures": statement_figures(data),
    }


def statement_figures(data: StatementData) -> dict[str, Any]:
    """Every figure of the statement in cents, and the transactions it covers: what
    `verify-statement` compares (a transaction dated within its as-of date added since
    changes ``coverage`` even where it leaves the amounts as they were).

    ``outcomes`` only where the statement shows some: a network without indicators embeds
    the same figures as before they existed."""
    figures = {
        "coverage": {
            "transactions": data.coverage.transactions,
            "first_transaction": data.coverage.first,
            "last_transaction": data.coverage.last,
        },
        "summary": _summary(data.summary),
        "groups": [
            {
                "group": line.code,
                "allocated_cents": line.allocated_cents,
                "spent_cents": line.spent_cents,
                "remaining_cents": line.remaining_cents,
            }
            for line in data.groups
        ],
        "receipts": [_movement(m) for m in data.receipts],
        "refunds": [_movement(m) for m in data.refunds],
        "network": _summary(data.network),
        "funders": [
            {"funder": total.code, "committed_cents": total.committed_cents}
            for total in data.funders
        ],
        "overhead": [
            {
                "key": check.key,
                "overhead_cents": check.overhead_cents,
                "total_cents": check.total_cents,
                "cap": None if check.cap is None else str(check.cap),
                "passes": check.passes,
            }
            for check in data.overhead
        ],
        "schedule": {
            "instalments": [
                {"date": row.date.isoformat(), "cents": row.cents, "rest": row.instalment is None}
                for row in data.due.rows
            ],
            "due_cents": data.due.due_cents,
            "received_for_period_cents": data.received_for_period_cents,
            "overdue_cents": data.overdue_cents,
        },
        "approvals": [
            {
                "transaction": each.transaction,
                "date": each.date.isoformat(),
                "run": each.run,
                # Days, as the statement prints them: the same ledger gives the same bytes
                # on the day (a second's difference in when the demo ran does not show).
                "committed_by": each.committed_by,
                "committed_on": _day(each.committed_at),
                "proposed_by": each.proposed_by,
                "proposed_on": _day(each.proposed_at),
                "approved_by": each.approved_by,
                "approved_on": _day(each.approved_at),
            }
            for each in data.approvals
        ],
    }
    if data.outcomes:
        figures["outcomes"] = [_group_outcomes(group) for group in data.outcomes]
    return figures


def _group_outcomes(group: GroupOutcomes) -> dict[str, Any]:
    return {
        "group": group.group,
        "allocated_cents": group.allocated_cents,
        "spent_cents": group.spent_cents,
        "indicators": [_indicator_outcome(each) for each in group.indicators],
    }


def _indicator_outcome(outcome: IndicatorOutcome) -> dict[str, Any]:
    """One indicator's figures as `outcomes.py` defines them; the points keyed by date, so
    a measurement added within the as-of date is named by its date."""
    return {
        "indicator": outcome.indicator.code,
        "points": [point_document(point) for point in outcome.points],
        "latest": point_document(outcome.latest),
        "previous": point_document(outcome.previous),
        "start": point_document(outcome.start),
        "change_since_previous": exact(outcome.change_since_previous),
        "change_since_start": exact(outcome.change_since_start),
        "total": exact(outcome.total),
        "reference": exact(outcome.reference),
        "reference_now": exact(outcome.reference_now),
        "spent_cents": outcome.spent_cents,
        "cost_per_unit_cents": outcome.cost_per_unit_cents,
    }


def _day(at: str | None) -> str | None:
    """The UTC day of a record's ``at`` (ISO 8601)."""
    return None if at is None else at[:10]


def _summary(summary: Summary) -> dict[str, int]:
    return asdict(summary)


def _movement(movement: MoneyMovement) -> dict[str, Any]:
    return {
        "transaction": movement.transaction,
        "date": movement.date.isoformat(),
        "reference": movement.reference,
        "amount_cents": movement.amount_cents,
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    """Canonical JSON (sorted keys), so the same figures always embed the same bytes."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def attach(canvas: Canvas, payload: bytes, description: str) -> None:
    """Embed ``payload`` as the statement's JSON attachment; call before the canvas saves."""
    document = canvas._doc  # ReportLab has no public API for attachments; its object model does
    stream = PDFStream(
        PDFDictionary(
            {
                "Type": PDFName("EmbeddedFile"),
                "Subtype": PDFName("application#2Fjson"),
                "Params": PDFDictionary({"Size": len(payload)}),
            }
        ),
        payload,
    )
    filespec = PDFDictionary(
        {
            "Type": PDFName("Filespec"),
            "F": PDFString(ATTACHMENT_NAME),
            "UF": PDFString(ATTACHMENT_NAME),
            "Desc": PDFString(description),
            "AFRelationship": PDFName("Data"),
            "EF": PDFDictionary({"F": document.Reference(stream)}),
        }
    )
    names = PDFArray([PDFString(ATTACHMENT_NAME), document.Reference(filespec)])
    document.Catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": names})})


def read_statement_file(path: Path) -> bytes:
    """The bytes of the statement file ``path``; `InputError` if it cannot be read."""
    try:
        if path.stat().st_size > STATEMENT_BYTES_MAX:
            raise _not_a_statement(
                path, f"the file is larger than {STATEMENT_BYTES_MAX // (1024 * 1024)} MiB"
            )
        return path.read_bytes()
    except OSError as error:
        raise InputError([Problem(str(path), None, f"cannot read it: {error.strerror}")]) from None


def embedded_document(content: bytes, path: Path) -> dict[str, Any]:
    """The embedded statement JSON of the PDF ``content`` (read from ``path``).

    Raise `InputError` (exit 2) if it is not a PDF, has no statement attachment, or the
    attachment is not a statement document.
    """
    # Imported here: rendering imports this module too, and needs no PDF reader.
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not content.startswith(b"%PDF-"):
        raise _not_a_statement(path, "it is not a PDF file")
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        payload = _attachment(reader.root)
    except (PdfError, KeyError, TypeError, ValueError, IndexError) as error:
        raise _not_a_statement(path, f"the PDF cannot be read ({error})") from None
    if payload is None:
        raise _not_a_statement(path, f"it has no {ATTACHMENT_NAME} attachment")
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _not_a_statement(path, f"its {ATTACHMENT_NAME} is not JSON ({error})") from None
    problem = _shape_problem(document)
    if problem is not None:
        raise _not_a_statement(path, problem)
    return document


def statement_anchor(path: Path) -> Anchor | None:
    """The statement ``path``'s fingerprint as an anchor for `netfund verify --anchor`: the
    ledger must still hold the transaction it names with its hash. None for a statement of
    an empty ledger (no fingerprint: nothing to hold the chain to)."""
    document = embedded_document(read_statement_file(path), path)
    fingerprint = document["fingerprint"]
    if fingerprint is None:
        return None
    source = (
        f"statement {path} ({document['funder']} {document['period']}, as of {document['as_of']})"
    )
    made = anchor("transactions", fingerprint["transaction"], fingerprint["hash"], source)
    if made is None:
        raise _not_a_statement(path, f"its {ATTACHMENT_NAME} has a malformed fingerprint")
    return made


def _not_a_statement(path: Path, reason: str) -> InputError:
    return InputError([Problem(str(path), None, f"not a netfund statement: {reason}")])


def _attachment(root: Any) -> bytes | None:
    """The attachment's bytes from the catalog's /Names /EmbeddedFiles tree, if present."""
    names = root.get("/Names")
    if names is None:
        return None
    tree = names.get_object().get("/EmbeddedFiles")
    if tree is None:
        return None
    pending = [(tree.get_object(), 0)]
    while pending:
        node, depth = pending.pop()
        if depth > NAME_TREE_DEPTH_MAX:
            break
        pairs = node.get("/Names")
        if pairs is not None:
            pairs = pairs.get_object()
            for index in range(0, len(pairs) - 1, 2):
                if str(pairs[index]) == ATTACHMENT_NAME:
                    spec = pairs[index + 1].get_object()
                    return bytes(spec["/EF"].get_object()["/F"].get_object().data)
        for kid in node.get("/Kids", []):
            pending.append((kid.get_object(), depth + 1))
    return None


def _shape_problem(document: Any) -> str | None:
    """Why ``document`` is not a statement document we can check, or None if it is."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return f"its {ATTACHMENT_NAME} is not of format {FORMAT}"
    for key in ("period", "funder", "as_of"):
        if not isinstance(document.get(key), str):
            return f"its {ATTACHMENT_NAME} lacks {key!r}"
    fingerprint = document.get("fingerprint")
    if fingerprint is not None and not (
        isinstance(fingerprint, dict)
        and isinstance(fingerprint.get("transaction"), int)
        and isinstance(fingerprint.get("hash"), str)
    ):
        return f"its {ATTACHMENT_NAME} has a malformed fingerprint"
    if not isinstance(document.get("figures"), dict):
        return f"its {ATTACHMENT_NAME} lacks the figures"
    return None


def differences(stated: Any, computed: Any) -> list[tuple[str, Any, Any]]:
    """Every figure where ``stated`` and ``computed`` differ: (key path, stated, computed).

    Lists of records are matched by their identifying field (group, funder, transaction,
    key), so an added or removed group is named instead of shifting every line after it.
    """
    flat_stated, flat_computed = flatten_figures(stated), flatten_figures(computed)
    return [
        (key, flat_stated.get(key), flat_computed.get(key))
        for key in sorted(set(flat_stated) | set(flat_computed))
        if flat_stated.get(key) != flat_computed.get(key)
    ]


def flatten_figures(value: Any, prefix: str = "") -> dict[str, Any]:
    """Every figure under its key path: ``{"summary.spent_cents": 123, ...}``."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            result.update(flatten_figures(item, f"{prefix}.{key}" if prefix else str(key)))
        return result
    if isinstance(value, list):
        result = {}
        for index, item in enumerate(value):
            label = next(
                (item[key] for key in _ITEM_KEYS if isinstance(item, dict) and key in item),
                index,
            )
            result.update(flatten_figures(item, f"{prefix}[{label}]"))
        return result
    return {prefix: value}
