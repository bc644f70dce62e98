"""Statements of the Saniveld example (issue 4), on SQLite and PostgreSQL, through the CLI.

The example as the README's main job leaves it (init, import, allocate, commit), then
`netfund statements`: the printed summary equals the ledger's figures re-performed from plain
balances, in both languages; the funders' statements add up to the network's totals to the
cent; verify-statement passes, and fails naming the figure once the ledger changes; bad
input exits 2 and leaves no file behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from netfund.cli.main import cli
from netfund.reports.formatting import Formatter
from netfund.reports.statement.wording import SUMMARY_ROWS, wording
from reportlab.pdfgen.canvas import Canvas

from tests.conftest import EXAMPLE
from tests.support.statements import (
    AS_OF,
    FUNDERS,
    embedded,
    ledger_summary,
    page_texts,
    summary_pairs,
)


@pytest.fixture
def saniveld(run_cli):  # type: ignore[no-untyped-def]
    """The README's main job: the example imported, allocated and the allocation committed."""
    assert run_cli("init", str(EXAMPLE / "network.toml")).exit_code == 0
    assert run_cli("import", str(EXAMPLE / "events.csv")).exit_code == 0
    assert run_cli("allocate", str(EXAMPLE / "plan.toml")).exit_code == 0
    assert run_cli("allocate", "--commit", "latest", "--date", "2026-06-30").exit_code == 0
    assert run_cli("import", str(EXAMPLE / "spending.csv")).exit_code == 0
    return run_cli


