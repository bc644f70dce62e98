"""netfund against Beancount, hledger and ledger-cli on the same generated ledger, and the
goals of issues 7 and 21 from one run.

Run from the repository root, in the venv netfund is installed in:

    .venv/bin/python benchmarks/compare.py --events 10000,100000 --runs 3
    .venv/bin/python benchmarks/compare.py --events 10000,100000,1000000 --runs 3,3,1 \
        --max-rss-gb 12 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --pg-max-events 1000000

For every size N it writes a network year with `generate.py` (N unattributed expenses of six
postings each; the Beancount and hledger files hold the same postings), then, `--runs` times:

- netfund: `init` and `import events.csv` into a fresh SQLite file, then `balance --by
  account,fund --json`, `export trial-balance --format csv`, `verify`, `export journal
  --format csv` and `export journal --format parquet` on it; with `--pg`, the same import
  into a fresh PostgreSQL schema (created and dropped here) and `verify`, for sizes up to
  `--pg-max-events` (default 100,000; the goals need 1,000,000);
- the peers: `bean-check --no-cache ledger.beancount`, `hledger -f ledger.journal bal`,
  `ledger -f ledger.journal bal`.

Once per run (`--skip-extras` leaves them out), before the sizes: the allocation of 1,000
groups x 50 funders (`allocation_scaling.py --sizes 1000 --funders 50 --json`: build and
solve of the priority LP, best of 3, and highspy solving the same LP directly) and the
statements of 100 funders on every core (`statements_speed.py --funders 100 --json`), each
script a child process whose JSON output is kept.

Each is a child process, timed from start to exit: wall clock, CPU (user + system) and peak
RSS from `os.wait4` of that child alone. The report starts with a Goals table (one row per
goal of issues 7 and 21: the figure of this run at the size the goal names, met or MISSED,
and for a missed goal the line kept for it in `--notes`, default benchmarks/goal_notes.json),
then gives
the median of the runs, the ratio netfund ÷ peer, and how the cost grows with N; it is
printed and written between the markers `<!-- compare:start -->` and `<!-- compare:end -->`
in docs/BENCHMARKS.md (`--doc`, or `--no-doc`). The raw figures are kept in
`WORK/results.json`; `--from-results FILE` writes the report again from such a file without
measuring (the notes are read anew). Progress goes to stderr.

A peer that is not installed is reported as such; a command that fails, runs past
`--timeout` or holds more than `--max-rss-gb` of memory (default 8; hledger needs more than
12 GB at 1M expenses) is stopped and reported too. netfund's balance output is compared with
the generator's own totals at every size and the report says whether they agree.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import generate

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"
NOTES = Path(__file__).with_name("goal_notes.json")
START = "<!-- compare:start -->"
END = "<!-- compare:end -->"
BIN = Path(sys.executable).parent
NOT_INSTALLED = "not installed"
#: The sizes goals 5 and 6 of issue 7 name: measured once per run, not per size.
ALLOCATION_GROUPS = 1_000
ALLOCATION_FUNDERS = 50
STATEMENT_FUNDERS = 100


def progress(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


@dataclass
class Row:
    """One operation at one size: its runs, or why there are none."""

    key: str
    tool: str
    command: str
    runs: list[Run] = field(default_factory=list)
    status: str = "ok"
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs)

    def median(self) -> float:
        return statistics.median(run.wall for run in self.runs)


@dataclass
class SizeResult:
    expenses: int
    events: int
    postings: int
    generate_seconds: float
    files_mb: dict[str, float]
    rows: dict[str, Row] = field(default_factory=dict)
    sqlite_mb: list[float] = field(default_factory=list)
    pg_mb: list[float] = field(default_factory=list)
    balance_matches: bool | None = None
    export_mb: dict[str, float] = field(default_factory=dict)


class Failed(Exception):
    pass


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Watchdog(threading.Thread):
    """Kills the child when it runs too long or holds too much memory (a shared machine)."""

    def __init__(self, process: subprocess.Popen[bytes], timeout: float, max_rss_mb: float):
        super().__init__(daemon=True)
        self.process = process
        self.deadline = time.monotonic() + timeout
        self.max_rss_mb = max_rss_mb
        self.done = threading.Event()
        self.reason: str | None = None

    def run(self) -> None:
        while not self.done.wait(0.25):
            if time.monotonic() > self.deadline:
                self.reason = "timed out"
            elif _rss_mb(self.process.pid) > self.max_rss_mb:
                self.reason = f"stopped at the {self.max_rss_mb / 1024:g} GB memory limit"
            if self.reason is not None:
                self.process.kill()
                return


def run_child(
    argv: list[str], *, timeout: float, max_rss_mb: float, stdout: Path | None = None
) -> Run:
    """Run ``argv``; its wall clock, CPU and peak RSS (this child alone, via wait4)."""
    with tempfile.TemporaryFile() as errors:
        out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            try:
                process = subprocess.Popen(argv, stdout=out, stderr=errors)
            except OSError as error:
                raise Failed(f"could not start: {error}") from None
            watchdog = _Watchdog(process, timeout, max_rss_mb)
            watchdog.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.done.set()
                watchdog.join()
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdout is not None:
                out.close()  # type: ignore[union-attr]
        if watchdog.reason is not None:
            raise Failed(f"{watchdog.reason} after {wall:,.0f} s (not finished)")
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise Failed(f"exit {process.returncode}: {' | '.join(tail)}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def netfund_command() -> list[str]:
    script = BIN / "netfund"
    return [str(script)] if script.exists() else [sys.executable, "-m", "netfund.cli"]


def bean_check_command() -> str | None:
    script = BIN / "bean-check"
    return str(script) if script.exists() else shutil.which("bean-check")


def installed(command: str) -> bool:
    """A command on the PATH, or an absolute path to a file (``ledger`` is also a folder here)."""
    if os.path.isabs(command):
        return Path(command).is_file()
    return shutil.which(command) is not None


def tool_version(argv: list[str]) -> str:
    if not installed(argv[0]):
        return NOT_INSTALLED
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return NOT_INSTALLED
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def _git(*arguments: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip()


def machine(pg: str | None) -> dict[str, Any]:
    model = "unknown"
    memory_kb = 0
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    commit = _git("log", "-1", "--format=%h %cs") or "unknown (no git)"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    bean = bean_check_command()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} cores, {model}",
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(pg) if pg else "not measured (no --pg)",
        "beancount": tool_version([bean, "--version"]) if bean else NOT_INSTALLED,
        "hledger": tool_version(["hledger", "--version"]),
        "ledger": tool_version(["ledger", "--version"]),
        "netfund": commit,
        "load_start": os.getloadavg(),
    }


def sqlite_size_mb(path: Path) -> float:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            total += candidate.stat().st_size
    return total / 1e6


def _balances_from_json(path: Path) -> dict[tuple[str, str], int]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    result = {}
    for row in rows:
        cents = int(Decimal(row["balance"]) * 100)
        if cents:
            result[(row["account"], row["fund"])] = cents
    return result


class Bench:
    def __init__(self, arguments: argparse.Namespace) -> None:
        self.arguments = arguments
        self.netfund = netfund_command()
        self.timeout = arguments.timeout
        self.max_rss_mb = arguments.max_rss_gb * 1024

    def measure(self, result: SizeResult, key: str, tool: str, argv: list[str], **kw: Any) -> Row:
        row = result.rows.get(key)
        if row is None:
            shown = " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv))
            row = result.rows[key] = Row(key, tool, shown)
        if row.status != "ok":
            return row
        try:
            run = run_child(argv, timeout=self.timeout, max_rss_mb=self.max_rss_mb, **kw)
        except Failed as error:
            row.status = str(error)
            progress(f"  {key}: FAILED {error}")
            return row
        row.runs.append(run)
        progress(f"  {key}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, {run.rss_mb:,.0f} MB")
        return row

    def netfund_sqlite(self, result: SizeResult, data: Path, run: int, totals: dict) -> None:
        folder = data / f"sqlite-run{run}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        database = folder / "ledger.db"
        url = ["--db", f"sqlite:///{database}"]
        nf = self.netfund
        init = self.measure(
            result, "netfund init", "netfund", [*nf, *url, "init", str(data / "network.toml")]
        )
        if not init.ok:
            return
        self.measure(
            result, "netfund import", "netfund", [*nf, *url, "import", str(data / "events.csv")]
        )
        if result.rows["netfund import"].status != "ok":
            return
        result.sqlite_mb.append(sqlite_size_mb(database))
        balance_out = folder / "balance.json"
        row = self.measure(
            result,
            "netfund balance",
            "netfund",
            [*nf, *url, "balance", "--by", "account,fund", "--json"],
            stdout=balance_out,
        )
        if row.ok and result.balance_matches is None:
            result.balance_matches = _balances_from_json(balance_out) == {
                key: cents for key, cents in totals.items() if cents
            }
            progress(f"  netfund balance equals the generator's totals: {result.balance_matches}")
        self.measure(
            result,
            "netfund trial-balance",
            "netfund",
            [
                *nf,
                *url,
                "export",
                "trial-balance",
                "--format",
                "csv",
                "--out",
                str(folder / "tb.csv"),
            ],
        )
        self.measure(result, "netfund verify", "netfund", [*nf, *url, "verify"])
        for file_format in ("csv", "parquet"):
            out = folder / f"journal.{file_format}"
            row = self.measure(
                result,
                f"netfund export {file_format}",
                "netfund",
                [*nf, *url, "export", "journal", "--format", file_format, "--out", str(out)],
            )
            if row.ok and out.exists():
                result.export_mb.setdefault(file_format, out.stat().st_size / 1e6)
                if not self.arguments.keep:
                    out.unlink()  # 1 GB of CSV at 1M expenses
        if not self.arguments.keep:
            shutil.rmtree(folder, ignore_errors=True)

    def netfund_postgres(self, result: SizeResult, data: Path) -> None:
        from sqlalchemy import create_engine, text

        base = self.arguments.pg
        schema = f"netfund_compare_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base else "?"
        url = ["--db", f"{base}{separator}options=-csearch_path%3D{schema}"]
        nf = self.netfund
        try:
            init = self.measure(
                result,
                "netfund init (PG)",
                "netfund",
                [*nf, *url, "init", str(data / "network.toml")],
            )
            if not init.ok:
                return
            row = self.measure(
                result,
                "netfund import (PG)",
                "netfund",
                [*nf, *url, "import", str(data / "events.csv")],
            )
            if not row.ok:
                return
            with admin.connect() as connection:
                size = connection.execute(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                ).scalar()
            result.pg_mb.append(int(size) / 1e6)
            self.measure(result, "netfund verify (PG)", "netfund", [*nf, *url, "verify"])
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    def peers(self, result: SizeResult, data: Path) -> None:
        bean = bean_check_command()
        commands = {
            # Beancount keeps a pickle of the parsed file beside it (".NAME.picklecache") and
            # a second run loads that instead: 9 s instead of 41 s at 100k. Measured without.
            "bean-check": [bean, "--no-cache", str(data / "ledger.beancount")] if bean else None,
            "hledger bal": ["hledger", "-f", str(data / "ledger.journal"), "bal"],
            "ledger bal": ["ledger", "-f", str(data / "ledger.journal"), "bal"],
        }
        for key, argv in commands.items():
            if argv is None or not installed(argv[0]):
                shown = " ".join(argv[1:]) if argv else key
                result.rows.setdefault(key, Row(key, key.split()[0], shown, status=NOT_INSTALLED))
                continue
            self.measure(result, key, key.split()[0], argv)

    def size(self, expenses: int, runs: int) -> SizeResult:
        arguments = self.arguments
        data = arguments.work / f"n{expenses}"
        progress(f"[{expenses:,}] generating {data}")
        summary = generate.generate(
            data, expenses, arguments.funders, arguments.groups, arguments.seed
        )
        files = {
            name: (data / name).stat().st_size / 1e6
            for name in ("events.csv", "ledger.beancount", "ledger.journal")
        }
        progress(
            f"[{expenses:,}] {summary.events:,} events, {summary.postings:,} postings, "
            f"generated in {summary.seconds:.1f} s"
        )
        result = SizeResult(expenses, summary.events, summary.postings, summary.seconds, files)
        for run in range(1, runs + 1):
            progress(f"[{expenses:,}] run {run}/{runs}: netfund on SQLite")
            self.netfund_sqlite(result, data, run, summary.totals)
            if arguments.pg and expenses <= arguments.pg_max_events:
                progress(f"[{expenses:,}] run {run}/{runs}: netfund on PostgreSQL")
                self.netfund_postgres(result, data)
            progress(f"[{expenses:,}] run {run}/{runs}: peers")
            self.peers(result, data)
        if not arguments.keep:
            shutil.rmtree(data, ignore_errors=True)
        return result

    def extra(self, name: str, argv: list[str]) -> dict[str, Any]:
        """Run one benchmark script with ``--json``: its own figures and its child's run."""
        shown = " ".join(
            ["python", *(_shown_path(Path(a)) if a.endswith(".py") else a for a in argv)]
        )
        entry: dict[str, Any] = {"command": shown, "status": "ok", "run": None, "figures": {}}
        progress(f"{name}: {shown}")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "out.json"
            try:
                run = run_child(
                    [sys.executable, *argv],
                    timeout=self.timeout,
                    max_rss_mb=self.max_rss_mb,
                    stdout=out,
                )
            except Failed as error:
                entry["status"] = str(error)
                progress(f"  {name}: FAILED {error}")
                return entry
            try:
                entry["figures"] = json.loads(out.read_text(encoding="utf-8"))
            except ValueError as error:
                entry["status"] = f"its output is not JSON: {error}"
                progress(f"  {name}: FAILED {entry['status']}")
                return entry
        entry["run"] = asdict(run)
        progress(f"  {name}: {run.wall:.2f} s wall for the script, {run.rss_mb:,.0f} MB")
        return entry

    def extras(self) -> dict[str, Any]:
        """The goals measured once per run: allocation (goal 5) and statements (goal 6)."""
        here = Path(__file__).resolve().parent
        allocation = self.extra(
            "allocation",
            [
                str(here / "allocation_scaling.py"),
                *("--sizes", str(ALLOCATION_GROUPS), "--funders", str(ALLOCATION_FUNDERS)),
                *("--shape", "network", "--repeat", "3", "--json"),
            ],
        )
        statements = self.extra(
            "statements",
            [
                str(here / "statements_speed.py"),
                *("--funders", str(STATEMENT_FUNDERS), "--jobs", "0", "--json"),
            ],
        )
        return {"skipped": False, "allocation": allocation, "statements": statements}

    def startup(self) -> Row:
        row = Row("netfund --help", "netfund", "netfund --help")
        for _ in range(3):
            try:
                row.runs.append(
                    run_child([*self.netfund, "--help"], timeout=60, max_rss_mb=self.max_rss_mb)
                )
            except Failed as error:
                row.status = str(error)
                break
        return row


