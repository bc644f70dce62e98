"""The checkpoint file: where it is, what a line holds, how it is written, and how verify
reads it (store/checkpoints.py, verification/anchors.py)."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.store.checkpoints import CHAINS, append_line
from netfund.ledger.store.database import checkpoint_file, checkpoints_of, connect
from sqlalchemy.engine import make_url

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import PLAN, run_cli, transaction_count, write_text
from tests.support.tamper import EVENTS_2026

#: Transactions `_ledger` imports.
IMPORTED = len(EVENTS_2026.splitlines())


def _ledger(folder: Path, env: dict[str, str] | None = None) -> str:
    url = f"sqlite:///{folder / 'ledger.db'}"
    for args in (
        ("init", str(write_text(folder / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(folder / "events.csv", EVENTS_HEADER + EVENTS_2026))),
    ):
        result = run_cli(url, *args, env=env)
        assert result.exit_code == 0, result.output
    return url


def _ledger_with_line(folder: Path, line: bytes) -> tuple[str, Path]:
    """A ledger whose checkpoint file has ``line`` appended behind netfund's back."""
    url = _ledger(folder)
    path = folder / "ledger.db.checkpoints"
    with path.open("ab") as file:
        file.write(line)
    return url, path


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("sqlite:///data/ledger.db", None, "data/ledger.db.checkpoints"),
        ("sqlite:///file:data/l.db?mode=rwc&uri=true", None, "data/l.db.checkpoints"),
        ("sqlite:///data/ledger.db", "elsewhere/cp", "elsewhere/cp"),
        ("sqlite://", None, None),
        ("sqlite:///:memory:", None, None),
        ("postgresql+psycopg://u@h/db", None, None),
        ("postgresql+psycopg://u@h/db", "/srv/netfund/cp", "/srv/netfund/cp"),
    ],
)
def test_where_the_checkpoint_file_is(
    url: str, env: str | None, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv("NETFUND_CHECKPOINTS", raising=False)
    else:
        monkeypatch.setenv("NETFUND_CHECKPOINTS", env)
    found = checkpoint_file(make_url(url))
    assert found == (None if expected is None else Path(expected).absolute())
    assert checkpoint_file(make_url(url), "given") == Path("given").absolute()


def test_the_global_option_overrides_the_environment(tmp_path: Path) -> None:
    chosen, ignored = tmp_path / "chosen", tmp_path / "ignored"
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    network = str(write_text(tmp_path / "network.toml", NETWORK_TOML))
    result = run_cli(
        url,
        "--checkpoints",
        str(chosen),
        "init",
        network,
        env={"NETFUND_CHECKPOINTS": str(ignored)},
    )
    # run_cli puts --db first; --checkpoints after it is still the group's option.
    assert result.exit_code == 0, result.output
    assert chosen.is_file() and not ignored.exists()
    assert not (tmp_path / "ledger.db.checkpoints").exists()


def test_each_write_appends_one_line_with_the_head(tmp_path: Path) -> None:
    url = _ledger(tmp_path)
    engine = connect(url)
    path = checkpoints_of(engine)
    engine.dispose()
    assert path == tmp_path / "ledger.db.checkpoints"
    lines = [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]
    # init (the schema, then the network) on the empty chain, then the import.
    assert [line["transactions"]["id"] for line in lines] == [0, 0, IMPORTED]
    assert lines[0]["transactions"]["hash"] == GENESIS_HASH
    assert all(set(line) == {"time", *CHAINS} for line in lines)
    verified = json.loads(run_cli(url, "verify", "--json").stdout)
    assert lines[-1]["transactions"]["hash"] == verified["fingerprint"]
    assert verified["anchors"] == 3 * len(CHAINS) and verified["checkpoints"] == str(path)


def test_a_new_file_is_the_owners_alone_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        append_line(tmp_path / "cp", b"one\n")
        append_line(tmp_path / "cp", b"two\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "cp").stat().st_mode) == 0o600
    assert (tmp_path / "cp").read_bytes() == b"one\ntwo\n"


def test_an_existing_files_permissions_are_left_as_the_administrator_set_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cp"
    path.write_bytes(b"")
    path.chmod(0o640)
    append_line(path, b"line\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_failed_append_warns_and_the_write_stands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The import has committed when the append fails: exiting non-zero would tell the user
    it did not happen. It is a warning, and the next write's line covers it."""
    unwritable = tmp_path / "no such folder" / "cp"
    with caplog.at_level(logging.WARNING, logger="netfund.checkpoints"):
        url = _ledger(tmp_path, env={"NETFUND_CHECKPOINTS": str(unwritable)})
    assert transaction_count(url) == IMPORTED
    warnings = [record.getMessage() for record in caplog.records]
    assert any("was stored" in message and str(unwritable) in message for message in warnings)
    assert not unwritable.exists()


def test_a_line_that_is_not_a_checkpoint_is_left_out_and_named(tmp_path: Path) -> None:
    """It cannot anchor anything, and refusing the file would stop every later verify."""
    url, path = _ledger_with_line(
        tmp_path, b'{"time":"2026-12-01T00:00:00Z","transactions":{"id":"16"}}\n'
    )
    result = run_cli(url, "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["unreadable_checkpoint_lines"] == [f"{path}:4"]
    assert f"{path}:4: not a checkpoint line" in result.stderr


def test_an_append_after_a_torn_one_starts_a_line_of_its_own(tmp_path: Path) -> None:
    """A power cut during an append leaves a line without its end: the next append must not
    run on into it, or two checkpoints would be lost instead of one."""
    url, path = _ledger_with_line(tmp_path, b'{"time":"2026-12-01T00:00:00Z","transac')
    torn = run_cli(url, "verify", "--json")
    assert torn.exit_code == 0, torn.output
    assert json.loads(torn.stdout)["unreadable_checkpoint_lines"] == [f"{path}:4"]
    late = write_text(
        tmp_path / "late.csv", EVENTS_HEADER + "late,2026-12-30,receipt,GEM,,1.00,,\n"
    )
    assert run_cli(url, "import", str(late)).exit_code == 0
    lines = path.read_bytes().split(b"\n")
    assert json.loads(lines[4])["transactions"]["id"] == IMPORTED + 1
    verified = json.loads(run_cli(url, "verify", "--json").stdout)
    assert verified["anchors"] == 4 * len(CHAINS)
    assert verified["unreadable_checkpoint_lines"] == [f"{path}:4"]


def test_a_file_without_a_checkpoint_line_is_bad_input(tmp_path: Path) -> None:
    url = _ledger(tmp_path)
    (tmp_path / "ledger.db.checkpoints").write_bytes(b"")
    result = run_cli(url, "verify")
    assert result.exit_code == 2, result.output
    assert "holds no checkpoint line" in result.output, result.output


def test_an_anchor_file_that_is_neither_is_bad_input(tmp_path: Path) -> None:
    url = _ledger(tmp_path)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4\nnot really\n")
    not_checkpoints = write_text(tmp_path / "events-copy.csv", EVENTS_HEADER + EVENTS_2026)
    for path in (fake, tmp_path / "missing.checkpoints", not_checkpoints):
        result = run_cli(url, "verify", "--anchor", str(path))
        assert result.exit_code == 2, result.output
        assert str(path) in result.output, result.output


def test_verify_notes_a_missing_checkpoint_file(tmp_path: Path) -> None:
    url = _ledger(tmp_path)
    (tmp_path / "ledger.db.checkpoints").unlink()
    result = run_cli(url, "verify", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["checkpoints"] is None
    assert "no checkpoint file" in result.stderr


def test_every_kind_of_write_leaves_the_head_it_made_as_the_last_line(tmp_path: Path) -> None:
    """The hook is in the one transaction opener every writer uses: init, an import, post,
    reverse, an allocation run stored and committed, an export recorded, a period closed."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    path = tmp_path / "ledger.db.checkpoints"
    money = "c,2026-01-05,commitment,GEM,,1000.00,,\nr,2026-01-20,receipt,GEM,,1000.00,,\n"
    post_lines = ("--line", "Assets:Bank,NET,,1.00", "--line", "Income:Interest,NET,,-1.00")
    steps = [
        ("init", str(write_text(tmp_path / "network.toml", NETWORK_TOML))),
        ("import", str(write_text(tmp_path / "events.csv", EVENTS_HEADER + money))),
        ("post", "P-1", "--date", "2026-06-01", "-d", "x", *post_lines),
        ("reverse", "P-1", "--date", "2026-06-02"),
        ("allocate", str(write_text(tmp_path / "plan.toml", PLAN))),
        ("allocate", "--commit", "latest", "--date", "2026-06-03"),
        ("export", "journal", "--format", "csv", "--out", str(tmp_path / "j.csv")),
        ("close", "2026", "--force", "--reason", "closed early in a test"),
    ]
    for args in steps:
        before = len(path.read_bytes().splitlines()) if path.exists() else 0
        result = run_cli(url, *args, "--json")
        assert result.exit_code == 0, (args, result.output)
        lines = path.read_bytes().splitlines()
        assert len(lines) >= before + 1, args
        head = json.loads(run_cli(url, "verify", "--json").stdout)
        assert json.loads(lines[-1])["transactions"]["hash"] == head["fingerprint"], args
