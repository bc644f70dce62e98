"""The audit trail edited around netfund — detected (issue 17, item 4).

Raw SQL on ledger_records, transactions and exports, on SQLite and PostgreSQL. Each change
is either refused by the database (its guards in place) or, with every trigger dropped (what
a role that may drop triggers can do), found by ``verify`` (exit 4). For the changes only the
audit trail's check finds, each test first shows the attack succeeding without it (``verify``
with `check_trail` switched off exits 0), then refused with it: the chains' hashes, the head
and the exports' fingerprints all still hold, so nothing else would have noticed.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger.model.canonical import chain_hash
from netfund.ledger.model.entries import Draft, Posting, source_hash
from netfund.ledger.store.database import connect
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import canonical_text, record_hash
from netfund.ledger.verification import chain
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.records import rewrite_records
from tests.support.reliability import drop_guards, run_cli, write_text

EVENTS = """\
c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1
r-gem,2026-01-20,receipt,GEM,,1000.00,Betaling,BANK-1
"""


def _ok(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def _ledger(db_url: str, folder: Path) -> None:
    """Records: 1 network, 2 the import's write, 3 the post's write, 4 an export."""
    _ok(db_url, "init", str(write_text(folder / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(folder / "e.csv", EVENTS_HEADER + EVENTS)))
    line = ("--line", "Expenses:WG-B,GEM,WG-B,12.50", "--line", "Assets:Bank,GEM,,-12.50")
    _ok(db_url, "post", "FIX-1", "--date", "2026-03-31", "-d", "fee", *line)
    _ok(db_url, "export", "journal", "--format", "csv", "--out", str(folder / "j.csv"))


def _with(db_url: str, change: Callable[[Connection], None], guards: bool = False) -> None:
    engine = connect(db_url)
    try:
        if not guards:
            drop_guards(engine)
        with engine.begin() as connection:
            change(connection)
    finally:
        engine.dispose()


def _sqlite(db_url: str) -> bool:
    return make_url(db_url).get_backend_name() == "sqlite"


def _actor(connection: Connection) -> str:
    return current_actor(connection)


def _append_transaction(actor: Callable[[Connection], str | None]) -> Callable[[Connection], None]:
    """A balanced transaction after the head, its hash correct for the actor it names, the
    balance totals and the head moved: what netfund's writer does, without a write record."""

    def change(connection: Connection) -> None:
        last_id, last_hash = connection.execute(
            text("SELECT last_txn_id, last_hash FROM chain_head")
        ).one()
        who = actor(connection)
        draft = Draft(
            external_id="raw-1",
            date=datetime.date(2026, 6, 1),
            type="journal",
            description="written around netfund",
            reference="",
            postings=(
                Posting("Assets:Bank", "GEM", None, 500),
                Posting("Income:X", "GEM", None, -500),
            ),
            source_hash=source_hash("raw-1"),
        )
        txn_id, digest = last_id + 1, chain_hash(last_hash, last_id + 1, draft, who)
        connection.execute(
            text(
                "INSERT INTO transactions (id, external_id, date, period, type, description, "
                "reference, source_hash, actor, prev_hash, hash) VALUES (:id, 'raw-1', "
                ":date, '2026', 'journal', 'written around netfund', '', :source, :actor, "
                ":prev, :hash)"
            ),
            {
                "id": txn_id,
                "date": draft.date if not _is_sqlite(connection) else draft.date.isoformat(),
                "source": draft.source_hash,
                "actor": who,
                "prev": last_hash,
                "hash": digest,
            },
        )
        for line_no, (account, cents) in enumerate((("Assets:Bank", 500), ("Income:X", -500)), 1):
            connection.execute(
                text(
                    'INSERT INTO postings (txn_id, line_no, account, fund, "group", amount_cents) '
                    "VALUES (:id, :line, :account, 'GEM', NULL, :cents)"
                ),
                {"id": txn_id, "line": line_no, "account": account, "cents": cents},
            )
            connection.execute(
                text(
                    'INSERT INTO balance_totals (period, account, fund, "group", debit_cents, '
                    "credit_cents) VALUES ('2026', :account, 'GEM', '', :debit, :credit) "
                    'ON CONFLICT (period, account, fund, "group") DO UPDATE SET '
                    "debit_cents = balance_totals.debit_cents + excluded.debit_cents, "
                    "credit_cents = balance_totals.credit_cents + excluded.credit_cents"
                ),
                {"account": account, "debit": max(cents, 0), "credit": max(-cents, 0)},
            )
        connection.execute(
            text("UPDATE chain_head SET last_txn_id = :id, last_hash = :hash"),
            {"id": txn_id, "hash": digest},
        )

    return change


def _is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def _claimed_by(name: str) -> Callable[[Connection], None]:
    """The post's write record says someone else posted it (content and column agree)."""

    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        row = rows[2]
        content = json.loads(row["content"])
        row["content"], row["actor"] = canonical_text({**content, "by": name}), name
        return rows

    return lambda connection: rewrite_records(connection, edit)


def _dropped_write(connection: Connection) -> None:
    rewrite_records(connection, lambda rows: [rows[0], rows[1], rows[3]])


