"""Reading indicators.csv: every row checked against the network in force for its period,
every problem with its line, all of a file's problems at once (issue 20)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from netfund.ledger.inputs.csv_rows import CsvReader
from netfund.ledger.inputs.indicators import INDICATOR_COLUMNS, MeasurementRow, read_indicators
from netfund.ledger.inputs.network import Network, load_network, only
from netfund.ledger.model.dialect import DUTCH, STANDARD, Dialect

from tests.conftest import NETWORK_TOML
from tests.support.indicators import HEADER, INDICATORS_TOML, ROWS, TODAY, write_indicators

#: An indicator the network agrees on from 2027.
VERZUIM_TOML = """
[[indicators]]
code = "VERZUIM"
name = { nl = "Verzuim professionals", en = "Staff absenteeism" }
unit = { nl = "procent", en = "percent" }
better = "lower"
aim = "work"
kind = "level"
groups = ["WG-A"]
"""


@pytest.fixture
def network(indicators_network: Path) -> Network:
    return load_network(indicators_network)


def _read(
    path: Path, network: Network, dialect: Dialect = STANDARD, networks=None
) -> tuple[list[MeasurementRow], list[str]]:
    reader = CsvReader(path, INDICATOR_COLUMNS, dialect)
    rows = list(read_indicators(reader, networks or only(network), TODAY))
    return rows, [str(problem) for problem in reader.problems]


def test_a_valid_file_gives_exact_values_in_file_order(tmp_path: Path, network: Network) -> None:
    rows, problems = _read(write_indicators(tmp_path / "i.csv", ROWS), network)
    assert problems == []
    assert [(r.line, r.indicator, r.group, r.date, r.value, r.source) for r in rows] == [
        (2, "WACHTTIJD", "WG-A", datetime.date(2026, 3, 31), Decimal(21), "Registratie voordeur"),
        (3, "BEREIK", "WG-A", datetime.date(2026, 3, 31), Decimal(40), "Deelnemerslijsten"),
        (4, "BEREIK", "WG-B", datetime.date(2026, 3, 31), Decimal(12), "Deelnemerslijsten"),
        (5, "WACHTTIJD", "WG-A", datetime.date(2026, 6, 30), Decimal("17.50"), "Registratie "
         "voordeur"),
    ]  # fmt: skip
    assert rows[-1].value_text == "17.50"  # as written: the canonical text keeps its decimals


def test_the_nl_dialect_semicolons_decimal_comma_day_first_windows_1252(
    tmp_path: Path, network: Network
) -> None:
    path = tmp_path / "i.csv"
    text = (
        "indicator;group;date;value;source\r\n"
        "WACHTTIJD;WG-A;31-3-2026;17,5;Enquête wijkteam\r\n"
        'BEREIK;WG-B;30-06-2026;1.204;"Lijst; deelnemers"\r\n'
    )
    path.write_bytes(text.encode("cp1252"))
    rows, problems = _read(path, network, DUTCH)
    assert problems == []
    assert [(r.date, r.value, r.source) for r in rows] == [
        (datetime.date(2026, 3, 31), Decimal("17.5"), "Enquête wijkteam"),
        (datetime.date(2026, 6, 30), Decimal(1204), "Lijst; deelnemers"),
    ]
    # The same file without --dialect nl: refused naming the option, before any row.
    _, refused = _read(path, network)
    assert refused == [f"{path}:1: the header is separated by ';': a Dutch Excel file? use "
                       "--dialect nl"]  # fmt: skip


def test_a_byte_order_mark_is_accepted(tmp_path: Path, network: Network) -> None:
    path = tmp_path / "i.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROWS[0] + "\n").encode())
    rows, problems = _read(path, network)
    assert problems == [] and [r.indicator for r in rows] == ["WACHTTIJD"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "WACHTTIJDEN,WG-A,2026-03-31,21,Registratie",
            "unknown indicator 'WACHTTIJDEN' in 2026 (network.toml declares WACHTTIJD, BEREIK)",
        ),
        ("WACHTTIJD,WG-Z,2026-03-31,21,Registratie", "unknown group 'WG-Z'"),
        (
            "WACHTTIJD,WG-B,2026-03-31,21,Registratie",
            "group WG-B did not agree to indicator WACHTTIJD (its groups: WG-A)",
        ),
        (
            "WACHTTIJD,WG-A,2027-01-01,21,Registratie",
            "date 2027-01-01 lies after this year (2026): a measurement reports what happened "
            "(a typo in the year?)",
        ),
        ("WACHTTIJD,WG-A,2026-02-30,21,Registratie", "date '2026-02-30' does not exist"),
        (
            "WACHTTIJD,WG-A,31-03-2026,21,Registratie",
            "date '31-03-2026' is not of the form YYYY-MM-DD (a Dutch Excel file? use "
            "--dialect nl)",
        ),
        ("WACHTTIJD,WG-A,2026-03-31,,Registratie", "value is empty"),
        ("WACHTTIJD,WG-A,2026-03-31,1e3,Registratie", "value '1e3' is not a plain decimal"),
        ("WACHTTIJD,WG-A,2026-03-31,NaN,Registratie", "value 'NaN' is not a plain decimal"),
        ("WACHTTIJD,WG-A,2026-03-31,1.23456,Registratie", "has more than 4 decimals"),
        (
            'WACHTTIJD,WG-A,2026-03-31,"12,5",Registratie',
            "value '12,5' is not a plain decimal number (use '.' as decimal point, no thousands "
            "separators, no exponent): a Dutch Excel file? use --dialect nl",
        ),
        (
            "BEREIK,WG-A,2026-03-31,-3,Lijsten",
            "value '-3' is not a whole number of at least 0: BEREIK counts what happened since "
            "the previous measurement",
        ),
        ("BEREIK,WG-A,2026-03-31,2.5,Lijsten", "value '2.5' is not a whole number of at least 0"),
        (
            "WACHTTIJD,WG-A,2026-03-31,21,",
            "source is empty: say where the figure comes from (a monitor, a survey)",
        ),
        ("WACHTTIJD,WG-A,2026-03-31,21,  ", "source is empty"),
        (
            "WACHTTIJD,WG-A,2026-03-31,21,Regis\u200btratie",
            "source contains an invisible character (U+200B ZERO WIDTH SPACE)",
        ),
        (
            "WACHTTIJD\u202e,WG-A,2026-03-31,21,Registratie",
            "indicator contains a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)",
        ),
        (",WG-A,2026-03-31,21,Registratie", "indicator is empty"),
        ("WACHTTIJD,,2026-03-31,21,Registratie", "group is empty"),
        ("WACHTTIJD,WG-A,2026-03-31,21,Registratie" + "x" * 200, "source is longer than 200"),
    ],
)
def test_each_bad_row_is_refused_on_its_line(
    tmp_path: Path, network: Network, row: str, message: str
) -> None:
    """A valid row before and after: the problem is on line 3, and only there."""
    path = write_indicators(tmp_path / "i.csv", [ROWS[0], row, ROWS[1]])
    rows, problems = _read(path, network)
    assert [r.line for r in rows] == [2, 4]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:3: "), problems
    assert message in problems[0], problems


def test_one_key_twice_in_a_file_names_both_lines(tmp_path: Path, network: Network) -> None:
    path = write_indicators(
        tmp_path / "i.csv", [*ROWS, "BEREIK,WG-A,2026-03-31,41,Deelnemerslijsten (herteld)"]
    )
    rows, problems = _read(path, network)
    assert len(rows) == 4
    assert problems == [
        f"{path}:6: BEREIK for WG-A on 2026-03-31 is on line 3 too: one measurement per "
        "indicator, group and day (which of the two is it?)"
    ]


def test_every_problem_of_a_file_at_once(tmp_path: Path, network: Network) -> None:
    path = write_indicators(
        tmp_path / "i.csv",
        [
            "WACHTTIJD,WG-B,2026-03-31,21,Registratie",
            ROWS[1],
            "BEREIK,WG-A,2026-13-01,-1,",
            "WACHTTIJD,WG-A,2026-03-31,21,Registratie,extra",
        ],
    )
    _, problems = _read(path, network)
    assert [problem.split(": ", 1)[0] for problem in problems] == [
        f"{path}:2",
        f"{path}:4",
        f"{path}:5",
    ]
    # Each of a row's problems, in one line.
    assert "date '2026-13-01' does not exist" in problems[1]
    assert "source is empty" in problems[1]
    assert "expected 5 fields, found 6" in problems[2]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("indicator,group,date,value\n", "bad header: missing column(s) source"),
        ("indicator,group,date,value,source,note\n", "unknown column(s) 'note'"),
        ("", "file is empty; expected the header indicator,group,date,value,source"),
    ],
)
def test_the_header_is_required(
    tmp_path: Path, network: Network, header: str, message: str
) -> None:
    path = write_indicators(tmp_path / "i.csv", [ROWS[0]] if header else [], header=header)
    rows, problems = _read(path, network)
    assert rows == []
    assert len(problems) == 1 and problems[0].startswith(f"{path}:1: "), problems
    assert message in problems[0]


def test_each_row_is_checked_against_the_network_in_force_for_its_period(
    tmp_path: Path, network: Network
) -> None:
    """An indicator agreed from 2027 on (a later network version) is unknown in 2026."""
    later = tmp_path / "network-2027.toml"
    later.write_text(
        NETWORK_TOML
        + INDICATORS_TOML.replace('groups = ["WG-A"]', 'groups = ["WG-A", "WG-B"]')
        + VERZUIM_TOML,
        encoding="utf-8",
    )
    version_2027 = load_network(later)
    assert version_2027.indicator("VERZUIM") is not None

    def networks(period: str | None) -> Network:
        return version_2027 if period is None or period >= "2027" else network

    path = write_indicators(
        tmp_path / "i.csv",
        [
            "VERZUIM,WG-A,2026-12-01,4.5,HR",
            "WACHTTIJD,WG-B,2026-12-01,20,Registratie",
            "WACHTTIJD,WG-B,2027-01-31,20,Registratie",
        ],
    )
    reader = CsvReader(path, INDICATOR_COLUMNS, STANDARD)
    rows = list(read_indicators(reader, networks, datetime.date(2027, 2, 1)))
    assert [str(p).split(": ", 1)[1] for p in reader.problems] == [
        "unknown indicator 'VERZUIM' in 2026 (network.toml declares WACHTTIJD, BEREIK)",
        "group WG-B did not agree to indicator WACHTTIJD (its groups: WG-A)",
    ]
    assert [(r.indicator, r.group, r.date.year) for r in rows] == [("WACHTTIJD", "WG-B", 2027)]


def test_a_network_without_indicators_says_so(tmp_path: Path, network_file: Path) -> None:
    path = write_indicators(tmp_path / "i.csv", [ROWS[0]])
    _, problems = _read(path, load_network(network_file))
    assert problems == [
        f"{path}:2: unknown indicator 'WACHTTIJD' in 2026 (network.toml declares none)"
    ]
