"""A synthetic network year of any size, for netfund and for Beancount, hledger and ledger-cli.

Run from the repository root:

    python benchmarks/generate.py --events 100000 [--funders 5] [--groups 40] [--seed 2026]
        [--out DIR]

It writes four files into DIR (default ``./bench-data``):

- ``network.toml`` and ``events.csv`` in the contract's formats: F funders, G groups (one in
  ten an overhead group, at least one), per funder a commitment and four quarterly receipts,
  per group allocations from three funders, and N expenses without a funder, so netfund
  attributes each pro rata over the group's three funders (six postings per expense);
- ``ledger.beancount`` and ``ledger.journal`` (hledger and ledger-cli read the same file):
  the very ledger netfund stores for those events, transaction by transaction, posting by
  posting, to the cent.

Account names follow netfund's own Beancount and hledger exports (`netfund export
beancount|hledger`): netfund's account with the fund as the last segment
(``Assets:Bank:FND-01``); Beancount has no ``Budget`` root, so the budget memo ledger is
``Equity:Budget:...`` there. The posting's group is metadata (``group:``), as in the exports.

The pro-rata split is netfund's: the expense is split over the funds with a positive
allocation to the group in the period, in fund-code order, by
`netfund.ledger.model.money.split_largest_remainder` (the function the ledger itself calls), and a
fund whose share rounds to zero gets no posting. All allocations are dated before the first
expense and never change afterwards, so the weights are the same for every expense.

Everything is streamed: the files are written event by event, memory stays flat (a few MB)
whatever N is. The same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from netfund.ledger.model.money import format_cents, split_largest_remainder

YEAR = 2026
CURRENCY = "EUR"
BUFFER_BYTES = 1024 * 1024
KINDS = ("municipality", "care_office", "insurer", "subsidy_body", "other")
FRAMEWORKS = ("Wmo", "Wlz", "Zvw", "subsidy", "Jeugdwet")
FUNDERS_PER_GROUP = 3
#: Expenses cost between EUR 1.00 and EUR 25,000.00 (uniform, in cents).
EXPENSE_MIN_CENTS = 100
EXPENSE_MAX_CENTS = 2_500_000
COMMITMENT_DATE = datetime.date(YEAR, 1, 2)
ALLOCATION_DATE = datetime.date(YEAR, 1, 5)
FIRST_EXPENSE = datetime.date(YEAR, 1, 6)
LAST_EXPENSE = datetime.date(YEAR, 12, 31)
RECEIPT_DATES = tuple(datetime.date(YEAR, month, 15) for month in (1, 4, 7, 10))

# The chart of accounts of docs/CONTRACT.md (ledger/event_rules.py).
RECEIVABLE = "Assets:Receivable"
BANK = "Assets:Bank"
CONTRIBUTIONS = "Income:Contributions"
UNALLOCATED = "Budget:Unallocated"


def allocated_account(group: str) -> str:
    return f"Budget:Allocated:{group}"


def expense_account(group: str) -> str:
    return f"Expenses:{group}"


def beancount_name(account: str, fund: str) -> str:
    """Like netfund's Beancount export: fund as last segment, Budget under Equity."""
    if account.startswith("Budget:"):
        account = "Equity:" + account
    return f"{account}:{fund}"


def journal_name(account: str, fund: str) -> str:
    """Like netfund's hledger export: the fund as the last segment."""
    return f"{account}:{fund}"


@dataclass(frozen=True)
class Line:
    account: str
    fund: str
    group: str | None
    cents: int


@dataclass(frozen=True)
class Event:
    id: str
    date: datetime.date
    type: str
    funder: str | None
    group: str | None
    cents: int
    description: str
    reference: str
    lines: tuple[Line, ...]


