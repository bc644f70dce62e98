"""Reading plan.toml: an allocation plan, validated whole, every problem with its file:line.

A plan names the period, which money counts (`basis`), the objective and one request per
working group. Amounts follow the money rules (docs/CONTRACT.md, Money): text (or a TOML integer, or
a TOML float whose source text has at most two decimals) parsed to cents exactly as
`parse_cents` does, except that a minimum may be zero. Validation never stops at the first
problem: it collects them all and raises one `InputError`, so a plan is fixed in one pass.

Reading is linear in the number of requests: the lines of every key are indexed once
(`TomlLines`), not searched for per request (issue 15: 2,000 requests took 14.7 s, 10,000
over five minutes), and a run's `Deadline` is checked as the requests are read.

The plan knows nothing of the ledger; `Plan.to_problem` joins it with the ledger's figures
(funders' money, which groups are overhead) into an `AllocationProblem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

from netfund.allocation.deadline import Deadline
from netfund.allocation.problem import (
    OBJECTIVES,
    WEIGHT_MAX,
    AllocationProblem,
    FunderSupply,
    Objective,
    Request,
    exact_share,
)
from netfund.allocation.wording import format_euros
from netfund.ledger import (
    AmountError,
    FieldError,
    InputError,
    Problem,
    TomlLines,
    key_path,
    parse_cents,
    parse_period,
    read_toml,
)

Basis = Literal["committed", "received"]
BASES: tuple[Basis, ...] = ("committed", "received")

#: A plan is a budget decision for one network, not a data dump.
REQUESTS_MAX = 100_000

_TOP_KEYS = ("allocation", "requests")
_ALLOCATION_KEYS = ("period", "basis", "objective")
_REQUEST_KEYS = ("group", "min", "max", "weight")
_ZERO = re.compile(r"\+?0+(?:\.0*)?")
#: Matched whole (`fullmatch`), ASCII digits only: `$` passes a final line break and `\d`
#: other scripts' digits, which `Decimal` would read.
_WEIGHT = re.compile(r"\+?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class PlanRequest:
    """One ``[[requests]]`` entry, validated.

    Attributes:
        group: the working group's code (known to the network).
        min_cents: the least the group must get (may be 0).
        max_cents: the most the group may get (>= min_cents, > 0).
        weight: the priority per euro (>= 0).
        line: the line of the entry's ``[[requests]]`` header, for later messages.
    """

    group: str
    min_cents: int
    max_cents: int
    weight: Decimal
    line: int | None = None


@dataclass(frozen=True)
class Plan:
    """A validated allocation plan.

    Attributes:
        source: the file it came from.
        period: the calendar year, as text (``"2026"``).
        basis: ``committed`` or ``received``: which money may be allocated.
        objective: ``priority`` or ``proportional``.
        requests: the requests in file order.
    """

    source: str
    period: str
    basis: Basis
    objective: Objective
    requests: tuple[PlanRequest, ...]

    def to_problem(
        self,
        funders: tuple[FunderSupply, ...] | list[FunderSupply],
        overhead_groups: set[str] | frozenset[str],
        overhead_cap: Fraction | Decimal,
        *,
        already_allocated_cents: int = 0,
        already_allocated_overhead_cents: int = 0,
    ) -> AllocationProblem:
        """Join the plan with the ledger's figures for its period and basis."""
        return AllocationProblem(
            funders=tuple(funders),
            requests=tuple(
                Request(
                    group=request.group,
                    min_cents=request.min_cents,
                    max_cents=request.max_cents,
                    weight=request.weight,
                    overhead=request.group in overhead_groups,
                )
                for request in self.requests
            ),
            overhead_cap=exact_share("overhead_cap", overhead_cap),
            objective=self.objective,
            already_allocated_cents=already_allocated_cents,
            already_allocated_overhead_cents=already_allocated_overhead_cents,
        )


