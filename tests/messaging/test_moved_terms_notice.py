"""What messaging tells its Notifier when a closing day moves running terms (a recording Notifier, through the seam
the outbox uses): one notice per calendar change, with each moved clock, how far it moved, and who of each party
hears of it (ids only)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.calendars.services import ClosingDayService
from hub.messaging.due_moments import DueMoments
from hub.messaging.threads import ThreadService
from hub.notifications.interfaces import Audience, MovedTerm, TermsMoved, Topic
from tests.messaging.test_notices import RecordingNotifier
from tests.messaging.world import World, at, end_of


async def _closing_days(world: World, recorder: RecordingNotifier, method: str, *args: Any, **kw: Any) -> Any:
    async with world.hub.db() as db:
        clocks = DueMoments(db, world.keyring, calendars=world.calendars, notifier=recorder)
        return await getattr(ClosingDayService(db, on_change=clocks.recompute_due), method)(*args, **kw)


async def test_a_calendar_change_tells_the_notifier_what_moved_and_for_whom(world: World) -> None:
    recorder = RecordingNotifier()
    async with world.hub.db() as db:
        svc = ThreadService(db, world.keyring, calendars=world.calendars, notifier=recorder)
        case_q = await svc.start_thread(
            world.bewindvoerder, subject="Vraag", body="Vraag", case=world.case, bijzondere_bijstand=True,
            now=at(2026, 3, 2),
        )  # fmt: skip
        general = await svc.start_thread(
            world.klantmanager, subject="Vraag", body="Vraag", convenant=world.convenant, now=at(2026, 3, 2, 11)
        )
    [case_clock] = await world.call("clocks", world.bewindvoerder, case_q.id)
    first = min(await world.call("clocks", world.bewindvoerder, general.id), key=lambda c: c.due_at)
    assert case_clock.due_at == first.due_at == end_of(2026, 3, 4)

    row = await _closing_days(world, recorder, "add", world.contractmanager, date(2026, 3, 3), "", now=at(2026, 3, 2))
    [notice] = recorder.moved
    assert isinstance(notice, TermsMoved)
    assert (notice.gemeente_id, notice.change_id) == (world.gemeente.id, f"{row.id}:toegevoegd")
    assert set(notice.terms) == {
        MovedTerm(
            case_clock.id,
            1,
            (
                Audience(world.gemeente.id, (), frozenset({Topic.BIJZONDERE_BIJSTAND})),
                Audience(world.kantoor.id, (world.bewindvoerder.id,), frozenset({Topic.BIJZONDERE_BIJSTAND})),
            ),
        ),
        MovedTerm(
            first.id,
            1,
            (
                Audience(world.gemeente.id, (world.klantmanager.id,), frozenset({Topic.ALGEMENE_VRAAG})),
                Audience(world.kantoor.id, (), frozenset({Topic.ALGEMENE_VRAAG})),
            ),
        ),
    }
    assert (case_clock.id, end_of(2026, 3, 5)) in recorder.clock_changes

    # Removed: the same terms move back, one werkdag earlier, as a change of its own.
    await _closing_days(world, recorder, "remove", world.contractmanager, row.id, now=at(2026, 3, 2))
    back = recorder.moved[-1]
    assert back.change_id == f"{row.id}:verwijderd"
    assert {(t.clock_id, t.werkdagen) for t in back.terms} == {(case_clock.id, -1), (first.id, -1)}


async def test_without_notices_the_terms_still_move(world: World) -> None:
    recorder = RecordingNotifier()
    await world.call("start_thread", world.bewindvoerder, subject="V", body="V", case=world.case, now=at(2026, 3, 2))
    async with world.hub.db() as db:
        clocks = DueMoments(db, world.keyring, calendars=world.calendars, notifier=recorder, notifications=False)
        await ClosingDayService(db, on_change=clocks.recompute_due).add(
            world.contractmanager, date(2026, 3, 3), "", now=at(2026, 3, 2)
        )
    assert recorder.moved == [] and len(recorder.clock_changes) == 1
