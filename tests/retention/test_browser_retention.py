"""A real Chromium: a bewindvoerder puts a case on legal hold (refused first without a reason), sees it on the case
page, lifts it, and downloads the client's export; axe checks the hold page with its error and the case page with
the section *Bewaren en inzage* in both states."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
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

BEA = "bea@brug.example.nl"


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            bea, _ = await UserService(db).create(
                kantoor, name="Bea Bewind", email=BEA, roles={Role.BEWINDVOERDER}, password=PASSWORD,
                must_change_password=False,
            )  # fmt: skip
            secret = totp.new_secret()
            await AuthService(db, keyring).set_totp_secret(bea, secret)
        cases = {}
        for name, bsn in (("Jänsen, Pieter", "111222333"), ("Maria de Groot", "123456782")):
            async with transaction(session_factory(engine)) as db:
                cases[name] = await CaseService(db, keyring).open_case(
                    bea, convenant_id=convenant.id, client_name=name, bsn=bsn, birth_date=date(1970, 3, 1),
                    bewind_kind="schuldenbewind", beschikking_date=date(2025, 6, 1),
                    bewind_start_date=date(2025, 6, 1), rechtbank="Rechtbank Gelderland",
                )  # fmt: skip
    finally:
        await engine.dispose()
    return {"secret": secret, "case": cases["Jänsen, Pieter"], "other": cases["Maria de Groot"]}


def test_hold_lift_and_export_in_the_browser(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    case = seeded["case"]

    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True, accept_downloads=True)  # bypass: axe's script is injected
        page = context.new_page()
        page.goto(f"{base}/inloggen?volgende=/dossiers/{case.id}")
        page.get_by_label("E-mailadres").fill(BEA)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(seeded["secret"], time.time()))
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}")
        assert_accessible(page)

        page.get_by_role("link", name="Dossier op bewaren zetten").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}/bewaren")
        assert_accessible(page)
        page.get_by_role("button", name="Op bewaren zetten").click()
        expect(
            page.get_by_role("alert").get_by_text("Geef een reden waarom dit dossier bewaard moet blijven.")
        ).to_be_visible()
        assert page.title().startswith("Fout: ")
        assert_accessible(page)
        page.get_by_label("Reden").fill("Klacht bij de kantonrechter")
        page.get_by_role("button", name="Op bewaren zetten").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=bewaren#bewaren-title")
        expect(page.get_by_text("Klacht bij de kantonrechter")).to_be_visible()
        assert_accessible(page)

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Inzage-export downloaden (ZIP)").click()
        download = download_info.value
        assert download.suggested_filename == f"inzage-{case.reference}.zip"
        archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
        index = archive.read("index.html").decode("utf-8")
        assert "Jänsen, Pieter" in index and "Maria de Groot" not in index

        page.get_by_role("button", name="Bewaren opheffen").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=bewaren_opgeheven#bewaren-title")
        expect(page.get_by_role("link", name="Dossier op bewaren zetten")).to_be_visible()
        context.close()
