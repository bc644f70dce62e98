"""Regenerate the Saniveld example's ``events.csv``, ``spending.csv`` and bank statements, then
check them.

Run ``python examples/saniveld/generate.py`` from anywhere, with netfund installed (the bank
files are written by ``netfund.examples.bank_files``): it rewrites the files next to this file
for the calendar year 2026 and validates them against ``network.toml``, ``plan.toml`` and
``bank-rules.toml`` in the same folder. The output is deterministic (``random.Random(2026)``),
so running it again gives byte-identical files.

The year is split as the administrator's year runs: the commitments and the steering group's
January decisions first (``events.csv``), then the allocation plan divides what is left
(``netfund allocate plan.toml`` and ``--commit``), then the year's spending is imported
(``spending.csv``), attributed pro rata over both allocations, and last the bank statement
(``bank/2026.camt053.xml``), where the money comes in and the spending is paid.

``events.csv``, in date order:

- one ``commitment`` per funder in the first week of January;
- the steering group's January ``allocation`` decisions, about 80% of each funder's commitment,
  leaving roughly 20% for the allocation plan in ``plan.toml``.

``spending.csv``, in date order:

- monthly ``expense`` rows for every group with an allocation (funder empty: the ledger
  attributes them pro rata), a few expenses charged to an explicit funder, and one group
  (Jeugd en gezin Noord) overspending its allocation a little, even after the plan gives it
  its maximum;
- one ``refund`` to ZonMw in December.

``bank/2026.camt053.xml`` (camt.053.001.08, twelve monthly statements of the fund's account,
opening at 0 on 1 January) and the same year as ``bank/2026.mt940``:

- four quarterly receipts per funder, from the funder's account in ``network.toml``, with its
  commitment's reference in the remittance (Lingezorg pays only part of its last tranche, so
  receipts lag commitments at year end);
- a payment of every expense and of the refund on its date, its reference in the remittance
  (the monthly staff invoices in two batches);
- the bank's monthly costs, which ``bank-rules.toml`` books on the programme office.

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
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
NETWORK = HERE / "network.toml"
EVENTS = HERE / "events.csv"
SPENDING = HERE / "spending.csv"
INDICATORS = HERE / "indicators.csv"
PLAN = HERE / "plan.toml"
RULES = HERE / "bank-rules.toml"
BANK_FOLDER = HERE / "bank"

#: Event types written to spending.csv; the commitments and the January allocation decisions
#: go to events.csv, so the plan can be allocated and committed before the year's spending is
#: imported and attributed pro rata over both allocations. Receipts are in neither: the money
#: coming in is on the bank statement (BANK_TYPES), as it is for a real network fund.
SPENDING_TYPES = {"expense", "refund"}
BANK_TYPES = {"receipt"}

YEAR = 2026
CAMT = BANK_FOLDER / f"{YEAR}.camt053.xml"
MT940 = BANK_FOLDER / f"{YEAR}.mt940"
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

# --- The bank ----------------------------------------------------------------------------
# The network fund's account (network.toml [[bank_accounts]]) at ING, opened on 1 January with
# a balance of 0. Its statements (camt.053.001.08 and the same year as MT940) hold every
# receipt, a payment of every expense and of the refund on the day spending.csv dates it, and
# the bank's monthly costs, which no invoice explains (bank-rules.toml books them).

#: How the bank shows each funder as the payer (the funder's own name for its account).
PAYER_NAMES = {
    "GEM-SANIVELD-WMO": "Gemeente Saniveld",
    "GEM-SANIVELD-JW": "Gemeente Saniveld",
    "ZK-REGIO": "Zorgkantoor Regio Saniveld",
    "ZV-NOORDWAARD": "Noordwaard Zorgverzekeringen N.V.",
    "ZV-LINGEZORG": "Lingezorg Zorgverzekeraar N.V.",
    "ZONMW": "ZonMw",
}
#: Who the fund pays for each group's expenses: the partner organisation that seconds the
#: staff and runs the activities, as (name, bank code, account number). Their IBANs are
#: made from these with schwifty (`IBAN.generate`), so they are valid and stay the same.
PAYEES = {
    "STUURGROEP": ("Zorggroep Saniveld B.V.", "RABO", "0372915846"),
    "TRANSITIETEAM": ("Adviesbureau Lingestroom B.V.", "ABNA", "0583017264"),
    "PROGRAMMABUREAU": ("Detacheringsbureau Rivierenland B.V.", "INGB", "0004829173"),
    "CLUSTERCOORDINATIE": ("Stichting Welzijn Saniveld", "RABO", "0318846205"),
    "WG-WIJK-NOORD": ("Stichting Wijkteams Saniveld", "RABO", "0395527160"),
    "WG-JEUGD-NOORD": ("Jeugdzorg Rivierenland", "ABNA", "0612254873"),
    "WG-WELZIJN-NOORD": ("Stichting Welzijn Saniveld", "RABO", "0318846205"),
    "WG-WIJK-MIDDEN": ("Stichting Wijkteams Saniveld", "RABO", "0395527160"),
    "WG-BW-MIDDEN": ("Stichting Beschermd Wonen De Linge", "INGB", "0005513902"),
    "WG-GGZ-MIDDEN": ("GGZ Rivierenland", "ABNA", "0497730618"),
    "WG-WIJK-ZUID": ("Stichting Wijkteams Saniveld", "RABO", "0395527160"),
    "WG-HUISARTS-ZUID": ("Huisartsencooperatie Saniveld U.A.", "RABO", "0167348290"),
    "RG-ERVARING": ("Stichting Ervaringswijs", "TRIO", "0390556217"),
    "RG-DATA": ("DataDuo Monitoring B.V.", "INGB", "0008814467"),
}
#: The monthly staff invoices are paid in two batches on the staff day (one entry on the
#: statement each, a transaction per invoice in it): the overhead groups' secondments, and
#: the working and resource groups' partner organisations.
BATCHES = {True: "Detachering overhead", False: "Inzet partnerorganisaties"}
#: The bank's monthly costs, charged on the last working day: a fixed fee and a few cents per
#: booking of the month. The bank is the counterparty, without an IBAN (as ING shows it).
BANK_NAME = "ING Bank N.V."
BANK_FEE_CENTS = 1_250
BANK_FEE_PER_BOOKING_CENTS = 12
#: A bank's transaction codes for its costs: camt's domain/family/sub-family, MT940's.
BANK_FEE_CODES = {"camt": "ACMT/MDOP/CHRG", "mt940": "CHG"}
#: SEPA remittance is at most 140 characters.
REMITTANCE_MAX = 140


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
    # Receipts go to the bank statement, not to events.csv: the description is the payer's
    # remittance, which names the commitment's reference (the municipality pays its Wmo and
    # its Jeugdwet money from one account; the reference says whose each payment is).
    decision = {funder: reference for funder, _, _, reference, _ in COMMITMENTS}
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
                f"{decision[funder]} {quarter}e kwartaaltermijn {YEAR}{note}",
                decision[funder],
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


#: The year's indicators (network.toml [[indicators]]): per indicator and group, where it
#: starts and where the year takes it (a level), or the monthly count around which it varies
#: (a count). Jeugd en gezin Noord, overspending, waits longer; the GGZ group's absence rises;
#: the GPs avoid fewer admissions than agreed: what `netfund indicators` shows the steering
#: group.
LEVELS = {
    # indicator: (measured every n months, source, {group: (start, end)}), in tenths
    "ERVAREN-VEERKRACHT": (3, "Inwonerspanel Saniveld", {
        "WG-WIJK-NOORD": ("6.6", "7.1"), "WG-WIJK-MIDDEN": ("6.8", "7.0"),
        "WG-WIJK-ZUID": ("6.5", "6.9"), "WG-WELZIJN-NOORD": ("6.9", "7.3"),
        "RG-ERVARING": ("6.9", "6.5"),
    }),
    "WACHTTIJD-VOORDEUR": (1, "Registratie sociale voordeur", {
        "WG-WIJK-NOORD": ("14.0", "9.0"), "WG-WIJK-MIDDEN": ("12.0", "10.5"),
        "WG-WIJK-ZUID": ("11.0", "8.0"), "WG-JEUGD-NOORD": ("12.0", "17.0"),
    }),
    "ZIEKTEVERZUIM": (3, "Verzuimregistratie arbodienst", {
        "WG-WIJK-NOORD": ("5.8", "5.2"), "WG-WIJK-MIDDEN": ("5.4", "5.1"),
        "WG-WIJK-ZUID": ("6.1", "5.6"), "WG-JEUGD-NOORD": ("6.5", "6.0"),
        "WG-GGZ-MIDDEN": ("6.0", "7.4"),
    }),
}  # fmt: skip
COUNTS = {
    # indicator: (source, {group: monthly count around which the months vary})
    "BEREIK-VEERKRACHT": ("Registratie veerkrachtcombi", {
        "WG-WIJK-NOORD": 38, "WG-WIJK-MIDDEN": 36, "WG-WIJK-ZUID": 33, "WG-WELZIJN-NOORD": 41,
    }),
    "OPNAMES-VOORKOMEN": ("Crisisdienst GGZ en zorgkantoor", {
        "WG-GGZ-MIDDEN": 4, "WG-BW-MIDDEN": 3, "WG-HUISARTS-ZUID": 2,
    }),
}  # fmt: skip


def indicator_rows() -> list[dict[str, str]]:
    """A year of measurements, with the level indicators' last measurement of 2025 as where
    the year started; values as exact decimal text (tenths), counts whole."""
    rng = random.Random(20260)  # its own generator: the other files stay as they were
    rows = []
    for indicator, (every, source, groups) in LEVELS.items():
        for group, (start, end) in groups.items():
            first, last = int(Decimal(start) * 10), int(Decimal(end) * 10)  # tenths
            months = list(range(0, 13, every))
            for month in months:
                day = dt.date(YEAR - 1, 12, 31) if month == 0 else last_day(month)
                tenths = first + round((last - first) * month / 12)
                if 0 < month < 12:
                    tenths += rng.randint(-3, 3)
                rows.append(
                    {"indicator": indicator, "group": group, "date": day.isoformat(),
                     "value": f"{tenths // 10}.{tenths % 10}", "source": source}
                )  # fmt: skip
    for indicator, (source, groups) in COUNTS.items():
        for group, monthly in groups.items():
            for month in range(1, 13):
                count = max(monthly + rng.randint(-monthly // 3 - 1, monthly // 3 + 1), 0)
                rows.append(
                    {"indicator": indicator, "group": group,
                     "date": last_day(month).isoformat(), "value": str(count), "source": source}
                )  # fmt: skip
    return sorted(rows, key=lambda row: (row["date"], row["indicator"], row["group"]))


def write_indicators(network: dict) -> None:
    """indicators.csv, after checking that every indicator and group is the network's."""
    declared = {each["code"]: set(each["groups"]) for each in network.get("indicators", ())}
    rows = indicator_rows()
    for row in rows:
        if row["group"] not in declared.get(row["indicator"], set()):
            fail(f"indicators.csv: {row['indicator']} is not declared for {row['group']}")
    with INDICATORS.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=["indicator", "group", "date", "value", "source"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)


