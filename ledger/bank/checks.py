"""What `verify` holds the bank's tables to: their records, and the ledger's money.

`bank_statements` and `bank_lines` are plain tables beside the chains. A raw ``UPDATE``
could change a line's amount, drop a line, or point a line at a transaction it is not (so
that a receipt the bank never saw looks reconciled). So `verify` checks:

- every ``bank-statement`` record has its `bank_statements` row with the same facts, and every
  row its record;
- the lines a statement added, recomputed from `bank_lines` (reference, booking date, amount,
  counterparty's account, in the account's order), give the sha256 its record holds;
- every line booked or linked names a transaction of the ledger whose movement on
  ``Assets:Bank`` is the line's amount, and no transaction is named by two lines.

How a line is matched may change after its import (`bank assign`); that is an ordinary write
with its own entry in the audit trail, and the check above holds whatever it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netfund.ledger.bank.importing import lines_sha256
from netfund.ledger.bank.matching import stored_line
from netfund.ledger.event_rules import BANK
from netfund.ledger.store.records import Record
from netfund.ledger.store.schema import (
    bank_lines_table,
    bank_statements_table,
    postings_table,
    transactions_table,
)
from sqlalchemy import Connection, func, select

#: The facts a ``bank-statement`` record and its row must agree on: (record key, column).
_FACTS = (
    ("account", "account_iban"),
    ("statement_id", "statement_id"),
    ("file_sha256", "file_sha256"),
    ("opening_cents", "opening_cents"),
    ("closing_cents", "closing_cents"),
    ("added", "lines_added"),
)


def bank_findings(connection: Connection, records: Sequence[Record]) -> list[str]:
    """Each way the bank's tables differ from their records or the ledger (module doc)."""
    findings: list[str] = []
    recorded = {r.seq: r.content for r in records if r.kind == "bank-statement"}
    rows = {row.record_seq: row for row in connection.execute(select(bank_statements_table))}
    for seq, content in recorded.items():
        row = rows.get(seq)
        if row is None:
            findings.append(f"bank statement record {seq} has no row in bank_statements")
            continue
        for key, column in _FACTS:
            if content.get(key) != getattr(row, column):
                findings.append(
                    f"bank statement {row.statement_id} (record {seq}): {column} is "
                    f"{getattr(row, column)!r} in the table, {content.get(key)!r} in its record"
                )
        lines = [stored_line(line) for line in _lines_of(connection, row.id)]
        if lines_sha256(lines) != content.get("lines_sha256"):
            findings.append(
                f"bank statement {row.statement_id} (record {seq}): its lines in bank_lines "
                "are not the lines it added (a line changed, added or deleted around netfund)"
            )
    for seq, row in rows.items():
        if seq not in recorded:
            findings.append(
                f"bank statement {row.statement_id} (row {row.id}) names record {seq}, which "
                "is no bank statement record: written around netfund"
            )
    return findings + _match_findings(connection)


def _lines_of(connection: Connection, statement: int) -> list[Any]:
    b = bank_lines_table.c
    return list(
        connection.execute(
            select(bank_lines_table).where(b.statement == statement).order_by(b.position)
        )
    )


def _match_findings(connection: Connection) -> list[str]:
    b, t, p = bank_lines_table.c, transactions_table.c, postings_table.c
    moved = (
        select(t.external_id, func.sum(p.amount_cents).label("cents"))
        .join_from(postings_table, transactions_table, p.txn_id == t.id)
        .where(p.account == BANK)
        .group_by(t.external_id)
        .subquery()
    )
    findings: list[str] = []
    named: dict[str, str] = {}
    for ref, account, amount, txn, cents in connection.execute(
        select(b.ref, b.account_iban, b.amount_cents, b.txn_external_id, moved.c.cents)
        .outerjoin(moved, moved.c.external_id == b.txn_external_id)
        .where(b.txn_external_id.is_not(None))
        .order_by(b.account_iban, b.position)
    ):
        if cents is None:
            findings.append(
                f"bank line {ref} of {account} is matched to {txn}, which moves no money on "
                f"{BANK} in the ledger"
            )
        elif int(cents) != amount:
            findings.append(
                f"bank line {ref} of {account} ({amount} cents) is matched to {txn}, which "
                f"moves {int(cents)} cents on {BANK}"
            )
        if txn in named:
            findings.append(f"transaction {txn} is matched to two bank lines: {named[txn]}, {ref}")
        named[txn] = ref
    return findings
