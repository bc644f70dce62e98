"""Mapping netfund's errors to what the user sees: a message and an exit code.

Exit codes (docs/CONTRACT.md): 0 success, 2 bad input, 3 infeasible allocation, 4 verification
failed (a damaged database too), 5 the database connection was lost mid-command, 1 anything
unexpected. No traceback reaches the user unless NETFUND_DEBUG is set.

A person reads the message on stderr. A script that asked for ``--json`` reads stdout only, so
there it gets the error as one JSON object with the same exit code: ``{"status": "error",
"exit_code": 2, "problems": [{"file", "line", "message"}]}`` for bad input, ``{"status":
"error", "exit_code": N, "message": ...}`` otherwise. A command that has already printed its
JSON document (an infeasible run, a statement that does not match) keeps its error on stderr:
stdout holds one document, never two.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

import click
from netfund.ledger import InputError, NetfundError

#: Key in the click context's ``meta`` (shared by a command and its group): the command line
#: asked for ``--json``.
JSON_REQUESTED = "netfund.json_requested"
#: Key in ``meta``: a JSON document has been printed on stdout.
JSON_WRITTEN = "netfund.json_written"


class CommandError(click.ClickException):
    """A netfund error on its way out of click, keeping the domain error's exit code."""

    def __init__(self, error: NetfundError) -> None:
        self.error = error
        self.exit_code = error.exit_code
        super().__init__(str(error))

    def format_message(self) -> str:
        return self.message

    def show(self, file: IO[Any] | None = None) -> None:
        error = self.error
        if isinstance(error, InputError):
            click.echo(error.render(), err=True)
            click.echo(f"{len(error.problems)} problem(s) found; nothing was written.", err=True)
        else:
            click.echo(f"netfund: {error}", err=True)


class UnexpectedError(click.ClickException):
    """Something netfund did not foresee (exit 1): named, never a traceback."""

    exit_code = 1

    def __init__(self, error: Exception) -> None:
        super().__init__(f"unexpected error: {type(error).__name__}: {error}")

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(
            f"netfund: {self.message}\n"
            "Set NETFUND_DEBUG=1 to see the traceback, and please report it.",
            err=True,
        )


class JsonError(click.ClickException):
    """Any error of a ``--json`` command line, shown as one JSON object on stdout."""

    def __init__(self, error: click.ClickException) -> None:
        self.exit_code = error.exit_code
        self.document = error_document(error)
        super().__init__(error.format_message())

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(json.dumps(self.document, indent=2, ensure_ascii=False))


def error_document(error: click.ClickException) -> dict[str, Any]:
    """The JSON form of ``error``: problems with their file and line for bad input."""
    document: dict[str, Any] = {"status": "error", "exit_code": error.exit_code}
    domain = error.error if isinstance(error, CommandError) else None
    if isinstance(domain, InputError):
        document["problems"] = [
            {"file": p.source, "line": p.line, "message": p.message}
            | ({"key": p.key} if p.key else {})
            for p in domain.problems
        ]
    else:
        document["message"] = error.format_message()
    return document


def json_requested(words: Sequence[str]) -> bool:
    """The command line asks for JSON: ``--json`` among its words (before a ``--``)."""
    for word in words:
        if word == "--":
            return False
        if word == "--json":
            return True
    return False


def for_output(ctx: click.Context, error: click.ClickException) -> click.ClickException:
    """``error`` as the user should see it: JSON on stdout for ``--json``, unless the command
    already printed its JSON document."""
    if ctx.meta.get(JSON_REQUESTED) and not ctx.meta.get(JSON_WRITTEN):
        return JsonError(error)
    return error
