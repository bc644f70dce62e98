"""The network definition: funders, working groups and caps, read from `network.toml`.

The network is validated as a whole before anything is stored, and every problem is reported
with its line (or key path), because an administrator edits this file by hand.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

from netfund.ledger.inputs.network_indicators import parse_indicators
from netfund.ledger.inputs.toml_source import TomlLines, key_path, read_toml
from netfund.ledger.model.characters import describe, first_hidden
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.model.fields import FieldError, parse_text
from netfund.ledger.model.iban import parse_iban
from netfund.ledger.model.indicators import Indicator
from netfund.ledger.model.limits import CODE_LENGTH_MAX, LABEL_LENGTH_MAX, NAME_LENGTH_MAX
from netfund.ledger.model.money import AmountError, parse_cents
from netfund.ledger.model.schedule import QUARTERLY, Instalment, schedule_problems

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
    "schedule",
    "ibans",
}
_BANK_ACCOUNT_KEYS = {"iban", "name", "bic"}
#: A BIC: bank (4 letters), country (2 letters), location (2), optional branch (3).
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")
_INSTALMENT_KEYS = {"due", "share", "amount"}
#: An instalment's due day within the period, as month-day: "07-15".
_DUE = re.compile(r"([0-9]{2})-([0-9]{2})")
_GROUP_KEYS = {"code", "name", "overhead", "parent"}
_APPROVAL_FLAGS = ("allocation_commit", "close", "reopen")
_APPROVAL_AMOUNTS = ("post_above", "reverse_above")


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
        schedule: when its commitment falls due, instalment by instalment (`schedule.py`);
            `QUARTERLY` unless network.toml gives one.
        ibans: the accounts it pays from (compact IBANs, `model/iban.py`); a credit from one
            of them is its money (`ledger/bank/matching.py`), and its refunds go to the
            first. Empty: the bank cannot recognise its payments.
    """

    code: str
    name: str
    kind: str
    framework: str
    overhead_cap: Decimal | None
    eligible_groups: frozenset[str] | None
    unspent: str
    schedule: tuple[Instalment, ...] = QUARTERLY
    ibans: tuple[str, ...] = ()

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
class BankAccount:
    """One of the network's own bank accounts (``[[bank_accounts]]``): the only accounts whose
    statements `netfund bank import` takes, and the one refunds are paid from.

    Attributes:
        iban: compact IBAN.
        name: the account holder's name, as a payment file names the payer.
        bic: the bank's BIC, or None (a Dutch IBAN names its bank; schwifty derives it).
    """

    iban: str
    name: str
    bic: str | None = None


