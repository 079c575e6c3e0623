"""Who gets what and when, as scenarios with a controlled clock (every sweep gets its `now`).

The question of Friday 24 April 2026 10:00 is due Wednesday 29 April 2026 23:59:59 (Monday 27 April is Koningsdag).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from hub.accounts.models import User
from hub.accounts.roles import OrgKind, Role
from hub.calendars.models import GemeenteClosingDay
from hub.calendars.services import CalendarSource
from hub.cases.models import Case
from hub.messaging.assignees import side_assignees
from hub.messaging.models import ClockNotice, MessageKind, Thread
from hub.messaging.reminders import sweep_clocks
from hub.notifications.interfaces import NotificationEvent
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.notifications.outbox import OutboxNotifier, notify
from hub.notifications.services import build_digests
from hub.terms import AMSTERDAM
from tests.notifications.conftest import PERSONAL, World, at
from tests.support.smtp import SmtpServer

ASKED = at(2026, 4, 24, 10)
DUE = datetime(2026, 4, 29, 23, 59, 59, tzinfo=ASKED.tzinfo)
AGREED = datetime(2026, 5, 6, 23, 59, 59, tzinfo=ASKED.tzinfo)  # a procesafspraak for Wednesday 6 May


async def sweep(world: World, now: datetime, escalate_after: int = 1) -> list[tuple[str, str]]:
    """One sweep of messaging's reminders told to the outbox; the (kind, address) pairs of the rows it wrote."""
    before = {r.id for r in await world.outbox()}
    async with world.hub.db() as db:
        calendar_for = await CalendarSource().calendar_for(db)
        await sweep_clocks(db, now, calendar_for, OutboxNotifier(db), escalate_after=escalate_after)
    return sorted((r.kind, r.recipient_address) for r in await world.outbox() if r.id not in before)


async def digests(world: World, now: datetime, hour: int = 8) -> list[OutboxMail]:
    async with world.hub.db() as db:
        return await build_digests(db, now, hour, calendar_for=await CalendarSource().calendar_for(db))


async def set_user(world: World, user: User, **values: object) -> None:
    async with world.hub.db() as db:
        fresh = await db.get(User, user.id)
        assert fresh is not None
        for k, v in values.items():
            setattr(fresh, k, v)
        db.add(fresh)


GEMEENTE_USERS = ["cbb@nijmegen.example.nl", "km@nijmegen.example.nl"]
VANDAAG, VERLOPEN, ESCALATIE = (
    MailKind.TERMIJN_VERLOOPT_VANDAAG.value,
    MailKind.TERMIJN_VERLOPEN.value,
    MailKind.ESCALATIE.value,
)


# -- reminders and escalation --------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_one_reminder_per_stage_and_escalation_after_one_werkdag(world: World, smtp: SmtpServer) -> None:
    thread = await world.ask(ASKED)
    assert (await world.clock_of(thread)).due_at == DUE

    assert await sweep(world, at(2026, 4, 28, 10)) == []  # due tomorrow: nothing yet
    assert await sweep(world, at(2026, 4, 29, 0, 10)) == [(VANDAAG, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 4, 29, 15)) == []  # once, not every sweep
    assert await sweep(world, at(2026, 4, 30, 0, 10)) == [(VERLOPEN, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 4, 30, 16)) == []  # Thursday: the werkdag of grace
    assert await sweep(world, at(2026, 5, 1, 0, 10)) == [
        (ESCALATIE, "cm@nijmegen.example.nl"),  # the gemeente's contractmanager
        (ESCALATIE, "convenant@nijmegen.example.nl"),  # the fixed covenant address
    ]
    assert await sweep(world, at(2026, 5, 1, 12)) == []
    assert await sweep(world, at(2026, 5, 11, 12)) == []  # and never again

    worker = world.worker()
    await worker.drain(at(2026, 5, 1, 0, 11))
    subjects = sorted((m.message["Subject"], m.rcpt_tos[0]) for m in smtp.messages)
    assert ("Termijn overschreden: Gemeente Nijmegen", "convenant@nijmegen.example.nl") in subjects
    assert ("Termijn overschreden: Gemeente Nijmegen", "cm@nijmegen.example.nl") in subjects
    assert ("Termijn verloopt vandaag voor Gemeente Nijmegen", "km@nijmegen.example.nl") in subjects
    assert ("Termijn verlopen voor Gemeente Nijmegen", "cbb@nijmegen.example.nl") in subjects
    assert len(smtp.messages) == 2 + 2 + 2 + 2  # nieuw bericht, vandaag, verlopen, escalatie
    for m in smtp.messages:
        text = m.decoded_text()
        assert "woensdag 29 april 2026" in text
        for value in PERSONAL:
            assert value not in text


