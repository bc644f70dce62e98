"""A funder's statement shows what its money bought beside the indicators its groups agreed to:
the figures (cost per unit in exact cents, the changes, a count's pro-rata reference point),
only the groups the funder's money went to and only its own spending, and the section in Dutch
and English. Pure: `PeriodInputs` built directly, no database (the ledger-backed half, with
verify-statement, is test_statement_indicators_ledger.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from netfund.ledger import Coverage, FunderFigures, Measurement, Network, load_network
from netfund.reports.statement.charts import REFERENCE_COLOR, TREND_COLOR, Trend, trend_chart
from netfund.reports.statement.data import PeriodInputs, StatementData, statement_data
from netfund.reports.statement.embedded import differences, statement_figures
from netfund.reports.statement.pdf import render_statement
from reportlab.graphics.shapes import Circle, Line
from reportlab.lib import colors

from tests.conftest import NETWORK_TOML
from tests.support.statements import page_texts

INDICATORS = """
[[indicators]]
code = "WACHTTIJD"
name = { nl = "Wachttijd voordeur", en = "Waiting time at the front door" }
unit = { nl = "dagen", en = "days" }
better = "lower"
aim = "experience"
kind = "level"
groups = ["WG-A", "WG-B"]
references = { 2026 = 14.5 }

[[indicators]]
code = "BEREIK"
name = { nl = "Bereikte inwoners", en = "Residents reached" }
unit = { nl = "inwoners", en = "residents" }
better = "higher"
aim = "health"
kind = "count"
groups = ["WG-A"]
references = { 2026 = 120 }
cost_per_unit = true
"""

AS_OF = datetime.date(2026, 6, 30)


def _measured(indicator: str, group: str, day: str, value: str) -> Measurement:
    return Measurement(indicator, group, datetime.date.fromisoformat(day), Decimal(value), "test")


MEASUREMENTS = (
    _measured("WACHTTIJD", "WG-A", "2025-12-31", "16"),
    _measured("WACHTTIJD", "WG-A", "2026-03-31", "15.0"),
    _measured("WACHTTIJD", "WG-A", "2026-06-30", "17.5"),
    _measured("BEREIK", "WG-A", "2026-03-31", "20"),
    _measured("BEREIK", "WG-A", "2026-06-30", "20"),
    _measured("WACHTTIJD", "WG-A", "2026-09-30", "12.0"),  # after the as-of date
)

#: GEM funds WG-A and WG-B, ZVK only WG-A, ZONMW nothing. Spending on WG-A: GEM 400.00,
#: ZVK 1,000.20 (1,000.20 / 40 = 25.005: a half cent, rounded up).
FIGURES = {
    "GEM": FunderFigures(
        "GEM", 100_000_00, 60_000_00, {"WG-A": 40_000_00, "WG-B": 10_000_00}, {"WG-A": 400_00}
    ),
    "ZVK": FunderFigures("ZVK", 50_000_00, 50_000_00, {"WG-A": 30_000_00}, {"WG-A": 1_000_20}),
}


def _network(folder: Path, indicators: str = INDICATORS) -> Network:
    path = folder / "network.toml"
    path.write_text(NETWORK_TOML + indicators, encoding="utf-8")
    return load_network(path)


def _inputs(network: Network, measurements: tuple[Measurement, ...] = MEASUREMENTS) -> PeriodInputs:
    return PeriodInputs(
        network=network,
        period="2026",
        as_of=AS_OF,
        figures=FIGURES,
        movements={},
        fingerprint=None,
        coverage=Coverage(0, None, None),
        measurements=measurements,
    )


@pytest.fixture
def network(tmp_path: Path) -> Network:
    return _network(tmp_path)


def _statement(network: Network, funder: str, language: str = "en") -> StatementData:
    return statement_data(_inputs(network), funder, language, "test")


def _section_text(data: StatementData, folder: Path) -> str:
    """The statement's text from its "achieved" heading to the next section, on one line."""
    path = folder / f"{data.funder.code}.{data.language}.pdf"
    path.write_bytes(render_statement(data))
    whole = " ".join(" ".join(page_texts(path)).split())
    start = whole.index("What your money achieved" if data.language == "en" else "Wat uw geld")
    end = whole.index("Payment schedule" if data.language == "en" else "Betalingsschema")
    return whole[start:end]


