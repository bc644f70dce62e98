"""Storing the network definition in the ledger and reading it back.

Loading a network again is safe: the same definition changes nothing, new funders and groups
are added. Changing a stored funder or group is refused, because caps, earmarks, overhead
flags and parents decide how money was attributed; the message names every difference.

The network decides money (earmarks, caps, what closing does with unspent money), so the
ledger keeps it as versioned records in the records chain (`records.py`): every `init` that
adds funders or groups appends a ``network`` record with the whole definition and the
transaction chain position from which it applies. `read_network` reads the newest version
after re-hashing the chain, never the tables: the tables network, funders, groups and
earmarks are a mirror for queries, written in the same transaction from the same rows
(`mirror_rows`), which `verify` compares with the newest record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from netfund.ledger.inputs.network import Funder, Group, Network
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.model.schedule import QUARTERLY, Instalment
from netfund.ledger.store.records import (
    Record,
    append_record,
    transaction_head,
    verified_records,
)
from netfund.ledger.store.schema import earmarks_table, funders_table, groups_table, network_table
from sqlalchemy import Connection, Table, insert, select

#: The mirror tables, each with the columns that name a row, in the order rows are inserted.
MIRROR_KEYS: dict[str, tuple[str, ...]] = {
    "network": ("id",),
    "groups": ("code",),
    "funders": ("code",),
    "earmarks": ("funder", "group"),
}
_MIRROR_TABLES: dict[str, Table] = {
    "network": network_table,
    "groups": groups_table,
    "funders": funders_table,
    "earmarks": earmarks_table,
}

#: The columns the mirror tables share with `network_document`, by name and meaning.
_HEADER_FIELDS = ("name", "currency", "language", "population", "overhead_cap")
_FUNDER_FIELDS = ("code", "name", "kind", "framework", "overhead_cap", "unspent")
_GROUP_FIELDS = ("code", "name", "overhead", "parent")

#: Rows per mirror table, as `mirror_rows` makes them and `read_mirror` reads them.
MirrorRows = dict[str, list[dict[str, Any]]]


def read_network(connection: Connection) -> Network:
    """The newest recorded network; `LedgerError` if none was loaded yet.

    Re-hashes the records chain first: a changed record raises `VerificationError` instead
    of deciding money.
    """
    newest = newest_network(verified_records(connection))
    if newest is None:
        raise LedgerError("no network is loaded: run 'netfund init network.toml' first")
    return network_from_document(newest.content["network"])


def newest_network(records: Sequence[Record]) -> Record | None:
    """The newest ``network`` record of ``records`` (None before the first `init`)."""
    return next((record for record in reversed(records) if record.kind == "network"), None)


def network_document(network: Network) -> dict[str, Any]:
    """The whole network as JSON values: caps as exact decimal text, earmarks sorted.

    A funder's ``schedule`` is there only when it is not the quarterly default: the records
    stored before schedules existed have no such key and their hashes cover their exact
    content, so an unchanged network must give the very same document.
    """
    return {
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
            for f in network.funders
        ],
        "groups": [
            {"code": g.code, "name": g.name, "overhead": g.overhead, "parent": g.parent}
            for g in network.groups
        ],
    }


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
            )
            for f in document["funders"]
        ),
        groups=tuple(
            Group(code=g["code"], name=g["name"], overhead=g["overhead"], parent=g["parent"])
            for g in document["groups"]
        ),
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


def mirror_rows(network: Network) -> MirrorRows:
    """The rows the mirror tables hold for ``network``: what `store_network` inserts and
    `verify` expects. Groups come parents first (the foreign key is checked per row);
    ``position`` keeps the file's order."""
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
        "network": [
            {
                "id": 1,
                "name": network.name,
                "currency": network.currency,
                "language": network.language,
                "population": network.population,
                "overhead_cap": str(network.overhead_cap),
            }
        ],
        "groups": [
            {
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
            {"funder": f.code, "group": group}
            for f in network.funders
            for group in sorted(f.eligible_groups or ())
        ],
    }


def read_mirror(connection: Connection) -> MirrorRows:
    """The mirror tables' rows as stored, whatever wrote them."""
    return {
        name: [dict(row) for row in connection.execute(select(table)).mappings()]
        for name, table in _MIRROR_TABLES.items()
    }


