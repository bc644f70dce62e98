"""The allocation problem as immutable records: what money there is and what the groups ask.

The ledger supplies the money (each funder's available cents, earmark, own overhead cap and what
is already allocated in the period); the plan supplies the requests. Everything is integer cents
and exact fractions here; the solver's floats live only inside the LP modules.

Records are normalised on construction (funders sorted by code, requests by group) so that two
problems with the same content are equal, serialise to the same `to_dict()` and build the same
LP, whatever order the caller listed them in. Bad figures are programming errors of the caller
(the ledger produced them), so the constructors raise `ValueError`, not `InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, Literal

from netfund.ledger import AMOUNT_MAX_CENTS, cap_fraction

Objective = Literal["priority", "proportional"]
OBJECTIVES: tuple[Objective, ...] = ("priority", "proportional")

#: Weights are priorities, not money: a ceiling keeps the LP well conditioned.
WEIGHT_MAX = Decimal(1_000_000)


def fraction_text(share: Fraction) -> str:
    """A fraction in canonical text, ``Fraction(3, 20)`` → ``"3/20"``, for `to_dict()`."""
    return f"{share.numerator}/{share.denominator}"


def decimal_text(number: Decimal) -> str:
    """A decimal in canonical text: ``Decimal("3.0")`` and ``Decimal("3")`` both → ``"3"``."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _check_cents(name: str, cents: int) -> None:
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise ValueError(f"{name} must be an int of cents, got {cents!r}")
    if cents < 0 or cents > AMOUNT_MAX_CENTS * 1000:
        raise ValueError(f"{name} is out of range: {cents}")


def exact_share(name: str, share: Fraction | Decimal) -> Fraction:
    """A cap as an exact `Fraction`; the ledger's `Decimal` caps convert without loss."""
    try:
        return cap_fraction(share)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} {error}") from None


@dataclass(frozen=True)
class FunderSupply:
    """One funder's money that may be allocated in the period.

    Attributes:
        code: the funder's code, as in network.toml.
        available_cents: money that may still be allocated: the basis (committed or received)
            minus what is already allocated in the period.
        eligible_groups: the earmark: the groups this funder's money may go to; None means every
            group.
        overhead_cap: the funder's own, stricter cap on the overhead share of its money, or None
            (a `Decimal` from the ledger is converted to an exact `Fraction`).
        already_allocated_cents: this funder's money already allocated in the period (earlier
            decisions); a constant that the funder's cap counts along.
        already_allocated_overhead_cents: the part of that which went to overhead groups.
    """

    code: str
    available_cents: int
    eligible_groups: frozenset[str] | None = None
    overhead_cap: Fraction | None = None
    already_allocated_cents: int = 0
    already_allocated_overhead_cents: int = 0

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a funder needs a code")
        _check_cents(f"{self.code}.available_cents", self.available_cents)
        _check_cents(f"{self.code}.already_allocated_cents", self.already_allocated_cents)
        _check_cents(
            f"{self.code}.already_allocated_overhead_cents", self.already_allocated_overhead_cents
        )
        if self.already_allocated_overhead_cents > self.already_allocated_cents:
            raise ValueError(f"{self.code}: already allocated overhead exceeds the total")
        if self.overhead_cap is not None:
            cap = exact_share(f"{self.code}.overhead_cap", self.overhead_cap)
            object.__setattr__(self, "overhead_cap", cap)
        if self.eligible_groups is not None and not isinstance(self.eligible_groups, frozenset):
            object.__setattr__(self, "eligible_groups", frozenset(self.eligible_groups))

    def may_fund(self, group: str) -> bool:
        """True when the earmark allows this funder's money to go to ``group``."""
        return self.eligible_groups is None or group in self.eligible_groups

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain form: sorted earmark, fractions as ``"num/den"`` text."""
        return {
            "code": self.code,
            "available_cents": self.available_cents,
            "eligible_groups": None
            if self.eligible_groups is None
            else sorted(self.eligible_groups),
            "overhead_cap": None if self.overhead_cap is None else fraction_text(self.overhead_cap),
            "already_allocated_cents": self.already_allocated_cents,
            "already_allocated_overhead_cents": self.already_allocated_overhead_cents,
        }


@dataclass(frozen=True)
class Request:
    """One working group's request in the plan.

    Attributes:
        group: the group's code.
        min_cents: the least the group must get (0 allowed).
        max_cents: the most the group may get; at least ``min_cents``.
        weight: the priority of one euro to this group (>= 0) in the `priority` objective.
        overhead: True for an overhead group (management, coordination, programme office):
            its money counts against the overhead caps.
    """

    group: str
    min_cents: int
    max_cents: int
    weight: Decimal
    overhead: bool = False

    def __post_init__(self) -> None:
        if not self.group:
            raise ValueError("a request needs a group")
        _check_cents(f"{self.group}.min_cents", self.min_cents)
        _check_cents(f"{self.group}.max_cents", self.max_cents)
        if self.min_cents > self.max_cents:
            raise ValueError(f"{self.group}: min_cents exceeds max_cents")
        if not isinstance(self.weight, Decimal) or not self.weight.is_finite():
            raise ValueError(f"{self.group}: weight must be a finite Decimal")
        if not 0 <= self.weight <= WEIGHT_MAX:
            raise ValueError(f"{self.group}: weight must be between 0 and {WEIGHT_MAX}")

    @property
    def range_cents(self) -> int:
        """How far the request can be filled beyond its minimum."""
        return self.max_cents - self.min_cents

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain form; the weight as normalised decimal text."""
        return {
            "group": self.group,
            "min_cents": self.min_cents,
            "max_cents": self.max_cents,
            "weight": decimal_text(self.weight),
            "overhead": self.overhead,
        }


