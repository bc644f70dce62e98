"""The batch path of `netfund import` against the row path it replaces, on one generated year.

Run from the repository root, in the venv netfund is installed in:

    .venv/bin/python benchmarks/import_paths.py --events 100000 [--runs 3] [--pg URL]

For the year `generate.py --events N` writes, each run imports events.csv into a fresh
ledger twice, each in a child process (the seconds are the import's own,
`ImportReport.seconds`, without the ledger's initialisation; the peak RSS is the child's):
once as `netfund import` does (the batch path), once with the batch path turned off (the row
path, what every import did before issue 21). It prints both fingerprints and fails (exit 1)
unless they are the same: the batch path must store the very chain the row path stores.
``--pg`` does the same on a PostgreSQL schema created and dropped here. Results go to stdout
as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import generate

#: The child: init a ledger, import the file with one path, print the report as JSON.
CHILD = """
import json, sys
from pathlib import Path
from netfund.ledger import event_batches, importer
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize

url, network, events, path = sys.argv[1:5]
engine = connect(url)
initialize(engine, load_network(Path(network)))
if path == "rows":
    def unusual(*_):
        def compose(_unit):
            raise event_batches.Unusual("the row path is measured")
        return compose
    importer.batch_compose = unusual
else:
    def refuse(*_):
        raise SystemExit("the batch path fell back to the row path")
    importer._import_rows = refuse
report = importer.import_events(engine, Path(events))
print(json.dumps(
    {"posted": report.posted, "fingerprint": report.head_hash, "seconds": report.seconds}
))
"""


def _timed(url: str, data: Path, path: str) -> dict[str, Any]:
    """One import in a child process: its report, wall clock and peak RSS (MB)."""
    argv = [
        sys.executable,
        "-c",
        CHILD,
        url,
        str(data / "network.toml"),
        str(data / "events.csv"),
        path,
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"the {path} path failed: {out.decode(errors='replace')}")
    return {**json.loads(out), "rss_mb": usage.ru_maxrss / 1024}


def _sqlite(folder: Path) -> str:
    path = folder / f"{uuid.uuid4().hex}.db"
    return f"sqlite:///{path}"


def _postgres(base: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pg", help="a PostgreSQL URL (a schema is created and dropped there)")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    results: dict[str, Any] = {"events": arguments.events, "databases": {}}
    with tempfile.TemporaryDirectory(prefix="netfund-paths-") as work:
        folder = Path(work)
        data = folder / "data"
        generate.main(["--events", str(arguments.events), "--out", str(data)])
        kinds = ["sqlite"] + (["postgresql"] if arguments.pg else [])
        same = True
        for kind in kinds:
            runs: dict[str, list[dict[str, Any]]] = {"batch": [], "rows": []}
            for _ in range(arguments.runs):
                for path in ("batch", "rows"):
                    if kind == "sqlite":
                        runs[path].append(_timed(_sqlite(folder), data, path))
                    else:
                        url, drop = _postgres(arguments.pg)
                        try:
                            runs[path].append(_timed(url, data, path))
                        finally:
                            drop()
                    print(f"{kind} {path}: {runs[path][-1]['seconds']:.2f} s", file=sys.stderr)
            prints = {run["fingerprint"] for path in runs for run in runs[path]}
            same = same and len(prints) == 1
            results["databases"][kind] = {
                path: {
                    "median_seconds": statistics.median(run["seconds"] for run in runs[path]),
                    "seconds": [round(run["seconds"], 3) for run in runs[path]],
                    "peak_rss_mb": max(run["rss_mb"] for run in runs[path]),
                    "posted": runs[path][0]["posted"],
                    "fingerprint": runs[path][0]["fingerprint"],
                }
                for path in runs
            }
        results["same_fingerprints"] = same
    if arguments.json:
        print(json.dumps(results, indent=2))
    else:
        for kind, paths in results["databases"].items():
            for path, figures in paths.items():
                print(
                    f"{kind:10} {path:5} median {figures['median_seconds']:.2f} s "
                    f"{figures['seconds']} peak {figures['peak_rss_mb']:.0f} MB "
                    f"posted {figures['posted']:,} fingerprint {figures['fingerprint']}"
                )
        print("fingerprints", "the same" if same else "DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
