"""A case with everything that can hang on it (milestones, a correction, documents, a thread with a reply that
carries an attachment, read marks), built through the real services; and helpers to look at what is left."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, select
from sqlmodel import SQLModel

from hub.calendars.services import CalendarSource
from hub.cases.corrections import CaseCorrections
from hub.cases.milestones import K
from hub.cases.models import Case
from hub.documents.components import blobs_of
from hub.documents.models import Document
from hub.messaging.reading import ReadingService
from hub.messaging.threads import ThreadService
from hub.retention.components import policy_of
from hub.retention.run import RunResult, run_retention
from tests.cases.path import Path as CasePath
from tests.cases.path import build_path
from tests.cases.world import World

ENDED_ON = date(2025, 6, 2)
LONG_AFTER = datetime(2033, 1, 10, 9, tzinfo=UTC)  # more than 7 years after ENDED_ON


@dataclass
class Scene:
    world: World
    path: CasePath

    @property
    def keyring(self) -> Any:
        return self.world.hub.runtime.keyring

    async def full_case(self, bsn: str, name: str, *, ended: bool = True) -> tuple[Case, Document]:
        """A case of Arnhem and Xander with a correction, a document, a thread whose reply attaches it, read marks;
        ended on ENDED_ON when ``ended``."""
        w, hub = self.world, self.world.hub
        case = await w.open_case(client_name=name, bsn=bsn)
        async with hub.db() as db:
            await CaseCorrections(db, self.keyring).correct_case(
                w.bv_x, case.id, {"client_name": name + " Jr"}, reason="typefout"
            )
        document = await self.path.document(w.bv_x, case, "benoemingsbeschikking", date(2025, 3, 4))
        calendars = CalendarSource()
        async with hub.db() as db:
            thread = await ThreadService(db, self.keyring, calendars=calendars).start_thread(
                w.bv_x, subject=f"Vraag over {name}", body=f"Wat weet u van {name}?", case=case.id
            )
        async with hub.db() as db:
            await ThreadService(db, self.keyring, calendars=calendars).post_message(
                w.km_arnhem, thread.id, f"Antwoord over {name}", attachment_ids=[document.id]
            )
        async with hub.db() as db:
            await ReadingService(db, self.keyring, calendars=calendars).mark_read(w.bv_x, thread.id)
        if ended:
            await self.path.record(w.bv_x, case, K.EINDE_BEWIND, ENDED_ON, choice="overlijden")
        return case, document

    async def run(self, now: datetime = LONG_AFTER) -> RunResult:
        rt = self.world.hub.runtime
        return await run_retention(rt.sessions, blobs_of(rt), policy_of(rt), now=now, today=now.date(), actor="worker")

    def blob_path(self, document: Document) -> Path:
        return blobs_of(self.world.hub.runtime).path_of(document.blob_name)

    def copy_blob(self, document: Document, to: Path) -> Path:
        """A backup of the blob store: the encrypted file, copied away."""
        target = to / document.blob_name
        shutil.copyfile(self.blob_path(document), target)
        return target

    async def rows_naming(self, value: str) -> dict[str, int]:
        """Per table, how many rows hold ``value`` in any string column (ids of a case, a document, ...)."""
        found: dict[str, int] = {}
        async with self.world.hub.db() as db:
            for table in SQLModel.metadata.sorted_tables:
                if table.name in ("audit_event", "audit_head"):
                    continue
                for row in (await db.execute(select(table))).all():
                    if any(isinstance(v, str) and value == v for v in row):
                        found[table.name] = found.get(table.name, 0) + 1
        return found

    async def binary_values(self) -> list[bytes]:
        """Every binary value in the database: wrapped keys and field envelopes."""
        values: list[bytes] = []
        async with self.world.hub.db() as db:
            for table in SQLModel.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, LargeBinary)]
                if columns:
                    rows = await db.execute(select(*columns))
                    values += [bytes(v) for row in rows.all() for v in row if v is not None]
        return values


async def build_scene(world: World) -> Scene:
    return Scene(world=world, path=await build_path(world))
