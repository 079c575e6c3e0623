"""What messaging tells its Notifier (a recording one here, through the same seam the outbox uses): one event per
message for the other party, with the assignee of that side resolved, and every clock that stops or moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hub.messaging.threads import ThreadService
from hub.notifications.interfaces import ClockReminder, MailKind, NotificationEvent, TermsMoved
from tests.messaging.world import World, at, end_of


@dataclass
class RecordingNotifier:
    events: list[NotificationEvent] = field(default_factory=list)
    reminders: list[ClockReminder] = field(default_factory=list)
    clock_changes: list[tuple[str, datetime | None]] = field(default_factory=list)
    moved: list[TermsMoved] = field(default_factory=list)

    async def notify(self, event: NotificationEvent, *, now: datetime) -> None:
        self.events.append(event)

    async def remind(self, reminder: ClockReminder, *, now: datetime) -> None:
        self.reminders.append(reminder)

    async def clock_changed(self, clock_id: str, due_at: datetime | None) -> None:
        self.clock_changes.append((clock_id, due_at))

    async def terms_moved(self, notice: TermsMoved, *, now: datetime) -> None:
        self.moved.append(notice)


async def test_messaging_tells_its_notifier(world: World) -> None:
    recorder = RecordingNotifier()

    async def call(method: str, *args: object, **kwargs: object) -> object:
        async with world.hub.db() as db:
            svc = ThreadService(db, world.keyring, calendars=world.calendars, notifier=recorder)
            return await getattr(svc, method)(*args, **kwargs)

    thread = await call(
        "start_thread", world.bewindvoerder, subject="Vraag", body="Kunt u dit nakijken?", case=world.case,
        now=at(2026, 3, 2),
    )  # fmt: skip
    [asked] = recorder.events
    assert asked == NotificationEvent(
        kind=MailKind.NIEUW_BERICHT,
        organisation_id=world.gemeente.id,
        thread_id=thread.id,  # type: ignore[attr-defined]
        case_id=world.case.id,
        assigned_user_ids=(),  # nobody assigned at the gemeente yet: the roles are told
        due_at=end_of(2026, 3, 4),
    )
    [clock] = await world.call("clocks", world.bewindvoerder, thread.id)  # type: ignore[attr-defined]

    # The klantmanager agrees a date: the clock moves, the kantoor (its starter assigned) hears of it.
    await call(
        "post_message", world.klantmanager, thread.id, "Uiterlijk 13 maart.", kind="procesafspraak",  # type: ignore[attr-defined]
        agreed_date=date(2026, 3, 13), now=at(2026, 3, 3),
    )  # fmt: skip
    agreed = recorder.events[-1]
    assert (agreed.kind, agreed.organisation_id, agreed.assigned_user_ids, agreed.due_at) == (
        MailKind.PROCESAFSPRAAK,
        world.kantoor.id,
        (world.bewindvoerder.id,),
        None,  # the kantoor owes nothing
    )
    assert recorder.clock_changes == [(clock.id, end_of(2026, 3, 13))]

    # The answer stops the clock.
    await call(
        "post_message", world.klantmanager, thread.id, "Het antwoord.", kind="inhoudelijke_reactie",  # type: ignore[attr-defined]
        now=at(2026, 3, 4),
    )  # fmt: skip
    assert recorder.clock_changes[-1] == (clock.id, None)
    assert len(recorder.events) == 3 and recorder.reminders == []


async def test_without_notices_no_event_is_told(world: World) -> None:
    recorder = RecordingNotifier()
    async with world.hub.db() as db:
        svc = ThreadService(db, world.keyring, calendars=world.calendars, notifier=recorder, notifications=False)
        await svc.start_thread(world.bewindvoerder, subject="Vraag", body="Vraag", case=world.case, now=at(2026, 3, 2))
    assert recorder.events == []
