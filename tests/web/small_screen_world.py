"""The demo hub with the awkward data real people have (long file names, addresses, subjects), served for a real
Chromium: the world of the small-screen, error-focus, Dutch-date and no-JavaScript browser tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from hub import demo, migrate
from hub.accounts import totp
from hub.accounts.auth import STAGE_FULL, AuthService
from hub.accounts.models import Organisation, User
from hub.accounts.roles import Role
from hub.accounts.services import UserService
from hub.cases.models import Case, CaseStatus
from hub.config import Settings
from hub.documents.components import blobs_of
from hub.documents.demo import demo_pdf
from hub.documents.models import DocumentType
from hub.documents.services import DocumentService
from hub.keys import create_keyring
from hub.runtime import open_runtime
from hub.web.cookies import CookiePolicy
from tests.support.browser import chromium, serve_in_thread

LONG_FILENAME = "cak-nota-januari-2026-definitieve-versie-na-correctie-door-de-gemeente-nijmegen-getekend.pdf"
LONG_EMAIL = "annemarie.van.der.heijden-bloemendaal@bewindvoering-de-brug-en-partners.example.nl"
# The roles whose pages the reflow test visits, by the demo's e-mail address.
ROLE_EMAILS = {
    "bewindvoerder": "bewindvoerder@bewindvoering-brug.example.nl",
    "kantoorbeheerder": "kantoorbeheerder@bewindvoering-brug.example.nl",
    "klantmanager": "klantmanager@nijmegen.example.nl",
    "consulent": "consulent@nijmegen.example.nl",
    "contractmanager": "contractmanager@nijmegen.example.nl",
    "gemeentebeheerder": "gemeentebeheerder@nijmegen.example.nl",
    "fg": "functionaris@nijmegen.example.nl",
    "functioneel": "functioneel@beheer.example.nl",
}


@dataclass
class SmallScreenWorld:
    base: str
    browser: Any
    settings: Settings
    tokens: dict[str, str]  # a full session per role
    accounts: dict[str, demo.DemoAccount]  # by e-mail address
    case_id: str  # a running case of the bewindvoerder with Nijmegen, holding the long-named document
    reference: str

    def page_as(self, role: str, width: int = 1024, **options: Any) -> Any:
        """A new page logged in as ``role`` (by cookie), ``width`` px wide."""
        context = self.browser.new_context(
            bypass_csp=True,  # only so axe's script can be injected
            viewport={"width": width, "height": 800},
            **options,
        )
        name = CookiePolicy(https=False).session_name
        context.add_cookies([{"name": name, "value": self.tokens[role], "url": self.base}])
        return context.new_page()

    def totp_code(self, email: str) -> str:
        return totp.code_at(totp.secret_from_base32(self.accounts[email].totp_secret), time.time())


async def _seed(settings: Settings) -> tuple[list[demo.DemoAccount], dict[str, str], str, str]:
    async with open_runtime(settings) as runtime:
        accounts = await demo.seed(runtime)
        async with runtime.transaction() as db:
            users = {u.email: u for u in (await db.execute(select(User))).scalars()}
            bea = users[ROLE_EMAILS["bewindvoerder"]]
            gemeente_id = users[ROLE_EMAILS["klantmanager"]].organisation_id
            case = (
                (
                    await db.execute(
                        select(Case)
                        .where(col(Case.bewindvoerder_id) == bea.id, col(Case.status) != CaseStatus.BEEINDIGD.value)
                        .where(col(Case.beschikking_date).is_not(None), col(Case.gemeente_id) == gemeente_id)
                        .order_by(col(Case.reference))
                    )
                )
                .scalars()
                .first()
            )
            assert case is not None
            pdf = demo_pdf("CAK-nota", ["Voorbeelddocument - fictieve gegevens"])

            async def once() -> Any:
                yield pdf

            await DocumentService(db, runtime.keyring, blobs_of(runtime)).store(
                bea, case, doc_type=DocumentType.CAK_NOTA, document_date=date(2026, 1, 15),
                filename=LONG_FILENAME, chunks=once(), max_bytes=1024 * 1024,
            )  # fmt: skip
            kantoor = await db.get(Organisation, bea.organisation_id)
            assert kantoor is not None
            await UserService(db).create(
                kantoor, name="Annemarie van der Heijden-Bloemendaal", email=LONG_EMAIL,
                roles={Role.BEWINDVOERDER}, password="een-lang-wachtwoord-voor-de-test", must_change_password=False,
            )  # fmt: skip
            auth = AuthService(db, runtime.keyring)
            tokens = {role: (await auth.start_session(users[e], STAGE_FULL))[0] for role, e in ROLE_EMAILS.items()}
            return accounts, tokens, case.id, case.reference


@contextmanager
def small_screen_world(data_dir: Path) -> Iterator[SmallScreenWorld]:
    settings = Settings.for_data_dir(data_dir, HUB_WORKER="off", HUB_CLAMD="off")
    settings.data_dir.mkdir(parents=True)
    create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    accounts, tokens, case_id, reference = asyncio.run(_seed(settings))
    with serve_in_thread(settings) as base, chromium() as browser:
        yield SmallScreenWorld(base, browser, settings, tokens, {a.email: a for a in accounts}, case_id, reference)
