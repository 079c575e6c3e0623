"""Fixtures for the notification tests: a real SMTP server, a small world of organisations and users, and a
case whose personal data must never reach an e-mail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crypto import blind_index, encrypt_field, field_context
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.cases.models import Case
from hub.db import new_id
from hub.messaging.models import Clock, MessageKind, Thread
from hub.messaging.threads import ThreadService
from hub.notifications.models import OutboxMail
from hub.notifications.worker import OutboxWorker
from hub.terms import AMSTERDAM
from hub.worker import worker_for
from tests.support.hubclient import HubUnderTest, running_hub
from tests.support.smtp import SmtpServer, make_certificate

# The personal data of the case: none of it may ever appear in a mail.
CLIENT_NAME = "Johanna Pietersen-Verbeek"
BSN = "123456782"
REFERENCE = "2026-004711"
SUBJECT = "Beslag op uitkering mevrouw Pietersen"
MESSAGE_TEXT = "Er ligt een vordering van 4.312,17 euro bij de Belastingdienst; graag uw reactie over het beslag."
REPLY_TEXT = f"Het beslag voor {CLIENT_NAME} (BSN {BSN}) is opgeheven; de terugbetaling volgt binnen 6 weken."
BEWINDVOERDER_NAME = "Hendrik Bewindvoerder-Smit"
KLANTMANAGER_NAME = "Karin Klantmanager-de Vries"
PERSONAL = (CLIENT_NAME, "Pietersen", BSN, REFERENCE, SUBJECT, MESSAGE_TEXT, REPLY_TEXT, "4.312", "terugbetaling",
            BEWINDVOERDER_NAME, KLANTMANAGER_NAME)  # fmt: skip


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Dutch time."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


@pytest.fixture(scope="session")
def smtp_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp(smtp_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    server = SmtpServer(*smtp_cert)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtps(smtp_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """The same server with implicit TLS (SMTPS): TLS from the first byte, then AUTH."""
    server = SmtpServer(*smtp_cert, implicit_tls=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A notification test that talks to the SMTP server (it asks for ``smtp`` or ``smtps``) is marked ``smtp``."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and {"smtp", "smtps"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.smtp)


def _mail_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """Through the test SMTP server when the test asks for it (``smtp``); else the hub writes .eml files."""
    if "smtp" in request.fixturenames:
        server: SmtpServer = request.getfixturevalue("smtp")
        return server.hub_settings()
    return {"HUB_MAIL_FROM": "meldingen@hub.example.nl", "HUB_BASE_URL": "https://hub.example.nl"}


@pytest.fixture
async def mail_hub(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[HubUnderTest]:
    """A hub (SQLite and PostgreSQL in turn) whose outbox the test drives; it sends through the test SMTP server
    when the test asks for ``smtp``."""
    async with running_hub(tmp_path / "data", database_url, **_mail_settings(request)) as hub:
        yield hub


@pytest.fixture
async def mail_hub_sqlite(
    sqlite_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[HubUnderTest]:
    async with running_hub(tmp_path / "data", sqlite_url, **_mail_settings(request)) as hub:
        yield hub


@dataclass
class World:
    hub: HubUnderTest
    gemeente: Organisation
    kantoor: Organisation
    convenant: Convenant
    case: Case
    bewindvoerder: User
    bewindvoerder2: User
    kantoorbeheerder: User
    klantmanager: User
    consulent: User
    contractmanager: User
    beheerder: User

    def worker(self, name: str = "test-worker") -> OutboxWorker:
        return worker_for(self.hub.runtime, name=name)

    async def ask(self, when: datetime, *, author: User | None = None, text: str = MESSAGE_TEXT) -> Thread:
        """A case question posted through the messaging service. Its notification is whatever messaging itself
        writes in the same transaction: nothing here fills in for it."""
        author = author or self.bewindvoerder
        async with self.hub.db() as db:
            svc = ThreadService(db, self.hub.runtime.keyring)
            return await svc.start_thread(author, subject=SUBJECT, body=text, case=self.case.id, now=when)

    async def post(
        self,
        thread: Thread,
        when: datetime,
        *,
        author: User,
        kind: MessageKind = MessageKind.BERICHT,
        agreed_date: date | None = None,
        text: str = REPLY_TEXT,
    ) -> None:
        """A message in ``thread`` through the messaging service (a procesafspraak with ``agreed_date``)."""
        async with self.hub.db() as db:
            svc = ThreadService(db, self.hub.runtime.keyring)
            await svc.post_message(author, thread.id, text, kind=kind, agreed_date=agreed_date, now=when)

    async def answer(self, thread: Thread, when: datetime, *, author: User | None = None) -> None:
        """A substantive reply by the gemeente: stops the clock."""
        async with self.hub.db() as db:
            svc = ThreadService(db, self.hub.runtime.keyring)
            await svc.post_message(
                author or self.klantmanager, thread.id, "Inhoudelijk antwoord.", kind=MessageKind.INHOUDELIJKE_REACTIE,
                now=when,
            )  # fmt: skip

    async def clock_of(self, thread: Thread) -> Clock:
        """The thread's running clock (a casuïstiek thread has at most one), else its only clock."""
        async with self.hub.db() as db:
            clocks = list((await db.execute(select(Clock).where(Clock.thread_id == thread.id))).scalars())
        running = [c for c in clocks if c.stopped_at is None]
        (clock,) = running or clocks
        return clock

    async def outbox(self) -> list[OutboxMail]:
        async with self.hub.db() as db:
            return list((await db.execute(select(OutboxMail).order_by(OutboxMail.created_at))).scalars())


