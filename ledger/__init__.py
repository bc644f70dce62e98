"""netfund's ledger: the single source of truth for every euro in the network.

It imports nothing from `netfund.allocation`, `netfund.reports` or `netfund.cli`; they import it.
"""