def load_plan(path: Path, group_codes: set[str], deadline: Deadline | None = None) -> Plan:
    """Read and validate ``path``; raise `InputError` listing every problem with file:line.

    With a ``deadline``, `TimeLimitExceeded` once it passes while the plan is read.
    """
    data, text = read_toml(path)
    if deadline is not None:
        deadline.check("while reading the plan")
    reader = _PlanReader(str(path), text, deadline)
    plan = reader.read(data, group_codes)
    if reader.problems or plan is None:
        raise InputError(reader.problems)
    return plan


class _PlanReader:
    """Validation state for one file: its lines (indexed once) and the problems found so far."""

    def __init__(self, source: str, text: str, deadline: Deadline | None = None) -> None:
        self.source = source
        self.text_lines = text.splitlines()
        self.index = TomlLines(text)
        self.deadline = deadline
        self.problems: list[Problem] = []

    def line(self, path: tuple[str | int, ...]) -> int | None:
        """The line of ``path``, else of its nearest enclosing table or key."""
        for length in range(len(path), 0, -1):
            found = self.index.line(path[:length])
            if found is not None:
                return found
        return None

    def add(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(
            Problem(self.source, self.line(path), message, key_path(path) if path else None)
        )

    def unknown_keys(
        self, table: dict[str, Any], allowed: tuple[str, ...], path: tuple[str | int, ...]
    ) -> None:
        for key in table:
            if key not in allowed:
                where = f"in [{key_path(path)}] " if path else ""
                self.add(
                    (*path, key),
                    f"unknown key {key!r} {where}(expected one of: {', '.join(allowed)})",
                )

    def read(self, data: dict[str, Any], group_codes: set[str]) -> Plan | None:
        self.unknown_keys(data, _TOP_KEYS, ())
        header = self.read_allocation(data)
        requests = self.read_requests(data, group_codes)
        if header is None or self.problems:
            return None
        period, basis, objective = header
        return Plan(self.source, period, basis, objective, tuple(requests))

    def read_allocation(self, data: dict[str, Any]) -> tuple[str, Basis, Objective] | None:
        table = data.get("allocation")
        if table is None:
            self.problems.append(Problem(self.source, None, "missing [allocation] table"))
            return None
        if not isinstance(table, dict):
            self.add(("allocation",), "allocation must be a table: [allocation]")
            return None
        self.unknown_keys(table, _ALLOCATION_KEYS, ("allocation",))
        period = self.read_choice(table, "period", None)
        if period is not None:
            try:
                period = parse_period(period)
            except FieldError as error:
                self.add(("allocation", "period"), str(error))
                period = None
        basis = self.read_choice(table, "basis", BASES)
        objective = self.read_choice(table, "objective", OBJECTIVES)
        if period is None or basis is None or objective is None:
            return None
        return period, cast(Basis, basis), cast(Objective, objective)

    def read_choice(
        self, table: dict[str, Any], key: str, choices: tuple[str, ...] | None
    ) -> str | None:
        path = ("allocation", key)
        if key not in table:
            self.add(path, f"missing {key!r} in [allocation]")
            return None
        value = table[key]
        if not isinstance(value, str):
            expected = "a string" if choices is None else " or ".join(repr(c) for c in choices)
            self.add(path, f"{key} must be {expected}, not {_describe(value)}")
            return None
        if choices is not None and value not in choices:
            self.add(path, f"{key} {value!r} is not one of: {', '.join(choices)}")
            return None
        return value

    def read_requests(self, data: dict[str, Any], group_codes: set[str]) -> list[PlanRequest]:
        entries = data.get("requests")
        if entries is None:
            self.problems.append(
                Problem(self.source, None, "the plan has no requests: add [[requests]] entries")
            )
            return []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.add(("requests",), "requests must be an array of tables: [[requests]]")
            return []
        if not entries:
            self.add(("requests",), "the plan has no requests: add [[requests]] entries")
            return []
        if len(entries) > REQUESTS_MAX:
            self.add(("requests",), f"the plan has more than {REQUESTS_MAX} requests")
            return []
        requests: list[PlanRequest] = []
        first_line: dict[str, int | None] = {}
        for index, entry in enumerate(entries):
            if self.deadline is not None:
                self.deadline.check("while reading the plan")
            request = self.read_request(index, entry, group_codes)
            if request is None:
                continue
            if request.group in first_line:
                where = first_line[request.group]
                self.add(
                    ("requests", index, "group"),
                    f"duplicate request for group {request.group!r}"
                    + (f" (first at line {where})" if where else ""),
                )
                continue
            first_line[request.group] = self.line(("requests", index, "group"))
            requests.append(request)
        return requests

    def read_request(
        self, index: int, entry: dict[str, Any], group_codes: set[str]
    ) -> PlanRequest | None:
        base: tuple[str | int, ...] = ("requests", index)
        self.unknown_keys(entry, _REQUEST_KEYS, base)
        for key in _REQUEST_KEYS:
            if key not in entry:
                self.add(base, f"missing {key!r} in requests[{index}]")
        group = entry.get("group")
        if "group" in entry and not isinstance(group, str):
            self.add((*base, "group"), f"group must be a string, not {_describe(group)}")
            group = None
        elif isinstance(group, str) and group not in group_codes:
            self.add((*base, "group"), f"unknown group {group!r} (not defined in the network)")
            group = None
        minimum = self.read_amount(entry, (*base, "min"), zero_allowed=True)
        maximum = self.read_amount(entry, (*base, "max"), zero_allowed=False)
        weight = self.read_weight(entry, (*base, "weight"))
        if minimum is not None and maximum is not None and minimum > maximum:
            self.add(
                (*base, "min"),
                f"min {format_euros(minimum)} is greater than max {format_euros(maximum)}",
            )
            return None
        if group is None or minimum is None or maximum is None or weight is None:
            return None
        return PlanRequest(group, minimum, maximum, weight, self.line(base))

    def read_amount(
        self, entry: dict[str, Any], path: tuple[str | int, ...], *, zero_allowed: bool
    ) -> int | None:
        key = str(path[-1])
        if key not in entry:
            return None
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add(
                path,
                f'{key} must be an amount in euros like "250000.00", not {_describe(value)}',
            )
            return None
        if isinstance(value, str):
            text = value
        elif isinstance(value, int):
            text = str(value)
        else:
            text = self._source_number(path) or repr(value)
        if zero_allowed and _ZERO.fullmatch(text.strip()):
            return 0
        try:
            return parse_cents(text)
        except AmountError as error:
            self.add(path, f"{key}: {error}")
            return None

    def _source_number(self, path: tuple[str | int, ...]) -> str | None:
        """The number as written in the file, so a float's decimals are counted as typed."""
        line = self.index.line(path)
        if line is None:
            return None
        key = re.escape(str(path[-1]))
        found = re.match(rf"^\s*{key}\s*=\s*([^\s#,}}]+)", self.text_lines[line - 1])
        return found.group(1).replace("_", "") if found else None

    def read_weight(self, entry: dict[str, Any], path: tuple[str | int, ...]) -> Decimal | None:
        if "weight" not in entry:
            return None
        value = entry["weight"]
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.add(path, f"weight must be a number >= 0, not {_describe(value)}")
            return None
        if isinstance(value, float):
            text = self._source_number(path) or repr(value)
        else:
            text = str(value).strip()
        if text.startswith("-") and _WEIGHT.fullmatch(text[1:]):
            self.add(path, f"weight {text} is negative: it must be >= 0")
            return None
        if not _WEIGHT.fullmatch(text):
            self.add(path, f"weight {text!r} is not a plain number >= 0")
            return None
        try:
            weight = Decimal(text)
        except InvalidOperation:  # unreachable for text the pattern accepted
            self.add(path, f"weight {text!r} is not a number")
            return None
        if weight > WEIGHT_MAX:
            self.add(path, f"weight {text} exceeds the maximum of {WEIGHT_MAX}")
            return None
        return weight


def _describe(value: object) -> str:
    """A TOML value's type in the user's words."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
