"""The network definition: funders, working groups and caps, read from `network.toml`.

The network is validated as a whole before anything is stored, and every problem is reported
with its line (or key path), because an administrator edits this file by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

from netfund.ledger.inputs.toml_source import TomlLines, key_path, read_toml
from netfund.ledger.model.characters import describe, first_hidden
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.model.fields import FieldError, parse_text
from netfund.ledger.model.limits import CODE_LENGTH_MAX, LABEL_LENGTH_MAX, NAME_LENGTH_MAX

#: The fund code of the network's own money; no funder may take it.
NETWORK_FUND = "NET"

FUNDER_KINDS = ("municipality", "care_office", "insurer", "subsidy_body", "other")
UNSPENT_POLICIES = ("return", "carry_over")
LANGUAGES = ("nl", "en")

#: Caps are shares like 0.15; four decimals (a hundredth of a percent) are plenty.
CAP_DECIMALS_MAX = 4

# Matched whole (fullmatch): with `$` a code "EVIL\n" passed beside "EVIL", and became the
# statement file "2026-EVIL\n.pdf".
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# A group code becomes an account segment (Expenses:G, Budget:Allocated:G), and account
# segments start with a capital or a digit (as Beancount and hledger require).
_GROUP_CODE = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")

_NETWORK_KEYS = {"name", "currency", "language", "population", "overhead_cap"}
_FUNDER_KEYS = {
    "code",
    "name",
    "kind",
    "framework",
    "overhead_cap",
    "eligible_groups",
    "unspent",
}
_GROUP_KEYS = {"code", "name", "overhead", "parent"}


@dataclass(frozen=True)
class Funder:
    """A party whose money flows into the network; its money is one fund.

    Attributes:
        code: unique fund code, letters, digits and '-'.
        name: display name.
        kind: one of `FUNDER_KINDS`.
        framework: legal framework label (Wmo, Jeugdwet, Wlz, Zvw, subsidy, ...).
        overhead_cap: stricter cap on the overhead share of this funder's money, or None.
        eligible_groups: the groups this funder's money may go to; None means every group.
        unspent: what closing a period does with unspent money: `return` or `carry_over`.
    """

    code: str
    name: str
    kind: str
    framework: str
    overhead_cap: Decimal | None
    eligible_groups: frozenset[str] | None
    unspent: str

    def may_fund(self, group_code: str) -> bool:
        """Whether this funder's earmark allows money to go to ``group_code``."""
        return self.eligible_groups is None or group_code in self.eligible_groups


@dataclass(frozen=True)
class Group:
    """A working group, cluster or resource group that receives and spends money.

    Attributes:
        code: unique group code.
        name: display name.
        overhead: True for management, coordination, programme office and administration.
        parent: the code of the cluster this group belongs to, or None.
    """

    code: str
    name: str
    overhead: bool
    parent: str | None


@dataclass(frozen=True)
class Network:
    """The whole network definition. Funders and groups keep the order of the file.

    Attributes:
        name: the network's name.
        currency: ISO currency code; netfund books EUR.
        language: default statement language, `nl` or `en`.
        population: inhabitants, for euro-per-inhabitant figures, or None.
        overhead_cap: the overhead groups' share of the total allocation, at most.
        funders: every funder, in file order.
        groups: every group, in file order.
    """

    name: str
    currency: str
    language: str
    population: int | None
    overhead_cap: Decimal
    funders: tuple[Funder, ...] = field(default_factory=tuple)
    groups: tuple[Group, ...] = field(default_factory=tuple)

    def funder(self, code: str) -> Funder | None:
        return self._funders_by_code.get(code)

    def group(self, code: str) -> Group | None:
        return self._groups_by_code.get(code)

    @property
    def _funders_by_code(self) -> dict[str, Funder]:
        cached = self.__dict__.get("_funder_index")
        if cached is None:
            cached = {funder.code: funder for funder in self.funders}
            object.__setattr__(self, "_funder_index", cached)
        return cached

    @property
    def _groups_by_code(self) -> dict[str, Group]:
        cached = self.__dict__.get("_group_index")
        if cached is None:
            cached = {group.code: group for group in self.groups}
            object.__setattr__(self, "_group_index", cached)
        return cached


#: The network in force for a period (a year such as ``"2026"``), or the newest version (which
#: knows every funder and group) for None: the ledger keeps dated versions of the network.
Networks = Callable[[str | None], Network]


def only(network: Network) -> Networks:
    """The lookup of a ledger that has one version of the network."""
    return lambda _period: network