def test_the_figures_of_a_funders_statement(network: Network) -> None:
    data = _statement(network, "GEM")
    assert [(g.group, g.allocated_cents, g.spent_cents) for g in data.outcomes] == [
        ("WG-A", 40_000_00, 400_00),
        ("WG-B", 10_000_00, 0),
    ]
    waiting, reached = data.outcomes[0].indicators
    # A level: from where the period started (the newest point before it), the measurement
    # after the as-of date left out.
    assert [p.value for p in waiting.points] == [Decimal("15.0"), Decimal("17.5")]
    assert waiting.change_since_previous == Decimal("2.5")
    assert waiting.change_since_start == Decimal("1.5")
    assert waiting.reference_now == Decimal("14.5")
    # A count: its total against the reference pro rata to 30 June (181 of 365 days).
    assert reached.total == Decimal(40)
    assert reached.reference_now == Decimal("59.5068")  # 120 × 181 / 365 = 59.50684…
    assert reached.cost_per_unit_cents == 1000  # 400.00 / 40 = 10.00
    zvk = _statement(network, "ZVK").outcomes
    assert [(g.group, g.spent_cents) for g in zvk] == [("WG-A", 1_000_20)]
    assert zvk[0].indicators[1].cost_per_unit_cents == 2501  # 2,500.5 cents, half up


def test_the_embedded_figures_are_exact_text(network: Network) -> None:
    figures = statement_figures(_statement(network, "ZVK"))
    [group] = figures["outcomes"]
    assert (group["group"], group["allocated_cents"], group["spent_cents"]) == (
        "WG-A",
        30_000_00,
        1_000_20,
    )
    waiting, reached = group["indicators"]
    assert waiting == {
        "indicator": "WACHTTIJD",
        "points": [
            {"date": "2026-03-31", "value": "15.0"},
            {"date": "2026-06-30", "value": "17.5"},
        ],
        "latest": {"date": "2026-06-30", "value": "17.5"},
        "previous": {"date": "2026-03-31", "value": "15.0"},
        "start": {"date": "2025-12-31", "value": "16"},
        "change_since_previous": "2.5",
        "change_since_start": "1.5",
        "total": None,
        "reference": "14.5",
        "reference_now": "14.5",
        "spent_cents": 1_000_20,
        "cost_per_unit_cents": None,
    }
    assert (reached["total"], reached["reference_now"], reached["cost_per_unit_cents"]) == (
        "40",
        "59.5068",
        2501,
    )


def test_a_later_measurement_is_named_by_its_place(network: Network) -> None:
    """What verify-statement compares: a measurement dated within the as-of date that was not
    there when the statement was made is named, down to its date."""
    made = statement_figures(_statement(network, "GEM"))
    later = (*MEASUREMENTS, _measured("WACHTTIJD", "WG-B", "2026-05-31", "11"))
    now = statement_figures(statement_data(_inputs(network, later), "GEM", "en", "test"))
    found = {key: (stated, computed) for key, stated, computed in differences(made, now)}
    assert found["outcomes[WG-B].indicators[WACHTTIJD].points[2026-05-31].value"] == (None, "11")
    assert found["outcomes[WG-B].indicators[WACHTTIJD].latest.value"] == (None, "11")
    assert not any(key.startswith("outcomes[WG-A]") for key in found)


def test_without_indicators_there_are_no_such_figures_and_no_section(tmp_path: Path) -> None:
    data = statement_data(_inputs(_network(tmp_path, "")), "GEM", "en", "test")
    assert data.outcomes == ()
    assert "outcomes" not in statement_figures(data)
    path = tmp_path / "plain.pdf"
    path.write_bytes(render_statement(data))
    assert "achieved" not in " ".join(page_texts(path))


def test_the_section_in_english(network: Network, tmp_path: Path) -> None:
    section = _section_text(_statement(network, "GEM", "en"), tmp_path)
    for said in (
        "Werkgroep A · WG-A Your money: allocated €40,000.00, spent €400.00.",
        "Waiting time at the front door Quadruple Aim: residents' experience · lower is better",
        "Latest: 17.5 days (30 June 2026).",
        "Change: +2.5 days since the previous measurement (31 March 2026); +1.5 days since "
        "the start of the period (16 days on 31 December 2025).",
        "3.0 days above the reference point of 14.5 days.",
        "Residents reached Quadruple Aim: population health · higher is better",
        "Latest count: 20 residents (30 June 2026).",
        "40 residents up to 30 June 2026; reference point 120 residents for 2026, 59.5 "
        "residents pro rata.",
        "Cost per unit: €400.00 / 40 residents = €10.00 per resident.",
        "Werkgroep B · WG-B Your money: allocated €10,000.00, spent €0.00. No measurement yet "
        "in 2026 for this group's indicators: Waiting time at the front door.",
    ):
        assert said in section, said
    for verdict in ("pass ", "passed", "failed", "target", "met "):
        assert verdict not in section.replace("not a bar to clear", "")


