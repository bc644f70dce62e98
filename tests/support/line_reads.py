"""Counting the lines the TOML line finder reads, to show that finding lines is linear in
the file, however many lookups a reader makes; this module holds no tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from netfund.ledger.inputs import toml_source


class _CountingPattern:
    """A compiled pattern that counts its `match` calls."""

    def __init__(self, pattern: re.Pattern[str], counter: list[int]) -> None:
        self.pattern, self.counter = pattern, counter

    def match(self, text: str) -> re.Match[str] | None:
        self.counter[0] += 1
        return self.pattern.match(text)


@contextmanager
def counting_line_reads() -> Iterator[list[int]]:
    """Yield a one-item list that counts every line the finder matches (as a header or a
    ``key =`` line) until the block ends."""
    counter = [0]
    with pytest.MonkeyPatch.context() as patch:
        for name in ("_HEADER", "_KEY"):
            pattern = getattr(toml_source, name)
            patch.setattr(toml_source, name, _CountingPattern(pattern, counter))
        yield counter
