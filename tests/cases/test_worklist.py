"""The start page's "Wat wacht op mij", on SQLite and PostgreSQL: the reaction clocks and the terms of the cases'
paths the user's organisation owes, the user's or nobody's, most urgent first; nothing of another organisation."""

from __future__ import annotations

from datetime import timedelta

from hub.calendars.services import CalendarSource
from hub.cases.records import local_today
from hub.cases.term_sweep import refresh_stale
from hub.dashboard.worklist import work_for
from hub.db import utcnow
from hub.messaging.threads import ThreadService
from hub.notifications.term_outbox import OutboxTermNotifier
from tests.cases.path import build_path
from tests.cases.world import World


async def test_what_waits_for_me_most_urgent_first(world: World) -> None:
    path = await build_path(world)
    late = await world.open_case(bewindvoerder_id=world.bv_x.id)  # beschikking 4 March 2025: bijstand long late
    others = await world.open_case(bsn="111222333", bewindvoerder_id=world.bv_x2.id)  # a colleague's
    recent = local_today() - timedelta(days=10)
    fresh = await world.open_case(bsn="999999990", beschikking_date=recent, bewind_start_date=recent)  # nobody's
    async with world.hub.db() as db:
        await refresh_stale(db, utcnow(), CalendarSource(), OutboxTermNotifier(db), (2, 1))
        await ThreadService(db, world.hub.runtime.keyring).start_thread(
            world.km_arnhem, subject="Vraag over de vaste lasten", body="Kunt u de nota sturen?", case=fresh
        )

    async with world.hub.db() as db:
        items = await work_for(db, world.bv_x, CalendarSource(), utcnow())
    refs = [(i.what, i.reference) for i in items]
    assert refs[0] == ("Aanvraag bijzondere bijstand ingediend", late.reference) and items[0].overdue
    assert ("Reactie casuïstiek (2 werkdagen)", fresh.reference) in refs  # nobody on the kantoor's side has it
    assert ("Aanvraag bijzondere bijstand ingediend", fresh.reference) in refs
    assert all(ref != others.reference for _, ref in refs)  # a colleague's case
    assert [i.due_at for i in items] == sorted(i.due_at for i in items)
    assert all("Vaste lasten" not in i.what and "Johanna" not in i.what for i in items)

    # The gemeente owes none of these; the kantoor's step done leaves the list.
    async with world.hub.db() as db:
        assert await work_for(db, world.km_arnhem, CalendarSource(), utcnow()) == []
        assert await work_for(db, world.bv_y, CalendarSource(), utcnow()) == []
    await path.apply_bijstand(world.bv_x, late, local_today())
    client = await world.hub.client_for(world.bv_x)
    page = (await client.get("/")).text
    assert "Wat wacht op mij" in page and fresh.reference in page and late.reference in page  # schuldhulp still runs
    assert f'href="/dossiers/{fresh.id}#verloop"' in page
