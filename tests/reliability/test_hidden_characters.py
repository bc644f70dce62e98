"""Hidden characters (issue 15, item 8), through the CLI and the Python API, on SQLite and
PostgreSQL.

A right-to-left override (U+202E) or a zero width space (U+200B) in an id or a reference made
look-alike ids and spoofed what a spreadsheet shows. They are refused there on every path
(the bad-input corpus covers events, journal and network files; here `post` and the Python
`post`), naming the character, with exit 2 and nothing written. A description may hold them,
and an export's spreadsheet cells show them written out.
"""

from __future__ import annotations

import csv
import datetime
import json
from pathlib import Path

import pytest
from netfund.ledger import Draft, InputError, Posting, lines_fingerprint
from netfund.ledger.importer import post
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import run_cli, transaction_count, write_text

LINES = ("--line", "Assets:Bank,NET,,1.00", "--line", "Income:Other,NET,,-1.00")


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> str:
    result = run_cli(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    assert result.exit_code == 0, result.output
    return db_url


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ("post", "FIX-\u200b1", "--date", "2026-03-01", "-d", "Rente", *LINES),
            "post: TXN_ID contains an invisible character (U+200B ZERO WIDTH SPACE)",
        ),
        (
            ("post", "FIX-1", "--date", "2026-03-01", "-d", "Rente", "--reference", "A\u202eB"),
            "post: reference contains a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)",
        ),
    ],
)
def test_post_refuses_them_in_ids_and_references(
    ledger: str, args: tuple[str, ...], reason: str
) -> None:
    args = args if "--line" in args else (*args, *LINES)
    result = run_cli(ledger, *args)
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert "Traceback" not in result.output
    assert transaction_count(ledger) == 0


def test_the_python_post_refuses_them_too(engine: Engine) -> None:
    lines = (Posting("Assets:Bank", "NET", None, 100), Posting("Income:Other", "NET", None, -100))
    date = datetime.date(2026, 3, 1)

    def draft(external_id: str, reference: str = "") -> Draft:
        fingerprint = lines_fingerprint(external_id, date, "", reference, lines)
        return Draft(external_id, date, "journal", "", reference, lines, fingerprint)

    with pytest.raises(InputError, match=r"api:2: id contains a text-direction control \(U\+2067"):
        post(engine, [draft("API-1"), draft("API-\u20672")], source="api")
    with pytest.raises(InputError, match=r"api:1: reference contains an invisible character"):
        post(engine, [draft("API-1", "REF\ufeff")], source="api")
    assert post(engine, [draft("API-1", "REF-1")], source="api").posted == 1


def test_a_description_keeps_them_and_a_spreadsheet_shows_them(ledger: str, tmp_path: Path) -> None:
    description = "Factuur \u202egpj.exe en\u200b koffie"
    shown = "Factuur <U+202E>gpj.exe en<U+200B> koffie"
    events = write_text(
        tmp_path / "events.csv",
        EVENTS_HEADER + f"C-1,2026-01-05,commitment,GEM,,100.00,{description},BESL-1\n",
    )
    result = run_cli(ledger, "import", str(events))
    assert result.exit_code == 0, result.output
    for file_format in ("csv", "xlsx"):
        out = tmp_path / f"journal.{file_format}"
        args = ("export", "journal", "--format", file_format, "--out", str(out), "--json")
        result = run_cli(ledger, *args)
        assert result.exit_code == 0, result.output
        json.loads(result.stdout)
        if file_format == "csv":
            with out.open(encoding="utf-8", newline="") as handle:
                cells = [row["description"] for row in csv.DictReader(handle)]
        else:
            sheet = load_workbook(out)["journal"]
            header = [cell.value for cell in sheet[1]]
            column = header.index("description")
            cells = [row[column].value for row in sheet.iter_rows(min_row=2)]
        assert cells == [shown, shown], file_format
