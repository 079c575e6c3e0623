"""The operator's mail page in a real Chromium: accessible (axe, WCAG 2.1 AA), a failed mail and a demo .eml file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crypto import Keyring
from hub import migrate
from hub.accounts.auth import STAGE_FULL, AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import OrganisationService, UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction
from hub.keys import create_keyring
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.notifications.sender import FileSender
from hub.web.cookies import CookiePolicy
from tests.support.browser import assert_accessible, chromium, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser


async def _seed(url: str, keyring: Keyring) -> str:
    """A functioneel beheerder with a full session, one failed and one sent mail; returns the session token."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            beheer = await OrganisationService(db).create(OrgKind.BEHEER, "Beheer")
            gemeente = await OrganisationService(db).create(OrgKind.GEMEENTE, "Gemeente Nijmegen")
            user, _ = await UserService(db).create(
                beheer, name="Fred Beheer", email="fb@beheer.example.nl", roles={Role.FUNCTIONEEL_BEHEERDER},
                password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            now = datetime(2026, 5, 11, 8, tzinfo=UTC)
            db.add_all([
                OutboxMail(kind=MailKind.NIEUW_BERICHT.value, recipient_address="km@nijmegen.example.nl",
                           organisation_id=gemeente.id, status=MailStatus.FAILED.value, attempts=1,
                           last_error="550 5.1.1 <adres>: mailbox unavailable", created_at=now, next_attempt_at=now),
                OutboxMail(kind=MailKind.DIGEST.value, recipient_address="cbb@nijmegen.example.nl",
                           organisation_id=gemeente.id, status=MailStatus.SENT.value, attempts=1, sent_at=now,
                           created_at=now, next_attempt_at=now),
            ])  # fmt: skip
            token, _ = await AuthService(db, keyring).start_session(user, STAGE_FULL)
            return token
    finally:
        await engine.dispose()


def test_mail_page_is_accessible(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    token = asyncio.run(_seed(settings.database_url, keyring))
    demo = EmailMessage()
    demo["Subject"], demo["To"], demo["From"] = "Nieuw bericht voor Gemeente Nijmegen", "km@example.nl", "hub@localhost"
    demo.set_content("Er staat een nieuw bericht klaar.")
    name = FileSender(settings.mail_dir).write(demo.as_bytes())

    with serve_in_thread(settings) as base, chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # only so axe's script can be injected
        context.add_cookies([{"name": CookiePolicy(https=False).session_name, "value": token, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/beheer/mail")
        expect(page.get_by_role("heading", name="E-mail", exact=True)).to_be_visible()
        expect(page.get_by_text("550 5.1.1 <adres>: mailbox unavailable").first).to_be_visible()
        expect(page.get_by_role("button", name="Opnieuw versturen")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name=name).click()
        page.wait_for_url(f"**/beheer/mail/{name}")
        assert "Subject: Nieuw bericht voor Gemeente Nijmegen" in page.content()
