"""Entry point of the `netfund` command: the group with every command registered."""

from __future__ import annotations

import warnings

from netfund.cli.app import cli

# Importing the command modules registers their commands on the group.
from netfund.cli.commands import (  # noqa: F401
    allocation,
    approvals,
    bank,
    bank_reconcile,
    demo,
    exports,
    indicators,
    ledger,
    log,
    network,
    pay,
    reports,
    roles,
    serve,
    status,
    users,
)

__all__ = ["cli", "main"]


def main() -> None:
    quiet_third_party_warnings()
    cli(prog_name="netfund")


def quiet_third_party_warnings() -> None:
    """A user is not the one to act on a library's deprecation notice about its own imports
    (pyHanko imports cryptography's DSA key type, and cryptography warns that DSA is
    deprecated): warnings raised from pyHanko's modules are not shown. netfund's own warnings
    and every other library's still are; the tests keep seeing all of them."""
    warnings.filterwarnings("ignore", module=r"pyhanko(_certvalidator)?(\.|$)")
