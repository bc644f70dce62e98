"""What an export covers: a period, a fund, and the ledger up to a fixed transaction.

An export reads the chain head once, at its start, and every query after that is limited to
transactions up to that position. The ledger is append-only, so those rows can never change:
however long the export runs and whatever is appended meanwhile, the file holds exactly the
ledger that its recorded fingerprint (the head's hash) identifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.model.errors import InvariantViolation, LedgerError
from netfund.ledger.model.fields import parse_period
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.schema import chain_head_table
from sqlalchemy import Connection, select

#: The network's own money; every other fund is a funder's code.
NETWORK_FUND = "NET"


@dataclass(frozen=True)
class Scope:
    """The part of the ledger an export holds.

    Attributes:
        period: a year like ``"2026"``, or None for every period.
        fund: a fund code, or None for every fund.
        head_id: the chain position of the newest transaction included (0: empty ledger).
        head_hash: that transaction's hash, the ledger's fingerprint (all zeros when empty).
    """

    period: str | None
    fund: str | None
    head_id: int
    head_hash: str


def fund_codes(connection: Connection) -> list[str]:
    """Every fund a posting can carry: the network's own and each funder's, in order."""
    return [NETWORK_FUND, *(funder.code for funder in read_network(connection).funders)]


def read_scope(connection: Connection, period: str | None, fund: str | None = None) -> Scope:
    """Check ``period`` and ``fund`` and fix the chain position the export stops at."""
    period = None if period is None else parse_period(period)
    if fund is not None:
        known = fund_codes(connection)
        if fund not in known:
            raise LedgerError(f"unknown fund {fund!r}: the ledger's funds are {', '.join(known)}")
    head = connection.execute(
        select(chain_head_table.c.last_txn_id, chain_head_table.c.last_hash)
    ).one_or_none()
    if head is None:
        raise InvariantViolation("the chain head row is missing: the schema is damaged")
    head_id, head_hash = int(head.last_txn_id), str(head.last_hash)
    if head_id == 0 and head_hash != GENESIS_HASH:
        raise InvariantViolation("an empty chain has a head hash: the schema is damaged")
    return Scope(period=period, fund=fund, head_id=head_id, head_hash=head_hash)
