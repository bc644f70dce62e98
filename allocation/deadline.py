"""One time budget for a whole `allocate` run, from reading the plan to storing the result.

Why: ``--time-limit`` used to bound each LP solve only, so a run of four stages could take four
times the limit, and reading a large plan (quadratic until issue 15) was not counted at all: a
10,000-request plan took 336 s under ``--time-limit 10``. A `Deadline` starts when the command
starts; each phase checks it, and each LP solve gets only the time that is left
(`solver.SolverSettings.make`). When it runs out the run stops with `TimeLimitExceeded`, before
anything is stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from netfund.allocation.errors import TimeLimitExceeded

#: The clock of every deadline: monotonic, so a change of the system clock neither ends a run
#: early nor extends it. Tests replace it to run out of time at a chosen moment.
clock = time.monotonic


@dataclass(frozen=True)
class Deadline:
    """When the run must be over, on `clock`, and the budget it was given (for messages)."""

    seconds: float
    ends_at: float

    @classmethod
    def start(cls, seconds: float, spent: float = 0.0) -> Deadline:
        """A budget of ``seconds`` of which ``spent`` seconds are already gone (measured
        before this module could be imported)."""
        return cls(seconds, clock() + seconds - spent)

    def remaining(self) -> float:
        """Seconds left; zero or less once the budget is spent."""
        return self.ends_at - clock()

    def check(self, doing: str) -> float:
        """The seconds left, or `TimeLimitExceeded` naming what the run was ``doing``."""
        left = self.remaining()
        if left <= 0:
            raise TimeLimitExceeded(self.seconds, doing)
        return left
