"""Migrations 0004 to 0016 upgrade a ledger written under 0003, on SQLite and PostgreSQL.

The ledger is written, then the schema taken down to 0003 (the index and triggers 0001 made,
no balance totals), then `initialize` upgrades it: the old postings index goes (0004 made a
covering one, 0015 dropped it), on PostgreSQL the closed-period checks become statement
triggers, `balance_totals` is
filled from the stored postings, and the stored ledger still verifies, gives the same balances
and refuses raw inserts into a closed period, also in a multi-row insert where only one row is
closed. A ledger at 0005 accepts an unbalanced transaction written around netfund; upgraded to
0006 it refuses it. A ledger taken down to 0014 has the schema objects a ledger built to 0014
has, and upgraded again those of one built to the newest (0015's write guards, 0016's
statement check of postings' transactions on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from netfund.allocation.service import commit_run, run_plan
from netfund.allocation.solver import SolverSettings
from netfund.ledger.balance_sums import balances
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.periods import close_period
from netfund.ledger.store import database
from netfund.ledger.store.database import connect, current_revision, reading, writing
from netfund.ledger.store.records import RecordsHead, records_head, verified_records
from netfund.ledger.store.registry import read_network, store_network
from netfund.ledger.store.runs import read_run
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine, inspect, text

from tests.conftest import database_url, write_events
from tests.support.before_actors import written_before_actors
from tests.support.raw_writes import (
    BALANCED,
    UNBALANCED,
    driver_connection,
    record_raw_write,
    write_raw,
)
from tests.support.reliability import run_cli
from tests.support.totals import posting_sums, stored_totals

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,500.00,Toezegging,B-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "r-zvk,2026-02-01,receipt,ZVK,,500.00,Tranche,BANK-2",
    "a-gem,2026-01-10,allocation,GEM,WG-A,200.00,Besluit,B-3",
    "a-zvk,2026-01-10,allocation,ZVK,WG-A,100.00,Besluit,B-3",
    "e-1,2026-03-01,expense,,WG-A,100.00,Huur,INV-1",
    "c-gem-27,2027-01-05,commitment,GEM,,10.00,Toezegging,B-4",
]


def _downgrade(engine: Engine, revision: str) -> None:
    with writing(engine) as connection:
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    # Below 0007 the records chain is dropped, and the upgrade writes it anew with other
    # hashes: as after a restore from a backup, the checkpoint file describes another ledger
    # now, and the administrator moves it aside.
    path = database.checkpoints_of(engine)
    if path is not None and path.exists():
        path.rename(path.with_name(path.name + ".before-downgrade"))


@pytest.fixture
def old_ledger(db_url: str, network_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """A ledger at schema 0003 with a closed 2026 and a transaction in 2027."""
    engine = connect(db_url)
    initialize(engine)
    with written_before_actors(engine):
        with writing(engine) as connection:
            store_network(connection, load_network(network_file))
        import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
        close_period(engine, "2026", force=True, reason="closed early in a test")
    # The rows are what 0003's code wrote too; the schema goes back to what 0003 made.
    _downgrade(engine, "0003")
    yield engine
    engine.dispose()


def _index_names(engine: Engine) -> set[str]:
    with reading(engine) as connection:
        return {index["name"] for index in inspect(connection).get_indexes("postings")}


def test_upgrade_from_0003_keeps_the_ledger_and_its_checks(old_ledger: Engine) -> None:
    engine = old_ledger
    with reading(engine) as connection:
        assert current_revision(connection) == "0003"
        assert "balance_totals" not in inspect(connection).get_table_names()
    sums = posting_sums(engine)
    assert len({key[0] for key in sums}) == 2  # 2026 and 2027
    assert "ix_postings_account_fund" in _index_names(engine)
    with reading(engine) as connection:
        fingerprint = connection.execute(text("SELECT last_hash FROM chain_head")).scalar_one()

    report = initialize(engine)

    assert (report.revision_before, report.revision_after) == ("0003", database.head_revision())
    assert database.head_revision() == "0017"
    names = _index_names(engine)
    assert "ix_postings_balance" not in names and "ix_postings_account_fund" not in names
    assert stored_totals(engine) == sums
    assert verify(engine).head_hash == fingerprint
    with reading(engine) as connection:
        before = balances(connection, by=("account", "fund", "group"))
    expected: dict[tuple[str, str, str | None], int] = {}
    for (_period, account, fund, group), (debit, credit) in sums.items():
        key = (account, fund, group)
        expected[key] = expected.get(key, 0) + debit - credit
    assert {(b.account, b.fund, b.group): b.balance_cents for b in before} == {
        key: cents for key, cents in expected.items() if cents
    }
    if engine.dialect.name == "postgresql":
        with reading(engine) as connection:
            row_level = connection.execute(
                text(
                    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND t.tgname LIKE '%closed_period' AND (t.tgtype & 1) = 1"
                )
            ).all()
        assert row_level == []
    # The database itself still refuses a transaction or a posting in the closed 2026.
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO transactions (id, external_id, date, period, type, description, "
                "reference, source_hash, prev_hash, hash) VALUES (999, 'x', '2026-06-01', "
                "'2026', 'journal', '', '', 'h', 'p999', 'h999')"
            )
        )
    with engine.connect() as connection:
        closed_id = connection.execute(
            text("SELECT id FROM transactions WHERE external_id = 'e-1'")
        ).scalar_one()
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        # One statement, two rows: the line of a new 2027 transaction is fine, the 2026 line is
        # not. (A new transaction: since 0006 a stored one takes no more postings at all. It
        # links to the head, which 0017 checks.)
        head_id, head_hash = connection.execute(
            text("SELECT last_txn_id, last_hash FROM chain_head")
        ).one()
        connection.execute(
            text(
                "INSERT INTO transactions (id, external_id, date, period, type, description, "
                "reference, source_hash, prev_hash, hash) VALUES (:id, 'x', '2027-06-01', "
                "'2027', 'journal', '', '', 'h', :prev, 'h999')"
            ),
            {"id": head_id + 1, "prev": head_hash},
        )
        connection.execute(
            text(
                "INSERT INTO postings (txn_id, line_no, account, fund, amount_cents) VALUES "
                "(:id, 1, 'Assets:Bank', 'GEM', 1), (:closed, 90, 'Assets:Bank', 'GEM', 1)"
            ),
            {"id": head_id + 1, "closed": closed_id},
        )
    with reading(engine) as connection:
        assert balances(connection, by=("account", "fund", "group")) == before
    assert stored_totals(engine) == sums
    verify(engine)


def test_upgrade_from_0005_makes_the_database_refuse_unbalanced_transactions(
    old_ledger: Engine, db_url: str
) -> None:
    engine = old_ledger
    initialize(engine)
    _downgrade(engine, "0005")
    unbalanced = UNBALANCED["zero overall, not per fund"]
    with driver_connection(db_url) as (raw, paramstyle):
        # Nothing in a 0005 database checks invariant 1 (rolled back: the ledger stays sound).
        write_raw(raw.cursor(), unbalanced, paramstyle=paramstyle, date=date(2027, 6, 1))
        raw.rollback()
    result = run_cli(db_url, "init")
    assert result.exit_code == 0, result.output
    assert f"upgraded from schema 0005 to {database.head_revision()}" in result.output
    with driver_connection(db_url) as (raw, paramstyle):
        with pytest.raises(Exception, match="does not balance per fund"):
            write_raw(raw.cursor(), unbalanced, paramstyle=paramstyle, date=date(2027, 6, 1))
            raw.commit()
        raw.rollback()
        txn_id = write_raw(raw.cursor(), BALANCED, paramstyle=paramstyle, date=date(2027, 6, 1))
        raw.commit()
    record_raw_write(engine, txn_id)  # the audit trail's entry, as netfund's writes have
    verify(engine)


PLAN_2027 = """\
[allocation]
period = "2027"
basis = "committed"
objective = "priority"

