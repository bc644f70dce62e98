"""The one writing path (`store/post.py`), on SQLite and PostgreSQL.

Every writer (event and journal imports, the post and journal post APIs, reversals, closing a
period, committing an allocation run) goes through `post_drafts`: it alone makes the
`Appender` (the chain lock), its unit of work appends every draft, and the closed-period
refusal and the report come from it. A Python caller of the journal post API gets the line
checks `netfund post` gets.
"""

from __future__ import annotations

import ast
import datetime
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from netfund.allocation.service import commit_run, run_plan
from netfund.allocation.solver import SolverSettings
from netfund.ledger.corrections import reverse
from netfund.ledger.importer import import_events, import_journal, post, post_journal
from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint
from netfund.ledger.model.errors import InputError, LedgerError
from netfund.ledger.periods import close_period
from netfund.ledger.store import writer
from netfund.ledger.store.post import UnitOfWork, post_drafts
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine

from tests.conftest import ROOT, write_events
from tests.support.reliability import PLAN

EVENTS = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,500.00,Toezegging,B-2",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "a-gem,2026-01-10,allocation,GEM,WG-A,200.00,Besluit,B-3",
]
MORE = "c-zonmw,2026-03-01,commitment,ZONMW,,9.00,,"
JOURNAL = (
    "txn_id,date,description,account,fund,group,amount\n"
    "J-1,2026-06-30,Rente,Assets:Bank,NET,,5.00\n"
    "J-1,2026-06-30,Rente,Income:Interest,NET,,-5.00\n"
)
INTEREST = (
    Posting("Assets:Bank", "NET", None, 500),
    Posting("Income:Interest", "NET", None, -500),
)
JUNE = datetime.date(2026, 6, 30)


def _draft(external_id: str, date: datetime.date = JUNE) -> Draft:
    return Draft(
        external_id,
        date,
        "journal",
        "Rente",
        "",
        INTEREST,
        lines_fingerprint(external_id, date, "Rente", "", INTEREST),
    )


def _plan(folder: Path) -> Path:
    path = folder / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    return path


def _solved(engine: Engine, folder: Path) -> None:
    run_plan(engine, _plan(folder), SolverSettings())


def _commit(engine: Engine, folder: Path) -> object:
    return commit_run(engine, "latest", date=datetime.date(2026, 7, 1))


#: Each writer with what it needs done before: name -> (prepare, write).
WRITERS: dict[str, tuple[Callable[[Engine, Path], Any], Callable[[Engine, Path], Any]]] = {
    "import events": (
        lambda engine, folder: None,
        lambda engine, folder: import_events(
            engine,
            write_events(folder / "more.csv", ["c-zonmw,2026-03-01,commitment,ZONMW,,9.00,,"]),
        ),
    ),
    "import journal": (
        lambda engine, folder: (folder / "journal.csv").write_text(JOURNAL, encoding="utf-8"),
        lambda engine, folder: import_journal(engine, folder / "journal.csv"),
    ),
    "post": (lambda engine, folder: None, lambda engine, folder: post(engine, [_draft("P-1")])),
    "post journal": (
        lambda engine, folder: None,
        lambda engine, folder: post_journal(engine, "P-2", JUNE, "Rente", INTEREST),
    ),
    "reverse": (lambda engine, folder: None, lambda engine, folder: reverse(engine, "a-gem")),
    "close": (
        lambda engine, folder: None,
        lambda engine, folder: close_period(
            engine, "2026", force=True, reason="closed early in a test"
        ),
    ),
    "allocation commit": (_solved, _commit),
}


