"""Fixtures for the API tests: the case world (tests/cases/world.py) and tokens made through the token service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hub.accounts.api_tokens import SCOPES, ApiTokenService
from hub.accounts.models import User
from hub.messaging.threads import ThreadService
from tests.cases.world import World, build_world
from tests.support.hubclient import HubUnderTest

ALL_SCOPES = list(SCOPES)


@dataclass
class Api:
    world: World

    @property
    def hub(self) -> HubUnderTest:
        return self.world.hub

    async def token(self, user: User, scopes: list[str] | None = None, days: int = 90) -> str:
        async with self.hub.db() as db:
            token, _ = await ApiTokenService(db).create_for_user(
                user, name="Bewindpakket", scopes=ALL_SCOPES if scopes is None else scopes, days=days
            )
        return token

    async def org_token(self, admin: User, role: str, scopes: list[str] | None = None) -> str:
        async with self.hub.db() as db:
            token, _ = await ApiTokenService(db).create_for_organisation(
                admin, name="Zaaksysteem", role=role, scopes=ALL_SCOPES if scopes is None else scopes, days=90
            )
        return token

    async def thread(self, author: User, case_id: str, subject: str = "Vraag over de beschikking") -> str:
        """A casuïstiek thread on the case, started through the service (the pages' path)."""
        async with self.hub.db() as db:
            svc = ThreadService(db, self.hub.runtime.keyring)
            thread = await svc.start_thread(author, subject=subject, body="Wanneer komt de beschikking?", case=case_id)
        return thread.id

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        client = self.hub.client(**kwargs)
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        return client


@pytest.fixture
async def api(hub: HubUnderTest) -> Api:
    """The API on SQLite and on PostgreSQL in turn."""
    return Api(await build_world(hub))


@pytest.fixture
async def api_sqlite(hub_sqlite: HubUnderTest) -> Api:
    return Api(await build_world(hub_sqlite))
