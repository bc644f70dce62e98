"""A transaction draft with every content field set, for the tests of its columns and hash;
this module holds no tests."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from netfund.ledger.model.entries import Draft, Posting


def known_draft(**changes: Any) -> Draft:
    """The draft whose hash at chain position 7 after the genesis hash is pinned in
    test_canonical; ``changes`` replace fields."""
    draft = Draft(
        external_id="e-1",
        date=datetime.date(2026, 3, 4),
        type="expense",
        description='Koffie "café" \\ ☕',
        reference="INV-1",
        postings=(
            Posting("Expenses:WG-A", "ZK", "WG-A", 1234),
            Posting("Assets:Bank", "ZK", None, -1234),
        ),
        source_hash="a" * 64,
        funder="ZK",
        group="WG-A",
    )
    return dataclasses.replace(draft, **changes)
