"""Internal notes: only the author's organisation sees them; the other side cannot tell that one exists."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlmodel import col

from hub.accounts.roles import Role
from hub.audit.models import AuditEvent
from hub.messaging.models import Clock, Thread
from hub.notes.models import InternalNote
from hub.notifications.models import OutboxMail
from hub.retention.deletion import delete_case
from tests.messaging.world import World
from tests.support.hubclient import HubClient

SECRET = "Cliënt belde boos op; pas op met de toon"
LABEL = "Interne notitie — alleen zichtbaar voor Gemeente Nijmegen"
# Per-request tokens, and the seconds left of the session (the idle warning's countdown).
VOLATILE = re.compile(r'name="(csrf_token|form_token)" value="[^"]*"|data-session-seconds="\d+"')


async def _pages(client: HubClient, world: World, thread_id: str) -> dict[str, str]:
    """Every page of the other side that shows the case or the thread, with the per-request tokens blanked."""
    urls = [
        "/",
        "/dossiers",
        f"/dossiers/{world.case.id}",
        "/berichten",
        "/berichten?tab=alle",
        "/berichten?tab=wacht_op_ander",
        f"/berichten?tab=alle&dossier={world.case.id}",
        f"/berichten/{thread_id}",
    ]
    pages = {}
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        pages[url] = VOLATILE.sub("", response.text)
    return pages


async def _counts(world: World) -> tuple[int, int, str]:
    async with world.hub.db() as db:
        mails = (await db.execute(select(func.count()).select_from(OutboxMail))).scalar_one()
        clocks = (await db.execute(select(func.count()).select_from(Clock))).scalar_one()
        last = (await db.execute(select(col(Thread.last_message_at)))).scalar_one()
    return mails, clocks, last.isoformat()


async def test_only_the_own_organisation_sees_a_note(world: World) -> None:
    thread = await world.call(
        "start_thread", world.bewindvoerder, case=world.case, subject="Stand aanvraag", body="Hoe staat het?"
    )
    bea = await world.hub.client_for(world.bewindvoerder)
    karim = await world.hub.client_for(world.klantmanager)
    # Both sides have read the thread once (a first reading shows on the other side): compare from then on.
    await _pages(bea, world, thread.id)
    await karim.get(f"/berichten/{thread.id}")
    before = await _pages(bea, world, thread.id)
    counts = await _counts(world)

    for url, anchor in (
        (f"/dossiers/{world.case.id}/notities", "dossiers"),
        (f"/berichten/{thread.id}/notities", "berichten"),
    ):
        response = await karim.post_form(url, {"note": f"{SECRET} ({anchor})"})
        assert response.status_code == 303, response.text
        assert response.headers["location"].endswith("?gelukt=notitie#notities")
    case_page = await karim.get(f"/dossiers/{world.case.id}?gelukt=notitie")
    assert "De interne notitie is opgeslagen." in case_page.text
    assert f"{SECRET} (dossiers)" in case_page.text and LABEL in case_page.text
    assert f"{SECRET} (berichten)" not in case_page.text  # a thread's note stays on the thread
    thread_page = await karim.get(f"/berichten/{thread.id}")
    assert f"{SECRET} (berichten)" in thread_page.text and LABEL in thread_page.text
    colleague = await world.hub.client_for(world.collega)
    assert f"{SECRET} (dossiers)" in (await colleague.get(f"/dossiers/{world.case.id}")).text

    # The other side: every page byte for byte as before; no mail, no clock, no new ordering.
    assert await _pages(bea, world, thread.id) == before
    assert await _counts(world) == counts

    # At rest the text is ciphertext; the audit log names the note by id only.
    async with world.hub.db() as db:
        notes = list((await db.execute(select(InternalNote))).scalars())
        events = list((await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "note.added"))).scalars())
    assert len(notes) == 2 and all(SECRET.encode() not in n.body for n in notes)
    assert {e.object_id for e in events} == {n.id for n in notes}
    assert {e.organisation_id for e in events} == {world.gemeente.id}
    # The kantoor's functionaris gegevensbescherming sees no trace of them either; the gemeente's does.
    fg_kantoor = await world.hub.client_for(await world.hub.user(world.kantoor, Role.FG, email="fg@brug.example.nl"))
    fg_gemeente = await world.hub.client_for(
        await world.hub.user(world.gemeente, Role.FG, email="fg@nijmegen.example.nl")
    )
    # (once in the page's action filter; again for each record shown)
    assert (await fg_kantoor.get("/auditlog")).text.count("Interne notitie toegevoegd") == 1
    assert (await fg_gemeente.get("/auditlog")).text.count("Interne notitie toegevoegd") == 3
    assert "internal_note" not in (await fg_kantoor.get("/auditlog/export")).text


async def test_other_organisations_cannot_add_read_or_remove(world: World) -> None:
    karim = await world.hub.client_for(world.klantmanager)
    response = await karim.post_form(f"/dossiers/{world.case.id}/notities", {"note": SECRET})
    assert response.status_code == 303
    async with world.hub.db() as db:
        note = (await db.execute(select(InternalNote))).scalar_one()

    bea = await world.hub.client_for(world.bewindvoerder)  # party to the case, other organisation
    outsider = await world.hub.client_for(world.outsider)  # not party at all
    colleague = await world.hub.client_for(world.collega)  # same organisation, not the author
    for client in (bea, outsider, colleague):
        assert (await client.post_form(f"/notities/{note.id}/verwijderen")).status_code == 404
    assert (await outsider.post_form(f"/dossiers/{world.case.id}/notities", {"note": "x"})).status_code == 404
    assert (await outsider.post_form(f"/notities/{'0' * 32}/verwijderen")).status_code == 404
    # Without the CSRF token nothing is stored.
    assert (await karim.post_form(f"/dossiers/{world.case.id}/notities", {"note": "x"}, csrf=False)).status_code == 403

    # A bad note: a clear error, the text kept, nothing stored.
    long_text = "a" * 5001
    response = await karim.post_form(f"/dossiers/{world.case.id}/notities", {"note": long_text})
    assert response.status_code == 400
    assert "De notitie is te lang" in response.text and long_text in response.text
    response = await karim.post_form(f"/dossiers/{world.case.id}/notities", {"note": "  \n"})
    assert response.status_code == 400 and "Schrijf de notitie." in response.text

    # The author removes it; the audit log keeps the fact.
    response = await karim.post_form(f"/notities/{note.id}/verwijderen")
    assert response.status_code == 303
    async with world.hub.db() as db:
        assert (await db.execute(select(func.count()).select_from(InternalNote))).scalar_one() == 0
        removed = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "note.removed"))).scalar_one()
    assert removed.object_id == note.id


async def test_retention_deletes_a_cases_notes_with_it(world: World) -> None:
    thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="Stand", body="Vraag")
    karim = await world.hub.client_for(world.klantmanager)
    await karim.post_form(f"/dossiers/{world.case.id}/notities", {"note": "op het dossier"})
    await karim.post_form(f"/berichten/{thread.id}/notities", {"note": "op het gesprek"})
    async with world.hub.db() as db:
        await delete_case(db, world.case.id)
    async with world.hub.db() as db:
        assert (await db.execute(select(func.count()).select_from(InternalNote))).scalar_one() == 0
