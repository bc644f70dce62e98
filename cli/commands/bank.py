"""Bank commands: statements in, matched and reconciled (issue 19).

The `bank` group is here with `import`, `unmatched` and `assign`; `bank_reconcile.py` adds
`reconcile`. Matching and booking are the ledger's (`ledger/bank/`): these parse arguments,
call it and print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from netfund.cli.app import cli, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import (
    AssignReport,
    BankImportReport,
    assign_by_rules,
    assign_line,
    format_cents,
    format_grouped,
    format_iban,
    import_bank_statements,
    unmatched_lines,
)

#: Where the example network's files are, for the help examples (a test runs them).
_EXAMPLE = "examples/saniveld"


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
      netfund bank import examples/saniveld/bank/2026.camt053.xml \\
        --rules examples/saniveld/bank-rules.toml
      netfund bank unmatched
      netfund bank reconcile
    """


@bank_group.command("import")
@click.argument("statement_file", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path),
    help="bank-rules.toml: which debits are expenses of which group.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context, statement_file: Path, rules_file: Path | None, as_json: bool
) -> None:
    """Import the bank statement(s) in STATEMENT_FILE (CAMT.053 or MT940); all or nothing.

    Each statement must be of one of the network's accounts (network.toml
    [[bank_accounts]]), add up (opening balance plus its lines is its closing balance) and
    follow the last one imported of its account; otherwise nothing is written (exit 2).
    Lines imported before are recognised by the bank's reference and never added twice.
    Every new line is matched and the reason printed; what cannot be matched is listed by
    `netfund bank unmatched`.

    \b
    Example:
      netfund bank import examples/saniveld/bank/2026.camt053.xml \\
        --rules examples/saniveld/bank-rules.toml
    """
    report = import_bank_statements(engine_of(ctx), statement_file, rules_path=rules_file)
    if as_json:
        emit_json(_import_json(report))
        return
    for result in report.statements:
        counts = ", ".join(
            f"{result.count(status)} {status}" for status in ("booked", "linked", "unmatched")
        )
        if result.record_seq is None:
            click.echo(
                f"statement {result.statement_id} of {format_iban(result.account_iban)}: imported "
                f"before, nothing new ({result.lines} lines)"
            )
            continue
        click.echo(
            f"statement {result.statement_id} of {format_iban(result.account_iban)}, closing "
            f"balance {format_grouped(result.closing_cents)} on {result.closing_date.isoformat()}: "
            f"{result.added} new of {result.lines} lines ({counts})"
        )
        if result.results:
            show_table(
                ("ref", "date", "amount", "counterparty", "status", "transaction", "why"),
                [
                    [
                        item.ref,
                        item.booking_date.isoformat(),
                        format_grouped(item.amount_cents),
                        item.counterparty,
                        item.status,
                        item.txn_external_id or "",
                        item.explanation,
                    ]
                    for item in result.results
                ],
                numeric={2},
                highlight=[item.status == "unmatched" for item in result.results],
            )
    unmatched = sum(result.count("unmatched") for result in report.statements)
    click.echo(f"posted {report.posted} transaction(s)")
    if unmatched:
        click.echo(f"{unmatched} line(s) not matched: netfund bank unmatched")
    click.echo(f"ledger fingerprint: {report.head_hash} (transaction {report.head_id})")


def _import_json(report: BankImportReport) -> dict[str, Any]:
    return {
        "file": report.source,
        "posted": report.posted,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "statements": [
            {
                "account": result.account_iban,
                "statement_id": result.statement_id,
                "closing_date": result.closing_date.isoformat(),
                "closing_balance": format_cents(result.closing_cents),
                "lines": result.lines,
                "added": result.added,
                "record": result.record_seq,
                "booked": result.count("booked"),
                "linked": result.count("linked"),
                "unmatched": result.count("unmatched"),
                "results": [
                    {
                        "ref": item.ref,
                        "date": item.booking_date.isoformat(),
                        "amount": format_cents(item.amount_cents),
                        "counterparty": item.counterparty,
                        "status": item.status,
                        "transaction": item.txn_external_id,
                        "explanation": item.explanation,
                    }
                    for item in result.results
                ],
            }
            for result in report.statements
        ],
    }


