"""A network that changes (issue 16, item 5): dated versions, checked against their history.

`netfund network apply FILE --from YEAR` records a version that governs YEAR until a version
dated later; earlier years keep the settings they were written under. Run on SQLite and
PostgreSQL through the CLI, as the administrator uses it. Before this, `init` refused every
change to a stored funder (a name typo, next year's cap) with ``Decimal('0.08')`` in a message
that called the file network.toml and gave no line.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger import Network, NetworkTimeline, NetworkVersion
from netfund.ledger.store.database import connect
from netfund.ledger.store.records import Record
from sqlalchemy import text

from tests.conftest import EVENTS_HEADER, NETWORK_TOML
from tests.support.reliability import drop_guards, run_cli, write_text
from tests.support.tamper import EVENTS_2026

#: The ZONMW table's lines in NETWORK_TOML (conftest): its overhead cap and its earmark.
ZONMW_CAP_LINE = NETWORK_TOML.splitlines().index("overhead_cap = 0.10") + 1
ZONMW_EARMARK_LINE = NETWORK_TOML.splitlines().index('eligible_groups = ["WG-A", "PMO"]') + 1


def _ok(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def _refused(db_url: str, *args: str) -> str:
    result = run_cli(db_url, *args)
    assert result.exit_code == 2, (args, result.output)
    return str(result.output)


def _ledger(db_url: str, folder: Path) -> None:
    _ok(db_url, "init", str(write_text(folder / "network.toml", NETWORK_TOML)))
    _ok(db_url, "import", str(write_text(folder / "e.csv", EVENTS_HEADER + EVENTS_2026)))


def _changed(folder: Path, name: str, *edits: tuple[str, str]) -> str:
    content = NETWORK_TOML
    for old, new in edits:
        assert old in content, old
        content = content.replace(old, new)
    return str(write_text(folder / name, content))


def _versions(db_url: str) -> list[dict[str, Any]]:
    return _ok(db_url, "network", "versions", "--json")


def _status_names(db_url: str, period: str) -> dict[str, str]:
    status = _ok(db_url, "status", "--period", period, "--json")
    return {funder["funder"]: funder["name"] for funder in status["funders"]}


def test_a_change_governs_from_its_year_and_earlier_years_keep_theirs(
    db_url: str, tmp_path: Path
) -> None:
    _ledger(db_url, tmp_path)
    widened = _changed(
        tmp_path,
        "network-2027.toml",
        ('name = "ZonMw"', 'name = "ZonMw (Vitale regio)"'),
        ('eligible_groups = ["WG-A", "PMO"]', 'eligible_groups = ["WG-A", "WG-B", "PMO"]'),
    )
    applied = _ok(
        db_url, "network", "apply", widened, "--from", "2027", "--reason", "ronde 2", "--json"
    )
    assert applied["version"] == 2 and applied["effective_from"] == "2027"
    assert applied["replaces"] == 1 and applied["until"] is None
    assert applied["changes"] == [
        "funder ZONMW name: 'ZonMw' -> 'ZonMw (Vitale regio)'",
        "funder ZONMW eligible_groups: [PMO, WG-A] -> [PMO, WG-A, WG-B]",
    ]
    versions = _versions(db_url)
    assert [(v["version"], v["from"], v["reason"]) for v in versions] == [
        (1, "the beginning", ""),
        (2, "2027", "ronde 2"),
    ]
    assert versions[1]["file"] == widened and versions[1]["by"]
    # 2026 keeps ZONMW's earmark: WG-B is still refused there, and allowed in 2027.
    refused = _refused(
        db_url,
        "import",
        str(
            write_text(
                tmp_path / "b26.csv",
                EVENTS_HEADER + "z-b-26,2026-07-01,allocation,ZONMW,WG-B,100.00,B,Z-1\n",
            )
        ),
    )
    assert "earmark excludes group WG-B" in refused
    rows = (
        "c-zonmw-27,2027-01-06,commitment,ZONMW,,1000.00,Subsidie 2027,Z-27\n"
        "z-b-27,2027-02-01,allocation,ZONMW,WG-B,100.00,B,Z-2\n"
    )
    _ok(db_url, "import", str(write_text(tmp_path / "b27.csv", EVENTS_HEADER + rows)))
    assert _status_names(db_url, "2026")["ZONMW"] == "ZonMw"
    assert _status_names(db_url, "2027")["ZONMW"] == "ZonMw (Vitale regio)"
    _ok(db_url, "verify")


def test_a_change_that_contradicts_the_history_it_governs_is_refused_with_its_line(
    db_url: str, tmp_path: Path
) -> None:
    """2026 allocated ZONMW EUR 2,000 of 23,000 to overhead (8.7%) and EUR 21,000 to WG-A."""
    _ledger(db_url, tmp_path)
    lower_cap = _changed(tmp_path, "cap.toml", ("overhead_cap = 0.10", "overhead_cap = 0.05"))
    output = _refused(db_url, "network", "apply", lower_cap, "--from", "2026")
    assert f"cap.toml:{ZONMW_CAP_LINE}: " in output
    assert "ZONMW's overhead allocation in 2026 would be EUR 2,000.00 of EUR 23,000.00" in output
    assert "Decimal(" not in output
    narrowed = _changed(
        tmp_path, "earmark.toml", ('eligible_groups = ["WG-A", "PMO"]', 'eligible_groups = ["PMO"]')
    )
    output = _refused(db_url, "network", "apply", narrowed, "--from", "2026", "--json")
    problems = json.loads(output)["problems"] if output.lstrip().startswith("{") else None
    assert problems is not None, output
    assert any(
        p["line"] == ZONMW_EARMARK_LINE and "earmark excludes group WG-A" in p["message"]
        for p in problems
    ), problems
    assert [v["version"] for v in _versions(db_url)] == [1]
    # From a year with no such history, both changes are fine.
    _ok(db_url, "network", "apply", lower_cap, "--from", "2027")
    _ok(db_url, "network", "apply", narrowed, "--from", "2028")
    assert [(v["version"], v["from"]) for v in _versions(db_url)] == [
        (1, "the beginning"),
        (2, "2027"),
        (3, "2028"),
    ]


def test_a_closed_year_keeps_its_settings_and_missing_codes_are_refused(
    db_url: str, tmp_path: Path
) -> None:
    _ledger(db_url, tmp_path)
    _ok(db_url, "close", "2026", "--force", "--reason", "test closes early")
    renamed = _changed(
        tmp_path, "renamed.toml", ('name = "Gemeente"', 'name = "Gemeente Saniveld"')
    )
    output = _refused(db_url, "network", "apply", renamed, "--from", "2026")
    assert "period 2026 is closed" in output and "netfund reopen 2026" in output
    # The settings 2026 was closed with, applied again, are no change: nothing to refuse.
    unchanged = str(write_text(tmp_path / "same.toml", NETWORK_TOML))
    same = _ok(db_url, "network", "apply", unchanged, "--from", "2026", "--json")
    assert (same["version"], same["replaces"]) == (None, 1)
    without_zvk = NETWORK_TOML.replace(
        '[[funders]]\ncode = "ZVK"\nname = "Zorgverzekeraar"\nkind = "insurer"\n'
        'framework = "Zvw"\nunspent = "return"\n\n',
        "",
    )
    assert without_zvk != NETWORK_TOML
    output = _refused(
        db_url,
        "network",
        "apply",
        str(write_text(tmp_path / "n.toml", without_zvk)),
        "--from",
        "2027",
    )
    assert "funder ZVK (Zorgverzekeraar) is missing" in output
    applied = _ok(db_url, "network", "apply", renamed, "--from", "2027", "--json")
    assert applied["version"] == 2
    # The same file again changes nothing.
    assert _ok(db_url, "network", "apply", renamed, "--from", "2027", "--json")["version"] is None


def test_closing_uses_the_unspent_policy_in_force_for_the_year(db_url: str, tmp_path: Path) -> None:
    """ZONMW's money returns under version 1; a version from 2027 that carries it over does
    not change how 2026 closes."""
    _ledger(db_url, tmp_path)
    carry = _changed(
        tmp_path,
        "carry.toml",
        (
            'eligible_groups = ["WG-A", "PMO"]\nunspent = "return"',
            'eligible_groups = ["WG-A", "PMO"]\nunspent = "carry_over"',
        ),
    )
    _ok(db_url, "network", "apply", carry, "--from", "2027")
    closed = _ok(db_url, "close", "2026", "--force", "--reason", "test", "--json")
    zonmw = next(s for s in closed["settlements"] if s["fund"] == "ZONMW")
    assert zonmw["policy"] == "return"


def test_a_later_apply_for_an_earlier_year_governs_only_until_the_later_version(
    db_url: str, tmp_path: Path
) -> None:
    _ledger(db_url, tmp_path)
    v2 = _changed(tmp_path, "v2.toml", ('name = "Gemeente"', 'name = "Gemeente 2028"'))
    v3 = _changed(tmp_path, "v3.toml", ('name = "Gemeente"', 'name = "Gemeente 2027"'))
    _ok(db_url, "network", "apply", v2, "--from", "2028")
    applied = _ok(db_url, "network", "apply", v3, "--from", "2027", "--json")
    assert (applied["effective_from"], applied["until"]) == ("2027", "2028")
    names = {p: _status_names(db_url, p)["GEM"] for p in ("2026", "2027", "2028", "2030")}
    assert names == {
        "2026": "Gemeente",
        "2027": "Gemeente 2027",
        "2028": "Gemeente 2028",
        "2030": "Gemeente 2028",
    }


def test_init_with_a_changed_file_names_it_and_points_to_network_apply(
    db_url: str, tmp_path: Path
) -> None:
    _ledger(db_url, tmp_path)
    changed = _changed(
        tmp_path, "mijn-netwerk.toml", ("overhead_cap = 0.10", "overhead_cap = 0.08")
    )
    output = _refused(db_url, "init", changed)
    assert "mijn-netwerk.toml: " in output
    assert "funder ZONMW overhead_cap: 0.10 -> 0.08" in output
    assert "netfund network apply" in output and "Decimal(" not in output
    assert "network.toml" not in output.replace("mijn-netwerk.toml", "")


def test_verify_holds_every_version_to_its_record(db_url: str, tmp_path: Path) -> None:
    """A mirror row of version 2 changed behind netfund's back is found; a version row without
    a record is refused by the database."""
    _ledger(db_url, tmp_path)
    renamed = _changed(tmp_path, "r.toml", ('name = "Gemeente"', 'name = "Gemeente Saniveld"'))
    _ok(db_url, "network", "apply", renamed, "--from", "2027")
    engine = connect(db_url)
    try:
        with pytest.raises(Exception, match="network_versions"), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO network_versions (version, record_seq, effective_from, "
                    "name, currency, language, population, overhead_cap) "
                    "VALUES (3, 99, '2029', 'X', 'EUR', 'nl', NULL, '0.9')"
                )
            )
        drop_guards(engine)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE funders SET name = 'Anders' WHERE version = 2 AND code = 'GEM'")
            )
    finally:
        engine.dispose()
    result = run_cli(db_url, "verify")
    assert result.exit_code == 4, result.output
    assert "funders: version 2 GEM name is 'Anders' in the table" in result.output


def _version(number: int, effective_from: str | None, name: str) -> NetworkVersion:
    network = Network(
        name=name, currency="EUR", language="nl", population=None, overhead_cap=Decimal("0.15")
    )
    record = Record(seq=number, kind="network", content={}, transaction_head=0, hash="")
    return NetworkVersion(number, effective_from, network, record)


def test_the_version_for_a_period_is_the_latest_dated_one_before_it() -> None:
    timeline = NetworkTimeline(
        (
            _version(1, None, "one"),
            _version(2, "2027", "two"),
            _version(3, "2026", "three"),
            _version(4, "2027", "four"),
        )
    )
    chosen = {p: timeline.for_period(p).name for p in ("2025", "2026", "2026-Q3", "2027", "2031")}
    assert chosen == {
        "2025": "one",
        "2026": "three",
        "2026-Q3": "three",
        "2027": "four",
        "2031": "four",
    }
    assert timeline.newest.version == 4
