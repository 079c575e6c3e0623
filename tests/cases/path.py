"""The case tests' world with the people a case's path needs (a consulent and a contractmanager at Gemeente Arnhem),
and one-line helpers to record milestones and store evidence through the real services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.calendars.services import CalendarSource
from hub.cases.case_terms import case_milestones
from hub.cases.milestone_service import MilestoneInput, MilestoneService
from hub.cases.milestones import K, MilestoneKind
from hub.cases.models import Case, CaseMilestone, CaseTerm
from hub.documents.components import blobs_of
from hub.documents.evidence import case_document_type
from hub.documents.models import Document
from hub.documents.services import DocumentService
from hub.notifications.models import OutboxMail
from hub.terms import AMSTERDAM
from tests.cases.world import World

CALENDARS = CalendarSource()


def at(day: date, hour: int = 10) -> datetime:
    """A moment on ``day`` in Dutch time, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=AMSTERDAM).astimezone(UTC)


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass
class Path:
    world: World
    consulent: User
    contractmanager: User

    def service(self, db: Any, **kw: Any) -> MilestoneService:
        return MilestoneService(
            db, self.world.hub.runtime.keyring, evidence=case_document_type, calendars=CALENDARS, **kw
        )

    async def record(
        self, user: User, case: Case, kind: MilestoneKind, day: date | None, *, now: datetime | None = None, **kw: Any
    ) -> CaseMilestone:
        async with self.world.hub.db() as db:
            data = MilestoneInput(kind=str(kind), milestone_date=day, **kw)
            return await self.service(db).record(user, case.id, data, now=now)

    async def checklist(self, user: User, case: Case, day: date) -> dict[str, str]:
        """The evidence an aanvraag bijzondere bijstand needs (without a CAK-nota), uploaded on the case."""
        beschikking = await self.document(user, case, "benoemingsbeschikking", day)
        nota = await self.document(user, case, "nota_periodieke_kosten", day)
        return {"benoemingsbeschikking": beschikking.id, "nota_periodieke_kosten": nota.id}

    async def apply_bijstand(self, user: User, case: Case, day: date, *, now: datetime | None = None) -> CaseMilestone:
        """An aanvraag bijzondere bijstand with its evidence complete."""
        evidence = await self.checklist(user, case, day)
        return await self.record(user, case, K.AANVRAAG_BIJSTAND, day, now=now, checklist=evidence)

    async def correct(
        self, user: User, case: Case, target: CaseMilestone, day: date | None, *, now: datetime | None = None, **kw: Any
    ) -> CaseMilestone:
        async with self.world.hub.db() as db:
            data = MilestoneInput(kind=target.kind, milestone_date=day, **kw)
            return await self.service(db).correct(user, case.id, target.id, data, now=now)

    async def withdraw(self, user: User, case: Case, target: CaseMilestone, *, now: datetime | None = None) -> None:
        async with self.world.hub.db() as db:
            await self.service(db).withdraw(user, case.id, target.id, now=now)

    async def case(self, case: Case) -> Case:
        async with self.world.hub.db() as db:
            fresh = await db.get(Case, case.id)
            assert fresh is not None
            return fresh

    async def rows(self, case: Case) -> list[CaseMilestone]:
        async with self.world.hub.db() as db:
            return await case_milestones(db, case.id)

    async def terms(self, case: Case) -> dict[str, CaseTerm]:
        async with self.world.hub.db() as db:
            rows = await db.execute(select(CaseTerm).where(col(CaseTerm.case_id) == case.id))
            return {t.step: t for t in rows.scalars()}

    async def outbox(self) -> list[OutboxMail]:
        async with self.world.hub.db() as db:
            rows = await db.execute(select(OutboxMail).order_by(col(OutboxMail.created_at), col(OutboxMail.id)))
            return list(rows.scalars())

    async def document(self, user: User, case: Case, doc_type: str, day: date) -> Document:
        """A real upload (encrypted into the blob store) of a small PDF of ``doc_type``."""
        data = b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n"
        async with self.world.hub.db() as db:
            service = DocumentService(db, self.world.hub.runtime.keyring, blobs_of(self.world.hub.runtime))
            return await service.store(
                user, case, doc_type=doc_type, document_date=day, filename=f"{doc_type}.pdf",
                chunks=_chunks(data), max_bytes=10_000_000,
            )  # fmt: skip


async def build_path(world: World) -> Path:
    hub = world.hub
    return Path(
        world=world,
        consulent=await hub.user(world.arnhem, Role.CONSULENT, name="Cor Consulent"),
        contractmanager=await hub.user(world.arnhem, Role.CONTRACTMANAGER, name="Carla Contractmanager"),
    )