async def test_a_stopped_clock_sends_nothing_more(world_sqlite: World, smtp: SmtpServer) -> None:
    world = world_sqlite
    thread = await world.ask(ASKED)
    assert len(await sweep(world, at(2026, 4, 29, 0, 10))) == 2
    await world.answer(thread, at(2026, 4, 29, 9))  # before the worker got to the "vandaag" mails
    await world.worker().drain(at(2026, 4, 29, 9, 1))
    assert sorted(m.message["Subject"] for m in smtp.messages) == [
        "Nieuw bericht voor Bewindvoering De Brug",  # the answer
        "Nieuw bericht voor Gemeente Nijmegen",  # the question
        "Nieuw bericht voor Gemeente Nijmegen",
    ]
    statuses = {(r.kind, r.status) for r in await world.outbox()}
    assert statuses == {(MailKind.NIEUW_BERICHT.value, "sent"), (VANDAAG, "cancelled")}
    assert await sweep(world, at(2026, 4, 30, 0, 10)) == []
    assert await sweep(world, at(2026, 5, 4, 0, 10)) == []


async def test_the_kantoor_side_escalates_to_its_fixed_address_and_the_gemeentes_contractmanager(
    world_sqlite: World, smtp: SmtpServer
) -> None:
    world = world_sqlite
    # A contractmanager of another gemeente, and a blocked one of this gemeente: neither is told.
    elders = await world.hub.org(OrgKind.GEMEENTE, "Gemeente Elders")
    await world.hub.user(elders, Role.CONTRACTMANAGER, email="cm@elders.example.nl", enrolled=False)
    gone = await world.hub.user(
        world.gemeente, Role.CONTRACTMANAGER, email="cm-oud@nijmegen.example.nl", enrolled=False
    )
    await set_user(world, gone, disabled=True)

    await world.ask(ASKED, author=world.klantmanager)  # the gemeente asks: the kantoor owes the answer
    bewindvoerders = ["bv1@debrug.example.nl", "bv2@debrug.example.nl"]  # not the kantoorbeheerder
    assert await sweep(world, at(2026, 4, 29, 8)) == [(VANDAAG, a) for a in bewindvoerders]
    assert await sweep(world, at(2026, 4, 30, 8)) == [(VERLOPEN, a) for a in bewindvoerders]
    assert await sweep(world, at(2026, 5, 1, 8)) == [
        (ESCALATIE, "cm@nijmegen.example.nl"),  # the gemeente's contractmanager watches the kantoor's terms
        (ESCALATIE, "vast@debrug.example.nl"),  # the kantoor's fixed covenant address
    ]
    assert await sweep(world, at(2026, 5, 4, 8)) == []

    # Both mails name the late organisation, the kantoor; the contractmanager gets it at once, not in a digest.
    await set_user(world, world.contractmanager, notify_mode="digest")
    await world.worker().drain(at(2026, 5, 1, 8, 1))
    escalations = sorted(
        (m.rcpt_tos[0], m.message["Subject"]) for m in smtp.messages if m.message["Subject"].startswith("Termijn over")
    )
    assert escalations == [
        ("cm@nijmegen.example.nl", "Termijn overschreden: Bewindvoering De Brug"),
        ("vast@debrug.example.nl", "Termijn overschreden: Bewindvoering De Brug"),
    ]
    for m in smtp.messages:
        assert "woensdag 29 april 2026" in m.decoded_text() or m.message["Subject"].startswith("Nieuw bericht")
        for value in PERSONAL:
            assert value not in m.decoded_text()


