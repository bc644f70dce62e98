"""bank-rules.toml: every refusal names its file and line, the first matching rule decides,
and a pattern that could backtrack for minutes is refused before any line is matched."""

from __future__ import annotations

from pathlib import Path

import pytest
from netfund.ledger import (
    InputError,
    Network,
    connect,
    import_events,
    import_parsed,
    initialize,
    load_bank_rules,
    load_network,
    unmatched_lines,
)
from netfund.ledger.bank.rules import MATCH_TEXT_LENGTH_MAX, PATTERN_LENGTH_MAX
from netfund.ledger.store.schema import bank_lines_table, transactions_table
from sqlalchemy import select

from tests.conftest import NETWORK_TOML, write_events
from tests.support.bank_statements import (
    LANDLORD_IBAN,
    SUPPLIER_IBAN,
    line,
    statement,
    with_bank,
    write_rules,
)


@pytest.fixture
def network(tmp_path: Path) -> Network:
    path = tmp_path / "network.toml"
    path.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    return load_network(path)


def _refusals(tmp_path: Path, network: Network, text: str) -> list[str]:
    path = write_rules(tmp_path / "bank-rules.toml", text)
    with pytest.raises(InputError) as caught:
        load_bank_rules(path, network)
    return [str(problem) for problem in caught.value.problems]


def test_every_refusal_names_its_line_and_key(tmp_path: Path, network: Network) -> None:
    text = """\
# line 1
[[rules]]
iban = "NL00 BANK 0000 0000 00"
group = "WG-A"

[[rules]]
name = "verhuur"
group = "NOPE"

[[rules]]
remittance = "huur ("
group = "WG-A"

[[rules]]
name = "x"
group = "WG-B"
funder = "ZONMW"

[[rules]]
name = "x"
group = "WG-A"
funder = "NOBODY"

[[rules]]
name = "x"
group = "WG-A"
colour = "red"

[[rules]]
name = 12
group = "WG-A"

[[rules]]
name = "x"
direction = "credit"
group = "WG-A"

[[rules]]
group = "WG-A"

[[rules]]
name = "x"

[[rules]]
name = "x"
direction = "sideways"
group = 7
"""
    found = _refusals(tmp_path, network, text)
    where = "bank-rules.toml"
    expected = [
        (3, "rules[0].iban", "is not a valid IBAN"),
        (8, "rules[1].group", "unknown group 'NOPE'"),
        (11, "rules[2].remittance", "not a valid regular expression: missing ), unterminated"),
        (17, "rules[3].funder", "ZONMW's earmark does not include group 'WG-B'"),
        (22, "rules[4].funder", "unknown funder 'NOBODY'"),
        (27, "rules[5].colour", "unknown key 'colour'"),
        (30, "rules[6].name", "must be a string"),
        (35, "rules[7].direction", "takes debits only"),
        (38, "rules[8]", "at least one of 'iban', 'name' and 'remittance'"),
        (41, "rules[9]", "'group' is required"),
        (46, "rules[10].direction", "must be 'debit' or 'credit', not 'sideways'"),
        (47, "rules[10].group", "must be a string, not int"),
    ]
    assert len(found) == len(expected), found
    for number, key, message in expected:
        assert any(
            text.startswith(f"{tmp_path / where}:{number}: {key}: ") and message in text
            for text in found
        ), (number, key, message, found)


def test_a_file_that_is_not_rules_is_refused_with_its_line(
    tmp_path: Path, network: Network
) -> None:
    [problem] = _refusals(tmp_path, network, 'rules = "all of them"\n')
    assert problem.startswith(f"{tmp_path / 'bank-rules.toml'}:1: rules: ")
    [problem] = _refusals(tmp_path, network, '[[rules]]\nname = "x"\ngroup = "WG-A"\n[oops\n')
    assert problem.startswith(f"{tmp_path / 'bank-rules.toml'}:4: invalid TOML")


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a+)+b", "a repetition inside a repetition"),
        ("(x|xy)*z", "an alternation inside a repetition"),
        (r"(huur)\s\1", "a backreference"),
        (".*x.*", "more than 1 unbounded repetition"),
        ("a{1,500}b", "combine 500 ways at one place"),
        ("a{0,9}a{0,9}a{0,9}.*x", "combine 1000 ways"),
        ("(ab|c)(de|f)(gh|i)(jk|l)(mn|o)(pq|r)(st|u)", "combine 128 ways"),
        ("(a?)*b", "a repetition inside a repetition"),
        ("x" * (PATTERN_LENGTH_MAX + 1), f"at most {PATTERN_LENGTH_MAX}"),
        ("", "must not be empty"),
    ],
)
def test_a_pattern_that_can_backtrack_for_minutes_is_refused(
    tmp_path: Path, network: Network, pattern: str, why: str
) -> None:
    [problem] = _refusals(
        tmp_path, network, f"[[rules]]\ngroup = 'WG-A'\nremittance = '{pattern}'\n"
    )
    assert problem.startswith(f"{tmp_path / 'bank-rules.toml'}:3: rules[0].remittance: ")
    assert why in problem


