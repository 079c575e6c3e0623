"""Schemathesis against the app's own OpenAPI document (through ASGI, with the app's lifespan), with a valid token
for every scope: no server error, every response (status, headers, body) as the document says, and no operation
that answers without its token (schemathesis's own auth check)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hub import migrate
from hub.accounts.api_tokens import SCOPES, ApiTokenService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.api.operations import Operation
from hub.api.routes import operations
from hub.app import create_app
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.support.hubclient import PASSWORD


async def _seed(url: str) -> str:
    """A kantoor with a bewindvoerder and that bewindvoerder's token for every scope."""
    from datetime import date

    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            gemeente = await OrganisationService(db).create(OrgKind.GEMEENTE, "Gemeente Arnhem")
            kantoor = await OrganisationService(db).create(OrgKind.KANTOOR, "Kantoor Xander")
            await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            user, _ = await UserService(db).create(
                kantoor, name="Bas Bewindvoerder", email="bas@xander.example.nl", roles={Role.BEWINDVOERDER},
                password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            token, _ = await ApiTokenService(db).create_for_user(user, name="fuzz", scopes=list(SCOPES), days=30)
            return token
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def hub_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    data = tmp_path_factory.mktemp("schemathesis") / "data"
    cfg = Settings.for_data_dir(data, HUB_WORKER="off", HUB_CLAMD="off", HUB_API_RATE_LIMIT="100000")
    data.mkdir(parents=True)
    create_keyring(cfg.keyring_path)
    migrate.upgrade(cfg.database_url)
    token = asyncio.run(_seed(cfg.database_url))
    app = create_app(cfg)
    try:
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), token
    finally:
        asgi.shutdown_lifespans()  # schemathesis keeps the app's lifespan running until told


@pytest.mark.parametrize("operation", operations(), ids=lambda op: f"{op.method} {op.path}")
def test_the_api_keeps_its_document(operation: Operation, hub_api: tuple[Any, str]) -> None:
    schema, token = hub_api
    strategy = schema[operation.path][operation.method].as_strategy()

    @given(case=strategy)
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def keeps_its_document(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])

    keeps_its_document()
