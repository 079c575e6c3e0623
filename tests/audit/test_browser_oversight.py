"""A real Chromium: a functionaris gegevensbescherming logs in, reads the Auditlog, filters it (first with a wrong
dossiernummer); a klantmanager opens *Wie heeft dit dossier bekeken* from the case page. axe checks every page."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cases.services import CaseService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

FG, KM = "fg@nijmegen.example.nl", "karim@nijmegen.example.nl"


async def _seed(settings: Settings, keyring: Keyring) -> tuple[dict[str, bytes], str, str]:
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine, audit_head_file=settings.audit_head_file)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            secrets = {}
            people: dict[str, Any] = {}
            for org, name, email, role in (
                (gemeente, "Fenna Privacy", FG, Role.FG),
                (gemeente, "Karim Klant", KM, Role.KLANTMANAGER),
                (kantoor, "Bea Bewind", "bea@brug.example.nl", Role.BEWINDVOERDER),
            ):
                user, _ = await UserService(db).create(
                    org, name=name, email=email, roles={role}, password=PASSWORD, must_change_password=False
                )
                secrets[email] = totp.new_secret()
                await AuthService(db, keyring).set_totp_secret(user, secrets[email])
                people[email] = user
            cases = CaseService(db, keyring)
            case = await cases.open_case(
                people["bea@brug.example.nl"], convenant_id=convenant.id, client_name="Teunis van Amerongen",
                bsn="123456782", birth_date=date(1971, 7, 30), bewind_kind="schuldenbewind",
                beschikking_date=date(2025, 10, 1), bewind_start_date=date(2025, 10, 1),
                rechtbank="Rechtbank Gelderland",
            )  # fmt: skip
            await cases.view_case(people[KM], case.id)
            return secrets, case.id, case.reference
    finally:
        await engine.dispose()


def _login(page: Any, base: str, email: str, secret: bytes, target: str) -> None:
    page.goto(f"{base}/inloggen?volgende={target}")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{target}")


def test_the_auditlog_and_the_case_accesses_in_the_browser_accessible(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off", HUB_CLAMD="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    secrets, case_id, reference = asyncio.run(_seed(settings, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        _login(page, base, FG, secrets[FG], "/auditlog")
        expect(page.get_by_role("cell", name="Karim Klant")).to_be_visible()
        expect(page.get_by_role("cell", name=reference).first).to_be_visible()
        assert "Amerongen" not in page.content()
        assert_accessible(page)

        page.locator("#dossiernummer").fill("999999")
        page.get_by_role("button", name="Toon").click()
        summary = page.get_by_role("alert")
        expect(summary.get_by_text("Uw organisatie heeft geen dossier met dit nummer.")).to_be_visible()
        assert_accessible(page)

        page.locator("#dossiernummer").fill(reference)
        page.locator("#filter-actie").select_option("case.view")
        page.get_by_role("button", name="Toon").click()
        expect(page.get_by_role("cell", name="Dossier bekeken (case.view)")).to_have_count(1)
        with page.expect_download() as download:
            page.get_by_role("link", name="Exporteer deze selectie als JSON-regels").click()
        assert download.value.suggested_filename.startswith("auditlog-")
        assert_accessible(page)
        context.close()

        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        _login(page, base, KM, secrets[KM], f"/dossiers/{case_id}")
        page.get_by_role("link", name="Wie heeft dit dossier bekeken").click()
        page.wait_for_url(f"{base}/dossiers/{case_id}/inzage")
        expect(page.get_by_role("cell", name="Karim Klant").first).to_be_visible()
        assert "Bea Bewind" not in page.content()
        assert_accessible(page)
        context.close()
