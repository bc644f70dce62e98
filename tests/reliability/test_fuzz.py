"""Fuzzing the events and journal importers: whatever the file, a clean answer.

Hypothesis feeds `netfund import` and `netfund import --journal` arbitrary bytes (sometimes
behind a valid header, so the parser gets past line 1), arbitrary CSV-ish text, and
well-formed CSV rows the ledger would accept, some with a field or two spoiled. Every run
must exit 0 or 2 and never print a traceback. On exit 2 every output line but the summary is
a problem of the form ``FILE:LINE: reason`` (``FILE: reason`` for a problem of the whole
file) and the transaction count is unchanged; on exit 0 it grew by exactly the reported
number of posted transactions, and the ledger still verifies.

SQLite only: the importers' parsing and validation are the same code on both backends, and
the all-or-nothing commit on PostgreSQL is tested elsewhere (tests/reliability/test_crash.py,
tests/reliability/test_bad_input.py). About 200 examples in all.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import NETWORK_TOML
from tests.support.reliability import run_cli, transaction_count, write_text

EVENT_COLUMNS = ["id", "date", "type", "funder", "group", "amount", "description", "reference"]
JOURNAL_COLUMNS = ["txn_id", "date", "description", "account", "fund", "group", "amount"]
BASE_EVENTS = """\
id,date,type,funder,group,amount,description,reference
B-C,2026-01-05,commitment,GEM,,100000.00,Toezegging,B-1
B-R,2026-01-20,receipt,GEM,,50000.00,Tranche,B-2
B-A,2026-02-01,allocation,GEM,WG-A,40000.00,Budget,B-3
B-CZ,2026-01-05,commitment,ZONMW,,20000.00,Subsidie,B-5
B-Z,2026-02-01,allocation,ZONMW,PMO,1000.00,Budget,B-4
B-ZA,2026-02-01,allocation,ZONMW,WG-A,19000.00,Budget,B-6
"""
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that upsets parsers: separators, quotes, line ends, BOM, control and odd characters.
nasty = st.lists(
    st.sampled_from(
        [*",\"'\n\r\t;\\ .-:0123456789aZé€\ufeff\u2028\x85\x00\x01\x7f", "netfund:", "\r\n"]
    ),
    max_size=20,
).map("".join)
junk = nasty | st.text(max_size=20)


def _values(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values) | junk


EVENT_FIELDS = {
    "id": _values("N-1", "N-2", "B-C", "", " ", "x" * 64, "x" * 65, "netfund:x", "a\x00b"),
    "date": _values(
        "2026-03-01",
        "2027-01-10",
        "2026-02-30",
        "1999-12-31",
        "2100-01-01",
        "2026/03/01",
        "26-03-01",
        "2026-3-1",
        "２０２６-03-01",
        "",
    ),
    "type": _values(
        "commitment", "receipt", "allocation", "expense", "refund", "donation", "Expense", ""
    ),
    "funder": _values("GEM", "ZVK", "ZONMW", "", "NET", "XYZ", "gem"),
    "group": _values("WG-A", "WG-B", "PMO", "CL-1", "", "WG-Z"),
    "amount": _values(
        "1.00",
        "0.01",
        "12.5",
        "999999999999.99",
        "1000000000000.00",
        "0",
        "-1",
        "1e9",
        "1,5",
        "0.001",
        "NaN",
        "Infinity",
        "+5",
        " 12.50 ",
        "١٢",
        "",
        "12.",
        ".5",
    ),
    "description": _values("", "Huur", "x" * 1000, "x" * 1001, "a\nb", "a\x01b"),
    "reference": _values("", "F-1", "x" * 200, "x" * 201, "a\nb"),
}
JOURNAL_FIELDS = {
    "txn_id": _values("J-1", "J-2", "B-C", "", "netfund:j", "x" * 65),
    "date": EVENT_FIELDS["date"],
    "description": _values("Correctie", "", "x" * 1001),
    "account": _values(
        "Assets:Bank",
        "Expenses:WG-A",
        "Budget:Allocated:WG-A",
        "Budget:Unallocated",
        "Cash",
        "Assets:bank",
        "Assets:A:B:C:D:E:F",
        "",
    ),
    "fund": _values("GEM", "ZVK", "ZONMW", "NET", "", "XYZ"),
    "group": EVENT_FIELDS["group"],
    "amount": _values("1.00", "-1.00", "12.50", "-12.50", "0.00", "-999999999999.99", "1e2"),
}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A SQLite ledger with the test network and some money in WG-A and PMO, and the path
    every example writes its file to."""
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'ledger.db'}"
    for args in (
        ("init", str(write_text(folder / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(folder / "base.csv", BASE_EVENTS))),
    ):
        result = run_cli(url, *args)
        assert result.exit_code == 0, result.output
    return url, folder / "input.csv"


def check_import(url: str, path: Path, journal: bool) -> None:
    before = transaction_count(url)
    args = ("import", "--journal", str(path)) if journal else ("import", str(path))
    result = run_cli(url, *args, "--json")
    shown = f"exit {result.exit_code}:\n{result.output}"
    assert result.exit_code in (0, 2), shown
    assert "Traceback" not in result.output, shown
    after = transaction_count(url)
    event(f"exit {result.exit_code}, {'some' if after > before else 'no'} transactions posted")
    if result.exit_code == 0:
        assert after == before + json.loads(result.stdout)["posted"], shown
        verified = run_cli(url, "verify")
        assert verified.exit_code == 0, verified.output
        return
    assert after == before, f"exit 2 but {after - before} transactions were written"
    # With --json the problems are one JSON object on stdout (issue 16), each naming the file.
    error = json.loads(result.stdout)
    assert (error["status"], error["exit_code"]) == ("error", 2), shown
    assert error["problems"] and result.stderr == "", shown
    for problem in error["problems"]:
        assert problem["file"] == str(path) and problem["message"].strip(), shown
        assert problem["line"] is None or problem["line"] >= 1, shown


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


HEADERS = {
    False: ",".join(EVENT_COLUMNS) + "\n",
    True: ",".join(JOURNAL_COLUMNS) + "\n",
}


@settings(FUZZ, max_examples=60)
@given(
    journal=st.booleans(),
    prefix=st.sampled_from(["", "header", "bom+header"]),
    data=st.binary(max_size=2_000),
)
def test_arbitrary_bytes_are_refused_cleanly(
    ledger: tuple[str, Path], journal: bool, prefix: str, data: bytes
) -> None:
    url, path = ledger
    head = b"" if not prefix else HEADERS[journal].encode()
    path.write_bytes((b"\xef\xbb\xbf" if prefix == "bom+header" else b"") + head + data)
    check_import(url, path, journal)


@settings(FUZZ, max_examples=70)
@given(
    journal=st.booleans(),
    header=st.sampled_from(["valid", "shuffled", "extra", "missing", "junk"]),
    rows=st.lists(st.lists(junk, max_size=10), max_size=8),
    separator=st.sampled_from([",", ";", ",\t"]),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    data=st.data(),
)
def test_csv_ish_text_is_refused_cleanly(
    ledger: tuple[str, Path],
    journal: bool,
    header: str,
    rows: list[list[str]],
    separator: str,
    line_end: str,
    bom: bool,
    data: st.DataObject,
) -> None:
    url, path = ledger
    columns = list(JOURNAL_COLUMNS if journal else EVENT_COLUMNS)
    if header == "shuffled":
        columns = data.draw(st.permutations(columns))
    elif header == "extra":
        columns.append(data.draw(junk))
    elif header == "missing":
        columns.pop(data.draw(st.integers(0, len(columns) - 1)))
    elif header == "junk":
        columns = data.draw(st.lists(junk, max_size=9))
    lines = [separator.join(columns)] + [separator.join(row) for row in rows]
    text = line_end.join(lines) + data.draw(st.sampled_from(["", line_end]))
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))
    check_import(url, path, journal)


