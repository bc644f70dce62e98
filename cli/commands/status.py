"""`netfund status`: the dashboard per funder and per group, with the warnings to act on."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click
from netfund.cli.app import PERIOD, cli, date_option, engine_of
from netfund.cli.render import emit_json, show_lines, show_table
from netfund.ledger import format_cents, format_grouped, reveal

# The statements' figures bring Babel along; only this command needs them at start-up.
if TYPE_CHECKING:
    from netfund.ledger import GroupOutcomes
    from netfund.reports.status import FunderLine, Status


@cli.command("status")
@click.option(
    "--period", type=PERIOD, help="The period (a year); default: the newest one in the ledger."
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Only transactions dated on or before DATE [default: the period's last day, "
    "everything dated in the period, as for netfund statements].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the dashboard as JSON.")
@click.pass_context
def status_command(
    ctx: click.Context, period: str | None, as_of_text: str | None, as_json: bool
) -> None:
    """Where each funder's money stands, what each group has spent, and what needs attention.

    Per funder: committed, received, allocated, spent, unspent and the overhead share of its
    allocation. Per group: allocated, spent and % used. Warnings: overhead near or above a
    cap, overspent groups, receipts lagging what is due (each funder's payment schedule in
    network.toml; default quarterly advances, due from the middle of each quarter), and money
    spent before it was received; a receipt or refund
    dated after the period counts for the period it settles. The figures are those of the
    statements: with the same --as-of (both default to the period's last day) the two agree.

    \b
    Examples:
      netfund status
      netfund status --period 2026 --as-of 2026-06-30 --json
    """
    as_of = date_option(as_of_text, "--as-of")
    from netfund.reports.status import load_status

    status = load_status(engine_of(ctx), period, datetime.date.today(), as_of)
    if status is None:
        message = "no transactions yet: netfund import events.csv"
        if as_json:
            # Still one JSON document for a script, with nothing in it yet.
            emit_json({"period": None, "funders": [], "groups": [], "warnings": [],
                       "message": message})  # fmt: skip
        else:
            click.echo(message)
        return
    if as_json:
        emit_json(status_json(status))
        return
    if status.empty:
        click.echo(
            f"nothing committed, allocated or spent in period {status.period}; "
            f"periods in the ledger: {', '.join(status.periods) or 'none'}"
        )
        return
    show_status(status)


def _funder_row(line: FunderLine) -> list[str]:
    from netfund.reports.status import percent

    return [
        line.code,
        format_grouped(line.money.committed_cents),
        format_grouped(line.money.received_cents),
        format_grouped(line.money.allocated_cents),
        format_grouped(line.money.spent_cents),
        format_grouped(line.money.unspent_cents),
        percent(line.overhead_share),
        percent(line.cap) if line.cap is not None else "",
    ]


def show_status(status: Status) -> None:
    from netfund.reports.status import percent

    scope = f"as of {status.as_of.isoformat()}"
    where = (
        f"transaction {status.fingerprint.transaction}, {status.fingerprint.hash[:16]}…"
        if status.fingerprint
        else "no transactions"
    )
    click.echo(f"{reveal(status.network_name)}: period {status.period}, {scope} (ledger {where})")
    click.echo("")
    total = _funder_row(status.total)
    total[-1] = percent(status.network_cap)
    show_table(
        ["funder", "committed", "received", "allocated", "spent", "unspent", "overhead %", "cap %"],
        [_funder_row(line) for line in status.funders],
        numeric={1, 2, 3, 4, 5, 6, 7},
        title="Funders (EUR)",
        footer=total,
        highlight=[any(w.subject == line.code for w in status.warnings) for line in status.funders],
    )
    click.echo("")
    show_table(
        ["group", "cluster", "overhead", "allocated", "spent", "% used"],
        [
            [
                group.code or "(no group)",
                group.parent or "",
                "yes" if group.overhead else "",
                format_grouped(group.allocated_cents),
                format_grouped(group.spent_cents),
                percent(group.used_share),
            ]
            for group in status.groups
        ],
        numeric={3, 4, 5},
        title="Groups (EUR)",
        highlight=[group.spent_cents > group.allocated_cents for group in status.groups],
    )
    click.echo("")
    if status.outcomes:
        show_outcomes(status.outcomes, status.period)
        click.echo("")
    if status.warnings:
        show_lines(
            [warning.message for warning in status.warnings],
            title=f"{len(status.warnings)} warning(s):",
        )
    else:
        click.echo("no warnings: overhead within the caps, no group overspent, receipts on time")
    if status.bank is not None and status.bank.reconciled:
        click.echo(
            f"the ledger agrees with the bank as of {status.bank.as_of.isoformat()} "
            "(netfund bank reconcile)"
        )
    _show_settled_elsewhere(status)


def show_outcomes(groups: Sequence[GroupOutcomes], period: str) -> None:
    """The groups' indicators beside their money: one row per indicator, the trend as a
    sparkline, the reference point in words (never pass/fail), the cost per unit."""
    from netfund.reports.indicator_words import change, measured, reference_words, sparkline

    rows = []
    marks = []
    for group in groups:
        for number, outcome in enumerate(group.indicators):
            cost = outcome.cost_per_unit_cents
            rows.append(
                [
                    group.group if number == 0 else "",
                    format_grouped(group.spent_cents) if number == 0 else "",
                    outcome.indicator.code,
                    sparkline(outcome.points),
                    ""
                    if outcome.latest is None
                    else measured(outcome.latest, outcome.indicator, "en"),
                    change(outcome.change_since_previous, "en"),
                    change(outcome.change_since_start, "en"),
                    reference_words(outcome, "en"),
                    "" if cost is None else format_grouped(cost),
                ]
            )
            marks.append(outcome.moved_away)
    show_table(
        ["group", "spent", "indicator", "trend", "latest", "vs previous", "vs start",
         "against the reference point", "EUR per unit"],
        rows,
        numeric={1, 5, 6, 8},
        title=f"Indicators beside the money, {period} (EUR; ! moved away from its reference point)",
        highlight=marks,
    )  # fmt: skip


def _show_settled_elsewhere(status: Status) -> None:
    from netfund.reports.status import settled_elsewhere

    lines = settled_elsewhere(status)
    if lines:
        click.echo("")
        show_lines(lines, title="counted for the period they settle:")


def status_json(status: Status) -> dict[str, Any]:
    from netfund.reports.status import percent

    def funder(line: FunderLine) -> dict[str, Any]:
        settled = line.settled
        return {
            "funder": line.code,
            "name": line.name,
            "committed": format_cents(line.money.committed_cents),
            "received": format_cents(line.money.received_cents),
            "allocated": format_cents(line.money.allocated_cents),
            "overhead_allocated": format_cents(line.money.overhead_allocated_cents),
            "spent": format_cents(line.money.spent_cents),
            "overhead_spent": format_cents(line.money.overhead_spent_cents),
            "refunded": format_cents(line.money.refunded_cents),
            "unspent": format_cents(line.money.unspent_cents),
            "unallocated": format_cents(line.money.unallocated_cents),
            # receipts and refunds dated in another period than the one they settle
            "received_later": format_cents(settled.received_later_cents if settled else 0),
            "received_for_earlier_periods": format_cents(
                settled.received_for_earlier_cents if settled else 0
            ),
            "refunded_for_earlier_periods": format_cents(
                settled.refunded_for_earlier_cents if settled else 0
            ),
            "overhead_percent": _percent_or_none(line.overhead_share),
            "overhead_cap_percent": _percent_or_none(line.cap),
        } | _due_json(line)

    fingerprint = status.fingerprint
    document = {
        "network": status.network_name,
        "period": status.period,
        "as_of": status.as_of.isoformat(),
        "due_date": status.due_date.isoformat(),
        "fingerprint": None
        if fingerprint is None
        else {"transaction": fingerprint.transaction, "hash": fingerprint.hash},
        "funders": [funder(line) for line in status.funders],
        "total": funder(status.total) | {"overhead_cap_percent": percent(status.network_cap)},
        "groups": [
            {
                "group": group.code,
                "name": group.name,
                "cluster": group.parent,
                "overhead": group.overhead,
                "allocated": format_cents(group.allocated_cents),
                "spent": format_cents(group.spent_cents),
                "used_percent": _percent_or_none(group.used_share),
            }
            for group in status.groups
        ],
        "warnings": [
            {"kind": w.kind, "subject": w.subject, "message": w.message} for w in status.warnings
        ],
    }
    if status.bank is not None:  # only once a bank statement was imported
        document["bank"] = _bank_json(status)
    if status.outcomes:  # only when network.toml declares indicators
        from netfund.reports.indicators import group_document

        document["indicators"] = [group_document(group) for group in status.outcomes]
    return document


def _bank_json(status: Status) -> dict[str, Any]:
    """The ledger against the bank, in brief (`netfund bank reconcile --json` has it all)."""
    bank = status.bank
    assert bank is not None
    return {
        "as_of": bank.as_of.isoformat(),
        "statement_date": None if bank.statement_date is None else bank.statement_date.isoformat(),
        "reconciled": bank.reconciled,
        "bank": format_cents(bank.bank_cents),
        "ledger": format_cents(bank.ledger_cents),
        "difference": format_cents(bank.difference_cents),
        "unmatched": {
            "count": bank.unmatched_count,
            "in": format_cents(bank.unmatched_in_cents),
            "out": format_cents(bank.unmatched_out_cents),
        },
    }


def _due_json(line: FunderLine) -> dict[str, Any]:
    """A funder's payment schedule against its commitment: each instalment, what of it has
    fallen due by the due date, what was received for the period and what is overdue."""
    if line.due is None:
        return {}
    return {
        "received_for_period": format_cents(line.received_for_period_cents),
        "due": format_cents(line.due.due_cents),
        "overdue": format_cents(line.overdue_cents),
        "instalments": [
            {
                "date": row.date.isoformat(),
                "amount": format_cents(row.cents),
                "fallen_due": row.date <= line.due.on,
                "rest_of_commitment": row.instalment is None,
            }
            for row in line.due.rows
        ],
    }


def _percent_or_none(value: Decimal | None) -> str | None:
    from netfund.reports.status import percent

    return None if value is None else percent(value)