def test_ordinary_patterns_pass(tmp_path: Path, network: Network) -> None:
    text = "".join(
        f"[[rules]]\ngroup = 'WG-A'\nremittance = '{pattern}'\n"
        for pattern in (
            "huur .* (kantoor|ruimte)",
            "^factuur [0-9]{4,8}$",
            "(?:abonnement|licentie) 20[0-9]{2}.*",
            "b\\.?v\\.? [0-9]{4,8}",
            "[a-z]+ b\\.v\\.",
        )
    )
    rules = load_bank_rules(write_rules(tmp_path / "bank-rules.toml", text), network)
    assert [rule.line for rule in rules.rules] == [1, 4, 7, 10, 13]


RULES = f"""\
# huur first: the more specific rule above the general one
[[rules]]
name = "verhuur"
remittance = "huur .* (kantoor|ruimte)"
group = "PMO"
funder = "GEM"
description = "Huur kantoor"

[[rules]]
iban = "{" ".join(LANDLORD_IBAN[i : i + 4] for i in range(0, len(LANDLORD_IBAN), 4))}"
group = "WG-B"

[[rules]]
remittance = "^INV-[0-9]+$"
group = "WG-A"
"""


def test_the_first_matching_rule_decides_and_all_its_conditions_must_hold(
    tmp_path: Path, network: Network
) -> None:
    rules = load_bank_rules(write_rules(tmp_path / "bank-rules.toml", RULES), network)
    source = str(tmp_path / "bank-rules.toml")
    # Name and remittance both match (case-insensitive): the first rule, though the IBAN
    # matches the second too.
    both = line("L1", "2026-03-01", -90_000, iban=LANDLORD_IBAN, name="ACME Verhuur B.V.",
                remittance="Huur maart KANTOOR")  # fmt: skip
    first = rules.match(both)
    assert first is not None
    assert (first.group, first.funder, first.description) == ("PMO", "GEM", "Huur kantoor")
    assert (first.where, first.line) == (f"{source}:2", 2)
    # The name matches, the remittance not: the first rule does not apply; the IBAN's does.
    second = rules.match(
        line("L2", "2026-03-01", -1_000, iban=LANDLORD_IBAN, name="Verhuur", remittance="borg")
    )
    assert second is not None
    assert (second.group, second.funder, second.description, second.line) == (
        "WG-B", None, None, 9)  # fmt: skip
    # The remittance pattern is searched in the end-to-end id and structured reference too.
    third = rules.match(line("L3", "2026-03-01", -500, iban=SUPPLIER_IBAN, end_to_end_id="INV-7"))
    assert third is not None and third.line == 13
    # Nothing matches; and a credit never does, whatever it says.
    assert (
        rules.match(line("L4", "2026-03-01", -500, iban=SUPPLIER_IBAN, remittance="INV-7 x"))
        is None
    )
    assert rules.match(line("L5", "2026-03-01", 500, iban=LANDLORD_IBAN)) is None


def test_only_the_first_part_of_a_long_text_is_searched(tmp_path: Path, network: Network) -> None:
    text = '[[rules]]\nremittance = "needle"\ngroup = "WG-A"\n'
    rules = load_bank_rules(write_rules(tmp_path / "bank-rules.toml", text), network)
    near = "x" * (MATCH_TEXT_LENGTH_MAX - 6) + "needle"
    assert rules.match(line("N1", "2026-03-01", -1, remittance=near)) is not None
    assert rules.match(line("N2", "2026-03-01", -1, remittance="x" + near)) is None


def test_the_importer_books_a_debit_by_its_rule_and_names_it(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "network.toml"
    path.write_text(with_bank(NETWORK_TOML), encoding="utf-8")
    engine = connect(db_url)
    try:
        initialize(engine, load_network(path))
        import_events(engine, write_events(tmp_path / "events.csv", [
            "C-GEM,2026-01-05,commitment,GEM,,1000.00,Toezegging,",
            "R-GEM,2026-01-10,receipt,GEM,,1000.00,Ontvangst,",
            "A-GEM,2026-01-11,allocation,GEM,WG-A,900.00,Toewijzing,",
            "A-PMO,2026-01-11,allocation,GEM,PMO,100.00,Toewijzing,",
        ]))  # fmt: skip
        rules = write_rules(tmp_path / "bank-rules.toml", RULES)
        lines = [
            line(
                "H1",
                "2026-03-02",
                -9_000,
                iban=LANDLORD_IBAN,
                name="Verhuur BV",
                remittance="huur maart ruimte",
            ),
            line("H2", "2026-03-03", -700, iban=SUPPLIER_IBAN, remittance="INV-9 en meer"),
        ]
        report = import_parsed(
            engine,
            [statement("S", 100_000, lines, start="2026-03-01", end="2026-03-31")],
            "s.xml",
            rules_path=rules,
        )
        assert report.posted == 1
        b, t = bank_lines_table.c, transactions_table.c
        with engine.connect() as connection:
            status, txn, explanation = connection.execute(
                select(b.status, b.txn_external_id, b.explanation).where(b.ref == "H1")
            ).one()
            booked = connection.execute(
                select(t.type, t.group, t.funder, t.description).where(t.external_id == txn)
            ).one()
        assert status == "booked" and f"rule {rules}:2" in explanation
        assert tuple(booked) == ("expense", "PMO", "GEM", "Huur kantoor")
        assert [item.line.ref for item in unmatched_lines(engine)] == ["H2"]
    finally:
        engine.dispose()
