"""Regenerate the Saniveld example's ``events.csv`` and ``spending.csv``, then check them.

Run ``python examples/saniveld/generate.py`` from anywhere: it rewrites both files next to
this file for the calendar year 2026 and validates them against ``network.toml`` and
``plan.toml`` in the same folder. The output is deterministic (``random.Random(2026)``), so
running it again gives byte-identical files.

The year is split in two because that is how the administrator's year runs: the money comes
in and the steering group decides in January (``events.csv``), the allocation plan divides
what is left (``netfund allocate plan.toml`` and ``--commit``), and only then is the year's
spending imported (``spending.csv``), attributed pro rata over both allocations.

``events.csv``, in date order:

- one ``commitment`` per funder in the first week of January;
- four quarterly ``receipt`` tranches per funder (Lingezorg pays only part of its last tranche,
  so receipts lag commitments at year end);
- the steering group's January ``allocation`` decisions, about 80% of each funder's commitment,
  leaving roughly 20% for the allocation plan in ``plan.toml``.

``spending.csv``, in date order:

- monthly ``expense`` rows for every group with an allocation (funder empty: the ledger
  attributes them pro rata), a few expenses charged to an explicit funder, and one group
  (Jeugd en gezin Noord) overspending its allocation a little, even after the plan gives it
  its maximum;
- one ``refund`` to ZonMw in December.

Money is integer cents throughout; a float never becomes an amount. After writing, the script
re-reads the files with the standard library only (no netfund code) and raises SystemExit with
a message if any rule of the example is broken. ``-v`` also prints the totals per funder.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
NETWORK = HERE / "network.toml"
EVENTS = HERE / "events.csv"
SPENDING = HERE / "spending.csv"
PLAN = HERE / "plan.toml"

#: Event types written to spending.csv; the rest (the money coming in and the January
#: allocation decisions) go to events.csv, so the plan can be allocated and committed before
#: the year's spending is imported and attributed pro rata over both allocations.
SPENDING_TYPES = {"expense", "refund"}

YEAR = 2026
HEADER = ["id", "date", "type", "funder", "group", "amount", "description", "reference"]
TYPE_ORDER = {"commitment": 0, "allocation": 1, "receipt": 2, "expense": 3, "refund": 4}
MONTHS_NL = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]

# Short labels for ids: the ids stay readable and well under 64 characters.
FUNDER_LABEL = {
    "GEM-SANIVELD-WMO": "GEM-WMO",
    "GEM-SANIVELD-JW": "GEM-JW",
    "ZK-REGIO": "ZK",
    "ZV-NOORDWAARD": "ZV-NW",
    "ZV-LINGEZORG": "ZV-LZ",
    "ZONMW": "ZONMW",
}

# Commitments for 2026: (funder, amount in cents, date, reference, description).
COMMITMENTS = [
    (
        "GEM-SANIVELD-WMO",
        421_835_040,
        "2026-01-05",
        "BESCHIKKING-2026-0105",
        "Toezegging Wmo- en sociale-basismiddelen 2026 aan het netwerkfonds "
        "(raadsbesluit begroting 2026)",
    ),
    (
        "GEM-SANIVELD-JW",
        179_621_275,
        "2026-01-05",
        "BESCHIKKING-2026-0106",
        "Toezegging Jeugdwet-middelen 2026 voor preventie en jeugdhulp in de wijk",
    ),
    (
        "ZK-REGIO",
        120_488_000,
        "2026-01-07",
        "ZK-OVEREENKOMST-2026-014",
        "Wlz-bijdrage 2026 voor beschermd wonen en GGZ-wonen volgens netwerkovereenkomst",
    ),
    (
        "ZV-NOORDWAARD",
        69_842_550,
        "2026-01-08",
        "ZVW-CONTRACT-NW-2026-07",
        "Zvw-transformatiegelden 2026 (IZA) voor huisartsen, POH-GGZ en GGZ in de wijk",
    ),
    (
        "ZV-LINGEZORG",
        45_231_000,
        "2026-01-08",
        "ZVW-CONTRACT-LZ-2026-03",
        "Zvw-bijdrage 2026 (IZA) aan het netwerkfonds, volgens marktaandeel in Saniveld",
    ),
    (
        "ZONMW",
        44_996_800,
        "2026-01-09",
        "ZONMW-SUBSIDIE-2026-10334",
        "Subsidieverlening ZonMw Veerkracht in de wijk, projectjaar 2026",
    ),
]

# Quarterly receipt dates per funder; each tranche is 25% of the commitment unless
# RECEIPT_SHARES says otherwise.
RECEIPT_DATES = {
    "GEM-SANIVELD-WMO": ["2026-01-30", "2026-04-30", "2026-07-30", "2026-10-30"],
    "GEM-SANIVELD-JW": ["2026-01-30", "2026-04-30", "2026-07-30", "2026-10-30"],
    "ZK-REGIO": ["2026-02-13", "2026-05-15", "2026-08-14", "2026-11-13"],
    "ZV-NOORDWAARD": ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-15"],
    "ZV-LINGEZORG": ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-15"],
    "ZONMW": ["2026-01-28", "2026-04-28", "2026-07-28", "2026-10-28"],
}
# Lingezorg pays 60% of its fourth tranche pending the settlement of realised care ("nacalculatie").
RECEIPT_SHARES = {"ZV-LINGEZORG": [25, 25, 25, 15]}

# How an allocation's description names the funder's money, by framework.
MIDDELEN = {
    "Wmo": "Wmo-middelen",
    "Jeugdwet": "Jeugdwet-middelen",
    "Wlz": "Wlz-middelen",
    "Zvw": "Zvw-middelen",
    "subsidy": "subsidiemiddelen",
}
# The steering group's budget decision of 13 January 2026, in whole euros: funder -> group -> EUR.
ALLOCATION_DATE = "2026-01-13"
ALLOCATION_REFERENCE = "BESLUIT-STG-2026-01"
ALLOCATIONS_EUR = {
    "GEM-SANIVELD-WMO": {
        "STUURGROEP": 60_000,
        "TRANSITIETEAM": 90_000,
        "PROGRAMMABUREAU": 140_000,
        "CLUSTERCOORDINATIE": 120_000,
        "WG-WIJK-NOORD": 560_000,
        "WG-WELZIJN-NOORD": 520_000,
        "WG-WIJK-MIDDEN": 540_000,
        "WG-BW-MIDDEN": 660_000,
        "WG-WIJK-ZUID": 500_000,
        "RG-ERVARING": 80_000,
        "RG-DATA": 60_000,
    },
    "GEM-SANIVELD-JW": {
        "PROGRAMMABUREAU": 50_000,
        "CLUSTERCOORDINATIE": 40_000,
        "WG-JEUGD-NOORD": 820_000,
        "WG-WIJK-NOORD": 180_000,
        "WG-WIJK-MIDDEN": 160_000,
        "WG-WIJK-ZUID": 170_000,
    },
    "ZK-REGIO": {
        "TRANSITIETEAM": 30_000,
        "PROGRAMMABUREAU": 40_000,
        "WG-BW-MIDDEN": 560_000,
        "WG-GGZ-MIDDEN": 260_000,
        "RG-ERVARING": 60_000,
    },
    "ZV-NOORDWAARD": {
        "STUURGROEP": 30_000,
        "WG-HUISARTS-ZUID": 300_000,
        "WG-GGZ-MIDDEN": 160_000,
        "WG-WIJK-ZUID": 30_000,
        "RG-DATA": 40_000,
    },
    "ZV-LINGEZORG": {
        "CLUSTERCOORDINATIE": 30_000,
        "WG-HUISARTS-ZUID": 180_000,
        "WG-GGZ-MIDDEN": 120_000,
        "WG-WIJK-MIDDEN": 30_000,
    },
    "ZONMW": {
        "TRANSITIETEAM": 30_000,
        "WG-GGZ-MIDDEN": 130_000,
        "WG-HUISARTS-ZUID": 90_000,
        "RG-ERVARING": 70_000,
        "RG-DATA": 40_000,
    },
}

# The one group that spends a little more than its allocation (permille of the allocation).
OVERSPENDER = "WG-JEUGD-NOORD"
OVERSPEND_PERMILLE = 1024

# Expenses charged to an explicit funder (its earmark allows the group):
# (date, funder, group, lowest cents, highest cents, description). They are kept small enough,
# and their groups' spending ratio low enough (EXPLICIT_GROUP_PERMILLE), that no funder spends
# more than its own allocation to a group once the rest is attributed pro rata.
EXPLICIT_EXPENSES = [
    (
        "2026-03-18",
        "ZONMW",
        "RG-ERVARING",
        500_000,
        650_000,
        "Scholing en certificering ervaringsdeskundigen, ZonMw-projectonderdeel 2",
    ),
    (
        "2026-05-20",
        "ZONMW",
        "RG-DATA",
        250_000,
        350_000,
        "Licentie en hosting monitoringsdashboard veerkracht, ZonMw-projectonderdeel 4",
    ),
    (
        "2026-06-17",
        "ZK-REGIO",
        "WG-BW-MIDDEN",
        1_500_000,
        2_000_000,
        "Inrichting trainingswoning beschermd wonen, ten laste van de Wlz-bijdrage",
    ),
    (
        "2026-09-16",
        "ZONMW",
        "WG-GGZ-MIDDEN",
        800_000,
        1_000_000,
        "Inzet GGZ-verpleegkundige in de wijk, ZonMw-pilot psychische gezondheid",
    ),
    (
        "2026-10-21",
        "ZV-NOORDWAARD",
        "WG-HUISARTS-ZUID",
        700_000,
        950_000,
        "Uitbreiding POH-GGZ-uren bij twee huisartsenpraktijken, ten laste van de Zvw-bijdrage",
    ),
    (
        "2026-11-18",
        "ZONMW",
        "WG-HUISARTS-ZUID",
        450_000,
        600_000,
        "Intervisie huisartsen en POH-GGZ met de wijkteams, ZonMw-projectonderdeel 3",
    ),
]

# Spending ratio (permille of the allocation) of groups with explicit-funder expenses; other
# groups spend 905-975 permille, the overspender OVERSPEND_PERMILLE.
EXPLICIT_GROUP_PERMILLE = (905, 930)

REFUND = (
    "2026-12-17",
    "ZONMW",
    781_245,
    "TERUGBETALING-ZONMW-2026-01",
    "Terugbetaling niet-besteed deel ZonMw-projectonderdeel 5 (vervallen vervolgmeting)",
)

# Working groups book two rows a month: the partners' staff ("inzet") and activities.
STAFF_SHARE_PERMILLE = (680, 820)


def fmt(cents: int) -> str:
    """Integer cents as a plain amount with two decimals."""
    whole, fraction = divmod(cents, 100)
    return f"{whole}.{fraction:02d}"


def parse_cents(text: str) -> int:
    """A positive amount with '.' and exactly two decimals, as written here, into cents."""
    match = re.fullmatch(r"(\d+)\.(\d{2})", text)
    if match is None:
        fail(f"amount {text!r} is not a positive amount with two decimals")
    return int(match.group(1)) * 100 + int(match.group(2))


def plan_max(group: str) -> int:
    """The most plan.toml asks for ``group``, in cents (0 without a request)."""
    with PLAN.open("rb") as handle:
        requests = tomllib.load(handle)["requests"]
    return sum(parse_cents(r["max"]) for r in requests if r["group"] == group)


def split(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split: parts proportional to weights that add up to total exactly."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def weekday_on_or_before(day: dt.date) -> dt.date:
    """Move a Saturday or Sunday back to the Friday before."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def last_day(month: int) -> dt.date:
    following = dt.date(YEAR + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def fail(message: str) -> NoReturn:
    raise SystemExit(f"generate.py: check failed: {message}")


def load_network() -> dict:
    with NETWORK.open("rb") as handle:
        return tomllib.load(handle)


def generate(network: dict) -> list[dict[str, str]]:
    rng = random.Random(2026)
    groups = {g["code"]: g for g in network["groups"]}
    funders = {f["code"]: f for f in network["funders"]}
    rows: list[dict[str, str]] = []

    def add(
        id_: str,
        date: str,
        type_: str,
        funder: str,
        group: str,
        cents: int,
        description: str,
        reference: str,
    ) -> None:
        rows.append(
            {
                "id": id_,
                "date": date,
                "type": type_,
                "funder": funder,
                "group": group,
                "amount": fmt(cents),
                "description": description,
                "reference": reference,
            }
        )

    for funder, cents, date, reference, description in COMMITMENTS:
        add(
            f"{YEAR}-C-{FUNDER_LABEL[funder]}",
            date,
            "commitment",
            funder,
            "",
            cents,
            description,
            reference,
        )

    committed = {funder: cents for funder, cents, *_ in COMMITMENTS}
    for funder, dates in RECEIPT_DATES.items():
        shares = RECEIPT_SHARES.get(funder, [25, 25, 25, 25])
        tranches = split(committed[funder] * sum(shares) // 100, shares)
        for quarter, (date, cents) in enumerate(zip(dates, tranches, strict=True), start=1):
            note = ""
            if shares[quarter - 1] < 25:
                note = "; deels ingehouden in afwachting van de nacalculatie"
            add(
                f"{YEAR}-R-Q{quarter}-{FUNDER_LABEL[funder]}",
                date,
                "receipt",
                funder,
                "",
                cents,
                f"Ontvangst {quarter}e kwartaaltermijn {YEAR} van {funders[funder]['name']}{note}",
                f"BANK-{YEAR}-Q{quarter}-{FUNDER_LABEL[funder]}",
            )

    allocated_to: dict[str, int] = defaultdict(int)
    for funder, per_group in ALLOCATIONS_EUR.items():
        for group, euros in per_group.items():
            allocated_to[group] += euros * 100
            add(
                f"{YEAR}-A-{FUNDER_LABEL[funder]}-{group}",
                ALLOCATION_DATE,
                "allocation",
                funder,
                group,
                euros * 100,
                f"Budgetbesluit stuurgroep 13 januari {YEAR}: "
                f"{MIDDELEN[funders[funder]['framework']]} voor {groups[group]['name']}",
                ALLOCATION_REFERENCE,
            )

    explicit_by_group: dict[str, int] = defaultdict(int)
    for date, funder, group, low, high, description in EXPLICIT_EXPENSES:
        cents = rng.randint(low, high)
        explicit_by_group[group] += cents
        month = int(date[5:7])
        add(
            f"{YEAR}-X-{month:02d}-{FUNDER_LABEL[funder]}-{group}",
            date,
            "expense",
            funder,
            group,
            cents,
            description,
            "",
        )

    for group in sorted(allocated_to):
        # Spending ratio in units of 1/100,000, so group totals are not round euros.
        if group == OVERSPENDER:
            # Measured against the January allocation plus the most the plan can add, so the
            # group overspends whatever the allocation run gives it.
            ratio = OVERSPEND_PERMILLE * 100 + rng.randint(0, 99)
            base = allocated_to[group] + plan_max(group)
        elif group in explicit_by_group:
            ratio = rng.randint(EXPLICIT_GROUP_PERMILLE[0] * 100, EXPLICIT_GROUP_PERMILLE[1] * 100)
            base = allocated_to[group]
        else:
            ratio = rng.randint(90_500, 97_500)
            base = allocated_to[group]
        target = base * ratio // 100_000 - explicit_by_group[group]
        # Monthly rhythm: some noise, a quieter summer, a busier December.
        weights = []
        for month in range(1, 13):
            weight = rng.randint(920, 1080)
            if month in (7, 8):
                weight = weight * 88 // 100
            if month == 12:
                weight = weight * 112 // 100
            weights.append(weight)
        name = groups[group]["name"]
        two_rows = group.startswith("WG-")
        for month, cents in enumerate(split(target, weights), start=1):
            month_name = f"{MONTHS_NL[month - 1]} {YEAR}"
            staff_day = weekday_on_or_before(dt.date(YEAR, month, 25)).isoformat()
            end_day = weekday_on_or_before(last_day(month)).isoformat()
            base_id = f"{YEAR}-E-{month:02d}-{group}"
            if two_rows:
                staff = cents * rng.randint(*STAFF_SHARE_PERMILLE) // 1000
                activities = cents - staff
                add(
                    base_id,
                    staff_day,
                    "expense",
                    "",
                    group,
                    staff,
                    f"Inzet professionals partnerorganisaties, {name}, {month_name}",
                    "",
                )
                add(
                    f"{base_id}-ACT",
                    end_day,
                    "expense",
                    "",
                    group,
                    activities,
                    f"Activiteiten, locatie- en materiaalkosten, {name}, {month_name}",
                    "",
                )
            elif groups[group]["overhead"]:
                add(
                    base_id,
                    staff_day,
                    "expense",
                    "",
                    group,
                    cents,
                    f"Personeelskosten en vergoedingen, {name}, {month_name}",
                    "",
                )
            else:
                add(
                    base_id,
                    staff_day,
                    "expense",
                    "",
                    group,
                    cents,
                    f"Inzet en vergoedingen, {name}, {month_name}",
                    "",
                )

    date, funder, cents, reference, description = REFUND
    add(
        f"{YEAR}-T-{FUNDER_LABEL[funder]}",
        date,
        "refund",
        funder,
        "",
        cents,
        description,
        reference,
    )

    rows.sort(key=lambda r: (r["date"], TYPE_ORDER[r["type"]], r["id"]))
    invoice = 0
    for row in rows:  # expenses, explicit-funder ones included, numbered in date order
        if row["type"] == "expense":
            invoice += 1
            row["reference"] = f"INV-{YEAR}-{invoice:04d}"
    return rows


def write(rows: list[dict[str, str]]) -> None:
    for path, wanted in ((EVENTS, False), (SPENDING, True)):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
            writer.writeheader()
            writer.writerows(r for r in rows if (r["type"] in SPENDING_TYPES) == wanted)


# ------------------------------------------------------------------------------------------
# Checks: re-read what was written, with the standard library only.
# ------------------------------------------------------------------------------------------

NETWORK_KEYS = {"name", "currency", "language", "population", "overhead_cap"}
FUNDER_KEYS = {
    *("code", "name", "kind", "framework", "overhead_cap", "eligible_groups", "unspent"),
    "schedule",
}
GROUP_KEYS = {"code", "name", "overhead", "parent"}
CODE = re.compile(r"[A-Za-z0-9-]+")


def check_network(network: dict) -> None:
    if set(network) != {"network", "funders", "groups"}:
        fail(f"network.toml has top-level keys {sorted(network)}")
    net = network["network"]
    if set(net) != NETWORK_KEYS:
        fail(f"[network] keys are {sorted(net)}, expected {sorted(NETWORK_KEYS)}")
    if (net["currency"], net["language"], net["population"], net["overhead_cap"]) != (
        "EUR",
        "nl",
        18000,
        0.15,
    ):
        fail("[network] currency, language, population or overhead_cap differ from the brief")
    codes = [g["code"] for g in network["groups"]]
    if len(set(codes)) != len(codes):
        fail("group codes are not unique")
    for group in network["groups"]:
        if not set(group) <= GROUP_KEYS or not {"code", "name", "overhead"} <= set(group):
            fail(f"group {group.get('code')} has keys {sorted(group)}")
        if not CODE.fullmatch(group["code"]):
            fail(f"group code {group['code']!r} has characters other than letters, digits, '-'")
        if "parent" in group and group["parent"] not in codes:
            fail(f"group {group['code']} has unknown parent {group['parent']}")
    if not 14 <= len(codes) <= 18:
        fail(f"{len(codes)} groups, expected 14-18")
    funder_codes = [f["code"] for f in network["funders"]]
    if len(set(funder_codes)) != len(funder_codes):
        fail("funder codes are not unique")
    for funder in network["funders"]:
        if not set(funder) <= FUNDER_KEYS or not FUNDER_KEYS - {
            "overhead_cap",
            "eligible_groups",
            "schedule",
        } <= set(funder):
            fail(f"funder {funder.get('code')} has keys {sorted(funder)}")
        if not CODE.fullmatch(funder["code"]):
            fail(f"funder code {funder['code']!r} has characters other than letters, digits, '-'")
        if funder["kind"] not in {
            "municipality",
            "care_office",
            "insurer",
            "subsidy_body",
            "other",
        }:
            fail(f"funder {funder['code']} has unknown kind {funder['kind']}")
        if funder["unspent"] not in {"return", "carry_over"}:
            fail(f"funder {funder['code']} has unknown unspent {funder['unspent']}")
        for group in funder.get("eligible_groups", []):
            if group not in codes:
                fail(f"funder {funder['code']} earmarks unknown group {group}")
    if not any(f["unspent"] == "carry_over" for f in network["funders"]):
        fail("no funder carries unspent money over")


def check_events(network: dict) -> dict:
    funders = {f["code"]: f for f in network["funders"]}
    groups = {g["code"]: g for g in network["groups"]}
    rows: list[dict[str, str]] = []
    for path in (EVENTS, SPENDING):
        if b"\r" in path.read_bytes():
            fail(f"{path.name} contains carriage returns; line endings must be '\\n'")
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            if header != HEADER:
                fail(f"{path.name} header is {header}")
            lines = list(reader)
        if any(len(line) != len(HEADER) for line in lines):
            fail(f"{path.name} has rows without exactly {len(HEADER)} fields")
        for number, line in enumerate(lines, start=2):
            row = dict(zip(HEADER, line, strict=True))
            if (row["type"] in SPENDING_TYPES) != (path == SPENDING):
                fail(f"{path.name} line {number}: a {row['type']} belongs in the other file")
            rows.append(
                row | {"file": path.name, "where": f"{path.name} line {number} ({row['id']})"}
            )
    if not 250 <= len(rows) <= 400:
        fail(f"the two files have {len(rows)} rows, expected 250-400")

    seen: set[str] = set()
    previous_date: dict[str, str] = defaultdict(str)
    committed: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    allocated: dict[tuple[str, str], int] = defaultdict(int)
    spent_group: dict[str, int] = defaultdict(int)
    spent_funder: dict[str, int] = defaultdict(int)
    spent_pair: dict[tuple[str, str], int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    for row in rows:
        where = row["where"]
        if not row["id"] or len(row["id"]) > 64 or row["id"] in seen:
            fail(f"{where}: id is empty, longer than 64 characters or not unique")
        seen.add(row["id"])
        try:
            day = dt.date.fromisoformat(row["date"])
        except ValueError:
            fail(f"{where}: date {row['date']!r} is not ISO")
        if day.year != YEAR or row["date"] < previous_date[row["file"]]:
            fail(f"{where}: date outside {YEAR} or out of order (each file is in date order)")
        previous_date[row["file"]] = row["date"]
        if not row["description"] or len(row["description"]) > 200:
            fail(f"{where}: description empty or longer than 200 characters")
        if not row["reference"]:
            fail(f"{where}: reference is empty")
        cents = parse_cents(row["amount"])
        if cents <= 0:
            fail(f"{where}: amount is not positive")
        kind, funder, group = row["type"], row["funder"], row["group"]
        if funder and funder not in funders:
            fail(f"{where}: unknown funder {funder}")
        if group and group not in groups:
            fail(f"{where}: unknown group {group}")
        needs_funder = kind in {"commitment", "receipt", "allocation", "refund"}
        needs_group = kind in {"allocation", "expense"}
        if kind not in TYPE_ORDER or (needs_funder and not funder) or bool(group) != needs_group:
            fail(f"{where}: type {kind!r} with funder {funder!r} and group {group!r}")
        eligible = funders[funder].get("eligible_groups") if funder else None
        if (
            kind in {"allocation", "expense"}
            and funder
            and eligible is not None
            and group not in eligible
        ):
            fail(f"{where}: {funder}'s earmark does not allow group {group}")
        if kind == "commitment":
            committed[funder] += cents
        elif kind == "receipt":
            received[funder] += cents
        elif kind == "allocation":
            allocated[funder, group] += cents
        elif kind == "expense":
            spent_group[group] += cents
            if funder:
                spent_funder[funder] += cents
                spent_pair[funder, group] += cents
            else:
                shares = {f: a for (f, g), a in allocated.items() if g == group}
                if not shares:
                    fail(
                        f"{where}: unattributed expense for {group}, "
                        "which has no earlier allocation"
                    )
                names = sorted(shares)
                for name, part in zip(names, split(cents, [shares[n] for n in names]), strict=True):
                    spent_funder[name] += part
                    spent_pair[name, group] += part
        elif kind == "refund":
            if funders[funder]["unspent"] != "return":
                fail(f"{where}: refund to {funder}, whose unspent money is carried over")
            holds = received[funder] - spent_funder[funder] - refunded[funder]
            if cents >= holds:
                fail(
                    f"{where}: refund {fmt(cents)} is not below what {funder} "
                    f"still holds ({fmt(holds)})"
                )
            refunded[funder] += cents

    total_committed = sum(committed.values())
    if not 800_000_000 <= total_committed <= 1_000_000_000:
        fail(f"total commitment {fmt(total_committed)} is outside EUR 8-10 million")
    for code in funders:
        if committed[code] == 0 or received[code] > committed[code]:
            fail(f"{code}: no commitment, or received more than committed")
        funder_allocated = sum(a for (f, _), a in allocated.items() if f == code)
        left = committed[code] - funder_allocated
        if not 15 * committed[code] <= 100 * left <= 25 * committed[code]:
            fail(f"{code}: leaves {fmt(left)} of {fmt(committed[code])} unallocated, not 15-25%")
    if not any(received[c] < committed[c] for c in funders):
        fail("every funder paid its full commitment; one should lag")
    overhead = {c for c, g in groups.items() if g["overhead"]}
    total_allocated = sum(allocated.values())
    total_overhead = sum(a for (_, g), a in allocated.items() if g in overhead)
    if not 8 * total_allocated <= 100 * total_overhead <= 12 * total_allocated:
        fail(
            f"overhead {fmt(total_overhead)} is not 8-12% of the allocation {fmt(total_allocated)}"
        )
    if 100 * total_overhead >= round(100 * network["network"]["overhead_cap"]) * total_allocated:
        fail("overhead share reaches the network cap")
    for code, funder in funders.items():
        mine = sum(a for (f, _), a in allocated.items() if f == code)
        mine_overhead = sum(a for (f, g), a in allocated.items() if f == code and g in overhead)
        cap = round(100 * funder.get("overhead_cap", network["network"]["overhead_cap"]))
        if 100 * mine_overhead >= cap * mine:
            fail(f"{code}: overhead share of its allocation reaches its cap of {cap}%")
    clusters = {g["parent"] for g in groups.values() if "parent" in g}
    if any(g in clusters for (_, g) in allocated):
        fail("a cluster receives an allocation; allocations go to working groups")
    group_allocated: dict[str, int] = defaultdict(int)
    for (_, g), a in allocated.items():
        group_allocated[g] += a
    if set(spent_group) != set(group_allocated):
        fail("the groups that spend are not exactly the groups with an allocation")
    # The plan adds at most its maximum to a group: the overspender must overspend even then,
    # and no other group may overspend its January allocation alone.
    over = [g for g in group_allocated if spent_group[g] > group_allocated[g]]
    most = group_allocated[OVERSPENDER] + plan_max(OVERSPENDER)
    if over != [OVERSPENDER] or not most < spent_group[OVERSPENDER] <= most * 105 // 100:
        fail(f"overspending groups are {over}, expected only {OVERSPENDER}, by at most 5%")
    over_pairs = [p for p in spent_pair if p[1] != OVERSPENDER and spent_pair[p] > allocated[p]]
    if over_pairs:
        fail(f"funders spend more than their own allocation to a group: {over_pairs}")
    total_spent = sum(spent_group.values())
    if not 90 * total_allocated <= 100 * total_spent <= 98 * total_allocated:
        fail(f"spending {fmt(total_spent)} is not 90-98% of the allocation {fmt(total_allocated)}")
    return {
        "rows": len(rows),
        "committed": committed,
        "received": received,
        "allocated": allocated,
        "spent_funder": spent_funder,
        "refunded": refunded,
        "overhead": overhead,
        "total_allocated": total_allocated,
        "total_overhead": total_overhead,
        "total_spent": total_spent,
        "group_allocated": group_allocated,
        "spent_group": spent_group,
    }


def check_plan(network: dict, figures: dict) -> None:
    with PLAN.open("rb") as handle:
        plan = tomllib.load(handle)
    if plan.get("allocation") != {
        "period": str(YEAR),
        "basis": "committed",
        "objective": "priority",
    }:
        fail(f"plan.toml [allocation] is {plan.get('allocation')}")
    groups = {g["code"]: g for g in network["groups"]}
    left = sum(figures["committed"].values()) - figures["total_allocated"]
    total_min = overhead_min = 0
    for request in plan["requests"]:
        if set(request) != {"group", "min", "max", "weight"} or request["group"] not in groups:
            fail(f"plan request {request} has other keys or an unknown group")
        low, high = parse_cents(request["min"]), parse_cents(request["max"])
        if low > high or not 1 <= request["weight"] <= 5:
            fail(f"plan request for {request['group']}: min above max or weight outside 1-5")
        total_min += low
        overhead_min += low if groups[request["group"]]["overhead"] else 0
    if 2 * total_min > left:
        fail(f"plan minimums {fmt(total_min)} are not well below the unallocated {fmt(left)}")
    if 100 * overhead_min > 15 * total_min:
        fail("overhead minimums exceed 15% of the plan's minimums")
    if 100 * (figures["total_overhead"] + overhead_min) > 15 * (
        figures["total_allocated"] + total_min
    ):
        fail("overhead minimums do not fit under the 15% cap for the whole period")


def summary(network: dict, figures: dict) -> str:
    lines = [
        f"{'funder':<18}{'committed':>15}{'received':>15}{'allocated':>15}{'left':>15}{'spent':>15}"
    ]
    for funder in network["funders"]:
        code = funder["code"]
        allocated = sum(a for (f, _), a in figures["allocated"].items() if f == code)
        lines.append(
            f"{code:<18}{fmt(figures['committed'][code]):>15}{fmt(figures['received'][code]):>15}"
            f"{fmt(allocated):>15}{fmt(figures['committed'][code] - allocated):>15}"
            f"{fmt(figures['spent_funder'][code]):>15}"
        )
    committed = sum(figures["committed"].values())
    lines.append(
        f"{'total':<18}{fmt(committed):>15}{fmt(sum(figures['received'].values())):>15}"
        f"{fmt(figures['total_allocated']):>15}{fmt(committed - figures['total_allocated']):>15}"
        f"{fmt(figures['total_spent']):>15}"
    )
    share = figures["total_overhead"] * 10000 // figures["total_allocated"]
    lines.append(
        f"overhead allocated {fmt(figures['total_overhead'])} = {share // 100}.{share % 100:02d}%"
        f"; rows {figures['rows']}"
    )
    return "\n".join(lines)


def main() -> None:
    network = load_network()
    check_network(network)
    write(generate(network))
    figures = check_events(network)
    check_plan(network, figures)
    print(f"wrote {EVENTS} and {SPENDING} ({figures['rows']} events); all checks passed")
    if "-v" in sys.argv[1:]:
        print(summary(network, figures))


if __name__ == "__main__":
    main()
