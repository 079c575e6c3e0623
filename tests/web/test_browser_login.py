"""A real Chromium logs in, enrols MFA, sees its start page and logs out; axe checks every page on the way."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.accounts import totp
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService, UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            org = await OrganisationService(db).create(
                OrgKind.KANTOOR, "Bewindvoering Test", contact_email="info@test.example.nl"
            )
            await UserService(db).create(
                org,
                name="Bea Bewind",
                email="bea@test.example.nl",
                roles={Role.BEWINDVOERDER},
                password=PASSWORD,
                must_change_password=False,
            )
    finally:
        await engine.dispose()


def test_login_enrol_logout_accessible(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    asyncio.run(_seed(settings.database_url))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        page.goto(f"{base}/inloggen")
        assert_accessible(page)
        page.get_by_label("E-mailadres").fill("bea@test.example.nl")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()

        page.wait_for_url("**/inloggen/mfa/instellen**")
        assert_accessible(page)
        secret = totp.secret_from_base32(page.locator("#totp-secret").inner_text())
        page.get_by_label("Code uit de app").fill("000000")
        page.get_by_role("button", name="Bevestigen").click()
        expect(page.get_by_text("Deze code is niet juist").first).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Code uit de app").fill(totp.code_at(secret, time.time()))
        page.get_by_role("button", name="Bevestigen").click()

        expect(page.get_by_role("heading", name="Uw herstelcodes")).to_be_visible()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        assert_accessible(page)
        page.get_by_role("link", name="Ik heb de codes bewaard").click()

        page.wait_for_url(f"{base}/")
        expect(page.get_by_text("Bewindvoering Test").first).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Uitloggen").click()
        page.wait_for_url("**/inloggen?uitgelogd=1")
        expect(page.get_by_text("U bent uitgelogd")).to_be_visible()

        page.goto(f"{base}/account")
        page.wait_for_url("**/inloggen?volgende=/account")
        context.close()
