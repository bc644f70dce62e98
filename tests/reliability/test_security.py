"""Security: a database password is never printed, and user text never becomes SQL.

Passwords: every command of the CLI (found from the click group, so a new command is
covered the day it is added) runs with a PostgreSQL URL that carries a password, against a
server that is not there (every command fails) and against a reachable one (PostgreSQL with
trust authentication ignores the password, so the commands work and print their results), with
``--db`` and with ``NETFUND_DB``; the password never appears in what is printed. Malformed
URLs that carry a password do not print it either.

SQL injection: ids, descriptions and references full of SQL (quotes, ``'); DROP TABLE
postings; --``, placeholders of every paramstyle) go through events, journal, post, reverse and
the commands' arguments; afterwards every table is there, the ledger verifies and the text is
stored verbatim. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import transactions_table
from sqlalchemy import inspect, make_url, select

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import run_cli, transaction_count, write_text

# The commands load on first use (issue 21); these tests walk every one of them.
cli.load_every_command()

SECRET = "S3cr3t-Pw"
UNREACHABLE = f"postgresql://netfund:{SECRET}@127.0.0.1:1/ledger"


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = _command_paths(cli)
#: Commands in the order a year goes; any other command runs after these.
ORDER = ("init", "import", "post", "balance", "verify", "allocate", "allocations", "reverse")


PLAN = """\
[allocation]
period = "2026"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-A"
min = "0.00"
max = "100.00"
weight = 1
"""


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    return {
        "network": write_text(tmp_path / "network.toml", NETWORK_TOML),
        "events": write_text(
            tmp_path / "events.csv",
            EVENTS_HEADER
            + "c-gem,2026-01-05,commitment,GEM,,1000.00,,\n"
            + "r-gem,2026-01-06,receipt,GEM,,1000.00,,\n",
        ),
        "plan": write_text(tmp_path / "plan.toml", PLAN),
        "file": write_text(tmp_path / "statement.pdf", "%PDF-1.7 not really\n"),
        "folder": tmp_path / "out",
    }


def _arguments(path: tuple[str, ...], inputs: dict[str, Path]) -> list[tuple[str, ...]]:
    """Arguments that make ``path`` reach the database, with and without --json."""
    known: dict[str, tuple[str, ...]] = {
        "init": (str(inputs["network"]),),
        "import": (str(inputs["events"]),),
        "post": (
            *("P-1", "--date", "2026-03-01", "-d", "x"),
            *("--line", "Expenses:WG-A,GEM,WG-A,1.00", "--line", "Assets:Bank,GEM,,-1.00"),
        ),
        "close": ("2026", "--force", "--reason", "closed early in a test"),
        "reverse": ("P-1",),
        "allocate": (str(inputs["plan"]),),
        "allocations show": ("1",),
        "allocations compare": ("1", "1"),
        "pay refunds": ("--period", "2026", "--out", str(inputs["network"].parent / "r.xml")),
        "bank reconcile": ("--as-of", "2026-12-31"),
        # Prepared and reported, not served: serving would run until stopped.
        "serve": ("--check",),
    }
    command = _command(path)
    args = known.get(" ".join(path))
    if args is None:  # a command this test does not know: fill what is required
        generic: list[str] = []
        for param in command.params:
            if not param.required:
                continue
            value = "2026" if "period" in (param.name or "") else "1"
            if isinstance(param.type, click.Path):
                value = str(inputs["folder" if not param.type.file_okay else "file"])
            if isinstance(param, click.Option):
                generic.append(param.opts[0])
            generic.append(value)
        args = tuple(generic)
    variants = [(*path, *args)]
    if any("--json" in getattr(param, "opts", ()) for param in command.params):
        variants.append((*path, *args, "--json"))
    return variants


def _ordered(paths: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    def rank(path: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        first = path[0]
        if first == "close":
            return (len(ORDER) + 2, path)  # closing last, so the others see an open year
        return (ORDER.index(first) if first in ORDER else len(ORDER), path)

    return sorted(paths, key=rank)


def _shown(result: Result) -> str:
    exception = result.exception
    extra = "" if exception is None or isinstance(exception, SystemExit) else repr(exception)
    return result.output + extra


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_no_command_prints_the_password_when_the_server_is_unreachable(
    path: tuple[str, ...], inputs: dict[str, Path]
) -> None:
    runner = CliRunner()
    for args in _arguments(path, inputs):
        by_option = runner.invoke(cli, ["--db", UNREACHABLE, *args])
        by_variable = runner.invoke(cli, list(args), env={"NETFUND_DB": UNREACHABLE})
        for result in (by_option, by_variable):
            assert SECRET not in _shown(result), (args, _shown(result))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_no_command_prints_the_password_when_it_works(db_url: str, inputs: dict[str, Path]) -> None:
    url = make_url(db_url).set(password=SECRET).render_as_string(hide_password=False)
    assert SECRET in url
    runner = CliRunner()
    exit_codes = {}
    for path in _ordered(COMMANDS):
        for args in _arguments(path, inputs):
            result = runner.invoke(cli, ["--db", url, *args])
            exit_codes[" ".join(args[: len(path)])] = result.exit_code
            assert SECRET not in _shown(result), (args, _shown(result))
            again = runner.invoke(cli, list(args), env={"NETFUND_DB": url})
            assert SECRET not in _shown(again), (args, _shown(again))
    print(f"\nexit codes with a working database: {exit_codes}")
    assert exit_codes["init"] == exit_codes["import"] == exit_codes["verify"] == 0, exit_codes


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://netfund:{SECRET}@127.0.0.1:notaport/ledger",
        f"postgresql+nosuchdriver://netfund:{SECRET}@127.0.0.1:1/ledger",
        f"mysql://netfund:{SECRET}@127.0.0.1:1/ledger",
        f"postgresql://netfund:{SECRET}@127.0.0.1:99999/ledger",
        f"postgresql://netfund:{SECRET}@127.0.0.1:1/ledger?sslmode=bogus",
        f"sqlite://netfund:{SECRET}@/ledger.db",
    ],
)
def test_a_malformed_url_does_not_print_its_password(url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", url, "verify"])
    assert result.exit_code != 0
    assert SECRET not in _shown(result), _shown(result)


def test_a_password_in_the_query_string_is_not_printed() -> None:
    result = CliRunner().invoke(
        cli, ["--db", f"postgresql://netfund@127.0.0.1:1/ledger?password={SECRET}", "verify"]
    )
    assert result.exit_code == 2
    assert SECRET not in _shown(result), _shown(result)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://netfund@127.0.0.1:notaport/ledger",
        "postgresql+nosuchdriver://netfund@127.0.0.1:1/ledger",
    ],
)
def test_a_malformed_url_is_bad_input(url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", url, "verify"])
    assert result.exit_code == 2, result.output
    assert "unexpected error" not in result.output


PAYLOADS = [
    "x'); DROP TABLE postings; --",
    '"; DROP TABLE transactions; --',
    "' OR '1'='1",
    "Robert'); DELETE FROM transactions WHERE ('1'='1",
    "%s %(id)s :id ? $1 {0} %% %",
    "\\'; DROP TABLE chain_head; --",
    "$$; DROP SCHEMA public CASCADE; $$",
    "’; DROP TABLE postings; -- «»",
    "1; UPDATE postings SET amount_cents = 0",
    "' UNION SELECT hash FROM transactions --",
]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def test_sql_in_user_text_is_stored_verbatim_and_harms_nothing(db_url: str, tmp_path: Path) -> None:
    assert (
        run_cli(db_url, "init", str(write_text(tmp_path / "n.toml", NETWORK_TOML))).exit_code == 0
    )
    engine = connect(db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    ids = [f"{n}-{payload}"[:64] for n, payload in enumerate(PAYLOADS)]
    expected: dict[str, tuple[str, str]] = {}
    rows = [["id", "date", "type", "funder", "group", "amount", "description", "reference"]]
    rows.append(["pledge", "2026-01-02", "commitment", "GEM", "", "500.00", "", ""])
    rows.append(["alloc", "2026-01-02", "allocation", "GEM", "WG-A", "500.00", "", ""])
    for external_id, payload in zip(ids, PAYLOADS, strict=True):
        rows.append([external_id, "2026-02-01", "expense", "", "WG-A", "1.23", payload, payload])
        expected[external_id] = (payload, payload)
    result = run_cli(db_url, "import", str(write_text(tmp_path / "events.csv", _csv(rows))))
    assert result.exit_code == 0, result.output

    journal = [["txn_id", "date", "description", "account", "fund", "group", "amount"]]
    for n, payload in enumerate(PAYLOADS):
        journal_id = f"J{n}-{payload}"[:64]
        journal.append([journal_id, "2026-03-01", payload, "Assets:Bank", "NET", "", "2.00"])
        journal.append([journal_id, "2026-03-01", payload, "Income:Other", "NET", "", "-2.00"])
        expected[journal_id] = (payload, "")
    result = run_cli(
        db_url, "import", "--journal", str(write_text(tmp_path / "j.csv", _csv(journal)))
    )
    assert result.exit_code == 0, result.output

    for n, payload in enumerate(PAYLOADS[:4]):
        post_id = f"P{n}-{payload}"[:64]
        result = run_cli(
            db_url,
            *("post", post_id, "--date", "2026-04-01", "-d", payload, "--reference", payload),
            *("--line", "Assets:Bank,NET,,1.00", "--line", "Income:Other,NET,,-1.00"),
        )
        assert result.exit_code == 0, result.output
        expected[post_id] = (payload, payload)
    result = run_cli(db_url, "reverse", ids[0], "--date", "2026-05-01", "-d", PAYLOADS[1])
    assert result.exit_code == 0, result.output
    expected[f"netfund:reversal:{ids[0]}"] = (PAYLOADS[1], PAYLOADS[0])

    stored_count = transaction_count(db_url)
    bad_funder = ["b1", "2026-02-01", "commitment", "GEM' OR '1'='1", "", "1.00", "", ""]
    bad_file = write_text(tmp_path / "bad.csv", _csv([rows[0], bad_funder]))
    for args in [
        ("reverse", PAYLOADS[2]),
        ("close", "2026'; DROP TABLE postings; --"),
        ("allocations", "show", "1; DROP TABLE allocation_runs"),
        ("import", str(bad_file)),
    ]:
        refused = run_cli(db_url, *args)
        assert refused.exit_code == 2, (args, refused.output)
    period = run_cli(db_url, "balance", "--period", "2026' OR '1'='1", "--json")
    assert period.exit_code in (0, 2), period.output
    if period.exit_code == 0:
        assert json.loads(period.stdout) == []

    engine = connect(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == tables
        t = transactions_table.c
        with reading(engine) as connection:
            stored = {
                row.external_id: (row.description, row.reference)
                for row in connection.execute(
                    select(t.external_id, t.description, t.reference).where(
                        t.external_id.in_(list(expected))
                    )
                )
            }
    finally:
        engine.dispose()
    assert stored == expected
    # and the commitment and the allocation before them
    assert transaction_count(db_url) == stored_count == len(expected) + 2
    verified = run_cli(db_url, "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["transactions"] == stored_count