@dataclass
class Summary:
    """What was written: counts, and the balance of every (account, fund)."""

    events: int = 0
    postings: int = 0
    totals: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class Network:
    funders: tuple[str, ...]
    groups: tuple[str, ...]
    overhead: frozenset[str]
    #: group → ((fund, allocated cents), ...) in fund-code order, as netfund attributes.
    allocations: dict[str, tuple[tuple[str, int], ...]]
    commitments: dict[str, int]


def make_network(funders: int, groups: int, events: int, rng: random.Random) -> Network:
    """Codes, allocations and commitments sized so the year's expenses are about covered."""
    if funders < FUNDERS_PER_GROUP:
        raise SystemExit(f"--funders must be at least {FUNDERS_PER_GROUP}")
    if groups < 1:
        raise SystemExit("--groups must be at least 1")
    funder_codes = tuple(f"FND-{n:02d}" for n in range(1, funders + 1))
    group_codes = tuple(f"WG-{n:03d}" for n in range(1, groups + 1))
    overhead = frozenset(group_codes[: max(1, groups // 10)])
    mean_expense = (EXPENSE_MIN_CENTS + EXPENSE_MAX_CENTS) // 2
    per_group = max(events // groups, 1) * mean_expense
    allocations: dict[str, tuple[tuple[str, int], ...]] = {}
    committed = dict.fromkeys(funder_codes, 0)
    for index, group in enumerate(group_codes):
        # Three funders per group, rotating, with uneven (random) shares of the budget.
        members = sorted(funder_codes[(index + k) % funders] for k in range(FUNDERS_PER_GROUP))
        weights = [rng.randint(20, 60) for _ in members]
        budget = per_group * (90 + rng.randint(0, 20)) // 100 + rng.randint(1, 99)
        parts = split_largest_remainder(budget, weights)
        # Odd cents make the split's remainders matter.
        amounts = [part + rng.randint(0, 99) for part in parts]
        allocations[group] = tuple(zip(members, amounts, strict=True))
        for fund, cents in allocations[group]:
            committed[fund] += cents
    commitments = {
        fund: cents * (100 + rng.randint(2, 10)) // 100 + rng.randint(1, 99)
        for fund, cents in committed.items()
    }
    return Network(funder_codes, group_codes, overhead, allocations, commitments)


def network_toml(network: Network) -> str:
    parts = [
        "# A synthetic network written by benchmarks/generate.py.\n\n"
        "[network]\n"
        'name = "Benchmarknetwerk"\n'
        f'currency = "{CURRENCY}"\n'
        'language = "nl"\n'
        "population = 100000\n"
        "overhead_cap = 0.15\n"
    ]
    for index, code in enumerate(network.funders):
        parts.append(
            "\n[[funders]]\n"
            f'code = "{code}"\n'
            f'name = "Financier {index + 1}"\n'
            f'kind = "{KINDS[index % len(KINDS)]}"\n'
            f'framework = "{FRAMEWORKS[index % len(FRAMEWORKS)]}"\n'
            f'unspent = "{"return" if index % 2 == 0 else "carry_over"}"\n'
        )
    for index, code in enumerate(network.groups):
        overhead = "true" if code in network.overhead else "false"
        parts.append(
            "\n[[groups]]\n"
            f'code = "{code}"\n'
            f'name = "Werkgroep {index + 1}"\n'
            f"overhead = {overhead}\n"
        )
    return "".join(parts)


def _fixed_events(network: Network) -> tuple[list[Event], list[Event]]:
    """Commitments and allocations (before any expense), and the receipts (quarterly)."""
    opening: list[Event] = []
    receipts: list[Event] = []
    for fund in network.funders:
        cents = network.commitments[fund]
        opening.append(
            Event(
                f"C-{fund}",
                COMMITMENT_DATE,
                "commitment",
                fund,
                None,
                cents,
                f"Toezegging {YEAR} {fund}",
                f"BESCHIKKING-{fund}",
                (Line(RECEIVABLE, fund, None, cents), Line(CONTRIBUTIONS, fund, None, -cents)),
            )
        )
    for group in network.groups:
        for fund, cents in network.allocations[group]:
            opening.append(
                Event(
                    f"A-{fund}-{group}",
                    ALLOCATION_DATE,
                    "allocation",
                    fund,
                    group,
                    cents,
                    f"Budgetbesluit {fund} voor {group}",
                    "BESLUIT-STG-01",
                    (
                        Line(UNALLOCATED, fund, None, cents),
                        Line(allocated_account(group), fund, group, -cents),
                    ),
                )
            )
    for fund in network.funders:
        tranches = split_largest_remainder(network.commitments[fund], [1] * len(RECEIPT_DATES))
        for quarter, (date, cents) in enumerate(zip(RECEIPT_DATES, tranches, strict=True), 1):
            receipts.append(
                Event(
                    f"R-{fund}-Q{quarter}",
                    date,
                    "receipt",
                    fund,
                    None,
                    cents,
                    f"Ontvangst tranche Q{quarter} {fund}",
                    f"BANK-{fund}-Q{quarter}",
                    (Line(BANK, fund, None, cents), Line(RECEIVABLE, fund, None, -cents)),
                )
            )
    receipts.sort(key=lambda event: event.date)
    return opening, receipts


def _expense(number: int, date: datetime.date, group: str, cents: int, network: Network) -> Event:
    allocation = network.allocations[group]
    shares = split_largest_remainder(cents, [allocated for _, allocated in allocation])
    funds = [fund for fund, _ in allocation]
    expense = expense_account(group)
    paired = [(fund, share) for fund, share in zip(funds, shares, strict=True) if share]
    lines = tuple(Line(expense, fund, group, share) for fund, share in paired) + tuple(
        Line(BANK, fund, None, -share) for fund, share in paired
    )
    return Event(
        f"E{number:07d}",
        date,
        "expense",
        None,
        group,
        cents,
        f"Factuur {number} {group}",
        f"INV-{number:07d}",
        lines,
    )


def events(network: Network, count: int, rng: random.Random) -> Iterator[Event]:
    """Every event in file (and date) order; expenses spread evenly over the year."""
    opening, receipts = _fixed_events(network)
    yield from opening
    pending = iter(receipts)
    receipt = next(pending, None)
    span = (LAST_EXPENSE - FIRST_EXPENSE).days + 1
    groups = network.groups
    day_cache: dict[int, datetime.date] = {}
    for number in range(count):
        offset = number * span // count
        date = day_cache.get(offset)
        if date is None:
            date = day_cache.setdefault(offset, FIRST_EXPENSE + datetime.timedelta(days=offset))
        while receipt is not None and receipt.date <= date:
            yield receipt
            receipt = next(pending, None)
        group = groups[rng.randrange(len(groups))]
        cents = rng.randint(EXPENSE_MIN_CENTS, EXPENSE_MAX_CENTS)
        yield _expense(number, date, group, cents, network)
    while receipt is not None:
        yield receipt
        receipt = next(pending, None)


def _csv_field(value: str | None) -> str:
    text = value or ""
    if any(character in text for character in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _account_lines(network: Network) -> list[tuple[str, str]]:
    """Every (account, fund) the ledger posts to, sorted."""
    keys: set[tuple[str, str]] = set()
    for fund in network.funders:
        keys.update({(RECEIVABLE, fund), (CONTRIBUTIONS, fund), (BANK, fund), (UNALLOCATED, fund)})
    for group in network.groups:
        for fund, _ in network.allocations[group]:
            keys.update({(allocated_account(group), fund), (expense_account(group), fund)})
    return sorted(keys)


def _write_headers(network: Network, csv: TextIO, bean: TextIO, journal: TextIO) -> None:
    csv.write("id,date,type,funder,group,amount,description,reference\n")
    bean.write(
        "; A synthetic network written by benchmarks/generate.py: the ledger netfund stores\n"
        "; for events.csv, posting by posting. Check: bean-check FILE\n\n"
        'option "title" "Benchmarknetwerk"\n'
        f'option "operating_currency" "{CURRENCY}"\n\n'
    )
    journal.write(
        "; A synthetic network written by benchmarks/generate.py: the ledger netfund stores\n"
        "; for events.csv, posting by posting. Check: hledger -f FILE bal; ledger -f FILE bal\n\n"
    )
    opened = datetime.date(YEAR, 1, 1).isoformat()
    for account, fund in _account_lines(network):
        bean.write(f"{opened} open {beancount_name(account, fund)} {CURRENCY}\n")
        journal.write(f"account {journal_name(account, fund)}\n")


def _write_event(event: Event, csv: TextIO, bean: TextIO, journal: TextIO) -> None:
    day = event.date.isoformat()
    amount = format_cents(event.cents)
    csv.write(
        f"{event.id},{day},{event.type},{event.funder or ''},{event.group or ''},{amount},"
        f"{_csv_field(event.description)},{_csv_field(event.reference)}\n"
    )
    bean_lines = [
        f'\n{day} * "{event.description}"\n',
        f'  netfund-id: "{event.id}"\n',
        f'  type: "{event.type}"\n',
        f'  reference: "{event.reference}"\n',
    ]
    journal_lines = [
        f"\n{day} * ({event.id}) {event.description}\n",
        f"    ; type: {event.type}\n",
        f"    ; reference: {event.reference}\n",
    ]
    for line in event.lines:
        money = f"{format_cents(line.cents)} {CURRENCY}"
        bean_lines.append(f"  {beancount_name(line.account, line.fund)}  {money}\n")
        posting = f"    {journal_name(line.account, line.fund)}  {money}"
        if line.group is not None:
            bean_lines.append(f'    group: "{line.group}"\n')
            posting += f"  ; group: {line.group}"
        journal_lines.append(posting + "\n")
    bean.write("".join(bean_lines))
    journal.write("".join(journal_lines))


def generate(
    out: Path, count: int, funders: int = 5, groups: int = 40, seed: int = 2026
) -> Summary:
    """Write network.toml, events.csv, ledger.beancount and ledger.journal into ``out``."""
    started = time.perf_counter()
    rng = random.Random(seed)
    network = make_network(funders, groups, count, rng)
    out.mkdir(parents=True, exist_ok=True)
    (out / "network.toml").write_text(network_toml(network), encoding="utf-8")
    summary = Summary()
    totals = summary.totals
    with (
        (out / "events.csv").open("w", encoding="utf-8", newline="", buffering=BUFFER_BYTES) as csv,
        (out / "ledger.beancount").open(
            "w", encoding="utf-8", newline="\n", buffering=BUFFER_BYTES
        ) as bean,
        (out / "ledger.journal").open(
            "w", encoding="utf-8", newline="\n", buffering=BUFFER_BYTES
        ) as journal,
    ):
        _write_headers(network, csv, bean, journal)
        for event in events(network, count, rng):
            _write_event(event, csv, bean, journal)
            summary.events += 1
            summary.postings += len(event.lines)
            for line in event.lines:
                key = (line.account, line.fund)
                totals[key] = totals.get(key, 0) + line.cents
    summary.seconds = time.perf_counter() - started
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="expense events (N)")
    parser.add_argument("--funders", type=int, default=5)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path("bench-data"))
    arguments = parser.parse_args(argv)
    if arguments.events < 0:
        parser.error("--events must not be negative")
    summary = generate(
        arguments.out, arguments.events, arguments.funders, arguments.groups, arguments.seed
    )
    print(
        f"{arguments.out}: {summary.events:,} events ({arguments.events:,} expenses), "
        f"{summary.postings:,} postings, {len(summary.totals)} accounts, "
        f"in {summary.seconds:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
