"""The allocation's own errors: a plan that cannot hold (exit 3) and a solver without a proven,
certified optimum (`solver.SolverFailure`, exit 1). They extend the ledger's `NetfundError`, so
the CLI maps every error to its exit code in one place."""

from __future__ import annotations

from netfund.ledger import NetfundError


class InfeasibleError(NetfundError):
    """An allocation plan that cannot hold; `diagnosis` lists the conflicts in words."""

    exit_code = 3

    def __init__(self, message: str, diagnosis: list[str] | None = None) -> None:
        self.diagnosis = diagnosis or []
        super().__init__("\n".join([message, *self.diagnosis]))
