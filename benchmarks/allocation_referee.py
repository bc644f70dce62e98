"""How often the allocation engine disagrees with the independent referee, on seeded plans.

Run on demand (not part of the tests; the tests run the same referee under Hypothesis)::

    .venv/bin/python benchmarks/allocation_referee.py [--plans 400] [--seed 2026] [--json]

Plans come from `tests/support/allocation_referee.random_plan` with ``random.Random(seed + i)``
for i in 0..plans-1, so two runs (before and after a change of the engine) judge the very same
plans. Per objective it prints how many plans were solved, found infeasible by both, and how
many disagree with the referee (with the first disagreements' messages). A plan disagrees
when `assert_matches_referee` fails or the engine raises anything but `InfeasibleError`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.allocation_referee import assert_matches_referee, random_plan


def judge(objective: str, plans: int, seed: int) -> dict[str, object]:
    """Count agreements and disagreements of one objective over the seeded plans."""
    solved = infeasible = 0
    disagreements: list[str] = []
    started = time.perf_counter()
    for index in range(plans):
        problem = random_plan(random.Random(seed + index), objective)
        try:
            result = assert_matches_referee(problem)
        except AssertionError as error:
            disagreements.append(f"seed {seed + index}: {str(error).splitlines()[0][:160]}")
            continue
        except Exception as error:  # a crash is a disagreement too
            disagreements.append(f"seed {seed + index}: {type(error).__name__}: {error}"[:200])
            continue
        if result is None:
            infeasible += 1
        else:
            solved += 1
    return {
        "objective": objective,
        "plans": plans,
        "solved": solved,
        "infeasible": infeasible,
        "disagree": len(disagreements),
        "seconds": round(time.perf_counter() - started, 1),
        "examples": disagreements[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    rows = [judge(o, arguments.plans, arguments.seed) for o in ("proportional", "priority")]
    if arguments.json:
        print(json.dumps({"seed": arguments.seed, "objectives": rows}))
        return
    print(f"seeds {arguments.seed}..{arguments.seed + arguments.plans - 1}")
    for row in rows:
        rate = 100 * int(row["disagree"]) / max(1, int(row["solved"]) + int(row["disagree"]))
        print(
            f"{row['objective']:>12}: {row['solved']} solved, {row['infeasible']} infeasible "
            f"(both), {row['disagree']} disagree ({rate:.1f}% of the feasible), "
            f"{row['seconds']} s"
        )
        for example in row["examples"]:  # type: ignore[union-attr]
            print(f"              {example}")


if __name__ == "__main__":
    main()
