"""A real Chromium: a bewindvoerder logs in, opens a case through the form (first with mistakes), sees the case page,
finds it by BSN; axe checks the list, the form (also with its errors shown), the case page and the search results."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "bea@brug.example.nl"


async def _seed(url: str, keyring: Keyring) -> bytes:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            await orgs.create(OrgKind.GEMEENTE, "Gemeente Wijchen", contact_email="shv@wijchen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            user, _ = await UserService(db).create(
                kantoor, name="Bea Bewind", email=EMAIL, roles={Role.BEWINDVOERDER}, password=PASSWORD,
                must_change_password=False,
            )  # fmt: skip
            secret = totp.new_secret()
            await AuthService(db, keyring).set_totp_secret(user, secret)
            return secret
    finally:
        await engine.dispose()


def test_open_a_case_in_the_browser_accessible(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    secret = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        page.goto(f"{base}/inloggen?volgende=/dossiers")
        page.get_by_label("E-mailadres").fill(EMAIL)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
        page.get_by_role("button", name="Inloggen").click()

        page.wait_for_url(f"{base}/dossiers")
        expect(page.get_by_text("Uw organisatie heeft nog geen dossiers.")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Nieuw dossier").click()
        page.wait_for_url(f"{base}/dossiers/nieuw")
        assert_accessible(page)
        # The only active convenant is chosen already; Wijchen (no convenant) is not offered.
        assert page.locator("#convenant_id option:checked").inner_text() == "Gemeente Nijmegen"
        assert page.locator("#convenant_id option", has_text="Wijchen").count() == 0
        page.locator("#client_name").fill("Teunis van Amerongen")
        page.locator("#bsn").fill("123456789")  # fails the elfproef
        page.locator("#birth_date").fill("1971-07-30")
        page.locator("#beschikking_date").fill("2099-01-01")  # in the future
        page.locator("#bewind_start_date").fill("2025-10-01")
        page.get_by_label("Schuldenbewind", exact=True).check()
        page.locator("#rechtbank").select_option("Rechtbank Gelderland")
        page.get_by_role("button", name="Dossier aanmaken").click()

        summary = page.get_by_role("alert")
        expect(summary.get_by_text("voldoet niet aan de elfproef")).to_be_visible()
        expect(summary.get_by_text("kan niet in de toekomst liggen")).to_be_visible()
        assert page.locator("#client_name").input_value() == "Teunis van Amerongen"
        assert page.get_by_label("Schuldenbewind", exact=True).is_checked()
        assert page.title().startswith("Fout: Nieuw dossier")
        assert_accessible(page)
        summary.get_by_role("link", name="voldoet niet aan de elfproef").click()
        assert page.evaluate("document.activeElement.id") == "bsn"

        page.locator("#bsn").fill("1234 56 782")
        page.locator("#beschikking_date").fill("2025-10-01")
        page.get_by_role("button", name="Dossier aanmaken").click()

        page.wait_for_url("**/dossiers/*?gelukt=geopend")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Dossier ")
        assert "Amerongen" not in page.title() and "Dossier" in page.title()
        # Only the case's random id is in the URL (a hex id may hold "782" by chance, the whole number never).
        assert re.fullmatch(r".*/dossiers/[0-9a-f]{32}\?gelukt=geopend", page.url), page.url
        assert "123456782" not in page.url and "Teunis" not in page.url
        expect(page.get_by_text("Teunis van Amerongen")).to_be_visible()
        expect(page.get_by_text("••••••782")).to_be_visible()
        expect(page.get_by_text("123456782")).not_to_be_visible()
        page.get_by_text("Toon volledig BSN").click()
        expect(page.get_by_text("123456782")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("link", name="Alle dossiers").click()
        page.wait_for_url(f"{base}/dossiers")
        expect(page.get_by_role("cell", name="Teunis van Amerongen")).to_be_visible()
        page.locator("#filter-sorteer").select_option("naam")
        page.get_by_role("button", name="Toon dossiers").click()
        page.wait_for_url(lambda url: "sorteer=naam" in url)
        assert_accessible(page)

        # A BSN typed into the (GET) reference search by mistake never leaves the browser: the field refuses it.
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        before = page.url
        page.locator("#referentie").fill("123456782")
        page.get_by_role("button", name="Toon dossiers").click()
        expect(page.locator("#referentie:invalid")).to_have_count(1)

        page.locator("#referentie").fill("")
        page.get_by_label("Zoeken op BSN").fill("123456782")
        page.get_by_role("button", name="Zoeken op BSN").click()
        page.wait_for_url(f"{base}/dossiers/zoeken")
        expect(page.get_by_text("1 dossier van uw organisatie met dit BSN.")).to_be_visible()
        # The only request after the refused one is the BSN search (a POST): no URL ever held the number.
        assert page.url != before and requested and not any("123456782" in url for url in requested)
        assert_accessible(page)
        context.close()