async def test_a_contractmanager_at_the_fixed_address_gets_one_escalation(world_sqlite: World) -> None:
    world = world_sqlite
    await set_user(world, world.contractmanager, email="convenant@nijmegen.example.nl")
    await world.ask(ASKED)
    assert await sweep(world, at(2026, 5, 1, 9)) == [
        (ESCALATIE, "convenant@nijmegen.example.nl"),
        (VERLOPEN, "cbb@nijmegen.example.nl"),
        (VERLOPEN, "km@nijmegen.example.nl"),
    ]


async def test_the_assignee_on_the_owing_side_gets_the_reminders(world_sqlite: World) -> None:
    world = world_sqlite
    thread = await world.ask(ASKED)
    async with world.hub.db() as db:
        fresh = await db.get(Thread, thread.id)
        assert fresh is not None
        fresh.gemeente_assignee_id = world.consulent.id
        db.add(fresh)
    assert await sweep(world, at(2026, 4, 29, 8)) == [(VANDAAG, "cbb@nijmegen.example.nl")]


async def test_escalation_counts_werkdagen_of_the_gemeentes_calendar(world_sqlite: World) -> None:
    world = world_sqlite
    await world.ask(ASKED)
    async with world.hub.db() as db:  # Thursday 30 April: the gemeente is closed
        db.add(
            GemeenteClosingDay(
                gemeente_id=world.gemeente.id, day=date(2026, 4, 30), created_by=world.contractmanager.id
            )
        )
    await sweep(world, at(2026, 4, 30, 0, 10))
    assert await sweep(world, at(2026, 5, 1, 0, 10)) == []  # Friday is the first werkdag after the due day
    assert [k for k, _ in await sweep(world, at(2026, 5, 2, 0, 10))] == [ESCALATIE, ESCALATIE]


async def test_escalation_after_a_configured_number_of_werkdagen(world_sqlite: World) -> None:
    world = world_sqlite
    await world.ask(ASKED)
    await sweep(world, at(2026, 4, 30, 0, 10), escalate_after=2)
    assert await sweep(world, at(2026, 5, 1, 20), escalate_after=2) == []
    assert [k for k, _ in await sweep(world, at(2026, 5, 2, 0, 10), escalate_after=2)] == [ESCALATIE, ESCALATIE]


async def test_a_late_first_sweep_sends_only_what_is_still_true(world_sqlite: World) -> None:
    world = world_sqlite
    await world.ask(ASKED)
    # The worker was away from Tuesday to Friday: no stale "verloopt vandaag", one "verlopen", one escalation.
    assert [k for k, _ in await sweep(world, at(2026, 5, 1, 9))] == [ESCALATIE, ESCALATIE, VERLOPEN, VERLOPEN]


# -- procesafspraak: a new due moment, its own reminders -------------------------------------------------------------


@pytest.mark.postgres
async def test_a_procesafspraak_after_the_vandaag_mail_gets_reminders_on_the_agreed_date(
    world: World, smtp: SmtpServer
) -> None:
    thread = await world.ask(ASKED)
    worker = world.worker()
    assert await sweep(world, at(2026, 4, 29, 0, 10)) == [(VANDAAG, a) for a in GEMEENTE_USERS]
    await worker.drain(at(2026, 4, 29, 0, 11))
    # The klantmanager cannot answer today and agrees Wednesday 6 May with the kantoor.
    await world.post(
        thread, at(2026, 4, 29, 11), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 5, 6),
    )  # fmt: skip
    assert (await world.clock_of(thread)).due_at == AGREED
    for moment in (at(2026, 4, 29, 15), at(2026, 4, 30, 0, 10), at(2026, 5, 1, 9), at(2026, 5, 5, 23)):
        assert await sweep(world, moment) == [], moment  # the old due moment is met by the afspraak: no "verlopen"
    assert await sweep(world, at(2026, 5, 6, 0, 10)) == [(VANDAAG, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 5, 6, 16)) == []
    assert await sweep(world, at(2026, 5, 7, 0, 10)) == [(VERLOPEN, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 5, 7, 18)) == []
    assert await sweep(world, at(2026, 5, 8, 0, 10)) == [
        (ESCALATIE, "cm@nijmegen.example.nl"),
        (ESCALATIE, "convenant@nijmegen.example.nl"),
    ]
    for day in (8, 11, 12, 20):
        assert await sweep(world, at(2026, 5, day, 12)) == []

    await worker.drain(at(2026, 5, 8, 0, 11))
    reminders = [
        (m.message["Subject"].split(" ")[1], m.rcpt_tos[0], "woensdag 6 mei 2026" in m.decoded_text())
        for m in smtp.messages
        if m.message["Subject"].startswith("Termijn")
    ]
    # Per address: the first "vandaag" (29 April), and for the agreed date one "vandaag", one "verlopen".
    assert sorted(reminders) == sorted(
        [("verloopt", a, False) for a in GEMEENTE_USERS]
        + [(w, a, True) for w in ("verloopt", "verlopen") for a in GEMEENTE_USERS]
        + [("overschreden:", a, True) for a in ("cm@nijmegen.example.nl", "convenant@nijmegen.example.nl")]
    )
    assert {r.status for r in await world.outbox()} == {"sent"}


