"""Mijn account in a real Chromium, for a user who still holds recovery codes of the old kind: the warning to make
new ones is shown and the page stays accessible (axe, WCAG 2.1 AA)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import STAGE_FULL, AuthService
from hub.accounts.models import RecoveryCode
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService, UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction, utcnow
from hub.keys import create_keyring
from hub.web.cookies import CookiePolicy
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


async def _seed(url: str, keyring: Keyring) -> str:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            org = await OrganisationService(db).create(OrgKind.KANTOOR, "Bewindvoering Test")
            user, _ = await UserService(db).create(
                org, name="Bea Bewind", email="bea@test.example.nl", roles={Role.BEWINDVOERDER},
                password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            auth = AuthService(db, keyring)
            await auth.set_totp_secret(user, totp.new_secret())
            db.add(
                RecoveryCode(
                    user_id=user.id,
                    code_hash=hashlib.sha256(b"abcdefghij").hexdigest(),
                    legacy_until=utcnow() + timedelta(days=30),
                )
            )
            token, _ = await auth.start_session(user, STAGE_FULL)
            return token
    finally:
        await engine.dispose()


def test_the_account_page_warns_about_old_recovery_codes_accessibly(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    token = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/account")
        expect(page.locator("#oude-herstelcodes")).to_contain_text("Maak nieuwe herstelcodes aan.")
        assert_accessible(page)
        page.get_by_role("link", name="Nieuwe herstelcodes").click()
        expect(page.get_by_role("heading", name="Nieuwe herstelcodes")).to_be_in_viewport()
