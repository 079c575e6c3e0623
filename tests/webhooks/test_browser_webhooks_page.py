"""The webhooks page in a real Chromium: an internal address refused with a clear error, an endpoint added with its
secret shown once, listed and paused; accessible (axe) in each state, no JavaScript needed for any of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.config import Settings
from hub.keys import create_keyring
from hub.web.cookies import CookiePolicy
from tests.api.test_browser_token_pages import _seed
from tests.support.browser import assert_accessible, chromium, serve_in_thread

pytestmark = pytest.mark.browser


def test_webhooks_are_added_and_paused_accessibly(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    session = asyncio.run(_seed(settings.database_url, settings))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True, java_script_enabled=False)
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": session, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/organisatie/api-sleutels")
        page.get_by_role("link", name="webhooks", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks van de organisatie")
        page.get_by_label("Webadres (URL) van uw systeem").fill("https://10.0.0.8/hooks")
        page.get_by_label("Nieuw bericht").check()
        page.get_by_role("button", name="Webhook toevoegen").click()
        expect(page.get_by_role("alert")).to_contain_text("intern of privé netwerkadres")
        page.get_by_label("Webadres (URL) van uw systeem").fill("https://93.184.215.14/hooks")
        page.get_by_role("button", name="Webhook toevoegen").click()
        expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
        expect(page.get_by_role("cell", name="https://93.184.215.14/hooks", exact=True)).to_be_visible()
        page.get_by_role("button", name="Pauzeren").click()
        expect(page.get_by_role("status")).to_contain_text("gepauzeerd")
        expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once
        context.close()
        context = browser.new_context(bypass_csp=True)  # axe needs its script
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": session, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/organisatie/webhooks")
        assert_accessible(page)
        page.get_by_role("button", name="Webhook toevoegen").click()  # nothing filled in
        expect(page.get_by_role("alert")).to_contain_text("Kies minstens één gebeurtenis")
        assert_accessible(page)
        page.get_by_role("button", name="Nieuw geheim").click()
        expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
        assert_accessible(page)
        page.set_viewport_size({"width": 320, "height": 800})  # a small screen: the table stacks, nothing sideways
        page.goto(f"{base}/organisatie/webhooks")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
