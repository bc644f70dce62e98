"""A small exact max-flow (Dinic) with lower bounds, in integers, for the cent rounding.

The rounding asks "is there an integral flow whose every edge stays within [low, high]?"; the
classic reduction turns lower bounds into supplies and demands at the nodes and answers with one
max-flow from a super source to a super sink. Integer capacities give an integral flow, which is
the whole point: the fractional LP solution proves a feasible flow exists, and max-flow
integrality turns it into whole cents. Plain Python, no solver: the graphs are small (one edge per
fractional LP value) and the answer must be exact.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

#: Capacity standing in for "no upper bound"; far above any cent total we route.
UNBOUNDED = 1 << 62


@dataclass
class BoundedFlow:
    """A directed graph whose edges carry integer flow within [low, high].

    Attributes:
        node_count: nodes are 0 .. node_count - 1.
        tails, heads, lows, highs: one entry per edge, in the order added.
    """

    node_count: int
    tails: list[int] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    lows: list[int] = field(default_factory=list)
    highs: list[int] = field(default_factory=list)

    def add_edge(self, tail: int, head: int, low: int, high: int) -> int:
        """Add an edge and return its index (used to set its bounds or read its flow)."""
        self.tails.append(tail)
        self.heads.append(head)
        self.lows.append(low)
        self.highs.append(high)
        return len(self.tails) - 1

    def feasible_flow(self) -> list[int] | None:
        """An integral flow within every edge's bounds that is conserved at every node.

        Returns the flow per edge, or None when no such flow exists (then no rounding meets
        the bounds either). Add an edge from the sink back to the source to allow a net flow.
        """
        for low, high in zip(self.lows, self.highs, strict=True):
            if low > high:
                return None
        super_source, super_sink = self.node_count, self.node_count + 1
        network = _Dinic(self.node_count + 2)
        balance = [0] * self.node_count
        residual_edges = []
        for tail, head, low, high in zip(
            self.tails, self.heads, self.lows, self.highs, strict=True
        ):
            residual_edges.append(network.add_edge(tail, head, high - low))
            balance[head] += low
            balance[tail] -= low
        demand = 0
        for node, amount in enumerate(balance):
            if amount > 0:
                network.add_edge(super_source, node, amount)
                demand += amount
            elif amount < 0:
                network.add_edge(node, super_sink, -amount)
        if network.max_flow(super_source, super_sink) != demand:
            return None
        return [
            low + network.flow(edge) for low, edge in zip(self.lows, residual_edges, strict=True)
        ]


class _Dinic:
    """Dinic's max-flow on adjacency arrays; edges come in (forward, backward) pairs."""

    def __init__(self, node_count: int) -> None:
        self.adjacent: list[list[int]] = [[] for _ in range(node_count)]
        self.head: list[int] = []
        self.capacity: list[int] = []
        self.original: list[int] = []

    def add_edge(self, tail: int, head: int, capacity: int) -> int:
        index = len(self.head)
        self.head += [head, tail]
        self.capacity += [capacity, 0]
        self.original += [capacity, 0]
        self.adjacent[tail].append(index)
        self.adjacent[head].append(index + 1)
        return index

    def flow(self, edge: int) -> int:
        return self.original[edge] - self.capacity[edge]

    def max_flow(self, source: int, sink: int) -> int:
        total = 0
        while True:
            level = self._levels(source, sink)
            if level is None:
                return total
            cursor = [0] * len(self.adjacent)
            while True:
                pushed = self._augment(source, sink, level, cursor)
                if pushed == 0:
                    break
                total += pushed

    def _levels(self, source: int, sink: int) -> list[int] | None:
        level = [-1] * len(self.adjacent)
        level[source] = 0
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for edge in self.adjacent[node]:
                head = self.head[edge]
                if self.capacity[edge] > 0 and level[head] < 0:
                    level[head] = level[node] + 1
                    queue.append(head)
        return level if level[sink] >= 0 else None

    def _augment(self, source: int, sink: int, level: list[int], cursor: list[int]) -> int:
        """Find one blocking-flow path with an explicit stack (no recursion limit)."""
        path: list[int] = []  # edges taken from the source
        node = source
        while True:
            if node == sink:
                pushed = min(self.capacity[edge] for edge in path)
                for edge in path:
                    self.capacity[edge] -= pushed
                    self.capacity[edge ^ 1] += pushed
                return pushed
            edges = self.adjacent[node]
            advanced = False
            while cursor[node] < len(edges):
                edge = edges[cursor[node]]
                head = self.head[edge]
                if self.capacity[edge] > 0 and level[head] == level[node] + 1:
                    path.append(edge)
                    node = head
                    advanced = True
                    break
                cursor[node] += 1
            if advanced:
                continue
            if not path:
                return 0
            # Dead end: retreat one edge and skip it from now on.
            level[node] = -1
            edge = path.pop()
            node = self.head[edge ^ 1]
            cursor[node] += 1
