"""``[[indicators]]`` in network.toml (issue 20): what a group agreed to watch, checked with
its line like the rest of the file, and part of the network record only when declared (the
records stored before keep their hashes)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from netfund.ledger import InputError, load_network
from netfund.ledger.inputs.network_diff import describe_changes
from netfund.ledger.store.registry import network_document, network_from_document

from tests.conftest import NETWORK_TOML

WACHTTIJD = """
[[indicators]]
code = "WACHTTIJD"
name = { nl = "Wachttijd voordeur", en = "Waiting time at the front door" }
unit = { nl = "dagen", en = "days" }
better = "lower"
aim = "experience"
kind = "level"
groups = ["WG-A", "WG-B"]
references = { 2026 = 14.5, 2027 = 10 }
"""

BEREIK = """
[[indicators]]
code = "BEREIK"
name = { nl = "Bereikte inwoners", en = "Residents reached" }
unit = { nl = "inwoners", en = "residents" }
better = "higher"
aim = "health"
kind = "count"
groups = ["WG-A"]
cost_per_unit = true
"""


def _load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "network.toml"
    path.write_text(NETWORK_TOML + extra, encoding="utf-8")
    return load_network(path)


def _problems(tmp_path: Path, extra: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, extra)
    return [str(problem) for problem in caught.value.problems]


def _line(extra: str, text: str) -> int:
    """The line of ``text`` in NETWORK_TOML + ``extra``."""
    return (NETWORK_TOML + extra).splitlines().index(text) + 1


def test_indicators_are_read_with_every_field(tmp_path: Path) -> None:
    network = _load(tmp_path, WACHTTIJD + BEREIK)
    wachttijd, bereik = network.indicators
    assert wachttijd.code == "WACHTTIJD"
    assert (wachttijd.name("nl"), wachttijd.name("en")) == (
        "Wachttijd voordeur",
        "Waiting time at the front door",
    )
    assert (wachttijd.unit("nl"), wachttijd.unit("en")) == ("dagen", "days")
    assert (wachttijd.better, wachttijd.aim, wachttijd.kind) == ("lower", "experience", "level")
    assert wachttijd.groups == ("WG-A", "WG-B")
    # Exact decimals, never floats: 14.5 is Decimal("14.5").
    assert wachttijd.reference("2026") == Decimal("14.5")
    assert wachttijd.reference("2027") == Decimal("10")
    assert wachttijd.reference("2028") is None
    assert not wachttijd.cost_per_unit
    assert bereik.cost_per_unit and bereik.references == ()
    assert network.indicators_of("WG-A") == (wachttijd, bereik)
    assert network.indicators_of("WG-B") == (wachttijd,)
    assert network.indicators_of("PMO") == ()
    assert network.indicator("BEREIK") is bereik
    assert network.indicator("NONE") is None


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    bad = """
[[indicators]]
code = "BAD"
name = "Wachttijd"
unit = { nl = "dagen" }
better = "up"
aim = "happiness"
kind = "level"
groups = ["WG-A", "WG-Z"]
references = { 2026 = "veel" }
cost_per_unit = true
"""
    problems = _problems(tmp_path, bad)
    path = str(tmp_path / "network.toml")

    def at(text: str) -> str:
        return f"{path}:{_line(bad, text)}: indicators[0]."

    assert problems == [
        at('name = "Wachttijd"') + "name: 'name' must name both languages: "
        'name = { nl = "...", en = "..." }',
        at('unit = { nl = "dagen" }') + "unit: 'unit' needs a non-empty en text",
        at('better = "up"') + "better: 'better' must be one of higher, lower, not 'up'",
        at('aim = "happiness"')
        + "aim: 'aim' must be one of experience, health, cost, work, not 'happiness'",
        at('groups = ["WG-A", "WG-Z"]') + "groups: unknown group(s) WG-Z: not among [[groups]]",
        at('references = { 2026 = "veel" }')
        + "references: the reference point for 2026 must be a number, not 'veel'",
        at("cost_per_unit = true") + "cost_per_unit: a cost per unit needs a count where higher "
        'is better (kind = "count", better = "higher"): euro per resident reached, not per day '
        "of waiting",
    ]


def test_a_code_twice_and_a_reference_with_too_many_decimals_are_refused(tmp_path: Path) -> None:
    twice = WACHTTIJD + WACHTTIJD.replace("14.5", "14.12345")
    problems = _problems(tmp_path, twice)
    assert any("indicators[1].references: the reference point for 2026: value '14.12345' has "
               "more than 4 decimals" in p for p in problems), problems  # fmt: skip
    assert any("indicators[1].code: indicator WACHTTIJD is named twice (also indicators[0])" in p
               for p in problems), problems  # fmt: skip


def test_a_reference_for_something_that_is_not_a_period_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, WACHTTIJD.replace("2027 = 10", "volgend = 10"))
    assert len(problems) == 1 and "indicators[0].references" in problems[0], problems


def test_the_network_record_holds_indicators_only_when_declared(tmp_path: Path) -> None:
    plain = _load(tmp_path, "")
    assert "indicators" not in network_document(plain)  # older records keep their hashes
    declared = _load(tmp_path, WACHTTIJD + BEREIK)
    document = network_document(declared)
    assert document["indicators"][0]["references"] == {"2026": "14.5", "2027": "10"}
    assert network_from_document(document) == declared


def test_a_changed_indicator_is_said_in_the_words_of_the_file(tmp_path: Path) -> None:
    old = _load(tmp_path, WACHTTIJD)
    new = _load(tmp_path, WACHTTIJD.replace("14.5", "12") + BEREIK)
    assert describe_changes(old, new) == [
        "indicator WACHTTIJD references: {2026 = 14.5, 2027 = 10} -> {2026 = 12, 2027 = 10}",
        "new indicator BEREIK (Bereikte inwoners)",
    ]
