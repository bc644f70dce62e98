"""Bad export arguments (issue 5): exit 2 with a reason, no file and no record left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import NETWORK_TOML, write_events
from tests.support.exports import as_json, invoke, ok

COMMANDS = {
    "journal": ["journal", "--format", "csv"],
    "trial-balance": ["trial-balance", "--format", "xlsx"],
    "beancount": ["beancount"],
    "hledger": ["hledger"],
    "xaf": ["xaf"],
}


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> str:
    network = tmp_path / "network.toml"
    network.write_text(NETWORK_TOML, encoding="utf-8")
    ok(invoke(db_url, "init", str(network)))
    write_events(tmp_path / "events.csv", ["c1,2026-01-02,commitment,GEM,,1000.00,Toezegging,"])
    ok(invoke(db_url, "import", str(tmp_path / "events.csv")))
    return db_url


def _refused(url: str, folder: Path, *args: str, reason: str) -> None:
    before = sorted(path.name for path in folder.iterdir())
    result = invoke(url, "export", *args)
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert "Traceback" not in result.output
    assert sorted(path.name for path in folder.iterdir()) == before  # no file, no leftover


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_an_unknown_period_is_refused(ledger: str, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out" / "file"
    out.parent.mkdir()
    for period in ("26", "2026-01", "year", "1999"):
        _refused(
            ledger,
            out.parent,
            *COMMANDS[kind],
            *("--period", period, "--out", str(out)),
            reason="is not a calendar year",
        )
    assert as_json(invoke(ledger, "exports", "list", "--json")) == []


def test_an_unknown_fund_or_format_is_refused(ledger: str, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "journal.csv"
    out.write_text("an older export\n", encoding="utf-8")
    _refused(
        ledger,
        folder,
        *("journal", "--format", "csv", "--fund", "NOPE", "--out", str(out)),
        reason="unknown fund 'NOPE': the ledger's funds are NET, GEM, ZVK, ZONMW",
    )
    assert out.read_text(encoding="utf-8") == "an older export\n"  # untouched
    _refused(ledger, folder, "journal", "--format", "ods", "--out", str(out), reason="'ods'")
    _refused(
        ledger,
        folder,
        *("trial-balance", "--format", "parquet", "--out", str(out)),
        reason="'parquet'",
    )
    _refused(
        ledger,
        folder,
        *("trial-balance", "--format", "csv", "--by", "colour", "--out", str(out)),
        reason="'colour'",
    )
    _refused(ledger, folder, "xaf", "--xaf-version", "3.1", "--out", str(out), reason="'3.1'")
    assert as_json(invoke(ledger, "exports", "list", "--json")) == []


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_an_unwritable_path_is_refused(ledger: str, tmp_path: Path, kind: str) -> None:
    missing = tmp_path / "no-such-folder" / "file"
    _refused(
        ledger,
        tmp_path,
        *COMMANDS[kind],
        "--out",
        str(missing),
        reason="does not exist",
    )
    assert not missing.parent.exists()
    _refused(ledger, tmp_path, *COMMANDS[kind], "--out", str(tmp_path), reason="directory")


def test_an_export_needs_a_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    out = tmp_path / "out" / "journal.csv"
    out.parent.mkdir()
    result = invoke(url, "export", "journal", "--format", "csv", "--out", str(out))
    assert result.exit_code == 2 and "netfund init" in result.output
    assert list(out.parent.iterdir()) == []


def test_the_exports_log_is_append_only(ledger: str, tmp_path: Path) -> None:
    ok(invoke(ledger, "export", "beancount", "--out", str(tmp_path / "l.beancount")))
    engine = create_engine(ledger.replace("postgresql://", "postgresql+psycopg://"))
    try:
        for statement in ("UPDATE exports SET row_count = 0", "DELETE FROM exports"):
            with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    assert len(as_json(invoke(ledger, "exports", "list", "--json"))) == 1
