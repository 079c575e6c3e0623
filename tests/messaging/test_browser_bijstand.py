"""A real Chromium: a bewindvoerder marks a case question "Gaat over bijzondere bijstand" (and cannot mark a general
question), the consulent bijzondere bijstand finds it tagged in the inbox and opens it; axe checks every state."""

from __future__ import annotations

import asyncio
import hashlib
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
from hub.cases.models import Case
from hub.config import Settings
from hub.db import create_engine, new_id, session_factory, transaction
from hub.keys import create_keyring
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

BEA, COR = "bea@brug.example.nl", "cor@nijmegen.example.nl"


async def _seed(url: str, keyring: Keyring) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            orgs, users, auth = OrganisationService(db), UserService(db), AuthService(db, keyring)
            gemeente = await orgs.create(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="shv@nijmegen.example.nl")
            kantoor = await orgs.create(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="info@brug.example.nl")
            convenant = await ConvenantService(db).create(gemeente.id, kantoor.id, date(2025, 1, 1))
            secrets: dict[str, bytes] = {}
            ids: dict[str, str] = {}
            for org, email, role in ((kantoor, BEA, Role.BEWINDVOERDER), (gemeente, COR, Role.CONSULENT)):
                user, _ = await users.create(
                    org, name=email.split("@")[0], email=email, roles={role}, password=PASSWORD,
                    must_change_password=False,
                )  # fmt: skip
                secrets[email] = totp.new_secret()
                await auth.set_totp_secret(user, secrets[email])
                ids[email] = user.id
            case_id = new_id()

            def enc(column: str, value: str) -> bytes:
                return encrypt_field(keyring, value, context=field_context("dossier", column, case_id))

            db.add(
                Case(
                    id=case_id, reference="2026-000042", convenant_id=convenant.id, gemeente_id=gemeente.id,
                    kantoor_id=kantoor.id, client_name=enc("client_name", "Jan Jansen"), bsn=enc("bsn", "111222333"),
                    bsn_index=hashlib.sha256(case_id.encode()).hexdigest(), birth_date=enc("birth_date", "1970-01-01"),
                    bewind_kind="schuldenbewind", beschikking_date=date(2025, 6, 1), bewind_start_date=date(2025, 6, 1),
                    rechtbank="Rechtbank Gelderland", created_by=ids[BEA],
                )
            )  # fmt: skip
    finally:
        await engine.dispose()
    return {"case_id": case_id, "secrets": secrets}


def test_a_question_about_bijzondere_bijstand_reaches_the_consulent(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    with serve_in_thread(settings) as base, chromium() as browser:
        bea_context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        bea = bea_context.new_page()
        log_in(bea, base, BEA, seeded["secrets"][BEA])

        # A general question cannot be about bijzondere bijstand: the form says why, keeps the input, stays usable.
        bea.goto(f"{base}/berichten/nieuw")
        bea.get_by_label("Een algemene vraag over het convenant").check()
        bea.get_by_label("Convenant met").select_option(label="Gemeente Nijmegen")
        bea.get_by_label("Gaat over bijzondere bijstand").check()
        bea.get_by_label("Onderwerp").fill("Beleid bijzondere bijstand")
        bea.get_by_label("Uw vraag").fill("Hoe gaat u om met aanvragen?")
        bea.get_by_role("button", name="Vraag versturen").click()
        refusal = "Bijzondere bijstand gaat altijd over een dossier: kies een dossier."
        expect(bea.get_by_text(refusal).first).to_be_visible()
        expect(bea.get_by_label("Gaat over bijzondere bijstand")).to_be_checked()
        assert_accessible(bea)

        bea.goto(f"{base}/berichten/nieuw?dossier={seeded['case_id']}")
        hint = "De consulenten bijzondere bijstand van de gemeente krijgen dan ook bericht"
        expect(bea.get_by_text(hint)).to_be_visible()
        assert_accessible(bea)
        bea.get_by_label("Gaat over bijzondere bijstand").check()
        bea.get_by_label("Onderwerp").fill("Aanvraag bijzondere bijstand bewindskosten")
        bea.get_by_label("Uw vraag").fill("De aanvraag en de beschikking staan in het dossier.")
        bea.get_by_role("button", name="Vraag versturen").click()
        bea.wait_for_url("**/berichten/*?gelukt=gestart")
        expect(bea.locator(".facts .tag", has_text="Bijzondere bijstand")).to_be_visible()
        assert_accessible(bea)
        bea_context.close()

        cor_context = browser.new_context(bypass_csp=True)
        cor = cor_context.new_page()
        log_in(cor, base, COR, seeded["secrets"][COR])
        cor.goto(f"{base}/berichten")
        row = cor.get_by_role("row", name="Aanvraag bijzondere bijstand bewindskosten")
        expect(row.locator(".tag", has_text="Bijzondere bijstand")).to_be_visible()
        assert_accessible(cor)
        row.get_by_role("link", name="Aanvraag bijzondere bijstand bewindskosten").click()
        cor.wait_for_url("**/berichten/*")
        expect(cor.get_by_text("De aanvraag en de beschikking staan in het dossier.")).to_be_visible()
        assert_accessible(cor)
        cor_context.close()
