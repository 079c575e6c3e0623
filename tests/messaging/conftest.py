"""Fixtures for the messaging tests (the world itself is in tests/messaging/world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.messaging.world import World, build_world
from tests.support.clamd import Clamd, clamd  # noqa: F401  (the session fixture)
from tests.support.hubclient import HubUnderTest, running_hub

UPLOAD_MB = 1  # the largest file on the hub of ``world_clamd``: a small limit keeps the over-size test cheap


@pytest.fixture
async def world(hub: HubUnderTest) -> World:
    """The world on SQLite and on PostgreSQL in turn."""
    return await build_world(hub)


@pytest.fixture
async def world_sqlite(hub_sqlite: HubUnderTest) -> World:
    return await build_world(hub_sqlite)


@pytest.fixture
async def world_clamd(database_url: str, tmp_path: Path, clamd: Clamd) -> AsyncIterator[World]:  # noqa: F811
    """The world on a hub that scans every upload with a real clamd, on SQLite and on PostgreSQL in turn."""
    async with running_hub(
        tmp_path / "data", database_url, HUB_CLAMD=clamd.address, HUB_MAX_UPLOAD_MB=str(UPLOAD_MB)
    ) as hub:
        yield await build_world(hub)
