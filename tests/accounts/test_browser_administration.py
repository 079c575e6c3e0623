"""A real Chromium (issue 15): a kantoorbeheerder writes an internal note on a case, edits a bewindvoerder, hands her
open work to a colleague and removes her; the functioneel beheerder searches users and opens an organisation and a
convenant. axe checks every page, error states included."""

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
from hub.accounts.models import User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cases.services import CaseService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    secrets: dict[str, bytes] = {}
    try:
        async with transaction(session_factory(engine)) as db:
            orgs = OrganisationService(db)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            beheer = await orgs.create(OrgKind.BEHEER, "Beheer")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            users: dict[str, User] = {}
            for key, org, name, role in (
                ("kees", kantoor, "Kees Beheer", Role.KANTOORBEHEERDER),
                ("bea", kantoor, "Bea Vertrek", Role.BEWINDVOERDER),
                ("bob", kantoor, "Bob Blijft", Role.BEWINDVOERDER),
                ("fb", beheer, "Fenna Functioneel", Role.FUNCTIONEEL_BEHEERDER),
            ):
                users[key], _ = await UserService(db).create(
                    org, name=name, email=f"{key}@example.nl", roles={role}, password=PASSWORD,
                    must_change_password=False,
                )  # fmt: skip
                secrets[key] = totp.new_secret()
                await AuthService(db, keyring).set_totp_secret(users[key], secrets[key])
        async with transaction(session_factory(engine)) as db:
            case = await CaseService(db, keyring).open_case(
                users["bea"], convenant_id=convenant.id, client_name="Pieter Jansen", bsn="111222333",
                birth_date=date(1970, 3, 1), bewind_kind="schuldenbewind", beschikking_date=date(2025, 6, 1),
                bewind_start_date=date(2025, 6, 1), rechtbank="Rechtbank Gelderland", bewindvoerder_id=users["bea"].id,
            )  # fmt: skip
    finally:
        await engine.dispose()
    return {"secrets": secrets, "users": users, "case": case, "kantoor": kantoor, "convenant": convenant}


def _login(page: Any, base: str, key: str, secret: bytes, then: str) -> None:
    page.goto(f"{base}/inloggen?volgende={then}")
    page.get_by_label("E-mailadres").fill(f"{key}@example.nl")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/inloggen/mfa**")
    page.get_by_label("Code uit uw authenticator-app").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{then}")


def test_notes_user_administration_and_search_in_the_browser(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    case, bea, secrets = seeded["case"], seeded["users"]["bea"], seeded["secrets"]

    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        page = context.new_page()
        _login(page, base, "kees", secrets["kees"], f"/dossiers/{case.id}")

        # An internal note: the empty one is refused on a page of its own, then saved and marked as internal.
        page.get_by_role("button", name="Notitie opslaan").click()
        expect(page.get_by_role("alert").get_by_text("Schrijf de notitie.")).to_be_visible()
        assert page.title().startswith("Fout:")
        assert_accessible(page)
        page.get_by_label("Interne notitie").fill("Cliënt belt liever na 14 uur.")
        page.get_by_role("button", name="Notitie opslaan").click()
        page.wait_for_url(f"{base}/dossiers/{case.id}?gelukt=notitie#notities")
        expect(page.get_by_text("Cliënt belt liever na 14 uur.")).to_be_visible()
        expect(page.get_by_text("Interne notitie — alleen zichtbaar voor Bewindvoering De Brug").first).to_be_visible()
        assert_accessible(page)

        # Edit Bea: a wrong address first.
        page.goto(f"{base}/gebruikers")
        page.get_by_role("link", name="Bea Vertrek", exact=True).click()
        page.wait_for_url(f"{base}/gebruikers/{bea.id}")
        expect(page.get_by_text(f"Dossier {case.reference}")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("E-mailadres").fill("geen adres")
        page.get_by_role("button", name="Gegevens opslaan").click()
        expect(page.get_by_role("alert").get_by_text("Vul een geldig e-mailadres in")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Naam").fill("Bea de Vries")
        page.get_by_label("E-mailadres").fill("bea.devries@example.nl")
        page.get_by_role("button", name="Gegevens opslaan").click()
        page.wait_for_url(f"{base}/gebruikers/{bea.id}?gelukt=gewijzigd")
        expect(page.get_by_role("heading", name="Bea de Vries")).to_be_visible()

        # Hand over her open work to Bob, then remove her.
        page.get_by_label("Alles overdragen aan").select_option(label="Bob Blijft")
        page.get_by_role("button", name="Overdragen").click()
        page.wait_for_url(f"{base}/gebruikers/{bea.id}?gelukt=overgedragen")
        expect(page.get_by_text("geen open dossiers of gesprekken")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Bea de Vries verwijderen").click()
        page.wait_for_url(f"{base}/gebruikers/{bea.id}/verwijderen")
        assert_accessible(page)
        page.get_by_role("button", name="Ja, Bea de Vries verwijderen").click()
        page.wait_for_url(f"{base}/gebruikers?gelukt=verwijderd")
        expect(page.get_by_text("Verwijderd", exact=True)).to_be_visible()
        context.close()

        # The functioneel beheerder: the user search (posted), an organisation, a convenant.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        _login(page, base, "fb", secrets["fb"], "/beheer/gebruikers")
        assert_accessible(page)
        page.get_by_label("Naam of e-mailadres").fill("blijft")
        page.get_by_role("button", name="Zoeken").click()
        expect(page.get_by_text("1 gebruiker gevonden")).to_be_visible()
        expect(page.get_by_role("link", name="Bob Blijft", exact=True)).to_be_visible()
        assert "blijft" not in page.url.lower()
        assert_accessible(page)
        page.goto(f"{base}/beheer/organisaties/{seeded['kantoor'].id}")
        assert_accessible(page)
        page.goto(f"{base}/beheer/convenanten/{seeded['convenant'].id}")
        page.get_by_role("button", name="Convenant beëindigen").click()
        expect(page.get_by_role("alert").get_by_text("Vul de einddatum in.")).to_be_visible()
        assert_accessible(page)
        context.close()
