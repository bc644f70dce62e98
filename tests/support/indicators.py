"""The test network's indicators and indicators.csv files for the measurement tests (issue 20).

Two indicators on the test network (`tests.conftest.NETWORK_TOML`): a waiting time WG-A agreed
to (a level, lower is better) and the residents WG-A and WG-B reach (a count, higher is better).
"""

from __future__ import annotations

import datetime
from pathlib import Path

INDICATORS_TOML = """
[[indicators]]
code = "WACHTTIJD"
name = { nl = "Wachttijd voordeur", en = "Waiting time at the front door" }
unit = { nl = "dagen", en = "days" }
better = "lower"
aim = "experience"
kind = "level"
groups = ["WG-A"]
references = { 2026 = 14 }

[[indicators]]
code = "BEREIK"
name = { nl = "Bereikte inwoners", en = "Residents reached" }
unit = { nl = "inwoners", en = "residents" }
better = "higher"
aim = "health"
kind = "count"
groups = ["WG-A", "WG-B"]
cost_per_unit = true
"""

HEADER = "indicator,group,date,value,source\n"
#: The day the tests import on: measurements after it are in the future.
TODAY = datetime.date(2026, 12, 31)

#: A year's first measurements, valid on the test network.
ROWS = [
    "WACHTTIJD,WG-A,2026-03-31,21,Registratie voordeur",
    "BEREIK,WG-A,2026-03-31,40,Deelnemerslijsten",
    "BEREIK,WG-B,2026-03-31,12,Deelnemerslijsten",
    "WACHTTIJD,WG-A,2026-06-30,17.50,Registratie voordeur",
]


def write_indicators(path: Path, rows: list[str], header: str = HEADER) -> Path:
    """Write an indicators.csv with ``header`` and the given data rows (UTF-8)."""
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path
