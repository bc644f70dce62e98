"""The funder portal under load: 20 signed-in funders at once on a 100k-expense ledger.

Run from the repository root, with netfund installed in `.venv`:

    .venv/bin/python benchmarks/portal_load.py [--events 100000] [--sessions 20] [--seconds 30]
        [--page N] [--think S] [--work DIR] [--pg URL] [--json]

It writes the network year of `benchmarks/generate.py` (the same generator and seed as the
other benchmarks: 5 funders, 40 groups, N expenses split over three funders each), imports it
into a fresh ledger (a SQLite file in the work folder, or with ``--pg`` a PostgreSQL schema of
its own, dropped afterwards; served right after the import, as a portal started after a large
import is), adds one portal login per funder,
starts `netfund serve` on a free 127.0.0.1 port as a child process (the real server: uvicorn,
the middleware, the sessions), signs ``--sessions`` browsers in (round robin over the funders'
logins) and lets each ask, one request at a time, for its funder's overview and a postings page
(a page drawn at random from the API's page count, or always ``--page N``; period 2026),
pausing ``--think`` seconds on average after each page (default 0: without pause), until
``--seconds`` have passed. It prints per kind of page the number of requests, p50, p95 and
maximum latency and the errors (any answer other than 200, or no answer). Every request counts,
the first of each session included (nothing is warmed up first). No session starts a request
after ``--seconds``; those under way then are waited for and counted, so the wall time exceeds
``--seconds`` when requests are slow. The goal of issue 18 is p95 ≤ 200 ms and no error.
Concurrency is bounded: one request in flight per session.

``--work DIR`` keeps the generated data and the SQLite ledger there and reuses them when the
same ``--events`` was used before (the import takes ten seconds at 100k). Passwords are made
for the run and never printed. Not part of the test suite: timings are measured on demand.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from netfund.ledger import add_user, import_events, initialize, list_users, load_network
from netfund.ledger.store.database import connect
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

PERIOD = "2026"
READY_SECONDS = 60.0
CSRF_FIELD = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


@dataclass
class Kind:
    """The latencies (seconds) and errors of one kind of page."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        return {
            "requests": len(ordered),
            "errors": len(self.errors),
            "p50_ms": _ms(_percentile(ordered, 50)),
            "p95_ms": _ms(_percentile(ordered, 95)),
            "max_ms": _ms(ordered[-1] if ordered else None),
            "first_errors": sorted(set(self.errors))[:5],
        }