@pytest.mark.postgres
async def test_an_escalated_clock_is_reminded_again_after_a_late_procesafspraak(world: World) -> None:
    thread = await world.ask(ASKED)
    assert [k for k, _ in await sweep(world, at(2026, 5, 1, 9))] == [ESCALATIE, ESCALATIE, VERLOPEN, VERLOPEN]
    assert await sweep(world, at(2026, 5, 4, 9)) == []
    # Monday 4 May, late: the klantmanager agrees Thursday 7 May.
    await world.post(
        thread, at(2026, 5, 4, 10), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 5, 7),
    )  # fmt: skip
    assert await sweep(world, at(2026, 5, 4, 12)) == []
    assert await sweep(world, at(2026, 5, 6, 12)) == []
    assert await sweep(world, at(2026, 5, 7, 0, 10)) == [(VANDAAG, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 5, 8, 0, 10)) == [(VERLOPEN, a) for a in GEMEENTE_USERS]
    assert await sweep(world, at(2026, 5, 8, 23)) == []  # Friday: the werkdag of grace
    assert [k for k, _ in await sweep(world, at(2026, 5, 9, 0, 10))] == [ESCALATIE, ESCALATIE]
    assert await sweep(world, at(2026, 5, 11, 9)) == []
    async with world.hub.db() as db:
        stages = sorted((n.stage, n.due_at) for n in (await db.execute(select(ClockNotice))).scalars())
    agreed = datetime(2026, 5, 7, 23, 59, 59, tzinfo=ASKED.tzinfo)
    assert stages == sorted(
        [("escalatie", DUE), ("verlopen", DUE), ("escalatie", agreed), ("vandaag", agreed), ("verlopen", agreed)]
    )


async def test_a_queued_reminder_for_a_moved_due_moment_is_not_sent(world_sqlite: World, smtp: SmtpServer) -> None:
    world = world_sqlite
    await set_user(world, world.consulent, notify_mode="digest")
    thread = await world.ask(ASKED)
    await sweep(world, at(2026, 4, 29, 0, 10))  # "verloopt vandaag": waiting (km) and held for the digest (cbb)
    await world.post(
        thread, at(2026, 4, 29, 7), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 5, 6),
    )  # fmt: skip
    await world.worker().drain(at(2026, 4, 29, 7, 1))
    assert [m.message["Subject"] for m in smtp.messages if m.rcpt_tos == ["km@nijmegen.example.nl"]] == [
        "Nieuw bericht voor Gemeente Nijmegen"
    ]
    made = await digests(world, at(2026, 4, 29, 8))
    assert len(made) == 1  # the consulent's digest counts the question only
    vandaag = [r for r in await world.outbox() if r.kind == VANDAAG]
    assert [(r.status, r.last_error) for r in vandaag] == [("cancelled", "Termijn verschoven voor verzending")] * 2
    # The new due moment gets its own "verloopt vandaag".
    assert await sweep(world, at(2026, 5, 6, 0, 10)) == [(VANDAAG, a) for a in GEMEENTE_USERS]


