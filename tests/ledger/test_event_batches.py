"""The batch path of `import_events` (issue 21) stores what the row path stores, or leaves the
file to it.

The row path defines an import: its chain, its skips, its messages. Every test here imports
the same file twice, once as users do (batch path first) and once with the batch path turned
off, and holds the two outcomes equal: the same fingerprint and counts when the file is
stored, the same problems, line by line, when it is refused. The property test draws files
with every kind of wrong value the row path knows; the named tests show that a sound file
really goes the batch way (the row path is made to fail there) and that each unusual file
falls back.
"""

from __future__ import annotations

import csv
import datetime
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netfund.ledger import event_batches, importer
from netfund.ledger.importer import ImportReport, import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.dialect import DIALECTS
from netfund.ledger.model.errors import InputError, LedgerError
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine

from tests.conftest import EVENTS_HEADER, EXAMPLE, NETWORK_TOML, ROOT, database_url, write_events

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate

SETUP = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "c-zvk,2026-01-05,commitment,ZVK,,800.00,Toezegging,B-2",
    "a-gem,2026-01-10,allocation,GEM,WG-A,300.00,Besluit,B-3",
    "a-zvk,2026-01-10,allocation,ZVK,WG-A,200.00,Besluit,B-4",
]


def _outcome(engine: Engine, path: Path, **options: object) -> tuple[str, object]:
    try:
        report = import_events(engine, path, **options)  # type: ignore[arg-type]
    except InputError as error:
        return "refused", [str(problem) for problem in error.problems]
    except LedgerError as error:
        return "error", str(error)
    return "stored", (report.read, report.posted, report.skipped, report.head_hash)


def _row_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def unusual(*_: object) -> object:
        def compose(_unit: object) -> None:
            raise event_batches.Unusual("turned off by the test")

        return compose

    monkeypatch.setattr(importer, "batch_compose", unusual)


def _batch_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> ImportReport:
        raise AssertionError("the batch path fell back to the row path")

    monkeypatch.setattr(importer, "_import_rows", refuse)


def _ledger(url: str, network: Path) -> Engine:
    engine = connect(url)
    initialize(engine, load_network(network))
    return engine


def _both_paths(
    folder: Path, network: Path, files: list[Path], *, batch_only: bool = False, **options: object
) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    """Import ``files`` in order into a SQLite ledger in ``folder`` the usual way (with
    ``batch_only``, failing if the batch path falls back), and into a second one with the row
    path alone: the outcomes of both."""
    usual = _ledger(f"sqlite:///{folder / 'ledger.db'}", network)
    with pytest.MonkeyPatch.context() as patch:
        if batch_only:
            _batch_path_only(patch)
        try:
            first = [_outcome(usual, path, **options) for path in files]
            verify(usual)
        finally:
            usual.dispose()
    rows = _ledger(f"sqlite:///{folder / 'rows.db'}", network)
    with pytest.MonkeyPatch.context() as patch:
        _row_path_only(patch)
        try:
            second = [_outcome(rows, path, **options) for path in files]
        finally:
            rows.dispose()
    return first, second


