"""``bank-rules.toml``: how the administrator books the bank lines netfund cannot match itself.

Like hledger's CSV rules: a list of ``[[rules]]``, each naming what a line looks like (the
other party's IBAN, a pattern in its name, a pattern in its remittance) and the group the
money is booked on. The first rule that matches a line decides, in file order, so a specific
rule goes above a general one. A rule books an expense: the debit of a line it matches is
spent by the group (of one funder's money, or pro rata like any expense without a funder).

    [[rules]]
    iban = "NL20 INGB 0001 2345 67"        # the other party's account (compact compare)
    name = "verhuur"                        # regex, case-insensitive, searched in the name
    remittance = "huur .* (kantoor|ruimte)" # regex, searched in the remittance, the
                                            # structured reference and the end-to-end id
    direction = "debit"                     # the only direction a rule books (see below)
    group = "PROGRAMMABUREAU"               # required
    funder = "GEM-SANIVELD-WMO"             # optional
    description = "Huur kantoor"            # optional: else the line's name and remittance

The file is checked against the network (its newest version: a rule books today's lines)
before any line is matched: every problem is reported as ``bank-rules.toml:LINE: key:
message`` at once, the way `network.toml` is (`inputs/network.py`'s checker), and nothing is
booked while one remains.

Why credits are refused: money in is a funder's receipt, matched to its instalments by the
IBAN it pays from (network.toml ``ibans``); a rule booking a credit on a group would have to
be a negative expense, which the ledger's statements would show as spending going down. Until
there is a real case, ``direction = "credit"`` is an error that says so.

Regular expressions are Python's ``re`` (case-insensitive), which backtracks: a pattern like
``(a+)+b`` takes exponential time, and even ``.*.*.*x`` takes a minute on 1,000 characters.
Patterns come from the administrator, but the text comes from the bank (a payer chooses the
remittance), so three limits keep a match fast whatever a line holds:

- a pattern is at most `PATTERN_LENGTH_MAX` characters;
- it has no repetition inside a repetition, no alternation inside a repetition and no
  backreference (the shapes that backtrack exponentially); at most one unbounded
  repetition (``*``, ``+``, ``{n,}``: each multiplies the work by the text's length, so a
  second makes it cubic: ``.*.*x`` took 1.6 to 6 seconds on 1,000 characters); and its
  bounded repetitions and alternatives combine at most `COMBINATIONS_MAX` ways at one place
  (``a{0,9}a{0,9}a{0,9}.*x``, 1,000 ways, took 17 seconds);
- it is matched against at most `MATCH_TEXT_LENGTH_MAX` characters of a field (SEPA's fields
  are shorter: 140 characters of remittance, 70 of name).

Measured on 1,000 characters of hostile text, the worst pattern these limits let through
takes under a second per field (``a{0,9}.*a{0,9}x``: 0.5 to 0.9 s); on SEPA's 140 characters, a few
milliseconds. Ordinary patterns (``huur .* (kantoor|ruimte)``) take microseconds.
"""

from __future__ import annotations

import re
import re._parser as re_parser  # the stdlib's own parse tree of a pattern (3.11+)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.ledger.bank.model import BankLine
from netfund.ledger.inputs.network import Network, _Checker
from netfund.ledger.inputs.toml_source import read_toml
from netfund.ledger.model.errors import InputError
from netfund.ledger.model.fields import FieldError
from netfund.ledger.model.iban import compact_account, parse_iban
from netfund.ledger.model.limits import DESCRIPTION_LENGTH_MAX

#: The longest pattern a rule may hold.
PATTERN_LENGTH_MAX = 200
#: How much of a line's field a pattern is matched against (the rest is not looked at).
MATCH_TEXT_LENGTH_MAX = 1_000
#: How many unbounded repetitions (``*``, ``+``, ``{n,}``) a pattern may hold.
UNBOUNDED_REPEATS_MAX = 1
#: The most ways a pattern's bounded repetitions and alternatives may combine at one place
#: (the product of their ranges and counts: ``[0-9]{4,8}`` is 5, ``(kantoor|ruimte)`` 2).
COMBINATIONS_MAX = 100

_FILE_KEYS = {"rules"}
_RULE_KEYS = {"iban", "name", "remittance", "direction", "group", "funder", "description"}
_DIRECTIONS = ("debit", "credit")
_REPEATS = {re_parser.MAX_REPEAT, re_parser.MIN_REPEAT, re_parser.POSSESSIVE_REPEAT}


