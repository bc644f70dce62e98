"""The ledger engine on SQLite and PostgreSQL: posting rules, invariants 1-6, balances."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from netfund.ledger.balance_sums import balances
from netfund.ledger.bank.importing import import_bank_statements
from netfund.ledger.corrections import reverse
from netfund.ledger.importer import import_events, import_journal, post
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.model.errors import (
    InputError,
    InvariantViolation,
    LedgerError,
    VerificationError,
)
from netfund.ledger.periods import close_period
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.schema import postings_table, transactions_table
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine, func, select, text

from tests.conftest import EXAMPLE, write_events
from tests.support.saniveld import CAMT, RULES

BASE_EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,BESCHIKKING-1",
    "c-zvk,2026-01-05,commitment,ZVK,,500.00,Toezegging,BESCHIKKING-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Eerste tranche,BANK-1",
    "r-zvk,2026-02-01,receipt,ZVK,,300.00,Eerste tranche,BANK-2",
    "a-gem,2026-01-10,allocation,GEM,WG-A,200.00,Besluit,B-1",
    "a-zvk,2026-01-10,allocation,ZVK,WG-A,100.00,Besluit,B-1",
]


def _balance(engine: Engine, account: str, fund: str, period: str | None = None) -> int:
    with reading(engine) as connection:
        lines = balances(connection, period=period, by=("account", "fund"), include_zero=True)
    return sum(b.balance_cents for b in lines if b.account == account and b.fund == fund)


def _count(engine: Engine) -> int:
    with reading(engine) as connection:
        return connection.execute(select(func.count()).select_from(transactions_table)).scalar_one()


def test_events_become_the_designed_double_entry(engine: Engine, tmp_path: Path) -> None:
    report = import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    assert (report.read, report.posted, report.skipped) == (6, 6, 0)
    assert _balance(engine, "Assets:Receivable", "GEM") == 0
    assert _balance(engine, "Income:Contributions", "GEM") == -100000
    assert _balance(engine, "Assets:Bank", "ZVK") == 30000
    assert _balance(engine, "Assets:Receivable", "ZVK") == 20000
    assert _balance(engine, "Budget:Unallocated", "GEM") == 20000
    assert _balance(engine, "Budget:Allocated:WG-A", "ZVK") == -10000


def test_unattributed_expense_splits_pro_rata_with_largest_remainder(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [*BASE_EVENTS, "e-1,2026-03-01,expense,,WG-A,100.00,Huur,INV-1"]
    rows.append("e-2,2026-03-02,expense,,WG-A,0.01,Afronding,INV-2")
    import_events(engine, write_events(tmp_path / "e.csv", rows))
    # Allocations 200 (GEM) : 100 (ZVK): 100.00 → 66.67 / 33.33; 0.01 → GEM (larger remainder).
    assert _balance(engine, "Expenses:WG-A", "GEM") == 6667 + 1
    assert _balance(engine, "Expenses:WG-A", "ZVK") == 3333
    assert _balance(engine, "Assets:Bank", "GEM") == 100000 - 6668
    with reading(engine) as connection:
        lines = connection.execute(
            select(postings_table.c.fund, postings_table.c.amount_cents)
            .join(transactions_table, transactions_table.c.id == postings_table.c.txn_id)
            .where(transactions_table.c.external_id == "e-2")
        ).all()
    assert sorted(lines) == [("GEM", -1), ("GEM", 1)]  # a zero share gets no posting


def test_expense_without_allocation_names_group_and_period(engine: Engine, tmp_path: Path) -> None:
    rows = [*BASE_EVENTS, "e-1,2027-03-01,expense,,WG-A,10.00,Volgend jaar,INV-1"]
    with pytest.raises(InputError) as caught:
        import_events(engine, write_events(tmp_path / "e.csv", rows))
    assert "e.csv:8" in str(caught.value)
    assert "group WG-A has no allocation in period 2027" in str(caught.value)
    assert _count(engine) == 0  # all or nothing: the six good rows were not stored either


def test_earmark_refuses_explicit_funder_expense(engine: Engine, tmp_path: Path) -> None:
    rows = [
        "c,2026-01-01,commitment,ZONMW,,100.00,,",
        "e,2026-02-01,expense,ZONMW,WG-B,10.00,Niet toegestaan,",
    ]
    with pytest.raises(InputError, match=r"e\.csv:3: .*earmark excludes group WG-B"):
        import_events(engine, write_events(tmp_path / "e.csv", rows))
    assert _count(engine) == 0


def test_reimport_is_idempotent_and_changed_content_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_events(tmp_path / "e.csv", BASE_EVENTS)
    first = import_events(engine, path)
    again = import_events(engine, path)
    assert (again.posted, again.skipped, again.head_hash) == (0, 6, first.head_hash)
    changed = write_events(tmp_path / "f.csv", [BASE_EVENTS[0].replace("1000.00", "999.00")])
    with pytest.raises(InputError, match=r"was stored before .* with other content"):
        import_events(engine, changed)
    assert _count(engine) == 6


def test_every_transaction_balances_per_fund_and_funds_sum_to_zero(db_url: str) -> None:
    engine = connect(db_url)
    initialize(engine, load_network(EXAMPLE / "network.toml"))
    import_events(engine, EXAMPLE / "events.csv")
    import_events(engine, EXAMPLE / "spending.csv")
    import_bank_statements(engine, CAMT, rules_path=RULES)  # the money in, the bank's costs
    with reading(engine) as connection:
        per_txn_fund = connection.execute(
            select(postings_table.c.txn_id, postings_table.c.fund)
            .group_by(postings_table.c.txn_id, postings_table.c.fund)
            .having(func.sum(postings_table.c.amount_cents) != 0)
        ).all()
        by_fund = balances(connection, by=("fund",), include_zero=True)
    assert per_txn_fund == []
    assert by_fund and all(line.balance_cents == 0 for line in by_fund)
    report = verify(engine)
    assert report.transactions == 42 + 271 + 36
    engine.dispose()


def test_unbalanced_post_is_refused_before_storage(engine: Engine) -> None:
    draft = Draft(
        external_id="bad",
        date=datetime.date(2026, 1, 1),
        type="journal",
        description="",
        reference="",
        postings=(
            Posting("Assets:Bank", "GEM", None, 100),
            Posting("Assets:Bank", "ZVK", None, -100),
        ),
        source_hash="x",
    )
    with pytest.raises(InvariantViolation, match="does not balance per fund"):
        post(engine, [draft])
    assert _count(engine) == 0


def test_journal_import_and_balance_check(engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "journal.csv"
    journal.write_text(
        "txn_id,date,description,account,fund,group,amount\n"
        "J1,2026-04-01,Herclassificatie,Expenses:WG-A,GEM,WG-A,12.50\n"
        "J2,2026-04-01,Andere,Assets:Bank,ZVK,,-1.00\n"
        "J1,2026-04-01,Herclassificatie,Assets:Bank,GEM,,-12.50\n"
        "J2,2026-04-01,Andere,Expenses:WG-B,ZVK,WG-B,1.00\n",
        encoding="utf-8",
    )
    report = import_journal(engine, journal)
    assert (report.posted, _balance(engine, "Expenses:WG-A", "GEM")) == (2, 1250)
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "txn_id,date,description,account,fund,group,amount\n"
        "J9,2026-04-01,x,Expenses:WG-A,GEM,WG-A,12.50\n"
        "J9,2026-04-01,x,Assets:Bank,ZVK,,-12.50\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"broken\.csv:2: .*GEM off by 12\.50"):
        import_journal(engine, broken)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount_cents = 1",
        "DELETE FROM postings",
        "UPDATE transactions SET description = 'x'",
        "DELETE FROM transactions",
    ],
)
def test_database_refuses_update_and_delete(engine: Engine, tmp_path: Path, statement: str) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    verify(engine)


def _drop_guards(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in ("transactions", "postings"):
                connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
        else:
            for table in ("transactions", "postings"):
                for action in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER {table}_append_only_{action}"))


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE postings SET amount_cents = amount_cents + 1 WHERE txn_id = 3 AND line_no = 1",
            "transaction 3 ('r-gem'): its content does not match",
        ),
        (
            "UPDATE transactions SET description = 'changed' WHERE id = 2",
            "transaction 2 ('c-zvk'): its content does not match",
        ),
        (
            "UPDATE postings SET fund = 'ZVK' WHERE txn_id = 5 AND line_no = 1",
            "transaction 5 ('a-gem')",
        ),
        ("DELETE FROM postings WHERE txn_id = 6 AND line_no = 2", "transaction 6 ('a-zvk')"),
        ("DELETE FROM postings WHERE txn_id = 6", "transaction 6"),
    ],
)
def test_verify_names_the_first_tampered_transaction(
    engine: Engine, tmp_path: Path, statement: str, message: str
) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text(statement))
    with pytest.raises(VerificationError) as caught:
        verify(engine)
    assert message in str(caught.value)


def test_verify_detects_deleting_the_newest_transaction(engine: Engine, tmp_path: Path) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    _drop_guards(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM postings WHERE txn_id = 6"))
        connection.execute(text("DELETE FROM transactions WHERE id = 6"))
    with pytest.raises(VerificationError, match="transactions were deleted"):
        verify(engine)


def test_close_settles_return_and_carry_over_and_locks_the_period(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [*BASE_EVENTS, "e-1,2026-03-01,expense,,WG-A,150.00,Huur,INV-1"]
    import_events(engine, write_events(tmp_path / "e.csv", rows))
    # GEM: received 1000, spent 100 (2/3 of 150) → 900 carried over into 2027.
    # ZVK: received 300, spent 50 → 250 owed back.
    report = close_period(engine, "2026", force=True, reason="closed early in a test")
    settled = {s.fund: (s.policy, s.unspent_cents) for s in report.settlements}
    assert settled["GEM"] == ("carry_over", 90000)
    assert settled["ZVK"] == ("return", 25000)
    assert _balance(engine, "Liabilities:Refundable", "ZVK") == -25000
    assert _balance(engine, "Income:Contributions", "GEM", period="2027") == -90000
    with reading(engine) as connection:
        budget_2026 = [
            b
            for b in balances(connection, period="2026", by=("account", "fund", "group"))
            if b.account and b.account.startswith("Budget")
        ]
    assert budget_2026 == []
    late = write_events(tmp_path / "late.csv", ["late,2026-12-30,receipt,ZVK,,1.00,,"])
    with pytest.raises(InputError, match=r"late\.csv:2: period 2026 is closed"):
        import_events(engine, late)
    with pytest.raises(LedgerError, match="already closed"):
        close_period(engine, "2026", force=True, reason="closed early in a test")
    # The refund pays the liability first.
    import_events(engine, write_events(tmp_path / "r.csv", ["ref,2027-01-15,refund,ZVK,,250.00,,"]))
    assert _balance(engine, "Liabilities:Refundable", "ZVK") == 0
    assert _balance(engine, "Assets:Bank", "ZVK") == 0
    verify(engine)


def test_database_refuses_a_raw_insert_into_a_closed_period(engine: Engine, tmp_path: Path) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    close_period(engine, "2026", force=True, reason="closed early in a test")
    with pytest.raises(Exception, match="closed"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO transactions (id, external_id, date, period, type, description, "
                "reference, source_hash, prev_hash, hash) VALUES (999, 'x', '2026-06-01', "
                "'2026', 'journal', '', '', 'h', 'p999', 'h999')"
            )
        )


def test_reversal_once_never_of_a_reversal(engine: Engine, tmp_path: Path) -> None:
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    report = reverse(engine, "a-gem", date=datetime.date(2026, 5, 1))
    assert report.reversal_external_id == "netfund:reversal:a-gem"
    assert _balance(engine, "Budget:Allocated:WG-A", "GEM") == 0
    with pytest.raises(LedgerError, match="reversed already"):
        reverse(engine, "a-gem")
    with pytest.raises(LedgerError, match="itself a reversal"):
        reverse(engine, "netfund:reversal:a-gem")
    with pytest.raises(LedgerError, match="no transaction"):
        reverse(engine, "nope")
    close_period(engine, "2026", force=True, reason="closed early in a test")
    with pytest.raises(LedgerError, match="period 2026 is closed"):
        reverse(engine, "a-zvk")
    verify(engine)


def test_network_reload_is_safe_and_changes_are_refused(engine: Engine, network_file: Path) -> None:
    assert initialize(engine, load_network(network_file)).funders_added == 0
    network_file.write_text(
        network_file.read_text().replace("overhead_cap = 0.10", "overhead_cap = 0.12"),
        encoding="utf-8",
    )
    with pytest.raises(
        InputError, match=r"funder ZONMW overhead_cap: 0\.10 -> 0\.12.*network apply"
    ):
        initialize(engine, load_network(network_file))


def test_post_api_is_idempotent(engine: Engine) -> None:
    lines = (
        Posting("Assets:Bank", "NET", None, 500),
        Posting("Income:Interest", "NET", None, -500),
    )
    date = datetime.date(2026, 6, 30)
    draft = Draft(
        "interest-q2",
        date,
        "journal",
        "Rente",
        "",
        lines,
        lines_fingerprint("interest-q2", date, "Rente", "", lines),
    )
    assert post(engine, [draft]).posted == 1
    assert post(engine, [draft]).skipped == 1
    assert _balance(engine, "Assets:Bank", "NET") == 500


def test_balance_json_by_dimensions(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_events(engine, write_events(tmp_path / "e.csv", BASE_EVENTS))
    result = run_cli("balance", "--by", "fund,group", "--json")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.stdout)
    assert {"account", "fund", "group", "balance"} <= set(lines[0])
    assert all(line["account"] is None for line in lines)
    assert {line["fund"] for line in lines} == {"GEM", "ZVK"}
    by_account = json.loads(run_cli("balance", "--json").stdout)
    assert {
        "account": "Assets:Bank",
        "fund": "ZVK",
        "group": None,
        "balance": "300.00",
    } in by_account
    bad = run_cli("balance", "--by", "colour")
    assert bad.exit_code == 2 and "unknown dimension" in bad.output


@pytest.mark.parametrize("code", ["../GEM", "/etc/passwd", "GEM\x00X", "GEM/..", "C:\\\\x"])
def test_codes_that_could_leave_an_output_folder_are_refused(code: str) -> None:
    """Funder and group codes become file names (statements): only letters, digits and '-'."""
    from netfund.ledger.inputs.network import parse_network

    from tests.conftest import NETWORK_TOML

    for original in ('code = "ZVK"', 'code = "WG-B"'):
        text = NETWORK_TOML.replace(original, f"code = {json.dumps(code)}")
        import tomllib

        with pytest.raises(InputError, match="may contain only letters, digits"):
            parse_network(tomllib.loads(text), text, "network.toml")


def test_a_read_is_one_snapshot_while_others_commit(engine: Engine, tmp_path: Path) -> None:
    """What `reading` promises, and verify, statements and exports rely on: a transaction
    committed by another writer meanwhile is not seen halfway through a read (on PostgreSQL
    READ COMMITTED would show it to the next statement, and verify would report the chain
    head and the chain disagreeing)."""
    first = write_events(tmp_path / "a.csv", [BASE_EVENTS[0]])
    import_events(engine, first)
    count = select(func.count()).select_from(transactions_table)
    with reading(engine) as connection:
        before = connection.execute(count).scalar_one()
        other = connect(str(engine.url.render_as_string(hide_password=False)))
        import_events(other, write_events(tmp_path / "b.csv", [BASE_EVENTS[1]]))
        other.dispose()
        assert connection.execute(count).scalar_one() == before
    with reading(engine) as connection:
        assert connection.execute(count).scalar_one() == before + 1
    verify(engine)
