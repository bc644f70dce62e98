"""Statement commands: statements (write the PDFs) and verify-statement (check one)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from netfund.cli.app import PERIOD, cli, date_option, engine_of
from netfund.cli.render import emit_json, progress
from netfund.ledger import VerificationError
from netfund.reports.statement.wording import LANGUAGES

# The statement modules are imported inside the commands that use them: ReportLab and
# pyHanko take about a second to import, which every other netfund command would pay.
if TYPE_CHECKING:
    from netfund.reports.statement.check import StatementCheck


@cli.command("statements")
@click.option("--period", type=PERIOD, required=True, help="The period, a year like 2026.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write <period>-<FUNDER>.<lang>.pdf into (created if missing; an interim "
    "statement is <period>-<FUNDER>.interim-<as-of>.<lang>.pdf).",
)
@click.option("--funder", help="Only this funder's statement (a funder code).")
@click.option(
    "--lang", "language", type=click.Choice(LANGUAGES), help="Language [default: the network's]."
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="Include transactions dated up to DATE [default: the period's last day, everything "
    "dated in the period, as for netfund status]; before it, the statement is interim.",
)
@click.option(
    "--sign",
    "key_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Sign each PDF (PAdES) with this PKCS#12 key file.",
)
@click.option(
    "--sign-password-env",
    "password_variable",
    metavar="VAR",
    help="The environment variable that holds the key file's password.",
)
@click.option(
    "--jobs",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Processes that render PDFs; 0 means one per CPU core (at most 8 are used).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_context
def statements_command(
    ctx: click.Context,
    period: str,
    out_dir: Path,
    funder: str | None,
    language: str | None,
    as_of_text: str | None,
    key_file: Path | None,
    password_variable: str | None,
    jobs: int,
    as_json: bool,
) -> None:
    """Write each funder's accountability statement for a period as PDF.

    Every statement shows the summary (committed, received, allocated, spent, unspent,
    unallocated), the money per group, the overhead check, receipts and refunds, charts,
    and embeds its figures for verify-statement. The same ledger and --as-of give the same
    bytes.

    \b
    Examples:
      netfund statements --period 2026 --out statements/
      netfund statements --period 2026 --out out/ --funder ZONMW --lang en --as-of 2026-12-31
      NETFUND_KEY_PASSWORD=... netfund statements --period 2026 --out out/ \\
        --sign fondsbeheer.p12 --sign-password-env NETFUND_KEY_PASSWORD
    """
    from netfund.reports.statements import prepare_statements, write_statements

    as_of = date_option(as_of_text, "--as-of")
    signer = None
    if key_file is not None:
        if password_variable is None:
            raise click.UsageError("--sign needs --sign-password-env VAR naming the password")
        from netfund.reports.statement.signing import load_signer

        signer = load_signer(key_file, password_variable)
    elif password_variable is not None:
        raise click.UsageError("--sign-password-env is only used with --sign KEY.p12")
    prepared = prepare_statements(engine_of(ctx), period, funder, language, as_of)
    with progress(len(prepared.statements), "statements", quiet=as_json) as bar:
        report = write_statements(
            prepared, out_dir, signer=signer, jobs=jobs, on_written=lambda _: bar.advance(1)
        )
    fingerprint = report.fingerprint
    coverage = report.coverage
    interim = report.interim
    if as_json:
        emit_json(
            {
                "period": report.period,
                "as_of": report.as_of.isoformat(),
                "interim": interim,
                "language": report.language,
                "covers": {
                    "transactions": coverage.transactions,
                    "first_transaction": coverage.first,
                    "last_transaction": coverage.last,
                },
                "left_out": report.left_out,
                "fingerprint": None
                if fingerprint is None
                else {"transaction": fingerprint.transaction, "hash": fingerprint.hash},
                "statements": [
                    {
                        "funder": item.funder,
                        "file": str(item.path),
                        "sha256": item.sha256,
                        "signed": item.signed,
                    }
                    for item in report.statements
                ],
            }
        )
        return
    for item in report.statements:
        click.echo(f"wrote {item.path}" + (" (signed)" if item.signed else ""))
    where = (
        f"transaction {fingerprint.transaction}, {fingerprint.hash}"
        if fingerprint is not None
        else "no transactions yet"
    )
    covered = (
        f"{coverage.transactions} transaction(s) of {report.period}, chain positions "
        f"{coverage.first} to {coverage.last}"
        if coverage.transactions
        else f"no transactions of {report.period}"
    )
    click.echo(
        f"{len(report.statements)} {'interim ' if interim else ''}statement(s) for "
        f"{report.period} as of {report.as_of.isoformat()} in {report.language}, covering "
        f"{covered}; ledger fingerprint: {where}"
    )
    if report.left_out:
        click.echo(
            f"left out: {report.left_out} transaction(s) of {report.period} dated after "
            f"{report.as_of.isoformat()}"
        )


@cli.command("verify-statement")
@click.argument("statement_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify_statement_command(ctx: click.Context, statement_file: Path, as_json: bool) -> None:
    """Check a statement PDF against the ledger; exit 4 naming every difference.

    The statement's fingerprint must be in the ledger's chain and its embedded figures
    must equal what the ledger computes now for its period, funder and as-of date. A
    signed statement's signature must be intact.

    \b
    Example:
      netfund verify-statement statements/2026-ZONMW.nl.pdf
    """
    from netfund.reports.statement.check import check_statement

    check = check_statement(engine_of(ctx), statement_file)
    if as_json:
        emit_json(_check_json(check))
    elif check.ok:
        _print_check(check)
    if not check.ok:
        raise VerificationError(
            f"statement {statement_file} does not match the ledger:\n  "
            + "\n  ".join(check.problems())
        )


def _check_json(check: StatementCheck) -> dict[str, object]:
    fingerprint = check.fingerprint
    signature = check.signature
    return {
        "status": "ok" if check.ok else "mismatch",
        "file": str(check.path),
        "period": check.period,
        "funder": check.funder,
        "as_of": check.as_of.isoformat(),
        "fingerprint": None
        if fingerprint is None
        else {
            "transaction": fingerprint.transaction,
            "hash": fingerprint.hash,
            "in_chain": check.fingerprint_in_chain,
        },
        "added_since": check.added_since,
        "figures_checked": check.figures_checked,
        "differences": [
            {"figure": d.figure, "statement": d.statement, "ledger": d.ledger}
            for d in check.differences
        ],
        "signature": None
        if signature is None
        else {
            "signer": signature.signer,
            "intact": signature.intact,
            "covers_whole_file": signature.covers_whole_file,
        },
        "problems": check.problems(),
    }


def _print_check(check: StatementCheck) -> None:
    where = (
        f"transaction {check.fingerprint.transaction} is in the ledger's chain"
        if check.fingerprint is not None
        else "no transactions up to its date"
    )
    click.echo(
        f"statement {check.path} verified: {check.funder}, period {check.period}, as of "
        f"{check.as_of.isoformat()}; {where}; all {check.figures_checked} figures equal "
        "the ledger's"
    )
    if check.added_since:
        click.echo(
            f"note: {check.added_since} transaction(s) dated on or before "
            f"{check.as_of.isoformat()} were added since; they do not change its figures"
        )
    if check.signature is not None:
        click.echo(
            f"signed by {check.signature.signer}: signature intact and covering the whole "
            "file (trust in the certificate is for your PDF viewer or pyhanko to judge)"
        )
