"""Rewriting the records chain behind netfund's back, as someone who can write the database
and knows how records are hashed would: edit the records, re-hash the whole chain, move its
head. Shared by the audit-trail tests; this module holds no tests itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netfund.ledger.store.records import record_hash
from sqlalchemy import Connection, text


def rewrite_records(
    connection: Connection, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Edit the records (dicts of their columns), then re-hash the whole chain and move its
    head: a rewrite by someone who can write the database and knows the hashing."""
    rows = [
        dict(row._mapping)
        for row in connection.execute(text("SELECT * FROM ledger_records ORDER BY seq"))
    ]
    rows = edit(rows)
    connection.execute(text("DELETE FROM ledger_records"))
    previous = "0" * 64
    for seq, row in enumerate(rows, 1):
        row["seq"], row["prev_hash"] = seq, previous
        row["hash"] = record_hash(
            previous, seq, row["kind"], row["transaction_head"], row["content"], row["actor"]
        )
        connection.execute(
            text(
                "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, "
                "hash, actor) VALUES (:seq, :kind, :content, :transaction_head, :prev_hash, "
                ":hash, :actor)"
            ),
            row,
        )
        previous = row["hash"]
    connection.execute(
        text("UPDATE records_head SET last_seq = :seq, last_hash = :hash"),
        {"seq": len(rows), "hash": previous},
    )