def test_a_sound_file_goes_the_batch_way_and_stores_the_row_paths_chain(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example year (SQLite and PostgreSQL): the batch path alone stores it (the row path
    would fail the test), with the fingerprint the row path gives on a ledger of its own."""
    events, network = EXAMPLE / "events.csv", EXAMPLE / "network.toml"
    engine = _ledger(db_url, network)
    try:
        with monkeypatch.context() as patch:
            _batch_path_only(patch)
            report = import_events(engine, events)
        verify(engine)
        # Again: the database's unique key stops the batch path (on PostgreSQL inside its
        # COPY), and the row path skips every row.
        repeated = import_events(engine, events)
        assert (repeated.posted, repeated.skipped) == (0, 42)
        assert repeated.head_hash == report.head_hash
        verify(engine)
    finally:
        engine.dispose()
    assert report.posted == report.read == 42
    rows = tmp_path / "rows"
    rows.mkdir()
    _row_path_only(monkeypatch)
    for url in database_url(db_url.split(":")[0].split("+")[0], rows, prefix="rows"):
        other = _ledger(url, network)
        try:
            again = import_events(other, events)
        finally:
            other.dispose()
    assert (again.posted, again.head_hash) == (report.posted, report.head_hash)


@pytest.mark.parametrize(("expenses", "groups"), [(3_000, 12), (100_000, 40)])
def test_a_generated_year_is_stored_byte_for_byte_as_the_row_path_stores_it(
    tmp_path: Path, expenses: int, groups: int
) -> None:
    """The benchmarks' year of 100k expenses (`generate.py`'s defaults, as `compare.py` makes
    it) and a small one: the same fingerprint both ways, and the batch path never falls back
    (its five batches of 20,000 rows, the writer's batches and rounds between them). The
    million-expense year is compared by `benchmarks/import_paths.py` (docs/BENCHMARKS.md)."""
    data = tmp_path / "year"
    generate.main(["--events", str(expenses), "--out", str(data), "--groups", str(groups)])
    first, second = _both_paths(
        tmp_path, data / "network.toml", [data / "events.csv"], batch_only=True
    )
    assert first == second
    rows = len((data / "events.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert first[0][0] == "stored" and first[0][1][1] == rows > expenses  # type: ignore[index]


def _network(tmp_path: Path) -> Path:
    path = tmp_path / "network.toml"
    path.write_text(NETWORK_TOML, encoding="utf-8")
    return path


def _file(tmp_path: Path, name: str, rows: list[str]) -> Path:
    return write_events(tmp_path / name, rows)


UNUSUAL = {
    "a row with a problem": ["e-1,2026-03-01,expense,,WG-A,12.345,Huur,INV-1"],
    "an id on two lines": [
        "e-1,2026-03-01,expense,,WG-A,10.00,Huur,INV-1",
        "e-1,2026-03-01,expense,,WG-A,10.00,Huur,INV-1",
    ],
    "an id stored before, same content": [SETUP[0]],
    "an id stored before, other content": [SETUP[0].replace("1000.00", "999.00")],
    "some stored, some new": [SETUP[1], "e-9,2026-03-01,expense,,WG-A,10.00,Huur,INV-9"],
    "an expense nobody allocated to": ["e-2,2026-03-01,expense,,WG-B,10.00,Huur,INV-2"],
    "an earmark": ["a-z,2026-03-01,allocation,ZONMW,WG-B,10.00,Besluit,B-9"],
    "too many fields": ["e-3,2026-03-01,expense,,WG-A,10.00,Huur,INV-3,extra"],
    "overspending the commitment": ["a-big,2026-03-01,allocation,GEM,WG-B,5000.00,Besluit,B"],
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_an_unusual_file_gets_the_row_paths_outcome(tmp_path: Path, case: str) -> None:
    network = _network(tmp_path)
    setup = _file(tmp_path, "setup.csv", SETUP)
    path = _file(tmp_path, "file.csv", UNUSUAL[case])
    first, second = _both_paths(tmp_path, network, [setup, path])
    assert first == second
    assert first[0][0] == "stored"


def test_odd_but_valid_values_stay_on_the_batch_path(tmp_path: Path) -> None:
    """Values the quick glance does not settle (a tab in a description, a no-break space in
    an id, spaces around codes, a '+' amount) are settled by the row path's own parsers,
    without leaving the batch path."""
    rows = [
        *SETUP,
        'e-1,2026-03-01, expense ,, WG-A ,+7.5,"Huur\tmaart",INV-1',
        "e\u00a01,2026-03-02,expense,,WG-A,5.,Huur \u00e9\u00fc,INV-2",
        "e-3,2026-03-03,expense,ZVK,WG-A,0.01,,",
    ]
    first, second = _both_paths(
        tmp_path, _network(tmp_path), [_file(tmp_path, "odd.csv", rows)], batch_only=True
    )
    assert first == second and first[0][0] == "stored"


def test_a_closed_period_falls_back_and_is_reported_on_its_line(
    engine: Engine, tmp_path: Path
) -> None:
    from netfund.ledger import close_period

    import_events(engine, _file(tmp_path, "setup.csv", SETUP))
    close_period(engine, "2026", today=datetime.date(2027, 1, 15))
    with pytest.raises(InputError) as refused:
        import_events(engine, _file(tmp_path, "late.csv", [SETUP[0].replace("c-gem", "c-2")]))
    assert [str(problem) for problem in refused.value.problems] == [
        f"{tmp_path / 'late.csv'}:2: period 2026 is closed"
    ]


def test_a_dutch_file_is_read_the_same_way(tmp_path: Path) -> None:
    dutch = DIALECTS["nl"]
    text = (
        EVENTS_HEADER.replace(",", ";")
        + "c-1;05-01-2026;commitment;GEM;;1.000,00;Toezegging;B-1\n"
        + "a-1;10-01-2026;allocation;GEM;WG-A;300,00;Besluit;B-2\n"
        + "e-1;1-3-2026;expense;;WG-A;12,5;Caf\u00e9;INV-1\n"
    )
    path = tmp_path / "nl.csv"
    path.write_bytes(text.encode("cp1252"))
    first, second = _both_paths(tmp_path, _network(tmp_path), [path], dialect=dutch)
    assert first == second and first[0][0] == "stored"


# Values of every kind the row path knows, sound and not.
IDS = st.sampled_from(["e-1", "e-2", "e-3", " e-4 ", "c-gem", "", "e\u200b1", "netfund:x", "e-5"])
DATES = st.sampled_from(
    ["2026-03-01", "2026-02-30", "2026-3-1", "01-03-2026", "1999-12-31", "2025-06-01", ""]
)
TYPES = st.sampled_from(
    ["expense", "allocation", "receipt", "refund", "commitment", " expense ", "x"]
)
FUNDERS = st.sampled_from(["", "GEM", "ZVK", "ZONMW", " GEM", "NOPE"])
GROUPS = st.sampled_from(["", "WG-A", "WG-B", "PMO", "CL-1", "XX"])
AMOUNTS = st.sampled_from(
    ["10.00", "0.01", "0", "-5", "1e3", "12.345", " 7.5 ", "+3", "1,50", "5.", "999999999999999.99"]
)
TEXTS = st.sampled_from(
    ["Huur", "", "tab\there", "x" * 1001, "\u00e9 \u00fc", "\u202eevil", "r" * 201]
)
ROWS = st.lists(
    st.tuples(IDS, DATES, TYPES, FUNDERS, GROUPS, AMOUNTS, TEXTS, TEXTS), min_size=1, max_size=6
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=ROWS)
def test_any_file_has_the_same_outcome_on_both_paths(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("fuzz")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = folder / "events.csv"
    path.write_text(EVENTS_HEADER + buffer.getvalue(), encoding="utf-8")
    setup = _file(folder, "setup.csv", SETUP)
    first, second = _both_paths(folder, _network(folder), [setup, path])
    assert first == second


def test_what_the_batch_path_remembers_is_bounded_and_forgetting_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dates and type/funder/group as written are remembered up to `REMEMBERED_MAX` each; a
    file that writes them in ever other ways (padding) makes the batch path forget and check
    again, with the same chain as a result."""
    monkeypatch.setattr(event_batches, "REMEMBERED_MAX", 2)
    rows = [*SETUP] + [
        f"e-{n},{' ' * n}2026-03-{n:02d},expense,,{' ' * n}WG-A,1.0{n},Huur,INV-{n}"
        for n in range(1, 9)
    ]
    first, second = _both_paths(
        tmp_path, _network(tmp_path), [_file(tmp_path, "padded.csv", rows)], batch_only=True
    )
    assert first == second and first[0][0] == "stored"
    assert first[0][1][1] == len(rows)  # type: ignore[index]