@dataclass(frozen=True)
class BankRule:
    """One ``[[rules]]`` table, checked.

    Attributes:
        line: the line of its ``[[rules]]`` header.
        iban: the other party's compact IBAN, or None.
        name: the pattern searched in the other party's name, or None.
        remittance: the pattern searched in the remittance, structured reference and
            end-to-end id, or None.
        group: the group the line is booked on.
        funder: the funder whose money it is, or None (pro rata, as expenses are).
        description: the transaction's description, or None (the line's own words).
    """

    line: int
    iban: str | None
    name: re.Pattern[str] | None
    remittance: re.Pattern[str] | None
    group: str
    funder: str | None
    description: str | None

    def matches(self, line: BankLine) -> bool:
        """Whether every condition the rule gives holds for ``line`` (a debit)."""
        if line.amount_cents >= 0:
            return False
        if self.iban is not None and compact_account(line.counterparty_iban) != self.iban:
            return False
        if self.name is not None and not _search(self.name, line.counterparty_name):
            return False
        fields = (line.remittance, line.structured_reference, line.end_to_end_id)
        return self.remittance is None or any(_search(self.remittance, t) for t in fields)


@dataclass(frozen=True)
class RuleMatch:
    """What the rule that matched a line decides, and where it stands (for the explanation).

    Attributes:
        group: the group the expense is booked on.
        funder: the funder, or None (attributed pro rata).
        description: the rule's description, or None: the matcher then describes the
            transaction in the line's own words (name and remittance, `matching._said`), so
            there is one way of turning bank text into a description.
        source: the rules file.
        line: the line of the rule's ``[[rules]]`` header.
    """

    group: str
    funder: str | None
    description: str | None
    source: str
    line: int

    @property
    def where(self) -> str:
        """``bank-rules.toml:12``: how an explanation names the rule."""
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class BankRules:
    """A checked rules file: its rules in file order."""

    source: str
    rules: tuple[BankRule, ...]

    def match(self, line: BankLine) -> RuleMatch | None:
        """The first rule (in file order) that matches ``line``, or None."""
        for rule in self.rules:
            if rule.matches(line):
                return RuleMatch(rule.group, rule.funder, rule.description, self.source, rule.line)
        return None


def load_bank_rules(path: Path, network: Network) -> BankRules:
    """Read and check ``path`` against ``network`` (give the newest version); raise
    `InputError` listing every problem, ``file:line: key: message`` each."""
    data, text = read_toml(path)
    return parse_bank_rules(data, text, str(path), network)


def parse_bank_rules(data: dict[str, Any], text: str, source: str, network: Network) -> BankRules:
    """Check parsed TOML ``data`` (``text`` is the file, for line numbers)."""
    check = _Checker(source, text)
    check.unknown_keys(data, _FILE_KEYS, ())
    tables = data.get("rules", [])
    if not isinstance(tables, list) or not all(isinstance(item, dict) for item in tables):
        check.problem(("rules",), "rules must be an array of tables ([[rules]])")
        tables = []
    rules = [_parse_rule(check, table, index, network) for index, table in enumerate(tables)]
    if check.problems:
        raise InputError(check.problems)
    return BankRules(source, tuple(rule for rule in rules if rule is not None))


def _parse_rule(
    check: _Checker, table: dict[str, Any], index: int, network: Network
) -> BankRule | None:
    path: tuple[str | int, ...] = ("rules", index)
    before = len(check.problems)
    check.unknown_keys(table, _RULE_KEYS, path)
    if not any(key in table for key in ("iban", "name", "remittance")):
        check.problem(path, "a rule needs at least one of 'iban', 'name' and 'remittance'")
    iban = None
    if "iban" in table:
        try:
            iban = parse_iban(table["iban"], "iban")
        except FieldError as error:
            check.problem((*path, "iban"), str(error))
    name = _pattern(check, table, "name", path)
    remittance = _pattern(check, table, "remittance", path)
    direction = table.get("direction", "debit")
    if direction not in _DIRECTIONS:
        check.problem(
            (*path, "direction"), f"direction must be 'debit' or 'credit', not {direction!r}"
        )
    elif direction == "credit":
        check.problem(
            (*path, "direction"),
            "a rule books an expense, so it takes debits only: money in is a funder's "
            "receipt, matched by the IBAN it pays from (network.toml 'ibans'); "
            "book a credit with netfund bank assign",
        )
    group = _code(check, table, "group", path, required=True)
    if group is not None and network.group(group) is None:
        check.problem((*path, "group"), f"unknown group {group!r} (not in the network)")
        group = None
    funder_code = _code(check, table, "funder", path, required=False)
    if funder_code is not None:
        funder = network.funder(funder_code)
        if funder is None:
            check.problem((*path, "funder"), f"unknown funder {funder_code!r} (not in the network)")
        elif group is not None and not funder.may_fund(group):
            check.problem(
                (*path, "funder"),
                f"{funder_code}'s earmark does not include group {group!r}: its money may go "
                f"to {', '.join(sorted(funder.eligible_groups or ()))} only",
            )
    description = None
    if "description" in table:
        description = check.text_value(
            table, "description", path, length_max=DESCRIPTION_LENGTH_MAX
        )
    line = check.lines.line(path)
    if len(check.problems) > before or group is None or line is None:
        return None
    return BankRule(line, iban, name, remittance, group, funder_code, description)