class _Checker:
    """Collects problems with their lines while walking the parsed TOML."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self.problems: list[Problem] = []

    @cached_property
    def lines(self) -> TomlLines:
        """The file's line index, built at the first problem: one scan for all of them (a
        scan per problem made 2,000 bad groups take 23 s; issue 15)."""
        return TomlLines(self.text)

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(
            Problem(self.source, self.lines.line(path), message, key=key_path(path))
        )

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], path: tuple) -> None:
        for key in table:
            if key not in allowed:
                self.problem(
                    (*path, key), f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
                )

    def text_value(
        self,
        table: dict[str, Any],
        key: str,
        path: tuple,
        *,
        required: bool = True,
        length_max: int = NAME_LENGTH_MAX,
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem((*path, key) if path else (key,), f"{key!r} is required")
            return None
        if not isinstance(value, str):
            self.problem((*path, key), f"{key!r} must be a string, not {type(value).__name__}")
            return None
        if not value.strip():
            self.problem((*path, key), f"{key!r} must not be empty")
            return None
        try:
            # One line of visible text: no controls, invisible or text-direction characters.
            parse_text(value, repr(key), length_max)
        except FieldError as error:
            self.problem((*path, key), str(error))
            return None
        return value

    def code_value(self, table: dict[str, Any], path: tuple) -> str | None:
        code = table.get("code")
        if isinstance(code, str) and code.strip() and not _CODE.fullmatch(code):
            hidden = first_hidden(code)
            holds = f" (it holds {describe(hidden)})" if hidden is not None else ""
            self.problem(
                (*path, "code"), f"code {code!r} may contain only letters, digits and '-'{holds}"
            )
            return None
        return self.text_value(table, "code", path, length_max=CODE_LENGTH_MAX)

    def cap_value(self, table: dict[str, Any], key: str, path: tuple) -> Decimal | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.problem((*path, key), f"{key!r} must be a number between 0 and 1")
            return None
        try:
            # The TOML text of a float is its shortest repr, so str() recovers what was written.
            cap = Decimal(str(value))
        except InvalidOperation:
            self.problem((*path, key), f"{key!r} must be a number between 0 and 1, not {value!r}")
            return None
        if not cap.is_finite() or cap < 0 or cap > 1:
            self.problem((*path, key), f"{key!r} must be between 0 and 1, not {value}")
            return None
        if -cap.as_tuple().exponent > CAP_DECIMALS_MAX:  # type: ignore[operator]
            self.problem((*path, key), f"{key!r} has more than {CAP_DECIMALS_MAX} decimals")
            return None
        return cap


def load_network(path: Path) -> Network:
    """Read and validate `network.toml`; raise `InputError` listing every problem."""
    data, text = read_toml(path)
    return parse_network(data, text, str(path))


def parse_network(data: dict[str, Any], text: str, source: str) -> Network:
    """Validate parsed TOML ``data`` (``text`` is the file, for line numbers)."""
    check = _Checker(source, text)
    check.unknown_keys(data, {"network", "funders", "groups"}, ())
    header = data.get("network")
    if not isinstance(header, dict):
        check.problem(("network",), "a [network] table is required")
        header = {}
    check.unknown_keys(header, _NETWORK_KEYS, ("network",))
    name = check.text_value(header, "name", ("network",))
    currency = header.get("currency", "EUR")
    if currency != "EUR":
        check.problem(("network", "currency"), f"currency must be 'EUR', not {currency!r}")
    language = header.get("language", "nl")
    if language not in LANGUAGES:
        check.problem(("network", "language"), f"language must be 'nl' or 'en', not {language!r}")
    population = header.get("population")
    if population is not None and (
        isinstance(population, bool) or not isinstance(population, int) or population <= 0
    ):
        check.problem(("network", "population"), "population must be a positive whole number")
        population = None
    overhead_cap = check.cap_value(header, "overhead_cap", ("network",))
    if "overhead_cap" not in header:
        overhead_cap = Decimal("0.15")

    groups = _parse_groups(check, data.get("groups"))
    group_codes = {group.code for group in groups}
    funders = _parse_funders(check, data.get("funders"), group_codes)

    if check.problems:
        raise InputError(check.problems)
    return Network(
        name=name or "",
        currency="EUR",
        language=language,
        population=population,
        overhead_cap=overhead_cap if overhead_cap is not None else Decimal("0.15"),
        funders=tuple(funders),
        groups=tuple(groups),
    )


def _table_list(check: _Checker, value: Any, name: str) -> list[dict[str, Any]]:
    if value is None:
        check.problem((name,), f"at least one [[{name}]] entry is required")
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        check.problem((name,), f"{name} must be an array of tables ([[{name}]])")
        return []
    return value


def _parse_groups(check: _Checker, value: Any) -> list[Group]:
    tables = _table_list(check, value, "groups")
    groups: list[Group] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        path = ("groups", index)
        check.unknown_keys(table, _GROUP_KEYS, path)
        code = check.code_value(table, path)
        if code is not None and not _GROUP_CODE.fullmatch(code):
            check.problem(
                (*path, "code"),
                f"group code {code!r} must start with a capital letter or a digit "
                "(it becomes part of account names such as Expenses:<code>)",
            )
            code = None
        name = check.text_value(table, "name", path)
        overhead = table.get("overhead", False)
        if not isinstance(overhead, bool):
            check.problem((*path, "overhead"), "overhead must be true or false")
            overhead = False
        parent = table.get("parent")
        if parent is not None and not isinstance(parent, str):
            check.problem((*path, "parent"), "parent must be a group code (string)")
            parent = None
        if code is None or name is None:
            continue
        if code == NETWORK_FUND:
            check.problem((*path, "code"), f"code {NETWORK_FUND!r} is reserved")
        if code in seen:
            check.problem(
                (*path, "code"), f"duplicate group code {code!r} (also groups[{seen[code]}])"
            )
            continue
        seen[code] = index
        groups.append(Group(code=code, name=name, overhead=overhead, parent=parent))
    for group in groups:
        if group.parent is None:
            continue
        path = ("groups", seen[group.code], "parent")
        if group.parent not in seen:
            check.problem(path, f"parent {group.parent!r} is not a group")
        elif group.parent == group.code:
            check.problem(path, f"group {group.code!r} cannot be its own parent")
        elif _has_cycle(groups, group.code):
            check.problem(path, f"parent chain of {group.code!r} loops back to itself")
    return groups


def _has_cycle(groups: list[Group], start: str) -> bool:
    parents = {group.code: group.parent for group in groups}
    visited: set[str] = set()
    current: str | None = start
    while current is not None:
        if current in visited:
            return True
        visited.add(current)
        current = parents.get(current)
    return False


def _parse_funders(check: _Checker, value: Any, group_codes: set[str]) -> list[Funder]:
    tables = _table_list(check, value, "funders")
    funders: list[Funder] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        path = ("funders", index)
        check.unknown_keys(table, _FUNDER_KEYS, path)
        code = check.code_value(table, path)
        name = check.text_value(table, "name", path)
        kind = table.get("kind")
        if kind not in FUNDER_KINDS:
            check.problem(
                (*path, "kind"), f"kind must be one of {', '.join(FUNDER_KINDS)}, not {kind!r}"
            )
        framework = check.text_value(table, "framework", path, length_max=LABEL_LENGTH_MAX)
        cap = check.cap_value(table, "overhead_cap", path)
        unspent = table.get("unspent", "return")
        if unspent not in UNSPENT_POLICIES:
            check.problem(
                (*path, "unspent"), f"unspent must be 'return' or 'carry_over', not {unspent!r}"
            )
        eligible = _parse_earmark(check, table.get("eligible_groups"), path, group_codes)
        if code is None or name is None or framework is None:
            continue
        if code == NETWORK_FUND:
            check.problem(
                (*path, "code"), f"code {NETWORK_FUND!r} is reserved for the network's own money"
            )
            continue
        if code in seen:
            check.problem(
                (*path, "code"), f"duplicate funder code {code!r} (also funders[{seen[code]}])"
            )
            continue
        seen[code] = index
        funders.append(
            Funder(
                code=code,
                name=name,
                kind=str(kind),
                framework=framework,
                overhead_cap=cap,
                eligible_groups=eligible,
                unspent=str(unspent),
            )
        )
    return funders


def _parse_earmark(
    check: _Checker, value: Any, path: tuple, group_codes: set[str]
) -> frozenset[str] | None:
    if value is None:
        return None
    key = (*path, "eligible_groups")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        check.problem(key, "eligible_groups must be a list of group codes")
        return None
    if not value:
        check.problem(key, "eligible_groups is empty: leave it out to allow every group")
        return None
    for code in value:
        if code not in group_codes:
            check.problem(key, f"eligible group {code!r} is not a group of the network")
    return frozenset(value)
