"""Entry point of the `netfund` command: the group with every command registered."""

from __future__ import annotations

from netfund.cli.app import cli

# Importing the command modules registers their commands on the group.
from netfund.cli.commands import (  # noqa: F401
    allocation,
    demo,
    exports,
    ledger,
    reports,
    status,
)

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="netfund")