text_value = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
cents_text = st.integers(1, 10**7).map(lambda c: f"{c // 100}.{c % 100:02d}")
fresh_id = st.uuids().map(lambda u: f"F-{u.hex[:12]}")
# Rows the ledger accepts, given the money the `ledger` fixture put in WG-A and PMO.
valid_event = st.builds(
    lambda template, id_, day, amount, description, reference: dict(
        zip(("type", "funder", "group"), template, strict=True),
        id=id_,
        date=day.isoformat(),
        amount=amount,
        description=description,
        reference=reference,
    ),
    st.sampled_from(
        [
            ("commitment", "GEM", ""),
            ("receipt", "ZVK", ""),
            ("allocation", "GEM", "WG-A"),
            ("expense", "", "WG-A"),
            ("expense", "ZONMW", "PMO"),
            ("expense", "", "PMO"),
            ("refund", "GEM", ""),
        ]
    ),
    fresh_id,
    st.dates(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
    cents_text,
    text_value,
    text_value,
)
valid_journal = st.builds(
    lambda id_, day, description, amount: [
        dict(zip(JOURNAL_COLUMNS, values, strict=True))
        for values in (
            (id_, day.isoformat(), description, "Expenses:WG-A", "GEM", "WG-A", amount),
            (id_, day.isoformat(), description, "Assets:Bank", "GEM", "", f"-{amount}"),
        )
    ],
    fresh_id,
    st.dates(datetime.date(2026, 1, 1), datetime.date(2027, 12, 31)),
    text_value,
    cents_text,
)


def _spoiled(rows: list[dict[str, str]], fields: dict[str, Any], data: st.DataObject) -> None:
    """Replace a field or two of some rows with a wrong (or junk) value, in place."""
    for row in rows:
        if data.draw(st.booleans()):
            for name in data.draw(st.sets(st.sampled_from(list(fields)), min_size=1, max_size=2)):
                row[name] = data.draw(fields[name])


@settings(FUZZ, max_examples=70)
@given(journal=st.booleans(), data=st.data())
def test_well_formed_rows_with_wrong_values_are_refused_cleanly(
    ledger: tuple[str, Path], journal: bool, data: st.DataObject
) -> None:
    url, path = ledger
    if journal:
        fields, columns = JOURNAL_FIELDS, JOURNAL_COLUMNS
        rows = [row for pair in data.draw(st.lists(valid_journal, max_size=4)) for row in pair]
    else:
        fields, columns = EVENT_FIELDS, EVENT_COLUMNS
        rows = data.draw(st.lists(valid_event, max_size=6))
    _spoiled(rows, fields, data)
    order = data.draw(st.permutations(columns), label="column order")
    text = _csv_line(order) + "".join(_csv_line([row[name] for name in order]) for row in rows)
    path.write_text(text, encoding="utf-8")
    check_import(url, path, journal)