@dataclass(frozen=True)
class Approvals:
    """Which actions need a second person (four-eyes, issue 17): the ``[approvals]`` table.

    An action that needs one is not carried out when asked: it becomes a proposal that
    another person approves (`store/approvals.py`).

    Attributes:
        allocation_commit: every allocation commit (`allocate --commit`).
        close: every close of a period.
        reopen: every reopen of a period.
        post_above_cents: a journal post (`netfund post`) whose debits sum to more than this;
            None: no post needs one. 0: every post does.
        reverse_above_cents: a reversal (`netfund reverse`) whose debits sum to more than
            this; None: no reversal needs one.
    """

    allocation_commit: bool = False
    close: bool = False
    reopen: bool = False
    post_above_cents: int | None = None
    reverse_above_cents: int | None = None


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
        approvals: which actions need a second person; None when the file has no
            ``[approvals]`` table (one person does everything).
        bank_accounts: the network's own bank accounts (``[[bank_accounts]]``), in file
            order; empty when the file names none (no bank statement can be imported).
        indicators: what the groups agreed to watch beside the money (``[[indicators]]``,
            `model/indicators.py`), in file order; empty when the file names none.
    """

    name: str
    currency: str
    language: str
    population: int | None
    overhead_cap: Decimal
    funders: tuple[Funder, ...] = field(default_factory=tuple)
    groups: tuple[Group, ...] = field(default_factory=tuple)
    approvals: Approvals | None = None
    bank_accounts: tuple[BankAccount, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    def funder(self, code: str) -> Funder | None:
        return self._funders_by_code.get(code)

    def group(self, code: str) -> Group | None:
        return self._groups_by_code.get(code)

    def bank_account(self, iban: str) -> BankAccount | None:
        """The network's account with compact IBAN ``iban``, if it is one."""
        return next((account for account in self.bank_accounts if account.iban == iban), None)

    def indicator(self, code: str) -> Indicator | None:
        """The indicator ``code``, if the network declares it."""
        return next((each for each in self.indicators if each.code == code), None)

    def indicators_of(self, group: str) -> tuple[Indicator, ...]:
        """The indicators group ``group`` agreed to, in file order."""
        return tuple(each for each in self.indicators if group in each.groups)

    def funders_paying_from(self, iban: str) -> tuple[Funder, ...]:
        """The funders that name ``iban`` (compact) among their accounts: one account may pay
        for several (a municipality's Wmo and Jeugdwet money)."""
        return tuple(funder for funder in self.funders if iban in funder.ibans)

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
        line = self.lines.line(path)
        if line is None:
            line = self.inline_line(path)
        self.problems.append(Problem(self.source, line, message, key=key_path(path)))

    def inline_line(self, path: tuple[str | int, ...]) -> int | None:
        """The line of an item of an inline array of tables, ``key = [ {...}, {...} ]`` (a
        schedule's instalments), which `TomlLines` does not index: from the ``key =`` line,
        the line of the item's opening brace. None if the path is not of that shape."""
        for cut in range(len(path) - 1, 0, -1):
            key, index = path[cut - 1], path[cut]
            if isinstance(key, str) and isinstance(index, int):
                break
        else:
            return None
        start = self.lines.line(path[:cut])
        lines = self.text.splitlines()
        if start is None or not re.match(rf"\s*{re.escape(key)}\s*=", lines[start - 1]):
            return None
        brackets = braces = 0
        items = -1
        quote: str | None = None
        for number in range(start, len(lines) + 1):
            line = lines[number - 1]
            column = line.index("=") + 1 if number == start else 0
            escaped = False
            for char in line[column:]:
                if quote is not None:
                    if escaped:
                        escaped = False
                    elif char == "\\" and quote == '"':
                        escaped = True
                    elif char == quote:
                        quote = None
                elif char in "\"'":
                    quote = char
                elif char == "#":
                    break
                elif char == "[":
                    brackets += 1
                elif char == "]":
                    brackets -= 1
                    if brackets <= 0:
                        return None
                elif char == "{":
                    if brackets == 1 and braces == 0:
                        items += 1
                        if items == index:
                            return number
                    braces += 1
                elif char == "}":
                    braces -= 1
        return None

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
    check.unknown_keys(
        data, {"network", "funders", "groups", "approvals", "bank_accounts", "indicators"}, ()
    )
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
    approvals = _parse_approvals(check, data)
    bank_accounts = _parse_bank_accounts(check, data.get("bank_accounts"), funders)
    indicators = parse_indicators(check, data.get("indicators"), group_codes)

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
        approvals=approvals,
        bank_accounts=tuple(bank_accounts),
        indicators=tuple(indicators),
    )


def _parse_bank_accounts(check: _Checker, value: Any, funders: list[Funder]) -> list[BankAccount]:
    """``[[bank_accounts]]``: optional; each IBAN valid, once, and no funder's."""
    if value is None:
        return []
    tables = _table_list(check, value, "bank_accounts")
    accounts: list[BankAccount] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        path = ("bank_accounts", index)
        check.unknown_keys(table, _BANK_ACCOUNT_KEYS, path)
        name = check.text_value(table, "name", path)
        if "iban" not in table:
            check.problem((*path, "iban"), "'iban' is required")
            continue
        try:
            iban = parse_iban(table["iban"], "iban")
        except FieldError as error:
            check.problem((*path, "iban"), str(error))
            continue
        bic = table.get("bic")
        if bic is not None and (not isinstance(bic, str) or not _BIC.fullmatch(bic)):
            check.problem((*path, "bic"), f"bic {bic!r} is not a BIC (8 or 11 letters and digits)")
            bic = None
        if iban in seen:
            check.problem(
                (*path, "iban"), f"{iban} is named twice (also bank_accounts[{seen[iban]}])"
            )
            continue
        seen[iban] = index
        payers = [funder.code for funder in funders if iban in funder.ibans]
        if payers:
            check.problem(
                (*path, "iban"),
                f"{iban} is the network's own account and also {', '.join(payers)}'s: "
                "a funder pays from an account of its own",
            )
        if name is not None:
            accounts.append(BankAccount(iban=iban, name=name, bic=bic))
    return accounts


def _parse_ibans(check: _Checker, table: dict[str, Any], path: tuple) -> tuple[str, ...]:
    """A funder's ``ibans``: a list of valid IBANs, each once (compact form)."""
    value = table.get("ibans")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        check.problem(
            (*path, "ibans"), 'ibans must be a list of IBANs, like ["NL91 ABNA 0417 1643 00"]'
        )
        return ()
    ibans: list[str] = []
    for position, item in enumerate(value):
        try:
            iban = parse_iban(item, f"ibans[{position}]")
        except FieldError as error:
            check.problem((*path, "ibans"), str(error))
            continue
        if iban in ibans:
            check.problem((*path, "ibans"), f"{iban} is listed twice")
            continue
        ibans.append(iban)
    return tuple(ibans)