async def test_the_queued_nieuw_bericht_takes_the_due_moment_of_the_newest_event(
    world_sqlite: World, smtp: SmtpServer
) -> None:
    world = world_sqlite
    monday = at(2026, 5, 11, 10)
    thread = await world.ask(monday)  # the gemeente owes a reaction by Wednesday 13 May
    waiting = [r for r in await world.outbox() if r.organisation_id == world.gemeente.id]
    assert {r.due_at for r in waiting} == {(await world.clock_of(thread)).due_at}
    # Before that mail goes out, the klantmanager asks the kantoor for information (the gemeente's clock stops,
    # the kantoor's starts), and the bewindvoerder sends a plain message: the gemeente owes nothing now.
    await world.post(thread, monday + timedelta(minutes=5), author=world.klantmanager,
                     kind=MessageKind.VRAAG_OM_INFORMATIE)  # fmt: skip
    await world.post(thread, monday + timedelta(minutes=10), author=world.bewindvoerder)
    waiting = [r for r in await world.outbox() if r.organisation_id == world.gemeente.id]
    assert len(waiting) == 2  # still one notice per user, now without a due moment
    assert {r.due_at for r in waiting} == {None}
    await world.worker().drain(monday + timedelta(minutes=11))
    to_gemeente = [m for m in smtp.messages if m.rcpt_tos[0].endswith("@nijmegen.example.nl")]
    assert len(to_gemeente) == 2
    for m in to_gemeente:
        assert "13 mei" not in m.decoded_text() and "uiterlijk" not in m.decoded_text()
    # And the other way: a new event with a due moment gives the waiting notice that due moment.
    # The information arrives (the gemeente owes again), and another message follows before the mail goes out.
    await world.post(thread, monday + timedelta(minutes=20), author=world.bewindvoerder,
                     kind=MessageKind.INHOUDELIJKE_REACTIE)  # fmt: skip
    due = (await world.clock_of(thread)).due_at
    await world.post(thread, monday + timedelta(minutes=25), author=world.bewindvoerder)
    waiting = [r for r in await world.outbox() if r.organisation_id == world.gemeente.id and r.status == "pending"]
    assert len(waiting) == 2 and {r.due_at for r in waiting} == {due}


# -- recipients ---------------------------------------------------------------------------------------------------


async def event_rows(world: World, event: NotificationEvent, now: datetime) -> list[str]:
    async with world.hub.db() as db:
        return sorted(await notify(db, event, now=now))


async def test_recipient_rules(world_sqlite: World) -> None:
    world = world_sqlite
    now = at(2026, 5, 11, 10)
    await world.ask(now)
    base = {"kind": MailKind.NIEUW_DOCUMENT, "case_id": world.case.id}
    # No assignee: the gemeente's klantmanager and consulent (not the contractmanager).
    assert await event_rows(world, NotificationEvent(organisation_id=world.gemeente.id, **base), now) == GEMEENTE_USERS
    # The kantoor's bewindvoerders (not the kantoorbeheerder).
    assert await event_rows(world, NotificationEvent(organisation_id=world.kantoor.id, **base), now) == [
        "bv1@debrug.example.nl",
        "bv2@debrug.example.nl",
    ]
    # The producer names the receiving side's assignees.
    named = NotificationEvent(organisation_id=world.kantoor.id, assigned_user_ids=(world.bewindvoerder2.id,), **base)
    assert await event_rows(world, named, now) == ["bv2@debrug.example.nl"]
    # One of another organisation is ignored.
    explicit = NotificationEvent(
        organisation_id=world.kantoor.id, assigned_user_ids=(world.bewindvoerder.id, world.klantmanager.id), **base
    )
    assert await event_rows(world, explicit, now) == ["bv1@debrug.example.nl"]
    # A blocked assignee: back to the roles, without blocked users.
    await set_user(world, world.bewindvoerder2, disabled=True)
    assert await event_rows(world, named, now) == ["bv1@debrug.example.nl"]