def csv_file(row: dict[str, str]) -> Path | None:
    """Where ``row`` is written: spending.csv, events.csv, or None (the bank statement)."""
    if row["type"] in BANK_TYPES:
        return None
    return SPENDING if row["type"] in SPENDING_TYPES else EVENTS


def write(rows: list[dict[str, str]]) -> None:
    for path in (EVENTS, SPENDING):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
            writer.writeheader()
            writer.writerows(r for r in rows if csv_file(r) == path)


def compact(iban: str) -> str:
    return iban.replace(" ", "").upper()


def remittance(reference: str, text: str) -> str:
    """``reference`` and then as much of ``text`` as SEPA's 140 characters hold, cut at a
    space: the reference first, so the bank never cuts it off."""
    words = f"{reference} {text}".split(" ")
    kept = [words[0]]
    for word in words[1:]:
        if len(" ".join([*kept, word])) > REMITTANCE_MAX:
            break
        kept.append(word)
    return " ".join(kept).rstrip(",;")


def bank_year(rows: list[dict[str, str]], network: dict, file_format: str) -> list:
    """The year's twelve monthly statements of the fund's account, as `BankStatement`s for
    `netfund.examples.bank_files` to write in ``file_format`` (``camt`` or ``mt940``).

    A payment of a batch is a transaction of one entry in camt; MT940 puts a batch on one
    line of its total, which no expense can be linked to, so the MT940 file lists each
    payment on its own line (what a bank sends when asked for itemised batches)."""
    from netfund.examples.bank_files import bank_line, statement
    from schwifty import IBAN

    account = compact(network["bank_accounts"][0]["iban"])
    funder_iban = {f["code"]: compact(f["ibans"][0]) for f in network["funders"]}
    groups = {g["code"]: g for g in network["groups"]}
    payees = {
        group: (name, str(IBAN.generate("NL", bank_code=bank, account_code=number)))
        for group, (name, bank, number) in PAYEES.items()
    }
    # (date, order in the day, sort key, [line fields]); order: money in, batches, singles.
    entries: list[tuple[dt.date, int, str, list[dict]]] = []
    batches: dict[tuple[dt.date, bool], list[dict]] = defaultdict(list)
    for row in rows:
        day = dt.date.fromisoformat(row["date"])
        cents = parse_cents(row["amount"])
        if row["type"] == "receipt":
            fields = {
                "amount_cents": cents,
                "counterparty_iban": funder_iban[row["funder"]],
                "counterparty_name": PAYER_NAMES[row["funder"]],
                "remittance": row["description"],
                "end_to_end_id": row["id"].removeprefix(f"{YEAR}-R-"),
            }
            entries.append((day, 0, row["id"], [fields]))
        elif row["type"] == "refund":
            fields = {
                "amount_cents": -cents,
                "counterparty_iban": funder_iban[row["funder"]],
                "counterparty_name": PAYER_NAMES[row["funder"]],
                "remittance": remittance(row["reference"], row["description"]),
                "end_to_end_id": row["reference"],
            }
            entries.append((day, 2, row["id"], [fields]))
        elif row["type"] == "expense":
            name, iban = payees[row["group"]]
            fields = {
                "amount_cents": -cents,
                "counterparty_iban": iban,
                "counterparty_name": name,
                "remittance": remittance(row["reference"], row["description"]),
                "end_to_end_id": row["reference"],
            }
            staff = re.fullmatch(rf"{YEAR}-E-\d\d-{re.escape(row['group'])}", row["id"])
            if staff:
                batches[day, groups[row["group"]]["overhead"]].append(fields)
            else:
                entries.append((day, 2, row["id"], [fields]))
    for (day, overhead), lines in batches.items():
        entries.append((day, 1, BATCHES[overhead], lines))
    entries.sort(key=lambda entry: entry[:3])

    statements = []
    opening = 0
    for month in range(1, 13):
        mine = [entry for entry in entries if entry[0].month == month]
        bookings = sum(len(lines) for *_, lines in mine)
        fee = BANK_FEE_CENTS + BANK_FEE_PER_BOOKING_CENTS * bookings
        costs = {
            "amount_cents": -fee,
            "counterparty_name": BANK_NAME,
            "remittance": (
                f"Kosten zakelijk betalingsverkeer {MONTHS_NL[month - 1]} {YEAR}: "
                f"basispakket EUR {fmt(BANK_FEE_CENTS)}, {bookings} boekingen"
            ),
            "bank_code": BANK_FEE_CODES[file_format],
        }
        mine.append((weekday_on_or_before(last_day(month)), 3, "costs", [costs]))
        mine.sort(key=lambda entry: entry[:3])
        # The bank's references: a number per line and day, the same in both formats (so
        # both give the same transaction ids); a camt batch entry has its own (B...).
        lines = []
        number: dict[dt.date, int] = defaultdict(int)
        batches_of_day: dict[dt.date, int] = defaultdict(int)
        for day, _order, _key, fields_list in mine:
            entry_ref = ""
            if len(fields_list) > 1 and file_format == "camt":
                batches_of_day[day] += 1
                entry_ref = f"{day:%Y%m%d}B{batches_of_day[day]:03d}"
            for fields in fields_list:
                number[day] += 1
                ref = f"{day:%Y%m%d}{number[day]:04d}"
                lines.append(bank_line(day, ref=ref, entry_ref=entry_ref, **fields))
        stmt = statement(
            account,
            f"{YEAR}-{month:02d}",
            lines,
            opening_cents=opening,
            from_date=dt.date(YEAR, month, 1),
            to_date=last_day(month),
            sequence=str(month),
        )
        statements.append(stmt)
        opening = stmt.closing_cents
    return statements