[[requests]]
group = "WG-A"
min = "0.00"
max = "5.00"
weight = 1
"""


def test_upgrade_from_0006_records_the_network_runs_and_closes_as_found(
    old_ledger: Engine, tmp_path: Path
) -> None:
    engine = old_ledger
    initialize(engine)
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN_2027, encoding="utf-8")
    with written_before_actors(engine):  # a ledger at 0010 written since cannot go back
        run_plan(engine, plan, SolverSettings())
    with reading(engine) as connection:
        network = read_network(connection)
        run = read_run(connection, 1)
    _downgrade(engine, "0006")
    with reading(engine) as connection:
        assert "ledger_records" not in inspect(connection).get_table_names()
    # Before 0007 nothing guarded the settings: the upgrade takes them over as it finds them.
    with engine.begin() as connection:
        connection.execute(text("UPDATE groups SET name = 'Werkgroep Alfa' WHERE code = 'WG-A'"))

    initialize(engine)

    with reading(engine) as connection:
        records = verified_records(connection)
        assert [(r.seq, r.kind) for r in records] == [(1, "network"), (2, "run"), (3, "close")]
        assert {r.content["recorded_by"] for r in records} == {"migration 0007"}
        upgraded = read_network(connection)
        assert upgraded.group("WG-A") == replace(network.group("WG-A"), name="Werkgroep Alfa")
        assert replace(upgraded, groups=network.groups) == network
        assert records[0].content["effective_after_transaction"] == 0
        assert read_run(connection, 1) == run
        assert records[2].content["period"] == "2026"
        assert records_head(connection) == RecordsHead(3, records[-1].hash)
    report = verify(engine)
    assert (report.records, report.records_hash) == (3, records[-1].hash)
    # From now on the database refuses the change, and netfund writes records itself.
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE groups SET name = 'Werkgroep A' WHERE code = 'WG-A'"))
    commit_run(engine, "1", date=date(2027, 3, 1))
    close_period(engine, "2027", today=date(2028, 1, 1))  # after 2027 has ended
    with reading(engine) as connection:
        # Each write is also in the audit trail: the commit's, then the close's.
        assert [r.kind for r in verified_records(connection)][3:] == ["write", "close", "write"]
    verify(engine)


def test_downgrade_and_upgrade_again(old_ledger: Engine) -> None:
    engine = old_ledger
    initialize(engine)
    _downgrade(engine, "0003")
    assert "ix_postings_account_fund" in _index_names(engine)
    initialize(engine)
    assert "ix_postings_balance" not in _index_names(engine)
    assert stored_totals(engine) == posting_sums(engine)
    verify(engine)


def test_the_head_revision_is_alembics() -> None:
    """head_revision reads the versions folder without Alembic (start-up time); it must name
    the head Alembic's own graph of down_revisions ends in."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(database.__file__).parent / "migrations"))
    assert database.head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_init_says_it_upgraded(old_ledger: Engine, db_url: str) -> None:
    result = run_cli(db_url, "init")
    assert result.exit_code == 0, result.output
    assert f"upgraded from schema 0003 to {database.head_revision()}" in result.output
    again = run_cli(db_url, "init", "--json")
    assert again.exit_code == 0, again.output
    document = json.loads(again.output)
    assert document["schema_revision"] == document["schema_revision_before"] == "0017"
    assert "upgraded from" not in run_cli(db_url, "init").output


