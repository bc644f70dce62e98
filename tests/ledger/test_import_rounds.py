"""An import works in rounds of ids (looked up together, written by a background thread).

Repeated ids must be told apart the same way whether the earlier row is in the same round or
in an earlier one (then it is found in the database, written by this very import): the
outcome of an import may not depend on the round size. An id twice in one file is a problem
naming both lines, whatever the content (issue 16); one stored before with the same content
is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from netfund.ledger import importer
from netfund.ledger.importer import import_events
from netfund.ledger.model.errors import InputError
from netfund.ledger.verification.chain import verify
from sqlalchemy import Engine

from tests.conftest import write_events

SETUP = [
    "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",
    "r-gem,2026-02-01,receipt,GEM,,1000.00,Tranche,BANK-1",
    "a-gem,2026-01-10,allocation,GEM,WG-A,200.00,Besluit,B-2",
]


def _outcome(engine: Engine, path: Path) -> tuple[str, object]:
    try:
        report = import_events(engine, path)
    except InputError as error:
        return "refused", sorted(str(problem) for problem in error.problems)
    return "stored", (report.read, report.posted, report.skipped, report.head_hash)


@pytest.mark.parametrize("round_size", [1, 2, 3, 1000])
def test_repeats_across_rounds_are_named_with_both_lines(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, round_size: int
) -> None:
    monkeypatch.setattr(importer, "CHUNK_EVENTS", round_size)
    stored_before = import_events(engine, write_events(tmp_path / "setup.csv", SETUP))
    assert stored_before.posted == 3
    same = [
        "e-1,2026-03-01,expense,,WG-A,10.00,Huur,INV-1",
        "e-2,2026-03-02,expense,,WG-A,20.00,Huur,INV-2",
        "e-1,2026-03-01,expense,,WG-A,10.00,Huur,INV-1",  # this file, line 2
        "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",  # stored before: skipped
        "c-gem,2026-01-05,commitment,GEM,,1000.00,Toezegging,B-1",  # both: line 5
        "e-3,2026-03-03,expense,,WG-A,30.00,Huur,INV-3",
        "e-2,2026-03-02,expense,,WG-A,20.00,Huur,INV-2",  # this file, line 3
    ]
    kind, problems = _outcome(engine, write_events(tmp_path / "same.csv", same))
    assert (kind, problems) == (
        "refused",
        [
            f"{tmp_path / 'same.csv'}:4: id 'e-1' is on line 2 too",
            f"{tmp_path / 'same.csv'}:6: id 'c-gem' is on line 5 too",
            f"{tmp_path / 'same.csv'}:8: id 'e-2' is on line 3 too",
        ],
    )
    once = [same[0], same[1], same[3], same[5]]
    outcome = _outcome(engine, write_events(tmp_path / "once.csv", once))
    assert outcome[0] == "stored"
    read, posted, skipped, _ = outcome[1]  # type: ignore[misc]
    assert (read, posted, skipped) == (4, 3, 1)
    verify(engine)

    changed = [
        "e-4,2026-03-04,expense,,WG-A,40.00,Huur,INV-4",
        "e-5,2026-03-05,expense,,WG-B,50.00,Geen toewijzing,INV-5",  # a problem row
        "e-6,2026-03-06,expense,,WG-A,60.00,Huur,INV-6",
        "e-4,2026-03-04,expense,,WG-A,41.00,Huur,INV-4",  # line 2 had other content
        "e-5,2026-03-05,expense,,WG-B,51.00,Geen toewijzing,INV-5",  # line 3 too
        "e-1,2026-03-01,expense,,WG-A,11.00,Huur,INV-1",  # stored before, other content
        "e-6,2026-03-06,expense,,WG-A,60.00,Huur,INV-6",  # same as line 4: named too
    ]
    kind, problems = _outcome(engine, write_events(tmp_path / "changed.csv", changed))
    assert kind == "refused"
    text = "\n".join(problems)  # type: ignore[arg-type]
    assert "changed.csv:5: id 'e-4' is used on line 2 with other content" in text
    assert "changed.csv:6: id 'e-5' is used on line 3 with other content" in text
    assert "changed.csv:7: id 'e-1' was stored before (transaction 4)" in text
    assert "changed.csv:3: group WG-B has no allocation" in text
    assert "changed.csv:8: id 'e-6' is on line 4 too" in text
    assert len(problems) == 5  # type: ignore[arg-type]
    verify(engine)
