"""Accountability statements per funder, rendered from ledger figures."""
