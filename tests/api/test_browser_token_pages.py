"""The token pages in a real Chromium: a token is made on Mijn account, shown once, listed; accessible (axe)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.sync_api import expect

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


async def _seed(url: str, settings: Settings) -> str:
    from hub.keys import load_keyring

    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            org = await OrganisationService(db).create(OrgKind.KANTOOR, "Bewindvoering Test")
            user, _ = await UserService(db).create(
                org, name="Kees Beheer", email="kees@test.example.nl",
                roles={Role.BEWINDVOERDER, Role.KANTOORBEHEERDER}, password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            auth = AuthService(db, load_keyring(settings.keyring_path, ""))
            token, _ = await auth.start_session(user, STAGE_FULL)
            return token
    finally:
        await engine.dispose()


def test_tokens_are_made_and_listed_accessibly(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    session = asyncio.run(_seed(settings.database_url, settings))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": session, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/account/api-sleutels")
        assert_accessible(page)
        page.get_by_role("button", name="Sleutel maken").click()  # nothing filled in
        expect(page.get_by_role("alert")).to_contain_text("Geef de sleutel een naam")
        assert_accessible(page)
        page.get_by_label("Naam van de sleutel").fill("Bewindpakket")
        page.get_by_label("Dossiers lezen").check()
        page.get_by_role("button", name="Sleutel maken").click()
        expect(page.locator("#api-token")).to_contain_text("hub_")
        expect(page.get_by_role("cell", name="Bewindpakket", exact=True)).to_be_visible()
        assert_accessible(page)
        page.goto(f"{base}/organisatie/api-sleutels")
        page.get_by_label("Naam van de sleutel").fill("Zaaksysteem")
        page.get_by_label("Rol van de koppeling").select_option("bewindvoerder")
        page.get_by_label("Berichten lezen").check()
        page.get_by_role("button", name="Sleutel maken").click()
        expect(page.locator("#api-token")).to_contain_text("hub_")
        assert_accessible(page)
