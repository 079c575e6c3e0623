"""A period of March 2026 whose term compliance is known by construction, built through the real messaging service
(and milestone rows as the cases' service writes them), for the scenario and page tests."""

from __future__ import annotations

from datetime import date

from hub.cases.milestones import K
from hub.cases.models import CaseMilestone
from hub.messaging.models import Clock, ClockNotice, MessageKind, Thread
from hub.monitoring.compliance import Period
from hub.notifications.interfaces import ReminderStage
from tests.messaging.world import World, at

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
TODAY = date(2026, 7, 1)


async def _ask(world: World, when: object, *, by_gemeente: bool = False) -> Thread:
    user = world.klantmanager if by_gemeente else world.bewindvoerder
    thread: Thread = await world.call("start_thread", user, subject="Vraag over de aanvraag", body="Kunt u kijken?",
                                      case=world.case, now=when)  # fmt: skip
    return thread


async def _answer(world: World, thread: Thread, when: object, *, by_kantoor: bool = False) -> None:
    user = world.bewindvoerder if by_kantoor else world.klantmanager
    await world.call("post_message", user, thread.id, "Het antwoord.", kind=MessageKind.INHOUDELIJKE_REACTIE,
                     now=when)  # fmt: skip


async def _milestone(world: World, kind: K, day: date) -> None:
    recorder = world.klantmanager if kind is K.VERWIJZING else world.bewindvoerder
    async with world.hub.db() as db:
        db.add(CaseMilestone(case_id=world.case.id, kind=kind.value, milestone_date=day, recorded_by=recorder.id,
                             recorded_by_org_id=recorder.organisation_id))  # fmt: skip


async def build_march(world: World) -> None:
    """The gemeente owes four reactions (two kept: 1 and 4 werkdagen, one of them after a procesafspraak; one late
    after 4 werkdagen; one never answered and escalated); the kantoor owes one (kept, 1 werkdag) and three case
    deadlines (contact nieuwe klant kept; afspraak nieuwe klant never made; aanvraag bijzondere bijstand late). A
    question between the other gemeente and kantoor must not show anywhere."""
    kept = await _ask(world, at(2026, 3, 2))  # Monday: due Wednesday 4 March
    await _answer(world, kept, at(2026, 3, 3))
    late = await _ask(world, at(2026, 3, 9))
    await _answer(world, late, at(2026, 3, 13))
    theirs = await _ask(world, at(2026, 3, 16), by_gemeente=True)
    await _answer(world, theirs, at(2026, 3, 17), by_kantoor=True)
    open_late = await _ask(world, at(2026, 3, 23))
    agreed = await _ask(world, at(2026, 3, 24))
    await world.call("post_message", world.klantmanager, agreed.id, "Uiterlijk 31 maart.",
                     kind=MessageKind.PROCESAFSPRAAK, agreed_date=date(2026, 3, 31), now=at(2026, 3, 25))  # fmt: skip
    await _answer(world, agreed, at(2026, 3, 30))
    async with world.hub.db() as db:
        [clock] = [c for c in (await world.call("clocks", world.bewindvoerder, open_late.id))]
        assert isinstance(clock, Clock)
        db.add(ClockNotice(clock_id=clock.id, stage=ReminderStage.ESCALATIE.value, due_at=clock.due_at))
    await world.call("start_thread", world.outsider, subject="Elders", body="Elders", case=None,
                     convenant=world.other_convenant, now=at(2026, 3, 2))  # fmt: skip

    await _milestone(world, K.BESCHIKKING, date(2026, 1, 5))  # aanvraag bijstand due 3 months later
    await _milestone(world, K.AANVRAAG_BIJSTAND, date(2026, 5, 1))
    await _milestone(world, K.VERWIJZING, date(2026, 2, 2))  # contact within 2 werkdagen, afspraak within a week
    await _milestone(world, K.CONTACT_NIEUWE_KLANT, date(2026, 2, 3))