def write_bank(rows: list[dict[str, str]], network: dict) -> None:
    """The year's statements, as camt.053.001.08 and as MT940 (see `bank_year`)."""
    from netfund.examples.bank_files import camt053, mt940

    BANK_FOLDER.mkdir(exist_ok=True)
    CAMT.write_bytes(
        camt053(
            bank_year(rows, network, "camt"),
            "001.08",
            message_id=f"INGNL-{YEAR}-STMT",
            created=dt.datetime(YEAR + 1, 1, 4, 6, 0, 0),
        )
    )
    MT940.write_text(mt940(bank_year(rows, network, "mt940")), encoding="utf-8", newline="")


# ------------------------------------------------------------------------------------------
# Checks: re-read what was written, with the standard library only.
# ------------------------------------------------------------------------------------------

NETWORK_KEYS = {"name", "currency", "language", "population", "overhead_cap"}
FUNDER_KEYS = {
    *("code", "name", "kind", "framework", "overhead_cap", "eligible_groups", "unspent"),
    "schedule",
    "ibans",
}
GROUP_KEYS = {"code", "name", "overhead", "parent"}
CODE = re.compile(r"[A-Za-z0-9-]+")


def check_network(network: dict) -> None:
    if set(network) != {"network", "funders", "groups", "bank_accounts", "indicators"}:
        fail(f"network.toml has top-level keys {sorted(network)}")
    if len(network["bank_accounts"]) != 1 or set(network["bank_accounts"][0]) - {
        "iban",
        "name",
        "bic",
    }:
        fail("network.toml names other than one bank account (iban, name, bic) of the fund")
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
    by_file: dict[Path, list[dict[str, str]]] = {EVENTS: [], SPENDING: []}
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
            belongs = csv_file(row) if row["type"] in TYPE_ORDER else path
            if belongs != path:
                elsewhere = belongs.name if belongs else "the bank statement"
                fail(f"{path.name} line {number}: a {row['type']} belongs in {elsewhere}")
            by_file[path].append(
                row | {"file": path.name, "where": f"{path.name} line {number} ({row['id']})"}
            )
    # The money in is on the bank statement, and so are the bank's costs: the year is the
    # events, then the receipts, the spending, and the costs (each in date order).
    bank = check_bank(network, by_file[EVENTS] + by_file[SPENDING])
    rows = by_file[EVENTS] + bank["receipts"] + by_file[SPENDING] + bank["costs"]
    if not 250 <= len(rows) <= 400:
        fail(f"the two files and the bank have {len(rows)} rows, expected 250-400")

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
    if bank["closing"] != sum(received.values()) - total_spent - sum(refunded.values()):
        fail(
            f"{CAMT.name} closes the year at {fmt(bank['closing'])}, not the receipts less "
            "the spending and the refunds: the bank and the events do not reconcile"
        )
    return {
        "rows": len(rows),
        "bank": bank,
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


CAMT_NAMESPACE = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}


