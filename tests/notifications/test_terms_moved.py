"""A gemeente adds or removes a closing day: the running terms on its calendar get their rule-based due moments again
(not those agreed in a procesafspraak), in the same transaction, audited; both parties of each thread whose term
moved get one mail per calendar change saying how many terms moved and by how many werkdagen at most; a retried
request changes nothing and sends nothing more. On SQLite and PostgreSQL, through the real SMTP server.

Monday 8 June 2026 10:00: a case question and a general question are due Wednesday 10 June (the general question's
substantive answer Monday 22 June); a closing day on Tuesday 9 June moves the two 2-werkdagen terms to Thursday.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.roles import OrgKind, Role
from hub.audit.models import AuditEvent
from hub.calendars.models import GemeenteClosingDay
from hub.calendars.services import CalendarSource, ClosingDayService
from hub.errors import NotFound, ValidationError
from hub.messaging.due_moments import DueMoments
from hub.messaging.models import Clock, ClockKind, MessageKind, Thread
from hub.messaging.threads import ThreadService
from hub.notifications.models import MailKind, OutboxMail
from tests.notifications.conftest import MESSAGE_TEXT, PERSONAL, SUBJECT, World, at
from tests.support.smtp import SmtpServer

MOVED = MailKind.TERMIJNEN_VERSCHOVEN.value
KM, CBB, CM = "km@nijmegen.example.nl", "cbb@nijmegen.example.nl", "cm@nijmegen.example.nl"
BV1, BV2 = "bv1@debrug.example.nl", "bv2@debrug.example.nl"
TUESDAY = date(2026, 6, 9)


def flat(text: str) -> str:
    """The text with every run of white space (line breaks of the mail's lines too) as one space."""
    return " ".join(text.split())


def end_of(year: int, month: int, day: int) -> datetime:
    return at(year, month, day, 23, 59).replace(second=59)


async def closing_days(world: World, method: str, *args: Any, **kwargs: Any) -> Any:
    """One call of the closing-day service in its own transaction, wired to messaging's clocks as the page is."""
    async with world.hub.db() as db:
        clocks = DueMoments(db, world.hub.runtime.keyring, calendars=CalendarSource())
        return await getattr(ClosingDayService(db, on_change=clocks.recompute_due), method)(*args, **kwargs)


async def start(world: World, when: datetime, author: Any, **where: str) -> Thread:
    async with world.hub.db() as db:
        svc = ThreadService(db, world.hub.runtime.keyring)
        return await svc.start_thread(author, subject=SUBJECT, body=MESSAGE_TEXT, now=when, **where)


async def clocks_of(world: World, thread: Thread) -> dict[str, datetime]:
    async with world.hub.db() as db:
        rows = await db.execute(select(Clock).where(col(Clock.thread_id) == thread.id, col(Clock.stopped_at).is_(None)))
        return {c.kind: c.due_at for c in rows.scalars()}


async def moved_rows(world: World) -> list[tuple[str, int | None, int | None]]:
    return sorted(
        (r.recipient_address, r.moved_terms, r.moved_werkdagen) for r in await world.outbox() if r.kind == MOVED
    )


async def three_threads(world: World) -> tuple[Thread, Thread, Thread]:
    """A case question (the gemeente owes), a general question (the gemeente owes), and a case question whose term a
    procesafspraak moved to Friday 12 June (the kantoor's starter there: bewindvoerder2)."""
    case_q = await start(world, at(2026, 6, 8, 10), world.bewindvoerder, case=world.case.id)
    general = await start(world, at(2026, 6, 8, 10, 5), world.bewindvoerder, convenant=world.convenant.id)
    agreed = await start(world, at(2026, 6, 8, 9), world.bewindvoerder2, case=world.case.id)
    await world.post(
        agreed, at(2026, 6, 8, 9, 30), author=world.klantmanager, kind=MessageKind.PROCESAFSPRAAK,
        agreed_date=date(2026, 6, 12),
    )  # fmt: skip
    return case_q, general, agreed


async def test_a_closing_day_moves_running_terms_and_tells_both_parties_once(world: World, smtp: SmtpServer) -> None:
    case_q, general, agreed = await three_threads(world)
    # A thread with another gemeente, whose terms Nijmegen's calendar does not touch.
    elders = await world.hub.org(OrgKind.GEMEENTE, "Gemeente Elders")
    await world.hub.user(elders, Role.KLANTMANAGER, email="km@elders.example.nl", enrolled=False)
    elders_convenant = await world.hub.convenant(elders, world.kantoor)
    elsewhere = await start(world, at(2026, 6, 8, 10), world.bewindvoerder, convenant=elders_convenant.id)
    await world.worker().drain(at(2026, 6, 8, 10, 10))
    smtp.messages.clear()

    row = await closing_days(world, "add", world.contractmanager, TUESDAY, "Studiedag", now=at(2026, 6, 8, 12))

    # The 2-werkdagen terms moved to Thursday; the substantive 2 weken, the procesafspraak and Elders did not.
    assert await clocks_of(world, case_q) == {ClockKind.CASUISTIEK.value: end_of(2026, 6, 11)}
    assert await clocks_of(world, general) == {
        ClockKind.ALGEMEEN_EERSTE.value: end_of(2026, 6, 11),
        ClockKind.ALGEMEEN_INHOUDELIJK.value: end_of(2026, 6, 22),
    }
    assert await clocks_of(world, agreed) == {ClockKind.CASUISTIEK.value: end_of(2026, 6, 12)}
    assert min((await clocks_of(world, elsewhere)).values()) == end_of(2026, 6, 10)
    async with world.hub.db() as db:
        fresh = await db.get(Thread, case_q.id)
        assert fresh is not None and fresh.current_due_at == end_of(2026, 6, 11)  # the inbox's column too

    # One row per recipient: the gemeente's people of each thread (the contractmanager for the general question),
    # and the kantoor's assignee of both threads, each with their count and the largest move.
    assert await moved_rows(world) == [(BV1, 2, 1), (CBB, 2, 1), (CM, 1, 1), (KM, 2, 1)]
    assert {r.organisation_id for r in await world.outbox() if r.kind == MOVED} == {world.gemeente.id}

    # Audited: the change, and each clock it moved, by the contractmanager.
    async with world.hub.db() as db:
        audited = (await db.execute(select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id))).all()
    two_werkdagen = [c for t in (case_q, general) for c in await clock_rows(world, t)]
    moved_clocks = {c.id for c in two_werkdagen if c.kind != ClockKind.ALGEMEEN_INHOUDELIJK.value}
    # The procesafspraak's clock keeps its agreed date; its rule-based due moment (kept beside it) moved.
    [agreed_clock] = await clock_rows(world, agreed)
    assert agreed_clock.original_due_at == end_of(2026, 6, 11)
    assert ("calendar.closing_day_add", row.id, world.contractmanager.id) in audited
    assert {o for a, o, _ in audited if a == "clock.due_recomputed"} == moved_clocks | {agreed_clock.id}

    await world.worker().drain(at(2026, 6, 8, 12, 1))
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [BV1, CBB, CM, KM]
    subjects = {m.message["Subject"] for m in smtp.messages}
    assert subjects == {"Reactietermijnen verschoven door sluitingsdagen van Gemeente Nijmegen"}
    [to_cm] = [m for m in smtp.messages if m.rcpt_tos == [CM]]
    assert "Daardoor is 1 lopende reactietermijn in gesprekken" in flat(to_cm.decoded_text())
    [to_bv] = [m for m in smtp.messages if m.rcpt_tos == [BV1]]
    assert "Daardoor zijn 2 lopende reactietermijnen" in flat(to_bv.decoded_text())
    assert "ze verlopen nu ten hoogste 1 werkdag later." in flat(to_bv.decoded_text())
    for m in smtp.messages:
        text = m.decoded_text()
        assert "https://hub.example.nl/inloggen?volgende=/berichten " in flat(text)
        for value in (*PERSONAL, "Studiedag", case_q.id, general.id):
            assert value not in text

    # The same request again (the answer was lost): refused as a duplicate; nothing moves, nobody is told again.
    before = await world.outbox()
    with pytest.raises(ValidationError):
        await closing_days(world, "add", world.contractmanager, TUESDAY, "Studiedag", now=at(2026, 6, 8, 12, 1))
    assert len(await world.outbox()) == len(before)
    assert await clocks_of(world, case_q) == {ClockKind.CASUISTIEK.value: end_of(2026, 6, 11)}

    # Removed again: the terms come back to Wednesday, and everyone hears of that change too.
    smtp.messages.clear()
    await closing_days(world, "remove", world.contractmanager, row.id, now=at(2026, 6, 8, 13))
    assert await clocks_of(world, case_q) == {ClockKind.CASUISTIEK.value: end_of(2026, 6, 10)}
    assert [(a, n, w) for a, n, w in await moved_rows(world) if w is not None and w < 0] == [
        (BV1, 2, -1),
        (CBB, 2, -1),
        (CM, 1, -1),
        (KM, 2, -1),
    ]
    with pytest.raises(NotFound):  # and that request again: the day is gone, nothing changes
        await closing_days(world, "remove", world.contractmanager, row.id, now=at(2026, 6, 8, 13, 1))
    assert len(await moved_rows(world)) == 8
    await world.worker().drain(at(2026, 6, 8, 13, 1))
    assert len(smtp.messages) == 4
    assert all("ten hoogste 1 werkdag eerder" in flat(m.decoded_text()) for m in smtp.messages)


