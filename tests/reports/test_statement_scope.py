"""Statements and status agree; interim statements say so (issue 16, item 2).

What went wrong before, each reproduced here on the Saniveld year (SQLite and PostgreSQL):

- on a day in the year, `statements --period 2026` stopped at today while `status` covered
  everything: ZONMW's PDF said one "Besteed", status another, and nothing said that
  transactions were left out. Both now default to the period's last day, print it, and the
  statement states the transactions it covers;
- `--as-of 2026-03-31` overwrote the annual PDF of the same funder and was not marked
  interim; the Dutch and English files overwrote each other. Each now has its own name.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from netfund.ledger import connect, reading
from sqlalchemy import text

from tests.support.statements import embedded, page_texts, run_saniveld_year

#: A day within the example's year: the old default as-of for statements made on it.
MID_YEAR = datetime.date(2026, 6, 30)


class _MidYear(datetime.date):
    """`datetime.date` whose today() is `MID_YEAR`: the administrator runs it in June."""

    @classmethod
    def today(cls) -> _MidYear:
        return cls(MID_YEAR.year, MID_YEAR.month, MID_YEAR.day)


@pytest.fixture
def saniveld(run_cli, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    run_saniveld_year(run_cli)
    clock = SimpleNamespace(date=_MidYear, datetime=datetime.datetime)
    for module in ("netfund.reports.statements", "netfund.cli.commands.status"):
        monkeypatch.setattr(f"{module}.datetime", clock)
    return run_cli


def _json(run_cli, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _period_transactions(db_url: str, until: str) -> tuple[int, int, int]:
    """Count, first and last chain position of 2026's transactions up to ``until``, by SQL."""
    engine = connect(db_url)
    with reading(engine) as connection:
        row = connection.execute(
            text(
                "SELECT count(*), min(id), max(id) FROM transactions "
                "WHERE period = '2026' AND type <> 'close' AND date <= :until"
            ),
            {"until": until},
        ).one()
    engine.dispose()
    return int(row[0]), int(row[1]), int(row[2])


def test_statements_and_status_agree_by_default(saniveld, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "statements"
    written = _json(saniveld, "statements", "--period", "2026", "--out", str(out))
    status = _json(saniveld, "status", "--period", "2026")
    assert written["as_of"] == status["as_of"] == "2026-12-31"
    assert written["fingerprint"] == status["fingerprint"]
    cents = {f["funder"]: f for f in status["funders"]}
    for item in written["statements"]:
        summary = embedded(Path(item["file"]))["figures"]["summary"]
        for key in ("committed", "received", "allocated", "spent", "unspent"):
            shown = cents[item["funder"]][key].replace(".", "")
            assert summary[f"{key}_cents"] == int(shown), (item["funder"], key)
    # The statement states what it covers, in its figures and on its first page.
    count, first, last = _period_transactions(db_url, "2026-12-31")
    assert written["covers"] == {
        "transactions": count,
        "first_transaction": first,
        "last_transaction": last,
    }
    assert written["left_out"] == 0 and written["interim"] is False
    zonmw = out / "2026-ZONMW.nl.pdf"
    assert embedded(zonmw)["figures"]["coverage"]["transactions"] == count
    first_page = page_texts(zonmw)[0]
    assert f"{count} transacties ({first}–{last} in de keten)" in first_page
    assert "Tussentijds" not in first_page
    printed = saniveld("statements", "--period", "2026", "--out", str(out), "--funder", "ZONMW")
    assert f"as of 2026-12-31 in nl, covering {count} transaction(s)" in printed.output
    assert "as of 2026-12-31" in saniveld("status", "--period", "2026").output


def test_interim_and_other_language_statements_get_their_own_files(
    saniveld,  # type: ignore[no-untyped-def]
    db_url: str,
    tmp_path: Path,
) -> None:
    out = tmp_path / "statements"
    base = ("statements", "--period", "2026", "--out", str(out), "--funder", "ZONMW")
    _json(saniveld, *base)
    annual = (out / "2026-ZONMW.nl.pdf").read_bytes()
    interim = _json(saniveld, *base, "--as-of", "2026-03-31")
    english = _json(saniveld, *base, "--lang", "en")
    assert sorted(p.name for p in out.iterdir()) == [
        "2026-ZONMW.en.pdf",
        "2026-ZONMW.interim-2026-03-31.nl.pdf",
        "2026-ZONMW.nl.pdf",
    ]
    assert (out / "2026-ZONMW.nl.pdf").read_bytes() == annual  # neither overwrote it
    assert interim["interim"] is True and english["interim"] is False
    count, _, _ = _period_transactions(db_url, "2026-03-31")
    whole, _, _ = _period_transactions(db_url, "2026-12-31")
    assert interim["covers"]["transactions"] == count
    assert interim["left_out"] == whole - count > 0
    dutch = page_texts(out / "2026-ZONMW.interim-2026-03-31.nl.pdf")[0]
    assert dutch.startswith("Tussentijdse verantwoording 2026")
    assert "Tussentijds: alleen transacties gedateerd tot en met" in dutch
    assert page_texts(out / "2026-ZONMW.en.pdf")[0].startswith("Statement 2026")
    interim_en = _json(saniveld, *base, "--as-of", "2026-03-31", "--lang", "en")
    (path,) = (Path(item["file"]) for item in interim_en["statements"])
    assert path.name == "2026-ZONMW.interim-2026-03-31.en.pdf"
    assert page_texts(path)[0].startswith("Interim statement 2026")
    printed = saniveld(*base, "--as-of", "2026-03-31")
    assert f"left out: {whole - count} transaction(s) of 2026 dated after 2026-03-31" in (
        printed.output
    )
    # An interim statement verifies against the ledger like an annual one.
    checked = saniveld("verify-statement", str(out / "2026-ZONMW.interim-2026-03-31.nl.pdf"))
    assert checked.exit_code == 0, checked.output
