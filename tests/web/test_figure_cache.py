"""The portal keeps figures per state of the ledger: a repeat view reads them once, and a
write shows on the very next view (never a figure the ledger no longer holds)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from netfund.ledger import add_user, import_events
from netfund.web.app import create_app
from netfund.web.figure_cache import FigureCache
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.conftest import write_events
from tests.support.portal import client, csrf_token

PASSWORD = "Beheer-wachtwoord-5150"


def test_figures_are_kept_until_the_ledger_changes(engine: Engine, tmp_path: Path) -> None:
    import_events(
        engine,
        write_events(
            tmp_path / "events.csv",
            [
                "c-1,2026-01-05,commitment,GEM,,1000.00,Toezegging,C-1",
                "r-1,2026-02-01,receipt,GEM,,400.00,Ontvangst,R-1",
                "a-1,2026-02-02,allocation,GEM,WG-A,600.00,Toewijzing,A-1",
            ],
        ),
    )
    add_user(engine, "beheer", "administrator", None, PASSWORD)
    app = create_app(engine)
    browser = client(app)
    token = csrf_token(browser.get("/login").text)
    browser.post("/login", data={"username": "beheer", "password": PASSWORD, "csrf_token": token})
    cache = app.state.figures

    def received() -> int:
        answer = browser.get("/api/funders/GEM/summary?period=2026")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["figures"]["received_cents"])

    def total_lines() -> int:
        answer = browser.get("/api/funders/GEM/postings?period=2026&page=1")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert (received(), total_lines()) == (40000, 6)
    misses = cache.misses
    assert (received(), total_lines()) == (40000, 6)
    assert cache.misses == misses and cache.hits >= 2  # nothing read twice
    import_events(
        engine,
        write_events(
            tmp_path / "late.csv", ["r-2,2026-03-01,receipt,GEM,,250.00,Tweede ontvangst,R-2"]
        ),
    )
    assert (received(), total_lines()) == (65000, 8)  # the write moved the ledger's state
    # Read again, once each: the period's inputs, the overview, the selection's totals.
    assert cache.misses == misses + 3


def test_a_crowd_of_first_requests_computes_once() -> None:
    """Twenty sessions opening their overview at once read the period once, not twenty
    times (1.4 s each at 100,000 expenses)."""
    cache = FigureCache()
    started = threading.Event()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        started.wait(timeout=5)  # hold the first caller until the others queue behind it
        return 42

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(cache.get, "key", compute) for _ in range(8)]
        time.sleep(0.2)
        started.set()
        answers = [future.result(timeout=10) for future in futures]
    assert answers == [42] * 8
    assert len(calls) == 1 and (cache.misses, cache.hits) == (1, 7)


def test_a_started_server_reads_the_newest_period_before_anyone_asks(
    engine: Engine, tmp_path: Path
) -> None:
    import_events(
        engine,
        write_events(
            tmp_path / "events.csv",
            [
                "c-1,2026-01-05,commitment,GEM,,1000.00,Toezegging,C-1",
                "r-1,2026-02-01,receipt,GEM,,400.00,Ontvangst,R-1",
            ],
        ),
    )
    add_user(engine, "beheer", "administrator", None, PASSWORD)
    app = create_app(engine)
    cache = app.state.figures
    with TestClient(app, follow_redirects=False) as started:  # runs the start-up
        deadline = time.monotonic() + 20
        while cache.misses == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.misses == 1  # the period's inputs, read at start-up
        token = csrf_token(started.get("/login").text)
        started.post(
            "/login", data={"username": "beheer", "password": PASSWORD, "csrf_token": token}
        )
        answer = started.get("/api/funders/GEM/summary")
        assert answer.json()["figures"]["received_cents"] == 40000
    assert (cache.misses, cache.hits) == (2, 1)  # the overview; the inputs were there