def _parse_approvals(check: _Checker, data: dict[str, Any]) -> Approvals | None:
    """The ``[approvals]`` table, or None when there is none (every action by one person)."""
    if "approvals" not in data:
        return None
    table = data["approvals"]
    if not isinstance(table, dict):
        check.problem(("approvals",), "approvals must be a table ([approvals])")
        return None
    check.unknown_keys(table, {*_APPROVAL_FLAGS, *_APPROVAL_AMOUNTS}, ("approvals",))
    flags: dict[str, bool] = {}
    for key in _APPROVAL_FLAGS:
        value = table.get(key, False)
        if not isinstance(value, bool):
            check.problem(("approvals", key), f"{key!r} must be true or false, not {value!r}")
            value = False
        flags[key] = value
    amounts: dict[str, int | None] = {}
    for key in _APPROVAL_AMOUNTS:
        amounts[key] = None
        if key in table:
            amounts[key] = _threshold(check, table[key], ("approvals", key))
    return Approvals(
        **flags,
        post_above_cents=amounts["post_above"],
        reverse_above_cents=amounts["reverse_above"],
    )


def _threshold(check: _Checker, value: Any, path: tuple) -> int | None:
    """An approval threshold in cents: text like "10000.00" or whole euros; "0" (every
    such action needs a second person) is allowed, a negative or a float is not."""
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return 0
    if isinstance(value, str) and re.fullmatch(r"0+(\.0{1,2})?", value.strip()):
        return 0
    return _amount(check, value, path)


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
        schedule = _parse_schedule(check, table, path)
        ibans = _parse_ibans(check, table, path)
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
                schedule=schedule,
                ibans=ibans,
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


def _parse_schedule(check: _Checker, table: dict[str, Any], path: tuple) -> tuple[Instalment, ...]:
    """The funder's ``schedule``, or `QUARTERLY` when it has none (or a bad one: the problems
    are reported, and nothing is stored while there are any)."""
    if "schedule" not in table:
        return QUARTERLY
    key = (*path, "schedule")
    value = table["schedule"]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        check.problem(
            key, 'schedule must be a list of instalments like { due = "07-15", share = 0.5 }'
        )
        return QUARTERLY
    instalments: list[Instalment] = []
    for index, item in enumerate(value):
        instalment = _parse_instalment(check, item, (*key, index))
        if instalment is not None:
            instalments.append(instalment)
    if len(instalments) < len(value):
        return QUARTERLY
    schedule = tuple(instalments)
    for index, message in schedule_problems(schedule):
        check.problem(key if index is None else (*key, index, "due"), message)
    return schedule


def _parse_instalment(check: _Checker, item: dict[str, Any], path: tuple) -> Instalment | None:
    """One ``{ due = "MM-DD", share = S }`` or ``{ due = "MM-DD", amount = "1234.56" }``."""
    problems = len(check.problems)
    check.unknown_keys(item, _INSTALMENT_KEYS, path)
    due = item.get("due")
    month = day = 0
    if due is None:
        check.problem(path, "an instalment needs 'due', a month-day like \"07-15\"")
    elif not isinstance(due, str) or not (match := _DUE.fullmatch(due)):
        check.problem((*path, "due"), f'due must be a month-day like "07-15" (MM-DD), not {due!r}')
    else:
        month, day = int(match.group(1)), int(match.group(2))
        if (month, day) == (2, 29):
            check.problem(
                (*path, "due"),
                "due 02-29 is refused: not every year has 29 February (use 02-28 or 03-01)",
            )
        elif not 1 <= month <= 12 or not 1 <= day <= monthrange(2001, month)[1]:
            check.problem((*path, "due"), f"due {due!r} is not a day of the year (MM-DD)")
    share: Decimal | None = None
    amount_cents: int | None = None
    if "share" in item and "amount" in item:
        check.problem(path, "an instalment has either a share or an amount, not both")
    elif "share" in item:
        share = check.cap_value(item, "share", path)
        if share is not None and share == 0:
            check.problem((*path, "share"), "'share' must be more than 0")
    elif "amount" in item:
        amount_cents = _amount(check, item["amount"], (*path, "amount"))
    else:
        check.problem(path, 'an instalment needs a share (0.5) or an amount ("250000.00")')
    if len(check.problems) > problems:
        return None
    return Instalment(month, day, share=share, amount_cents=amount_cents)


def _amount(check: _Checker, value: Any, path: tuple) -> int | None:
    """An instalment's amount in cents: text like "1234.56" or a whole number of euros. A
    TOML float is refused: 0.1 is not exact, and money is never guessed."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        exact = 'write it as text, like amount = "250000.00", or as whole euros'
        check.problem(path, f"amount must be exact: {exact}, not {value!r}")
        return None
    if isinstance(value, str) and "," in value:
        check.problem(path, f'amount {value!r}: write euros with a decimal point, like "1234.56"')
        return None
    try:
        return parse_cents(str(value))
    except AmountError as error:
        check.problem(path, str(error))
        return None
