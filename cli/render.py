"""Printing results: rich tables and progress bars for a person at a terminal, plain text when
piped or logged, JSON for machines.

A terminal gets boxes, colour and live progress (rich); anything else gets the same columns
as aligned plain text and no progress output, so logs and `grep` stay clean and scripts never
parse decorations (`--json` is for them). ``NO_COLOR`` is honoured by rich.

Every text a table or a list shows goes through the ledger's `reveal`: a description or a
name holding a text-direction control (U+202E) or an invisible character (U+200B) shows it as
``<U+202E>``, and a line break in a cell cannot start what looks like another row. JSON
output keeps the text as stored (JSON escapes controls itself; programs compare values).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from netfund.cli.errors import JSON_WRITTEN
from netfund.ledger import format_grouped, reveal


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """Columns padded to their widest cell; the columns in ``numeric`` are right-aligned."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[index]) if index in numeric else cell.ljust(widths[index])
            for index, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def show_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: set[int],
    *,
    title: str | None = None,
    footer: Sequence[str] | None = None,
    highlight: Sequence[bool] | None = None,
) -> None:
    """Print a table: rich on a terminal, plain aligned text otherwise.

    ``footer`` is a totals row; ``highlight`` marks rows that need attention (shown in
    bold red on a terminal, marked ``!`` in plain text, so the mark survives a pipe).
    """
    marks = list(highlight) if highlight is not None else [False] * len(rows)
    headers = [reveal(header) for header in headers]
    rows = [[reveal(cell) for cell in row] for row in rows]
    footer = [reveal(cell) for cell in footer] if footer is not None else None
    title = reveal(title) if title is not None else None
    if not stdout_is_terminal():
        if title:
            click.echo(title)
        plain_rows = [list(row) for row in rows]
        if footer is not None:
            plain_rows.append(list(footer))
        if any(marks):
            headers = [*headers, "!"]
            plain_rows = [
                [*row, "!" if index < len(marks) and marks[index] else ""]
                for index, row in enumerate(plain_rows)
            ]
        click.echo(table(headers, plain_rows, numeric))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Cells are Text, never markup: a description holding "[red]" prints as written.
    rich_table = Table(title=title, title_justify="left", show_footer=footer is not None)
    for index, header in enumerate(headers):
        rich_table.add_column(
            Text(header),
            justify="right" if index in numeric else "left",
            footer=Text(footer[index]) if footer is not None else "",
            no_wrap=index in numeric,
        )
    for row, marked in zip(rows, marks, strict=True):
        rich_table.add_row(*(Text(cell) for cell in row), style="bold red" if marked else None)
    Console().print(rich_table)


def show_lines(lines: Sequence[str], *, title: str, style: str = "yellow") -> None:
    """A list of remarks (warnings, next steps): coloured bullets on a terminal."""
    lines = [reveal(line) for line in lines]
    title = reveal(title)
    if not stdout_is_terminal():
        click.echo(title)
        for line in lines:
            click.echo(f"  - {line}")
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print(f"[bold]{escape(title)}[/bold]")
    for line in lines:
        console.print(f"  [{style}]•[/{style}] {escape(line)}", highlight=False)


class Bar:
    """The handle of a running progress bar (see `progress`); a no-op where nobody watches."""

    def __init__(self, advance: Callable[[int], None], reach: Callable[[int], None]) -> None:
        self.advance = advance
        self.reach = reach


@contextmanager
def progress(total: int, label: str, *, quiet: bool = False) -> Iterator[Bar]:
    """A progress bar on stderr while the work runs: ``bar.advance(steps)``, ``bar.reach(done)``.

    Only where someone watches (stderr is a terminal and not ``quiet``): a pipe or a log
    gets nothing, and JSON output is never mixed with bar redraws.
    """
    if quiet or not sys.stderr.isatty():
        yield Bar(lambda steps: None, lambda done: None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield Bar(
            lambda steps: bar.advance(task, steps),
            lambda done: bar.update(task, completed=done),
        )


def count_lines(path: Path) -> int:
    """Data lines of a CSV file (lines less the header), read in blocks: a bar's total."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)


def emit_json(value: Any) -> None:
    """Print the command's one JSON document; an error after it stays on stderr."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[JSON_WRITTEN] = True
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def amount(text: str | None) -> str:
    """A stored decimal amount (an allocation run's figures are kept as text, ``"888350.40"``)
    as every command shows money to a person: `format_grouped`, ``888,350.40``; ``-`` for
    none. JSON keeps the plain text, which programs read."""
    if text is None:
        return "-"
    cents = Decimal(text).scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {text!r} is not in whole cents")
    return format_grouped(int(cents))


def number(text: str | None) -> str:
    """A decimal that is not money (a run's priority value, weight × euros), grouped the same
    way as amounts, with the decimals it has: ``7,600,439.95``."""
    return "-" if text is None else f"{Decimal(text):,}"
