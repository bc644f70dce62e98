"""Accountability statements per funder, rendered from ledger figures (see docs.md).

It imports `netfund.ledger` only; `netfund.cli` imports it, and the ledger knows nothing of it.
"""
