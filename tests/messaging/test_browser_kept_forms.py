"""In a real Chromium: a reply typed while the session ran out is back in the thread after logging in again, with the
notice; the idle warning appears before the end and "Ingelogd blijven" renews the session; blocking a user asks for
confirmation first. axe checks every state (WCAG 2.1 AA). One database and one browser for the module."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlmodel import col

from crypto import Keyring
from hub import migrate
from hub.accounts import totp
from hub.accounts.auth import AuthService
from hub.accounts.models import Organisation, User, UserSession
from hub.accounts.roles import Role
from hub.accounts.services import UserService
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction, utcnow
from hub.keys import create_keyring
from hub.web.kept_forms import KEPT_NOTICE
from tests.messaging.test_browser_messaging import _seed
from tests.messaging.test_browser_reply_form import ask
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread
from tests.support.hubclient import PASSWORD

pytestmark = pytest.mark.browser

TYPED = "Goedemiddag,\n\nHet besluit volgt deze week. Ik stuur de beschikking zodra ik die heb."


@dataclass
class Seeded:
    data_dir: Path
    url: str
    case_id: str
    secrets: dict[str, bytes]


def in_thread(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Playwright's sync API runs an event loop in this thread: use the database from another one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _add_kantoorbeheerder(url: str, keyring: Keyring) -> bytes:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            kantoor = (
                await db.execute(select(Organisation).where(col(Organisation.name) == "Bewindvoering De Brug"))
            ).scalar_one()
            user, _ = await UserService(db).create(
                kantoor, name="Kees Beheer", email="kees@brug.example.nl", roles={Role.KANTOORBEHEERDER},
                password=PASSWORD, must_change_password=False,
            )  # fmt: skip
            secret = totp.new_secret()
            await AuthService(db, keyring).set_totp_secret(user, secret)
            return secret
    finally:
        await engine.dispose()


async def _end_sessions(url: str, email: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            user = (await db.execute(select(User).where(col(User.email) == email))).scalar_one()
            await db.execute(
                update(UserSession)
                .where(col(UserSession.user_id) == user.id)
                .values(last_seen_at=utcnow() - timedelta(hours=1))
            )
    finally:
        await engine.dispose()


async def _last_seen(url: str, email: str) -> Any:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            user = (await db.execute(select(User).where(col(User.email) == email))).scalar_one()
            return (
                await db.execute(select(col(UserSession.last_seen_at)).where(col(UserSession.user_id) == user.id))
            ).scalar_one()
    finally:
        await engine.dispose()


async def _disabled(url: str, email: str) -> bool:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            user = (await db.execute(select(User).where(col(User.email) == email))).scalar_one()
            return user.disabled
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    data_dir = tmp_path_factory.mktemp("kept") / "data"
    settings = Settings.for_data_dir(data_dir, HUB_WORKER="off")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    found = asyncio.run(_seed(settings.database_url, keyring))
    secrets = dict(found["secrets"])
    secrets["kees@brug.example.nl"] = asyncio.run(_add_kantoorbeheerder(settings.database_url, keyring))
    return Seeded(data_dir, settings.database_url, found["case_id"], secrets)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _settings(seeded: Seeded, **extra: str) -> Settings:
    return Settings.for_data_dir(seeded.data_dir, HUB_WORKER="off", **extra)


def test_a_reply_typed_while_the_session_ran_out_is_back_after_logging_in(seeded: Seeded, browser: Any) -> None:
    with serve_in_thread(_settings(seeded)) as base:
        page = browser.new_context(bypass_csp=True).new_page()  # bypass_csp: only so axe's script can be injected
        log_in(page, base, "bea@brug.example.nl", seeded.secrets["bea@brug.example.nl"])
        ask(page, base, seeded.case_id, "Stand van de aanvraag")
        thread_url = page.url.split("?")[0]
        page.get_by_label("Uw bericht").fill(TYPED)
        in_thread(_end_sessions(seeded.url, "bea@brug.example.nl"))  # lunch: the session runs out
        page.get_by_role("button", name="Versturen").click()

        page.wait_for_url("**/inloggen?**")
        expect(page.get_by_role("status")).to_contain_text("Uw sessie is verlopen.")
        assert_accessible(page)
        page.get_by_label("E-mailadres").fill("bea@brug.example.nl")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/inloggen/mfa**")
        step = int(time.time()) // totp.STEP + 1  # a code newer than the one of the first login
        page.get_by_label("Code uit uw authenticator-app").fill(
            totp.code_at(seeded.secrets["bea@brug.example.nl"], step * totp.STEP)
        )
        page.get_by_role("button", name="Inloggen").click()

        page.wait_for_url(thread_url)
        expect(page.locator("#teruggezet")).to_have_text(KEPT_NOTICE)
        expect(page.get_by_label("Uw bericht")).to_have_value(TYPED)
        assert_accessible(page)
        # Nothing was sent: the thread still holds the question only.
        expect(page.locator("ol.messages > li.message")).to_have_count(1)
        page.get_by_role("button", name="Versturen").click()
        page.wait_for_url("**/berichten/*")
        expect(page.locator("ol.messages > li.message")).to_have_count(2)
        expect(page.locator("ol.messages .message-body").last).to_contain_text("Het besluit volgt deze week.")


def test_the_idle_warning_offers_to_stay_logged_in(seeded: Seeded, browser: Any) -> None:
    settings = _settings(seeded, HUB_SESSION_IDLE_SECONDS="10", HUB_SESSION_WARNING_SECONDS="8")
    with serve_in_thread(settings) as base:
        page = browser.new_context(bypass_csp=True).new_page()
        log_in(page, base, "karim@nijmegen.example.nl", seeded.secrets["karim@nijmegen.example.nl"])
        dialog = page.get_by_role("dialog", name="Uw sessie verloopt bijna")
        expect(dialog).to_be_visible(timeout=6000)
        expect(dialog.get_by_role("button", name="Ingelogd blijven")).to_be_focused()
        assert_accessible(page)
        before = in_thread(_last_seen(seeded.url, "karim@nijmegen.example.nl"))
        dialog.get_by_role("button", name="Ingelogd blijven").click()
        expect(dialog).to_be_hidden()  # closed only on the server's answer; a failure says the session ended
        assert in_thread(_last_seen(seeded.url, "karim@nijmegen.example.nl")) > before  # the idle time starts again
        # The script counts from the new end: the warning comes back, and lets the session end if ignored.
        expect(dialog).to_be_visible(timeout=6000)
        expect(dialog.get_by_role("button", name="Sluiten")).to_be_hidden()
        expect(page.get_by_role("dialog", name="Uw sessie is verlopen")).to_be_visible(timeout=10000)
        page.goto(f"{base}/berichten")
        page.wait_for_url("**/inloggen?**")


def test_blocking_a_user_asks_for_confirmation_first(seeded: Seeded, browser: Any) -> None:
    with serve_in_thread(_settings(seeded)) as base:
        page = browser.new_context(bypass_csp=True).new_page()
        log_in(page, base, "kees@brug.example.nl", seeded.secrets["kees@brug.example.nl"])
        page.goto(f"{base}/gebruikers")
        page.get_by_role("link", name="Blokkeren Bea Bewind").click()
        expect(page.get_by_role("heading", name="Gebruiker blokkeren?")).to_be_visible()
        expect(page.get_by_text("Bea Bewind kan daarna niet meer inloggen.")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Annuleren").click()
        page.wait_for_url(f"{base}/gebruikers")
        assert not in_thread(_disabled(seeded.url, "bea@brug.example.nl"))

        page.get_by_role("link", name="Tweestapsverificatie herstellen voor Bea Bewind").click()
        expect(page.get_by_role("heading", name="Tweestapsverificatie herstellen?")).to_be_visible()
        assert_accessible(page)
        page.go_back()
        page.get_by_role("link", name="Blokkeren Bea Bewind").click()
        page.get_by_role("button", name="Ja, blokkeren").click()
        page.wait_for_url("**/gebruikers?gelukt=geblokkeerd")
        expect(page.get_by_role("status")).to_contain_text("De gebruiker is geblokkeerd.")
        assert in_thread(_disabled(seeded.url, "bea@brug.example.nl"))