def test_upgrade_to_0009_keeps_every_network_version_in_the_tables(
    old_ledger: Engine, network_file: Path, tmp_path: Path
) -> None:
    """A ledger at 0008 whose records chain holds two network versions (before 0009 `init`
    recorded one per addition) gets both mirrored, each with its own rows; downgrading
    keeps the newest in the one-version tables."""
    engine = old_ledger
    initialize(engine)
    bigger = network_file.read_text(encoding="utf-8") + (
        '\n[[funders]]\ncode = "NEW"\nname = "Nieuw"\nkind = "other"\n'
        'framework = "x"\nunspent = "return"\n'
    )
    changed = tmp_path / "network-2028.toml"
    changed.write_text(bigger, encoding="utf-8")
    with written_before_actors(engine):  # a ledger at 0010 written since cannot go back
        result = run_cli(str(engine.url), "network", "apply", str(changed), "--from", "2028")
    assert result.exit_code == 0, result.output
    _downgrade(engine, "0008")
    with reading(engine) as connection:
        funders = connection.execute(text("SELECT code FROM funders")).scalars().all()
        assert "network" in inspect(connection).get_table_names()
    assert "NEW" in funders  # the newest version, in the tables of 0007

    initialize(engine)

    with reading(engine) as connection:
        rows = connection.execute(
            text("SELECT version, count(*) FROM funders GROUP BY version ORDER BY version")
        ).all()
        versions = connection.execute(
            text("SELECT version, effective_from FROM network_versions ORDER BY version")
        ).all()
        assert read_network(connection, "2027").funder("NEW") is None
        assert read_network(connection, "2028").funder("NEW") is not None
    assert [tuple(row) for row in rows] == [(1, len(funders) - 1), (2, len(funders))]
    assert [tuple(row) for row in versions] == [(1, None), (2, "2028")]
    verify(engine)


def _migrate(engine: Engine, revision: str, *, up: bool) -> None:
    with writing(engine) as connection:
        config = database._alembic_config()
        config.attributes["connection"] = connection
        (command.upgrade if up else command.downgrade)(config, revision)


