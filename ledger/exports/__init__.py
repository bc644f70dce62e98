"""Every export for auditors' and controllers' tools, each streamed in chunks and recorded in
the exports log: journal (CSV, XLSX, Parquet), trial balance, Beancount, hledger, XAF and
the audit trail (CSV, XLSX).

`EXPORTS` lists every kind with what it takes; `run_export` writes one and records it;
`list_exports` reads the log back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netfund.ledger.model.lazy import lazy_api

#: Where each public name lives; loaded lazily, since writers pull in pyarrow and lxml.
_HOMES: dict[str, str] = {
    "EXPORTS": "netfund.ledger.exports.registry",
    "ExportKind": "netfund.ledger.exports.registry",
    "ExportOption": "netfund.ledger.exports.registry",
    "Writer": "netfund.ledger.exports.registry",
    "ExportRecord": "netfund.ledger.exports.records",
    "ExportRequest": "netfund.ledger.exports.records",
    "list_exports": "netfund.ledger.exports.records",
    "run_export": "netfund.ledger.exports.records",
    "AtomicFile": "netfund.ledger.exports.safety",
    "neutralise": "netfund.ledger.exports.safety",
}

__all__ = [
    "EXPORTS",
    "AtomicFile",
    "ExportKind",
    "ExportOption",
    "ExportRecord",
    "ExportRequest",
    "Writer",
    "list_exports",
    "neutralise",
    "run_export",
]


__getattr__, __dir__ = lazy_api(__name__, _HOMES)


if TYPE_CHECKING:
    from netfund.ledger.exports.records import (
        ExportRecord,
        ExportRequest,
        list_exports,
        run_export,
    )
    from netfund.ledger.exports.registry import EXPORTS, ExportKind, ExportOption, Writer
    from netfund.ledger.exports.safety import AtomicFile, neutralise