def _signed(element: ElementTree.Element) -> int:
    """An element's ``Amt`` and ``CdtDbtInd`` as signed cents."""
    cents = parse_cents(element.findtext("c:Amt", "", CAMT_NAMESPACE))
    indicator = element.findtext("c:CdtDbtInd", "", CAMT_NAMESPACE)
    if indicator not in ("CRDT", "DBIT"):
        fail(f"{CAMT.name}: credit/debit indicator {indicator!r}")
    return -cents if indicator == "DBIT" else cents


def _mentions(text: str, word: str) -> bool:
    """``word`` in ``text`` as a whole token, as netfund's matcher looks for it."""
    pattern = rf"(?<![0-9a-z]){re.escape(word.casefold())}(?![0-9a-z])"
    return re.search(pattern, text.casefold()) is not None


def read_camt(account: str) -> tuple[list[dict], list[tuple[int, int, int]]]:
    """The camt file's transactions (a dict each) and per statement (opening, closing, number
    of transactions); checks that each adds up and follows the one before, from 0."""
    root = ElementTree.parse(CAMT).getroot()
    if root.tag != f"{{{CAMT_NAMESPACE['c']}}}Document":
        fail(f"{CAMT.name} is not a camt.053.001.08 document")
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", CAMT_NAMESPACE)
    if len(statements) != 12:
        fail(f"{CAMT.name} holds {len(statements)} statements, not one per month")
    lines: list[dict] = []
    balances_seen: list[tuple[int, int, int]] = []
    opening = 0
    for month, stmt in enumerate(statements, start=1):
        where = f"{CAMT.name} statement {month}"
        if compact(stmt.findtext("c:Acct/c:Id/c:IBAN", "", CAMT_NAMESPACE)) != account:
            fail(f"{where} is not of the fund's account {account}")
        balances = {
            balance.findtext("c:Tp/c:CdOrPrtry/c:Cd", "", CAMT_NAMESPACE): _signed(balance)
            for balance in stmt.findall("c:Bal", CAMT_NAMESPACE)
        }
        if balances.get("OPBD") != opening:
            fail(f"{where} opens at {balances.get('OPBD')}, not where the last closed ({opening})")
        count = 0
        for entry in stmt.findall("c:Ntry", CAMT_NAMESPACE):
            day = dt.date.fromisoformat(entry.findtext("c:BookgDt/c:Dt", "", CAMT_NAMESPACE))
            details = entry.findall("c:NtryDtls/c:TxDtls", CAMT_NAMESPACE)
            if (day.year, day.month) != (YEAR, month) or not details:
                fail(f"{where}: an entry of {day} without transactions or outside the month")
            if sum(_signed(tx) for tx in details) != _signed(entry):
                fail(f"{where}: the batch of {day} does not add up to its entry")
            for tx in details:
                cents = _signed(tx)
                role = "Dbtr" if cents > 0 else "Cdtr"
                ref = tx.findtext("c:Refs/c:AcctSvcrRef", "", CAMT_NAMESPACE)
                lines.append(
                    {
                        "ref": ref or entry.findtext("c:AcctSvcrRef", "", CAMT_NAMESPACE),
                        "date": day.isoformat(),
                        "cents": cents,
                        "iban": tx.findtext(
                            f"c:RltdPties/c:{role}Acct/c:Id/c:IBAN", "", CAMT_NAMESPACE
                        ),
                        "name": tx.findtext(f"c:RltdPties/c:{role}/c:Pty/c:Nm", "", CAMT_NAMESPACE),
                        "remittance": " ".join(
                            u.text or "" for u in tx.findall("c:RmtInf/c:Ustrd", CAMT_NAMESPACE)
                        ),
                    }
                )
                count += 1
        if opening + sum(line["cents"] for line in lines[len(lines) - count :]) != balances.get(
            "CLBD"
        ):
            fail(f"{where} does not add up to its closing balance")
        balances_seen.append((opening, balances["CLBD"], count))
        opening = balances["CLBD"]
    if len({line["ref"] for line in lines}) != len(lines):
        fail(f"{CAMT.name}: the bank's references are not unique")
    return lines, balances_seen