@dataclass(frozen=True)
class AllocationProblem:
    """Everything the allocation engine needs, independent of the database.

    Attributes:
        funders: the money, sorted by funder code (normalised on construction).
        requests: the plan's requests, sorted by group code (normalised on construction).
        overhead_cap: the network's cap on the overhead groups' share of the total allocated in
            the period, e.g. ``Fraction(15, 100)`` (a `Decimal` is converted exactly).
        objective: ``"priority"`` or ``"proportional"`` (see docs/CONTRACT.md, Allocation).
        already_allocated_cents: the network's total already allocated in the period.
        already_allocated_overhead_cents: the part of that which went to overhead groups.
    """

    funders: tuple[FunderSupply, ...]
    requests: tuple[Request, ...]
    overhead_cap: Fraction
    objective: Objective = "priority"
    already_allocated_cents: int = 0
    already_allocated_overhead_cents: int = 0
    _request_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        funders = tuple(sorted(self.funders, key=lambda funder: funder.code))
        requests = tuple(sorted(self.requests, key=lambda request: request.group))
        object.__setattr__(self, "funders", funders)
        object.__setattr__(self, "requests", requests)
        codes = [funder.code for funder in funders]
        if len(set(codes)) != len(codes):
            raise ValueError("funder codes must be unique")
        groups = [request.group for request in requests]
        if len(set(groups)) != len(groups):
            raise ValueError("a group may have only one request")
        object.__setattr__(self, "overhead_cap", exact_share("overhead_cap", self.overhead_cap))
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        _check_cents("already_allocated_cents", self.already_allocated_cents)
        _check_cents("already_allocated_overhead_cents", self.already_allocated_overhead_cents)
        if self.already_allocated_overhead_cents > self.already_allocated_cents:
            raise ValueError("already allocated overhead exceeds the total")
        index = {group: position for position, group in enumerate(groups)}
        object.__setattr__(self, "_request_index", index)

    def request(self, group: str) -> Request:
        """The request of ``group``; KeyError if the plan has none."""
        return self.requests[self._request_index[group]]

    def funder(self, code: str) -> FunderSupply:
        """The funder with ``code``; KeyError if there is none."""
        return self._funders_by_code[code]

    @cached_property
    def _funders_by_code(self) -> dict[str, FunderSupply]:
        return {funder.code: funder for funder in self.funders}

    def pairs(self) -> list[tuple[int, int]]:
        """(funder index, request index) of every allowed pair, in canonical order.

        These are the LP's variables ``x[f,g]``: only where f's earmark allows g. Computed
        once per problem (a problem is immutable); callers get a fresh list.
        """
        return list(self._pairs)

    @cached_property
    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple(
            (funder_index, request_index)
            for funder_index, funder in enumerate(self.funders)
            for request_index, request in enumerate(self.requests)
            if funder.eligible_groups is None or request.group in funder.eligible_groups
        )

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain form (JSON-ready, order fixed) to hash, store and compare."""
        return {
            "objective": self.objective,
            "overhead_cap": fraction_text(self.overhead_cap),
            "already_allocated_cents": self.already_allocated_cents,
            "already_allocated_overhead_cents": self.already_allocated_overhead_cents,
            "funders": [funder.to_dict() for funder in self.funders],
            "requests": [request.to_dict() for request in self.requests],
        }
