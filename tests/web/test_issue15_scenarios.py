"""Issue 15 probed as its acceptance tests would: a new question (with a file) sent after the session ended comes
back on its own page; a kept form is returned once (a replayed reference gives nothing) and never to another
organisation's user; the confirm pages act only on a confirmed POST with its CSRF token; internal notes appear in
no API answer and no export of either side; the last *active* administrator stays. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import html
import io
import os
import re
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from hub.accounts.api_tokens import SCOPES, ApiTokenService
from hub.accounts.auth import AuthService
from hub.accounts.kept_forms import KeptForm
from hub.accounts.models import User, UserSession
from hub.accounts.roles import OrgKind, Role
from hub.accounts.user_admin import LAST_ADMIN
from hub.db import utcnow
from hub.documents.models import Document
from hub.messaging.models import Thread
from hub.notifications.models import OutboxMail
from hub.web.form_fill import fill_form
from hub.web.kept_forms import KEPT_NOTICE
from tests.documents.conftest import build_vault
from tests.messaging.test_reply_upload import BOUNDARY, minimal_pdf
from tests.messaging.world import World, build_world
from tests.support.hubclient import PASSWORD, HubClient, HubUnderTest, csrf_from

KEPT_COOKIE = "hub_kept"
QUESTION = "Is de beschikking al binnen?\n\nDe cliënt vraagt ernaar & wacht <nog> op antwoord."
NOTE = "Interne afweging: eerst bellen met de cliënt"


@pytest.fixture
async def world(hub: HubUnderTest) -> World:
    return await build_world(hub)


async def _end_sessions(hub: HubUnderTest, user: User) -> None:
    async with hub.db() as db:
        await db.execute(
            update(UserSession)
            .where(col(UserSession.user_id) == user.id)
            .values(last_seen_at=utcnow() - timedelta(hours=1))
        )


async def _count(hub: HubUnderTest, model: type[object]) -> int:
    async with hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _log_in(hub: HubUnderTest, client: HubClient, user: User, target: str) -> str:
    """The login pages from the address the hub sent the browser to; the final redirect's target."""
    page = await client.get(f"/inloggen?volgende={quote(target)}&bewaard=1")
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
        data={"code": hub.next_code(fresh, None), "volgende": target, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _question_body(fields: list[tuple[str, str]], file: tuple[str, bytes]) -> bytes:
    body = bytearray()
    for name, value in fields:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body += file[1] + f"\r\n--{BOUNDARY}--\r\n".encode()
    return bytes(body)


async def _ask_from_the_case_page(client: HubClient, world: World) -> tuple[str, str]:
    """Open the new-question form from the case, let the session end, then send it (as the browser would, with a
    file in row 1)."""
    page_url = f"/berichten/nieuw?dossier={world.case.id}"
    form = await client.get(page_url)
    assert form.status_code == 200
    await _end_sessions(world.hub, world.bewindvoerder)
    action = html.unescape(re.search(r'<form method="post" action="(/berichten/nieuw[^"]*)"', form.text)[1])  # type: ignore[index]
    fields = [
        ("csrf_token", client.csrf_token),
        ("form_token", re.search(r'name="form_token" value="([^"]+)"', form.text)[1]),  # type: ignore[index]
        ("case_id", world.case.id),
        ("soort", "casuistiek"),
        ("subject", "Beschikking"),
        ("body", QUESTION),
        ("doc_type", "benoemingsbeschikking"),
        ("document_date", "2026-03-02"),
    ]
    response = await client.post(
        action,
        content=_question_body(fields, ("beschikking.pdf", minimal_pdf())),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", "sec-fetch-site": "same-origin"},
    )
    return page_url, response.headers.get("location", "")


async def test_a_new_question_from_a_case_comes_back_on_that_page_without_its_file(world: World) -> None:
    hub = world.hub
    bea = await hub.client_for(world.bewindvoerder)
    threads, documents = await _count(hub, Thread), await _count(hub, Document)

    page_url, login = await _ask_from_the_case_page(bea, world)
    assert login == f"/inloggen?volgende={quote(page_url)}&bewaard=1"  # back to the page the form was on
    assert await _count(hub, Thread) == threads and await _count(hub, Document) == documents  # nothing sent
    assert await _count(hub, KeptForm) == 1

    assert await _log_in(hub, bea, world.bewindvoerder, page_url) == page_url
    page = await bea.get(page_url)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert KEPT_NOTICE in page.text and "Bijlagen moeten opnieuw worden gekozen." in page.text
    assert f">{html.escape(QUESTION, quote=False)}</textarea>" in page.text
    assert 'value="Beschikking"' in page.text
    assert world.case.reference in page.text  # still the question on this case
    assert await _count(hub, KeptForm) == 0 and await _count(hub, Thread) == threads


async def test_a_kept_form_is_returned_once_and_never_to_another_organisation(world: World) -> None:
    hub = world.hub
    thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    thread_page = f"/berichten/{thread.id}"
    karim = await hub.client_for(world.klantmanager)
    await _end_sessions(hub, world.klantmanager)
    fields = {"csrf_token": karim.csrf_token, "body": QUESTION, "kind": "bericht"}
    assert (await karim.post(f"{thread_page}/reageren", data=fields)).status_code == 303
    reference = karim.cookies.get(KEPT_COOKIE)
    assert reference

    assert await _log_in(hub, karim, world.klantmanager, thread_page) == thread_page
    assert "wacht &lt;nog&gt; op antwoord" in (await karim.get(thread_page)).text
    # Replayed: the same reference again, in the same browser and in another one of Karim's.
    karim.cookies.delete(KEPT_COOKIE)
    karim.cookies.set(KEPT_COOKIE, reference)
    assert "wacht &lt;nog&gt; op antwoord" not in (await karim.get(thread_page)).text
    other_browser = await hub.client_for(world.klantmanager)
    other_browser.cookies.set(KEPT_COOKIE, reference)
    assert KEPT_NOTICE not in (await other_browser.get(thread_page)).text

    # Kept again; a user of the other organisation logs in on that browser: removed unseen.
    await _end_sessions(hub, world.klantmanager)
    karim.cookies.delete(KEPT_COOKIE)
    assert (await karim.post(f"{thread_page}/reageren", data={**fields, "csrf_token": "x"})).status_code == 303
    assert await _count(hub, KeptForm) == 1
    bea = hub.client()
    bea.cookies.set(KEPT_COOKIE, karim.cookies.get(KEPT_COOKIE) or "")
    assert await _log_in(hub, bea, world.bewindvoerder, thread_page) == thread_page
    seen = await bea.get(thread_page)
    assert seen.status_code == 200 and "wacht &lt;nog&gt; op antwoord" not in seen.text
    assert await _count(hub, KeptForm) == 0


async def test_confirm_pages_need_the_confirmation_and_the_csrf_token(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kb = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@a.example.nl")
    anna = await hub.user(kantoor, Role.BEWINDVOERDER, email="anna@a.example.nl", name="Anna Collega")
    admin = await hub.client_for(kb)
    for action in ("blokkeren", "mfa-herstellen", "wachtwoord-herstellen"):
        page = await admin.get(f"/gebruikers/{anna.id}/{action}")
        assert page.status_code == 200
        forged = await admin.post_form(f"/gebruikers/{anna.id}/{action}", {"bevestigd": "ja"}, csrf=False)
        assert forged.status_code == 403, action
        wrong = await admin.post_form(f"/gebruikers/{anna.id}/{action}", {"bevestigd": "ja", "csrf_token": "x" * 43})
        assert wrong.status_code == 403, action
        other = await admin.post_form(f"/gebruikers/{anna.id}/{action}", {"bevestigd": "nee"})
        assert other.status_code == 303 and other.headers["location"] == f"/gebruikers/{anna.id}/{action}"
    fresh = await hub.reload(anna)
    assert not fresh.disabled and fresh.totp_secret is not None and not fresh.must_change_password
    assert await _count(hub, OutboxMail) == 0

    assert (await admin.post_form(f"/gebruikers/{anna.id}/mfa-herstellen", {"bevestigd": "ja"})).status_code == 303
    assert (await hub.reload(anna)).totp_secret is None
    response = await admin.post_form(f"/gebruikers/{anna.id}/wachtwoord-herstellen", {"bevestigd": "ja"})
    assert response.status_code == 200 and "tijdelijk wachtwoord" in response.text
    assert (await hub.reload(anna)).must_change_password


async def _api_token(hub: HubUnderTest, user: User) -> str:
    async with hub.db() as db:
        token, _ = await ApiTokenService(db).create_for_user(user, name="Pakket", scopes=list(SCOPES), days=30)
    return token


async def _export(client: HubClient, case_id: str) -> str:
    response = await client.post_form(f"/dossiers/{case_id}/inzage-export")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


async def test_internal_notes_are_in_no_api_answer_and_no_export(world: World) -> None:
    hub = world.hub
    thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Stand", body="Vraag")
    karim = await hub.client_for(world.klantmanager)
    mails = await _count(hub, OutboxMail)
    for url in (f"/dossiers/{world.case.id}/notities", f"/berichten/{thread.id}/notities"):
        assert (await karim.post_form(url, {"note": NOTE})).status_code == 303
    assert await _count(hub, OutboxMail) == mails  # a note mails nobody

    for user in (world.klantmanager, world.bewindvoerder):
        api = hub.client()
        api.headers["Authorization"] = f"Bearer {await _api_token(hub, user)}"
        for url in (
            f"/api/v1/cases/{world.case.id}",
            "/api/v1/cases",
            "/api/v1/threads?tab=alle",
            f"/api/v1/threads/{thread.id}",
            f"/api/v1/cases/{world.case.id}/documents",
        ):
            response = await api.get(url)
            assert response.status_code == 200, (url, response.text)
            assert "Interne afweging" not in response.text and "notitie" not in response.text.lower(), url
        client = karim if user is world.klantmanager else await hub.client_for(user)
        exported = await _export(client, world.case.id)
        assert "Vraag" in exported  # the export has the thread's messages ...
        assert "Interne afweging" not in exported  # ... and no note, not even for the note's own organisation


async def test_the_last_active_administrator_stays_when_the_other_is_blocked(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kees = await hub.user(kantoor, Role.KANTOORBEHEERDER, name="Kees", email="kees@a.example.nl")
    lisa = await hub.user(kantoor, Role.KANTOORBEHEERDER, name="Lisa", email="lisa@a.example.nl")
    admin = await hub.client_for(kees)
    assert (await admin.post_form(f"/gebruikers/{lisa.id}/blokkeren", {"bevestigd": "ja"})).status_code == 303
    demote = {"name": "Kees", "email": "kees@a.example.nl", "roles": ["bewindvoerder"]}
    response = await admin.post_form(f"/gebruikers/{kees.id}/bewerken", demote)
    assert response.status_code == 400 and LAST_ADMIN in response.text
    response = await admin.post_form(f"/gebruikers/{kees.id}/verwijderen", {"bevestigd": "ja"})
    assert response.status_code == 400 and LAST_ADMIN in response.text
    assert (await hub.reload(kees)).role_set == {Role.KANTOORBEHEERDER}


def test_rows_of_one_name_each_take_their_own_kept_value() -> None:
    """A form with a row per file: the kept type and date of row 1 go back into row 1 only (the rows after it were
    never read: their files came first), so the form can be sent again as it is."""
    options = '<option value="">Kies</option><option value="overig">Overig</option><option value="nota">Nota</option>'
    row = (
        f'<select name="doc_type">{options}</select>'
        '<input name="document_date" type="date"><input name="file" type="file">'
    )
    page = f'<form method="post" action="/dossiers/1/documenten">{row * 3}</form>'
    kept = [("doc_type", "nota"), ("document_date", "2026-01-15")]
    filled, found = fill_form(page, "/dossiers/1", "/dossiers/1/documenten", kept)
    assert found
    assert filled.count('value="nota" selected') == 1 and filled.count("selected") == 1
    assert filled.count('value="2026-01-15"') == 1
    assert filled.index('value="nota" selected') < filled.index('value="2026-01-15"') < filled.index('name="file"')


async def test_a_jpeg_preview_has_its_sniffed_type_and_a_withdrawn_one_is_gone(hub: HubUnderTest) -> None:
    vault = await build_vault(hub)
    bea = await hub.client_for(vault.bewindvoerder)
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(3000) + b"\xff\xd9"
    document = await vault.upload_ok(bea, "foto van de brief.jpeg", photo)
    response = await bea.get(f"/documenten/{document.id}/bekijken")
    assert response.status_code == 200 and response.content == photo
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline")
    # Another gemeente's klantmanager and another kantoor: 404, the bytes never leave.
    for outsider in (vault.outsider_gemeente, vault.outsider_kantoor):
        client = await hub.client_for(outsider)
        refused = await client.get(f"/documenten/{document.id}/bekijken")
        assert refused.status_code == 404 and photo[:4] not in refused.content
    withdrawn = await bea.post_form(f"/documenten/{document.id}/intrekken", {"reason": "Verkeerd dossier"})
    assert withdrawn.status_code == 303, withdrawn.text
    assert (await bea.get(f"/documenten/{document.id}/bekijken")).status_code == 410


async def test_two_administrators_stepping_down_at_once_leave_one(hub: HubUnderTest) -> None:
    """Both of the last two administrators demote themselves at the same moment: one is refused (on PostgreSQL the
    two transactions really overlap; SQLite runs them one after the other)."""
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    admins = [
        await hub.user(kantoor, Role.KANTOORBEHEERDER, name=name, email=f"{name.lower()}@a.example.nl")
        for name in ("Kees", "Lisa")
    ]
    clients = [await hub.client_for(admin) for admin in admins]
    forms = [
        {"name": admin.name, "email": admin.email, "roles": ["bewindvoerder"]} for admin in admins
    ]  # each steps down
    responses = await asyncio.gather(
        *(
            client.post_form(f"/gebruikers/{admin.id}/bewerken", form)
            for client, admin, form in zip(clients, admins, forms, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [303, 400]
    roles = [(await hub.reload(admin)).role_set for admin in admins]
    assert sum(Role.KANTOORBEHEERDER in r for r in roles) == 1


async def test_two_administrators_removing_each_other_at_once_leave_one(hub: HubUnderTest) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kees = await hub.user(kantoor, Role.KANTOORBEHEERDER, name="Kees", email="kees@a.example.nl")
    lisa = await hub.user(kantoor, Role.KANTOORBEHEERDER, name="Lisa", email="lisa@a.example.nl")
    by_kees, by_lisa = await hub.client_for(kees), await hub.client_for(lisa)
    responses = await asyncio.gather(
        by_kees.post_form(f"/gebruikers/{lisa.id}/verwijderen", {"bevestigd": "ja"}),
        by_lisa.post_form(f"/gebruikers/{kees.id}/verwijderen", {"bevestigd": "ja"}),
    )
    # One is removed; the other is refused as the last administrator, or (when the first had finished before the
    # second was read) its session had ended with the removal and it is sent to the login page.
    done = [r for r in responses if r.headers.get("location", "").startswith("/gebruikers?gelukt=")]
    assert len(done) == 1, [(r.status_code, r.headers.get("location")) for r in responses]
    assert [(await hub.reload(u)).removed_at is None for u in (kees, lisa)].count(True) == 1


async def test_a_general_question_comes_back_with_its_choices(world: World) -> None:
    hub = world.hub
    bea = await hub.client_for(world.bewindvoerder)
    form = await bea.get("/berichten/nieuw")
    assert form.status_code == 200
    await _end_sessions(hub, world.bewindvoerder)
    fields = {
        "csrf_token": bea.csrf_token,
        "soort": "algemeen",
        "convenant_id": world.convenant.id,
        "subject": "Tarieven 2027",
        "body": QUESTION,
    }
    response = await bea.post("/berichten/nieuw", data=fields, headers={"sec-fetch-site": "same-origin"})
    assert response.headers["location"] == "/inloggen?volgende=/berichten/nieuw&bewaard=1"
    assert await _log_in(hub, bea, world.bewindvoerder, "/berichten/nieuw") == "/berichten/nieuw"
    page = (await bea.get("/berichten/nieuw")).text
    assert KEPT_NOTICE in page
    assert re.search(r'value="algemeen"[^>]*checked', page) and not re.search(r'value="casuistiek"[^>]*checked', page)
    assert re.search(rf'<option value="{world.convenant.id}"[^>]*selected', page)
    assert 'value="Tarieven 2027"' in page and html.escape(QUESTION, quote=False) in page


async def test_a_form_with_a_long_query_string_is_kept_without_it(world: World) -> None:
    hub = world.hub
    bea = await hub.client_for(world.bewindvoerder)
    await _end_sessions(hub, world.bewindvoerder)
    fields = {"csrf_token": bea.csrf_token, "subject": "Lang", "body": QUESTION}
    response = await bea.post(f"/berichten/nieuw?dossier={'a' * 300}", data=fields)
    assert response.headers["location"] == "/inloggen?volgende=/berichten/nieuw&bewaard=1"
    assert await _count(hub, KeptForm) == 1


async def test_forms_loaded_before_logging_in_again_are_put_back_not_refused(world: World) -> None:
    """Two tabs: a reply in one, a new question with a file in the other. The session ends; the reply is sent and
    comes back after logging in. The question, sent afterwards under the new session with the old page's token,
    is put back into its page too (it used to be refused as a forged form, and its text lost)."""
    hub = world.hub
    thread = await world.call("start_thread", world.klantmanager, case=world.case, subject="V", body="?")
    thread_page = f"/berichten/{thread.id}"
    bea = await hub.client_for(world.bewindvoerder)
    old_token = bea.csrf_token
    reply = {"csrf_token": old_token, "body": "Antwoord uit het eerste tabblad", "kind": "inhoudelijke_reactie"}
    await _end_sessions(hub, world.bewindvoerder)
    assert (await bea.post(f"{thread_page}/reageren", data=reply)).status_code == 303
    assert await _log_in(hub, bea, world.bewindvoerder, thread_page) == thread_page
    assert "Antwoord uit het eerste tabblad" in (await bea.get(thread_page)).text
    threads = await _count(hub, Thread)

    # The second tab's question still carries the first session's token.
    page_url = f"/berichten/nieuw?dossier={world.case.id}"
    fields = [
        ("csrf_token", old_token),
        ("form_token", "f" * 43),
        ("case_id", world.case.id),
        ("soort", "casuistiek"),
        ("subject", "Beschikking"),
        ("body", QUESTION),
        ("doc_type", "benoemingsbeschikking"),
        ("document_date", "2026-03-02"),
    ]
    response = await bea.post(
        page_url,
        content=_question_body(fields, ("beschikking.pdf", minimal_pdf())),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", "sec-fetch-site": "same-origin"},
    )
    assert response.status_code == 303 and response.headers["location"] == page_url
    page = await bea.get(page_url)
    assert KEPT_NOTICE in page.text and f">{html.escape(QUESTION, quote=False)}</textarea>" in page.text
    assert await _count(hub, Thread) == threads and await _count(hub, KeptForm) == 0

    # A form with the right token is simply sent; one from another site, or without any token, is refused as before.
    fresh = {**reply, "csrf_token": csrf_from(page.text)}
    sent = await bea.post(f"{thread_page}/reageren", data=fresh)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{thread_page}?gelukt=")
    forged = await bea.post(f"{thread_page}/reageren", data=reply, headers={"sec-fetch-site": "cross-site"})
    assert forged.status_code == 403
    tokenless = await bea.post(f"{thread_page}/reageren", data={"body": "x", "kind": "bericht"})
    assert tokenless.status_code == 403
    assert await _count(hub, KeptForm) == 0


async def test_a_session_ended_a_while_ago_still_names_its_user(world: World) -> None:
    """The session ended; another tab's page was opened since (the login page), and the worker's purge ran. A reply
    sent afterwards from the first tab is still kept for its own user: a colleague logging in on that browser first
    does not get it, the user does."""
    hub = world.hub
    thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="V", body="?")
    thread_page = f"/berichten/{thread.id}"
    karim = await hub.client_for(world.klantmanager)
    await _end_sessions(hub, world.klantmanager)
    assert (await karim.get("/berichten")).status_code == 303  # the other tab: to the login page
    async with hub.db() as db:
        assert await AuthService(db, hub.runtime.keyring).purge_expired_sessions() == 0  # kept a while, never valid
    assert (await karim.get("/berichten")).status_code == 303
    fields = {"csrf_token": karim.csrf_token, "body": QUESTION, "kind": "bericht"}
    assert (await karim.post(f"{thread_page}/reageren", data=fields)).status_code == 303
    async with hub.db() as db:
        assert (await db.execute(select(col(KeptForm.user_id)))).scalar_one() == world.klantmanager.id

    assert await _log_in(hub, karim, world.collega, thread_page) == thread_page
    assert "wacht &lt;nog&gt; op antwoord" not in (await karim.get(thread_page)).text
    assert await _count(hub, KeptForm) == 0
