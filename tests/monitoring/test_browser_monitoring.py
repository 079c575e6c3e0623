"""A real Chromium: the contractmanager reads the term compliance and its late items, draws a steekproef and records
a finding, reads the convenants and names a contact per topic for the routekaart; axe checks every page."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from crypto import Keyring, encrypt_field, field_context
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone
from hub.config import Settings
from hub.db import create_engine, new_id, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser
EMAIL = "carla@nijmegen.example.nl"


async def _seed(url: str, keyring: Keyring) -> bytes:
    """A gemeente, a kantoor, a contractmanager and a case whose aanvraag bijzondere bijstand came late this year."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs, users = OrganisationService(db), UserService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            carla, _ = await users.create(gemeente, name="Carla Contract", email=EMAIL, roles={Role.CONTRACTMANAGER},
                                          password=PASSWORD, must_change_password=False)  # fmt: skip
            secret = totp.new_secret()
            await AuthService(db, keyring).set_totp_secret(carla, secret)
            case_id = new_id()

            def enc(column: str, value: str) -> bytes:
                return encrypt_field(keyring, value, context=field_context("dossier", column, case_id))

            db.add(Case(id=case_id, reference="2026-000042", convenant_id=convenant.id, gemeente_id=gemeente.id,
                        kantoor_id=kantoor.id, client_name=enc("client_name", "Jan Jansen"),
                        bsn=enc("bsn", "111222333"),
                        bsn_index=hashlib.sha256(case_id.encode()).hexdigest(),
                        birth_date=enc("birth_date", "1970-01-01"), bewind_kind="schuldenbewind",
                        beschikking_date=date(2026, 1, 5), bewind_start_date=date(2026, 1, 5),
                        rechtbank="Rechtbank Gelderland", created_by=carla.id))  # fmt: skip
            await db.flush()
            for kind, day in ((K.BESCHIKKING, date(2026, 1, 5)), (K.AANVRAAG_BIJSTAND, date(2026, 5, 1))):
                db.add(CaseMilestone(case_id=case_id, kind=kind.value, milestone_date=day, recorded_by=carla.id,
                                     recorded_by_org_id=kantoor.id))  # fmt: skip
    finally:
        await engine.dispose()
    return secret


def _login(page: Any, base: str, secret: bytes) -> None:
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/")


def test_contractmanager_monitors_terms_draws_a_steekproef_and_reads_convenants(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    secret = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        page = browser.new_context(bypass_csp=True).new_page()  # only so axe's script can be injected
        _login(page, base, secret)

        page.get_by_role("link", name="Termijnen", exact=True).click()
        page.get_by_label("Van").fill("2026-01-01")
        page.get_by_label("Tot en met").fill("2026-06-30")
        page.get_by_role("button", name="Toon periode").click()
        row = page.get_by_role("row", name="Bewindvoering De Brug")
        expect(row).to_contain_text("0 van 1 (0%)")
        assert_accessible(page)
        page.get_by_role("link", name="Te late termijnen met Bewindvoering De Brug").click()
        expect(page.get_by_role("row", name="2026-000042")).to_contain_text("Aanvraag bijzondere bijstand ingediend")
        assert_accessible(page)

        page.get_by_role("link", name="Steekproeven").click()
        assert_accessible(page)
        page.get_by_label("Percentage voor deelnemers aan het convenant").fill("100")
        page.get_by_label("Percentage voor bewindvoerders buiten het convenant").fill("100")
        page.get_by_role("button", name="Steekproef trekken").click()
        expect(page.get_by_text("De steekproef is getrokken.")).to_be_visible()
        expect(page.get_by_text("Nagerekend")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Niet in orde").check()
        page.get_by_role("button", name="Bevinding vastleggen").click()
        expect(page.get_by_role("link", name="Schrijf op wat niet in orde is.")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Niet in orde").check()
        page.get_by_label("Toelichting").fill("Nota periodieke kosten ontbreekt")
        page.get_by_role("button", name="Bevinding vastleggen").click()
        expect(page.get_by_text("De bevinding is vastgelegd.")).to_be_visible()
        expect(page.get_by_label("Toelichting")).to_have_value("Nota periodieke kosten ontbreekt")

        page.get_by_role("link", name="Convenanten").click()
        expect(page.get_by_role("heading", name="Gemeente Nijmegen en Bewindvoering De Brug")).to_be_visible()
        assert_accessible(page)

        # The routekaart's contact per topic, kept on the gemeente's own contact page.
        page.get_by_role("link", name="Contactgegevens").click()
        page.get_by_label("Contactpersoon", exact=True).first.fill("Carla Contract")
        page.locator("#bijzondere_bijstand_person").fill("Bas Bijstand")
        page.get_by_role("button", name="Gegevens bevestigen").click()
        expect(
            page.get_by_role("link", name="Vul een geldig e-mailadres voor Bijzondere bijstand (§2.2) in.")
        ).to_be_visible()
        assert_accessible(page)
        page.locator("#bijzondere_bijstand_email").fill("bijstand@nijmegen.example.nl")
        page.get_by_role("button", name="Gegevens bevestigen").click()
        expect(page.get_by_text("De contactgegevens zijn gewijzigd en bevestigd.")).to_be_visible()
        page.get_by_role("link", name="Routekaart").click()
        expect(page.get_by_role("row", name="Bijzondere bijstand (§2.2)")).to_contain_text("Bas Bijstand")
        assert_accessible(page)
