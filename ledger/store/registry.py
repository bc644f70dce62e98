"""Storing the network definition in the ledger and reading it back.

Loading a network again is safe: the same definition changes nothing, new funders and groups
are added. Changing a stored funder or group is refused, because caps, earmarks, overhead
flags and parents decide how money was attributed; the message names every difference.
"""

from __future__ import annotations

from decimal import Decimal

from netfund.ledger.inputs.network import Funder, Group, Network
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.schema import earmarks_table, funders_table, groups_table, network_table
from sqlalchemy import Connection, insert, select


def read_network(connection: Connection) -> Network:
    """The stored network; raise `LedgerError` if none was loaded yet."""
    header = connection.execute(select(network_table)).one_or_none()
    if header is None:
        raise LedgerError("no network is loaded: run 'netfund init network.toml' first")
    earmarks: dict[str, set[str]] = {}
    for row in connection.execute(select(earmarks_table)):
        earmarks.setdefault(row.funder, set()).add(row.group)
    funders = tuple(
        Funder(
            code=row.code,
            name=row.name,
            kind=row.kind,
            framework=row.framework,
            overhead_cap=Decimal(row.overhead_cap) if row.overhead_cap is not None else None,
            eligible_groups=frozenset(earmarks.get(row.code, set())) if row.earmarked else None,
            unspent=row.unspent,
        )
        for row in connection.execute(select(funders_table).order_by(funders_table.c.position))
    )
    groups = tuple(
        Group(code=row.code, name=row.name, overhead=row.overhead, parent=row.parent)
        for row in connection.execute(select(groups_table).order_by(groups_table.c.position))
    )
    return Network(
        name=header.name,
        currency=header.currency,
        language=header.language,
        population=header.population,
        overhead_cap=Decimal(header.overhead_cap),
        funders=funders,
        groups=groups,
    )


def store_network(connection: Connection, network: Network) -> tuple[int, int]:
    """Store ``network``; return how many funders and groups were added."""
    header = connection.execute(select(network_table)).one_or_none()
    if header is None:
        connection.execute(
            insert(network_table),
            [
                {
                    "id": 1,
                    "name": network.name,
                    "currency": network.currency,
                    "language": network.language,
                    "population": network.population,
                    "overhead_cap": str(network.overhead_cap),
                }
            ],
        )
        stored = None
    else:
        stored = read_network(connection)
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
    new_groups = [g for g in network.groups if g.code not in stored_groups]
    new_funders = [f for f in network.funders if f.code not in stored_funders]
    offset = len(stored_groups)
    if new_groups:
        # Parents first: a parent may be new too, and the foreign key is checked per row.
        connection.execute(
            insert(groups_table),
            [
                {
                    "code": g.code,
                    "name": g.name,
                    "overhead": g.overhead,
                    "parent": None,
                    "position": offset + index,
                }
                for index, g in enumerate(new_groups)
            ],
        )
        for group in new_groups:
            if group.parent is not None:
                connection.execute(
                    groups_table.update()
                    .where(groups_table.c.code == group.code)
                    .values(parent=group.parent)
                )
    offset = len(stored_funders)
    if new_funders:
        connection.execute(
            insert(funders_table),
            [
                {
                    "code": f.code,
                    "name": f.name,
                    "kind": f.kind,
                    "framework": f.framework,
                    "overhead_cap": str(f.overhead_cap) if f.overhead_cap is not None else None,
                    "earmarked": f.eligible_groups is not None,
                    "unspent": f.unspent,
                    "position": offset + index,
                }
                for index, f in enumerate(new_funders)
            ],
        )
        earmark_rows = [
            {"funder": f.code, "group": group}
            for f in new_funders
            for group in sorted(f.eligible_groups or ())
        ]
        if earmark_rows:
            connection.execute(insert(earmarks_table), earmark_rows)
    return len(new_funders), len(new_groups)


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