def _record_without_actor(connection: Connection) -> None:
    """A grant record appended to the chain, hashed without an actor (as before 0010)."""
    seq, last_hash = connection.execute(text("SELECT last_seq, last_hash FROM records_head")).one()
    content = canonical_text({"login": "mallory", "role": "administrator", "funder": None})
    digest = record_hash(last_hash, seq + 1, "grant", 3, content)
    connection.execute(
        text(
            "INSERT INTO ledger_records (seq, kind, content, transaction_head, prev_hash, hash, "
            "actor) VALUES (:seq, 'grant', :content, 3, :prev, :hash, NULL)"
        ),
        {"seq": seq + 1, "content": content, "prev": last_hash, "hash": digest},
    )
    connection.execute(
        text("UPDATE records_head SET last_seq = :seq, last_hash = :hash"),
        {"seq": seq + 1, "hash": digest},
    )


def _statement(sql: str) -> Callable[[Connection], None]:
    return lambda connection: connection.execute(text(sql))


#: (name, change, guards kept, words verify must say). Only the trail check finds these.
ATTACKS: list[tuple[str, Callable[[Connection], None], bool, tuple[str, ...]]] = [
    (
        "a transaction with the writer's actor but in no write record",
        _append_transaction(_actor),
        True,
        ("transaction 4 is in no write record",),
    ),
    (
        "a transaction naming no actor after ones that do",
        _append_transaction(lambda connection: None),
        False,
        ("transaction 4 names no actor",),
    ),
    (
        "a write record claimed by someone else, the records chain re-hashed",
        _claimed_by("mallory"),
        False,
        ("transaction 3 names", "write record 3", "'mallory'"),
    ),
    (
        "a write record deleted, the records chain re-hashed",
        _dropped_write,
        False,
        ("transaction 3 is in no write record",),
    ),
    (
        "a record naming no actor after ones that do",
        _record_without_actor,
        False,
        ("record 5 (grant) names no actor",),
    ),
    (
        "an export's row deleted",
        _statement("DELETE FROM exports"),
        False,
        ("export 1", "its row was deleted"),
    ),
    (
        "an export's row changed",
        _statement("UPDATE exports SET path = '/somewhere/else.csv'"),
        False,
        ("export 1 path is '/somewhere/else.csv' in the exports log",),
    ),
    (
        "an export row added around netfund",
        _statement(
            "INSERT INTO exports (id, created_at, kind, format, options, period, path, "
            "row_count, last_txn_id, fingerprint, file_sha256, file_bytes) SELECT 2, "
            "created_at, kind, format, options, period, '/tmp/forged.csv', row_count, "
            "last_txn_id, fingerprint, file_sha256, file_bytes FROM exports"
        ),
        True,
        ("export 2 in the exports log", "has no export record"),
    ),
]


@pytest.mark.parametrize(
    ("change", "guards", "words"), [pytest.param(c, g, w, id=n) for n, c, g, w in ATTACKS]
)
def test_the_audit_trail_edited_around_netfund_is_detected(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Connection], None],
    guards: bool,
    words: tuple[str, ...],
) -> None:
    _ledger(db_url, tmp_path)
    _with(db_url, change, guards)
    if _sqlite(db_url):
        # The checkpoint file would name a rewritten records chain: the attacker removes it
        # (verify then only notes its absence), to show what the trail alone finds.
        Path(make_url(db_url).database + ".checkpoints").unlink()
    with monkeypatch.context() as switched_off:
        switched_off.setattr(chain, "check_trail", lambda *args: None)
        assert run_cli(db_url, "verify").exit_code == 0  # the attack, without the trail check
    result = run_cli(db_url, "verify", "--json")
    assert result.exit_code == 4, result.output
    message = json.loads(result.stdout)["message"]
    assert message.startswith("audit trail: "), message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transactions SET actor = 'mallory'",
        "UPDATE ledger_records SET actor = 'mallory' WHERE kind = 'write'",
        "DELETE FROM ledger_records WHERE kind = 'write'",
        "DELETE FROM exports",
        "UPDATE exports SET path = '/somewhere/else.csv'",
    ],
)
def test_the_database_refuses_editing_the_trail(
    db_url: str, tmp_path: Path, statement: str
) -> None:
    _ledger(db_url, tmp_path)
    with pytest.raises(Exception, match=r"append-only|cannot be deleted|never"):
        _with(db_url, _statement(statement), guards=True)
    _ok(db_url, "verify")


def test_postgresql_refuses_a_row_in_someone_elses_name(db_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the database says who writes: a transaction or record naming another
    login is refused even when hashed correctly for that name (SQLite has no logins; there a
    row naming another OS user is found only if it breaks the trail, as above)."""
    if _sqlite(db_url):
        pytest.skip("PostgreSQL's actor trigger")
    _ledger(db_url, tmp_path)
    with pytest.raises(Exception, match="written by the login role"):
        _with(db_url, _append_transaction(lambda connection: "mallory"), guards=True)
    with pytest.raises(Exception, match="written by the login role"):
        _with(db_url, _record_without_actor, guards=True)
    _ok(db_url, "verify")
