"""A reminder that is no longer true is never sent, also when it was written in a race with the clock's stop or is
taken up again after a dead worker's lease: the outbox asks the clocks' owner (messaging) once more before sending,
and before held reminders go into a digest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from hub.messaging.models import Clock
from hub.notifications.models import MailKind
from hub.notifications.worker import LEASE
from tests.notifications.conftest import World, at
from tests.notifications.test_rules import ASKED, set_user, sweep

VANDAAG = MailKind.TERMIJN_VERLOOPT_VANDAAG.value
SWEPT = at(2026, 4, 29, 0, 10)  # the due day of the question asked on ASKED


async def stop_behind_the_outboxs_back(world: World, when_stopped: object) -> None:
    """The clock stops in a transaction that did not see the sweep's rows (they were not yet committed)."""
    async with world.hub.db() as db:
        await db.execute(update(Clock).values(stopped_at=when_stopped, stop_kind="inhoudelijke_reactie"))


async def vandaag_rows(world: World) -> list[tuple[str, str | None]]:
    return sorted((r.status, r.last_error) for r in await world.outbox() if r.kind == VANDAAG)


async def test_a_reminder_written_as_its_clock_stopped_is_cancelled_when_claimed(world_sqlite: World) -> None:
    world = world_sqlite
    await world.ask(ASKED)
    assert len(await sweep(world, SWEPT)) == 2
    await stop_behind_the_outboxs_back(world, at(2026, 4, 29, 0, 9))
    await world.worker().drain(at(2026, 4, 29, 0, 11))
    assert await vandaag_rows(world) == [("cancelled", "Termijn gestopt voor verzending")] * 2


async def test_a_reminder_taken_up_after_a_dead_workers_lease_is_checked_again(world_sqlite: World) -> None:
    world = world_sqlite
    await world.ask(ASKED)
    await sweep(world, SWEPT)
    claimed_at = at(2026, 4, 29, 0, 11)
    jobs = await world.worker("dead-worker").claim(claimed_at)  # ... and the worker dies before sending them
    assert len(jobs) == 4  # the question's mail to two users and two "verloopt vandaag", all true when claimed
    await stop_behind_the_outboxs_back(world, at(2026, 4, 29, 9))
    await world.worker().drain(claimed_at + LEASE + timedelta(minutes=1))
    assert await vandaag_rows(world) == [("cancelled", "Termijn gestopt voor verzending")] * 2
    assert [r.status for r in await world.outbox() if r.kind == MailKind.NIEUW_BERICHT.value] == ["sent"] * 2


async def test_a_held_reminder_of_a_stopped_clock_stays_out_of_the_digest(world_sqlite: World) -> None:
    world = world_sqlite
    await set_user(world, world.consulent, notify_mode="digest")
    await set_user(world, world.klantmanager, notify_mode="digest")
    await world.ask(ASKED)
    await sweep(world, SWEPT)  # "verloopt vandaag" held for both digests
    await stop_behind_the_outboxs_back(world, at(2026, 4, 29, 0, 15))
    await world.worker().sweep(at(2026, 4, 29, 8))  # digests at the digest hour
    assert await vandaag_rows(world) == [("cancelled", "Termijn gestopt voor verzending")] * 2
