"""Files from Dutch Excel (issue 16): `;`, `1.234,56`, `31-12-2026`, Windows-1252, empty rows.

Each test imports through the command line, as the administrator does, on SQLite and on
PostgreSQL: with ``--dialect nl`` such a file imports to exactly the ledger the standard file
gives; without it, the error names the flag; an amount the dialect cannot read for sure is
refused, never guessed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from netfund.cli.main import cli

from tests.conftest import database_url, write_events

Run = Callable[..., Result]

SETUP = [
    "c-gem,2026-01-05,commitment,GEM,,100000.00,Toezegging,B-1",
    "a-gem,2026-01-10,allocation,GEM,WG-A,20000.00,Besluit,B-2",
]

#: What Dutch Excel writes for the rows of `STANDARD_ROWS`: the same events.
DUTCH_FILE = (
    "id;date;type;funder;group;amount;description;reference\r\n"
    "r-1;1-2-2026;receipt;GEM;;50.000,00;Eerste tranche;BANK-1\r\n"
    "e-1;31-03-2026;expense;;WG-A;1.234,56;Overleg café De Zon;FACT-7\r\n"
    'e-2;2026-04-01;expense;;WG-A;99,5;"Huur; april";FACT-8\r\n'
    ";;;;;;;\r\n"
    ";;;;;;;\r\n"
)
STANDARD_ROWS = [
    "r-1,2026-02-01,receipt,GEM,,50000.00,Eerste tranche,BANK-1",
    "e-1,2026-03-31,expense,,WG-A,1234.56,Overleg café De Zon,FACT-7",
    'e-2,2026-04-01,expense,,WG-A,99.50,"Huur; april",FACT-8',
]


def _balances(run_cli: Run) -> list[dict[str, str]]:
    result = run_cli("balance", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _setup(run_cli: Run, network_file: Path, tmp_path: Path) -> str:
    """Initialise the ledger with a commitment and an allocation; its fingerprint then."""
    assert run_cli("init", str(network_file)).exit_code == 0
    result = run_cli("import", str(write_events(tmp_path / "setup.csv", SETUP)))
    assert result.exit_code == 0, result.output
    return _fingerprint(run_cli)


def _fingerprint(run_cli: Run) -> str:
    result = run_cli("verify", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["fingerprint"]


def test_a_dutch_excel_file_imports_like_the_standard_one(
    run_cli: Run, network_file: Path, tmp_path: Path, db_url: str
) -> None:
    _setup(run_cli, network_file, tmp_path)
    for encoding in ("cp1252", "utf-8", "utf-8-sig"):
        path = tmp_path / f"excel-{encoding}.csv"
        path.write_bytes(DUTCH_FILE.encode(encoding))
        result = run_cli("import", "--dialect", "nl", str(path), "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        expected = (3, 3, 0) if encoding == "cp1252" else (3, 0, 3)
        assert (report["read"], report["posted"], report["skipped"]) == expected, encoding
    dutch = (_balances(run_cli), _fingerprint(run_cli))

    # The same events in the standard dialect give the same ledger, to the fingerprint, on
    # the same kind of database (the actor is hashed: a PostgreSQL login and an OS user differ).
    other = tmp_path / "other"
    other.mkdir()
    urls = database_url("postgresql" if "postgresql" in db_url else "sqlite", other, "std")
    standard_url = next(urls)

    def run_standard(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", standard_url, *args], catch_exceptions=False)

    try:
        _setup(run_standard, network_file, other)
        result = run_standard("import", str(write_events(other / "events.csv", STANDARD_ROWS)))
        assert result.exit_code == 0, result.output
        assert (_balances(run_standard), _fingerprint(run_standard)) == dutch
    finally:
        urls.close()


def test_a_dutch_file_without_the_flag_is_refused_naming_it(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    before = _setup(run_cli, network_file, tmp_path)
    path = tmp_path / "events.csv"
    path.write_bytes(DUTCH_FILE.encode("cp1252"))
    result = run_cli("import", str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:1: the header is separated by ';': a Dutch Excel file? use --dialect nl"
        in result.output
    )
    assert "Traceback" not in result.output

    # Comma-separated but with Dutch amounts, dates and Windows-1252 text: each names the flag.
    rows = 'r-1,1-2-2026,receipt,GEM,,"50.000,00",Tranche café,BANK-1\n'.encode("cp1252")
    path.write_bytes(b"id,date,type,funder,group,amount,description,reference\n" + rows)
    result = run_cli("import", str(path))
    assert result.exit_code == 2
    assert f"{path}:2: file is not valid UTF-8" in result.output
    assert "--dialect nl" in result.output
    path.write_text(
        "id,date,type,funder,group,amount,description,reference\n"
        'r-1,1-2-2026,receipt,GEM,,"50.000,00",Tranche,BANK-1\n',
        encoding="utf-8",
    )
    result = run_cli("import", str(path))
    assert result.exit_code == 2
    message = result.output
    assert f"{path}:2: date '1-2-2026' is not of the form YYYY-MM-DD" in message
    assert "amount '50.000,00' is not a plain decimal number" in message
    assert message.count("--dialect nl") == 2
    assert _fingerprint(run_cli) == before

    # And the other way round: a standard file given as Dutch.
    result = run_cli("import", "--dialect", "nl", str(write_events(tmp_path / "s.csv", SETUP)))
    assert result.exit_code == 2
    assert "the header is separated by ',': not a Dutch Excel file? leave out --dialect nl" in (
        result.output
    )
    assert _fingerprint(run_cli) == before


def test_an_ambiguous_dutch_amount_is_refused_not_guessed(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    before = _setup(run_cli, network_file, tmp_path)
    path = tmp_path / "events.csv"
    path.write_text(
        "id;date;type;funder;group;amount;description;reference\n"
        "e-1;31-03-2026;expense;;WG-A;1.234;Huur;FACT-1\n"
        "e-2;31-03-2026;expense;;WG-A;12.50;Huur;FACT-2\n"
        "e-3;31-03-2026;expense;;WG-A;1.23,45;Huur;FACT-3\n"
        "e-4;31-12-26;expense;;WG-A;10;Huur;FACT-4\n"
        "e-5;31-02-2026;expense;;WG-A;10;Huur;FACT-5\n",
        encoding="utf-8",
    )
    result = run_cli("import", "--dialect", "nl", str(path))
    assert result.exit_code == 2
    assert f"{path}:2: amount '1.234' has a dot and no decimal comma" in result.output
    assert f"{path}:3: amount '12.50' has a dot and no decimal comma" in result.output
    assert f"{path}:4: amount '1.23,45' is not an amount in the nl dialect" in result.output
    assert f"{path}:5: date '31-12-26' is not of the form DD-MM-YYYY" in result.output
    assert f"{path}:6: date '31-02-2026' does not exist" in result.output
    assert _fingerprint(run_cli) == before


def test_a_dutch_journal_imports(run_cli: Run, network_file: Path, tmp_path: Path) -> None:
    _setup(run_cli, network_file, tmp_path)
    path = tmp_path / "journal.csv"
    path.write_bytes(
        "txn_id;date;description;account;fund;group;amount\r\n"
        "FIX-1;31-03-2026;Bankkosten één;Expenses:WG-A;GEM;WG-A;1.012,50\r\n"
        "FIX-1;31-03-2026;Bankkosten één;Assets:Bank;GEM;;-1.012,50\r\n"
        ";;;;;;\r\n".encode("cp1252")
    )
    result = run_cli("import", "--journal", str(path), "--dialect", "nl", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["posted"] == 1
    assert {"account": "Assets:Bank", "fund": "GEM", "group": None, "balance": "-1012.50"} in (
        _balances(run_cli)
    )


def test_trailing_empty_rows_are_skipped_in_the_standard_dialect(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    _setup(run_cli, network_file, tmp_path)
    path = write_events(
        tmp_path / "events.csv",
        ["r-1,2026-02-01,receipt,GEM,,500.00,Tranche,BANK-1", ",,,,,,,", ",,,,,,,"],
    )
    result = run_cli("import", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert (json.loads(result.output)["read"], json.loads(result.output)["posted"]) == (1, 1)


def test_a_file_neither_utf8_nor_windows_1252_names_its_line(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    _setup(run_cli, network_file, tmp_path)
    path = tmp_path / "events.csv"
    # 0x81 is not a character in Windows-1252 (nor a UTF-8 sequence).
    path.write_bytes(
        b"id;date;type;funder;group;amount;description;reference\n"
        b"r-1;1-2-2026;receipt;GEM;;500;Tranche;BANK-1\n"
        b"r-2;1-3-2026;receipt;GEM;;500;Tranche \x81;BANK-2\n"
    )
    result = run_cli("import", "--dialect", "nl", str(path))
    assert result.exit_code == 2
    assert f"{path}:3: file is neither UTF-8 nor Windows-1252" in result.output


def test_a_repeated_id_in_one_file_names_both_lines(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    before = _setup(run_cli, network_file, tmp_path)
    row = "r-1,2026-02-01,receipt,GEM,,500.00,Tranche,BANK-1"
    path = write_events(tmp_path / "events.csv", [row, "r-2,2026-02-02,receipt,GEM,,1.00,T,B", row])
    result = run_cli("import", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:4: id 'r-1' is on line 2 too" in result.output
    assert _fingerprint(run_cli) == before

    # The idempotency rule stands: a row already in the ledger with the same content is skipped.
    once = write_events(tmp_path / "once.csv", [row])
    assert run_cli("import", str(once)).exit_code == 0
    again = run_cli("import", str(once), "--json")
    assert again.exit_code == 0, again.output
    assert (json.loads(again.output)["posted"], json.loads(again.output)["skipped"]) == (0, 1)
    # ... but a file repeating it is still a file with one id on two lines.
    result = run_cli("import", str(path))
    assert result.exit_code == 2
    assert f"{path}:4: id 'r-1' is on line 2 too" in result.output


def test_a_dutch_file_through_a_pipe_is_read_once(
    run_cli: Run, network_file: Path, tmp_path: Path
) -> None:
    """The header is checked and the rows read from one pass: a pipe cannot be reopened."""
    _setup(run_cli, network_file, tmp_path)
    pipe = tmp_path / "events.pipe"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_bytes, args=(DUTCH_FILE.encode("utf-8"),))
    writer.start()
    result = run_cli("import", "--dialect", "nl", str(pipe), "--json")
    writer.join()
    assert result.exit_code == 0, result.output
    assert (json.loads(result.output)["read"], json.loads(result.output)["posted"]) == (3, 3)
