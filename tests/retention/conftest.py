"""Fixtures for the retention tests: the case tests' world, on SQLite and PostgreSQL in turn."""

from __future__ import annotations

import pytest

from tests.cases.world import World, build_world
from tests.support.hubclient import HubUnderTest


@pytest.fixture
async def world(hub: HubUnderTest) -> World:
    return await build_world(hub)
