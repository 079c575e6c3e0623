"""A real Chromium: a bewindvoerder asks about a case, a klantmanager sees the due moment and answers with a file
(the multipart reply form, streamed into the vault), the bewindvoerder thanks without starting a term; axe checks the
inbox, the new-question form and the thread pages."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
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
from hub.cases.models import Case
from hub.cases.records import local_today
from hub.config import Settings
from hub.db import create_engine, new_id, session_factory, transaction, utcnow
from hub.keys import create_keyring
from hub.messaging.models import Thread
from hub.terms import describe_due, werkdag_on_or_after
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


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
                (kantoor, "Bea Bewind", "bea@brug.example.nl", Role.BEWINDVOERDER),
                (gemeente, "Karim Klant", "karim@nijmegen.example.nl", Role.KLANTMANAGER),
                (gemeente, "Carla Contract", "carla@nijmegen.example.nl", Role.CONTRACTMANAGER),
            ):
                user, _ = await users.create(
                    org, name=name, email=email, roles={role}, password=PASSWORD, must_change_password=False
                )
                secrets[email] = totp.new_secret()
                await auth.set_totp_secret(user, secrets[email])
                people[email] = user
            case_id = new_id()

            def enc(column: str, value: str) -> bytes:
                return encrypt_field(keyring, value, context=field_context("dossier", column, case_id))

            db.add(
                Case(
                    id=case_id,
                    reference="2026-000042",
                    convenant_id=convenant.id,
                    gemeente_id=gemeente.id,
                    kantoor_id=kantoor.id,
                    client_name=enc("client_name", "Jan Jansen"),
                    bsn=enc("bsn", "111222333"),
                    bsn_index=hashlib.sha256(case_id.encode()).hexdigest(),
                    birth_date=enc("birth_date", "1970-01-01"),
                    bewind_kind="schuldenbewind",
                    beschikking_date=date(2025, 6, 1),
                    bewind_start_date=date(2025, 6, 1),
                    rechtbank="Rechtbank Gelderland",
                    created_by=people["bea@brug.example.nl"].id,
                )
            )
    finally:
        await engine.dispose()
    return {"case_id": case_id, "secrets": secrets}


async def _thread_due(url: str) -> str:
    from sqlalchemy import select
    from sqlmodel import col

    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            due = (await db.execute(select(col(Thread.current_due_at)))).scalar_one()
    finally:
        await engine.dispose()
    assert due is not None
    return describe_due(due, utcnow())


def test_bewindvoerder_asks_and_klantmanager_answers(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    secrets = seeded["secrets"]
    with serve_in_thread(settings) as base, chromium() as browser:
        bea_context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        bea = bea_context.new_page()
        log_in(bea, base, "bea@brug.example.nl", secrets["bea@brug.example.nl"])
        bea.get_by_role("link", name="Berichten").click()
        bea.wait_for_url(f"{base}/berichten")
        expect(bea.get_by_text("Er wachten geen gesprekken op een reactie van uw organisatie.")).to_be_visible()
        assert_accessible(bea)

        bea.goto(f"{base}/berichten/nieuw?dossier={seeded['case_id']}")
        expect(bea.get_by_text("2026-000042")).to_be_visible()
        assert_accessible(bea)
        bea.get_by_label("Onderwerp").fill("Stand van de aanvraag bijzondere bijstand")
        bea.get_by_label("Uw vraag").fill("Goedemorgen,\n\nIs er al een besluit?\n\nMet vriendelijke groet")
        bea.get_by_role("button", name="Vraag versturen").click()
        bea.wait_for_url("**/berichten/*?gelukt=gestart")
        expect(bea.get_by_text("Uw vraag is verstuurd.")).to_be_visible()
        expect(bea.get_by_text("nog niet gelezen")).to_be_visible()
        assert_accessible(bea)

        karim_context = browser.new_context(bypass_csp=True)
        karim = karim_context.new_page()
        log_in(karim, base, "karim@nijmegen.example.nl", secrets["karim@nijmegen.example.nl"])
        karim.get_by_role("link", name="Berichten").click()
        karim.wait_for_url(f"{base}/berichten")
        # Playwright's sync API runs an event loop in this thread: read the database from another one.
        with ThreadPoolExecutor(1) as pool:
            words = pool.submit(asyncio.run, _thread_due(settings.database_url)).result()
        row = karim.get_by_role("row", name="Stand van de aanvraag bijzondere bijstand")
        assert words in row.inner_text()
        assert "Nieuw" in row.inner_text()
        assert "Bewindvoering De Brug" in row.inner_text()
        assert_accessible(karim)

        row.get_by_role("link", name="Stand van de aanvraag bijzondere bijstand").click()
        karim.wait_for_url("**/berichten/*")
        expect(karim.get_by_text("Uw organisatie is een reactie verschuldigd")).to_be_visible()
        expect(karim.get_by_text("Ontvangen op")).to_be_visible()
        assert_accessible(karim)
        karim.get_by_label("Uw bericht").fill("Goedemiddag,\n\nDe aanvraag is toegekend. Het besluit zit erbij.")
        karim.get_by_label("Inhoudelijke reactie").check()
        besluit = tmp_path / "besluit bijzondere bijstand.pdf"
        besluit.write_bytes(b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF\n")
        karim.get_by_label("Soort document").select_option("overig")
        karim.get_by_label("Datum van het document").fill("2026-03-02")
        karim.get_by_label("Bestand", exact=True).set_input_files(besluit)
        karim.get_by_role("button", name="Versturen").click()
        karim.wait_for_url("**/berichten/*?gelukt=verstuurd*")
        expect(karim.get_by_text("Uw bericht is verstuurd.")).to_be_visible()
        expect(karim.get_by_text("Binnen termijn")).to_be_visible()
        expect(karim.get_by_role("link", name="besluit bijzondere bijstand.pdf")).to_be_visible()
        assert_accessible(karim)

        bea.reload()
        expect(bea.get_by_text("Gelezen door Gemeente Nijmegen op")).to_be_visible()
        expect(bea.get_by_text("De aanvraag is toegekend.")).to_be_visible()
        expect(bea.get_by_role("link", name="besluit bijzondere bijstand.pdf")).to_be_visible()
        # A thank-you: a message without a question starts no term for the gemeente.
        bea.get_by_label("Uw bericht").fill("Dank u wel!")
        bea.get_by_label("Bericht zonder vraag (geen reactie nodig)").check()
        bea.get_by_role("button", name="Versturen").click()
        bea.wait_for_url("**/berichten/*?gelukt=verstuurd*")
        expect(bea.get_by_text("Uw bericht is verstuurd.")).to_be_visible()
        expect(bea.get_by_text("Dank u wel!")).to_be_visible()
        assert_accessible(bea)
        karim.goto(f"{base}/berichten")
        expect(karim.get_by_text("Er wachten geen gesprekken op een reactie van uw organisatie.")).to_be_visible()
        # The inbox's case filter, with a number that is not found: a message at the field, still accessible.
        karim.get_by_label("Dossiernummer").fill("2026-999999")
        karim.get_by_role("button", name="Filteren").click()
        karim.wait_for_url("**/berichten?*dossiernummer=2026-999999*")
        expect(karim.get_by_role("alert")).to_be_visible()
        assert_accessible(karim)
        bea_context.close()
        karim_context.close()

        carla_context = browser.new_context(bypass_csp=True)
        carla = carla_context.new_page()
        log_in(carla, base, "carla@nijmegen.example.nl", secrets["carla@nijmegen.example.nl"])
        carla.goto(f"{base}/berichten")
        carla.get_by_role("link", name="Sluitingsdagen van de gemeente").click()
        carla.wait_for_url(f"{base}/instellingen/sluitingsdagen")
        assert_accessible(carla)
        carla.get_by_role("button", name="Sluitingsdag toevoegen").click()
        expect(carla.get_by_text("Vul de datum van de sluitingsdag in.").first).to_be_visible()
        assert_accessible(carla)
        day = werkdag_on_or_after(local_today() + timedelta(days=40))
        carla.get_by_label("Datum").fill(day.isoformat())
        carla.get_by_label("Omschrijving").fill("Studiedag")
        carla.get_by_role("button", name="Sluitingsdag toevoegen").click()
        carla.wait_for_url("**/instellingen/sluitingsdagen?gelukt=toegevoegd")
        expect(carla.get_by_role("cell", name="Studiedag")).to_be_visible()
        assert_accessible(carla)
        carla_context.close()
