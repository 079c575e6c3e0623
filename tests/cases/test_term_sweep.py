"""The term sweep over the cases' paths, on SQLite and PostgreSQL: every stage mailed once per due moment to the
owing side (and the contractmanager for the schuldhulp term), nothing once the step is recorded, two sweeps at once
still once, a closing day moving the term; the mails carry no content."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from hub.calendars.models import GemeenteClosingDay
from hub.calendars.services import CalendarSource
from hub.cases.case_terms import closing_day_changed
from hub.cases.milestones import K
from hub.cases.models import Case, CaseTermNotice
from hub.cases.term_sweep import sweep_case_terms
from hub.notifications.models import MailKind, MailStatus, OutboxMail
from hub.notifications.render import MailContent, render_parts
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.terms import aanmelding_schuldhulp_due, aanvraag_bijzondere_bijstand_due, add_months, default_calendar
from tests.cases.path import Path, at, build_path
from tests.cases.world import BSN_1, World

BESCHIKKING = date(2025, 3, 4)
CAL = default_calendar()


@pytest.fixture
async def path(world: World) -> Path:
    return await build_path(world)


async def sweep(path: Path, day: date, calendars: CalendarSource | None = None) -> list[tuple[str, str]]:
    async with path.world.hub.db() as db:
        told = await sweep_case_terms(
            db, at(day, 8), calendars or CalendarSource(), OutboxTermNotifier(db), warn_months=(2, 1)
        )
    return [(r.step, r.mark) for r in told]


def recipients(rows: list[OutboxMail], kind: MailKind) -> Counter[str]:
    return Counter(r.recipient_user_id or "" for r in rows if r.kind == kind.value)


async def test_each_stage_once_to_the_owing_side(path: Path) -> None:
    w = path.world
    case = await w.open_case(beschikking_date=BESCHIKKING, bewind_start_date=BESCHIKKING)
    bijstand_day = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL).date()
    twelve_day = aanmelding_schuldhulp_due(BESCHIKKING, calendar=CAL).date()

    # The day before: the terms are computed (the case was opened stale), nothing is due yet.
    assert await sweep(path, bijstand_day - timedelta(days=1)) == []
    assert set(await path.terms(case)) == {"aanvraag_bijzondere_bijstand", "aanmelding_schuldhulp"}
    assert await sweep(path, bijstand_day) == [("aanvraag_bijzondere_bijstand", "vandaag")]
    assert await sweep(path, bijstand_day) == []  # a second run sends nothing more
    rows = await path.outbox()
    bewindvoerders = Counter({w.bv_x.id: 1, w.bv_x2.id: 1})  # nobody assigned: the kantoor's bewindvoerders
    assert recipients(rows, MailKind.DOSSIERTERMIJN_VANDAAG) == bewindvoerders
    assert all(r.organisation_id == w.xander.id and r.link_path == f"/dossiers/{case.id}" for r in rows)

    assert await sweep(path, bijstand_day + timedelta(days=1)) == [("aanvraag_bijzondere_bijstand", "verlopen")]
    assert await sweep(path, bijstand_day + timedelta(days=5)) == []
    rows = await path.outbox()
    assert recipients(rows, MailKind.DOSSIERTERMIJN_VERLOPEN) == bewindvoerders

    # The 12 months of §2.3: warnings 2 and 1 months ahead also to the contractmanager; the assigned bewindvoerder.
    async with w.hub.db() as db:
        await db.execute(update(Case).where(col(Case.id) == case.id).values(bewindvoerder_id=w.bv_x2.id))
    assert await sweep(path, add_months(twelve_day, -2)) == [("aanmelding_schuldhulp", "nadert-2")]
    assert await sweep(path, add_months(twelve_day, -2) + timedelta(days=3)) == []
    rows = await path.outbox()
    warned = Counter({w.bv_x2.id: 1, path.contractmanager.id: 1})
    assert recipients(rows, MailKind.DOSSIERTERMIJN_NADERT) == warned
    assert await sweep(path, add_months(twelve_day, -1)) == [("aanmelding_schuldhulp", "nadert-1")]

    # The aanmelding is recorded: the term ends, its waiting mails are withdrawn, nothing more is sent.
    async with w.hub.db() as db:  # one mail still waiting (a user who chose the daily digest)
        await db.execute(
            update(OutboxMail)
            .where(col(OutboxMail.kind) == MailKind.DOSSIERTERMIJN_NADERT.value)
            .values(status=MailStatus.DIGEST_HELD.value)
        )
    day = add_months(twelve_day, -1) + timedelta(days=2)
    await path.record(w.bv_x, case, K.AANMELDING_SCHULDHULP, day, now=at(day))
    assert "aanmelding_schuldhulp" not in await path.terms(case)
    rows = await path.outbox()
    assert {r.status for r in rows if r.kind == MailKind.DOSSIERTERMIJN_NADERT.value} == {"cancelled"}
    assert await sweep(path, twelve_day) == []
    assert await sweep(path, twelve_day + timedelta(days=1)) == []

    # Each mail says only that a term of the kantoor waits, and links to the case by its id.
    for row in await path.outbox():
        subject, text, html = render_parts(
            MailContent(MailKind(row.kind), w.xander.name, row.link_path, row.due_at), "https://hub.example.nl"
        )
        for secret in ("Johanna", "de Vries", BSN_1, case.reference, "bijstand", "schuldhulp"):
            assert secret not in subject + text + html


async def test_a_term_long_past_is_shown_not_mailed(path: Path) -> None:
    """A case whose path began before the hub knew it: its overdue terms show as late, no mail months later."""
    w = path.world
    await w.open_case(beschikking_date=BESCHIKKING, bewind_start_date=BESCHIKKING)
    bijstand_day = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL).date()
    assert await sweep(path, bijstand_day + timedelta(days=60)) == []
    assert await path.outbox() == []


async def test_two_sweeps_at_once_send_each_stage_once(path: Path) -> None:
    w = path.world
    cases = [
        await w.open_case(bsn=bsn, beschikking_date=BESCHIKKING, bewind_start_date=BESCHIKKING)
        for bsn in ("123456782", "111222333", "999999990")
    ]
    bijstand_day = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL).date()
    await sweep(path, bijstand_day - timedelta(days=1))  # terms computed
    results = await asyncio.gather(sweep(path, bijstand_day), sweep(path, bijstand_day))
    assert sorted(results[0] + results[1]) == [("aanvraag_bijzondere_bijstand", "vandaag")] * 3
    rows = await path.outbox()
    assert len(rows) == 2 * len(cases)  # two bewindvoerders per case, once
    async with w.hub.db() as db:
        notices = (await db.execute(select(CaseTermNotice))).scalars().all()
    assert len(notices) == len(cases)


async def test_a_closing_day_moves_the_term(path: Path) -> None:
    w = path.world
    case = await w.open_case(beschikking_date=BESCHIKKING, bewind_start_date=BESCHIKKING)
    calendars = CalendarSource()
    bijstand_day = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL).date()
    await sweep(path, bijstand_day - timedelta(days=3), calendars)
    async with w.hub.db() as db:
        db.add(GemeenteClosingDay(gemeente_id=w.arnhem.id, day=bijstand_day, created_by=path.contractmanager.id))
        await db.flush()
        assert await closing_day_changed(db, w.arnhem.id, bijstand_day) == 1
    await sweep(path, bijstand_day - timedelta(days=2), calendars)
    moved = (await path.terms(case))["aanvraag_bijzondere_bijstand"].due_at
    expected = aanvraag_bijzondere_bijstand_due(BESCHIKKING, calendar=CAL.with_extra_closed({bijstand_day}))
    assert moved == expected and moved.date() > bijstand_day
    assert await sweep(path, bijstand_day, calendars) == []  # not due on the closing day any more
    assert await sweep(path, moved.date(), calendars) == [("aanvraag_bijzondere_bijstand", "vandaag")]