@bank_group.command("unmatched")
@click.option("--json", "as_json", is_flag=True, help="Print the lines as JSON.")
@click.pass_context
def unmatched_command(ctx: click.Context, as_json: bool) -> None:
    """List the bank lines the ledger has not matched, and why.

    Assign each with `netfund bank assign REF --funder CODE` (money in: its receipt; money
    out: a refund to it) or `--group GROUP` (money out: an expense), or all at once with a
    rules file: `netfund bank assign --rules bank-rules.toml`.

    \b
    Example:
      netfund bank unmatched --json
    """
    unmatched = unmatched_lines(engine_of(ctx))
    if as_json:
        emit_json(
            [
                {
                    "account": item.account_iban,
                    "ref": item.line.ref,
                    "date": item.line.booking_date.isoformat(),
                    "value_date": item.line.value_date.isoformat()
                    if item.line.value_date
                    else None,
                    "amount": format_cents(item.line.amount_cents),
                    "counterparty_iban": item.line.counterparty_iban,
                    "counterparty_name": item.line.counterparty_name,
                    "remittance": item.line.remittance,
                    "end_to_end_id": item.line.end_to_end_id,
                    "explanation": item.explanation,
                }
                for item in unmatched
            ]
        )
        return
    if not unmatched:
        click.echo("every bank line is matched")
        return
    lines = [item.line for item in unmatched]
    show_table(
        ("ref", "date", "amount", "counterparty", "remittance", "why"),
        [
            [
                line.ref,
                line.booking_date.isoformat(),
                format_grouped(line.amount_cents),
                " ".join(
                    part
                    for part in (line.counterparty_name, format_iban(line.counterparty_iban))
                    if part
                ),
                line.remittance,
                item.explanation,
            ]
            for line, item in zip(lines, unmatched, strict=True)
        ],
        numeric={2},
        title=f"bank lines not matched: {len(lines)}",
        footer=["total", "", format_grouped(sum(line.amount_cents for line in lines)), "", "", ""],
    )


@bank_group.command("assign")
@click.argument("ref", required=False)
@click.option("--group", metavar="GROUP", help="Money out: an expense of GROUP.")
@click.option(
    "--funder",
    metavar="CODE",
    help="Money in: CODE's receipt. Money out: a refund to CODE, or with --group the funder "
    "whose money paid the expense (else attributed pro rata).",
)
@click.option("--description", "-d", help="The transaction's description (default: the bank's).")
@click.option("--account", metavar="IBAN", help="The network's account, when two have REF.")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path),
    help="Instead of REF: match every unmatched line again, with this rules file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def assign_command(
    ctx: click.Context,
    ref: str | None,
    group: str | None,
    funder: str | None,
    description: str | None,
    account: str | None,
    rules_file: Path | None,
    as_json: bool,
) -> None:
    """Book unmatched bank line REF as you decide, or match all of them again with --rules.

    The booking goes through the ledger's rules like any post (earmarks, closed periods) and,
    where the network asks a second person to approve posts above an amount, becomes a
    proposal (netfund approve N).

    \b
    Examples:
      netfund bank assign 2027-0105-001 --group PROGRAMMABUREAU --funder GEM-SANIVELD-WMO \
        -d "Drukwerk januari"
      netfund bank assign --rules examples/saniveld/bank-rules.toml
    """
    engine = engine_of(ctx)
    if rules_file is not None:
        if ref is not None or group or funder or description or account:
            raise click.UsageError("--rules matches every unmatched line: give no REF or options")
        report = assign_by_rules(engine, rules_file)
    elif ref is None:
        raise click.UsageError("give REF (netfund bank unmatched lists them) or --rules FILE")
    else:
        report = assign_line(
            engine, ref, group=group, funder=funder, description=description, account=account
        )
    _print_assign(report, as_json)


def _print_assign(report: AssignReport, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "posted": report.posted,
                "still_unmatched": report.still_unmatched,
                "head_id": report.head_id,
                "head_hash": report.head_hash,
                "decided": [
                    {
                        "account": account,
                        "ref": ref,
                        "status": outcome.status,
                        "transaction": outcome.txn_external_id,
                        "explanation": outcome.explanation,
                    }
                    for account, ref, outcome in report.decided
                ],
            }
        )
        return
    for _account, ref, outcome in report.decided:
        click.echo(f"{ref}: {outcome.status} {outcome.txn_external_id}: {outcome.explanation}")
    if report.still_unmatched:
        click.echo(f"{report.still_unmatched} line(s) still not matched: netfund bank unmatched")
    click.echo(f"posted {report.posted} transaction(s)")
