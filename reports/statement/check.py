"""Checking a statement against the ledger: does it still say what the ledger says?

A statement embeds its figures and the fingerprint of the newest transaction it includes
(`embedded.py`). `check_statement` reads them back and asks the ledger two things:

1. is that transaction, with that hash, in this ledger's chain? (If not, the statement came
   from another ledger, or the chain was rewritten: `netfund verify` says where.)
2. do the figures equal what the ledger computes now for the same period, funder and as-of
   date? (A transaction dated on or before the as-of date that was added later, a reversal
   or a late import, changes them; the differences are named figure by figure.)

A signed statement's signature must also be intact and cover the whole file. Transactions
added after the fingerprint that do not change the figures are reported, not failed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.ledger import (
    ChainPosition,
    InputError,
    LedgerError,
    Problem,
    chain_hash_at,
    parse_period,
    reading,
    require_schema,
    transactions_after,
)
from netfund.reports.statement.data import read_period_inputs, statement_data
from netfund.reports.statement.embedded import (
    differences,
    embedded_document,
    flatten_figures,
    read_statement_file,
    statement_figures,
)
from netfund.reports.statement.signing import SignatureStatus, signature_status
from sqlalchemy import Engine


@dataclass(frozen=True)
class FigureDifference:
    """A figure the statement and the ledger disagree on.

    Attributes:
        figure: its key path in the embedded figures, e.g. ``summary.spent_cents`` or
            ``groups[WG-WIJK].spent_cents``.
        statement: the statement's value (None if the statement lacks the figure).
        ledger: the ledger's value now (None if the ledger no longer has it).
    """

    figure: str
    statement: Any
    ledger: Any


@dataclass(frozen=True)
class StatementCheck:
    """The outcome of checking one statement.

    Attributes:
        path: the file checked.
        period: the statement's period.
        funder: its funder.
        as_of: its as-of date.
        fingerprint: the transaction it names as its newest, or None.
        fingerprint_in_chain: that transaction exists here with that hash (True if None).
        added_since: transactions dated on or before ``as_of`` appended after it.
        figures_checked: how many figures were compared.
        differences: the figures that differ.
        signature: the signature's status, or None for an unsigned statement.
    """

    path: Path
    period: str
    funder: str
    as_of: datetime.date
    fingerprint: ChainPosition | None
    fingerprint_in_chain: bool
    added_since: int
    figures_checked: int
    differences: tuple[FigureDifference, ...]
    signature: SignatureStatus | None

    @property
    def ok(self) -> bool:
        signature_ok = self.signature is None or self.signature.ok
        return self.fingerprint_in_chain and not self.differences and signature_ok

    def problems(self) -> list[str]:
        """Why the check failed, one line each (empty when it passed)."""
        lines: list[str] = []
        if not self.fingerprint_in_chain and self.fingerprint is not None:
            lines.append(
                f"fingerprint: transaction {self.fingerprint.transaction} with hash "
                f"{self.fingerprint.hash} is not in this ledger's chain"
            )
        lines += [
            f"{d.figure}: statement {_shown(d.statement)}, ledger now {_shown(d.ledger)}"
            for d in self.differences
        ]
        if self.signature is not None and not self.signature.intact:
            lines.append("signature: not intact, the signed bytes were changed")
        if self.signature is not None and not self.signature.covers_whole_file:
            lines.append("signature: something was appended to the file after signing")
        return lines


def check_statement(engine: Engine, path: Path) -> StatementCheck:
    """Check the statement at ``path`` against the ledger of ``engine`` (see module doc).

    Raise `InputError` (exit 2) if the file is not a netfund statement; a statement that
    does not match is a `StatementCheck` whose ``ok`` is False.
    """
    content = read_statement_file(path)
    document = embedded_document(content, path)
    try:
        period = parse_period(document["period"])
        as_of = datetime.date.fromisoformat(document["as_of"])
    except (LedgerError, ValueError) as error:
        raise InputError([Problem(str(path), None, f"not a netfund statement: {error}")]) from None
    stated = document["fingerprint"]
    fingerprint = None if stated is None else ChainPosition(stated["transaction"], stated["hash"])
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        in_chain = fingerprint is None or (
            chain_hash_at(connection, fingerprint.transaction) == fingerprint.hash
        )
        added = transactions_after(connection, fingerprint.transaction if fingerprint else 0, as_of)
        inputs = read_period_inputs(connection, period, as_of)
    funder = document["funder"]
    if inputs.network.funder(funder) is None:
        computed: dict[str, Any] = {}
    else:
        data = statement_data(inputs, funder, inputs.network.language, "")
        computed = statement_figures(data)
        # Figures statements did not always state (outcomes: not before indicators existed,
        # nor in a network without them).
        for newer in ("coverage", "schedule", "approvals", "outcomes"):
            if newer not in document["figures"]:
                computed.pop(newer, None)
    found = [
        FigureDifference(figure, statement, ledger)
        for figure, statement, ledger in differences(document["figures"], computed)
    ]
    return StatementCheck(
        path=path,
        period=period,
        funder=funder,
        as_of=as_of,
        fingerprint=fingerprint,
        fingerprint_in_chain=in_chain,
        added_since=added,
        figures_checked=len(flatten_figures(document["figures"])),
        differences=tuple(found),
        signature=signature_status(content),
    )


def _shown(value: Any) -> str:
    return "(absent)" if value is None else str(value)