# --- the report -------------------------------------------------------------------------------

ORDER = [
    ("netfund init", "create the schema, load network.toml"),
    ("netfund import", "parse, check, attribute, hash-chain and store every event (SQLite)"),
    ("netfund balance", "balance per account and fund from the stored ledger, JSON"),
    ("netfund trial-balance", "export trial-balance --format csv"),
    ("netfund verify", "recompute the hash chain and every transaction's per-fund balance"),
    ("netfund export csv", "export journal --format csv: one row per posting"),
    ("netfund export parquet", "export journal --format parquet: the same rows"),
    ("netfund init (PG)", "the same on PostgreSQL"),
    ("netfund import (PG)", "import into PostgreSQL (fresh schema)"),
    ("netfund verify (PG)", "verify on PostgreSQL"),
    ("bean-check", "parse, book and check ledger.beancount (`--no-cache`)"),
    ("hledger bal", "parse ledger.journal, print the balance report"),
    ("ledger bal", "parse ledger.journal, print the balance report"),
]
PEERS = ("bean-check", "hledger bal", "ledger bal")


def _seconds(value: float) -> str:
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 1 else f"{value:.1f}×"


def _count(value: int) -> str:
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value // 1_000_000}M"
    if value >= 1_000 and value % 1_000 == 0:
        return f"{value // 1_000}k"
    return f"{value:,}"


