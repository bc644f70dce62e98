"""The allocation's own errors: a plan that cannot hold (exit 3), a solver without a proven,
certified optimum (`solver.SolverFailure`, exit 1) and a run out of its time limit (exit 1).
They extend the ledger's `NetfundError`, so the CLI maps every error to its exit code in one
place."""

from __future__ import annotations

from netfund.ledger import NetfundError


class InfeasibleError(NetfundError):
    """An allocation plan that cannot hold; `diagnosis` lists the conflicts in words."""

    exit_code = 3

    def __init__(self, message: str, diagnosis: list[str] | None = None) -> None:
        self.diagnosis = diagnosis or []
        super().__init__("\n".join([message, *self.diagnosis]))


class TimeLimitExceeded(NetfundError):
    """The run's ``--time-limit`` ran out before it had a result (see `deadline`).

    Exit 1, as for a solver without a proven optimum (docs/CONTRACT.md): the plan is not shown
    to be wrong or infeasible, there was no time to prove its optimum. Nothing is stored.
    """

    exit_code = 1

    def __init__(self, seconds: float, doing: str) -> None:
        self.seconds = seconds
        self.doing = doing
        super().__init__(
            f"the time limit of {seconds:g} s for the whole allocation ran out {doing}; "
            "nothing was stored (a larger --time-limit gives it more time)"
        )
