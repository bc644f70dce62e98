"""``netfund pay refunds``: the refunds a closed year owes funders, as a SEPA payment file.

Thin: the ledger (`netfund.ledger.write_refund_payments`) decides what is owed, writes and
records the file; this prints what it paid to whom, and what to do next.
"""

from __future__ import annotations

from pathlib import Path

import click
from netfund.cli.app import PERIOD, cli, date_option, engine_of
from netfund.cli.render import emit_json, show_table
from netfund.ledger import (
    PaymentReport,
    format_cents,
    format_grouped,
    format_iban,
    write_refund_payments,
)


@cli.group("pay")
def pay_group() -> None:
    """Pay money out of the network's bank account through a payment file for the bank.

    A refund already in a file that no bank statement has shown yet is refused (no double
    payment); --again writes it anew, in a new file, when the first never reached the bank.

    \b
    Example:
      netfund pay refunds --period 2026 --out refunds-2026.xml --again
    """


@pay_group.command("refunds")
@click.option("--period", required=True, type=PERIOD, help="The closed year whose refunds to pay.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The payment file to write (pain.001.001.03 XML, for the bank's upload).",
)
@click.option(
    "--date",
    "execution_date",
    metavar="YYYY-MM-DD",
    help="The day the bank is asked to pay [default: today].",
)
@click.option(
    "--account",
    metavar="IBAN",
    help="The network's account that pays, when network.toml names several.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Write refunds anew that are in an earlier file not yet on a bank statement.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the payments as JSON.")
@click.pass_context
def refunds_command(
    ctx: click.Context,
    period: str,
    out: Path,
    execution_date: str | None,
    account: str | None,
    again: bool,
    as_json: bool,
) -> None:
    """Write a SEPA credit transfer file (pain.001.001.03) paying every refund PERIOD's
    close made owed to funders with unspent = "return", to each funder's first IBAN.

    The file is checked against its XSD, written privately (0600) and recorded with each
    payment's end-to-end id; the bank statement that shows the debits books the refunds
    (netfund bank import FILE). A refund already in a file not yet on a statement is
    refused: --again writes it anew. Writing the file moves no money in the ledger.

    \b
    Examples:
      netfund pay refunds --period 2026 --out refunds-2026.xml
      netfund pay refunds --period 2026 --out refunds-2026-new.xml --again --json
    """
    report = write_refund_payments(
        engine_of(ctx),
        period,
        out,
        execution_date=date_option(execution_date, "--date"),
        account=account,
        again=again,
    )
    if as_json:
        emit_json(_json(report))
        return
    if report.file is None:
        click.echo(f"nothing owed for {report.period}: no payment file written")
        return
    show_table(
        ["funder", "IBAN", "amount", "end-to-end id"],
        [
            [p.funder, format_iban(p.iban), format_grouped(p.cents), p.end_to_end_id]
            for p in report.payments
        ],
        numeric={2},
    )
    count = len(report.payments)
    click.echo(
        f"total {format_grouped(report.total_cents)} in {count} payment{'s' * (count != 1)}, "
        f"to be paid on {report.execution_date.isoformat()} from "
        f"{format_iban(report.debtor_iban)}"
    )
    if report.replaces:
        click.echo(f"replaces {', '.join(report.replaces)} (written before, not yet paid)")
    click.echo(
        f"wrote {report.file} (message {report.message_id}, sha256 {report.sha256}); "
        f"recorded as record {report.record_seq}"
    )
    click.echo(
        "upload it to the bank, then import the bank statement that shows these debits: "
        "netfund bank import FILE"
    )


def _json(report: PaymentReport) -> dict[str, object]:
    return {
        "period": report.period,
        "file": None if report.file is None else str(report.file),
        "sha256": report.sha256 or None,
        "message_id": report.message_id or None,
        "execution_date": report.execution_date.isoformat(),
        "debtor_iban": report.debtor_iban or None,
        "payments": [
            {
                "funder": p.funder,
                "name": p.name,
                "iban": p.iban,
                "amount": format_cents(p.cents),
                "end_to_end_id": p.end_to_end_id,
            }
            for p in report.payments
        ],
        "total": format_cents(report.total_cents),
        "record": report.record_seq,
        "replaces": list(report.replaces),
        "by": report.by or None,
        "at": report.at or None,
    }
