"""A real Chromium: a bewindvoerder uploads the evidence and submits the aanvraag bijzondere bijstand (refused first:
the client lives in a beschermde woonvorm and the CAK-nota is missing), then the consulent finds it in the list of
applications and records the decision; axe checks the form with its errors, the case page, the list and the
contractmanager's check of §2.3."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import date, timedelta
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
from hub.cases.records import local_today
from hub.cases.services import CaseService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.documents.models import choice_label
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

BEA = "bea@brug.example.nl"
COR = "cor@nijmegen.example.nl"
CARLA = "carla@nijmegen.example.nl"


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    beschikking = local_today() - timedelta(days=20)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            secrets: dict[str, bytes] = {}
            people = (
                (kantoor, "Bea Bewind", BEA, Role.BEWINDVOERDER),
                (gemeente, "Cor Consulent", COR, Role.CONSULENT),
                (gemeente, "Carla Contractmanager", CARLA, Role.CONTRACTMANAGER),
            )
            created = {}
            for org, name, email, role in people:
                user, _ = await UserService(db).create(
                    org, name=name, email=email, roles={role}, password=PASSWORD, must_change_password=False
                )
                secrets[email] = totp.new_secret()
                await AuthService(db, keyring).set_totp_secret(user, secrets[email])
                created[email] = user
        async with transaction(session_factory(engine)) as db:
            case = await CaseService(db, keyring).open_case(
                created[BEA], convenant_id=convenant.id, client_name="Maria de Groot", bsn="123456782",
                birth_date=date(1970, 3, 1), bewind_kind="schuldenbewind", beschikking_date=beschikking,
                bewind_start_date=beschikking, rechtbank="Rechtbank Gelderland",
            )  # fmt: skip
    finally:
        await engine.dispose()
    return {"secrets": secrets, "case": case, "beschikking": beschikking}


def _login(page: Any, base: str, email: str, secret: bytes, target: str) -> None:
    page.goto(f"{base}/inloggen?volgende={target}")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{target}")


def test_bijstand_application_and_decision_in_the_browser(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    case, day = seeded["case"], seeded["beschikking"]
    files = {}
    for name in ("beschikking.pdf", "nota.pdf"):
        files[name] = tmp_path / name
        files[name].write_bytes(b"%PDF-1.7\n" + os.urandom(20_000) + b"\n%%EOF\n")
    prefix = "#m-aanvraag_bijzondere_bijstand-"

    with serve_in_thread(settings) as base, chromium() as browser:
        page = browser.new_context(bypass_csp=True).new_page()  # bypass_csp only so axe's script can be injected
        _login(page, base, BEA, seeded["secrets"][BEA], f"/dossiers/{case.id}")
        for doc_type, name in (("benoemingsbeschikking", "beschikking.pdf"), ("nota_periodieke_kosten", "nota.pdf")):
            row = page.get_by_role("group", name="Bestand 1", exact=True)
            row.get_by_label("Soort document").select_option(doc_type)
            row.get_by_label("Datum van het document").fill(day.isoformat())
            row.get_by_label("Bestand", exact=True).set_input_files(str(files[name]))
            page.get_by_role("button", name="Documenten uploaden").click()
            # The script sends the form in the background: the page is the same address after each upload.
            expect(page.get_by_role("link", name=f"{name} downloaden")).to_be_visible()

        # The aanvraag: the client lives in a beschermde woonvorm, and no CAK-nota is in the dossier yet.
        page.locator("summary", has_text="Aanvraag bijzondere bijstand ingediend").click()
        page.locator(f"{prefix}milestone_date").fill(local_today().isoformat())
        page.get_by_label("Cliënt woont in een beschermde woonvorm of Wlz-instelling").check()
        page.locator(f"{prefix}evidence_benoemingsbeschikking").select_option(
            label=choice_label("beschikking.pdf", "Benoemingsbeschikking", day)
        )
        page.locator(f"{prefix}evidence_nota_periodieke_kosten").select_option(
            label=choice_label("nota.pdf", "Nota periodieke kosten", day)
        )
        page.locator(f"{prefix}milestone_date").locator("xpath=ancestor::form").get_by_role(
            "button", name="Vastleggen"
        ).click()
        expect(page.get_by_role("alert")).to_contain_text("Het bewijs is niet compleet: de cak-nota ontbreekt")
        assert page.get_by_label("Cliënt woont in een beschermde woonvorm of Wlz-instelling").is_checked()
        assert_accessible(page)

        page.get_by_label("Cliënt woont in een beschermde woonvorm of Wlz-instelling").uncheck()
        page.locator(f"{prefix}milestone_date").locator("xpath=ancestor::form").get_by_role(
            "button", name="Vastleggen"
        ).click()
        page.wait_for_url("**?gelukt=stap#verloop")
        step = page.locator(".path-step", has_text="Aanvraag bijzondere bijstand ingediend")
        expect(step).to_contain_text("Benoemingsbeschikking: beschikking.pdf")
        expect(step).to_contain_text("Nota periodieke kosten: nota.pdf")
        assert_accessible(page)

        # The consulent: the application waits in the list; the decision is recorded on the case.
        page = browser.new_context(bypass_csp=True).new_page()
        _login(page, base, COR, seeded["secrets"][COR], "/bijzondere-bijstand")
        new = page.locator("table", has=page.locator("caption", has_text="Aanvragen zonder besluit"))
        expect(new.get_by_role("row", name=case.reference)).to_contain_text("Bewindvoering De Brug")
        assert_accessible(page)
        new.get_by_role("link", name=case.reference).click()
        page.wait_for_url(f"{base}/dossiers/{case.id}#verloop")
        page.locator("summary", has_text="Besluit bijzondere bijstand").click()
        page.locator("#m-besluit_bijzondere_bijstand-milestone_date").fill(local_today().isoformat())
        page.locator("#m-besluit_bijzondere_bijstand-choice").select_option("toegekend")
        page.locator("#m-besluit_bijzondere_bijstand-milestone_date").locator("xpath=ancestor::form").get_by_role(
            "button", name="Vastleggen"
        ).click()
        page.wait_for_url("**?gelukt=stap#verloop")
        page.get_by_role("link", name="Bijzondere bijstand").click()
        page.wait_for_url(f"{base}/bijzondere-bijstand")
        expect(page.get_by_text("Er wacht geen aanvraag op een besluit.")).to_be_visible()
        decided = page.locator("table", has=page.locator("caption", has_text="Aanvragen met een besluit"))
        expect(decided.get_by_role("row", name=case.reference)).to_contain_text("Toegekend")
        assert_accessible(page)

        # The contractmanager's check of §2.3: this case's 12 months are far away, so the kantoor counts none.
        page = browser.new_context(bypass_csp=True).new_page()
        _login(page, base, CARLA, seeded["secrets"][CARLA], "/aanmelding-schuldhulp")
        expect(page.get_by_role("row", name="Bewindvoering De Brug 0 0")).to_be_visible()
        expect(page.get_by_role("link", name=case.reference)).to_have_count(0)
        assert_accessible(page)