def _code(
    check: _Checker, table: dict[str, Any], key: str, path: tuple, *, required: bool
) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            check.problem(path, f"{key!r} is required: the group the line is booked on")
        return None
    if not isinstance(value, str):
        check.problem((*path, key), f"{key!r} must be a string, not {type(value).__name__}")
        return None
    return value


def _pattern(
    check: _Checker, table: dict[str, Any], key: str, path: tuple
) -> re.Pattern[str] | None:
    """The case-insensitive pattern at ``key``, or None (absent or refused: see the module)."""
    if key not in table:
        return None
    value = table[key]
    where = (*path, key)
    if not isinstance(value, str):
        check.problem(where, f"{key!r} must be a string (a regular expression)")
        return None
    if not value:
        check.problem(where, f"{key!r} must not be empty (it would match every line)")
        return None
    if len(value) > PATTERN_LENGTH_MAX:
        check.problem(
            where, f"{key!r} is {len(value)} characters long; at most {PATTERN_LENGTH_MAX}"
        )
        return None
    try:
        parsed = re_parser.parse(value, re.IGNORECASE)
        compiled = re.compile(value, re.IGNORECASE)
    except re.error as error:
        at = f" at position {error.pos}" if error.pos is not None else ""
        check.problem(where, f"{key!r} is not a valid regular expression: {error.msg}{at}")
        return None
    slow = _slow_shape(parsed.data, inside_repeat=False)
    unbounded, combinations = _cost(parsed.data)
    if slow is None and unbounded > UNBOUNDED_REPEATS_MAX:
        slow = (
            f"more than {UNBOUNDED_REPEATS_MAX} unbounded repetition (*, +, {{n,}}): a second "
            "multiplies the time a match can take by the text's length"
        )
    if slow is None and combinations > COMBINATIONS_MAX:
        slow = (
            f"its repetitions and alternatives combine {combinations} ways at one place "
            f"(at most {COMBINATIONS_MAX}); write + or * for a long run"
        )
    if slow is not None:
        check.problem(where, f"{key!r} may take too long to match: {slow}")
        return None
    return compiled


def _slow_shape(items: Any, *, inside_repeat: bool) -> str | None:
    """Why the parsed pattern ``items`` can backtrack exponentially, or None."""
    for op, av in items:
        if op in _REPEATS:
            _low, high, body = av
            repeats = high == re_parser.MAXREPEAT or high > 1
            if inside_repeat:
                return "a repetition inside a repetition, like (a+)+"
            found = _slow_shape(body, inside_repeat=inside_repeat or repeats)
            if found:
                return found
        elif op == re_parser.BRANCH:
            if inside_repeat:
                return "an alternation inside a repetition, like (a|ab)*"
            for branch in av[1]:
                found = _slow_shape(branch, inside_repeat=inside_repeat)
                if found:
                    return found
        elif op in (re_parser.GROUPREF, re_parser.GROUPREF_EXISTS):
            return "a backreference"
        elif op == re_parser.SUBPATTERN:
            found = _slow_shape(av[3], inside_repeat=inside_repeat)
            if found:
                return found
        elif op in (re_parser.ASSERT, re_parser.ASSERT_NOT):
            found = _slow_shape(av[1], inside_repeat=inside_repeat)
            if found:
                return found
        elif op == re_parser.ATOMIC_GROUP:
            found = _slow_shape(av, inside_repeat=inside_repeat)
            if found:
                return found
    return None


def _cost(items: Any) -> tuple[int, int]:
    """The parsed pattern's unbounded repetitions, and the product of its bounded
    repetitions' ranges (``{4,8}``: 5, ``?``: 2) and its alternatives' counts: how many ways
    it can try to match at one place before it gives up there."""
    unbounded, product = 0, 1
    for op, av in items:
        parts: list[Any] = []
        if op in _REPEATS:
            low, high, body = av
            if high == re_parser.MAXREPEAT:
                unbounded += 1
            else:
                product *= high - low + 1
            parts = [body]
        elif op == re_parser.BRANCH:
            product *= len(av[1])
            parts = list(av[1])
        elif op == re_parser.SUBPATTERN:
            parts = [av[3]]
        elif op in (re_parser.ASSERT, re_parser.ASSERT_NOT):
            parts = [av[1]]
        elif op == re_parser.ATOMIC_GROUP:
            parts = [av]
        for part in parts:
            more, times = _cost(part)
            unbounded += more
            product *= times
    return unbounded, product


def _search(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.search(text[:MATCH_TEXT_LENGTH_MAX]) is not None