def _percentile(ordered: list[float], percent: int) -> float | None:
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[percent - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def ledger_url(pg: str | None, work: Path) -> Iterator[str]:
    """A SQLite file in ``work``, or a PostgreSQL schema of its own (dropped afterwards)."""
    if pg is None:
        yield f"sqlite:///{work / 'netfund.db'}"
        return
    schema = f"portal_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build_ledger(url: str, work: Path, events: int, reuse: bool) -> tuple[list[str], float]:
    """Generate and import the year into ``url`` (unless ``reuse`` finds it there); return
    the funder codes and the import's seconds (0 when reused)."""
    data = work / f"data-{events}"
    if not (data / "events.csv").is_file():
        generate(data, events)
    network = load_network(data / "network.toml")
    codes = [funder.code for funder in network.funders]
    marker = work / f"netfund.db.{events}.imported"
    if reuse and url.startswith("sqlite") and marker.is_file():
        engine = connect(url)
        initialize(engine)  # brings an earlier run's ledger to the newest schema
        engine.dispose()
        return codes, 0.0
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm", ".checkpoints"):
            (work / f"netfund.db{suffix}").unlink(missing_ok=True)
    engine = connect(url)
    started = time.perf_counter()
    initialize(engine, network)
    import_events(engine, data / "events.csv")
    seconds = time.perf_counter() - started
    engine.dispose()
    if url.startswith("sqlite"):
        marker.write_text("imported\n", encoding="utf-8")
    return codes, seconds


def add_logins(url: str, codes: list[str]) -> dict[str, tuple[str, str]]:
    """One funder login per code, with a password made for this run: code → (name, password)."""
    engine = connect(url)
    logins = {}
    existing = {user.name for user in list_users(engine)}
    for code in codes:
        name = f"load-{code.lower()}"
        password = secrets.token_urlsafe(18)
        add_user(engine, name, "funder", code, password, replace=name in existing)
        logins[code] = (name, password)
    engine.dispose()
    return logins


@contextmanager
def serving(url: str, work: Path, port: int) -> Iterator[str]:
    """`netfund serve` as a child process on 127.0.0.1:``port``; its output goes to a file."""
    netfund = Path(sys.executable).with_name("netfund")
    log = (work / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(netfund), "--db", url, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NETFUND_DB": ""},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"netfund serve ended (exit {process.returncode}); see {log.name}")
            try:
                if httpx2.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"netfund serve did not answer in {READY_SECONDS:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def sign_in(client: httpx2.AsyncClient, name: str, password: str) -> None:
    form = await client.get("/login")
    match = CSRF_FIELD.search(form.text)
    if form.status_code != 200 or match is None:
        raise SystemExit(f"GET /login answered {form.status_code} without a csrf_token field")
    answer = await client.post(
        "/login", data={"username": name, "password": password, "csrf_token": match.group(1)}
    )
    if answer.status_code != 303 or answer.headers.get("location", "").startswith("/login"):
        raise SystemExit(f"signing in {name} failed: {answer.status_code}")


async def run_load(
    base: str,
    logins: dict[str, tuple[str, str]],
    sessions: int,
    seconds: float,
    seed: int,
    page: int,
    think: float = 0.0,
) -> tuple[dict[str, Kind], float]:
    kinds = {name: Kind(name) for name in ("overview", "postings")}
    codes = sorted(logins)
    clients = []
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    for number in range(sessions):
        client = httpx2.AsyncClient(base_url=base, timeout=60, limits=limits)
        code = codes[number % len(codes)]
        await sign_in(client, *logins[code])
        pages = await client.get(f"/api/funders/{code}/postings", params={"period": PERIOD})
        pages.raise_for_status()
        clients.append((client, code, int(pages.json()["pages"])))
    began = time.perf_counter()
    stop = time.monotonic() + seconds

    async def browse(client: httpx2.AsyncClient, code: str, pages: int, rng: random.Random) -> None:
        while time.monotonic() < stop:
            for kind, path, params in (
                ("overview", f"/funders/{code}", {"period": PERIOD}),
                ("postings", f"/funders/{code}/postings", {"period": PERIOD}),
            ):
                if kind == "postings":
                    number = page or rng.randint(1, max(1, pages))
                    params = {**params, "page": str(number)}
                began = time.perf_counter()
                try:
                    answer = await client.get(path, params=params)
                    await answer.aread()
                    error = None if answer.status_code == 200 else f"{path}: {answer.status_code}"
                except httpx2.HTTPError as failure:
                    error = f"{path}: {type(failure).__name__}"
                spent = time.perf_counter() - began
                target = kinds[kind]
                target.latencies.append(spent)
                if error is not None:
                    target.errors.append(error)
                if think:  # a person reading the page before the next click
                    await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    try:
        await asyncio.gather(
            *(
                browse(client, code, pages, random.Random(seed + number))
                for number, (client, code, pages) in enumerate(clients)
            )
        )
    finally:
        for client, _, _ in clients:
            await client.aclose()
    return kinds, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="expense events")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--page", type=int, default=0, help="the postings page asked for (0: one at random)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a session pauses after each page, on average (0: none; a person reads)",
    )
    parser.add_argument("--work", type=Path, help="keep data and ledger here (reused)")
    parser.add_argument("--pg", help="a PostgreSQL URL: the ledger in a schema of its own")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-load-") as scratch:
        work = arguments.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        with ledger_url(arguments.pg, work) as url:
            codes, import_seconds = build_ledger(
                url, work, arguments.events, reuse=arguments.work is not None
            )
            logins = add_logins(url, codes)
            load_before = os.getloadavg()
            with serving(url, work, free_port()) as base:
                kinds, wall = asyncio.run(
                    run_load(
                        base,
                        logins,
                        arguments.sessions,
                        arguments.seconds,
                        arguments.seed,
                        arguments.page,
                        arguments.think,
                    )
                )
    counted = [kinds["overview"], kinds["postings"]]
    total = Kind(
        "all pages",
        [t for k in counted for t in k.latencies],
        [e for k in counted for e in k.errors],
    )
    report = {
        "events": arguments.events,
        "database": "postgresql" if arguments.pg else "sqlite",
        "sessions": arguments.sessions,
        "postings_page": arguments.page or "random",
        "think_seconds": arguments.think,
        "seconds": round(wall, 1),
        "import_seconds": round(import_seconds, 1),
        "cores": os.cpu_count(),
        "load_before": [round(value, 2) for value in load_before],
        "requests_per_second": round(len(total.latencies) / wall, 1),
        "kinds": {kind.name: kind.figures() for kind in [*counted, total]},
    }
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['database']}, {arguments.events:,} expenses, {arguments.sessions} sessions, "
        f"{report['seconds']} s, {report['requests_per_second']} requests/s "
        f"({report['cores']} cores, load before {report['load_before']})"
    )
    for name, figures in report["kinds"].items():
        print(
            f"  {name:14} {figures['requests']:6} requests  p50 {figures['p50_ms']} ms  "
            f"p95 {figures['p95_ms']} ms  max {figures['max_ms']} ms  errors {figures['errors']}"
            + (f" {figures['first_errors']}" if figures["errors"] else "")
        )


if __name__ == "__main__":
    main()
