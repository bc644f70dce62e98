"""Creating or upgrading a ledger, loading the network definition into it and changing it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netfund.ledger.inputs.network import Network, parse_network
from netfund.ledger.inputs.toml_source import TomlLines, read_toml
from netfund.ledger.store.database import (
    create_file,
    current_revision,
    reading,
    require_schema,
    upgrade,
    writing,
)
from netfund.ledger.store.network_changes import NetworkChange, apply_network
from netfund.ledger.store.records import recorded_note
from netfund.ledger.store.registry import NetworkTimeline, read_network_timeline, store_network
from sqlalchemy import Engine


@dataclass(frozen=True)
class InitReport:
    """What `initialize` did: schema revisions before and after, funders and groups added."""

    revision_before: str | None
    revision_after: str | None
    funders_added: int
    groups_added: int


def initialize(
    engine: Engine, network: Network | None = None, source: str = "network.toml"
) -> InitReport:
    """Create the ledger or bring its schema to the newest migration, then store ``network``
    (if given; read from the file ``source``, which a refusal names)."""
    create_file(engine)
    with reading(engine) as connection:
        before = current_revision(connection)
    upgrade(engine)
    funders_added = groups_added = 0
    if network is not None:
        with writing(engine) as connection:
            funders_added, groups_added = store_network(connection, network, source)
    with reading(engine) as connection:
        after = current_revision(connection)
    return InitReport(before, after, funders_added, groups_added)


def apply_network_file(
    engine: Engine, path: Path, effective_from: str, reason: str | None = None
) -> tuple[Network, NetworkChange]:
    """Read the network file at ``path`` and record it as governing from period
    ``effective_from`` (`network_changes.apply_network`); problems name the file's lines."""
    data, text = read_toml(path)
    network = parse_network(data, text, str(path))
    lines = TomlLines(text)
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        change = apply_network(
            connection, network, effective_from, recorded_note(reason), str(path), lines.line
        )
    return network, change


def load_network_timeline(engine: Engine) -> NetworkTimeline:
    """Every recorded network version, read in one snapshot (`netfund network versions`)."""
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        return read_network_timeline(connection)
