"""The one calendar loader: a gemeente's calendar is the base calendar plus its own closing days, whether asked for
one gemeente (clocks), a few (the inbox) or all at once (the reminder sweep, the digests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hub.calendars.models import GemeenteClosingDay
from hub.calendars.services import CalendarSource, calendar_source
from hub.terms import default_calendar
from tests.messaging.world import World

STUDIEDAG = date(2026, 3, 3)  # a Tuesday


async def test_every_way_of_asking_gives_the_same_calendar(world: World) -> None:
    async with world.hub.db() as db:
        db.add(GemeenteClosingDay(gemeente_id=world.gemeente.id, day=STUDIEDAG, created_by=world.contractmanager.id))
    source = CalendarSource()
    async with world.hub.db() as db:
        one = await source.for_gemeente(db, world.gemeente.id)
        some = await source.for_gemeenten(db, [world.gemeente.id, world.other_gemeente.id])
        calendar_for = await source.calendar_for(db)
    assert not one.is_werkdag(STUDIEDAG)
    assert some[world.gemeente.id] is one  # cached by its set of closing days
    assert calendar_for(world.gemeente.id) is one
    # Another gemeente, and an organisation that is no gemeente, count on the base calendar.
    assert some[world.other_gemeente.id] is source.base and source.base.is_werkdag(STUDIEDAG)
    assert calendar_for(world.kantoor.id) is source.base


def test_one_source_per_decree_day_file(tmp_path: Path) -> None:
    """The operator's decree days (``HUB_DECREE_DAYS_FILE``) are in the base calendar of its source, kept for the
    life of the process."""
    decree = tmp_path / "decree.txt"
    decree.write_text("# a bridge day decreed by the operator\n2026-03-04\n", encoding="utf-8")
    assert calendar_source() is calendar_source()
    assert calendar_source().base is default_calendar()
    own = calendar_source(decree)
    assert own is calendar_source(decree)
    assert not own.base.is_werkdag(date(2026, 3, 4)) and default_calendar().is_werkdag(date(2026, 3, 4))
