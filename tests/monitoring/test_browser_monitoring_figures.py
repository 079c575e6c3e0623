"""A real Chromium: the contractmanager logs in, opens Monitoring from the menu, chooses a year and reads the charts
and their tables; axe checks the page."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.config import Settings
from tests.cases.world import build_world
from tests.monitoring.seed import seed
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD, running_hub

pytestmark = pytest.mark.browser


async def _seed(settings: Settings) -> tuple[str, bytes]:
    async with running_hub(settings.data_dir, settings.database_url) as hub:
        seeded = await seed(await build_world(hub))
        return seeded.contractmanager.email, hub.totp_secrets[seeded.contractmanager.id]


def test_the_monitoring_page_in_the_browser_accessible(tmp_path: Path) -> None:
    from hub.accounts import totp

    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    migrate.upgrade(settings.database_url)
    email, secret = asyncio.run(_seed(settings))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        page.goto(f"{base}/inloggen")
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
        page.get_by_role("button", name="Inloggen").click()
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Monitoring").click()
        page.wait_for_url(f"{base}/monitoring")
        assert_accessible(page)

        page.get_by_label("Jaar").select_option("2025")
        page.get_by_role("button", name="Tonen").click()
        page.wait_for_url(f"{base}/monitoring?jaar=2025")
        expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring 2025: Gemeente Arnhem")
        charts = page.get_by_role("img")
        expect(charts).to_have_count(4)
        expect(page.get_by_role("img", name="Instroom: 2024 (gearceerd) en 2025 (effen)")).to_be_visible()
        # Each chart has the table of its numbers beside it.
        instroom = page.get_by_role("table", name="De getallen bij „Instroom”")
        expect(instroom.get_by_role("row").nth(1)).to_contain_text("9")
        expect(instroom.get_by_role("row").nth(1)).to_contain_text("16")
        expect(page.get_by_role("table", name="De getallen bij „Uitstroom”")).to_contain_text("< 5")
        box = page.locator("svg.chart").first.bounding_box()
        assert box is not None and box["width"] > 300  # drawn, not collapsed
        assert_accessible(page)
        page.screenshot(path=str(tmp_path / "monitoring.png"), full_page=True)
