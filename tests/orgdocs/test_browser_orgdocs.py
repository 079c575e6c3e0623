"""A real Chromium: a bewindvoerder adds the kantoor's kwaliteitsverklaring (after a refusal for its missing validity
end), the contractmanager adds the signed convenant and reads the kantoor's quality documents; axe checks both pages,
their refusal state included."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cases.records import local_today
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.documents.conftest import pdf_bytes
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser
CARLA, BEA = "carla@nijmegen.example.nl", "bea@brug.example.nl"


async def _seed(url: str, keyring: Keyring) -> dict[str, bytes]:
    """A gemeente and a kantoor with a convenant; its contractmanager and a bewindvoerder, each with a TOTP secret."""
    engine = create_engine(url)
    secrets: dict[str, bytes] = {}
    try:
        async with transaction(session_factory(engine)) as db:
            orgs, users = OrganisationService(db), UserService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            for org, email, name, role in ((gemeente, CARLA, "Carla Contract", Role.CONTRACTMANAGER),
                                           (kantoor, BEA, "Bea Bewind", Role.BEWINDVOERDER)):  # fmt: skip
                user, _ = await users.create(org, name=name, email=email, roles={role}, password=PASSWORD,
                                             must_change_password=False)  # fmt: skip
                secrets[email] = totp.new_secret()
                await AuthService(db, keyring).set_totp_secret(user, secrets[email])
    finally:
        await engine.dispose()
    return secrets


def test_kantoor_adds_a_kwaliteitsverklaring_and_the_gemeente_its_signed_convenant(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    secrets = asyncio.run(_seed(settings.database_url, keyring))
    verklaring, signed = tmp_path / "kwaliteitsverklaring.pdf", tmp_path / "convenant-getekend.pdf"
    verklaring.write_bytes(pdf_bytes(3000))
    signed.write_bytes(pdf_bytes(3000))
    today = local_today()
    with serve_in_thread(settings) as base, chromium() as browser:
        page = browser.new_context(bypass_csp=True).new_page()  # only so axe's script can be injected
        log_in(page, base, BEA, secrets[BEA])
        page.get_by_role("link", name="Kwaliteitsdocumenten").click()
        expect(page.get_by_role("heading", name="Bewindvoering De Brug")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Soort document").select_option("kwaliteitsverklaring")
        page.get_by_label("Datum van het document").fill((today - timedelta(days=20)).isoformat())
        page.get_by_label("Bestand", exact=True).set_input_files(str(verklaring))
        page.get_by_role("button", name="Document uploaden").click()
        expect(page.get_by_role("link", name="tot wanneer de kwaliteitsverklaring geldig is")).to_be_visible()
        assert_accessible(page)  # the refusal, with its message at the field
        page.get_by_label("Geldig tot en met (alleen bij een kwaliteitsverklaring)").fill(
            (today + timedelta(days=300)).isoformat()
        )
        page.get_by_label("Datum van het document").fill((today - timedelta(days=20)).isoformat())
        page.get_by_label("Bestand", exact=True).set_input_files(str(verklaring))
        page.get_by_role("button", name="Document uploaden").click()
        expect(page.get_by_text("Het document is opgeslagen")).to_be_visible()
        expect(page.get_by_role("row", name="Decharge van de rechtbank")).to_contain_text("Ontbreekt")
        assert_accessible(page)

        page = browser.new_context(bypass_csp=True).new_page()
        log_in(page, base, CARLA, secrets[CARLA])
        page.get_by_role("link", name="Convenanten").click()
        page.get_by_label("Datum van ondertekening").fill("2025-01-01")
        page.get_by_label("Ondertekend convenant (PDF)").set_input_files(str(signed))
        page.get_by_role("button", name="Convenant uploaden").click()
        expect(page.get_by_text("Het ondertekende convenant is opgeslagen")).to_be_visible()
        expect(page.get_by_role("link", name="convenant-getekend.pdf downloaden")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Kwaliteitsdocumenten").click()
        row = page.get_by_role("row", name="Kwaliteitsverklaring").first
        expect(row).to_contain_text("In orde")
        assert_accessible(page)
        page.get_by_role("link", name="Monitoring").click()
        expect(page.get_by_role("row", name="Bewindvoering De Brug").last).to_contain_text("Ontbreekt")