async def test_messaging_names_the_assignee_of_the_receiving_side(world_sqlite: World) -> None:
    """The thread's assignee for that side, else the case's; nobody when neither is set."""
    world = world_sqlite
    thread = await world.ask(at(2026, 5, 11, 10))  # the bewindvoerder started it: assigned on the kantoor side

    async def assignees(org_id: str) -> tuple[str, ...]:
        async with world.hub.db() as db:
            fresh = await db.get(Thread, thread.id)
            assert fresh is not None
            return await side_assignees(db, fresh, org_id)

    assert await assignees(world.kantoor.id) == (world.bewindvoerder.id,)
    assert await assignees(world.gemeente.id) == ()
    async with world.hub.db() as db:
        case = await db.get(Case, world.case.id)
        assert case is not None
        case.bewindvoerder_id = world.bewindvoerder2.id
        case.gemeente_contact_id = world.consulent.id
        db.add(case)
        fresh = await db.get(Thread, thread.id)
        assert fresh is not None
        fresh.kantoor_assignee_id = None
        db.add(fresh)
    assert await assignees(world.kantoor.id) == (world.bewindvoerder2.id,)
    assert await assignees(world.gemeente.id) == (world.consulent.id,)
    # And the notice of the next message goes to that assignee only.
    before = {r.id for r in await world.outbox()}
    await world.post(thread, at(2026, 5, 11, 11), author=world.klantmanager)
    assert [r.recipient_address for r in await world.outbox() if r.id not in before] == ["bv2@debrug.example.nl"]


async def test_unsent_notifications_for_the_same_thing_are_not_repeated(world_sqlite: World) -> None:
    world = world_sqlite
    now = at(2026, 5, 11, 10)
    thread = await world.ask(now)
    event = NotificationEvent(kind=MailKind.NIEUW_BERICHT, organisation_id=world.gemeente.id, thread_id=thread.id)
    await event_rows(world, event, now + timedelta(minutes=1))
    assert len(await world.outbox()) == 2  # still one per user
    await world.worker().drain(now + timedelta(minutes=2))
    await event_rows(world, event, now + timedelta(minutes=3))
    assert len(await world.outbox()) == 4  # after sending, a new message is news again


def test_events_carry_ids_only() -> None:
    org = "a" * 32
    with pytest.raises(ValueError, match="not an event kind"):
        NotificationEvent(kind=MailKind.DIGEST, organisation_id=org, thread_id=org)
    with pytest.raises(ValueError, match="hub id"):
        NotificationEvent(kind=MailKind.NIEUW_BERICHT, organisation_id=org, case_id="2026-004711")
    with pytest.raises(ValueError, match="thread_id or a case_id"):
        NotificationEvent(kind=MailKind.NIEUW_BERICHT, organisation_id=org)
    with pytest.raises(ValueError, match="timezone"):
        NotificationEvent(kind="nieuw_bericht", organisation_id=org, thread_id=org, due_at=datetime(2026, 5, 1))  # type: ignore[arg-type]
    assert NotificationEvent(kind="nieuw_document", organisation_id=org, case_id=org).link_path == f"/dossiers/{org}"  # type: ignore[arg-type]


# -- digests ------------------------------------------------------------------------------------------------------


async def held(world: World) -> list[OutboxMail]:
    async with world.hub.db() as db:
        result = await db.execute(select(OutboxMail).where(OutboxMail.status == MailStatus.DIGEST_HELD.value))
        return list(result.scalars())


@pytest.mark.postgres
async def test_digest_once_a_werkdag_after_the_hour(world: World, smtp: SmtpServer) -> None:
    await set_user(world, world.klantmanager, notify_mode="digest")
    await world.ask(at(2026, 5, 11, 10))  # Monday
    await world.ask(at(2026, 5, 11, 11))
    rows = await world.outbox()
    assert sorted((r.recipient_address, r.status) for r in rows) == [
        ("cbb@nijmegen.example.nl", "pending"),
        ("cbb@nijmegen.example.nl", "pending"),
        ("km@nijmegen.example.nl", "digest_held"),
        ("km@nijmegen.example.nl", "digest_held"),
    ]
    assert await digests(world, at(2026, 5, 12, 7, 59)) == []  # before the hour
    made = await digests(world, at(2026, 5, 12, 8, 0))
    assert [(d.kind, d.recipient_address) for d in made] == [("digest", "km@nijmegen.example.nl")]
    assert await held(world) == []
    assert await digests(world, at(2026, 5, 12, 9)) == []  # one a day

    worker = world.worker()
    await worker.drain(at(2026, 5, 12, 8, 1))
    digest_mails = [m for m in smtp.messages if m.rcpt_tos == ["km@nijmegen.example.nl"]]
    assert len(digest_mails) == 1
    assert digest_mails[0].message["Subject"] == "Dagelijks overzicht voor Gemeente Nijmegen: 2 meldingen"
    text = digest_mails[0].decoded_text()
    assert "2 nieuwe berichten" in text
    for value in PERSONAL:
        assert value not in text

    # Something new after today's digest waits for the next werkdag's.
    await world.ask(at(2026, 5, 12, 10))
    assert await digests(world, at(2026, 5, 12, 11)) == []
    assert len(await held(world)) == 1
    assert len(await digests(world, at(2026, 5, 13, 8, 30))) == 1


