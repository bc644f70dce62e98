"""A stored run as its readers see it: typed, so that no one but `service.py` knows the document.

The ledger keeps a run as a JSON document (plan, inputs, result, summary, explanation or
diagnosis, see `service.run_plan`); `RunView` reads one back into records. The CLI prints
these and `compare_runs` compares them; a change to the document's layout is made here and in
`service.py` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netfund.allocation.result import Allocation
from netfund.ledger import StoredRun


@dataclass(frozen=True)
class GroupFill:
    """What a run gives one group of its plan, as decimal text.

    Attributes:
        group: the group's code.
        overhead: True for an overhead group.
        min: its request's minimum.
        max: its request's maximum.
        allocated: what the run allocates to it.
        fill: where that lies between min and max (0 to 1), or None when min equals max.
    """

    group: str
    overhead: bool
    min: str
    max: str
    allocated: str
    fill: str | None


@dataclass(frozen=True)
class FunderUse:
    """What a run takes from one funder, as decimal text.

    Attributes:
        funder: the funder's code.
        available: what it had available.
        allocated: what the run allocates of it.
        left: what is left.
        overhead_share: the overhead groups' share of its allocation in the period, or None.
        overhead_cap: its own overhead cap, or None.
    """

    funder: str
    available: str
    allocated: str
    left: str
    overhead_share: str | None
    overhead_cap: str | None


@dataclass(frozen=True)
class RunView:
    """One run: its plan, status and (when optimal) result, summary and explanation.

    Attributes:
        run: the run number.
        status: ``optimal`` or ``infeasible``.
        period: the period its plan allocates.
        basis: ``committed`` or ``received``.
        objective: the plan's objective kind.
        plan_source: the plan file it was solved from.
        inputs_sha256: hash of its inputs.
        priority_value: the optimum of the priority objective (decimal text), or None.
        fill_ratio_min: the smallest fill ratio (a fraction as text), or None.
        allocations: per funder and group, in cents.
        group_totals: per group, in cents.
        groups: per group of the plan.
        funders: per funder.
        allocated: allocated by the run (decimal text), or None.
        period_allocated: allocated in the period with the run, or None.
        overhead_share: the overhead share of the period's allocation, or None.
        overhead_cap: the network's overhead cap, or None.
        diagnosis: why an infeasible plan cannot hold.
        explanation: why the result is what it is.
    """

    run: int
    status: str
    period: str
    basis: str
    objective: str
    plan_source: str
    inputs_sha256: str
    priority_value: str | None
    fill_ratio_min: str | None
    allocations: tuple[Allocation, ...]
    group_totals: dict[str, int]
    groups: tuple[GroupFill, ...]
    funders: tuple[FunderUse, ...]
    allocated: str | None
    period_allocated: str | None
    overhead_share: str | None
    overhead_cap: str | None
    diagnosis: tuple[str, ...]
    explanation: tuple[str, ...]

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @classmethod
    def of(cls, run: int, inputs_sha256: str, document: dict[str, Any]) -> RunView:
        """The view of ``document`` as `service.run_plan` writes it."""
        plan = document["plan"]
        result = document.get("result") or {}
        summary = document.get("summary") or {}
        return cls(
            run=run,
            status=document["status"],
            period=plan["period"],
            basis=plan["basis"],
            objective=plan["objective"],
            plan_source=plan["source"],
            inputs_sha256=inputs_sha256,
            priority_value=result.get("priority_value"),
            fill_ratio_min=result.get("fill_ratio_min"),
            allocations=tuple(
                Allocation(item["funder"], item["group"], item["amount_cents"])
                for item in result.get("allocations", [])
            ),
            group_totals={group: cents for group, cents in result.get("group_totals", [])},
            groups=tuple(GroupFill(**item) for item in summary.get("groups", [])),
            funders=tuple(FunderUse(**item) for item in summary.get("funders", [])),
            allocated=summary.get("allocated"),
            period_allocated=summary.get("period_allocated"),
            overhead_share=summary.get("overhead_share"),
            overhead_cap=summary.get("overhead_cap"),
            diagnosis=tuple(document.get("diagnosis", [])),
            explanation=tuple(document.get("explanation", [])),
        )

    @classmethod
    def of_stored(cls, stored: StoredRun) -> RunView:
        return cls.of(stored.id, stored.inputs_sha256, stored.document)
