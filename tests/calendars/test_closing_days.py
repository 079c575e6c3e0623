"""A gemeente's closing days: kept by its own contractmanager, and they move the due moments of its clocks."""

from __future__ import annotations

from datetime import date

import pytest

from hub.errors import Forbidden, NotFound, ValidationError
from hub.messaging.models import Clock, Thread
from tests.messaging.world import World, at, end_of


async def _ask(world: World, when: object) -> Thread:
    thread: Thread = await world.call(
        "start_thread", world.bewindvoerder, subject="Vraag", body="Kunt u dit nakijken?", now=when, case=world.case
    )
    return thread


async def _clocks(world: World, thread: Thread) -> list[Clock]:
    clocks: list[Clock] = await world.call("clocks", world.bewindvoerder, thread.id)
    return clocks


async def _thread(world: World, thread: Thread) -> Thread:
    found: Thread = await world.call("get_thread", world.bewindvoerder, thread.id)
    return found


async def test_gemeente_closing_day_moves_the_due_date(world: World) -> None:
    await world.closing_days("add", world.contractmanager, date(2026, 3, 3), "Studiedag", now=at(2026, 2, 1))
    thread = await _ask(world, at(2026, 3, 2))
    [clock] = await _clocks(world, thread)
    assert clock.due_at == end_of(2026, 3, 5)  # Tuesday 3 March is closed: Wednesday and Thursday count

    # A case of another gemeente is not affected by Nijmegen's closing day.
    other_thread = await world.call(
        "start_thread", world.outsider, subject="Vraag", body="Vraag", convenant=world.other_convenant,
        now=at(2026, 3, 2),
    )  # fmt: skip
    eerste = min(await world.call("clocks", world.outsider, other_thread.id), key=lambda c: c.due_at)
    assert eerste.due_at == end_of(2026, 3, 4)


async def test_adding_a_closing_day_moves_running_terms(world: World) -> None:
    thread = await _ask(world, at(2026, 3, 2))
    assert (await _thread(world, thread)).current_due_at == end_of(2026, 3, 4)
    days = await world.closing_days("days", world.contractmanager, now=at(2026, 3, 2, 12))
    assert days == []
    row = await world.closing_days("add", world.contractmanager, date(2026, 3, 4), "Verhuizing", now=at(2026, 3, 2, 12))
    [clock] = await _clocks(world, thread)
    assert clock.due_at == end_of(2026, 3, 5)
    assert (await _thread(world, thread)).current_due_at == end_of(2026, 3, 5)
    await world.closing_days("remove", world.contractmanager, row.id, now=at(2026, 3, 3))
    [clock] = await _clocks(world, thread)
    assert clock.due_at == end_of(2026, 3, 4)


async def test_closing_days_are_for_the_own_gemeentes_contractmanager(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.closing_days("add", world.klantmanager, date(2026, 3, 4), "", now=at(2026, 3, 2))
    with pytest.raises(NotFound):
        await world.closing_days("days", world.bewindvoerder)
    with pytest.raises(ValidationError) as exc:
        await world.closing_days("add", world.contractmanager, date(2026, 3, 1), "", now=at(2026, 3, 2))
    assert "day" in exc.value.errors
    with pytest.raises(ValidationError):
        await world.closing_days("add", world.contractmanager, date(2026, 3, 7), "", now=at(2026, 3, 2))  # Sat
