"""Storing the network definition in the ledger, version by version, and reading it back.

The network decides money (earmarks, caps, what closing does with unspent money, payment
schedules), so the ledger keeps it as versioned records in the records chain (`records.py`):
`init` records version 1, which governs from the beginning, and each `netfund network apply
FILE --from YEAR` (`network_changes.py`) records a new version with the first period it
governs. A version governs from its period until the next later-dated version
(`NetworkTimeline.for_period`); a later version dated the same period replaces it there.
Readers re-hash the records chain first and decide money by the record, never by the tables:
the tables network_versions, funders, groups and earmarks are a mirror for queries (one set of
rows per version, migration 0009), written in the same transaction from the same rows
(`mirror_rows`), which `verify` compares with every version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from netfund.ledger.inputs.network import Approvals, BankAccount, Funder, Group, Network
from netfund.ledger.inputs.network_diff import describe_changes
from netfund.ledger.model.errors import InputError, LedgerError, Problem
from netfund.ledger.model.indicators import Indicator, value_text
from netfund.ledger.model.schedule import QUARTERLY, Instalment
from netfund.ledger.store.records import (
    Record,
    append_record,
    recorded_note,
    transaction_head,
    verified_records,
)
from netfund.ledger.store.schema import (
    earmarks_table,
    funders_table,
    groups_table,
    network_versions_table,
)
from sqlalchemy import Connection, Table, insert, select

#: The mirror tables, each with the columns that name a row, in the order rows are inserted.
MIRROR_KEYS: dict[str, tuple[str, ...]] = {
    "network_versions": ("version",),
    "groups": ("version", "code"),
    "funders": ("version", "code"),
    "earmarks": ("version", "funder", "group"),
}
_MIRROR_TABLES: dict[str, Table] = {
    "network_versions": network_versions_table,
    "groups": groups_table,
    "funders": funders_table,
    "earmarks": earmarks_table,
}

#: Rows per mirror table, as `mirror_rows` makes them and `read_mirror` reads them.
MirrorRows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class NetworkVersion:
    """One recorded version of the network.

    Attributes:
        version: 1, 2, 3, ... in the order they were recorded.
        effective_from: the first period it governs (``"2027"``), None for from the beginning.
        network: the whole definition.
        record: the record it was read from (seq, who, when, why).
    """

    version: int
    effective_from: str | None
    network: Network
    record: Record

    def noted(self, key: str) -> str:
        """What the record keeps beside the network: ``by``, ``at``, ``reason`` or ``source``
        (the file); empty when it keeps none (version 1 of `init`, a migration's)."""
        return str(self.record.content.get(key, ""))

    @property
    def sort_key(self) -> tuple[str, int]:
        """Later-dated versions win; of two dated the same period, the newer one."""
        return (self.effective_from or "", self.version)


@dataclass(frozen=True)
class NetworkTimeline:
    """Every version of the network, in the order recorded; which one governs which period."""

    versions: tuple[NetworkVersion, ...]

    @property
    def newest(self) -> NetworkVersion:
        """The version recorded last: it lists every funder and group the ledger knows."""
        return self.versions[-1]

    def version_for(self, period: str) -> NetworkVersion:
        """The version that governs ``period`` (a year, or a quarter of one)."""
        year = period[:4]
        return max(
            (v for v in self.versions if v.effective_from is None or v.effective_from <= year),
            key=lambda v: v.sort_key,
        )

    def for_period(self, period: str) -> Network:
        """The network in force for ``period``."""
        return self.version_for(period).network

    def governed_until(self, effective_from: str) -> str | None:
        """The first period a version dated ``effective_from`` and recorded now would not
        govern: the earliest later-dated version's (None: it would govern every later one)."""
        later = [
            v.effective_from
            for v in self.versions
            if v.effective_from is not None and v.effective_from > effective_from
        ]
        return min(later, default=None)


def read_network_timeline(connection: Connection) -> NetworkTimeline:
    """Every recorded network version; `LedgerError` if none was loaded yet.

    Re-hashes the records chain first: a changed record raises `VerificationError` instead
    of deciding money.
    """
    timeline = network_timeline(verified_records(connection))
    if timeline is None:
        raise LedgerError("no network is loaded: run 'netfund init network.toml' first")
    return timeline


def network_timeline(records: Sequence[Record]) -> NetworkTimeline | None:
    """The network versions among ``records`` (None before the first `init`)."""
    versions = tuple(
        NetworkVersion(
            version=record.content["version"],
            effective_from=record.content.get("effective_from"),
            network=network_from_document(record.content["network"]),
            record=record,
        )
        for record in records
        if record.kind == "network"
    )
    return NetworkTimeline(versions) if versions else None


def read_network(connection: Connection, period: str | None = None) -> Network:
    """The network in force for ``period``, or the newest version (every code the ledger
    knows, with its newest names) when no period is given."""
    timeline = read_network_timeline(connection)
    return timeline.newest.network if period is None else timeline.for_period(period)


def network_document(network: Network) -> dict[str, Any]:
    """The whole network as JSON values: caps as exact decimal text, earmarks sorted.

    A funder's ``schedule`` is there only when it is not the quarterly default, its ``ibans``
    and the network's ``bank_accounts`` and ``indicators`` only when the file names some, and
    ``approvals`` only when the file has that table: the records stored before either existed
    have no such key and their hashes cover their exact content, so an unchanged network must
    give the very same document.
    """
    document: dict[str, Any] = {
        "name": network.name,
        "currency": network.currency,
        "language": network.language,
        "population": network.population,
        "overhead_cap": str(network.overhead_cap),
        "funders": [
            {
                "code": f.code,
                "name": f.name,
                "kind": f.kind,
                "framework": f.framework,
                "overhead_cap": None if f.overhead_cap is None else str(f.overhead_cap),
                "eligible_groups": None if f.eligible_groups is None else sorted(f.eligible_groups),
                "unspent": f.unspent,
            }
            | _schedule_document(f.schedule)
            | ({"ibans": list(f.ibans)} if f.ibans else {})
            for f in network.funders
        ],
        "groups": [
            {"code": g.code, "name": g.name, "overhead": g.overhead, "parent": g.parent}
            for g in network.groups
        ],
    }
    if network.approvals is not None:
        document["approvals"] = asdict(network.approvals)
    if network.bank_accounts:
        document["bank_accounts"] = [asdict(account) for account in network.bank_accounts]
    if network.indicators:
        document["indicators"] = [_indicator_document(each) for each in network.indicators]
    return document


def _indicator_document(indicator: Indicator) -> dict[str, Any]:
    """An indicator as JSON values: reference points as exact decimal text by period."""
    return asdict(indicator) | {
        "groups": list(indicator.groups),
        "references": {period: value_text(value) for period, value in indicator.references},
    }


def _indicator_from_document(item: Mapping[str, Any]) -> Indicator:
    return Indicator(
        **(
            dict(item)
            | {
                "groups": tuple(item["groups"]),
                "references": tuple(
                    (period, Decimal(value)) for period, value in item["references"].items()
                ),
            }
        )
    )


def network_from_document(document: Mapping[str, Any]) -> Network:
    """The `Network` a `network_document` describes."""
    return Network(
        name=document["name"],
        currency=document["currency"],
        language=document["language"],
        population=document["population"],
        overhead_cap=Decimal(document["overhead_cap"]),
        funders=tuple(
            Funder(
                code=f["code"],
                name=f["name"],
                kind=f["kind"],
                framework=f["framework"],
                overhead_cap=None if f["overhead_cap"] is None else Decimal(f["overhead_cap"]),
                eligible_groups=None
                if f["eligible_groups"] is None
                else frozenset(f["eligible_groups"]),
                unspent=f["unspent"],
                schedule=_schedule_from_document(f.get("schedule")),
                ibans=tuple(f.get("ibans", ())),
            )
            for f in document["funders"]
        ),
        groups=tuple(
            Group(code=g["code"], name=g["name"], overhead=g["overhead"], parent=g["parent"])
            for g in document["groups"]
        ),
        approvals=Approvals(**document["approvals"]) if "approvals" in document else None,
        bank_accounts=tuple(BankAccount(**item) for item in document.get("bank_accounts", ())),
        indicators=tuple(_indicator_from_document(item) for item in document.get("indicators", ())),
    )


def _schedule_document(schedule: tuple[Instalment, ...]) -> dict[str, Any]:
    """``{"schedule": [...]}`` for a schedule of its own (shares as exact decimal text,
    amounts in cents), ``{}`` for the quarterly default."""
    if schedule == QUARTERLY:
        return {}
    return {
        "schedule": [
            {"due": each.due, "share": str(each.share)}
            if each.share is not None
            else {"due": each.due, "amount_cents": each.amount_cents}
            for each in schedule
        ]
    }


def _schedule_from_document(items: Sequence[Mapping[str, Any]] | None) -> tuple[Instalment, ...]:
    """The schedule `_schedule_document` wrote; no key (every record from before schedules,
    and a funder paying quarterly) is the quarterly default."""
    if items is None:
        return QUARTERLY
    return tuple(
        Instalment(
            int(item["due"][:2]),
            int(item["due"][3:]),
            share=Decimal(item["share"]) if "share" in item else None,
            amount_cents=item.get("amount_cents"),
        )
        for item in items
    )


def mirror_rows(network: Network, version: int, effective_from: str | None, seq: int) -> MirrorRows:
    """The rows the mirror tables hold for version ``version`` of the network: what
    `record_network` inserts and `verify` expects. Groups come parents first (the foreign key
    is checked per row); ``position`` keeps the file's order."""
    position = {group.code: index for index, group in enumerate(network.groups)}
    ordered: list[Group] = []
    placed: set[str] = set()

    def place(group: Group) -> None:
        if group.code in placed:
            return
        placed.add(group.code)
        parent = network.group(group.parent) if group.parent else None
        if parent is not None:
            place(parent)
        ordered.append(group)

    for group in network.groups:
        place(group)
    return {
        "network_versions": [
            {
                "version": version,
                "record_seq": seq,
                "effective_from": effective_from,
                "name": network.name,
                "currency": network.currency,
                "language": network.language,
                "population": network.population,
                "overhead_cap": str(network.overhead_cap),
            }
        ],
        "groups": [
            {
                "version": version,
                "code": g.code,
                "name": g.name,
                "overhead": g.overhead,
                "parent": g.parent,
                "position": position[g.code],
            }
            for g in ordered
        ],
        "funders": [
            {
                "version": version,
                "code": f.code,
                "name": f.name,
                "kind": f.kind,
                "framework": f.framework,
                "overhead_cap": str(f.overhead_cap) if f.overhead_cap is not None else None,
                "earmarked": f.eligible_groups is not None,
                "unspent": f.unspent,
                "position": index,
            }
            for index, f in enumerate(network.funders)
        ],
        "earmarks": [
            {"version": version, "funder": f.code, "group": group}
            for f in network.funders
            for group in sorted(f.eligible_groups or ())
        ],
    }


def record_mirror_rows(record: Record) -> MirrorRows:
    """The mirror rows of a ``network`` record."""
    content = record.content
    return mirror_rows(
        network_from_document(content["network"]),
        content["version"],
        content.get("effective_from"),
        record.seq,
    )


def read_mirror(connection: Connection) -> MirrorRows:
    """The mirror tables' rows as stored, whatever wrote them."""
    return {
        name: [dict(row) for row in connection.execute(select(table)).mappings()]
        for name, table in _MIRROR_TABLES.items()
    }


def insert_mirror(connection: Connection, rows: MirrorRows) -> None:
    """Insert one version's mirror rows, table by table in foreign-key order."""
    for name, table in _MIRROR_TABLES.items():
        if rows[name]:
            connection.execute(insert(table), rows[name])


def record_network(
    connection: Connection,
    network: Network,
    version: int,
    head: int,
    *,
    effective_from: str | None = None,
    effective_after: int | None = None,
    **note: Any,
) -> Record:
    """Append ``network`` as version ``version`` (written at transaction ``head``), governing
    from period ``effective_from`` (None: from the beginning), and its mirror rows.

    ``effective_after_transaction`` is kept as versions before 0009 had it: the chain position
    when it was recorded (``effective_after`` for a ledger taken over by a migration).
    """
    content: dict[str, Any] = {
        "version": version,
        "effective_after_transaction": head if effective_after is None else effective_after,
        "network": network_document(network),
        **note,
    }
    if effective_from is not None:
        content["effective_from"] = effective_from
    record = append_record(connection, "network", content, head)
    insert_mirror(connection, mirror_rows(network, version, effective_from, record.seq))
    return record


def store_network(
    connection: Connection, network: Network, source: str = "network.toml"
) -> tuple[int, int]:
    """Store the first version of the network; return how many funders and groups it has.

    `init` on a ledger that holds a network changes nothing when the file says the same as
    the newest version, and refuses otherwise: changes go through `network apply`, which
    dates them and checks them against the history they would govern.
    """
    # The chain lock first (as every writer takes it): the version applies from here on.
    head = transaction_head(connection, lock=True)
    timeline = network_timeline(verified_records(connection))
    if timeline is None:
        # When it was recorded, for the audit trail (who: `append_record`).
        record_network(connection, network, 1, head, **recorded_note(None))
        return len(network.funders), len(network.groups)
    newest = timeline.newest
    if newest.network != network:
        changes = describe_changes(newest.network, network)
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    f"the ledger already holds network version {newest.version}, and this file "
                    f"differs from it ({'; '.join(changes)}); to change the network, say from "
                    f"which year: netfund network apply {source} --from YEAR",
                )
            ]
        )
    return 0, 0
