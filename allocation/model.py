"""The allocation LP of docs/CONTRACT.md, built with PuLP in euros.

Variables (all continuous, in euros: cents / 100, so coefficients and bounds stay near 1):

- ``x[f,g] >= 0``: funder f's money to group g, only where f's earmark allows g;
- ``a[g]`` in ``[min_g, max_g]``: group g's total, tied to the x by ``a[g] - sum_f x[f,g] = 0``.
  Keeping the totals as variables puts the request bounds in variable bounds (their reduced
  costs are the "held at its maximum" prices) and keeps the objective and the network cap on
  one variable per group instead of one per pair, which roughly halves the nonzeros;
- ``u`` in ``[0, R]`` (`proportional` only): the smallest fill ratio ``t`` expressed in euros
  of the widest request, ``u = t * R`` with ``R = max_g (max_g - min_g)``.

Rows: per-funder availability, per-group balance, the network overhead cap over the group
totals, each funder's own cap over its x, and for `proportional` the fill rows
``a[g] - (range_g / R) * u >= min_g``. Overhead caps include the period's already-allocated
constants: ``O_prev + O <= cap * (T_prev + T)`` becomes ``sum_g k_g a_g <= cap*T_prev - O_prev``
with ``k_g = 1 - cap`` for overhead groups and ``-cap`` for the others.

Scaling (issue 13). Every objective is written so that one euro moved is worth about one unit
or more, and every coefficient is at most 1 in size: the fill ratio in euros (one euro more to
the worst-filled group raises ``u`` by ``R / range_g >= 1``; with ``t`` in ``[0, 1]`` it was
``1 / range_g``, down to 1e-7 for a EUR 10M range, the size of the solver's dual tolerance, and
HiGHS stopped at a vertex that was not optimal); the priority objective as
``sum_g (weight_g / W) a_g`` with ``W`` the largest weight (`priority_scale` turns its values
and prices back into weight × euros).

Expressions are built from lists of (variable, coefficient) pairs, never with Python ``sum()``
over PuLP expressions (quadratic). Names carry zero-padded indexes, since PuLP orders the
variables by name: the same problem always yields the same LP, column for column.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import pulp
from netfund.allocation.problem import AllocationProblem, FunderSupply


def euros(cents: int) -> float:
    """Cents as euros for the LP; exact for any amount below 2**53 cents."""
    return cents / 100


def cap_coefficients(cap: Fraction) -> tuple[float, float]:
    """Coefficients (overhead, other) of the cap row ``sum_g k_g a_g <= room``."""
    return float(1 - cap), float(-cap)  # money-safe


def cap_room_euros(cap: Fraction, total_cents: int, overhead_cents: int) -> float:
    """Right-hand side ``cap * T_prev - O_prev`` of a cap row, in euros."""
    return float(cap * total_cents - overhead_cents) / 100  # money-safe


class AllocationModel:
    """The LP for one problem, with a handle on every row and column for values and duals.

    Attributes:
        problem: the problem it was built from.
        prob: the PuLP problem (maximisation; the stages set the objective).
        pairs: (funder index, request index) of each x, in canonical order.
        x: the x variables by pair.
        totals: the a variables, one per request (same order as ``problem.requests``).
        fill: the u variable (the fill ratio in euros of the widest request), or None when the
            fill ratio does not apply.
        fill_scale: ``R``, the widest request's range in euros: ``t = u / R`` (1 without u).
        priority_scale: ``W``, the largest weight (1 when every weight is 0).
        availability: the availability row by funder index (funders with at least one pair).
        balance: the balance row per request.
        network_cap: the network overhead cap row.
        funder_caps: the own-cap row by funder index (funders with a cap and a pair).
        fill_rows: the fill row by request index (requests with max > min, proportional only).
    """

    def __init__(self, problem: AllocationProblem, *, with_fill: bool) -> None:
        self.problem = problem
        self.prob = pulp.LpProblem("allocation", pulp.LpMaximize)
        prob = self.prob
        self.pairs = problem.pairs()
        self.x: dict[tuple[int, int], pulp.LpVariable] = {
            (f, g): prob.add_variable(f"x_{f:05d}_{g:06d}", 0) for f, g in self.pairs
        }
        self.totals: list[pulp.LpVariable] = [
            prob.add_variable(f"a_{g:06d}", euros(request.min_cents), euros(request.max_cents))
            for g, request in enumerate(problem.requests)
        ]
        by_funder: dict[int, list[tuple[int, pulp.LpVariable]]] = {}
        by_group: dict[int, list[pulp.LpVariable]] = {}
        for (f, g), variable in self.x.items():
            by_funder.setdefault(f, []).append((g, variable))
            by_group.setdefault(g, []).append(variable)

        self.availability: dict[int, pulp.LpConstraint] = {}
        for f, row in by_funder.items():
            funder = problem.funders[f]
            self.availability[f] = self._add(
                [(variable, 1.0) for _, variable in row],
                pulp.LpConstraintLE,
                f"available_{f:05d}",
                euros(funder.available_cents),
            )
        self.balance: list[pulp.LpConstraint] = []
        for g, total in enumerate(self.totals):
            terms = [(total, 1.0)] + [(variable, -1.0) for variable in by_group.get(g, [])]
            self.balance.append(self._add(terms, pulp.LpConstraintEQ, f"balance_{g:06d}", 0.0))

        overhead_k, other_k = cap_coefficients(problem.overhead_cap)
        network_terms = [
            (total, overhead_k if request.overhead else other_k)
            for total, request in zip(self.totals, problem.requests, strict=True)
        ]
        # A row without terms (cap 100% and only overhead groups, say) holds or fails by its
        # constants alone; the pre-checks report that case, so it is left out of the LP.
        network_terms = [(total, k) for total, k in network_terms if k != 0]
        self.network_cap: pulp.LpConstraint | None = None
        if network_terms:
            self.network_cap = self._add(
                network_terms,
                pulp.LpConstraintLE,
                "network_overhead_cap",
                cap_room_euros(
                    problem.overhead_cap,
                    problem.already_allocated_cents,
                    problem.already_allocated_overhead_cents,
                ),
            )
        self.funder_caps: dict[int, pulp.LpConstraint] = {}
        for f, row in by_funder.items():
            funder = problem.funders[f]
            terms = funder_cap_terms(problem, funder, row)
            if funder.overhead_cap is not None and terms:
                self.funder_caps[f] = self._add(
                    terms,
                    pulp.LpConstraintLE,
                    f"funder_overhead_cap_{f:05d}",
                    cap_room_euros(
                        funder.overhead_cap,
                        funder.already_allocated_cents,
                        funder.already_allocated_overhead_cents,
                    ),
                )

        self.fill: pulp.LpVariable | None = None
        self.fill_rows: dict[int, pulp.LpConstraint] = {}
        ranged = [g for g, request in enumerate(problem.requests) if request.range_cents > 0]
        widest = max((problem.requests[g].range_cents for g in ranged), default=0)
        self.fill_scale = euros(widest) if widest else 1.0
        weights = [request.weight for request in problem.requests]
        self.priority_scale = float(max(weights, default=0) or 1)  # money-safe
        if with_fill and ranged:
            self.fill = prob.add_variable("t", 0, self.fill_scale)
            for g in ranged:
                request = problem.requests[g]
                self.fill_rows[g] = self._add(
                    [(self.totals[g], 1.0), (self.fill, -request.range_cents / widest)],
                    pulp.LpConstraintGE,
                    f"fill_{g:06d}",
                    euros(request.min_cents),
                )

    def _add(
        self,
        terms: Sequence[tuple[pulp.LpVariable, float]],
        sense: int,
        name: str,
        rhs: float,
    ) -> pulp.LpConstraint:
        constraint = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs)
        self.prob.addConstraint(constraint, name)
        return constraint

    def priority_expression(self) -> pulp.LpAffineExpression:
        """``sum_g (weight_g / W) * a_g``: euros at the largest weight (see `priority_scale`)."""
        return pulp.LpAffineExpression(
            [
                (total, float(request.weight) / self.priority_scale)  # money-safe
                for total, request in zip(self.totals, self.problem.requests, strict=True)
                if request.weight != 0
            ]
        )

    def totals_expression(self, coefficients: Sequence[float]) -> pulp.LpAffineExpression:
        """``sum_g c_g * a_g`` for the tie-break stage."""
        return pulp.LpAffineExpression(
            [(total, c) for total, c in zip(self.totals, coefficients, strict=True) if c != 0]
        )

    def hold(
        self, name: str, expression: pulp.LpAffineExpression, floor: float
    ) -> pulp.LpConstraint:
        """Add ``expression >= floor``: keep an earlier stage's optimum in the later stages."""
        return self._add(list(expression.items()), pulp.LpConstraintGE, name, floor)

    def set_objective(self, expression: pulp.LpAffineExpression) -> None:
        self.prob.setObjective(expression)

    def total_values(self) -> list[float]:
        """The group totals of the last solve, in euros."""
        return [_value(total) for total in self.totals]

    def pair_values(self) -> dict[tuple[int, int], float]:
        """The x of the last solve, in euros."""
        return {pair: _value(variable) for pair, variable in self.x.items()}


def funder_cap_terms(
    problem: AllocationProblem,
    funder: FunderSupply,
    row: Sequence[tuple[int, pulp.LpVariable]],
) -> list[tuple[pulp.LpVariable, float]]:
    """Terms of ``O_f - cap_f * T_f`` over one funder's x (overhead 1 - cap, other -cap)."""
    if funder.overhead_cap is None:
        return []
    overhead_k, other_k = cap_coefficients(funder.overhead_cap)
    terms = [
        (variable, overhead_k if problem.requests[g].overhead else other_k) for g, variable in row
    ]
    return [(variable, k) for variable, k in terms if k != 0]


def _value(variable: pulp.LpVariable) -> float:
    value = variable.varValue
    return 0.0 if value is None else float(value)  # money-safe