def network_from_mirror(rows: MirrorRows) -> Network | None:
    """The network the mirror tables describe (None if they hold none): how a ledger from
    before the records chain is taken over (migration 0007)."""
    if not rows["network"]:
        return None
    header = rows["network"][0]
    earmarks: dict[str, list[str]] = {}
    for row in sorted(rows["earmarks"], key=lambda row: row["group"]):
        earmarks.setdefault(row["funder"], []).append(row["group"])
    return network_from_document(
        {
            **{name: header[name] for name in _HEADER_FIELDS},
            "funders": [
                {name: row[name] for name in _FUNDER_FIELDS}
                | {"eligible_groups": earmarks.get(row["code"], []) if row["earmarked"] else None}
                for row in sorted(rows["funders"], key=lambda row: row["position"])
            ],
            "groups": [
                {name: row[name] for name in _GROUP_FIELDS}
                for row in sorted(rows["groups"], key=lambda row: row["position"])
            ],
        }
    )


def record_network(
    connection: Connection,
    network: Network,
    version: int,
    head: int,
    effective_after: int | None = None,
    **note: Any,
) -> Record:
    """Append ``network`` as version ``version``, written at transaction ``head`` and
    applying to the transactions after ``effective_after`` (default: ``head``)."""
    content = {
        "version": version,
        "effective_after_transaction": head if effective_after is None else effective_after,
        "network": network_document(network),
        **note,
    }
    return append_record(connection, "network", content, head)


def store_network(connection: Connection, network: Network) -> tuple[int, int]:
    """Store ``network``; return how many funders and groups were added.

    What is added becomes a new network version in the records chain, and its rows go into
    the mirror tables in the same transaction.
    """
    # The chain lock first (as every writer takes it): the version applies from here on.
    head = transaction_head(connection, lock=True)
    newest = newest_network(verified_records(connection))
    stored = None if newest is None else network_from_document(newest.content["network"])
    if stored is not None:
        differences = _header_differences(stored, network)
        if differences:
            raise LedgerError(
                "the ledger already holds another network definition: " + "; ".join(differences)
            )
    stored_funders = {f.code: f for f in stored.funders} if stored else {}
    stored_groups = {g.code: g for g in stored.groups} if stored else {}
    changed = [
        f"funder {code}: {field}"
        for code, funder in ((f.code, f) for f in network.funders)
        if code in stored_funders
        for field in _field_differences(stored_funders[code], funder)
    ] + [
        f"group {code}: {field}"
        for code, group in ((g.code, g) for g in network.groups)
        if code in stored_groups
        for field in _field_differences(stored_groups[code], group)
    ]
    if changed:
        raise LedgerError(
            "network.toml changes funders or groups already in the ledger, which would change "
            "how stored money was attributed; add new codes instead. Differences: "
            + "; ".join(changed)
        )
    new_groups = tuple(g for g in network.groups if g.code not in stored_groups)
    new_funders = tuple(f for f in network.funders if f.code not in stored_funders)
    if stored is not None and not new_groups and not new_funders:
        return 0, 0
    merged = (
        network
        if stored is None
        else replace(
            stored, funders=stored.funders + new_funders, groups=stored.groups + new_groups
        )
    )
    _insert_mirror(connection, mirror_rows(merged), {f.code for f in new_funders}, stored)
    record_network(connection, merged, 1 if newest is None else newest.content["version"] + 1, head)
    return len(new_funders), len(new_groups)


def _insert_mirror(
    connection: Connection, rows: MirrorRows, new_funders: set[str], stored: Network | None
) -> None:
    """Insert the mirror rows of what is new: the header the first time, new groups and
    funders, and the earmarks of new funders (a stored funder's earmark never changes)."""
    known_groups = {g.code for g in stored.groups} if stored else set()
    new = {
        "network": rows["network"] if stored is None else [],
        "groups": [row for row in rows["groups"] if row["code"] not in known_groups],
        "funders": [row for row in rows["funders"] if row["code"] in new_funders],
        "earmarks": [row for row in rows["earmarks"] if row["funder"] in new_funders],
    }
    for name, table in _MIRROR_TABLES.items():
        if new[name]:
            connection.execute(insert(table), new[name])


def _header_differences(stored: Network, new: Network) -> list[str]:
    pairs = {
        "name": (stored.name, new.name),
        "language": (stored.language, new.language),
        "population": (stored.population, new.population),
        "overhead_cap": (stored.overhead_cap, new.overhead_cap),
    }
    return [
        f"{key} is {old!r}, file says {now!r}" for key, (old, now) in pairs.items() if old != now
    ]


def _field_differences(stored: Funder | Group, new: Funder | Group) -> list[str]:
    return [
        f"{name} is {getattr(stored, name)!r}, file says {getattr(new, name)!r}"
        for name in stored.__dataclass_fields__
        if getattr(stored, name) != getattr(new, name)
    ]
