"""What the standing rules (`ledger/store/rules.py`) cost a bulk import, in CPU seconds.

Run from the repository root:

    .venv/bin/python benchmarks/rules_cost.py [--events 100000] [--rounds 3]

The same synthetic events file (`import_speed.py`'s: 5 funders, 40 groups, N unattributed
expenses) is imported into fresh SQLite files, alternately with the rules and with them
switched off (the line check and the budget check replaced by ones that find nothing), and
the process CPU time of each import is printed (the background writer thread included).
Not part of the test suite: timings are measured on demand, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import import_speed
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store import post, rules
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize


def _import_seconds(folder: Path, with_rules: bool) -> float:
    database = folder / f"ledger-{time.time_ns()}.db"
    engine = connect(f"sqlite:///{database}")
    initialize(engine, load_network(folder / "network.toml"))
    saved = (rules.LineRules.draft_errors, post.budget_problems)
    if not with_rules:
        rules.LineRules.draft_errors = lambda self, draft: []  # type: ignore[method-assign]
        post.budget_problems = lambda *arguments: []  # type: ignore[assignment]
    try:
        started = time.process_time()
        import_events(engine, folder / "events.csv")
        return time.process_time() - started
    finally:
        rules.LineRules.draft_errors, post.budget_problems = saved  # type: ignore[method-assign]
        engine.dispose()
        database.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    import_speed.write_network(folder / "network.toml")
    import_speed.write_events(folder / "events.csv", arguments.events)
    seconds: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(arguments.rounds):
        for with_rules in (False, True):
            seconds[with_rules].append(_import_seconds(folder, with_rules))
    for with_rules, label in ((False, "rules off"), (True, "rules on")):
        runs = ", ".join(f"{value:.2f}" for value in sorted(seconds[with_rules]))
        print(f"{label}: median {statistics.median(seconds[with_rules]):.2f} s CPU ({runs})")


if __name__ == "__main__":
    main()
