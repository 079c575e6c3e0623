"""Fixtures for the notes tests: the messaging world (two gemeenten, two kantoren, a case)."""

from __future__ import annotations

import pytest

from tests.messaging.world import World, build_world
from tests.support.hubclient import HubUnderTest


@pytest.fixture
async def world(hub: HubUnderTest) -> World:
    """The world on SQLite and on PostgreSQL in turn."""
    return await build_world(hub)
