"""A real Chromium: a bewindvoerder finds a case by a part of the client's name, corrects the name and (refused
first: another running case has that BSN) the BSN, reads the history, and withdraws a document; axe checks the search
results, the correction form with its errors, the case page with its history and the withdrawal page."""

from __future__ import annotations

import asyncio
import os
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


def test_search_correct_and_withdraw_in_the_browser(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    case, other = seeded["case"], seeded["other"]
    sample = tmp_path / "beschikking-verkeerd.pdf"
    sample.write_bytes(b"%PDF-1.7\n" + os.urandom(20_000) + b"\n%%EOF\n")

    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        page.goto(f"{base}/inloggen?volgende=/dossiers")
        page.get_by_label("E-mailadres").fill(BEA)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(seeded["secret"], time.time()))
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(f"{base}/dossiers")

        # The name search: posted, so the name is not in the address bar.
        page.get_by_label("Zoeken op naam").fill("jansen")
        page.get_by_role("button", name="Zoeken op naam").click()
        page.wait_for_url(f"{base}/dossiers/zoeken-op-naam")
        expect(page.get_by_role("cell", name="Jänsen, Pieter")).to_be_visible()
        expect(page.get_by_role("cell", name="Maria de Groot")).to_have_count(0)
        assert "jansen" not in page.url.lower()
        assert_accessible(page)

        # Correct: the BSN of the other running case is refused, with a link to it.
        page.get_by_role("link", name=case.reference).click()
        page.wait_for_url(f"{base}/dossiers/{case.id}")
        page.get_by_role("link", name="Gegevens corrigeren").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}/corrigeren")
        assert_accessible(page)
        page.get_by_label("Naam", exact=True).fill("Pieter Jansen")
        page.get_by_label("Burgerservicenummer (BSN)").fill("123456782")
        page.get_by_label("Toelichting (niet verplicht)").fill("Naam volgens de BRP")
        page.get_by_role("button", name="Correctie opslaan").click()
        summary = page.get_by_role("alert")
        expect(
            summary.get_by_text(f"Er is al een dossier voor dit BSN bij deze gemeente: {other.reference}.")
        ).to_be_visible()
        expect(page.get_by_role("link", name=f"dossier {other.reference}")).to_be_visible()
        assert page.get_by_label("Naam", exact=True).input_value() == "Pieter Jansen"
        assert page.title().startswith("Fout: Gegevens corrigeren")
        assert_accessible(page)
        page.get_by_label("Burgerservicenummer (BSN)").fill("111222333")
        page.get_by_role("button", name="Correctie opslaan").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=gecorrigeerd")
        expect(page.get_by_text("Gewijzigd: naam, door Bea Bewind (Bewindvoering De Brug)")).to_be_visible()
        page.locator("summary", has_text="Oude en nieuwe waarden").click()
        expect(page.get_by_role("cell", name="Jänsen, Pieter")).to_be_visible()
        assert_accessible(page)

        # Upload, then withdraw: the reason is required.
        row = page.get_by_role("group", name="Bestand 1", exact=True)
        row.get_by_label("Soort document").select_option("benoemingsbeschikking")
        row.get_by_label("Datum van het document").fill("2025-06-01")
        row.get_by_label("Bestand", exact=True).set_input_files(str(sample))
        page.get_by_role("button", name="Documenten uploaden").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=document")
        page.get_by_role("link", name="Intrekken van beschikking-verkeerd.pdf").click()
        page.wait_for_url("**/intrekken")
        assert_accessible(page)
        page.get_by_role("button", name="Document intrekken").click()
        expect(page.get_by_role("alert").get_by_text("Vul de reden in waarom u het document intrekt.")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Reden van intrekken").fill("Verkeerde cliënt")
        page.get_by_role("button", name="Document intrekken").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=document-ingetrokken#documents-title")
        expect(page.get_by_role("status").filter(has_text="Het document is ingetrokken")).to_be_visible()
        expect(page.get_by_text("Verkeerde cliënt")).to_be_visible()
        expect(page.get_by_role("link", name="beschikking-verkeerd.pdf downloaden")).to_have_count(0)
        assert_accessible(page)
        context.close()
