"""A real Chromium uploads a document on the case page, the other party downloads it; a refused upload shows its
reason; axe checks the case page with its documents and the refusal page."""

from __future__ import annotations

import asyncio
import os
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
from tests.documents.conftest import executable_bytes
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

BEA = "bea@brug.example.nl"
KARIM = "karim@nijmegen.example.nl"


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs, users, auth = OrganisationService(db), UserService(db), AuthService(db, keyring)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            secrets: dict[str, bytes] = {}
            people = {}
            for org, name, email, role in (
                (kantoor, "Bea Bewind", BEA, Role.BEWINDVOERDER),
                (gemeente, "Karim Klant", KARIM, Role.KLANTMANAGER),
            ):
                user, _ = await users.create(
                    org, name=name, email=email, roles={role}, password=PASSWORD, must_change_password=False
                )
                secrets[email] = totp.new_secret()
                await auth.set_totp_secret(user, secrets[email])
                people[email] = user
        async with transaction(session_factory(engine)) as db:
            case = await CaseService(db, keyring).open_case(
                people[BEA],
                convenant_id=convenant.id,
                client_name="Jan Jansen",
                bsn="111222333",
                birth_date=date(1970, 3, 1),
                bewind_kind="schuldenbewind",
                beschikking_date=date(2025, 6, 1),
                bewind_start_date=date(2025, 6, 1),
                rechtbank="Rechtbank Gelderland",
            )
    finally:
        await engine.dispose()
    return {"case_id": case.id, "secrets": secrets}


def _upload(page: Any, path: Path, doc_type: str) -> None:
    row = page.get_by_role("group", name="Bestand 1", exact=True)
    row.get_by_label("Soort document").select_option(doc_type)
    row.get_by_label("Datum van het document").fill("2026-01-15")
    row.get_by_label("Bestand", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Documenten uploaden").click()


def test_upload_and_download_in_the_browser(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    case_url = f"/dossiers/{seeded['case_id']}"
    content = b"%PDF-1.7\n" + os.urandom(400_000) + b"\n%%EOF\n"
    sample = tmp_path / "Nota periodieke kosten — mei.pdf"
    sample.write_bytes(content)
    bad = tmp_path / "factuur.pdf"
    bad.write_bytes(executable_bytes())

    with serve_in_thread(settings) as base, chromium() as browser:
        bea_context = browser.new_context(bypass_csp=True, accept_downloads=True)  # bypass: only for axe's script
        bea = bea_context.new_page()
        log_in(bea, base, BEA, seeded["secrets"][BEA])
        bea.goto(base + case_url)
        expect(bea.get_by_text("Er zijn nog geen documenten in dit dossier.")).to_be_visible()
        assert_accessible(bea)

        _upload(bea, sample, "nota_periodieke_kosten")
        bea.wait_for_url(f"{base}{case_url}?gelukt=document")
        expect(bea.get_by_role("status").filter(has_text="Het document is opgeslagen")).to_be_visible()
        link = bea.get_by_role("link", name="Nota periodieke kosten — mei.pdf downloaden")
        expect(link).to_be_visible()
        assert_accessible(bea)

        _upload(bea, bad, "overig")
        expect(bea.get_by_role("heading", name="Document niet opgeslagen")).to_be_visible()
        expect(bea.get_by_text("Alleen PDF, JPEG, PNG, TIFF, DOCX en ODT zijn toegestaan.").first).to_be_visible()
        assert_accessible(bea)

        karim_context = browser.new_context(accept_downloads=True)
        karim = karim_context.new_page()
        log_in(karim, base, KARIM, seeded["secrets"][KARIM])
        karim.goto(base + case_url)
        with karim.expect_download() as info:
            karim.get_by_role("link", name="Nota periodieke kosten — mei.pdf downloaden").click()
        download = info.value
        assert download.suggested_filename == "Nota periodieke kosten — mei.pdf"
        assert Path(download.path()).read_bytes() == content
        bea_context.close()
        karim_context.close()
