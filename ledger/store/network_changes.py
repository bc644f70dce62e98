"""Changing the network from a given year, checked against the history the change would govern.

A network changes: next year's overhead cap, a funder's earmark widened, a new funder, a name
corrected. `apply_network` records the file as a new version of the network that governs from
period ``effective_from`` until the next later-dated version (`registry.NetworkTimeline`), and
refuses it, with the file's line, when it would contradict what is stored:

- a funder or group the ledger knows is missing: codes name accounts and funds in the history,
  so they stay (a funder that stops paying commits nothing);
- a period it would govern is closed: a closed year keeps the settings it was closed with
  (reopen it first, with a reason);
- a posting of a period it would govern breaks a line rule under the new settings that it did
  not break under the old ones (an earmark narrowed below what was spent);
- the allocations of a period it would govern break a budget rule further than before (a cap
  lowered below what was allocated, a group made overhead).

The same rules as every write (`rules.py`), so a change cannot make the ledger hold what no
write could have stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netfund.ledger.inputs.network import Network
from netfund.ledger.inputs.network_diff import describe_changes
from netfund.ledger.model.errors import InputError, Problem
from netfund.ledger.model.fields import parse_period
from netfund.ledger.model.money import format_grouped
from netfund.ledger.store.post import closed_periods
from netfund.ledger.store.records import transaction_head
from netfund.ledger.store.registry import (
    NetworkTimeline,
    read_network_timeline,
    record_network,
)
from netfund.ledger.store.rules import history_problems, line_errors
from netfund.ledger.store.schema import balance_totals_table
from sqlalchemy import Connection, select

#: Where a problem points in the network file: a key path such as ("funders", 2, "overhead_cap").
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class NetworkChange:
    """What `apply_network` did.

    Attributes:
        version: the version recorded, or None when the file changes nothing.
        effective_from: the first period the file governs.
        until: the first period it does not govern (a later-dated version's), or None.
        replaces: the version that governed ``effective_from`` before.
        changes: each difference from that version, in words.
        record_seq: the record's position in the records chain (None when nothing changed).
    """

    version: int | None
    effective_from: str
    until: str | None
    replaces: int
    changes: tuple[str, ...]
    record_seq: int | None = None


def apply_network(
    connection: Connection,
    network: Network,
    effective_from: str,
    note: dict[str, Any],
    source: str,
    locate: Callable[[KeyPath], int | None],
) -> NetworkChange:
    """Record ``network`` as governing from period ``effective_from`` (a year), or raise
    `InputError` with every reason it contradicts the stored history (``source`` names the
    file and ``locate`` finds a key's line in it)."""
    effective_from = parse_period(effective_from)  # a year: versions start with a period
    head = transaction_head(connection, lock=True)  # every writer takes the chain lock first
    timeline = read_network_timeline(connection)
    old = timeline.version_for(effective_from)
    until = timeline.governed_until(effective_from)
    changes = tuple(describe_changes(old.network, network))
    if not changes:  # the settings in force already: nothing to record, closed year or not
        return NetworkChange(None, effective_from, until, old.version, ())
    problems = _Problems(source, locate, network)
    _check_codes_kept(problems, timeline, network)
    governed = _governed(effective_from, until)
    for period in sorted(p for p in closed_periods(connection) if governed(p)):
        problems.add(
            (),
            f"period {period} is closed and keeps the settings it was closed with; reopen it "
            f"first (netfund reopen {period} --reason TEXT) or apply the change from a later "
            "year",
        )
    if not problems.found:
        _check_history(connection, problems, old.network, network, (effective_from, until))
    if problems.found:
        raise InputError(problems.found)
    version = timeline.newest.version + 1
    record = record_network(
        connection,
        network,
        version,
        head,
        effective_from=effective_from,
        source=source,
        **note,
    )
    return NetworkChange(version, effective_from, until, old.version, changes, record.seq)


class _Problems:
    """Problems of the network file, each at the line of the key it is about."""

    def __init__(
        self, source: str, locate: Callable[[KeyPath], int | None], network: Network
    ) -> None:
        self.source = source
        self.locate = locate
        self.found: list[Problem] = []
        self._funder_index = {f.code: i for i, f in enumerate(network.funders)}

    def add(self, path: KeyPath, message: str) -> None:
        self.found.append(Problem(self.source, self.locate(path) if path else None, message))

    def funder_key(self, fund: str | None, key: str) -> KeyPath:
        """The key ``key`` of funder ``fund``'s table (the network header's for None)."""
        if fund is None or fund not in self._funder_index:
            return ("network", key)
        return ("funders", self._funder_index[fund], key)


def _governed(effective_from: str, until: str | None) -> Callable[[str], bool]:
    return lambda period: effective_from <= period[:4] and (until is None or period[:4] < until)


def _check_codes_kept(problems: _Problems, timeline: NetworkTimeline, new: Network) -> None:
    # The newest recorded version lists every code the ledger has known (each apply is refused
    # without them, and `init` versions only ever added).
    known = timeline.newest.network
    for funder in known.funders:
        code = funder.code
        if new.funder(code) is None:
            problems.add(
                ("funders",),
                f"funder {code} ({funder.name}) is missing: funders and groups stay in the "
                "network once recorded (their codes are in the ledger); a funder that stops "
                "paying simply commits nothing",
            )
    for group in known.groups:
        code = group.code
        if new.group(code) is None:
            problems.add(
                ("groups",),
                f"group {code} ({group.name}) is missing: funders and groups stay in the "
                "network once recorded (their codes are in the ledger)",
            )


def _check_history(
    connection: Connection,
    problems: _Problems,
    old: Network,
    new: Network,
    years: tuple[str, str | None],
) -> None:
    """Every stored posting line and period budget of the ``years`` the change would govern
    (from, until), under the new network."""
    b = balance_totals_table.c
    first, until = years
    governed = [b.period >= first] + ([] if until is None else [b.period < until])
    periods: set[str] = set()
    for period, account, fund, group, debit, credit in connection.execute(
        select(b.period, b.account, b.fund, b.group, b.debit_cents, b.credit_cents)
        .where(*governed)
        .order_by(b.period, b.account, b.fund, b.group)
    ):
        periods.add(period)
        group = group or None
        before = set(line_errors(old, account, fund, group))
        for error in line_errors(new, account, fund, group):
            if error not in before:
                moved = format_grouped(int(debit) + int(credit))
                problems.add(
                    problems.funder_key(fund, "eligible_groups"),
                    f"{error}, but {period} holds postings on {account} for {fund} (EUR "
                    f"{moved} moved)",
                )
    for found in history_problems(connection, periods, old, new):
        problems.add(
            problems.funder_key(found.fund, "overhead_cap"),
            f"with this file, {found.message}",
        )
