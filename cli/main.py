"""Entry point of the `netfund` command: the group, and where each of its commands lives."""

from __future__ import annotations

import warnings

from netfund.cli.app import cli

#: The modules that register each command on the group, imported when the command is first
#: asked for (`app.NetfundGroup`): a command's start-up does not import the other commands'
#: modules. `bank`'s reconcile subcommand lives in a module of its own.
#: tests/cli/test_cli.py holds this map to what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "allocate": ("netfund.cli.commands.allocation",),
    "allocations": ("netfund.cli.commands.allocation",),
    "approve": ("netfund.cli.commands.approvals",),
    "balance": ("netfund.cli.commands.ledger",),
    "bank": ("netfund.cli.commands.bank", "netfund.cli.commands.bank_reconcile"),
    "close": ("netfund.cli.commands.ledger",),
    "demo": ("netfund.cli.commands.demo",),
    "export": ("netfund.cli.commands.exports",),
    "exports": ("netfund.cli.commands.exports",),
    "import": ("netfund.cli.commands.ledger",),
    "indicators": ("netfund.cli.commands.indicators",),
    "init": ("netfund.cli.commands.ledger",),
    "log": ("netfund.cli.commands.log",),
    "network": ("netfund.cli.commands.network",),
    "pay": ("netfund.cli.commands.pay",),
    "post": ("netfund.cli.commands.ledger",),
    "proposals": ("netfund.cli.commands.approvals",),
    "reject": ("netfund.cli.commands.approvals",),
    "reopen": ("netfund.cli.commands.ledger",),
    "reverse": ("netfund.cli.commands.ledger",),
    "roles": ("netfund.cli.commands.roles",),
    "serve": ("netfund.cli.commands.serve",),
    "statements": ("netfund.cli.commands.reports",),
    "status": ("netfund.cli.commands.status",),
    "user": ("netfund.cli.commands.users",),
    "verify": ("netfund.cli.commands.ledger",),
    "verify-statement": ("netfund.cli.commands.reports",),
}
cli.command_modules = COMMAND_MODULES

__all__ = ["COMMAND_MODULES", "cli", "main"]


def main() -> None:
    quiet_third_party_warnings()
    cli(prog_name="netfund")


def quiet_third_party_warnings() -> None:
    """A user is not the one to act on a library's deprecation notice about its own imports
    (pyHanko imports cryptography's DSA key type, and cryptography warns that DSA is
    deprecated): warnings raised from pyHanko's modules are not shown. netfund's own warnings
    and every other library's still are; the tests keep seeing all of them."""
    warnings.filterwarnings("ignore", module=r"pyhanko(_certvalidator)?(\.|$)")
