"""Bank commands: statements in, matched and reconciled (issue 19).

The `bank` group is here; its subcommands live in this module (import, unmatched, assign) and
beside it (`bank_reconcile.py`). Matching and booking are the ledger's (`ledger/bank/`).
"""

from __future__ import annotations

from netfund.cli.app import cli


@cli.group("bank")
def bank_group() -> None:
    """The network's bank account: statements in, every line matched and reconciled.

    Money arrives in the bank, not in events.csv. `bank import` reads the bank's statement
    (CAMT.053 001.02 or 001.08, or MT940), refuses one that does not add up or does not follow
    the previous one, and books what it can match: a funder's payment as a receipt, a refund
    paid as a refund, a debit your bank-rules.toml names as an expense; a line the ledger
    already has (a receipt or an expense imported before) is linked to it, never booked twice.

    \b
    Examples:
      netfund bank import statement.xml --rules bank-rules.toml
      netfund bank unmatched
      netfund bank reconcile
    """
