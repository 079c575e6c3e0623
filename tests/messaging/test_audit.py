"""Reading message content is audited (thread.view, thread.list) and so is posting (message.post): ids only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hub.audit import services as audit
from hub.audit.models import AuditEvent
from hub.errors import ValidationError
from hub.messaging.models import Message, MessageKind, Thread
from tests.messaging.world import World

ID = re.compile(r"^[0-9a-f]{32}$")


async def audit_actions(world: World) -> list[tuple[str, str, str | None]]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id).order_by(AuditEvent.seq)
        )
        return [(a, o, u) for a, o, u in rows.all()]


async def message_ids(world: World, thread: Thread) -> list[str]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(Message.id).where(Message.thread_id == thread.id).order_by(Message.sent_at, Message.id)
        )
        return list(rows.scalars())


async def test_view_list_and_post_are_audited(world: World) -> None:
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, case=world.case, subject="Geheim onderwerp", body="Vertrouwelijke tekst"
    )
    [first] = await message_ids(world, thread)
    assert ("message.post", first, world.bewindvoerder.id) in await audit_actions(world)

    await world.call("thread_view", world.klantmanager, thread.id)
    assert ("thread.view", thread.id, world.klantmanager.id) in await audit_actions(world)

    async with world.service() as svc:
        page = await svc.inbox(world.klantmanager, tab="te_beantwoorden")
    assert [r.thread_id for r in page.rows] == [thread.id]
    assert ("thread.list", "-", world.klantmanager.id) in await audit_actions(world)

    message: Message = await world.call(
        "post_message", world.klantmanager, thread.id, "Het antwoord.", kind=MessageKind.INHOUDELIJKE_REACTIE
    )
    assert ("message.post", message.id, world.klantmanager.id) in await audit_actions(world)

    async with world.hub.db() as db:
        events = list((await db.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())
        assert (await audit.verify(db)).ok
    kinds = {e.action: e.object_type for e in events if e.action.startswith(("thread.", "message."))}
    assert kinds == {"message.post": "message", "thread.view": "message_thread", "thread.list": "message_thread"}
    # Ids only: no subject, body, name or case number in any record.
    for event in events:
        assert event.object_id == "-" or ID.match(event.object_id)
        text = repr(event.model_dump())
        for secret in ("Geheim", "Vertrouwelijk", "antwoord", "Bea", "Karim", world.case.reference):
            assert secret not in text


async def test_an_empty_inbox_and_a_refused_post_write_no_record(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="S", body="B")
    before = await audit_actions(world)
    async with world.service() as svc:
        assert (await svc.inbox(world.outsider, tab="alle")).rows == []
        assert (await svc.inbox(world.bewindvoerder, tab="te_beantwoorden")).rows == []  # waits on the gemeente
    with pytest.raises(ValidationError):
        await world.call("post_message", world.klantmanager, thread.id, "   ")
    assert await audit_actions(world) == before


async def test_pages_write_the_records(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, case=world.case, subject="S", body="B")
    karim = await world.hub.client_for(world.klantmanager)
    assert (await karim.get("/berichten")).status_code == 200
    assert ("thread.list", "-", world.klantmanager.id) in await audit_actions(world)
    assert (await karim.get(f"/berichten/{thread.id}")).status_code == 200
    assert ("thread.view", thread.id, world.klantmanager.id) in await audit_actions(world)
    response = await karim.post_form(f"/berichten/{thread.id}/reageren", {"body": "Antwoord", "kind": "bericht"})
    assert response.status_code == 303
    message_id = response.headers["location"].rsplit("#bericht-", 1)[1]
    assert ("message.post", message_id, world.klantmanager.id) in await audit_actions(world)
    # Another organisation learns nothing and leaves no record of a read.
    otto = await world.hub.client_for(world.outsider)
    assert (await otto.get(f"/berichten/{thread.id}")).status_code == 404
    assert not [a for a in await audit_actions(world) if a[2] == world.outsider.id]
