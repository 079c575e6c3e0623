"""A real Chromium on the reply form: the asking side sees only what it can send; a klantmanager who owes the answer
reads, before sending, what the preselected kind does ("Hiermee stopt de termijn van uiterlijk ..."), types the answer,
sends with the default, and the term is stopped; a procesafspraak on a Saturday comes back with the next werkdag filled
in and goes through when sent again. axe checks every state of the form."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import col

from hub import migrate
from hub.config import Settings
from hub.db import create_engine, session_factory, transaction, utcnow
from hub.keys import create_keyring
from hub.messaging.models import Clock
from hub.terms import AMSTERDAM, default_calendar, format_datum
from hub.web.forms import date_text
from hub.web.templating import datum
from tests.messaging.test_browser_messaging import _seed
from tests.support.browser import assert_accessible, chromium, log_in, serve_in_thread

pytestmark = pytest.mark.browser


async def _clocks(url: str) -> list[Clock]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as db:
            return list((await db.execute(select(Clock).order_by(col(Clock.started_at)))).scalars())
    finally:
        await engine.dispose()


def clocks(url: str) -> list[Clock]:
    """Playwright's sync API runs an event loop in this thread: read the database from another one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _clocks(url)).result()


def ask(page: Any, base: str, case_id: str, subject: str, button: str = "Vraag versturen") -> None:
    page.goto(f"{base}/berichten/nieuw?dossier={case_id}")
    page.get_by_label("Onderwerp").fill(subject)
    page.get_by_label("Uw vraag").fill("Goedemorgen,\n\nKunt u hiernaar kijken?")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/berichten/*?gelukt=gestart")


def test_the_reply_form_defaults_and_explains_before_sending(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    seeded = asyncio.run(_seed(settings.database_url, keyring))
    secrets, case_id = seeded["secrets"], seeded["case_id"]
    with serve_in_thread(settings) as base, chromium() as browser:
        bea = browser.new_context(bypass_csp=True).new_page()  # bypass_csp: only so axe's script can be injected
        log_in(bea, base, "bea@brug.example.nl", secrets["bea@brug.example.nl"])
        ask(bea, base, case_id, "Stand van de aanvraag")
        [clock] = clocks(settings.database_url)
        due = format_datum(clock.due_at)
        # The asking side: a reminder (the default) or a thank-you; no answer, no procesafspraak.
        expect(bea.get_by_label("Aanvulling of herinnering")).to_be_checked()
        expect(bea.get_by_label("Procesafspraak")).to_have_count(0)
        expect(bea.get_by_label("Inhoudelijke reactie")).to_have_count(0)
        expect(bea.get_by_label("Aanvulling of herinnering")).to_have_accessible_description(
            re.compile(f"De termijn loopt door \\(uiterlijk {due}\\)\\.")
        )
        assert_accessible(bea)

        karim = browser.new_context(bypass_csp=True).new_page()
        log_in(karim, base, "karim@nijmegen.example.nl", secrets["karim@nijmegen.example.nl"])
        karim.goto(f"{base}/berichten/{clock.thread_id}")
        answer = karim.get_by_label("Inhoudelijke reactie")
        expect(answer).to_be_checked()  # the safe default: the answer that stops the term
        explanation = f"Hiermee stopt de termijn van uiterlijk {due}."
        expect(karim.locator("#kind-inhoudelijke_reactie-effect")).to_have_text(explanation)
        expect(karim.locator("#kind-inhoudelijke_reactie-effect")).to_be_visible()
        expect(answer).to_have_accessible_description(re.compile(re.escape(explanation)))
        expect(karim.get_by_label("Bericht zonder vraag (geen reactie nodig)")).to_have_accessible_description(
            re.compile(re.escape(f"De termijn loopt door (uiterlijk {due})."))
        )
        assert_accessible(karim)
        karim.get_by_label("Uw bericht").fill("Goedemiddag,\n\nDe aanvraag is toegekend.")
        karim.get_by_role("button", name="Versturen").click()
        karim.wait_for_url("**/berichten/*?gelukt=verstuurd*")
        expect(karim.get_by_text("Binnen termijn")).to_be_visible()
        [clock] = clocks(settings.database_url)
        assert clock.stopped_at is not None and clock.stop_kind == "reactie" and clock.in_time is True

        # The klantmanager asks; the bewindvoerder agrees on a Saturday: shown again with the next werkdag.
        ask(karim, base, case_id, "Ontbrekende stukken")
        bea.goto(f"{base}/berichten/{clocks(settings.database_url)[-1].thread_id}")
        bea.get_by_label("Procesafspraak").check()
        today = utcnow().astimezone(AMSTERDAM).date()
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        instead = default_calendar().next_werkdag(saturday)
        bea.get_by_label("Uw bericht").fill("Wij vragen de stukken op.")
        bea.get_by_label("Afgesproken datum").fill(saturday.isoformat())
        bea.get_by_role("button", name="Versturen").click()
        expect(bea.get_by_role("alert")).to_contain_text(f"{format_datum(saturday)} is geen werkdag.")
        expect(bea.get_by_label("Afgesproken datum")).to_have_value(date_text(instead))  # the Dutch way
        expect(bea.get_by_label("Procesafspraak")).to_be_checked()
        assert_accessible(bea)
        bea.get_by_role("button", name="Versturen").click()
        bea.wait_for_url("**/berichten/*?gelukt=verstuurd*")
        expect(bea.get_by_text(f"Afgesproken datum: {datum(instead)}")).to_be_visible()
        assert_accessible(bea)
