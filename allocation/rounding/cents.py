"""From the LP's euros to whole cents, keeping every constraint true in integer arithmetic.

Rounding each value on its own breaks things: ten values of x.5 cents all rounded up push a
group over its maximum by 5 cents. Instead this is a *controlled rounding* (Cox, 1987): each
value goes to its floor or its ceiling, and so does every sum that a constraint looks at:

- each funder's total (never above its availability),
- each group's total (never outside its min and max),
- each capped funder's overhead part and other part,
- the network's overhead total and other total.

These sums form a nested (laminar) family on the funder side and on the group side, so the
question "which values round up?" is a flow problem: source → funder → (its overhead or other
part) → group → (overhead or other class) → sink, one unit edge per fractional value and every
other edge bounded by the floor and ceiling of its sum. The LP solution itself is a fractional
flow within those bounds, so an integral one exists (max-flow integrality) and `maxflow` finds
it exactly.

The caps are inequalities between sums, ``den * (O_prev + O) <= num * (T_prev + O + N)``, which
a floor-or-ceiling choice can break by a few cents. The network cap is kept exactly by choosing
its two class totals first: the LP point lies in the convex hull of the feasible (O, N) corners
and satisfies the cap, so some corner satisfies it too, and we pin the best feasible one. A
capped funder whose own cap still fails gets its part totals pinned the same way. Anything left
is repaired cent by cent with moves that can only help every cap (overhead → other group in the
same funder's row, overhead down, other up), within availability and the request bounds; when
a funder's cap still fails, it hands an overhead cent to another funder of that group, or
trades one with another funder across two groups (possible even when no floor-or-ceiling
rounding keeps two binding funder caps at once). Should all of that fail (a chain of trades
through several funders would be needed: a few random plans in ten thousand), the small integer
program of `exact_rounding` decides. The caller re-checks every constraint in integers
afterwards (`checks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from netfund.allocation.problem import AllocationProblem, FunderSupply
from netfund.allocation.rounding.exact import exact_rounding
from netfund.allocation.rounding.maxflow import UNBOUNDED, BoundedFlow
from netfund.allocation.solver import SolverSettings
from netfund.ledger import InvariantViolation, cap_excess

Pair = tuple[int, int]

#: An LP value this close to a whole cent is that cent: solver noise, not a fraction to round.
SNAP_CENTS = 1e-4
#: The same for sums, where the noise of many values adds up.
SUM_SNAP_CENTS = 1e-3
#: Upper limit on single-cent repair moves; a few are normal, thousands mean a bug.
REPAIR_MOVES_MAX = 100_000


@dataclass
class _SumBounds:
    """The floor..ceiling of a fractional sum, cut to hard bounds, and its fixed integer part."""

    low: int
    high: int
    base: int = 0

    def edge_bounds(self) -> tuple[int, int]:
        """Bounds on the flow that the fractional values add on top of ``base``."""
        return max(0, self.low - self.base), self.high - self.base


def _sum_bounds(value: float, hard_low: int, hard_high: int, what: str) -> _SumBounds:
    low = max(hard_low, math.floor(value + SUM_SNAP_CENTS))
    high = min(hard_high, math.ceil(value - SUM_SNAP_CENTS))
    if low > high:
        raise InvariantViolation(
            f"the LP solution breaks {what} by more than a cent ({value / 100:.6f} euros, "
            f"bounds {hard_low / 100:.2f}..{hard_high / 100:.2f})"
        )
    return _SumBounds(low, high)


class _Stuck(Exception):
    """The flow rounding and its repair found no way; the exact fallback takes over."""


def round_to_cents(
    problem: AllocationProblem,
    lp_cents: Mapping[Pair, float],
    settings: SolverSettings | None = None,
) -> dict[Pair, int]:
    """Round the LP's x (in cents, per allowed pair) to integers; see the module docstring.

    In the rare case that the flow rounding and the repair cannot keep every cap, the small
    integer program of `exact_rounding` decides (with ``settings``' solver, else HiGHS).
    """
    try:
        cents = _Rounding(problem, lp_cents).solve()
        _Repair(problem, lp_cents, cents).run()
    except _Stuck:
        return exact_rounding(problem, lp_cents, settings)
    return cents


class _Rounding:
    """The flow network of one controlled rounding and the choice of cap-safe corners."""

    def __init__(self, problem: AllocationProblem, lp_cents: Mapping[Pair, float]) -> None:
        self.problem = problem
        self.pairs = sorted(lp_cents)
        self.base: dict[Pair, int] = {}
        self.fractional: list[Pair] = []
        for pair in self.pairs:
            value = lp_cents[pair]
            if value < -SNAP_CENTS:
                raise InvariantViolation(f"the LP gave a negative amount for pair {pair}: {value}")
            value = max(value, 0.0)
            nearest = round(value)
            if abs(value - nearest) <= SNAP_CENTS:
                self.base[pair] = nearest
            else:
                self.base[pair] = math.floor(value)
                self.fractional.append(pair)
        values = {pair: max(lp_cents[pair], 0.0) for pair in self.pairs}
        requests, funders = problem.requests, problem.funders

        row_value = [0.0] * len(funders)
        column_value = [0.0] * len(requests)
        part_value = {(f, overhead): 0.0 for f in range(len(funders)) for overhead in (True, False)}
        for (f, g), value in values.items():
            row_value[f] += value
            column_value[g] += value
            part_value[f, requests[g].overhead] += value
        class_value = {True: 0.0, False: 0.0}
        for g, request in enumerate(requests):
            class_value[request.overhead] += column_value[g]

        self.rows = [
            _sum_bounds(row_value[f], 0, funder.available_cents, f"{funder.code}'s availability")
            for f, funder in enumerate(funders)
        ]
        self.columns = [
            _sum_bounds(
                column_value[g], request.min_cents, request.max_cents, f"{request.group}'s bounds"
            )
            for g, request in enumerate(requests)
        ]
        self.parts = {
            key: _sum_bounds(value, 0, UNBOUNDED, "a funder's overhead part")
            for key, value in part_value.items()
        }
        self.classes = {
            overhead: _sum_bounds(value, 0, UNBOUNDED, "the overhead total")
            for overhead, value in class_value.items()
        }
        for (f, g), base in self.base.items():
            self.rows[f].base += base
            self.columns[g].base += base
            self.parts[f, requests[g].overhead].base += base
            self.classes[requests[g].overhead].base += base
        self._build()

    def _build(self) -> None:
        """Nodes: source, sink, funders, capped funders' two parts, groups, two classes."""
        problem = self.problem
        funder_count, group_count = len(problem.funders), len(problem.requests)
        source, sink = 0, 1
        funder_node = [2 + f for f in range(funder_count)]
        next_node = 2 + funder_count
        part_node: dict[tuple[int, bool], int] = {}
        for f, funder in enumerate(problem.funders):
            if funder.overhead_cap is not None:
                for overhead in (True, False):
                    part_node[f, overhead] = next_node
                    next_node += 1
        group_node = [next_node + g for g in range(group_count)]
        next_node += group_count
        class_node = {True: next_node, False: next_node + 1}
        self.flow = BoundedFlow(next_node + 2)
        flow = self.flow

        flow.add_edge(sink, source, 0, UNBOUNDED)
        for f in range(funder_count):
            flow.add_edge(source, funder_node[f], *self.rows[f].edge_bounds())
        self.part_edges: dict[tuple[int, bool], int] = {}
        for (f, overhead), node in part_node.items():
            self.part_edges[f, overhead] = flow.add_edge(
                funder_node[f], node, *self.parts[f, overhead].edge_bounds()
            )
        self.value_edges: dict[Pair, int] = {}
        for f, g in self.fractional:
            tail = part_node.get((f, problem.requests[g].overhead), funder_node[f])
            self.value_edges[f, g] = flow.add_edge(tail, group_node[g], 0, 1)
        for g, request in enumerate(problem.requests):
            flow.add_edge(
                group_node[g], class_node[request.overhead], *self.columns[g].edge_bounds()
            )
        self.class_edges = {
            overhead: flow.add_edge(
                class_node[overhead], sink, *self.classes[overhead].edge_bounds()
            )
            for overhead in (True, False)
        }

    def _pin(self, edge: int, bounds: _SumBounds, value: int | None) -> None:
        """Fix the sum behind ``edge`` to ``value`` (None: back to its floor..ceiling)."""
        if value is None:
            low, high = bounds.edge_bounds()
        else:
            low = high = value - bounds.base
        self.flow.lows[edge] = low
        self.flow.highs[edge] = high

    def _corners(
        self, overhead: _SumBounds, other: _SumBounds, excess: Callable[[int, int], int]
    ) -> list[tuple[int, int]]:
        """(overhead, other) corners that satisfy a cap, best (lowest excess) first."""
        corners = {(o, n) for o in (overhead.low, overhead.high) for n in (other.low, other.high)}
        good = [(excess(o, n), o, n) for o, n in corners if excess(o, n) <= 0]
        return [(o, n) for _, o, n in sorted(good)]

    def solve(self) -> dict[Pair, int]:
        """Pin the network's corner, then the corners of capped funders whose cap broke; if a
        funder cannot be pinned under the network's corner, pin the funders first and look
        for a network corner that fits them."""
        problem = self.problem
        cap = problem.overhead_cap

        def network_excess(overhead: int, other: int) -> int:
            return cap_excess(
                problem.already_allocated_overhead_cents + overhead,
                problem.already_allocated_cents + overhead + other,
                cap,
            )

        corners = self._corners(self.classes[True], self.classes[False], network_excess)
        flow_values = self._pin_network(corners)
        if flow_values is None:  # no cap-safe corner: round freely, the repair takes over
            flow_values = self.flow.feasible_flow()
        if flow_values is None:
            raise _Stuck("no controlled rounding of the LP solution exists")
        cents = self._cents(flow_values)
        cents, broken, all_pinned = self._pin_funders(cents, set())
        if all_pinned:
            return cents
        # Backtrack once: free everything, pin the broken funders, then fit the network.
        self._unpin_network()
        for f in range(len(problem.funders)):
            if (f, True) in self.part_edges:
                self._pin(self.part_edges[f, True], self.parts[f, True], None)
                self._pin(self.part_edges[f, False], self.parts[f, False], None)
        flow_values = self.flow.feasible_flow()
        assert flow_values is not None  # the same network as above, with fewer pins
        cents, _, _ = self._pin_funders(self._cents(flow_values), broken)
        fitted = self._pin_network(corners)
        return cents if fitted is None else self._cents(fitted)

    def _pin_network(self, corners: list[tuple[int, int]]) -> list[int] | None:
        """Pin the first network corner that leaves a feasible rounding; None (and no pin) if
        none does."""
        for overhead, other in corners:
            self._pin(self.class_edges[True], self.classes[True], overhead)
            self._pin(self.class_edges[False], self.classes[False], other)
            flow_values = self.flow.feasible_flow()
            if flow_values is not None:
                return flow_values
        self._unpin_network()
        return None

    def _unpin_network(self) -> None:
        self._pin(self.class_edges[True], self.classes[True], None)
        self._pin(self.class_edges[False], self.classes[False], None)

    def _pin_funders(
        self, cents: dict[Pair, int], also: set[int]
    ) -> tuple[dict[Pair, int], set[int], bool]:
        """Pin a cap-safe corner for each capped funder whose cap ``cents`` breaks, and for
        the funders in ``also``; return the new cents, the funders tried, and whether every
        one of them could be pinned."""
        all_pinned = True
        tried: set[int] = set()
        for f, funder in enumerate(self.problem.funders):
            if funder.overhead_cap is None:
                continue
            if f not in also and self._funder_excess(f, cents) <= 0:
                continue
            tried.add(f)
            pinned = False
            for overhead, other in self._corners(
                self.parts[f, True], self.parts[f, False], _excess_of(funder)
            ):
                self._pin(self.part_edges[f, True], self.parts[f, True], overhead)
                self._pin(self.part_edges[f, False], self.parts[f, False], other)
                candidate = self.flow.feasible_flow()
                if candidate is not None:
                    cents = self._cents(candidate)
                    pinned = True
                    break
            if not pinned:
                self._pin(self.part_edges[f, True], self.parts[f, True], None)
                self._pin(self.part_edges[f, False], self.parts[f, False], None)
                all_pinned = False
        return cents, tried, all_pinned

    def _cents(self, flow_values: list[int]) -> dict[Pair, int]:
        cents = dict(self.base)
        for pair, edge in self.value_edges.items():
            cents[pair] += flow_values[edge]
        return cents

    def _funder_excess(self, f: int, cents: Mapping[Pair, int]) -> int:
        funder = self.problem.funders[f]
        assert funder.overhead_cap is not None
        total = overhead = 0
        for (row, g), amount in cents.items():
            if row == f:
                total += amount
                if self.problem.requests[g].overhead:
                    overhead += amount
        return cap_excess(
            funder.already_allocated_overhead_cents + overhead,
            funder.already_allocated_cents + total,
            funder.overhead_cap,
        )


def _excess_of(funder: FunderSupply) -> Callable[[int, int], int]:
    """The cap excess of ``funder`` as a function of its (overhead, other) totals of this run."""
    cap = funder.overhead_cap
    assert cap is not None

    def excess(overhead: int, other: int) -> int:
        return cap_excess(
            funder.already_allocated_overhead_cents + overhead,
            funder.already_allocated_cents + overhead + other,
            cap,
        )

    return excess


class _Repair:
    """Cent-by-cent moves that fix a cap the corners could not, never breaking anything else.

    Every move stays in one funder's row and lowers overhead or raises other money there, so it
    helps that funder's cap and the network cap at once and cannot hurt another funder's cap.
    """

    def __init__(
        self, problem: AllocationProblem, lp_cents: Mapping[Pair, float], cents: dict[Pair, int]
    ) -> None:
        self.problem = problem
        self.lp = lp_cents
        self.cents = cents
        self.rows: dict[int, list[int]] = {}
        self.columns: dict[int, list[int]] = {}
        for f, g in sorted(cents):
            self.rows.setdefault(f, []).append(g)
            self.columns.setdefault(g, []).append(f)
        self.row_total = [0] * len(problem.funders)
        self.row_overhead = [0] * len(problem.funders)
        self.column_total = [0] * len(problem.requests)
        for (f, g), amount in cents.items():
            self.row_total[f] += amount
            self.column_total[g] += amount
            if problem.requests[g].overhead:
                self.row_overhead[f] += amount

    def _network_excess(self) -> int:
        problem = self.problem
        total = sum(self.column_total)
        overhead = sum(
            amount
            for amount, request in zip(self.column_total, problem.requests, strict=True)
            if request.overhead
        )
        return cap_excess(
            problem.already_allocated_overhead_cents + overhead,
            problem.already_allocated_cents + total,
            problem.overhead_cap,
        )

    def _funder_excess(self, f: int) -> int:
        funder = self.problem.funders[f]
        if funder.overhead_cap is None:
            return 0
        return cap_excess(
            funder.already_allocated_overhead_cents + self.row_overhead[f],
            funder.already_allocated_cents + self.row_total[f],
            funder.overhead_cap,
        )

    def run(self) -> None:
        for _ in range(REPAIR_MOVES_MAX):
            broken = [f for f in range(len(self.problem.funders)) if self._funder_excess(f) > 0]
            if broken:
                rows = broken[:1]
                cap = self.problem.funders[broken[0]].overhead_cap
            elif self._network_excess() > 0:
                rows = sorted(self.rows)
                cap = self.problem.overhead_cap
            else:
                return
            assert cap is not None
            moved = any(self._move(f, cap) for f in rows)
            if not moved and broken:
                moved = self._hand_over(broken[0]) or self._swap(broken[0])
            if not moved:
                raise _Stuck("rounding broke an overhead cap and no single move fixes it")
        raise _Stuck(f"rounding repair needed more than {REPAIR_MOVES_MAX} moves")

    def _move(self, f: int, cap: Fraction) -> bool:
        """Make one move in row ``f`` that lowers the excess of ``cap``; False if none exists."""
        requests = self.problem.requests
        groups = self.rows.get(f, [])
        # Prefer undoing the roundings that went the wrong way: overhead rounded up the most,
        # other money rounded down the most (keeps every value within a cent of the LP).
        lowerable = sorted(
            (
                g
                for g in groups
                if requests[g].overhead
                and self.cents[f, g] > 0
                and self.column_total[g] > requests[g].min_cents
            ),
            key=lambda g: (self.lp[f, g] - self.cents[f, g], g),
        )
        raisable = sorted(
            (
                g
                for g in groups
                if not requests[g].overhead and self.column_total[g] < requests[g].max_cents
            ),
            key=lambda g: (self.cents[f, g] - self.lp[f, g], g),
        )
        if lowerable and raisable and cap.denominator > 0:
            self._shift(f, lowerable[0], -1)
            self._shift(f, raisable[0], +1)
            return True
        if lowerable and cap.denominator > cap.numerator:
            self._shift(f, lowerable[0], -1)
            return True
        room = self.row_total[f] < self.problem.funders[f].available_cents
        if raisable and room and cap.numerator > 0:
            self._shift(f, raisable[0], +1)
            return True
        return False

    def _hand_over(self, f: int) -> bool:
        """Give one overhead cent of funder ``f`` to another funder of the same group that has
        money left and room under its own cap: group totals, and so the network cap, stay."""
        requests, funders = self.problem.requests, self.problem.funders
        for g in self.rows.get(f, []):
            if not requests[g].overhead or self.cents[f, g] == 0:
                continue
            for other in self.columns.get(g, []):
                if other == f or self.row_total[other] >= funders[other].available_cents:
                    continue
                self._shift(f, g, -1)
                self._shift(other, g, +1)
                if self._funder_excess(other) <= 0:
                    return True
                self._shift(other, g, -1)  # it would break the other's cap: undo
                self._shift(f, g, +1)
        return False

    def _swap(self, f: int) -> bool:
        """Trade with another funder over two groups: ``f`` gives one cent less to an overhead
        group and one more to another group, the other funder the reverse. Every total (row,
        group, network) stays; only ``f``'s overhead share falls. The other funder must not
        break its own cap by it."""
        requests = self.problem.requests
        for o in self.rows.get(f, []):
            if not requests[o].overhead or self.cents[f, o] == 0:
                continue
            for h in self.rows.get(f, []):
                if requests[h].overhead:
                    continue
                for other in self.columns.get(o, []):
                    if other == f or (other, h) not in self.cents or self.cents[other, h] == 0:
                        continue
                    self._trade(f, other, o, h, +1)
                    if self._funder_excess(other) <= 0:
                        return True
                    self._trade(f, other, o, h, -1)  # it would break the other's cap: undo
        return False

    def _trade(self, f: int, other: int, overhead_group: int, other_group: int, step: int) -> None:
        self._shift(f, overhead_group, -step)
        self._shift(f, other_group, +step)
        self._shift(other, overhead_group, +step)
        self._shift(other, other_group, -step)

    def _shift(self, f: int, g: int, step: int) -> None:
        self.cents[f, g] += step
        self.row_total[f] += step
        self.column_total[g] += step
        if self.problem.requests[g].overhead:
            self.row_overhead[f] += step