def _schema_objects(engine: Engine) -> dict[str, str]:
    """Every trigger, index and (PostgreSQL) function of the ledger, by name, with its SQL."""
    with reading(engine) as connection:
        if engine.dialect.name != "postgresql":
            rows = connection.execute(
                text(
                    "SELECT type || ' ' || name, sql FROM sqlite_master "
                    "WHERE type IN ('trigger', 'index') AND sql IS NOT NULL"
                )
            ).all()
            return {str(name): str(sql) for name, sql in rows}
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        rows = connection.execute(
            text(
                "SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
                "AND c.relnamespace = current_schema()::regnamespace "
                "UNION ALL SELECT 'index ' || indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() "
                "UNION ALL SELECT 'function ' || proname, prosrc FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace"
            )
        ).all()
        return {str(name): str(sql).replace(f"{schema}.", "") for name, sql in rows}


def test_0015_downgrades_to_0014_and_upgrades_again_with_data(
    db_url: str, network_file: Path, tmp_path: Path
) -> None:
    """0015 (the write guards, issue 21) on a ledger with data: taken down to 0014 it has
    exactly the triggers, indexes and functions a ledger built to 0014 has, refusing as 0014
    did; upgraded again exactly those of a ledger built to the newest schema, and the
    ledger still verifies, imports and closes."""
    kind = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    fresh_folder = tmp_path / "fresh"
    fresh_folder.mkdir()
    fresh_urls = database_url(kind, fresh_folder, prefix="fresh")
    fresh = connect(next(fresh_urls))
    try:
        database.create_file(fresh)
        _migrate(fresh, "0014", up=True)
        built_0014 = _schema_objects(fresh)
        _migrate(fresh, "0015", up=True)
        built_0015 = _schema_objects(fresh)
        _migrate(fresh, "head", up=True)
        built_head = _schema_objects(fresh)
    finally:
        fresh.dispose()
        fresh_urls.close()
    assert "index ix_postings_balance" in built_0014
    assert "index ix_postings_balance" not in built_head
    if kind == "postgresql":  # its guards were statement triggers already: only the index goes
        kept = {key: sql for key, sql in built_0014.items() if key != "index ix_postings_balance"}
        assert kept == built_0015

    engine = connect(db_url)
    initialize(engine, load_network(network_file))
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    close_period(engine, "2026", force=True, reason="closed early in a test")
    assert _schema_objects(engine) == built_head
    sums = posting_sums(engine)
    fingerprint = verify(engine).head_hash
    with engine.connect() as connection:
        closed_id = connection.execute(
            text("SELECT id FROM transactions WHERE external_id = 'e-1'")
        ).scalar_one()
    late_posting = text(
        "INSERT INTO postings (txn_id, line_no, account, fund, amount_cents) "
        "VALUES (:txn, 90, 'Assets:Bank', 'GEM', 1)"
    )

    _migrate(engine, "0014", up=False)

    with reading(engine) as connection:
        assert current_revision(connection) == "0014"
    assert _schema_objects(engine) == built_0014
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        connection.execute(late_posting, {"txn": closed_id})
    assert posting_sums(engine) == sums

    initialize(engine)

    assert _schema_objects(engine) == built_head
    assert posting_sums(engine) == stored_totals(engine) == sums
    assert verify(engine).head_hash == fingerprint
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        connection.execute(late_posting, {"txn": closed_id})
    late = ["r-gem-27,2027-03-01,receipt,GEM,,5.00,Tranche,BANK-3"]
    assert import_events(engine, write_events(tmp_path / "late.csv", late)).posted == 1
    close_period(engine, "2027", today=date(2028, 1, 1))  # its entries pass the head first
    with engine.connect() as connection:
        closed_2027 = connection.execute(
            text("SELECT id FROM transactions WHERE external_id = 'r-gem-27'")
        ).scalar_one()
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        connection.execute(late_posting, {"txn": closed_2027})
    verify(engine)
    engine.dispose()


def test_the_declared_indexes_are_the_ones_the_migrations_build(engine: Engine) -> None:
    """schema.py declares each table's indexes; the migrations build the schema. They must
    agree (0015 dropped the covering postings index from both)."""
    from netfund.ledger.store.schema import Base

    with reading(engine) as connection:
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            built = {
                index["name"]
                for index in inspector.get_indexes(table.name)
                if not index.get("duplicates_constraint")
            }
            assert built == {index.name for index in table.indexes}, table.name
