"""Every export for auditors' and controllers' tools, each streamed in chunks and recorded in
the exports log: journal (CSV, XLSX, Parquet), trial balance, Beancount, hledger, XAF."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives; loaded lazily, since writers pull in pyarrow and lxml.
_HOMES: dict[str, str] = {
    "JOURNAL_WRITERS": "netfund.ledger.exports.journal",
    "PLAINTEXT_WRITERS": "netfund.ledger.exports.plaintext",
    "ExportRecord": "netfund.ledger.exports.records",
    "ExportRequest": "netfund.ledger.exports.records",
    "FORMATS": "netfund.ledger.exports.records",
    "TRIAL_BALANCE_DIMENSIONS": "netfund.ledger.exports.records",
    "Writer": "netfund.ledger.exports.records",
    "XAF_VERSIONS": "netfund.ledger.exports.records",
    "list_exports": "netfund.ledger.exports.records",
    "run_export": "netfund.ledger.exports.records",
    "trial_balance_writer": "netfund.ledger.exports.trial_balance",
    "xaf_writer": "netfund.ledger.exports.xaf",
}

__all__ = [
    "FORMATS",
    "JOURNAL_WRITERS",
    "PLAINTEXT_WRITERS",
    "TRIAL_BALANCE_DIMENSIONS",
    "XAF_VERSIONS",
    "ExportRecord",
    "ExportRequest",
    "Writer",
    "list_exports",
    "run_export",
    "trial_balance_writer",
    "xaf_writer",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from netfund.ledger.exports.journal import JOURNAL_WRITERS
    from netfund.ledger.exports.plaintext import PLAINTEXT_WRITERS
    from netfund.ledger.exports.records import (
        FORMATS,
        TRIAL_BALANCE_DIMENSIONS,
        XAF_VERSIONS,
        ExportRecord,
        ExportRequest,
        Writer,
        list_exports,
        run_export,
    )
    from netfund.ledger.exports.trial_balance import trial_balance_writer
    from netfund.ledger.exports.xaf import xaf_writer
