"""`netfund bank reconcile`: the bank's balance against the ledger's, the difference explained.

The reconciliation is the ledger's (`netfund.ledger.reconcile`); this prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from netfund.cli.app import date_option, engine_of
from netfund.cli.commands.bank import bank_group
from netfund.cli.render import emit_json, show_lines, show_table
from netfund.ledger import format_cents, format_grouped, format_iban

if TYPE_CHECKING:
    from netfund.ledger import Reconciliation


@bank_group.command("reconcile")
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Reconcile as of DATE [default: the newest bank statement's closing date].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reconciliation as JSON.")
@click.pass_context
def reconcile_command(ctx: click.Context, as_of_text: str | None, as_json: bool) -> None:
    """The bank's balance against the ledger's, and every line that explains the difference.

    The bank's balance per account is its first statement's opening balance plus the lines
    booked on or before DATE. The ledger's is Assets:Bank over every fund, transactions dated
    on or before DATE (with several accounts, their total is compared). The difference
    (ledger - bank) is explained line by line, and the lines add up to it exactly: bank lines
    not matched (on the statement, not in the ledger), ledger transactions no bank line names
    (in the ledger, not on a statement: in transit, or booked but never paid), the bank and
    the ledger on either side of DATE (timing), and the ledger's bank money before the first
    statement against that statement's opening balance. Exit 0 either way; the last line says
    "reconciled" or the difference. For the administrator and the controller.

    \b
    Examples:
      netfund bank reconcile
      netfund bank reconcile --as-of 2026-06-30 --json
    """
    as_of = date_option(as_of_text, "--as-of")
    from netfund.ledger import reconcile

    found = reconcile(engine_of(ctx), as_of)
    if as_json:
        emit_json(reconciliation_json(found))
        return
    show_reconciliation(found)


def show_reconciliation(found: Reconciliation) -> None:
    from netfund.ledger import KIND_TITLES

    day = found.as_of.isoformat()
    several = len(found.accounts) > 1
    total = ["total", "", "", format_grouped(found.bank_cents)] if several else None
    show_table(
        ["account", "name", "statement of", "bank balance"],
        [
            [
                format_iban(account.iban),
                account.name,
                account.statement_date.isoformat() if account.statement_date else "-",
                format_grouped(account.balance_cents),
            ]
            for account in found.accounts
        ],
        numeric={3},
        title=f"The bank as of {day} (EUR)",
        footer=total,
    )
    click.echo("")
    lines = [
        ("bank" + (" (the accounts together)" if several else ""), found.bank_cents),
        ("ledger (Assets:Bank, every fund)", found.ledger_cents),
        ("difference (ledger - bank)", found.difference_cents),
    ]
    width = max(len(label) for label, _cents in lines)
    figures = [format_grouped(cents) for _label, cents in lines]
    wide = max(len(figure) for figure in figures)
    for (label, _cents), figure in zip(lines, figures, strict=True):
        click.echo(f"{label.ljust(width)}  EUR {figure.rjust(wide)}")
    for kind, title in KIND_TITLES.items():
        items = found.of_kind(kind)
        if not items:
            continue
        click.echo("")
        show_table(
            ["date", "bank ref", "transaction", "counterparty", "what", "amount"],
            [
                [
                    item.date.isoformat() if item.date else "",
                    item.ref,
                    item.transaction,
                    item.counterparty,
                    item.text,
                    format_grouped(item.amount_cents),
                ]
                for item in items
            ],
            numeric={5},
            title=f"{title} (EUR, as its share of the difference)",
            footer=["subtotal", "", "", "", "", format_grouped(found.subtotal_cents(kind))],
        )
    if found.warnings:
        click.echo("")
        show_lines(list(found.warnings), title="note:")
    click.echo("")
    if found.reconciled:
        click.echo(f"reconciled as of {day}: the ledger and the bank agree")
    else:
        click.echo(
            f"not reconciled as of {day}: the ledger differs from the bank by EUR "
            f"{format_grouped(found.difference_cents)} (explained above)"
        )


def reconciliation_json(found: Reconciliation) -> dict[str, Any]:
    """The reconciliation as `status --json` writes money: plain decimals (``"1234.50"``)."""
    from netfund.ledger import EXPLANATION_KINDS

    return {
        "as_of": found.as_of.isoformat(),
        "reconciled": found.reconciled,
        "bank": format_cents(found.bank_cents),
        "ledger": format_cents(found.ledger_cents),
        "difference": format_cents(found.difference_cents),
        "accounts": [
            {
                "iban": account.iban,
                "name": account.name,
                "opening": format_cents(account.opening_cents),
                "opening_date": account.opening_date.isoformat(),
                "balance": format_cents(account.balance_cents),
                "statement_date": account.statement_date.isoformat()
                if account.statement_date
                else None,
                "statement_closing": None
                if account.statement_closing_cents is None
                else format_cents(account.statement_closing_cents),
            }
            for account in found.accounts
        ],
        "explanations": {
            kind: {
                "subtotal": format_cents(found.subtotal_cents(kind)),
                "lines": [
                    {
                        "date": item.date.isoformat() if item.date else None,
                        "amount": format_cents(item.amount_cents),
                        "ref": item.ref,
                        "transaction": item.transaction,
                        "account": item.account_iban,
                        "counterparty": item.counterparty,
                        "text": item.text,
                    }
                    for item in found.of_kind(kind)
                ],
            }
            for kind in EXPLANATION_KINDS
        },
        "unmatched": {
            "count": found.unmatched_count,
            "in": format_cents(found.unmatched_in_cents),
            "out": format_cents(found.unmatched_out_cents),
        },
        "warnings": list(found.warnings),
    }
