"""What a `netfund` command costs before it does anything: the start-up (issue 21).

Usage (docs/BENCHMARKS.md, "Issue 21: start-up"); run on demand, not a test:

    .venv/bin/python benchmarks/startup_speed.py [--netfund PATH ...] [--runs 5] [--top 12]

For each ``--netfund`` console script (default: the one beside this Python; give two, e.g.
a checkout of main's and this branch's, to compare them on the same machine at the same
time), builds a small ledger (the Saniveld example network and its 42 events) in a temporary
folder, then runs ``netfund --version``, ``netfund status --help`` and ``netfund balance
--json`` ``--runs`` times each, the scripts taking turns so that a busy machine slows them
alike. Prints the minimum and median wall time and CPU time (user + system, which another
process on the machine disturbs less) of each, and the modules with the largest self and
cumulative times of ``python -X importtime -c "import netfund.cli.main"`` (the smallest of
``--runs`` runs per module).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "saniveld"
COMMANDS = (("--version",), ("status", "--help"), ("balance", "--json"))
IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(netfund: Path, arguments: tuple[str, ...], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``netfund ARGUMENTS``; a failing run stops the
    benchmark (a command that exits early would look fast)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run([str(netfund), *arguments], env=env, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def small_ledger(netfund: Path, folder: Path) -> dict[str, str]:
    """The environment of a ledger with the example network and its events in ``folder``."""
    env = {**os.environ, "NETFUND_DB": f"sqlite:///{folder / 'small.db'}"}
    for arguments in (
        ("init", str(EXAMPLE / "network.toml")),
        ("import", str(EXAMPLE / "events.csv")),
    ):
        subprocess.run([str(netfund), *arguments], env=env, check=True, capture_output=True)
    return env


def import_times(netfund: Path, runs: int) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) of every module ``import netfund.cli.main`` loads, each
    the smallest of ``runs`` runs (the least disturbed by the rest of the machine)."""
    python = netfund.with_name("python")
    best: dict[str, tuple[int, int]] = {}
    for _ in range(runs):
        found = subprocess.run(
            [str(python), "-X", "importtime", "-c", "import netfund.cli.main"],
            capture_output=True,
            text=True,
            check=True,
        )
        for line in found.stderr.splitlines():
            match = IMPORTTIME.match(line)
            if match:
                own, cumulative = int(match[1]), int(match[2])
                if match[4] in best:
                    own, cumulative = (
                        min(own, best[match[4]][0]),
                        min(cumulative, best[match[4]][1]),
                    )
                best[match[4]] = (own, cumulative)
    return [(own, cumulative, name) for name, (own, cumulative) in best.items()]


def _summary(values: list[float]) -> str:
    return f"min {min(values) * 1000:5.0f} ms  median {statistics.median(values) * 1000:5.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--netfund",
        type=Path,
        action="append",
        help="a netfund console script (repeat to compare); default: the one beside this Python",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    options = parser.parse_args()
    scripts = options.netfund or [Path(sys.executable).with_name("netfund")]
    with tempfile.TemporaryDirectory() as temporary:
        envs = {}
        for number, script in enumerate(scripts):
            folder = Path(temporary) / str(number)
            folder.mkdir()
            envs[script] = small_ledger(script, folder)
        times: dict[tuple[Path, tuple[str, ...]], list[tuple[float, float]]] = {}
        for _ in range(options.runs):
            for arguments in COMMANDS:
                for script in scripts:
                    measured = run_once(script, arguments, envs[script])
                    times.setdefault((script, arguments), []).append(measured)
    for script in scripts:
        print(f"== {script} ({options.runs} runs each)")
        for arguments in COMMANDS:
            runs = times[script, arguments]
            wall = _summary([wall for wall, _ in runs])
            cpu = _summary([cpu for _, cpu in runs])
            print(f"  netfund {' '.join(arguments):16}  wall {wall}   cpu {cpu}")
        rows = import_times(script, options.runs)
        total = next(cumulative for _, cumulative, name in rows if name == "netfund.cli.main")
        print(f"  import netfund.cli.main: {total / 1000:.0f} ms cumulative; largest self times:")
        for own, cumulative, name in sorted(rows, reverse=True)[: options.top]:
            print(f"    {own / 1000:6.1f} ms self {cumulative / 1000:7.1f} ms cumulative  {name}")
        print("  largest cumulative times of netfund's modules:")
        ours = [row for row in rows if row[2].startswith("netfund.")]
        for own, cumulative, name in sorted(ours, key=lambda row: -row[1])[: options.top]:
            print(f"    {own / 1000:6.1f} ms self {cumulative / 1000:7.1f} ms cumulative  {name}")


if __name__ == "__main__":
    main()
