"""Mapping netfund's errors to what the user sees: a message on stderr and an exit code.

Exit codes (docs/CONTRACT.md): 0 success, 2 bad input, 3 infeasible allocation, 4 verification
failed (a damaged database too), 5 the database connection was lost mid-command, 1 anything
unexpected. No traceback reaches the user unless NETFUND_DEBUG is set.
"""

from __future__ import annotations

import click
from netfund.ledger import InputError, NetfundError


class CommandError(click.ClickException):
    """A netfund error on its way out of click, keeping the domain error's exit code."""

    def __init__(self, error: NetfundError) -> None:
        self.error = error
        self.exit_code = error.exit_code
        super().__init__(str(error))

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        error = self.error
        if isinstance(error, InputError):
            click.echo(error.render(), err=True)
            click.echo(f"{len(error.problems)} problem(s) found; nothing was written.", err=True)
        else:
            click.echo(f"netfund: {error}", err=True)
