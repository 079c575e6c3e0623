"""The demo conversations show every state of a clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.messaging.demo import seed_threads
from hub.messaging.models import ClockKind, StopKind, ThreadKind
from hub.terms import AMSTERDAM, describe_due, werkdag_on_or_after
from tests.messaging.world import World, at, insert_case


@pytest.mark.parametrize(
    "now", [at(2026, 3, 11, 12), at(2026, 4, 26, 20)], ids=["wednesday", "sunday-before-koningsdag"]
)
async def test_demo_threads_show_every_clock_state(world_sqlite: World, now: datetime) -> None:
    world = world_sqlite
    await insert_case(world.hub, world.convenant, world.bewindvoerder, "2026-000002")
    async with world.hub.db() as db:
        threads = await seed_threads(db, world.keyring, now)
    assert len(threads) == 7
    clocks = []
    for thread in threads:
        clocks += await world.call("clocks", world.klantmanager, thread.id)
    stopped = [c for c in clocks if c.stopped_at is not None]
    running = [c for c in clocks if c.stopped_at is None]
    assert any(c.in_time is True and c.stop_kind == StopKind.REACTIE for c in stopped)
    assert any(c.in_time is False for c in stopped)
    assert any(c.stop_kind == StopKind.OVERGEDRAGEN for c in stopped)
    assert any(c.due_at < now for c in running)
    assert any(c.rescheduled_at is not None for c in running)
    assert any(c.kind == ClockKind.ALGEMEEN_INHOUDELIJK for c in running)
    assert all(c.started_at < now and (c.stopped_at is None or c.stopped_at < now) for c in clocks)
    # Due today; when the demo is made on a day that is not a werkdag: due on the next werkdag.
    due_day = werkdag_on_or_after(now.date())
    assert any(c.due_at.astimezone(AMSTERDAM).date() == due_day for c in running)
    if due_day == now.date():
        assert "vandaag" in {describe_due(c.due_at, now) for c in running}
    assert any(t.kind == ThreadKind.ALGEMEEN for t in threads)

    async with world.service() as svc:
        inbox = await svc.inbox(world.klantmanager, tab="te_beantwoorden", now=now)
    assert inbox.rows[0].overdue
    assert inbox.counts["te_laat"] >= 1
