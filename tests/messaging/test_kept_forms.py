"""Never lose what the user typed: a reply sent after the session ended is kept (encrypted, bound to the user, for a
short while) and put back into the same thread page after logging in again, never submitted by itself; another user
logging in with that browser never sees it; an expired one is gone; another site cannot plant one; redirects stay
local. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote

import httpx
from sqlalchemy import delete, func, select, update
from sqlmodel import col

from hub.accounts.auth import AuthService
from hub.accounts.kept_forms import KeptForm, purge_kept_forms
from hub.accounts.models import User, UserSession
from hub.db import utcnow
from hub.messaging.models import Message, Thread
from hub.web.kept_forms import KEPT_NOTICE
from tests.messaging.test_reply_upload import minimal_pdf, post_reply, reply_fields
from tests.messaging.world import World
from tests.support.hubclient import PASSWORD, HubClient, HubUnderTest, csrf_from

TYPED = "Beste Bea,\n\nDe aanvraag <is> binnen & wordt behandeld. Dit is een lange tekst die niet verloren mag gaan."
KEPT_COOKIE = "hub_kept"


async def _end_sessions(hub: HubUnderTest, user: User) -> None:
    """The user's sessions are past the idle limit (as if they had gone for lunch)."""
    async with hub.db() as db:
        await db.execute(
            update(UserSession)
            .where(col(UserSession.user_id) == user.id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )


async def _count(hub: HubUnderTest, model: type[KeptForm] | type[Message]) -> int:
    async with hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _log_in_again(hub: HubUnderTest, client: HubClient, user: User, target: str) -> str:
    """The login pages as the browser walks them from the page the hub sent it to; the final redirect's target."""
    page = await client.get(f"/inloggen?volgende={quote(target)}&bewaard=1")
    assert page.status_code == 200
    assert "Uw sessie is verlopen." in page.text
    response = await client.post(
        "/inloggen",
        data={"email": user.email, "password": PASSWORD, "volgende": target, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    await hub.reset_totp_replay_guard(user)
    fresh = await hub.reload(user)
    page = await client.get(f"/inloggen/mfa?volgende={quote(target)}")
    response = await client.post(
        "/inloggen/mfa",
        data={
            "code": hub.next_code(fresh, None),
            "volgende": target,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def _reply_after_the_end(world: World, client: HubClient, thread: Thread) -> httpx.Response:
    await _end_sessions(world.hub, world.klantmanager)
    return await post_reply(
        client, thread.id, reply_fields(client, TYPED, kind="vraag_om_informatie"), ("brief.pdf", minimal_pdf())
    )


async def test_a_reply_sent_after_the_session_ended_is_put_back_after_login(world: World) -> None:
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await hub.client_for(world.klantmanager)
    messages = await _count(hub, Message)

    response = await _reply_after_the_end(world, karim, thread)
    page = f"/berichten/{thread.id}"
    assert response.status_code == 303
    assert response.headers["location"] == f"/inloggen?volgende={quote(page)}&bewaard=1"
    assert karim.cookies.get(KEPT_COOKIE)
    assert await _count(hub, Message) == messages  # nothing was sent
    async with hub.db() as db:
        [row] = (await db.execute(select(KeptForm))).scalars().all()
        raw = (await db.execute(select(col(KeptForm.fields)))).scalar_one()
    assert row.user_id == world.klantmanager.id and row.return_path == page
    # Encrypted at rest: neither the text nor any word of it, nor the CSRF token, is in the row.
    assert b"lange tekst" not in raw and TYPED.encode() not in raw
    assert row.reference_hash != karim.cookies.get(KEPT_COOKIE)

    assert await _log_in_again(hub, karim, world.klantmanager, page) == page
    restored = await karim.get(page)
    assert restored.status_code == 200
    assert KEPT_NOTICE in restored.text
    assert f">{html.escape(TYPED, quote=False)}</textarea>" in restored.text
    # The chosen kind is checked again, instead of the page's default.
    assert re.search(r'value="vraag_om_informatie"[^>]*checked>', restored.text)
    assert not re.search(r'value="inhoudelijke_reactie"[^>]*checked>', restored.text)
    # Every form carries the new session's token (tokens are never kept, the page makes its own).
    assert len(set(re.findall(r'name="csrf_token" value="([^"]+)"', restored.text))) == 1
    assert f'{KEPT_COOKIE}=""' in restored.headers["set-cookie"]  # the cookie is cleared
    assert await _count(hub, KeptForm) == 0  # returned once, then gone
    assert await _count(hub, Message) == messages  # restoring never submits
    again = await karim.get(page)
    assert KEPT_NOTICE not in again.text and "lange tekst" not in again.text


async def test_another_user_logging_in_with_that_browser_does_not_get_it(world: World) -> None:
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await hub.client_for(world.klantmanager)
    await _reply_after_the_end(world, karim, thread)
    page = f"/berichten/{thread.id}"

    # Cas, a colleague who may read the same thread, logs in on the same browser.
    assert await _log_in_again(hub, karim, world.collega, page) == page
    seen = await karim.get(page)
    assert seen.status_code == 200
    assert KEPT_NOTICE not in seen.text and "lange tekst" not in seen.text
    assert await _count(hub, KeptForm) == 0  # removed unseen: Karim will not get it either


async def test_without_a_known_session_it_goes_to_the_first_login_of_that_browser(world: World) -> None:
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await hub.client_for(world.klantmanager)
    async with hub.db() as db:  # the worker purged the ended session (12 hours after its end): whose it was is unknown
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=13)))
    async with hub.db() as db:
        assert await AuthService(db, hub.runtime.keyring).purge_expired_sessions() == 1
    response = await post_reply(karim, thread.id, reply_fields(karim, TYPED), None)
    assert response.status_code == 303
    async with hub.db() as db:
        assert (await db.execute(select(col(KeptForm.user_id)))).scalar_one() is None
    page = f"/berichten/{thread.id}"
    # Karim first lands on the start page: the kept form is claimed by him, and waits for its page.
    assert await _log_in_again(hub, karim, world.klantmanager, "/") == "/"
    assert KEPT_NOTICE not in (await karim.get("/")).text
    async with hub.db() as db:
        assert (await db.execute(select(col(KeptForm.user_id)))).scalar_one() == world.klantmanager.id
    assert f">{html.escape(TYPED, quote=False)}</textarea>" in (await karim.get(page)).text


async def test_a_kept_form_expires(world: World) -> None:
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    karim = await hub.client_for(world.klantmanager)
    await _reply_after_the_end(world, karim, thread)
    async with hub.db() as db:
        await db.execute(update(KeptForm).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = f"/berichten/{thread.id}"
    assert await _log_in_again(hub, karim, world.klantmanager, page) == page
    assert KEPT_NOTICE not in (await karim.get(page)).text
    assert await _count(hub, KeptForm) == 0

    await _reply_after_the_end(world, karim, thread)  # and the worker's sweep removes what nobody came back for
    async with hub.db() as db:
        assert await purge_kept_forms(db, utcnow() + timedelta(minutes=31)) == 1
    assert await _count(hub, KeptForm) == 0


async def test_another_site_cannot_plant_a_form_and_redirects_stay_local(world: World) -> None:
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    stranger = hub.client()
    fields = [("csrf_token", "x"), ("body", "Klik op https://evil.example"), ("kind", "bericht")]
    response = await stranger.post(
        f"/berichten/{thread.id}/reageren",
        data=dict(fields),
        headers={"sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 403
    assert await _count(hub, KeptForm) == 0

    # The login page's way back accepts only a local path.
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client = hub.client()
        assert await _log_in_again(hub, client, world.klantmanager, target) == "/"


async def test_staying_logged_in_renews_the_session_and_an_ended_one_is_not_renewed(world: World) -> None:
    hub = world.hub
    karim = await hub.client_for(world.klantmanager)
    async with hub.db() as db:
        await db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=25)))
    response = await karim.post_form("/sessie/verlengen")
    assert response.status_code == 200
    assert 1790 <= response.json()["seconds"] <= 1800
    async with hub.db() as db:
        seen = (await db.execute(select(col(UserSession.last_seen_at)))).scalar_one()
    assert utcnow() - seen < timedelta(seconds=5)
    # The page counts down from the session's real end.
    assert 'data-session-seconds="17' in (await karim.get("/")).text

    await _end_sessions(hub, world.klantmanager)
    response = await karim.post_form("/sessie/verlengen")
    assert response.status_code == 303
    assert response.headers["location"] == "/inloggen?volgende=/&verlopen=1"
    assert await _count(hub, KeptForm) == 0  # nothing typed, nothing kept


async def test_a_form_kept_after_the_session_is_gone_is_bound_to_who_logged_in_last_on_that_browser(
    world: World,
) -> None:
    """A logout in another tab (or the purge) removes the session row: whose the form was then comes from the
    browser's signed "who logged in last" cookie, so a colleague logging in next on that browser does not get it."""
    hub = world.hub
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    browser = hub.client()
    assert await _log_in_again(hub, browser, world.klantmanager, "/") == "/"  # through the real login pages
    hint = browser.cookies.get("hub_who")
    assert hint and hint.startswith(world.klantmanager.id + ".")
    async with hub.db() as db:  # logged out in another tab: the session is gone, not just ended
        await db.execute(delete(UserSession).where(col(UserSession.user_id) == world.klantmanager.id))
    response = await post_reply(browser, thread.id, reply_fields(browser, TYPED), None)
    assert response.status_code == 303 and "bewaard=1" in response.headers["location"]
    async with hub.db() as db:
        assert (await db.execute(select(col(KeptForm.user_id)))).scalar_one() == world.klantmanager.id

    page = f"/berichten/{thread.id}"
    assert await _log_in_again(hub, browser, world.collega, page) == page  # Cas is next on this computer
    seen = await browser.get(page)
    assert KEPT_NOTICE not in seen.text and "lange tekst" not in seen.text
    assert await _count(hub, KeptForm) == 0  # removed unseen


async def test_a_forged_or_foreign_hint_cookie_binds_nothing(world: World) -> None:
    from hub.accounts.kept_forms import user_hint, user_of_hint

    keyring = world.hub.runtime.keyring
    good = user_hint(keyring, world.klantmanager.id)
    assert user_of_hint(keyring, good) == world.klantmanager.id
    forged = f"{world.collega.id}.{good.partition('.')[2]}"  # another id with Karim's MAC
    for value in (forged, world.collega.id, "", ".", good + "0", "x" * 40 + "." + good.partition(".")[2]):
        assert user_of_hint(keyring, value) is None, value