@pytest.fixture
def year(engine: Engine, tmp_path: Path) -> Engine:
    import_events(engine, write_events(tmp_path / "e.csv", EVENTS))
    return engine


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_writer_goes_through_the_unit_of_work(
    name: str, year: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare, write = WRITERS[name]
    prepare(year, tmp_path)
    before = verify(year).transactions
    makers: list[str] = []
    appended: list[str] = []
    make, append = writer.Appender.__init__, UnitOfWork.append
    append_lines = UnitOfWork.append_lines

    def spy_make(self: writer.Appender, *args: Any, **kwargs: Any) -> None:
        makers.append(sys._getframe(1).f_code.co_name)
        make(self, *args, **kwargs)

    def spy_append(self: UnitOfWork, draft: Draft) -> Any:
        appended.append(draft.external_id)
        return append(self, draft)

    def spy_append_lines(self: UnitOfWork, line: int, content: Any, lines: Any) -> None:
        # The batch import's way in (issue 21): the same unit, without a Draft.
        appended.append(content[0])
        append_lines(self, line, content, lines)

    monkeypatch.setattr(writer.Appender, "__init__", spy_make)
    monkeypatch.setattr(UnitOfWork, "append", spy_append)
    monkeypatch.setattr(UnitOfWork, "append_lines", spy_append_lines)
    write(year, tmp_path)
    assert makers == ["post_drafts"]
    assert appended and len(appended) == verify(year).transactions - before


@pytest.mark.parametrize(
    ("name", "refusal", "message"),
    [
        ("post", LedgerError, "period 2026 is closed: 'P-1' cannot be posted"),
        ("post journal", LedgerError, "period 2026 is closed: 'P-2' cannot be posted"),
        (
            "reverse",
            LedgerError,
            "period 2026 is closed: 'netfund:reversal:a-gem' cannot be posted; "
            "give --date in an open period to reverse it there",
        ),
        (
            "allocation commit",
            LedgerError,
            "period 2026 is closed: 'netfund:allocation-run:1' cannot be posted",
        ),
        ("import events", InputError, "more.csv:2: period 2026 is closed"),
        ("import journal", InputError, "journal.csv:2: period 2026 is closed"),
    ],
)
def test_a_closed_period_is_refused_by_the_unit_of_work(
    name: str, refusal: type[Exception], message: str, year: Engine, tmp_path: Path
) -> None:
    """A single request is refused (LedgerError), an import row reported on its line."""
    prepare, write = WRITERS[name]
    prepare(year, tmp_path)
    close_period(year, "2026", force=True, reason="closed early in a test")
    before = verify(year).head_hash
    with pytest.raises(refusal) as raised:
        write(year, tmp_path)
    # An import's problems name the file by its path.
    assert re.fullmatch(rf"(.*/)?{re.escape(message)}", str(raised.value))
    assert verify(year).head_hash == before


def test_the_report_says_what_was_posted_and_where_the_chain_ends(year: Engine) -> None:
    head = verify(year)

    def two(unit: UnitOfWork) -> str:
        unit.append(_draft("R-1"))
        unit.append(_draft("R-2"))
        return "both"

    report = post_drafts(year, "two drafts", two)
    after = verify(year)
    assert (report.source, report.posted, report.skipped, report.outcome) == (
        "two drafts",
        2,
        0,
        "both",
    )
    assert (report.first_id, report.last_id, report.head_id) == (
        head.transactions + 1,
        head.transactions + 2,
        after.transactions,
    )
    assert report.head_hash == after.head_hash
    nothing = post_drafts(year, "nothing", lambda unit: None)
    assert (nothing.posted, nothing.first_id, nothing.last_id) == (0, None, None)
    assert (nothing.head_id, nothing.head_hash) == (after.transactions, after.head_hash)


def test_a_problem_rolls_back_everything_appended(year: Engine) -> None:
    before = verify(year).head_hash

    def flawed(unit: UnitOfWork) -> None:
        unit.append(_draft("R-1"))
        unit.problem(7, "not like this")

    with pytest.raises(InputError, match=r"^flawed:7: not like this$"):
        post_drafts(year, "flawed", flawed)
    assert verify(year).head_hash == before


def test_repeats_are_skipped_or_reported_by_the_unit(year: Engine) -> None:
    assert post(year, [_draft("R-1")]).posted == 1
    repeat = post(year, [_draft("R-1"), _draft("R-2")])
    assert (repeat.posted, repeat.skipped) == (1, 1)
    other = _draft("R-1", JUNE.replace(day=29))
    with pytest.raises(InputError, match=r"^post:2: id 'R-1' was stored before"):
        post(year, [_draft("R-3"), other])


def test_the_journal_post_api_checks_lines_as_the_command_does(
    year: Engine, run_cli: Callable[..., Any]
) -> None:
    bad = (
        Posting("Expenses:WG-A", "NOPE", "WG-A", 1250),
        Posting("Budget:Allocated:WG-A", "GEM", None, 100),
        Posting("Assets:Bank", "GEM", None, -1250),
    )
    with pytest.raises(InputError) as raised:
        post_journal(year, "FIX-1", JUNE, "Bankkosten", bad, lines_source="--line")
    problems = {str(problem) for problem in raised.value.problems}
    assert {problem.split(": ", 1)[0] for problem in problems} == {"--line", "--line:1", "--line:2"}
    assert any(problem.startswith("--line:1: unknown fund 'NOPE'") for problem in problems)
    assert "--line:2: a line on Budget:Allocated:WG-A must have group WG-A" in problems
    assert any("does not balance per fund" in problem for problem in problems)
    command = run_cli(
        *("post", "FIX-1", "--date", "2026-06-30", "-d", "Bankkosten"),
        *("--line", "Expenses:WG-A,NOPE,WG-A,12.50", "--line", "Budget:Allocated:WG-A,GEM,,1.00"),
        *("--line", "Assets:Bank,GEM,,-12.50"),
    )
    assert command.exit_code == 2
    assert all(problem in command.output for problem in problems), command.output
    with pytest.raises(
        InputError, match=r"^post: description contains a control character \(U\+0000\)$"
    ):
        post_journal(year, "FIX-2", JUNE, "bad\x00text", INTEREST)
    with pytest.raises(InputError, match=r"^post: date '1999-12-31' is outside"):
        post_journal(year, "FIX-2", datetime.date(1999, 12, 31), "Rente", INTEREST)
    with pytest.raises(InputError, match=r"^post: id may not start with 'netfund:'"):
        post_journal(year, "netfund:x", JUNE, "Rente", INTEREST)
    zero = (Posting("Assets:Bank", "NET", None, 0), *INTEREST)
    with pytest.raises(InputError, match=r"^line:1: amount '0\.00' is zero$"):
        post_journal(year, "FIX-2", JUNE, "Rente", zero)
    assert post_journal(year, " FIX-3 ", JUNE, "Rente", INTEREST).posted == 1
    assert post_journal(year, "FIX-3", JUNE, "Rente", INTEREST).skipped == 1


def test_only_the_unit_of_work_makes_an_appender() -> None:
    """A seventh write sequence would make its own `Appender`: none outside store/post.py."""
    makers = []
    for path in sorted((ROOT / "ledger").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Appender":
                makers.append(path.relative_to(ROOT).as_posix())
    assert makers == ["ledger/store/post.py"]


def test_a_bulk_import_hands_the_gil_round_quickly_and_puts_the_interval_back(
    year: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the background writer runs, a thread waiting for the GIL gets it within
    `writer.WRITER_SWITCH_INTERVAL` (the writer needs it back after each statement); the
    process's own interval returns when the import ends, stored or refused."""
    seen: list[float] = []
    append_lines = writer.Appender.append_lines

    def watching(self: writer.Appender, *arguments: Any) -> None:
        seen.append(sys.getswitchinterval())
        append_lines(self, *arguments)

    monkeypatch.setattr(writer.Appender, "append_lines", watching)
    before = sys.getswitchinterval()
    assert before > writer.WRITER_SWITCH_INTERVAL  # CPython's 5 ms, unless a test changed it
    import_events(year, write_events(tmp_path / "more.csv", [MORE]))
    assert seen == pytest.approx([writer.WRITER_SWITCH_INTERVAL])
    assert sys.getswitchinterval() == before
    with pytest.raises(InputError):
        import_events(year, write_events(tmp_path / "bad.csv", ["x,2026-13-01,gift,,,1,,"]))
    assert sys.getswitchinterval() == before
