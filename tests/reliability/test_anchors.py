"""The chain anchored outside the database (issue 15, items 5): a ledger cut short or rewritten
so that it verifies on its own is caught by what was recorded elsewhere.

Each attack drops the triggers (as anyone with write access to the database can), then either
deletes the newest 10 transactions or changes a receipt's amount and re-hashes every
transaction after it, and in both cases fixes the chain head and the balance totals
(tests/support/rewrites.py): the chain is consistent again, and before issue 15 `netfund
verify` passed. Now verify holds the chain to the checkpoint file netfund appends to after
every write, to a copy of it kept elsewhere, to a statement's embedded fingerprint, and to
the exports log: exit 4 naming what no longer matches. On SQLite and PostgreSQL (where the
checkpoint file is used only when configured, here through NETFUND_CHECKPOINTS).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from netfund.ledger.store.database import connect
from sqlalchemy import Connection, text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import drop_guards, write_text
from tests.support.reliability import run_cli as run_cli_at
from tests.support.rewrites import cut_newest, rewrite_amount
from tests.support.tamper import EVENTS_2026, EVENTS_2027, JOURNAL_2026

#: Chain positions in the ledger of `build`: the 2026 events, the journal's 2 transactions
#: (an export may follow), the 2027 events.
EVENTS = len(EVENTS_2026.splitlines())
JOURNAL = EVENTS + 2
BUILT = JOURNAL + len(EVENTS_2027.splitlines())


class Ledger:
    """A test ledger, its checkpoint file and the CLI run against both."""

    def __init__(self, db_url: str, folder: Path) -> None:
        self.db_url = db_url
        self.folder = folder
        self.checkpoints = folder / "anchors" / "ledger.checkpoints"
        self.checkpoints.parent.mkdir()

    def run(self, *args: str) -> Result:
        return run_cli_at(self.db_url, *args, env={"NETFUND_CHECKPOINTS": str(self.checkpoints)})

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (args, result.output)
        return result

    def build(self, *, export: bool = False) -> None:
        """init, the 2026 events and journal, optionally a journal export, the 2027 events."""
        folder = self.folder
        self.ok("init", str(write_text(folder / "network.toml", NETWORK_TOML)))
        self.ok("import", str(write_text(folder / "e2026.csv", EVENTS_HEADER + EVENTS_2026)))
        self.ok("import", "--journal", str(write_text(folder / "j2026.csv", JOURNAL_2026)))
        if export:
            self.ok("export", "journal", "--format", "csv", "--out", str(folder / "journal.csv"))
        self.ok("import", str(write_text(folder / "e2027.csv", EVENTS_HEADER + EVENTS_2027)))

    def attack(self, change: Callable[[Connection], object]) -> None:
        """Drop the guards and make ``change`` in one raw transaction."""
        engine = connect(self.db_url)
        try:
            drop_guards(engine)
            with engine.begin() as connection:
                change(connection)
        finally:
            engine.dispose()


def cut(connection: Connection) -> object:
    return cut_newest(connection, 10)


def rewrite(connection: Connection) -> object:
    return rewrite_amount(connection, "r-gem", 6_000_000_00)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Ledger:
    return Ledger(db_url, tmp_path)


def verify_json(ledger: Ledger, *args: str) -> dict[str, object]:
    result = ledger.run("verify", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_write_appends_a_checkpoint_that_verify_checks(ledger: Ledger) -> None:
    ledger.build()
    lines = ledger.checkpoints.read_text(encoding="utf-8").splitlines()
    newest = json.loads(lines[-1])
    assert newest["transactions"]["id"] == BUILT
    report = verify_json(ledger)
    assert newest["transactions"]["hash"] == report["fingerprint"]
    assert report["anchors"] >= 1


@pytest.mark.parametrize(
    ("attack", "expected"),
    [(cut, f"the ledger ends at transaction {BUILT - 10}"), (rewrite, f"transaction {EVENTS}")],
    ids=["cut", "rewrite"],
)
def test_the_checkpoint_file_catches_a_consistent_rewrite(
    ledger: Ledger, attack: Callable[[Connection], object], expected: str
) -> None:
    ledger.build()
    verify_json(ledger)
    ledger.attack(attack)
    result = ledger.run("verify")
    assert result.exit_code == 4, result.output
    assert expected in result.output, result.output
    assert str(ledger.checkpoints) in result.output, result.output


@pytest.mark.parametrize("attack", [cut, rewrite], ids=["cut", "rewrite"])
def test_a_copy_of_the_checkpoints_kept_elsewhere_catches_it_when_the_file_is_gone(
    ledger: Ledger, attack: Callable[[Connection], object]
) -> None:
    ledger.build()
    copy = ledger.folder / "offsite.checkpoints"
    shutil.copyfile(ledger.checkpoints, copy)
    ledger.attack(attack)
    ledger.checkpoints.unlink()  # the attacker removes the file beside the database too
    alone = ledger.run("verify")
    if attack is cut:
        # Since issue 17 the records chain's write records name the transactions cut: the
        # audit trail finds a cut unless the records chain is rewritten too (which the
        # records' anchors then find, as test_the_checkpoint_file_holds_the_records_chain_too).
        assert alone.exit_code == 4 and "beyond the chain's end" in alone.output, alone.output
    else:
        assert alone.exit_code == 0  # nothing left to hold the chain to
    result = ledger.run("verify", "--anchor", str(copy))
    assert result.exit_code == 4, result.output
    assert str(copy) in result.output, result.output


@pytest.mark.parametrize("attack", [cut, rewrite], ids=["cut", "rewrite"])
def test_the_exports_log_catches_it(ledger: Ledger, attack: Callable[[Connection], object]) -> None:
    ledger.build(export=True)
    ledger.attack(attack)
    ledger.checkpoints.unlink()
    result = ledger.run("verify")
    assert result.exit_code == 4, result.output
    assert "export 1 in the exports log" in result.output, result.output
    assert f"transaction {JOURNAL}" in result.output, result.output


@pytest.mark.parametrize("attack", [cut, rewrite], ids=["cut", "rewrite"])
def test_a_statements_fingerprint_catches_it(
    ledger: Ledger, attack: Callable[[Connection], object]
) -> None:
    ledger.build()
    out = ledger.folder / "statements"
    ledger.ok(
        "statements",
        "--period",
        "2026",
        "--funder",
        "GEM",
        "--out",
        str(out),
        "--as-of",
        "2026-12-31",
    )
    statement = out / "2026-GEM.en.pdf"
    assert verify_json(ledger, "--anchor", str(statement))["anchors"] >= 2
    ledger.attack(attack)
    ledger.checkpoints.unlink()
    result = ledger.run("verify", "--anchor", str(statement))
    assert result.exit_code == 4, result.output
    assert "2026-GEM.en.pdf" in result.output, result.output
    assert f"transaction {JOURNAL}" in result.output, result.output


def drop_newest_network_version(connection: Connection) -> None:
    """Delete network version 2 (the funder NEW), the newest record, from the records chain
    and the mirror, and move the records head back: the records chain and the tables agree
    again."""
    for table in ("earmarks", "funders", "groups", "network_versions"):
        connection.execute(text(f"DELETE FROM {table} WHERE version = 2"))
    connection.execute(
        text("DELETE FROM ledger_records WHERE seq = (SELECT last_seq FROM records_head)")
    )
    connection.execute(
        text(
            "UPDATE records_head SET last_seq = last_seq - 1, "
            "last_hash = (SELECT hash FROM ledger_records WHERE seq = records_head.last_seq - 1)"
        )
    )


def test_the_checkpoint_file_holds_the_records_chain_too(ledger: Ledger) -> None:
    """The network, allocation runs and closes are the records chain's (issue 15 item 3):
    a version of the network cut from it, with its mirror rows, is caught like a cut of the
    transactions."""
    ledger.build()
    bigger = NETWORK_TOML + '\n[[funders]]\ncode = "NEW"\nname = "Nieuw"\nkind = "other"\n'
    bigger += 'framework = "x"\nunspent = "return"\n'
    new_funder = str(write_text(ledger.folder / "network2.toml", bigger))
    ledger.ok("network", "apply", new_funder, "--from", "2026")
    newest = json.loads(ledger.checkpoints.read_text().splitlines()[-1])["records"]["id"]
    ledger.attack(drop_newest_network_version)
    ledger.checkpoints.rename(ledger.folder / "kept.checkpoints")
    assert ledger.run("verify").exit_code == 0  # consistent without the anchors
    result = ledger.run("verify", "--anchor", str(ledger.folder / "kept.checkpoints"))
    assert result.exit_code == 4, result.output
    assert f"the records chain ends at record {newest - 1}" in result.output, result.output
    assert f"record {newest} of the records chain" in result.output, result.output