async def test_a_digest_user_gets_one_digest_per_werkdag(world_sqlite: World, smtp: SmtpServer) -> None:
    """A week of hourly runs with a new question every day at 10:00: one digest on each werkdag that had news, none
    on Hemelvaartsdag, the decree bridge day or the weekend, and those days' news in Monday's digest."""
    world = world_sqlite
    await set_user(world, world.klantmanager, notify_mode="digest")
    start = at(2026, 5, 11, 0)
    made: list[OutboxMail] = []
    for hour in range(7 * 24 + 13):  # Monday 11 May 00:00 to Monday 18 May 12:00
        now = start + timedelta(hours=hour)
        if now.astimezone(AMSTERDAM).hour == 10 and now.astimezone(AMSTERDAM).date() < date(2026, 5, 18):
            await world.ask(now)
        made += await digests(world, now)
    days = [d.created_at.astimezone(AMSTERDAM).date() for d in made]
    assert days == [date(2026, 5, 11), date(2026, 5, 12), date(2026, 5, 13), date(2026, 5, 18)]
    await world.worker().drain(at(2026, 5, 18, 12))
    subjects = [m.message["Subject"] for m in smtp.messages if m.rcpt_tos == ["km@nijmegen.example.nl"]]
    assert subjects == ["Dagelijks overzicht voor Gemeente Nijmegen: 1 melding"] * 3 + [
        "Dagelijks overzicht voor Gemeente Nijmegen: 4 meldingen"
    ]


async def test_no_digest_on_weekends_feestdagen_and_decree_days(world_sqlite: World) -> None:
    world = world_sqlite
    await set_user(world, world.klantmanager, notify_mode="digest")
    await world.ask(at(2026, 5, 13, 10))  # Wednesday
    assert len(await digests(world, at(2026, 5, 13, 12))) == 1
    await world.ask(at(2026, 5, 13, 14))
    for day in (14, 15, 16, 17):  # Hemelvaartsdag, the decree bridge day, Saturday, Sunday
        assert await digests(world, at(2026, 5, day, 9)) == [], day
    assert len(await digests(world, at(2026, 5, 18, 8))) == 1


async def test_digest_hour_is_configurable_and_reminders_of_stopped_clocks_drop_out(world_sqlite: World) -> None:
    world = world_sqlite
    await set_user(world, world.klantmanager, notify_mode="digest")
    thread = await world.ask(ASKED)
    await sweep(world, at(2026, 4, 29, 0, 10))  # "verloopt vandaag", held for the digest
    await world.answer(thread, at(2026, 4, 29, 6))
    assert await digests(world, at(2026, 4, 29, 6, 30), hour=7) == []
    made = await digests(world, at(2026, 4, 29, 7), hour=7)
    assert len(made) == 1
    async with world.hub.db() as db:
        kinds = (
            await db.execute(select(OutboxMail.kind, OutboxMail.status).where(OutboxMail.digest_id == made[0].id))
        ).all()
    assert [tuple(k) for k in kinds] == [(MailKind.NIEUW_BERICHT.value, "digested")]
    assert (VANDAAG, "cancelled") in {(r.kind, r.status) for r in await world.outbox()}


async def test_only_a_party_can_be_notified(world_sqlite: World) -> None:
    """The producer vouches for the receiving organisation: messaging names no assignee of a non-party."""
    world = world_sqlite
    now = at(2026, 5, 11, 10)
    thread = await world.ask(now)
    stranger = await world.hub.org(OrgKind.GEMEENTE, "Gemeente Elders")
    async with world.hub.db() as db:
        fresh = await db.get(Thread, thread.id)
        assert fresh is not None
        with pytest.raises(ValueError, match="not a party"):
            await side_assignees(db, fresh, stranger.id)
