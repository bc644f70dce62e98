"""Entry point of the `netfund` command: the group with every command registered."""

from __future__ import annotations

# Importing the command modules registers their commands on the group.
import netfund.cli.demo_command
import netfund.cli.export_commands
import netfund.cli.report_commands
import netfund.cli.status_command  # noqa: F401
from netfund.cli import allocation_commands, ledger_commands  # noqa: F401
from netfund.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="netfund")
