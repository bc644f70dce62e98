"""The bad-input corpus: every malformed file in tests/data/bad/ is refused as the contract says.

For each file the CLI runs against a ledger that already holds the test network and a few
base events, on SQLite and on PostgreSQL, and must: exit 2, print no traceback, name the file
and the line (``name:LINE``; for TOML the line or the key path), give the reason, and leave the
ledger exactly as it was (balances, transaction count, fingerprint). A bad network file must
change nothing on an existing ledger and store nothing on a fresh database.

`MANIFEST` drives it: one entry per file, and every file in the folder must be listed.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger import LedgerError
from netfund.ledger.store.database import connect
from netfund.ledger.store.schema import (
    earmarks_table,
    funders_table,
    groups_table,
    network_versions_table,
)
from sqlalchemy import inspect, select

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.indicators import INDICATORS_TOML

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

#: The state every events and journal file is imported against: GEM commits, pays a first
#: tranche and allocates to WG-A, all in 2026. Bad files reuse these ids on purpose.
BASE_EVENTS = (
    "BASE-C-2026,2026-01-05,commitment,GEM,,100000.00,Toezegging 2026,BESL-2026-01\n"
    "BASE-R-2026,2026-01-20,receipt,GEM,,50000.00,Eerste tranche,BANK-0001\n"
    "BASE-A-2026,2026-02-01,allocation,GEM,WG-A,40000.00,Budget werkgroep A,BESL-2026-02\n"
)

#: (file, kind, where, reason): ``where`` is the line the problem must be reported on, or for
#: TOML problems without a line the key path; ``reason`` a distinctive part of the message.
#: Most CSV files hold a valid row before and after the bad one, so "nothing written" bites.
MANIFEST: list[tuple[str, str, int | str, str]] = [
    # events: encoding and CSV structure
    ("ev_latin1_description.csv", "events", 3, "not valid UTF-8"),
    ("ev_utf16.csv", "events", 1, "not valid UTF-8"),
    ("ev_empty.csv", "events", 1, "file is empty"),
    ("ev_missing_header.csv", "events", 1, "bad header: missing column(s) id, date"),
    ("ev_unknown_column.csv", "events", 1, "unknown column(s) 'note'"),
    ("ev_missing_column.csv", "events", 1, "missing column(s) reference"),
    ("ev_duplicated_column.csv", "events", 1, "duplicated column(s) 'amount'"),
    ("ev_wrong_field_count.csv", "events", 3, "expected 8 fields, found 9"),
    ("ev_open_quote.csv", "events", 3, "a quote is opened and never closed"),
    ("ev_field_too_long.csv", "events", 3, "a field is longer than 4000 characters"),
    ("ev_description_too_long.csv", "events", 3, "description is longer than 1000 characters"),
    # events: amounts
    ("ev_amount_exponent.csv", "events", 3, "amount '1e9' is not a plain decimal number"),
    ("ev_amount_nan.csv", "events", 3, "amount 'NaN' is not a plain decimal number"),
    ("ev_amount_decimal_comma.csv", "events", 3, "amount '1,5' is not a plain decimal number"),
    ("ev_amount_negative_zero.csv", "events", 3, "amount '-0' is zero"),
    ("ev_amount_zero.csv", "events", 3, "amount '0' is zero"),
    ("ev_amount_tenth_cent.csv", "events", 3, "amount '0.001' has more than two decimals"),
    ("ev_amount_negative.csv", "events", 3, "amount '-5.00' must be positive"),
    ("ev_amount_three_decimals.csv", "events", 3, "amount '12.345' has more than two decimals"),
    ("ev_amount_thousands_space.csv", "events", 3, "amount '1 000' is not a plain decimal"),
    ("ev_amount_euro_sign.csv", "events", 3, "amount '€5' is not a plain decimal number"),
    ("ev_amount_huge.csv", "events", 3, "exceeds the maximum of 999999999999.99"),
    ("ev_amount_empty.csv", "events", 3, "amount is empty"),
    ("ev_amount_fullwidth_digits.csv", "events", 3, "is not a plain decimal number"),
    # events: dates
    ("ev_date_feb30.csv", "events", 3, "date '2026-02-30' does not exist"),
    ("ev_date_month13.csv", "events", 3, "date '2026-13-01' does not exist"),
    ("ev_date_two_digit_year.csv", "events", 3, "date '26-01-01' is not of the form YYYY-MM-DD"),
    ("ev_date_slashes.csv", "events", 3, "date '2026/01/01' is not of the form YYYY-MM-DD"),
    ("ev_date_out_of_range.csv", "events", 3, "date '1999-12-31' is outside"),
    ("ev_crlf_bad_date.csv", "events", 3, "date '2026-02-29' does not exist"),
    # events: ids and text
    ("ev_id_empty.csv", "events", 3, "id is empty"),
    ("ev_id_too_long.csv", "events", 3, "id is longer than 64 characters"),
    ("ev_id_reserved_prefix.csv", "events", 3, "may not start with 'netfund:'"),
    ("ev_reference_nul.csv", "events", 3, "reference contains a control character"),
    # events: characters that hide or reorder what is displayed (issue 15)
    (
        "ev_id_bidi_override.csv",
        "events",
        3,
        "id contains a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)",
    ),
    (
        "ev_id_zero_width_space.csv",
        "events",
        3,
        "id contains an invisible character (U+200B ZERO WIDTH SPACE)",
    ),
    (
        "ev_reference_bidi_isolate.csv",
        "events",
        3,
        "reference contains a text-direction control (U+2066 LEFT-TO-RIGHT ISOLATE)",
    ),
    # events: types, funders and groups
    ("ev_type_unknown.csv", "events", 3, "type 'donation' is not one of"),
    ("ev_funder_unknown.csv", "events", 3, "unknown funder 'XYZ'"),
    ("ev_group_unknown.csv", "events", 3, "unknown group 'WG-Z'"),
    ("ev_commitment_with_group.csv", "events", 3, "commitment takes no group (found 'WG-A')"),
    ("ev_allocation_without_group.csv", "events", 3, "allocation needs a group"),
    ("ev_receipt_without_funder.csv", "events", 3, "receipt needs a funder"),
    # events: what the ledger's state forbids
    ("ev_expense_no_allocation.csv", "events", 3, "group WG-B has no allocation in period 2026"),
    (
        "ev_expense_no_allocation_period.csv",
        "events",
        3,
        "group WG-A has no allocation in period 2027",
    ),
    ("ev_expense_earmark.csv", "events", 3, "funder ZONMW's earmark excludes group WG-B"),
    ("ev_allocation_earmark.csv", "events", 3, "funder ZONMW's earmark excludes group WG-B"),
    ("ev_duplicate_id_in_file.csv", "events", 4, "id 'N-1' is used on line 2 with other content"),
    ("ev_id_in_ledger.csv", "events", 3, "id 'BASE-R-2026' was stored before"),
    # events: line counting after a quoted two-line field and a blank line
    ("ev_multiline_then_bad.csv", "events", 5, "amount '12.5.0' is not a plain decimal number"),
    ("ev_multiple_problems.csv", "events", 3, "date '2026-02-30' does not exist"),
    # journal
    ("jr_unbalanced.csv", "journal", 2, "does not balance per fund: GEM off by 10.00"),
    ("jr_unbalanced_per_fund.csv", "journal", 2, "GEM off by 100.00, ZVK off by -100.00"),
    ("jr_budget_unbalanced.csv", "journal", 2, "GEM budget lines off by 100.00"),
    ("jr_single_line.csv", "journal", 4, "needs at least two lines"),
    ("jr_unknown_root.csv", "journal", 3, "account 'Cash:Bank' is not a valid account name"),
    ("jr_lowercase_component.csv", "journal", 3, "'Assets:bank' is not a valid account name"),
    ("jr_unknown_fund.csv", "journal", 2, "unknown fund 'XYZ'"),
    ("jr_different_dates.csv", "journal", 3, "another date or description than on line 2"),
    ("jr_allocated_without_group.csv", "journal", 3, "Budget:Allocated:WG-A must have group WG-A"),
    ("jr_earmark.csv", "journal", 2, "funder ZONMW's earmark excludes group WG-B"),
    ("jr_id_in_ledger.csv", "journal", 4, "id 'BASE-C-2026' was stored before"),
    ("jr_amount_zero.csv", "journal", 3, "amount '0.00' is zero"),
    ("jr_missing_column.csv", "journal", 1, "missing column(s) fund"),
    ("jr_multiple_problems.csv", "journal", 4, "GEM off by 5.00"),
    ("jr_txn_id_invisible.csv", "journal", 2, "txn_id contains an invisible character (U+2060"),
    # indicators.csv (issue 20): the base network declares the test indicators
    ("in_indicator_unknown.csv", "indicators", 3, "unknown indicator 'VERZUIM' in 2026"),
    (
        "in_group_not_agreed.csv",
        "indicators",
        3,
        "group WG-B did not agree to indicator WACHTTIJD (its groups: WG-A)",
    ),
    ("in_value_decimal_comma.csv", "indicators", 3, "value '12,5' is not a plain decimal"),
    ("in_count_fraction.csv", "indicators", 3, "value '2.5' is not a whole number of at least"),
    ("in_count_negative.csv", "indicators", 3, "value '-3' is not a whole number of at least 0"),
    ("in_date_future.csv", "indicators", 3, "date 2098-06-30 lies after this year"),
    ("in_source_empty.csv", "indicators", 3, "source is empty"),
    (
        "in_source_bidi_override.csv",
        "indicators",
        3,
        "source contains a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)",
    ),
    ("in_duplicate_key.csv", "indicators", 4, "BEREIK for WG-B on 2026-03-31 is on line 2 too"),
    ("in_multiple_problems.csv", "indicators", 3, "group WG-B did not agree to indicator"),
    # network
    ("nw_unknown_top_key.toml", "network", 1, "unknown key 'version'"),
    ("nw_group_code_lowercase.toml", "network", 41, "must start with a capital letter"),
    ("nw_unknown_funder_key.toml", "network", 20, "unknown key 'budget'"),
    ("nw_duplicate_funder.toml", "network", 16, "duplicate funder code 'GEM'"),
    ("nw_duplicate_group.toml", "network", 41, "duplicate group code 'WG-A'"),
    ("nw_cap_too_high.toml", "network", 27, "must be between 0 and 1, not 1.5"),
    ("nw_cap_string.toml", "network", 27, "must be a number between 0 and 1, not 'abc'"),
    ("nw_cap_decimals.toml", "network", 6, "has more than 4 decimals"),
    ("nw_earmark_unknown_group.toml", "network", 28, "eligible group 'WG-Z' is not a group"),
    ("nw_earmark_empty.toml", "network", 28, "eligible_groups is empty"),
    ("nw_parent_not_group.toml", "network", 43, "parent 'CL-9' is not a group"),
    ("nw_parent_cycle.toml", "network", 34, "parent chain of 'CL-1' loops back"),
    ("nw_syntax_error.toml", "network", 17, "invalid TOML"),
    ("nw_population_string.toml", "network", 5, "population must be a positive whole number"),
    ("nw_funder_code_net.toml", "network", 16, "code 'NET' is reserved"),
    ("nw_missing_network_table.toml", "network", "network", "a [network] table is required"),
    ("nw_latin1.toml", "network", 17, "not valid UTF-8"),
    ("nw_kind_unknown.toml", "network", 18, "kind must be one of"),
    ("nw_unspent_unknown.toml", "network", 20, "unspent must be 'return' or 'carry_over'"),
    ("nw_currency_usd.toml", "network", 3, "currency must be 'EUR', not 'USD'"),
    ("nw_group_code_space.toml", "network", 41, "code 'WG B' may contain only letters"),
    ("nw_multiple_problems.toml", "network", 20, "unknown key 'budget'"),
    # network: codes matched whole (a "$" took "GEM\n" beside "GEM"), names without hidden
    # characters (issue 15)
    (
        "nw_funder_code_newline.toml",
        "network",
        32,
        "code 'GEM\\n' may contain only letters, digits and '-' (it holds a control character "
        "(U+000A))",
    ),
    ("nw_group_code_newline.toml", "network", 41, "code 'WG-A\\n' may contain only letters"),
    (
        "nw_name_bidi_override.toml",
        "network",
        17,
        "'name' contains a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)",
    ),
]

#: Files with several problems: every one must be reported, each on its own line.
MULTIPLE: dict[str, list[tuple[int | str, str]]] = {
    "ev_multiple_problems.csv": [
        (3, "date '2026-02-30' does not exist"),
        (5, "unknown funder 'XYZ'"),
        (6, "amount '12.345' has more than two decimals"),
        (7, "group WG-B has no allocation in period 2026"),
        (8, "id 'N-1' is used on line 2 with other content"),
    ],
    "jr_multiple_problems.csv": [
        (4, "transaction 'J-2' (lines 4, 5) does not balance per fund: GEM off by 5.00"),
        (6, "'Assets:bank' is not a valid account name"),
        (7, "unknown fund 'XYZ'"),
    ],
    "in_multiple_problems.csv": [
        (3, "group WG-B did not agree to indicator WACHTTIJD"),
        (5, "date '2026-02-30' does not exist"),
        (6, "value '1e3' is not a plain decimal number"),
    ],
    "nw_multiple_problems.toml": [
        (20, "unknown key 'budget'"),
        (28, "must be between 0 and 1, not 1.5"),
        (44, "parent 'CL-9' is not a group"),
    ],
}

COMMANDS = {
    "events": lambda path: ("import", str(path)),
    "journal": lambda path: ("import", "--journal", str(path)),
    "network": lambda path: ("init", str(path)),
    "indicators": lambda path: ("indicators", "import", str(path)),
}

_RUNNER = CliRunner()


def run(db_url: str, *args: str) -> Result:
    """Run `netfund --db URL ARGS...`, then dispose of the engine the command opened."""
    obj: dict[str, Any] = {}
    try:
        return _RUNNER.invoke(cli, ["--db", db_url, *args], obj=obj, catch_exceptions=False)
    finally:
        if "engine" in obj:
            obj["engine"].dispose()


def build_ledger(db_url: str, tmp_path: Path) -> None:
    """Initialise the test network and import the base events, through the CLI."""
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML + INDICATORS_TOML, encoding="utf-8")
    base = tmp_path / "base.csv"
    base.write_text(EVENTS_HEADER + BASE_EVENTS, encoding="utf-8")
    for args in (("init", str(network)), ("import", str(base))):
        result = run(db_url, *args)
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by `build_ledger`; copying it is faster than building."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "ledger.db"
    build_ledger(f"sqlite:///{path}", folder)
    return path


@pytest.fixture
def ledger(db_url: str, tmp_path: Path, sqlite_template: Path) -> Callable[[], None]:
    """Call it to get the base ledger at ``db_url`` (SQLite: a copy of the template)."""

    def make() -> None:
        if db_url.startswith("sqlite:///"):
            target = Path(db_url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):  # what a test did before, without a ledger
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            for suffix in ("", "-wal"):
                source = sqlite_template.with_name(sqlite_template.name + suffix)
                if source.exists():
                    shutil.copyfile(source, target.with_name(target.name + suffix))
        else:
            build_ledger(db_url, tmp_path)

    return make


def ledger_state(db_url: str) -> dict[str, Any]:
    """What must not change: balances, and the transaction count and fingerprint."""
    balance = run(db_url, "balance", "--by", "account,fund,group", "--json")
    verified = run(db_url, "verify", "--json")
    assert balance.exit_code == 0, balance.output
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    return {
        "balances": json.loads(balance.stdout),
        "transactions": report["transactions"],
        "postings": report["postings"],
        "fingerprint": report["fingerprint"],
    }


def records_state(db_url: str) -> tuple[int, str]:
    """The records chain's length and fingerprint: a refused file adds no record either (an
    import of measurements writes records, not transactions)."""
    verified = run(db_url, "verify", "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    return report["records"], report["records_fingerprint"]


def network_rows(db_url: str) -> dict[str, list[tuple[Any, ...]] | None]:
    """The stored network, table by table; None for a table that does not exist (all of
    them where a refused init left no SQLite file at all)."""
    engine = connect(db_url)
    tables = (network_versions_table, funders_table, groups_table, earmarks_table)
    try:
        try:
            connection = engine.connect()
        except LedgerError:  # no netfund ledger: the SQLite file was never created
            return {table.name: None for table in tables}
        with connection:
            existing = set(inspect(connection).get_table_names())
            return {
                table.name: (
                    sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
                    if table.name in existing
                    else None
                )
                for table in tables
            }
    finally:
        engine.dispose()


def problem_lines(output: str, name: str, where: int | str) -> list[str]:
    """The output lines that report a problem of file ``name`` at line or key ``where``."""
    if isinstance(where, int):
        pattern = re.compile(rf"(^|[/\\]){re.escape(name)}:{where}: ")
    else:
        pattern = re.compile(rf"(^|[/\\]){re.escape(name)}(:\d+)?: {re.escape(where)}: ")
    return [line for line in output.splitlines() if pattern.search(line)]


def assert_refused(result: Result, name: str, where: int | str, reason: str) -> None:
    output = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}, expected 2:\n{output}"
    assert "Traceback" not in output
    assert "unexpected error" not in output
    reported = problem_lines(output, name, where)
    assert reported, f"no problem reported at {name}:{where}:\n{output}"
    assert any(reason in line for line in reported), (
        f"{reason!r} not in the problem(s) at {name}:{where}:\n{output}"
    )
    assert "nothing was written" in output


def _params() -> list[Any]:
    return [
        pytest.param(
            name,
            kind,
            where,
            reason,
            id=name,
        )
        for name, kind, where, reason in MANIFEST
    ]


def test_manifest_lists_every_file_in_the_corpus() -> None:
    names = [entry[0] for entry in MANIFEST]
    assert len(names) == len(set(names)), "a file is listed twice"
    on_disk = {path.name for path in BAD.iterdir() if path.is_file()}
    assert on_disk == set(names), (
        f"not in MANIFEST: {sorted(on_disk - set(names))}; "
        f"missing on disk: {sorted(set(names) - on_disk)}"
    )
    assert len(names) >= 36
    assert set(MULTIPLE) <= set(names)
    for name, kind, _, _ in MANIFEST:
        assert kind in COMMANDS
        assert name.endswith(".toml") == (kind == "network"), name
        assert (BAD / name).stat().st_size < 8_000, f"{name} should stay small"


def test_corpus_is_encoded_as_intended() -> None:
    """The encoding cases must stay bytes-exact (an editor could silently 'fix' them)."""
    assert b"Caf\xe9 overleg" in (BAD / "ev_latin1_description.csv").read_bytes()
    assert (BAD / "ev_utf16.csv").read_bytes().startswith(b"\xff\xfei\x00d\x00")
    assert b"\xc9\xe9n" in (BAD / "nw_latin1.toml").read_bytes()
    assert b"FACT\x00102" in (BAD / "ev_reference_nul.csv").read_bytes()
    assert (BAD / "ev_crlf_bad_date.csv").read_bytes().count(b"\r\n") == 4
    assert (BAD / "ev_empty.csv").read_bytes() == b""


@pytest.mark.parametrize(("name", "kind", "where", "reason"), _params())
def test_bad_file_is_refused_and_changes_nothing(
    db_url: str,
    tmp_path: Path,
    ledger: Callable[[], None],
    name: str,
    kind: str,
    where: int | str,
    reason: str,
) -> None:
    path = BAD / name
    command = COMMANDS[kind](path)
    if kind == "network":
        # On a fresh database: refused, and no network (not even a schema) is stored.
        assert_refused(run(db_url, *command), name, where, reason)
        assert all(not rows for rows in network_rows(db_url).values())
        base = tmp_path / "base.csv"
        base.write_text(EVENTS_HEADER + BASE_EVENTS, encoding="utf-8")
        later = run(db_url, "import", str(base))
        assert later.exit_code == 2, later.output
        assert "netfund init" in later.output
    ledger()
    before = ledger_state(db_url)
    records = records_state(db_url)
    assert before["transactions"] == 3
    if kind == "network":
        stored_network = network_rows(db_url)
        assert len(stored_network["funders"] or []) == 3

    assert_refused(run(db_url, *command), name, where, reason)

    assert ledger_state(db_url) == before
    assert records_state(db_url) == records
    if kind == "network":
        assert network_rows(db_url) == stored_network


@pytest.mark.parametrize("name", sorted(MULTIPLE))
def test_every_problem_of_a_file_is_reported_in_one_run(
    db_url: str, ledger: Callable[[], None], name: str
) -> None:
    kind = next(entry[1] for entry in MANIFEST if entry[0] == name)
    ledger()
    before = ledger_state(db_url)

    result = run(db_url, *COMMANDS[kind](BAD / name))

    for where, reason in MULTIPLE[name]:
        assert_refused(result, name, where, reason)
    reported = [line for line in result.output.splitlines() if f"{name}:" in line]
    assert len(reported) == len(MULTIPLE[name]), result.output
    assert f"{len(MULTIPLE[name])} problem(s) found; nothing was written." in result.output
    assert ledger_state(db_url) == before


def test_an_events_file_with_a_bom_imports(
    db_url: str, tmp_path: Path, ledger: Callable[[], None]
) -> None:
    ledger()
    before = ledger_state(db_url)
    path = tmp_path / "bom.csv"
    row = "BOM-1,2026-03-01,expense,,WG-A,250.00,Café overleg,FACT-101\n"
    path.write_bytes(b"\xef\xbb\xbf" + (EVENTS_HEADER + row).encode("utf-8"))

    result = run(db_url, "import", str(path))

    assert result.exit_code == 0, result.output
    after = ledger_state(db_url)
    assert after["transactions"] == before["transactions"] + 1
    assert {"account": "Expenses:WG-A", "fund": "GEM", "group": "WG-A", "balance": "250.00"} in (
        after["balances"]
    )
    again = run(db_url, "import", str(path))
    assert again.exit_code == 0, again.output
    assert ledger_state(db_url) == after


def test_a_network_file_with_a_bom_initialises(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "network.toml"
    path.write_bytes(b"\xef\xbb\xbf" + NETWORK_TOML.encode("utf-8"))

    result = run(db_url, "init", str(path))

    assert result.exit_code == 0, result.output
    rows = network_rows(db_url)
    assert sorted(row[1] for row in rows["funders"] or []) == ["GEM", "ZONMW", "ZVK"]
    assert len(rows["groups"] or []) == 4
