"""Creating or upgrading a ledger and loading the network definition into it."""

from __future__ import annotations

from dataclasses import dataclass

from netfund.ledger.inputs.network import Network
from netfund.ledger.store.database import (
    create_file,
    current_revision,
    reading,
    upgrade,
    writing,
)
from netfund.ledger.store.registry import store_network
from sqlalchemy import Engine


@dataclass(frozen=True)
class InitReport:
    """What `initialize` did: schema revisions before and after, funders and groups added."""

    revision_before: str | None
    revision_after: str | None
    funders_added: int
    groups_added: int


def initialize(engine: Engine, network: Network | None = None) -> InitReport:
    """Create the ledger or bring its schema to the newest migration, then store ``network``
    (if given)."""
    create_file(engine)
    with reading(engine) as connection:
        before = current_revision(connection)
    upgrade(engine)
    funders_added = groups_added = 0
    if network is not None:
        with writing(engine) as connection:
            funders_added, groups_added = store_network(connection, network)
    with reading(engine) as connection:
        after = current_revision(connection)
    return InitReport(before, after, funders_added, groups_added)
