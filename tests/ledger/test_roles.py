"""PostgreSQL roles: real logins against the real server, refused by the database itself.

Each test installs the roles in its own schema as the owner (the server's superuser, as the
README's walk-through does), grants them to logins made for the test, and then logs in as
those people. What is refused must be refused twice: by netfund's sentence before a write
begins, and by the database when netfund is bypassed with raw SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import NETWORK_TOML, database_url, write_events
from tests.support.logins import as_login, dropped_afterwards, login_name

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,777.77,Toezegging,B-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "r-zvk,2026-02-01,receipt,ZVK,,777.77,Tranche,BANK-2",
    "a-gem,2026-02-02,allocation,GEM,WG-A,600.00,Budget,",
    "a-zvk,2026-02-02,allocation,ZVK,WG-A,700.00,Budget,",
    "x-1,2026-03-01,expense,,WG-A,130.00,Facilitator,F-1",
]
#: ZVK's figures: what GEM's funder login must never see (and 1000.00 what ZVK's must not).
ZVK_AMOUNTS = ("777.77", "77777", "777,77", "700.00", "70000")


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


@pytest.fixture
def owner_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url("postgresql", tmp_path, prefix="roles")


@pytest.fixture
def people(owner_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """An initialised ledger with roles installed; the URL of each person, by job."""
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    assert _run(owner_url, "init", str(network)).exit_code == 0
    assert _run(owner_url, "roles", "install").exit_code == 0
    jobs = {
        "administrator": ("administrator", None),
        "approver": ("approver", None),
        "controller": ("controller", None),
        "funder_gem": ("funder", "GEM"),
        "funder_zvk": ("funder", "ZVK"),
    }
    logins = {job: login_name(job.split("_")[0][:5]) for job in jobs}
    with dropped_afterwards(owner_url, list(logins.values())):
        for job, (role, funder) in jobs.items():
            extra = ["--funder", funder] if funder else []
            result = _run(owner_url, "roles", "grant", logins[job], "--role", role, *extra)
            assert result.exit_code == 0, result.output
        urls = {job: as_login(owner_url, login) for job, login in logins.items()}
        urls["owner"] = owner_url
        urls.update({f"login:{job}": login for job, login in logins.items()})
        events = write_events(tmp_path / "events.csv", EVENTS)
        imported = _run(urls["administrator"], "import", str(events))
        assert imported.exit_code == 0, imported.output
        yield urls


def _head(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        head = int(connection.execute(text("SELECT last_txn_id FROM chain_head")).scalar_one())
    engine.dispose()
    return head


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_roles_need_postgresql(tmp_path: Path, network_file: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(url, "init", str(network_file)).exit_code == 0
    for args in (("roles", "install"), ("roles", "grant", "alice", "--role", "administrator")):
        result = _run(url, *args)
        assert result.exit_code == 2, result.output
        assert "roles need a PostgreSQL ledger" in result.output
        assert "file's permissions" in result.output
        assert "Traceback" not in result.output


def test_the_administrator_writes_and_every_transaction_names_it(
    people: dict[str, str],
) -> None:
    actors = _raw(people["owner"], "SELECT DISTINCT actor FROM transactions")
    assert actors == [(people["login:administrator"],)]
    verified = _run(people["administrator"], "verify", "--json")
    assert verified.exit_code == 0, verified.output
    listed = json.loads(_run(people["owner"], "roles", "list", "--json").output)
    assert {(row["login"], row["role"]) for row in listed} >= {
        (people["login:administrator"], "administrator"),
        (people["login:funder_gem"], "funder"),
    }
    assert [row["funders"] for row in listed if row["login"] == people["login:funder_zvk"]] == [
        ["ZVK"]
    ]


def test_installing_again_changes_nothing(people: dict[str, str]) -> None:
    again = _run(people["owner"], "roles", "install", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["created"] == []
    assert _run(people["administrator"], "balance", "--json").exit_code == 0


@pytest.mark.parametrize("job", ["controller", "approver", "funder_gem"])
def test_who_may_not_import_is_refused_with_a_sentence(
    people: dict[str, str], tmp_path: Path, job: str
) -> None:
    before = _head(people["owner"])
    events = write_events(tmp_path / "more.csv", ["c-more,2026-04-01,commitment,GEM,,5.00,,"])
    result = _run(people[job], "import", str(events))
    assert result.exit_code == 2, result.output
    role = job.split("_")[0]
    assert f"role {role} may not import" in result.output
    assert "Traceback" not in result.output
    assert _head(people["owner"]) == before


@pytest.mark.parametrize("job", ["controller", "funder_gem"])
def test_the_database_refuses_a_raw_insert_around_netfund(people: dict[str, str], job: str) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        _raw(
            people[job],
            "INSERT INTO transactions (id, external_id, date, period, type, description, "
            "reference, source_hash, prev_hash, hash) VALUES (99, 'x', '2026-05-01', '2026', "
            "'journal', 'd', '', 's', 'p', 'h')",
        )


def test_an_approver_cannot_insert_transactions_without_a_decision(
    people: dict[str, str],
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        _raw(
            people["approver"],
            "INSERT INTO transactions (id, external_id, date, period, type, description, "
            "reference, source_hash, prev_hash, hash) VALUES (99, 'x', '2026-05-01', '2026', "
            "'journal', 'd', '', 's', 'p', 'h')",
        )
    with pytest.raises(DBAPIError, match="row-level security"):
        _raw(
            people["approver"],
            # Linked to the head, so the chain's own trigger lets it through to the policy.
            "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, hash) "
            "SELECT last_seq + 1, 'network', '{}', 0, last_hash, 'h' FROM records_head",
        )


def test_an_actor_forged_in_an_insert_is_refused(people: dict[str, str]) -> None:
    """The administrator may insert, but only in its own name: the trigger sets who."""
    for table, columns, values in (
        (
            "transactions",
            "id, external_id, date, period, type, description, reference, source_hash, "
            "prev_hash, hash, actor",
            "99, 'x', '2026-05-01', '2026', 'journal', 'd', '', 's', 'p', 'h'",
        ),
        (
            "ledger_records",
            "seq, kind, content, transaction_head, prev_hash, hash, actor",
            "99, 'write', '{}', 0, 'p', 'h'",
        ),
    ):
        forged = people["login:approver"]
        with pytest.raises(DBAPIError, match=f"written by the login role .* not by {forged}"):
            _raw(
                people["administrator"],
                f"INSERT INTO {table} ({columns}) VALUES ({values}, '{forged}')",
            )


def test_a_funder_reads_only_its_own_fund_in_raw_sql(people: dict[str, str]) -> None:
    gem = people["funder_gem"]
    assert {row[0] for row in _raw(gem, "SELECT fund FROM postings")} == {"GEM"}
    assert {row[0] for row in _raw(gem, "SELECT fund FROM balance_totals")} == {"GEM"}
    visible = {row[0] for row in _raw(gem, "SELECT external_id FROM transactions")}
    assert visible == {"c-gem", "r-gem", "a-gem", "x-1"}  # the expense is split over both
    assert {row[0] for row in _raw(gem, "SELECT kind FROM ledger_records")} == {"network"}
    assert _raw(gem, "SELECT login, funder FROM funder_logins") == [
        (people["login:funder_gem"], "GEM")
    ]
    for table in ("allocation_runs", "exports"):
        with pytest.raises(DBAPIError, match="permission denied"):
            _raw(gem, f"SELECT * FROM {table}")
    # The staff read everything.
    everyone = {row[0] for row in _raw(people["controller"], "SELECT fund FROM postings")}
    assert everyone == {"GEM", "ZVK"}


def test_a_funder_sees_only_its_fund_through_every_read_command(
    people: dict[str, str], tmp_path: Path
) -> None:
    """Each read command, as GEM's login: ZVK's figures never appear; a command that
    would need them is refused (exit 2) or reads GEM's money alone."""
    gem = people["funder_gem"]
    out = tmp_path / "out"
    commands: list[tuple[str, ...]] = [
        ("balance",),
        ("balance", "--by", "account,fund,group", "--json"),
        ("status",),
        ("status", "--json"),
        ("statements", "--period", "2026", "--out", str(out), "--json"),
        ("statements", "--period", "2026", "--funder", "ZVK", "--out", str(out)),
        ("verify",),
        ("exports", "list"),
        ("allocations", "list"),
        ("network", "versions"),
        ("log",),
        ("log", "--json"),
        ("proposals", "--all"),
        ("export", "journal", "--out", str(tmp_path / "j.csv")),
        ("export", "trial-balance", "--out", str(tmp_path / "tb.csv")),
    ]
    refused = []
    for args in commands:
        result = _run(gem, *args)
        assert result.exit_code in (0, 2), (args, result.output)
        assert "Traceback" not in result.output, args
        for amount in ZVK_AMOUNTS:
            assert amount not in result.output, (args, amount, result.output)
        if result.exit_code == 2:
            refused.append(" ".join(args[:2]) if args[0] in ("exports", "allocations") else args[0])
    # What needs every fund (or writes its log) is refused; the rest reads GEM's money only.
    assert refused == [
        "statements",
        "verify",
        "exports list",
        "allocations list",
        "export",
        "export",
    ]
    balances = json.loads(_run(gem, "balance", "--json").output)
    assert {row["fund"] for row in balances} == {"GEM"}
    status = json.loads(_run(gem, "status", "--json").output)
    assert [f["funder"] for f in status["funders"]] == ["GEM"]
    written = json.loads(
        _run(gem, "statements", "--period", "2026", "--out", str(out), "--json").output
    )
    assert [Path(s["file"]).name for s in written["statements"]] == ["2026-GEM.en.pdf"]
    refused_statement = _run(
        gem, "statements", "--period", "2026", "--funder", "ZVK", "--out", str(out)
    )
    assert "reads the money of GEM only" in refused_statement.output


def test_grants_are_checked_and_recorded(people: dict[str, str]) -> None:
    owner = people["owner"]
    for args, message in (
        (("x_unknown", "--role", "funder", "--funder", "NOPE"), "unknown funder 'NOPE'"),
        (("x_wrong", "--role", "funder"), "--funder CODE goes with --role funder"),
        (("x_wrong", "--role", "controller", "--funder", "GEM"), "--funder CODE goes with"),
        (("Robert'); DROP TABLE x;--", "--role", "controller"), "is not a login netfund creates"),
    ):
        result = _run(owner, "roles", "grant", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
    by_admin = _run(people["administrator"], "roles", "grant", "x_new", "--role", "administrator")
    assert by_admin.exit_code == 2
    assert "only the ledger's owner" in by_admin.output
    grants = _raw(owner, "SELECT content, actor FROM ledger_records WHERE kind = 'grant'")
    assert len(grants) == 5
    assert {json.loads(content)["role"] for content, _ in grants} == {
        "administrator",
        "approver",
        "controller",
        "funder",
    }
    assert {actor for _, actor in grants} == {"postgres"}
