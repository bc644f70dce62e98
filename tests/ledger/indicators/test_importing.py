"""Importing measurements: stored once through the one writing path, never changed, all or
nothing, each import a record that `verify` holds the rows to (issue 20)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from netfund.ledger import (
    InputError,
    VerificationError,
    audit_trail,
    import_indicators,
    read_measurements,
    reading,
    verify,
)
from netfund.ledger.indicators.importing import measurements_sha256
from netfund.ledger.model.dialect import DUTCH
from netfund.ledger.store.schema import indicator_measurements_table, ledger_records_table
from netfund.ledger.verification import records as records_module
from sqlalchemy import Engine, func, select

from tests.support.indicators import ROWS, TODAY, write_indicators
from tests.support.reliability import drop_guards


def _stored(engine: Engine) -> list[tuple[str, str, str, str, str, int]]:
    m = indicator_measurements_table.c
    with engine.connect() as connection:
        return [
            (row.indicator, row.group_code, row.measured_on.isoformat(), row.value, row.source,
             row.record_seq)
            for row in connection.execute(select(indicator_measurements_table).order_by(m.id))
        ]  # fmt: skip


def _records(engine: Engine) -> list[tuple[int, str, dict]]:
    r = ledger_records_table.c
    with engine.connect() as connection:
        return [
            (seq, kind, json.loads(content))
            for seq, kind, content in connection.execute(
                select(r.seq, r.kind, r.content).order_by(r.seq)
            )
        ]


def test_an_import_stores_the_rows_and_one_record_of_them(
    indicator_engine: Engine, tmp_path: Path
) -> None:
    path = write_indicators(tmp_path / "indicators.csv", ROWS)
    before = len(_records(indicator_engine))
    report = import_indicators(indicator_engine, path, today=TODAY)
    assert (report.source, report.rows, report.added, report.skipped) == (
        "indicators.csv", 4, 4, 0
    )  # fmt: skip
    assert [(c.indicator, c.added, c.skipped) for c in report.indicators] == [
        ("WACHTTIJD", 2, 0),
        ("BEREIK", 2, 0),
    ]
    written = _records(indicator_engine)[before:]
    assert [kind for _, kind, _ in written] == ["indicator-import", "write"]
    seq, _, content = written[0]
    assert report.record_seq == seq
    canonical = [
        ["WACHTTIJD", "WG-A", "2026-03-31", "21", "Registratie voordeur"],
        ["BEREIK", "WG-A", "2026-03-31", "40", "Deelnemerslijsten"],
        ["BEREIK", "WG-B", "2026-03-31", "12", "Deelnemerslijsten"],
        ["WACHTTIJD", "WG-A", "2026-06-30", "17.50", "Registratie voordeur"],
    ]
    text = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))
    assert content["measurements_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert content["measurements_sha256"] == measurements_sha256(canonical)
    assert content["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (content["file"], content["rows"], content["added"], content["periods"]) == (
        "indicators.csv", 4, 4, ["2026"]
    )  # fmt: skip
    assert content["by"] and content["at"]
    assert written[1][2]["action"] == "indicator-import"
    assert written[1][2]["arguments"] == {"file": "indicators.csv", "dialect": "standard"}
    assert [row[:5] for row in _stored(indicator_engine)] == [tuple(row) for row in canonical]
    assert {row[5] for row in _stored(indicator_engine)} == {seq}
    with reading(indicator_engine) as connection:
        measured = read_measurements(connection)
    assert [str(m.value) for m in measured if m.indicator == "WACHTTIJD"] == ["21", "17.50"]
    verify(indicator_engine)


def test_importing_again_adds_nothing_and_writes_nothing(
    indicator_engine: Engine, tmp_path: Path
) -> None:
    path = write_indicators(tmp_path / "indicators.csv", ROWS)
    import_indicators(indicator_engine, path, today=TODAY)
    records, stored = _records(indicator_engine), _stored(indicator_engine)
    again = import_indicators(indicator_engine, path, today=TODAY)
    assert (again.added, again.skipped, again.record_seq) == (0, 4, None)
    assert [(c.indicator, c.added, c.skipped) for c in again.indicators] == [
        ("WACHTTIJD", 0, 2),
        ("BEREIK", 0, 2),
    ]
    assert _records(indicator_engine) == records  # not even a write record
    assert _stored(indicator_engine) == stored
    # The same values written otherwise (Excel saved 17.50 as 17,5) are the same measurements.
    dutch = tmp_path / "nl.csv"
    dutch.write_text(
        "indicator;group;date;value;source\n"
        "WACHTTIJD;WG-A;30-06-2026;17,5;Registratie voordeur\n"
        "BEREIK;WG-A;31-03-2026;40,00;Deelnemerslijsten\n",
        encoding="utf-8",
    )
    resaved = import_indicators(indicator_engine, dutch, dialect=DUTCH, today=TODAY)
    assert (resaved.added, resaved.skipped) == (0, 2)
    assert _records(indicator_engine) == records
    verify(indicator_engine)


def test_a_file_grown_by_a_quarter_adds_the_quarter_in_a_record_of_its_own(
    indicator_engine: Engine, tmp_path: Path
) -> None:
    path = write_indicators(tmp_path / "indicators.csv", ROWS[:2])
    first = import_indicators(indicator_engine, path, today=TODAY)
    write_indicators(path, ROWS)
    second = import_indicators(indicator_engine, path, today=TODAY)
    assert (second.added, second.skipped) == (2, 2)
    assert second.record_seq is not None and first.record_seq is not None
    assert second.record_seq > first.record_seq
    assert [row[5] for row in _stored(indicator_engine)] == [first.record_seq] * 2 + [
        second.record_seq
    ] * 2
    verify(indicator_engine)


@pytest.mark.parametrize(
    ("changed", "recorded_as"),
    [
        ("WACHTTIJD,WG-A,2026-03-31,19,Registratie voordeur", "21 (Registratie voordeur)"),
        ("WACHTTIJD,WG-A,2026-03-31,21,Registratie herzien", "21 (Registratie voordeur)"),
    ],
)
def test_a_measurement_is_never_changed(
    indicator_engine: Engine, tmp_path: Path, changed: str, recorded_as: str
) -> None:
    first = import_indicators(
        indicator_engine, write_indicators(tmp_path / "q1.csv", ROWS), today=TODAY
    )
    records, stored = _records(indicator_engine), _stored(indicator_engine)
    path = write_indicators(
        tmp_path / "corrected.csv", ["BEREIK,WG-B,2026-06-30,30,Deelnemerslijsten", changed]
    )
    with pytest.raises(InputError) as refused:
        import_indicators(indicator_engine, path, today=TODAY)
    assert [str(problem) for problem in refused.value.problems] == [
        f"{path}:3: WACHTTIJD for WG-A on 2026-03-31 was recorded as {recorded_as} by import "
        f"record {first.record_seq} of q1.csv; a measurement is never changed"
    ]
    assert _records(indicator_engine) == records and _stored(indicator_engine) == stored


def test_all_or_nothing(indicator_engine: Engine, tmp_path: Path) -> None:
    path = write_indicators(
        tmp_path / "indicators.csv", [*ROWS, "BEREIK,WG-B,2027-01-02,5,Deelnemerslijsten"]
    )
    records = _records(indicator_engine)
    with pytest.raises(InputError) as refused:
        import_indicators(indicator_engine, path, today=TODAY)
    assert [problem.line for problem in refused.value.problems] == [6]
    assert "lies after this year (2026)" in refused.value.problems[0].message
    assert _stored(indicator_engine) == [] and _records(indicator_engine) == records
    # On the day it was measured, the same file imports whole.
    report = import_indicators(indicator_engine, path, today=TODAY.replace(year=2027, day=2))
    assert report.added == 5


def test_a_missing_file_is_bad_input(indicator_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.csv: cannot read file: No such file"):
        import_indicators(indicator_engine, tmp_path / "missing.csv", today=TODAY)


def test_the_import_is_in_the_audit_trail(indicator_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nl.csv"
    path.write_text(
        "indicator;group;date;value;source\nWACHTTIJD;WG-A;31-03-2026;21;Registratie\n",
        encoding="utf-8",
    )
    report = import_indicators(indicator_engine, path, dialect=DUTCH, today=TODAY)
    entries = [e for e in audit_trail(indicator_engine, period="2026") if "indicator" in e.event]
    assert [(e.event, e.summary) for e in entries] == [
        ("indicator measurements", "indicator measurements from nl.csv: 1 new of 1 row"),
    ]
    assert entries[0].seq == report.record_seq and entries[0].actor
    every = [e for e in audit_trail(indicator_engine) if "indicator" in e.event]
    assert [(e.event, e.summary) for e in every] == [
        ("indicator measurements", "indicator measurements from nl.csv: 1 new of 1 row"),
        ("indicator import", "indicator import nl.csv (--dialect nl)"),
    ]


#: Changes to the measurements made with SQL, around netfund, and what verify says of each.
TAMPERING = [
    pytest.param(
        "UPDATE indicator_measurements SET value = '14' WHERE indicator = 'WACHTTIJD' "
        "AND measured_on = '2026-06-30'",
        "are not the ones it added",
        id="a waiting time improved",
    ),
    pytest.param(
        "DELETE FROM indicator_measurements WHERE indicator = 'BEREIK' AND group_code = 'WG-B'",
        "are not the ones it added (3 found",
        id="a bad quarter dropped",
    ),
    pytest.param(
        "INSERT INTO indicator_measurements (indicator, group_code, measured_on, value, source, "
        "record_seq) SELECT 'BEREIK', 'WG-B', '2026-06-30', '90', 'Deelnemerslijsten', "
        "max(record_seq) FROM indicator_measurements",
        "are not the ones it added (5 found",
        id="a measurement added to an import",
    ),
    pytest.param(
        "INSERT INTO indicator_measurements (indicator, group_code, measured_on, value, source, "
        "record_seq) VALUES ('BEREIK', 'WG-B', '2026-06-30', '90', 'Lijsten', 9999)",
        "names record 9999, which is no indicator import record: written around netfund",
        id="a measurement nobody imported",
    ),
    pytest.param(
        "UPDATE indicator_measurements SET value = '2.1E+1' WHERE value = '21'",
        "has the value '2.1E+1', which is not the canonical text netfund stores",
        id="a value written otherwise",
    ),
]


@pytest.mark.parametrize(("tampering", "found"), TAMPERING)
def test_verify_finds_the_measurements_changed_around_netfund(
    indicator_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tampering: str,
    found: str,
) -> None:
    """The attack passes verify without the check and is refused with it."""
    import_indicators(
        indicator_engine, write_indicators(tmp_path / "indicators.csv", ROWS), today=TODAY
    )
    verify(indicator_engine)
    # Whoever may write the database may drop its guards first (any append-only trigger).
    drop_guards(indicator_engine)
    with indicator_engine.begin() as connection:
        changed = connection.exec_driver_sql(tampering).rowcount
    assert changed >= 1
    with indicator_engine.connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(indicator_measurements_table)
        ).scalar_one()
    assert count in (3, 4, 5)
    with monkeypatch.context() as without_the_check:
        without_the_check.setattr(records_module, "indicator_findings", lambda *_: [])
        verify(indicator_engine)  # the attack goes unseen
    with pytest.raises(VerificationError, match=re.escape(found)):
        verify(indicator_engine)


def test_an_import_of_measurements_moves_the_ledger_state(
    indicator_engine: Engine, tmp_path: Path
) -> None:
    """The portal keeps a period's inputs (measurements included) per `LedgerState`: an import
    that adds measurements must move it, or a funder's statement would show yesterday's
    indicators; one that adds nothing leaves it."""
    from netfund.ledger.figures import ledger_state

    with reading(indicator_engine) as connection:
        before = ledger_state(connection)
    path = write_indicators(tmp_path / "indicators.csv", ROWS)
    import_indicators(indicator_engine, path, today=TODAY)
    with reading(indicator_engine) as connection:
        after = ledger_state(connection)
    assert after != before and after.measurements == len(ROWS)
    import_indicators(indicator_engine, path, today=TODAY)
    with reading(indicator_engine) as connection:
        assert ledger_state(connection) == after


def test_a_period_reads_its_own_measurements_and_where_it_started_from(
    indicator_engine: Engine, tmp_path: Path
) -> None:
    """``read_measurements(period=)`` reads the period's measurements and, per indicator and
    group, the newest before it: what the outcomes need and nothing older (ten years of daily
    measurements made every status read them all)."""
    rows = [
        "WACHTTIJD,WG-A,2024-06-30,30,Registratie voordeur",
        "WACHTTIJD,WG-A,2025-06-30,25,Registratie voordeur",
        "WACHTTIJD,WG-A,2025-12-31,22,Registratie voordeur",
        "BEREIK,WG-B,2025-03-31,9,Deelnemerslijsten",
        *ROWS,
        "WACHTTIJD,WG-A,2027-03-31,15,Registratie voordeur",
    ]
    path = write_indicators(tmp_path / "indicators.csv", rows)
    import_indicators(indicator_engine, path, today=TODAY.replace(year=2027))
    until = TODAY
    with reading(indicator_engine) as connection:
        everything = read_measurements(connection, until=until)
        period = read_measurements(connection, until=until, period="2026")
    assert len(everything) == len(rows) - 1  # 2027's is after the as-of date
    assert [(m.indicator, m.group, m.date.isoformat()) for m in period] == [
        ("BEREIK", "WG-A", "2026-03-31"),
        ("BEREIK", "WG-B", "2025-03-31"),  # the newest before 2026: where it started from
        ("BEREIK", "WG-B", "2026-03-31"),
        ("WACHTTIJD", "WG-A", "2025-12-31"),  # not 2024's or June 2025's
        ("WACHTTIJD", "WG-A", "2026-03-31"),
        ("WACHTTIJD", "WG-A", "2026-06-30"),
    ]
