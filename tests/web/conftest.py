"""The portal's fixtures: the example year once per database kind, a fresh app per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import database_url
from tests.support.portal import PortalLedger, build_example_year


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def portal_ledger(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalLedger]:
    """The example year with its statements, exports and portal users (read-only: tests
    that write build their own)."""
    folder = tmp_path_factory.mktemp(f"portal-{request.param}")
    for url in database_url(request.param, folder, prefix="portal"):
        ledger = build_example_year(request.param, url, folder)
        try:
            yield ledger
        finally:
            ledger.engine.dispose()