async def insert_case(hub: HubUnderTest, convenant: Convenant, creator: User) -> Case:
    keyring = hub.runtime.keyring
    case_id = new_id()

    def enc(column: str, value: str) -> bytes:
        return encrypt_field(keyring, value, context=field_context("dossier", column, case_id))

    case = Case(
        id=case_id,
        reference=REFERENCE,
        convenant_id=convenant.id,
        gemeente_id=convenant.gemeente_id,
        kantoor_id=convenant.kantoor_id,
        client_name=enc("client_name", CLIENT_NAME),
        bsn=enc("bsn", BSN),
        bsn_index=blind_index(keyring.index_key, BSN, purpose="bsn"),
        birth_date=enc("birth_date", "1961-03-14"),
        bewind_kind="schuldenbewind",
        beschikking_date=date(2025, 9, 1),
        bewind_start_date=date(2025, 9, 1),
        rechtbank="Rechtbank Gelderland",
        created_by=creator.id,
    )
    async with hub.db() as db:
        db.add(case)
    return case


async def build_world(hub: HubUnderTest) -> World:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="convenant@nijmegen.example.nl")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewindvoering De Brug", contact_email="vast@debrug.example.nl")
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    convenant = await hub.convenant(gemeente, kantoor)
    bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER, email="bv1@debrug.example.nl", name=BEWINDVOERDER_NAME)
    world = World(
        hub=hub,
        gemeente=gemeente,
        kantoor=kantoor,
        convenant=convenant,
        case=await insert_case(hub, convenant, bewindvoerder),
        bewindvoerder=bewindvoerder,
        bewindvoerder2=await hub.user(kantoor, Role.BEWINDVOERDER, email="bv2@debrug.example.nl", enrolled=False),
        kantoorbeheerder=await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@debrug.example.nl", enrolled=False),
        klantmanager=await hub.user(
            gemeente, Role.KLANTMANAGER, email="km@nijmegen.example.nl", name=KLANTMANAGER_NAME, enrolled=False
        ),
        consulent=await hub.user(gemeente, Role.CONSULENT, email="cbb@nijmegen.example.nl", enrolled=False),
        contractmanager=await hub.user(gemeente, Role.CONTRACTMANAGER, email="cm@nijmegen.example.nl", enrolled=False),
        beheerder=await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER, email="fb@beheer.example.nl"),
    )
    return world


@pytest.fixture
async def world(mail_hub: HubUnderTest) -> World:
    return await build_world(mail_hub)


@pytest.fixture
async def world_sqlite(mail_hub_sqlite: HubUnderTest) -> World:
    return await build_world(mail_hub_sqlite)


@pytest.fixture
async def world_smtps(sqlite_url: str, tmp_path: Path, smtps: SmtpServer) -> AsyncIterator[World]:
    """A hub configured for implicit TLS (HUB_SMTP_TLS=tls) against the SMTPS server."""
    async with running_hub(tmp_path / "data", sqlite_url, **smtps.hub_settings()) as hub:
        yield await build_world(hub)
