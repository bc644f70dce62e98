"""How long ``netfund allocate`` takes end to end on a large plan, and how much of it is parsing.

Run on demand (not part of the tests)::

    .venv/bin/python benchmarks/plan_speed.py [--sizes 2000,10000] [--funders 10]
        [--time-limit 10] [--repeat 1] [--json]

Per size it writes a network with that many working groups (the ``network`` shape of
`allocation_instances`: one group in ten overhead, one funder in ten earmarked, a few funders
with their own cap), one commitment per funder, and a plan with one request per group, into a
temporary folder; runs ``netfund init`` and ``netfund import`` (not timed), then times

- ``load_plan``: reading and validating plan.toml in this process (best of ``--repeat``);
- ``allocate``: ``netfund allocate plan.toml --time-limit T --json`` as a fresh process, wall
  clock, including Python's start and imports (best of ``--repeat``), and its exit code;
- ``cpu``: that process's user + system CPU time (best of ``--repeat``): on a machine shared
  with other work the wall clock grows with the load, the CPU time much less.

Why end to end: issue 15 found a 10,000-request plan taking 336 s under ``--time-limit 10``,
most of it in parsing, which the solver's limit never saw. Times in seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from netfund.allocation.plan import load_plan
from netfund.allocation.problem import AllocationProblem

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import allocation_instances

NETFUND = Path(sys.executable).parent / "netfund"


def _euros(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


def write_inputs(problem: AllocationProblem, folder: Path) -> dict[str, Path]:
    """network.toml, events.csv and plan.toml that give ``problem`` for period 2026."""
    network = [
        "[network]",
        'name = "Plan speed"',
        'currency = "EUR"',
        'language = "en"',
        f"overhead_cap = {float(problem.overhead_cap)}",
    ]
    for funder in problem.funders:
        network += [
            "",
            "[[funders]]",
            f'code = "{funder.code}"',
            f'name = "Funder {funder.code}"',
            'kind = "other"',
            'framework = "bench"',
            'unspent = "return"',
        ]
        if funder.overhead_cap is not None:
            network.append(f"overhead_cap = {float(funder.overhead_cap)}")
        if funder.eligible_groups is not None:
            groups = ", ".join(f'"{group}"' for group in sorted(funder.eligible_groups))
            network.append(f"eligible_groups = [{groups}]")
    for request in problem.requests:
        network += [
            "",
            "[[groups]]",
            f'code = "{request.group}"',
            f'name = "Group {request.group}"',
            f"overhead = {'true' if request.overhead else 'false'}",
        ]
    events = ["id,date,type,funder,group,amount,description,reference"]
    for number, funder in enumerate(problem.funders, start=1):
        events.append(
            f"c{number},2026-01-02,commitment,{funder.code},,"
            f"{_euros(funder.available_cents)},commitment,"
        )
    plan = ["[allocation]", 'period = "2026"', 'basis = "committed"', 'objective = "priority"']
    for request in problem.requests:
        plan += [
            "",
            "[[requests]]",
            f'group = "{request.group}"',
            f'min = "{_euros(request.min_cents)}"',
            f'max = "{_euros(request.max_cents)}"',
            f"weight = {request.weight}",
        ]
    paths = {
        "network": folder / "network.toml",
        "events": folder / "events.csv",
        "plan": folder / "plan.toml",
    }
    for key, lines in (("network", network), ("events", events), ("plan", plan)):
        paths[key].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _netfund(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NETFUND), "--db", str(db), *args], capture_output=True, text=True, check=False
    )


def measure(groups: int, funders: int, time_limit: float, repeat: int) -> dict[str, object]:
    problem = allocation_instances.make_problem(groups, funders)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_inputs(problem, folder)
        db = folder / "bench.db"
        for args in (("init", str(paths["network"])), ("import", str(paths["events"]))):
            done = _netfund(db, *args)
            if done.returncode != 0:
                raise SystemExit(f"netfund {args[0]} failed: {done.stderr}")
        codes = {request.group for request in problem.requests}
        parse = []
        for _ in range(repeat):
            start = time.perf_counter()
            load_plan(paths["plan"], codes)
            parse.append(time.perf_counter() - start)
        allocate = []
        cpu = []
        exit_code = 0
        message = ""
        for _ in range(repeat):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = _netfund(
                db, "allocate", str(paths["plan"]), "--time-limit", str(time_limit), "--json"
            )
            allocate.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
            exit_code = done.returncode
            message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return {
        "groups": groups,
        "funders": funders,
        "time_limit": time_limit,
        "load_plan": round(min(parse), 3),
        "allocate": round(min(allocate), 3),
        "cpu": round(min(cpu), 3),
        "exit_code": exit_code,
        "message": message,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--funders", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    rows = [
        measure(int(size), options.funders, options.time_limit, options.repeat)
        for size in options.sizes.split(",")
    ]
    if options.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'requests':>9} {'funders':>7} {'load_plan s':>11} {'allocate s':>10} {'cpu s':>6} exit"
    )
    for row in rows:
        print(
            f"{row['groups']:>9} {row['funders']:>7} {row['load_plan']:>11} "
            f"{row['allocate']:>10} {row['cpu']:>6} {row['exit_code']} {row['message']}"
        )


if __name__ == "__main__":
    main()