def check_mt940(balances: list[tuple[int, int, int]]) -> None:
    """The MT940 file is the same year: per statement the same balances and lines."""
    if b"\r\n" not in MT940.read_bytes():
        fail(f"{MT940.name} does not end its lines with CRLF, as banks send MT940")
    messages = MT940.read_text(encoding="utf-8").split(":20:")[1:]
    seen = []
    for message in messages:
        amounts = {
            tag: (-1 if mark == "D" else 1) * parse_cents(amount.replace(",", "."))
            for tag, mark, amount in re.findall(r":(60F|62F):([CD])\d{6}EUR([\d,]+)", message)
        }
        lines = re.findall(r"^:61:\d{10}([CD])([\d,]+)N", message, re.M)
        moved = sum((-1 if m == "D" else 1) * parse_cents(a.replace(",", ".")) for m, a in lines)
        if amounts.get("60F", 0) + moved != amounts.get("62F"):
            fail(f"{MT940.name}: a statement does not add up")
        seen.append((amounts["60F"], amounts["62F"], len(lines)))
    if seen != balances:
        fail(f"{MT940.name} is not the same year as {CAMT.name} (balances or lines differ)")


def check_bank(network: dict, rows: list[dict[str, str]]) -> dict:
    """Check the bank statements against the events: every receipt is a credit from its
    funder's account naming its commitment, every expense and refund of spending.csv is paid
    on its date (its reference in the remittance, the same amount), and every other debit is
    one bank-rules.toml books. Returns the receipts and the costs as event rows."""
    account = compact(network["bank_accounts"][0]["iban"])
    lines, balances = read_camt(account)
    check_mt940(balances)
    with RULES.open("rb") as handle:
        rules = tomllib.load(handle)["rules"]
    decisions = {row["funder"]: row["reference"] for row in rows if row["type"] == "commitment"}
    payments = {row["reference"]: row for row in rows if row["type"] in SPENDING_TYPES}
    paid: set[str] = set()
    receipts: list[dict[str, str]] = []
    costs: list[dict[str, str]] = []
    for line in lines:
        where = f"{CAMT.name} line {line['ref']}"
        base = {
            "id": f"bank-{line['ref']}",
            "date": line["date"],
            "amount": fmt(abs(line["cents"])),
            "description": line["remittance"] or line["name"],
            "reference": line["ref"],
            "file": CAMT.name,
            "where": where,
        }
        if line["cents"] > 0:
            payers = [
                f["code"]
                for f in network["funders"]
                if line["iban"] in {compact(i) for i in f.get("ibans", [])}
            ]
            named = [
                code
                for code in payers
                if _mentions(line["remittance"], decisions[code])
                or _mentions(line["remittance"], code)
            ]
            if len(payers) > 1:
                payers = named
            if len(payers) != 1:
                fail(f"{where}: money in from {line['iban']}, which is not one funder's payment")
            receipts.append(base | {"type": "receipt", "funder": payers[0], "group": ""})
            continue
        found = [ref for ref in payments if _mentions(line["remittance"], ref)]
        if found:
            row = payments[found[0]]
            if len(found) > 1 or found[0] in paid:
                fail(f"{where} pays {found} (more than one, or paid before)")
            if (row["date"], parse_cents(row["amount"])) != (line["date"], -line["cents"]):
                fail(f"{where} does not pay {row['id']} on its date and for its amount")
            paid.add(found[0])
            continue
        rule = next(
            (
                r
                for r in rules
                if ("iban" not in r or compact(r["iban"]) == line["iban"])
                and re.search(r.get("name", ""), line["name"], re.I)
                and re.search(r.get("remittance", ""), line["remittance"], re.I)
            ),
            None,
        )
        if rule is None:
            fail(f"{where}: money out that no expense, refund or bank rule explains")
        costs.append(
            base
            | {"type": "expense", "funder": rule.get("funder", ""), "group": rule["group"]}
            | {"file": f"{CAMT.name} (bank-rules.toml)"}
        )
    unpaid = sorted(set(payments) - paid)
    if unpaid:
        fail(f"{CAMT.name} does not pay {unpaid[:3]} ({len(unpaid)} payments of spending.csv)")
    return {"receipts": receipts, "costs": costs, "closing": balances[-1][1]}


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
    rows = generate(network)
    write(rows)
    write_bank(rows, network)
    write_indicators(network)
    figures = check_events(network)
    check_plan(network, figures)
    print(
        f"wrote {EVENTS}, {SPENDING}, {CAMT}, {MT940} and {INDICATORS} ({figures['rows']} "
        "events and bank lines); all checks passed"
    )
    if "-v" in sys.argv[1:]:
        print(summary(network, figures))


if __name__ == "__main__":
    main()