def size_table(result: SizeResult) -> list[str]:
    lines = [
        f"#### {_count(result.expenses)} expenses: {result.events:,} events, "
        f"{result.postings:,} postings",
        "",
        f"Files: events.csv {result.files_mb['events.csv']:,.1f} MB, ledger.beancount "
        f"{result.files_mb['ledger.beancount']:,.1f} MB, ledger.journal "
        f"{result.files_mb['ledger.journal']:,.1f} MB (generated in "
        f"{result.generate_seconds:.1f} s).",
        "",
        "| tool | what it does | runs | median wall | min–max | CPU (median) | peak RSS "
        "| events/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, what in ORDER:
        row = result.rows.get(key)
        if row is None:
            continue
        if not row.ok:
            lines.append(f"| `{key}` | {what} | 0 | {row.status} | | | | |")
            continue
        walls = [run.wall for run in row.runs]
        cpu = statistics.median(run.cpu for run in row.runs)
        rss = max(run.rss_mb for run in row.runs)
        median = row.median()
        spread = f"{min(walls):.2f}–{max(walls):.2f}" if len(walls) > 1 else "(one run)"
        rate = "—" if key.startswith("netfund init") else f"{result.events / median:,.0f}"
        lines.append(
            f"| `{key}` | {what} | {len(row.runs)} | {_seconds(median)} | {spread} | "
            f"{_seconds(cpu)} | {rss:,.0f} MB | {rate} |"
        )
    lines.append("")
    lines.extend(ratio_table(result))
    sizes = []
    if result.sqlite_mb:
        sizes.append(f"SQLite file after import {statistics.median(result.sqlite_mb):,.1f} MB")
    if result.pg_mb:
        sizes.append(f"PostgreSQL tables and indexes {statistics.median(result.pg_mb):,.1f} MB")
    for file_format, megabytes in result.export_mb.items():
        sizes.append(f"journal export as {file_format} {megabytes:,.1f} MB")
    if sizes:
        lines.append("On disk: " + "; ".join(sizes) + ".")
        lines.append("")
    if result.balance_matches is not None:
        verdict = "equals" if result.balance_matches else "**differs from**"
        lines.append(
            f"netfund's `balance --by account,fund` {verdict} the generator's totals (the "
            "postings the peers load)."
        )
        lines.append("")
    return lines


def ratio_table(result: SizeResult) -> list[str]:
    imported = result.rows.get("netfund import")
    balance = result.rows.get("netfund balance")
    verify = result.rows.get("netfund verify")
    lines = [
        "| peer | peer median | netfund import ÷ peer | netfund balance ÷ peer "
        "| netfund verify ÷ peer |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in PEERS:
        peer = result.rows.get(key)
        if peer is None:
            continue
        if not peer.ok:
            lines.append(f"| `{key}` | {peer.status} | | | |")
            continue
        cells = [
            _ratio(row.median() / peer.median()) if row is not None and row.ok else "—"
            for row in (imported, balance, verify)
        ]
        lines.append(f"| `{key}` | {_seconds(peer.median())} | {' | '.join(cells)} |")
    lines.append("")
    return lines


def growth_table(results: list[SizeResult], startup: float) -> list[str]:
    keys = [
        "netfund import",
        "netfund balance",
        "netfund verify",
        "netfund export csv",
        "netfund export parquet",
        "netfund import (PG)",
        *PEERS,
    ]
    lines = [
        "| operation | events | median wall | peak RSS | µs per event | µs per event less "
        "start-up | time × vs previous size | events × | exponent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in keys:
        previous: tuple[float, float, int] | None = None
        for result in results:
            row = result.rows.get(key)
            if row is None or not row.ok:
                continue
            median = row.median()
            net = max(median - startup, 0.0) if key.startswith("netfund") else median
            grows = events_x = exponent = ""
            if previous is not None:
                grows = f"{median / previous[0]:.1f}×"
                events_x = f"{result.events / previous[2]:.1f}×"
                if net > 0 and previous[1] > 0:
                    power = math.log(net / previous[1]) / math.log(result.events / previous[2])
                    exponent = f"{power:.2f}"
            lines.append(
                f"| `{key}` | {result.events:,} | {_seconds(median)} | "
                f"{max(run.rss_mb for run in row.runs):,.0f} MB | "
                f"{median / result.events * 1e6:,.1f} | {net / result.events * 1e6:,.1f} | "
                f"{grows} | {events_x} | {exponent} |"
            )
            previous = (median, net, result.events)
    lines.append("")
    return lines


# --- the goals of issues 7 and 21 -----------------------------------------------------------

MET = "met"
MISSED = "MISSED"
K100 = 100_000
M1 = 1_000_000
MB_LIMIT = 500.0


class _Absent(Exception):
    """The figure a goal needs is not in these results; the message says why."""


class _Broken(Exception):
    """A netfund command or script the goal needs failed in this run: the goal is missed."""


@dataclass(frozen=True)
class Goal:
    id: str
    what: str
    target: str


@dataclass
class GoalResult:
    goal: Goal
    figure: str
    verdict: str | None  # MET, MISSED, or None: not measured in this run


def _shown(value: float, limit: float, met: bool, places: int, unit: str = "") -> str:
    """``value`` rounded, but never so that a missed goal shows the very figure of its limit."""
    for digits in range(places, 7):
        text = f"{value:,.{digits}f}"
        if met or text != f"{limit:,.{digits}f}":
            break
    return f"{text}{unit}"


def _time(value: float, limit: float | None = None, met: bool = True) -> str:
    places = 3 if value < 1 else 2 if value < 100 else 0
    return _shown(value, value if limit is None else limit, met, places, " s")


def _megabytes(value: float, limit: float = MB_LIMIT, met: bool = True) -> str:
    return _shown(value, limit, met, 0, " MB")


def _size_of(report: dict[str, Any], expenses: int) -> SizeResult:
    for entry in report.get("sizes", []):
        if entry["expenses"] == expenses:
            return _size_from_dict(entry)
    raise _Absent(f"not measured in this run (size {_count(expenses)} not run)")


def _netfund_row(result: SizeResult, key: str) -> Row:
    row = result.rows.get(key)
    if row is None:
        raise _Absent(f"not measured in this run (`{key}` not run at {_count(result.expenses)})")
    if not row.ok:
        raise _Broken(f"`{key}` at {_count(result.expenses)} failed: {row.status}")
    return row


def _peer_row(result: SizeResult, key: str) -> Row:
    row = result.rows.get(key)
    if row is None or not row.ok:
        why = "not run" if row is None else row.status
        raise _Absent(f"not measured in this run (`{key}` at {_count(result.expenses)}: {why})")
    return row


def _peak(row: Row) -> float:
    return max(run.rss_mb for run in row.runs)


def _extra(report: dict[str, Any], name: str) -> dict[str, Any]:
    extras = report.get("extras")
    if extras is None:
        raise _Absent(f"not measured in this run (no {name} figures in these results)")
    if extras.get("skipped"):
        raise _Absent("not measured in this run (--skip-extras)")
    entry = extras.get(name)
    if entry is None:
        raise _Absent(f"not measured in this run (no {name} figures in these results)")
    if entry.get("status") != "ok":
        raise _Broken(f"the {name} benchmark failed: {entry.get('status')}")
    return entry["figures"]


def _allocation(report: dict[str, Any]) -> dict[str, Any]:
    for size in _extra(report, "allocation").get("sizes", []):
        if size.get("groups") == ALLOCATION_GROUPS and size.get("funders") == ALLOCATION_FUNDERS:
            return size
    raise _Absent(
        f"not measured in this run (no allocation of {ALLOCATION_GROUPS:,} groups × "
        f"{ALLOCATION_FUNDERS} funders)"
    )


def _statements(report: dict[str, Any]) -> dict[str, Any]:
    figures = _extra(report, "statements")
    if figures.get("funders") != STATEMENT_FUNDERS:
        raise _Absent(f"not measured in this run (no statements of {STATEMENT_FUNDERS} funders)")
    return figures


def _at_most(value: float, limit: float) -> tuple[str, bool]:
    met = value <= limit
    return _time(value, limit, met), met


def _goal_1a(report: dict[str, Any]) -> tuple[str, bool]:
    result = _size_of(report, K100)
    peer = _peer_row(result, "ledger bal").median()
    imported = _netfund_row(result, "netfund import").median()
    met = imported <= peer
    return (
        f"import {_time(imported, peer, met)}, `ledger bal` {_time(peer)}: "
        f"{_ratio(imported / peer)} its time",
        met,
    )


def _goal_1b(report: dict[str, Any]) -> tuple[str, bool]:
    result = _size_of(report, K100)
    peer = _peer_row(result, "bean-check").median()
    imported = _netfund_row(result, "netfund import").median()
    met = 10 * imported <= peer
    faster = _shown(peer / imported, 10.0, met, 1, "×")
    return f"import {_time(imported)}, `bean-check` {_time(peer)}: {faster} faster", met


def _goal_time(expenses: int, key: str, limit: float) -> Any:
    def check(report: dict[str, Any]) -> tuple[str, bool]:
        return _at_most(_netfund_row(_size_of(report, expenses), key).median(), limit)

    return check


def _goal_rss(expenses: int, key: str) -> Any:
    def check(report: dict[str, Any]) -> tuple[str, bool]:
        peak = _peak(_netfund_row(_size_of(report, expenses), key))
        met = peak <= MB_LIMIT
        return _megabytes(peak, MB_LIMIT, met), met

    return check


def _goal_pg_ratio(limit: float) -> Any:
    """PostgreSQL's import of 1M expenses against SQLite's: at most ``limit`` times its time."""

    def check(report: dict[str, Any]) -> tuple[str, bool]:
        result = _size_of(report, M1)
        sqlite_import = _netfund_row(result, "netfund import").median()
        pg_import = _netfund_row(result, "netfund import (PG)").median()
        met = pg_import / sqlite_import <= limit
        ratio = _shown(pg_import / sqlite_import, limit, met, 2, "×")
        return (
            f"PostgreSQL {_time(pg_import)}, SQLite {_time(sqlite_import)}: {ratio} SQLite's time",
            met,
        )

    return check


def _goal_21a(report: dict[str, Any]) -> tuple[str, bool]:
    result = _size_of(report, K100)
    peer = _peer_row(result, "ledger bal").median()
    imported = _netfund_row(result, "netfund import").median()
    met = imported / peer <= 0.7
    return (
        f"import {_time(imported)}, `ledger bal` {_time(peer)}: "
        f"{_shown(imported / peer, 0.7, met, 2, '×')} its time",
        met,
    )


def _goal_5a(report: dict[str, Any]) -> tuple[str, bool]:
    size = _allocation(report)
    figure, met = _at_most(size["build"] + size["solve"], 2.0)
    return (
        f"{figure} (build {_time(size['build'])}, solve {_time(size['solve'])}; best of the "
        "script's runs)",
        met,
    )


def _goal_5b(report: dict[str, Any]) -> tuple[str, bool]:
    size = _allocation(report)
    met = size["solve"] <= 2 * size["direct"]
    ratio = _shown(size["solve"] / size["direct"], 2.0, met, 2, "×")
    both = (size["build"] + size["solve"]) / size["direct"]
    return (
        f"solve {_time(size['solve'])}, highspy {_time(size['direct'])}: {ratio} "
        f"(build + solve ÷ highspy: {_ratio(both)})",
        met,
    )


def _goal_6(report: dict[str, Any]) -> tuple[str, bool]:
    figures = _statements(report)
    figure, met = _at_most(figures["cli_seconds"], 10.0)
    return (
        f"{figure} (`netfund statements`, start to end; {figures['jobs']} worker processes on "
        f"{figures['cores']} cores; read, render and write in-process "
        f"{_time(figures['write_seconds'])})",
        met,
    )


#: One row per goal of issue 7 and of issue 21 (2-core machine, SQLite unless stated), a goal
#: with two parts split in two; 100k and 1M are the sizes in expenses (each split over 3
#: funders).
GOALS: list[tuple[Goal, Any]] = [
    (
        Goal(
            "1a",
            "import 100k expenses, against `ledger bal` loading the same journal",
            "import ≤ `ledger bal`",
        ),
        _goal_1a,
    ),
    (
        Goal("1b", "import 100k expenses, against `bean-check` of the same ledger", "≥ 10× faster"),
        _goal_1b,
    ),
    (Goal("2a", "import 1M expenses", "≤ 25 s"), _goal_time(M1, "netfund import", 25.0)),
    (Goal("2b", "peak RSS of that import", "≤ 500 MB"), _goal_rss(M1, "netfund import")),
    (
        Goal("2c", "import 1M expenses on PostgreSQL", "≤ 2× SQLite's time"),
        _goal_pg_ratio(2.0),
    ),
    (
        Goal("2d", "peak RSS of the PostgreSQL import", "≤ 500 MB"),
        _goal_rss(M1, "netfund import (PG)"),
    ),
    (
        Goal("3a", "`netfund balance` over 1M expenses", "≤ 1 s"),
        _goal_time(M1, "netfund balance", 1.0),
    ),
    (
        Goal("3b", "trial balance over 1M expenses", "≤ 1 s"),
        _goal_time(M1, "netfund trial-balance", 1.0),
    ),
    (
        Goal("4", "`netfund verify` of the 1M-expense chain", "≤ 10 s"),
        _goal_time(M1, "netfund verify", 10.0),
    ),
    (
        Goal("5a", "allocation 1,000 groups × 50 funders: build + solve", "≤ 2 s"),
        _goal_5a,
    ),
    (
        Goal("5b", "that solve against highspy solving the same LP directly", "≤ 2× highspy"),
        _goal_5b,
    ),
    (Goal("6", "statements for 100 funders, on both cores", "≤ 10 s"), _goal_6),
    (
        Goal("7a", "journal export of 1M expenses, CSV", "≤ 10 s"),
        _goal_time(M1, "netfund export csv", 10.0),
    ),
    (
        Goal("7b", "journal export of 1M expenses, Parquet", "≤ 5 s"),
        _goal_time(M1, "netfund export parquet", 5.0),
    ),
    (Goal("7c", "peak RSS of the CSV export", "≤ 500 MB"), _goal_rss(M1, "netfund export csv")),
    (
        Goal("7d", "peak RSS of the Parquet export", "≤ 500 MB"),
        _goal_rss(M1, "netfund export parquet"),
    ),
    (
        Goal(
            "21a",
            "import 100k expenses, against `ledger bal` loading the same journal (issue 21)",
            "≤ 0.7× `ledger bal`",
        ),
        _goal_21a,
    ),
    (
        Goal("21b", "import 1M expenses (issue 21; its peak RSS is goal 2b)", "≤ 20 s"),
        _goal_time(M1, "netfund import", 20.0),
    ),
    (
        Goal("21c", "import 1M expenses on PostgreSQL (issue 21)", "≤ 1.5× SQLite's time"),
        _goal_pg_ratio(1.5),
    ),
]
GOAL_IDS = [goal.id for goal, _ in GOALS]


def goal_results(report: dict[str, Any]) -> list[GoalResult]:
    """Every goal against the figures of one run (a results.json document)."""
    results = []
    for goal, check in GOALS:
        try:
            figure, met = check(report)
        except _Absent as absent:
            results.append(GoalResult(goal, str(absent), None))
        except _Broken as broken:
            results.append(GoalResult(goal, str(broken), MISSED))
        else:
            results.append(GoalResult(goal, figure, MET if met else MISSED))
    return results


def load_notes(path: Path) -> dict[str, str]:
    """The engineer's "why" lines: a JSON object from goal id to text (``_``-keys ignored)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a JSON object from goal id to text is expected")
    notes = {}
    for key, text in data.items():
        if key.startswith("_"):
            continue
        if key not in GOAL_IDS:
            raise ValueError(f"{path}: {key!r} is not a goal (the goals: {', '.join(GOAL_IDS)})")
        if not isinstance(text, str):
            raise ValueError(f"{path}: the note for {key!r} is not text")
        notes[key] = text
    return notes


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def goals_table(
    report: dict[str, Any], notes: dict[str, str], notes_name: str = "benchmarks/goal_notes.json"
) -> list[str]:
    results = goal_results(report)
    counts = {
        verdict: sum(1 for result in results if result.verdict == verdict)
        for verdict in (MET, MISSED, None)
    }
    lines = [
        "#### Goals (issues 7 and 21)",
        "",
        "Each goal against this run's figure at the size it names (100k and 1M expenses, "
        "each split over 3 funders: 100,145 and 1,000,145 events; SQLite unless stated): "
        "the median wall clock of the runs, the highest peak RSS of the runs, and for "
        "allocation and statements the scripts' own figures (below the size tables). A goal "
        "is met when the figure is at most the target, exactly the target included. "
        f"{counts[MET]} met, {counts[MISSED]} missed, {counts[None]} not measured in this run. "
        f"The reason for a missed goal is the engineer's note in `{notes_name}`.",
        "",
        "| # | goal | target | this run | verdict | why (missed goals) |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        goal = result.goal
        why = ""
        if result.verdict == MISSED:
            why = notes.get(goal.id) or f'no note yet (add "{goal.id}" to `{notes_name}`)'
        verdict = {MET: "met", MISSED: "**MISSED**", None: "—"}[result.verdict]
        lines.append(
            f"| {goal.id} | {_cell(goal.what)} | {_cell(goal.target)} | {_cell(result.figure)} "
            f"| {verdict} | {_cell(why)} |"
        )
    lines.append("")
    return lines


def extras_section(report: dict[str, Any]) -> list[str]:
    extras = report.get("extras")
    if extras is None:
        return []
    lines = ["#### Allocation and statements (once per run)", ""]
    if extras.get("skipped"):
        return [*lines, "Not measured in this run (`--skip-extras`).", ""]
    allocation = extras.get("allocation") or {}
    lines.append(f"`{allocation.get('command', 'allocation_scaling.py')}`:")
    lines.append("")
    if allocation.get("status") != "ok":
        lines.extend([f"Failed: {allocation.get('status')}.", ""])
    else:
        figures = allocation["figures"]
        lines.extend(
            [
                f"Shape {figures.get('shape')}, best of {figures.get('repeat')} runs, seconds "
                "(build: the priority-stage LP with PuLP; solve: `prob.solve` with PuLP's "
                "in-process HiGHS; highspy: the same LP handed to highspy directly; full run: "
                "`solve_allocation`, all stages).",
                "",
                "| groups × funders | LP cols × rows | build | solve | highspy direct | solve ÷ "
                "highspy | build + solve | full run |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
        )
        for size in figures.get("sizes", []):
            lines.append(
                f"| {size['groups']:,} × {size['funders']} | {size['columns']:,} × "
                f"{size['rows']:,} | {size['build']:.3f} | {size['solve']:.3f} | "
                f"{size['direct']:.3f} | {size['solve'] / size['direct']:.2f} | "
                f"{size['build'] + size['solve']:.3f} | {size['full']:.3f} |"
            )
        lines.append("")
    statements = extras.get("statements") or {}
    lines.append(f"`{statements.get('command', 'statements_speed.py')}`:")
    lines.append("")
    if statements.get("status") != "ok":
        lines.extend([f"Failed: {statements.get('status')}.", ""])
    else:
        figures = statements["figures"]
        lines.extend(
            [
                f"{figures['funders']} funders, {figures['groups']} groups, "
                f"{figures['events']:,} events; {figures['cores']} cores available, "
                f"{figures['jobs']} worker processes; load average {figures['load_before']:.2f} "
                "before.",
                "",
                "| step | time |",
                "|---|---:|",
                f"| read the ledger once, build {figures['statements']} statements' data | "
                f"{_time(figures['read_seconds'])} |",
                f"| render serially ({figures['cpu_ms_per_statement']:.0f} ms CPU per statement) "
                f"| {_time(figures['serial_seconds'])} |",
                f"| render with the process pool (byte-identical to serial: "
                f"{figures['identical']}) | {_time(figures['parallel_seconds'])} |",
                f"| read, render and write every statement (`write_statements`) | "
                f"{_time(figures['write_seconds'])} |",
                f"| `netfund statements`, start to end (a fresh process) | "
                f"{_time(figures['cli_seconds'])} |",
                "",
            ]
        )
    return lines


def render(
    report: dict[str, Any],
    notes: dict[str, str] | None = None,
    notes_name: str = "benchmarks/goal_notes.json",
) -> str:
    info = report["machine"]
    results = [_size_from_dict(entry) for entry in report["sizes"]]
    startup_row = _row_from_dict(report["startup"])
    startup = startup_row.median() if startup_row.ok else 0.0
    load_start = ", ".join(f"{value:.2f}" for value in info["load_start"])
    load_end = ", ".join(f"{value:.2f}" for value in report["load_end"])
    lines = [
        START,
        "## netfund and the plain-text peers on the same ledger (issue 7)",
        "",
        *goals_table(report, notes or {}, notes_name),
        "How to run: from the repository root, with netfund installed in `.venv` and the peers "
        "on the PATH (`bean-check` comes with the `[test]` extra; `apt-get install hledger "
        "ledger`), run the command below. It generates the data with "
        "`benchmarks/generate.py`, times every tool as a child process and rewrites this "
        "section (between the `compare` markers) with the new figures; `--no-doc` only prints "
        "them, `--pg URL` adds PostgreSQL (a schema of its own, dropped afterwards) for sizes "
        "up to `--pg-max-events`, `--skip-extras` leaves out the allocation and statements "
        "benchmarks (run once per run), `--notes FILE` names the file of reasons for missed "
        "goals (default `benchmarks/goal_notes.json`), `--from-results WORK/results.json` "
        "rewrites the section from a previous run's raw figures. Every goal has its figure "
        "only when the run includes 100k and 1M expenses, PostgreSQL at 1M and the extras: "
        "`--events 10000,100000,1000000 --runs 3,3,1 --max-rss-gb 12 --pg URL "
        "--pg-max-events 1000000`. The pytest-benchmark version (2,000 expenses: import, "
        "balance, verify) is "
        "`.venv/bin/python -m pytest benchmarks/bench_ledger.py --benchmark-enable`.",
        "",
        "```sh",
        report["command"],
        "```",
        "",
        "The data: `generate.py` writes a network year (5 funders, 40 groups, each group "
        "funded by three funders; per funder a commitment and four quarterly receipts) and N "
        "expenses without a funder, which netfund splits pro rata over the group's three "
        "funders: 6 postings per expense. The same postings, to the cent, go into "
        "`ledger.beancount` and `ledger.journal` (the fund as last account segment, as in "
        "netfund's own exports); `tests/benchmarks/test_generator.py` checks that netfund's "
        "balance equals Beancount's, hledger's and ledger-cli's totals of those files.",
        "",
        "Machine and versions:",
        "",
        f"- {info['cpu']}, {info['memory_gib']} GiB RAM, {info['os']}. The machine may be "
        f"shared with other work (load average at the start {load_start}, at the end "
        f"{load_end}), so wall clocks can spread; the CPU time is the steadier figure.",
        f"- Python {info['python']}, SQLite {info['sqlite']} (file, WAL), PostgreSQL "
        f"{info['postgresql']}.",
        f"- Peers: {info['beancount']}; {info['hledger']}; {info['ledger']}.",
        f"- netfund at commit {info['netfund']}; measured {info['date']}.",
        "",
        "What is measured: each command is a child process, from start to exit; wall clock, CPU "
        "time (user + system) and peak RSS come from `os.wait4` of that child. `netfund "
        "verify` of 100,000 transactions or more checks ranges in worker processes that a "
        "fork server starts, which `os.wait4` does not count: its CPU and peak RSS are the "
        "verifying process's own, its wall clock the whole verify. Every netfund "
        "command includes the interpreter's start and netfund's imports: `netfund --help` "
        f"alone takes {_seconds(startup)} (median of 3). Peers read the text file from the "
        "start every time, while netfund reads it once (`import`) and then answers from the "
        "database, so two ratios are given: import ÷ peer (text to a checked ledger) and "
        "balance ÷ peer (the report a user asks for once the data is in). The data files "
        "were in the page cache (written just before). `bean-check` runs with `--no-cache`: "
        "by default Beancount stores a pickle of the parsed file beside it "
        "(`.ledger.beancount.picklecache`) and a second run only loads that (at 100k "
        "expenses 9 s instead of 41 s), which would not measure parsing and checking. "
        "A command is stopped when it runs "
        f"longer than {report.get('timeout', 3600):,.0f} s or holds more than "
        f"{report.get('max_rss_gb', 8):g} GB of memory (the machine is shared); its row says "
        "so, and a command that failed once is not run again.",
        "",
    ]
    for result in results:
        lines.extend(size_table(result))
    lines.extend(extras_section(report))
    lines.extend(
        [
            "#### How cost grows",
            "",
            "Per event = per generated event (expenses plus the 145 fixed events). "
            '"Less start-up" subtracts the `netfund --help` time from netfund\'s commands. '
            "Linear growth shows as a constant µs per event, i.e. time × equal to events ×; "
            "the exponent is log(time ratio) / log(events ratio) of the times less start-up: "
            "1.0 is linear, 2.0 quadratic, below 1 means fixed costs still dominate.",
            "",
        ]
    )
    lines.extend(growth_table(results, startup))
    lines.append(END)
    return "\n".join(lines) + "\n"


def _row_from_dict(entry: dict[str, Any]) -> Row:
    entry = dict(entry)
    runs = [Run(**run) for run in entry.pop("runs")]
    return Row(**entry, runs=runs)


def _size_from_dict(entry: dict[str, Any]) -> SizeResult:
    entry = dict(entry)
    rows = {key: _row_from_dict(row) for key, row in entry.pop("rows").items()}
    return SizeResult(**entry, rows=rows)


def write_doc(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def _int_list(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def shown_command(argv: list[str]) -> str:
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(ROOT))
    except ValueError:
        shown = "python"
    return f"{shown} benchmarks/compare.py {shlex.join(argv)}".strip()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=_int_list, default=[100_000], help="e.g. 10000,100000")
    parser.add_argument("--runs", type=_int_list, default=[3], help="one number, or one per size")
    parser.add_argument("--funders", type=int, default=5)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg", help="SQLAlchemy URL of a PostgreSQL database to measure too")
    parser.add_argument("--pg-max-events", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per command")
    parser.add_argument(
        "--max-rss-gb", type=float, default=8, help="kill a command that holds more memory"
    )
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "netfund-compare"
    )
    parser.add_argument("--keep", action="store_true", help="keep generated files and databases")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--from-results", type=Path, help="render a results.json, measure nothing")
    parser.add_argument(
        "--skip-extras",
        action="store_true",
        help="leave out the allocation and statements benchmarks (goals 5 and 6)",
    )
    parser.add_argument(
        "--notes",
        type=Path,
        help="JSON object from goal id to why it is missed (default benchmarks/goal_notes.json)",
    )
    arguments = parser.parse_args(argv)
    if arguments.notes is not None and not arguments.notes.is_file():
        parser.error(f"--notes: no such file {arguments.notes}")
    notes_path = arguments.notes or NOTES
    try:
        notes = load_notes(notes_path) if notes_path.is_file() else {}
    except ValueError as error:
        parser.error(f"--notes: {error}")
    if arguments.from_results:
        report = json.loads(arguments.from_results.read_text(encoding="utf-8"))
    else:
        runs = arguments.runs
        if len(runs) == 1:
            runs = runs * len(arguments.events)
        if len(runs) != len(arguments.events):
            parser.error("--runs takes one number or one per size in --events")
        arguments.work.mkdir(parents=True, exist_ok=True)
        progress(f"work folder {arguments.work}; netfund is {' '.join(netfund_command())}")
        bench = Bench(arguments)
        info = machine(arguments.pg)
        startup = bench.startup()
        report = {
            "command": shown_command(argv),
            "machine": info,
            "timeout": arguments.timeout,
            "max_rss_gb": arguments.max_rss_gb,
            "startup": asdict(startup),
            "sizes": [],
        }
        results_file = arguments.work / "results.json"
        report["extras"] = {"skipped": True} if arguments.skip_extras else bench.extras()
        report["load_end"] = os.getloadavg()
        results_file.write_text(json.dumps(report, indent=1), encoding="utf-8")
        for expenses, count in zip(arguments.events, runs, strict=True):
            report["sizes"].append(asdict(bench.size(expenses, count)))
            # Written after every size: a later size that fails leaves the earlier figures.
            report["load_end"] = os.getloadavg()
            results_file.write_text(json.dumps(report, indent=1), encoding="utf-8")
        progress(f"raw figures in {results_file}")
    section = render(report, notes, _shown_path(notes_path))
    print(section)
    if not arguments.no_doc:
        write_doc(arguments.doc, section)
        progress(f"wrote the section into {arguments.doc}")


if __name__ == "__main__":
    main()