def test_the_section_in_dutch(network: Network, tmp_path: Path) -> None:
    section = _section_text(_statement(network, "GEM", "nl"), tmp_path)
    for said in (
        "Wat uw geld opleverde",
        "Werkgroep A · WG-A Uw geld: toegewezen € 40.000,00, besteed € 400,00.",
        "Wachttijd voordeur Quadruple Aim: ervaring van inwoners · lager is beter",
        "Laatste meting: 17,5 dagen (30 juni 2026).",
        "Verandering: +2,5 dagen sinds de vorige meting (31 maart 2026); +1,5 dagen sinds het "
        "begin van de periode (16 dagen op 31 december 2025).",
        "3,0 dagen boven het referentiepunt van 14,5 dagen.",
        "Laatste telling: 20 inwoners (30 juni 2026).",
        "40 inwoners tot en met 30 juni 2026; referentiepunt 120 inwoners voor 2026, naar rato "
        "59,5 inwoners.",
        "Kosten per eenheid: € 400,00 / 40 inwoners = € 10,00 per inwoner.",
        "Nog geen meting in 2026 voor de indicatoren van deze groep: Wachttijd voordeur.",
    ):
        assert said in section, said
    for verdict in ("gehaald", "behaald", "voldoet", "norm gehaald"):
        assert verdict not in section.replace("geen norm om te halen", "")


def test_a_funder_sees_its_own_groups_and_spending_only(network: Network, tmp_path: Path) -> None:
    section = _section_text(_statement(network, "ZVK", "en"), tmp_path)
    assert "Your money: allocated €30,000.00, spent €1,000.20." in section
    assert "Cost per unit: €1,000.20 / 40 residents = €25.01 per resident." in section
    assert "WG-B" not in section and "€400.00" not in section and "€40,000.00" not in section
    # A funder whose money went to no group with indicators: no section at all.
    zonmw = _statement(network, "ZONMW", "en")
    assert zonmw.outcomes == ()
    path = tmp_path / "zonmw.pdf"
    path.write_bytes(render_statement(zonmw))
    assert "What your money achieved" not in " ".join(page_texts(path))


def test_the_reference_point_is_worded_from_either_side(tmp_path: Path) -> None:
    """Below and at the reference point, as above: a distance, never a verdict; a level with
    no reference agreed says so."""
    network = _network(tmp_path)
    for value, said in (
        ("12.5", "2.0 days below the reference point of 14.5 days."),
        ("14.5", "At the reference point of 14.5 days."),
    ):
        measurements = (_measured("WACHTTIJD", "WG-B", "2026-04-30", value),)
        data = statement_data(_inputs(network, measurements), "GEM", "en", "test")
        assert said in _section_text(data, tmp_path)
    unreferenced = _network(tmp_path, INDICATORS.replace("references = { 2026 = 14.5 }\n", ""))
    data = statement_data(
        _inputs(unreferenced, (_measured("WACHTTIJD", "WG-B", "2026-04-30", "9"),)),
        "GEM",
        "en",
        "test",
    )
    assert "No reference point agreed for 2026." in _section_text(data, tmp_path)


def test_a_cost_per_unit_with_nothing_counted_says_so(network: Network, tmp_path: Path) -> None:
    measurements = (
        _measured("WACHTTIJD", "WG-A", "2026-03-31", "15.0"),
        _measured("BEREIK", "WG-A", "2026-03-31", "0"),
    )
    data = statement_data(_inputs(network, measurements), "GEM", "en", "test")
    assert data.outcomes[0].indicators[1].cost_per_unit_cents is None
    section = _section_text(data, tmp_path)
    assert "Cost per unit: nothing counted yet." in section
    assert "0 residents up to 31 March 2026" in section


def test_the_trend_draws_the_reference_dashed_at_its_value() -> None:
    """The chart's reference line lies where the value axis puts the reference point, dashed;
    one marker per point, the one before the period open."""
    trend = Trend(
        first=datetime.date(2026, 1, 1),
        last=datetime.date(2026, 12, 31),
        points=(
            (datetime.date(2025, 12, 31), Decimal(16)),
            (datetime.date(2026, 6, 30), Decimal("17.5")),
        ),
        reference=(Decimal("14.5"), Decimal("14.5")),
        labels=((Decimal("14.5"), "14.5"), (Decimal("17.5"), "17.5")),
        months=("Jan", "Apr", "Jul", "Oct"),
        legend=("days", "reference point"),
    )
    drawing = trend_chart(trend)
    dashed = [
        shape
        for shape in drawing.contents
        if isinstance(shape, Line) and shape.strokeColor == REFERENCE_COLOR
    ]
    plotted = dashed[0]  # the legend's sample comes after the plot
    assert all(shape.strokeDashArray for shape in dashed)
    # The lowest value is the reference: the line lies on the lowest gridline, level.
    gridlines = [
        shape for shape in drawing.contents if isinstance(shape, Line) and shape.y1 == shape.y2
    ]
    lowest = min(shape.y1 for shape in gridlines if shape.strokeWidth == 0.4)
    assert plotted.y1 == plotted.y2 == lowest
    markers = [shape for shape in drawing.contents if isinstance(shape, Circle)]
    assert [m.fillColor for m in markers] == [colors.white, TREND_COLOR]
