"""The world of the audit tests: the messaging world (two gemeenten, two kantoren, a case) plus a
functionaris gegevensbescherming in the gemeente and in the kantoor, a thread and a real document on the case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.audit.models import AuditEvent
from hub.documents.models import Document
from hub.messaging.models import Thread
from tests.documents.conftest import pdf_bytes, post_upload
from tests.messaging.world import World, build_world
from tests.support.hubclient import HubClient

CLIENT_NAME = "Jan Jansen"  # tests.messaging.world.insert_case
CLIENT_BSN = "111222333"
SUBJECT = "Vraag over de huurachterstand van Jansen"
BODY = "Mevrouw belde over de beslaglegging op haar uitkering."
FILENAME = "beschikking-jansen-geheim.pdf"
SEARCHED_BSN = "123456782"  # passes the elfproef


@dataclass
class AuditWorld:
    world: World
    fg_gemeente: User  # functionaris gegevensbescherming of Gemeente Nijmegen
    fg_kantoor: User  # and of Bewindvoering De Brug
    fg_other: User  # of Gemeente Wijchen, party to nothing here

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    async def records(self) -> list[AuditEvent]:
        async with self.world.hub.db() as db:
            return list((await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars())

    async def stored_text(self) -> str:
        """Every stored audit row, every column, as text; and the head file."""
        async with self.world.hub.db() as db:
            rows = (await db.execute(text("SELECT * FROM audit_event"))).all()
        return repr([tuple(row) for row in rows]) + self.world.hub.settings.audit_head_file.read_text()

    async def thread(self) -> Thread:
        """A case question from the bewindvoerder: the gemeente owes a reaction."""
        thread: Thread = await self.world.call(
            "start_thread", self.world.bewindvoerder, case=self.world.case, subject=SUBJECT, body=BODY
        )
        return thread

    async def upload(self, client: HubClient) -> Document:
        response = await post_upload(client, self.world.case.id, FILENAME, pdf_bytes(5000))
        assert response.status_code == 303, response.text
        async with self.world.hub.db() as db:
            query = select(Document).where(col(Document.case_id) == self.world.case.id)
            return (await db.execute(query)).scalars().one()


async def build_audit_world(world: World) -> AuditWorld:
    hub = world.hub
    return AuditWorld(
        world=world,
        fg_gemeente=await hub.user(world.gemeente, Role.FG, name="Fenna Privacy", email="fg@nijmegen.example.nl"),
        fg_kantoor=await hub.user(world.kantoor, Role.FG, name="Frits Privacy", email="fg@brug.example.nl"),
        fg_other=await hub.user(world.other_gemeente, Role.FG, name="Femke Wijchen", email="fg@wijchen.example.nl"),
    )


async def audit_world(hub: Any) -> AuditWorld:
    return await build_audit_world(await build_world(hub))
