"""The ``[approvals]`` table of network.toml (issue 17): parsed with file:line errors, kept
out of the network document when absent (records stored before keep their bytes), versioned
with the network like every other setting.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from netfund.ledger import Approvals, InputError, load_network
from netfund.ledger.store.registry import network_document, network_from_document

from tests.conftest import EVENTS_HEADER, EXAMPLE, NETWORK_TOML
from tests.support.reliability import run_cli, write_text

FULL = """
[approvals]
allocation_commit = true
close = true
reopen = false
post_above = "10000.00"
reverse_above = 250
"""


def _network(tmp_path: Path, extra: str) -> Any:
    return load_network(write_text(tmp_path / "network.toml", NETWORK_TOML + extra))


def test_the_table_is_read_in_cents(tmp_path: Path) -> None:
    network = _network(tmp_path, FULL)
    assert network.approvals == Approvals(
        allocation_commit=True,
        close=True,
        reopen=False,
        post_above_cents=1_000_000,
        reverse_above_cents=25_000,
    )
    every_post = _network(tmp_path, '\n[approvals]\npost_above = "0.00"\n')
    assert every_post.approvals == Approvals(post_above_cents=0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('close = "yes"', "'close' must be true or false"),
        ("post_above = 10000.5", "amount must be exact"),
        ('post_above = "-5.00"', "must be positive"),
        ('reverse_above = "10.001"', "more than two decimals"),
        ("second_person = true", "unknown key 'second_person'"),
    ],
)
def test_a_bad_value_is_a_problem_on_its_line(tmp_path: Path, line: str, message: str) -> None:
    text = NETWORK_TOML + "\n[approvals]\nallocation_commit = true\n" + line + "\n"
    with pytest.raises(InputError) as raised:
        load_network(write_text(tmp_path / "network.toml", text))
    [problem] = raised.value.problems
    assert message in problem.message
    assert problem.line == len(text.splitlines())  # the line of the bad key


def test_a_network_without_the_table_keeps_its_document(tmp_path: Path) -> None:
    """No ``approvals`` key: every network record stored before issue 17 hashes the same."""
    plain = _network(tmp_path, "")
    assert plain.approvals is None
    assert "approvals" not in network_document(plain)
    with_table = _network(tmp_path, FULL)
    document = network_document(with_table)
    assert document["approvals"]["post_above_cents"] == 1_000_000
    assert network_from_document(json.loads(json.dumps(document))) == with_table
    assert network_from_document(network_document(plain)) == plain


BIG = (
    "--line",
    "Expenses:WG-A,GEM,WG-A,20000.00",
    "--line",
    "Assets:Bank,GEM,,-20000.00",
)


def test_the_version_in_force_for_the_period_decides(db_url: str, tmp_path: Path) -> None:
    """Four eyes from 2027 on: a big post in 2026 goes through, one in 2027 is a proposal."""
    _ok(db_url, "init", str(write_text(tmp_path / "network.toml", NETWORK_TOML)))
    events = EVENTS_HEADER + "c1,2026-01-05,commitment,GEM,,50000.00,,\n"
    _ok(db_url, "import", str(write_text(tmp_path / "events.csv", events)))
    later = write_text(tmp_path / "network-2027.toml", NETWORK_TOML + FULL)
    applied = _ok(db_url, "network", "apply", str(later), "--from", "2027", "--json")
    assert any(change.startswith("approvals: none -> {") for change in applied["changes"])
    posted = _ok(db_url, "post", "P-2026", "--date", "2026-06-01", "-d", "x", *BIG, "--json")
    assert posted["posted"] == 1
    proposed = _ok(db_url, "post", "P-2027", "--date", "2027-06-01", "-d", "x", *BIG, "--json")
    assert (proposed["proposal"], proposed["status"]) == (1, "waiting")


def _ok(db_url: str, *args: str) -> Any:
    result = run_cli(db_url, *args)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if "--json" in args else result.output


def test_the_example_four_eyes_network_is_the_example_with_the_table() -> None:
    """examples/saniveld/four-eyes.toml: network.toml and an [approvals] table, nothing else."""
    plain = load_network(EXAMPLE / "network.toml")
    four_eyes = load_network(EXAMPLE / "four-eyes.toml")
    assert four_eyes.approvals == Approvals(True, True, True, 1_000_000, 1_000_000)
    assert replace(four_eyes, approvals=None) == plain
    text = (EXAMPLE / "four-eyes.toml").read_text(encoding="utf-8")
    assert text.startswith((EXAMPLE / "network.toml").read_text(encoding="utf-8"))
