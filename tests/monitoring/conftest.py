"""Fixtures for the monitoring tests: the messaging tests' world (two gemeenten, two kantoren, a case) for term
compliance and the steekproef, and the case tests' world with a gemeente whose figures are known (seed.py)."""

from __future__ import annotations

import pytest

from tests.cases.world import build_world as build_case_world
from tests.messaging.world import World, build_world
from tests.monitoring.seed import Seeded, seed
from tests.support.hubclient import HubUnderTest


@pytest.fixture
async def world(hub: HubUnderTest) -> World:
    """The world on SQLite and on PostgreSQL in turn."""
    return await build_world(hub)


@pytest.fixture
async def world_sqlite(hub_sqlite: HubUnderTest) -> World:
    return await build_world(hub_sqlite)


@pytest.fixture
async def seeded(hub: HubUnderTest) -> Seeded:
    """On SQLite and on PostgreSQL in turn."""
    return await seed(await build_case_world(hub))


@pytest.fixture
async def seeded_sqlite(hub_sqlite: HubUnderTest) -> Seeded:
    return await seed(await build_case_world(hub_sqlite))
