"""The outcome of an allocation run: exact cents per funder and group, and how the LP got there.

`AllocationResult.to_dict()` holds only exact figures (integer cents, decimal text, fractions)
so that it is a canonical form to hash, store and compare across runs and machines. The solver's
floats (each stage's LP optimum, the shadow prices) are kept beside it for explanations and
checks, but are left out of the canonical form: the last bits of a float may differ between
solver versions while the rounded cents do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from netfund.allocation.problem import Objective, decimal_text, fraction_text


@dataclass(frozen=True, order=True)
class Allocation:
    """Funder ``funder``'s money to group ``group``, in cents (always > 0 in a result).

    Attributes:
        funder: the funder's code.
        group: the working group's code.
        amount_cents: the amount allocated, in cents.
    """

    funder: str
    group: str
    amount_cents: int

    def to_dict(self) -> dict[str, Any]:
        return {"funder": self.funder, "group": self.group, "amount_cents": self.amount_cents}


@dataclass(frozen=True)
class StageRecord:
    """One LP solved on the way to the result.

    Attributes:
        name: ``fill_ratio``, ``priority``, ``tie_break_totals`` or ``tie_break_spread``.
        lp_value: the stage's optimal objective value as the solver reported it: the fill
            ratio (``fill_ratio``), weight × euros (``priority``), the tie-break objectives.
        hold_tolerance: how much money (euros) the hold on this stage's optimum let the later
            stages give away (per group for the fill ratio; at the smallest nonzero weight for
            the priority); 0 for a stage that is not held.
    """

    name: str
    lp_value: float
    hold_tolerance: float = 0.0


@dataclass(frozen=True)
class Sensitivity:
    """Shadow prices of the explained stage, signs fixed: objective units per euro.

    Each price says how much the objective would rise if the constraint's right-hand side
    were one euro looser. They come from the LP duals (checked against finite differences in
    the tests, since in-process HiGHS reports a maximisation's duals with the sign flipped).

    Attributes:
        stage: the stage explained (``priority``, the objective stage of both objectives).
        availability: per funder, the value of one more euro available.
        funder_caps: per funder with its own cap, the value of one more euro of room under it.
        network_cap: the value of one more euro of room under the network overhead cap.
        group_values: per group, the value of one more euro reaching that group.
        group_bounds: per group, the reduced cost of its total: > 0 means raising its maximum
            would help, < 0 means lowering its minimum would help.
        fill_hold: for `proportional`, the priority lost per unit of fill ratio held (else 0).
    """

    stage: str
    availability: tuple[tuple[str, float], ...]
    funder_caps: tuple[tuple[str, float], ...]
    network_cap: float
    group_values: tuple[tuple[str, float], ...]
    group_bounds: tuple[tuple[str, float], ...]
    fill_hold: float = 0.0


@dataclass(frozen=True)
class AllocationResult:
    """An allocation in exact cents, with the figures needed to explain and check it.

    Attributes:
        objective: the plan's objective.
        allocations: every nonzero amount, sorted by funder then group.
        group_totals: (group, cents) for every request, sorted by group.
        funder_totals: (funder, cents) for every funder, sorted by funder.
        priority_value: ``sum(weight * euros)`` of the rounded allocation, exact.
        fill_ratio_min: the smallest fill ratio ``(a - min) / (max - min)`` of the rounded
            allocation over requests with ``max > min`` (exact), or None if there are none.
        lp_priority_value: the LP optimum of the priority objective (for `proportional`: with
            the fill ratio held). Not part of `to_dict()`.
        lp_fill_ratio: the LP's smallest fill ratio for `proportional`, else None.
        stages: the LPs solved, in order. Not part of `to_dict()`.
        sensitivity: shadow prices of the priority stage, or None. Not part of `to_dict()`.
        solver: which solver produced it (``highs`` or ``cbc``).
    """

    objective: Objective
    allocations: tuple[Allocation, ...]
    group_totals: tuple[tuple[str, int], ...]
    funder_totals: tuple[tuple[str, int], ...]
    priority_value: Decimal
    fill_ratio_min: Fraction | None
    lp_priority_value: float
    lp_fill_ratio: float | None
    stages: tuple[StageRecord, ...] = ()
    sensitivity: Sensitivity | None = None
    solver: str = "highs"
    _amounts: dict[tuple[str, str], int] = field(init=False, repr=False, compare=False)
    _group_index: dict[str, int] = field(init=False, repr=False, compare=False)
    _funder_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        amounts = {(item.funder, item.group): item.amount_cents for item in self.allocations}
        object.__setattr__(self, "_amounts", amounts)
        object.__setattr__(self, "_group_index", dict(self.group_totals))
        object.__setattr__(self, "_funder_index", dict(self.funder_totals))

    def amount_cents(self, funder: str, group: str) -> int:
        """Cents from ``funder`` to ``group`` (0 if none)."""
        return self._amounts.get((funder, group), 0)

    def group_total_cents(self, group: str) -> int:
        """Cents allocated to ``group`` by all funders together."""
        return self._group_index[group]

    def funder_total_cents(self, funder: str) -> int:
        """Cents of ``funder`` allocated to all groups together."""
        return self._funder_index[funder]

    @property
    def total_cents(self) -> int:
        """Everything allocated in this run."""
        return sum(item.amount_cents for item in self.allocations)

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain form of the exact figures (JSON-ready, order fixed)."""
        return {
            "objective": self.objective,
            "allocations": [item.to_dict() for item in self.allocations],
            "group_totals": [[group, cents] for group, cents in self.group_totals],
            "funder_totals": [[funder, cents] for funder, cents in self.funder_totals],
            "total_cents": self.total_cents,
            "priority_value": decimal_text(self.priority_value),
            "fill_ratio_min": None
            if self.fill_ratio_min is None
            else fraction_text(self.fill_ratio_min),
        }
