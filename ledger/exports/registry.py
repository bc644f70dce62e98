"""Every kind of export, in one registry: what it is called, what it takes, what writes it.

`EXPORTS` is the one place an export is looked up: `run_export` checks a request against
its kind and takes the kind's writer, the CLI makes one ``netfund export KIND`` command per
kind (its help, ``--format`` choices and options come from here) and ``netfund demo`` writes
each kind. A new export is one entry here plus its writer module.

This module is imported when the CLI starts, so it must stay light: the writers' modules
(pyarrow, openpyxl, lxml) are imported only when a writer is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netfund.ledger.exports.scope import Scope
from netfund.ledger.model.errors import LedgerError
from sqlalchemy import Connection

#: A format's writer: fills the file at the path from the ledger, returns the rows written.
Writer = Callable[[Connection, Scope, Path], int]

#: Rows of a trial balance: per account, or per fund or group and account.
TRIAL_BALANCE_DIMENSIONS = ("account", "fund", "group")
#: XML Auditfile Financieel versions; the first is the default.
XAF_VERSIONS = ("4.0", "3.2")


@dataclass(frozen=True)
class ExportOption:
    """A further choice of an export, recorded with it in the exports log.

    Attributes:
        name: its key in the request's options; the command line spells it ``--by``,
            ``--xaf-version``.
        choices: the values it takes; the first is the default.
        help: one line for the command's help.
    """

    name: str
    choices: tuple[str, ...]
    help: str

    @property
    def default(self) -> str:
        return self.choices[0]


@dataclass(frozen=True)
class ExportKind:
    """One kind of export.

    Attributes:
        name: the kind, as stored in the exports log and typed after ``netfund export``.
        help: what it writes, with an example: the command's help.
        suffixes: each format it is written in and the file suffix that format gets; the
            first format is the default.
        format_help: what the formats are, for ``--format`` (kinds of one format have none).
        options: its further choices.
        by_fund: whether it can be limited to one fund (the other kinds balance only as a
            whole, so they must hold every fund).
        unit: what its row count counts (``postings``, ``lines``).
        make_writer: the writer for a format and a value of every option; called by `writer`,
            which checked both.
    """

    name: str
    help: str
    suffixes: Mapping[str, str]
    make_writer: Callable[[str, Mapping[str, Any]], Writer]
    format_help: str = ""
    options: tuple[ExportOption, ...] = field(default=())
    by_fund: bool = False
    unit: str = "postings"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.suffixes)

    def check_format(self, file_format: str) -> None:
        if file_format not in self.suffixes:
            raise LedgerError(
                f"unknown format {file_format!r} for the {self.name} export: "
                f"use {' or '.join(self.formats)}"
            )

    def writer(self, file_format: str, options: Mapping[str, Any] | None = None) -> Writer:
        """The writer of ``file_format``, with ``options`` (an option not given: its default)."""
        self.check_format(file_format)
        given = options or {}
        chosen = {option.name: given.get(option.name, option.default) for option in self.options}
        return self.make_writer(file_format, chosen)


def _journal(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.journal import JOURNAL_WRITERS

    return JOURNAL_WRITERS[file_format]


def _trial_balance(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.trial_balance import trial_balance_writer

    return trial_balance_writer(file_format, options["by"])


def _beancount(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.plaintext import write_beancount

    return write_beancount


def _hledger(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.plaintext import write_hledger

    return write_hledger


def _xaf(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.xaf import xaf_writer

    return xaf_writer(options["xaf_version"])


def _audit_trail(file_format: str, options: Mapping[str, Any]) -> Writer:
    from netfund.ledger.exports.audit_trail import audit_trail_writer

    return audit_trail_writer(file_format)


_KINDS = (
    ExportKind(
        name="journal",
        help="""One row per posting: txn_id, external_id, date, period, type, description,
        reference, account, fund, group, debit, credit, reversal_of, txn_hash.

        \b
        Example:
          netfund export journal --format parquet --out journal.parquet
        """,
        suffixes={"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"},
        format_help="csv (UTF-8, '.' decimal point), xlsx (euro number format) or parquet "
        "(decimal(18,2)).",
        by_fund=True,
        make_writer=_journal,
    ),
    ExportKind(
        name="trial-balance",
        help="""Opening balance, debits, credits and closing balance per account.

        Opening is the balance before the period (0 without --period); closing = opening +
        debits - credits; amounts debit positive. With --by fund each fund's rows sum to zero.

        \b
        Example:
          netfund export trial-balance --format xlsx --period 2026 --by fund --out tb-2026.xlsx
        """,
        suffixes={"csv": ".csv", "xlsx": ".xlsx"},
        format_help="csv or xlsx.",
        options=(
            ExportOption(
                "by",
                TRIAL_BALANCE_DIMENSIONS,
                "Rows per account, or per fund (or group) and account.",
            ),
        ),
        unit="lines",
        make_writer=_trial_balance,
    ),
    ExportKind(
        name="beancount",
        help="""A Beancount file with balance assertions per account and fund (check: bean-check).

        \b
        Example:
          netfund export beancount --out saniveld.beancount && bean-check saniveld.beancount
        """,
        suffixes={"beancount": ".beancount"},
        make_writer=_beancount,
    ),
    ExportKind(
        name="hledger",
        help="""An hledger journal with balance assertions per account and fund.

        \b
        Example:
          netfund export hledger --out saniveld.journal && hledger -f saniveld.journal bal
        """,
        suffixes={"hledger": ".journal"},
        make_writer=_hledger,
    ),
    ExportKind(
        name="xaf",
        help="""The Dutch XML Auditfile Financieel (XAF) of the ledger or a period.

        Funders are customers/suppliers; each line carries its fund as project and its
        working group as cost centre.

        \b
        Example:
          netfund export xaf --period 2026 --out saniveld-2026.xaf
        """,
        suffixes={"xaf": ".xaf"},
        options=(ExportOption("xaf_version", XAF_VERSIONS, "XML Auditfile Financieel version."),),
        make_writer=_xaf,
    ),
    ExportKind(
        name="audit-trail",
        help="""The audit trail for auditors: who did what and when, one row per entry of
        netfund log (seq, at, actor, event, summary, periods, first_txn, last_txn,
        record_hash, details as JSON). --period keeps the entries about that period.

        \b
        Example:
          netfund export audit-trail --format xlsx --period 2026 --out audit-trail-2026.xlsx
        """,
        suffixes={"csv": ".csv", "xlsx": ".xlsx"},
        format_help="csv or xlsx.",
        unit="entries",
        make_writer=_audit_trail,
    ),
)

#: Every kind of export by name, in the order they are listed and the demo writes them.
EXPORTS: Mapping[str, ExportKind] = {kind.name: kind for kind in _KINDS}