def _statements(run_cli, out: Path, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = run_cli("statements", "--period", "2026", "--out", str(out), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_summary_in_the_pdf_equals_the_ledger(
    saniveld,  # type: ignore[no-untyped-def]
    db_url: str,
    tmp_path: Path,
    language: str,
) -> None:
    out = tmp_path / "statements"
    written = _statements(saniveld, out, "--lang", language, "--as-of", AS_OF)
    assert [item["funder"] for item in written["statements"]] == FUNDERS
    assert sorted(path.name for path in out.iterdir()) == sorted(
        f"2026-{code}.{language}.pdf" for code in FUNDERS
    )
    expected = ledger_summary(db_url)
    words, formatter = wording(language), Formatter(language)
    for item in written["statements"]:
        pages = page_texts(Path(item["file"]))
        pairs = summary_pairs(pages[0])
        for key in SUMMARY_ROWS:
            amount = formatter.money(expected[item["funder"]][key]).replace("\u00a0", " ")
            assert pairs[words[key]] == amount, (item["funder"], key)
        assert all(
            words["footer_page"].format(page=n, pages=len(pages)) in page
            for n, page in enumerate(pages, start=1)
        )
        assert written["fingerprint"]["hash"] in pages[-1]
    if language == "nl":  # the format the issue spells out, as it reads in the PDF
        assert "€ 4.218.350,40" in page_texts(out / "2026-GEM-SANIVELD-WMO.nl.pdf")[0]
    else:
        assert "€4,218,350.40" in page_texts(out / "2026-GEM-SANIVELD-WMO.en.pdf")[0]


def test_the_statements_add_up_to_the_network_totals(
    saniveld,  # type: ignore[no-untyped-def]
    db_url: str,
    tmp_path: Path,
) -> None:
    written = _statements(saniveld, tmp_path / "statements", "--as-of", AS_OF)
    documents = [embedded(Path(item["file"])) for item in written["statements"]]
    assert [d["funder"] for d in documents] == FUNDERS
    expected = ledger_summary(db_url)
    totals = {key: sum(figures[key] for figures in expected.values()) for key in SUMMARY_ROWS}
    for key in SUMMARY_ROWS:
        summed = sum(d["figures"]["summary"][f"{key}_cents"] for d in documents)
        assert summed == totals[key], key
        assert all(d["figures"]["network"][f"{key}_cents"] == summed for d in documents), key
    for document in documents:
        summary, groups = document["figures"]["summary"], document["figures"]["groups"]
        assert sum(g["allocated_cents"] for g in groups) == summary["allocated_cents"]
        assert sum(g["spent_cents"] for g in groups) == summary["spent_cents"]
        receipts = sum(r["amount_cents"] for r in document["figures"]["receipts"])
        assert receipts == summary["received_cents"]  # Saniveld has no carry-over
        assert document["as_of"] == AS_OF and document["period"] == "2026"
        assert document["fingerprint"] == written["fingerprint"]
    # The network's overhead stays under its 15% cap, and the statements say so.
    network_checks = [
        c for c in documents[0]["figures"]["overhead"] if c["key"].startswith("network")
    ]
    assert [c["passes"] for c in network_checks] == [True, True]
    zonmw = documents[-1]["figures"]
    assert zonmw["summary"]["refunded_cents"] == 781245
    assert [r["amount_cents"] for r in zonmw["refunds"]] == [781245]


def test_verify_statement_passes_then_names_the_changed_figure(
    saniveld,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    out = tmp_path / "statements"
    _statements(saniveld, out, "--funder", "ZONMW", "--as-of", AS_OF)
    statement = out / "2026-ZONMW.nl.pdf"
    assert [p.name for p in out.iterdir()] == ["2026-ZONMW.nl.pdf"]
    passed = saniveld("verify-statement", str(statement))
    assert passed.exit_code == 0, passed.output
    assert "verified" in passed.output and "figures equal the ledger's" in passed.output
    # A transaction after the as-of date changes nothing the statement shows.
    later = saniveld(
        "post",
        "LATE-2027",
        "--date",
        "2027-01-15",
        "-d",
        "Next year",
        "--line",
        "Expenses:RG-DATA,ZONMW,RG-DATA,10.00",
        "--line",
        "Assets:Bank,ZONMW,,-10.00",
    )
    assert later.exit_code == 0, later.output
    assert saniveld("verify-statement", str(statement)).exit_code == 0
    # A correction dated inside the period does: the statement no longer holds.
    late = saniveld(
        "post",
        "FIX-2026",
        "--date",
        "2026-11-30",
        "-d",
        "Late invoice data monitoring",
        "--line",
        "Expenses:RG-DATA,ZONMW,RG-DATA,123.45",
        "--line",
        "Assets:Bank,ZONMW,,-123.45",
    )
    assert late.exit_code == 0, late.output
    failed = saniveld("verify-statement", str(statement))
    assert failed.exit_code == 4
    assert "summary.spent_cents" in failed.output
    assert "groups[RG-DATA].spent_cents" in failed.output
    assert "summary.unspent_cents" in failed.output
    as_json = saniveld("verify-statement", str(statement), "--json")
    assert as_json.exit_code == 4
    report = json.loads(as_json.stdout)
    assert report["status"] == "mismatch" and report["added_since"] == 1
    spent = next(d for d in report["differences"] if d["figure"] == "summary.spent_cents")
    assert spent["ledger"] - spent["statement"] == 12345


def test_verify_statement_refuses_another_ledger_and_files_that_are_no_statement(
    saniveld,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    _statements(saniveld, tmp_path / "statements", "--funder", "ZV-LINGEZORG", "--as-of", AS_OF)
    statement = tmp_path / "statements" / "2026-ZV-LINGEZORG.nl.pdf"
    # Another ledger: the same example, but without the allocation run committed.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    runner = CliRunner()
    for args in (("init", str(EXAMPLE / "network.toml")), ("import", str(EXAMPLE / "events.csv"))):
        assert runner.invoke(cli, ["--db", other, *args]).exit_code == 0
    foreign = runner.invoke(cli, ["--db", other, "verify-statement", str(statement)])
    assert foreign.exit_code == 4
    assert "not in this ledger's chain" in foreign.output
    text_file = tmp_path / "notes.pdf"
    text_file.write_text("not a pdf", encoding="utf-8")
    plain_pdf = tmp_path / "letter.pdf"
    letter = Canvas(str(plain_pdf))
    letter.drawString(72, 720, "Een gewone brief, geen verantwoording.")
    letter.save()
    for path, reason in (
        (text_file, "it is not a PDF file"),
        (plain_pdf, "it has no netfund-statement.json attachment"),
        (tmp_path / "absent.pdf", "cannot read it"),
    ):
        refused = saniveld("verify-statement", str(path))
        assert refused.exit_code == 2, refused.output
        assert reason in refused.output


def test_bad_input_exits_2_and_writes_nothing(saniveld, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    for args, message in (
        (("--period", "2026", "--funder", "NOBODY"), "unknown funder"),
        (("--period", "26"), "not a calendar year"),
        (("--period", "2026", "--as-of", "2025-12-31"), "before period 2026 begins"),
        (("--period", "2026", "--as-of", "31-12-2026"), "YYYY-MM-DD"),
        (("--period", "2026", "--sign", str(tmp_path / "k.p12")), "--sign-password-env"),
    ):
        result = saniveld("statements", "--out", str(out), *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not out.exists() or list(out.iterdir()) == []
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    unwritable = saniveld("statements", "--period", "2026", "--out", str(blocker / "sub"))
    assert unwritable.exit_code == 2 and "cannot write statements" in unwritable.output
