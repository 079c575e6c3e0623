"""Fixtures for the monitoring tests: the case tests' world with a gemeente whose figures are known (seed.py)."""

from __future__ import annotations

import pytest

from tests.cases.world import build_world
from tests.monitoring.seed import Seeded, seed
from tests.support.hubclient import HubUnderTest


@pytest.fixture
async def seeded(hub: HubUnderTest) -> Seeded:
    """On SQLite and on PostgreSQL in turn."""
    return await seed(await build_world(hub))


@pytest.fixture
async def seeded_sqlite(hub_sqlite: HubUnderTest) -> Seeded:
    return await seed(await build_world(hub_sqlite))
