"""A small world for the messaging tests: two gemeenten, two kantoren, their convenants, users and a case."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crypto import Keyring, encrypt_field, field_context
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.calendars.services import CalendarSource, ClosingDayService
from hub.cases.models import Case
from hub.db import new_id
from hub.documents.models import Document
from hub.messaging.access import MessagingBase
from hub.messaging.due_moments import DueMoments
from hub.messaging.inbox import InboxService
from hub.messaging.reading import ReadingService
from hub.messaging.threads import ThreadService
from hub.terms import AMSTERDAM
from tests.support.hubclient import HubUnderTest


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Dutch time."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=AMSTERDAM)


async def insert_case(hub: HubUnderTest, convenant: Convenant, creator: User, reference: str) -> Case:
    """A case row made directly (the cases pages are tested on their own)."""
    keyring = hub.runtime.keyring
    case_id = new_id()

    def enc(column: str, value: str) -> bytes:
        return encrypt_field(keyring, value, context=field_context("dossier", column, case_id))

    case = Case(
        id=case_id,
        reference=reference,
        convenant_id=convenant.id,
        gemeente_id=convenant.gemeente_id,
        kantoor_id=convenant.kantoor_id,
        client_name=enc("client_name", "Jan Jansen"),
        bsn=enc("bsn", "111222333"),
        bsn_index=hashlib.sha256(case_id.encode()).hexdigest(),
        birth_date=enc("birth_date", "1970-01-01"),
        bewind_kind="schuldenbewind",
        beschikking_date=date(2025, 6, 1),
        bewind_start_date=date(2025, 6, 1),
        rechtbank="Rechtbank Gelderland",
        created_by=creator.id,
    )
    async with hub.db() as db:
        db.add(case)
    return case


async def insert_document(hub: HubUnderTest, case: Case, uploader: User, filename: str) -> Document:
    keyring = hub.runtime.keyring
    doc_id = new_id()
    document = Document(
        id=doc_id,
        case_id=case.id,
        gemeente_id=case.gemeente_id,
        kantoor_id=case.kantoor_id,
        doc_type="benoemingsbeschikking",
        uploaded_by=uploader.id,
        size=10,
        content_type="application/pdf",
        filename=encrypt_field(keyring, filename, context=field_context("document", "filename", doc_id)),
        sha256=encrypt_field(keyring, b"\0" * 32, context=field_context("document", "sha256", doc_id)),
        wrapped_key=b"not-a-real-key",
        blob_name=doc_id,
    )
    async with hub.db() as db:
        db.add(document)
    return document


class Services:
    """Messaging's services on one session, for tests: ``svc.post_message`` finds the method in whichever service
    has it (threads, reading, inbox). The pages use the one service they need."""

    PARTS: tuple[type[MessagingBase], ...] = (ThreadService, ReadingService, InboxService)

    def __init__(self, db: Any, keyring: Keyring, *, calendars: CalendarSource) -> None:
        self.calendars = calendars
        self.parts = [part(db, keyring, calendars=calendars) for part in self.PARTS]

    def __getattr__(self, name: str) -> Any:
        for part in self.parts:
            if hasattr(type(part), name):
                return getattr(part, name)
        raise AttributeError(name)


@dataclass
class World:
    hub: HubUnderTest
    gemeente: Organisation
    kantoor: Organisation
    convenant: Convenant
    case: Case
    bewindvoerder: User
    klantmanager: User
    collega: User
    contractmanager: User
    other_gemeente: Organisation
    other_kantoor: Organisation
    other_convenant: Convenant
    outsider: User  # a bewindvoerder of another kantoor
    outsider_gemeente: User  # a klantmanager of another gemeente
    calendars: CalendarSource

    @property
    def keyring(self) -> Keyring:
        return self.hub.runtime.keyring

    @asynccontextmanager
    async def service(self) -> AsyncIterator[Services]:
        async with self.hub.db() as db:
            yield Services(db, self.keyring, calendars=self.calendars)

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One service call in its own transaction."""
        async with self.service() as svc:
            return await getattr(svc, method)(*args, **kwargs)

    async def closing_days(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One call of the closing-day service in its own transaction, wired to messaging's clocks as the page
        wires it."""
        async with self.hub.db() as db:
            clocks = DueMoments(db, self.keyring, calendars=self.calendars)
            svc = ClosingDayService(db, on_change=clocks.recompute_due)
            return await getattr(svc, method)(*args, **kwargs)


async def build_world(hub: HubUnderTest) -> World:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewindvoering De Brug")
    other_gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Wijchen")
    other_kantoor = await hub.org(OrgKind.KANTOOR, "Ander Kantoor")
    convenant = await hub.convenant(gemeente, kantoor)
    other_convenant = await hub.convenant(other_gemeente, other_kantoor)
    bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bea Bewind", email="bea@brug.example.nl")
    klantmanager = await hub.user(gemeente, Role.KLANTMANAGER, name="Karim Klant", email="karim@nijmegen.example.nl")
    collega = await hub.user(gemeente, Role.KLANTMANAGER, name="Cas Collega", email="cas@nijmegen.example.nl")
    contractmanager = await hub.user(
        gemeente, Role.CONTRACTMANAGER, name="Carla Contract", email="carla@nijmegen.example.nl"
    )
    outsider = await hub.user(other_kantoor, Role.BEWINDVOERDER, name="Otto Ander", email="otto@ander.example.nl")
    outsider_gemeente = await hub.user(
        other_gemeente, Role.KLANTMANAGER, name="Wim Wijchen", email="wim@wijchen.example.nl"
    )
    case = await insert_case(hub, convenant, bewindvoerder, "2026-000001")
    return World(
        hub=hub,
        gemeente=gemeente,
        kantoor=kantoor,
        convenant=convenant,
        case=case,
        bewindvoerder=bewindvoerder,
        klantmanager=klantmanager,
        collega=collega,
        contractmanager=contractmanager,
        other_gemeente=other_gemeente,
        other_kantoor=other_kantoor,
        other_convenant=other_convenant,
        outsider=outsider,
        outsider_gemeente=outsider_gemeente,
        calendars=CalendarSource(),
    )
