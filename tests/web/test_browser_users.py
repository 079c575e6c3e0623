"""The operator's users page in a real Chromium: accessible (axe, WCAG 2.1 AA), with the one action the operator
has on a kantoor's administrator who never enrolled: a new enrolment link."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts.auth import STAGE_FULL, AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService, UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from hub.web.cookies import CookiePolicy
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


async def _seed(url: str, keyring: Keyring) -> str:
    """A functioneel beheerder with a full session and a kantoor whose administrator never enrolled."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            beheer = await OrganisationService(db).create(OrgKind.BEHEER, "Beheer")
            kantoor = await OrganisationService(db).create(OrgKind.KANTOOR, "Bewind & Zo")
            operator, _ = await UserService(db).create(
                beheer, name="Fred Beheer", email="fb@beheer.example.nl", roles={Role.FUNCTIONEEL_BEHEERDER},
                password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            await UserService(db).create(
                kantoor, name="Karin Beheer", email="kb@zo.example.nl", roles={Role.KANTOORBEHEERDER}
            )
            token, _ = await AuthService(db, keyring).start_session(operator, STAGE_FULL)
            return token
    finally:
        await engine.dispose()


def test_the_operator_sends_a_new_link_from_an_accessible_users_page(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    token = asyncio.run(_seed(settings.database_url, keyring))

    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/gebruikers")
        expect(page.get_by_text("Nog niet geactiveerd")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Nieuwe activeringslink sturen naar Karin Beheer").click()
        page.wait_for_url("**/gebruikers?gelukt=activeringslink")
        expect(page.get_by_role("status")).to_contain_text("Er is een nieuwe activeringslink gemaild")
        assert_accessible(page)
