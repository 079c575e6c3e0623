"""A real Chromium: a bewindvoerder opens a case before the court decided, records the beschikking in the Verloop
section (first with a date in the future), sees the terms run and finds them on the start page; axe checks the pages
in each state."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub import migrate
from hub.cases.records import local_today
from hub.config import Settings
from hub.keys import create_keyring
from tests.cases.test_browser_cases import EMAIL, _seed
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


def test_record_the_beschikking_in_the_browser_accessible(tmp_path: Path) -> None:
    from hub.accounts import totp

    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    secret = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        page.goto(f"{base}/inloggen?volgende=/dossiers/nieuw")
        page.get_by_label("E-mailadres").fill(EMAIL)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(f"{base}/dossiers/nieuw")

        # Opened before the court decides: both dates left empty.
        page.locator("#client_name").fill("Teunis van Amerongen")
        page.locator("#bsn").fill("123456782")
        page.locator("#birth_date").fill("1971-08-30")
        page.get_by_label("Schuldenbewind", exact=True).check()
        page.locator("#rechtbank").select_option("Rechtbank Gelderland")
        page.get_by_role("button", name="Dossier aanmaken").click()
        page.wait_for_url("**/dossiers/*?gelukt=geopend")
        expect(page.get_by_text("Nog niet: de rechtbank heeft nog niet beslist")).to_be_visible()
        expect(page.locator(".facts dd", has_text="Aangemeld")).to_be_visible()
        assert_accessible(page)

        # The beschikking, first with a date in the future.
        page.get_by_text("Beschikking ontvangen", exact=True).last.click()
        tomorrow = local_today() + timedelta(days=1)
        page.locator("#m-beschikking-milestone_date").fill(tomorrow.isoformat())
        page.locator("#m-beschikking-detail_date").fill(tomorrow.isoformat())
        page.locator("#m-beschikking-milestone_date").locator("xpath=ancestor::form").get_by_role(
            "button", name="Vastleggen"
        ).click()
        expect(page.get_by_role("alert")).to_contain_text("De datum kan niet in de toekomst liggen.")
        assert page.locator("details.milestone-form[open]").count() == 1  # the form stays open with its values
        assert_accessible(page)

        day = local_today() - timedelta(days=3)
        page.locator("#m-beschikking-milestone_date").fill(day.isoformat())
        page.locator("#m-beschikking-detail_date").fill(day.isoformat())
        page.locator("#m-beschikking-milestone_date").locator("xpath=ancestor::form").get_by_role(
            "button", name="Vastleggen"
        ).click()
        page.wait_for_url("**?gelukt=stap#verloop")
        expect(page.get_by_text("De stap is vastgelegd in het verloop van het dossier.")).to_be_visible()
        expect(page.locator(".facts dd", has_text="Actief")).to_be_visible()
        expect(page.locator(".path-step", has_text="Aanvraag bijzondere bijstand ingediend")).to_contain_text(
            "Termijn loopt"
        )
        assert_accessible(page)
        page.screenshot(path=str(tmp_path / "verloop.png"), full_page=True)

        # The start page lists the terms that now run for this bewindvoerder, most urgent first.
        page.goto(f"{base}/")
        rows = page.locator("table.worklist tbody tr")
        expect(rows.first).to_contain_text("Aanvraag bijzondere bijstand ingediend")
        assert rows.count() == 2  # and the aanmelding schuldhulpverlening
        assert_accessible(page)