async def clock_rows(world: World, thread: Thread) -> list[Clock]:
    async with world.hub.db() as db:
        return list((await db.execute(select(Clock).where(Clock.thread_id == thread.id))).scalars())


async def test_a_closing_day_that_moves_nothing_tells_nobody(world: World) -> None:
    await start(world, at(2026, 6, 8, 10), world.bewindvoerder, case=world.case.id)
    before = len(await world.outbox())
    await closing_days(world, "add", world.contractmanager, date(2026, 6, 16), "", now=at(2026, 6, 8, 12))
    assert len(await world.outbox()) == before
    async with world.hub.db() as db:
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert "calendar.closing_day_add" in actions and "clock.due_recomputed" not in actions


async def test_moved_terms_respect_assignees_blocked_users_and_digests(world: World) -> None:
    from hub.accounts.models import User
    from hub.cases.models import Case

    async with world.hub.db() as db:
        case = await db.get(Case, world.case.id)
        assert case is not None
        case.gemeente_contact_id = world.klantmanager.id
        db.add(case)
        consulent = await db.get(User, world.consulent.id)
        assert consulent is not None
        consulent.disabled = True
        db.add(consulent)
        km = await db.get(User, world.klantmanager.id)
        assert km is not None
        km.notify_mode = "digest"
        db.add(km)
    await start(world, at(2026, 6, 8, 10), world.bewindvoerder, case=world.case.id)
    await closing_days(world, "add", world.contractmanager, TUESDAY, "", now=at(2026, 6, 8, 12))
    rows = {r.recipient_address: r.status for r in await world.outbox() if r.kind == MOVED}
    assert rows == {KM: "digest_held", BV1: "pending"}


async def test_two_identical_requests_at_once_add_the_day_once(world: World) -> None:
    """The gemeente's row is locked for a calendar change: the second request waits, then finds the day."""
    await start(world, at(2026, 6, 8, 10), world.bewindvoerder, case=world.case.id)
    results = await asyncio.gather(
        *(
            closing_days(world, "add", world.contractmanager, TUESDAY, "Studiedag", now=at(2026, 6, 8, 12))
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["GemeenteClosingDay", "ValidationError"]
    async with world.hub.db() as db:
        assert len(list((await db.execute(select(GemeenteClosingDay))).scalars())) == 1
        told = (await db.execute(select(OutboxMail.recipient_address).where(OutboxMail.kind == MOVED))).scalars()
        assert sorted(told) == [BV1, CBB, KM]  # once each
