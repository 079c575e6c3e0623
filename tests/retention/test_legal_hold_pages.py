"""The legal hold through the pages: placed with a reason (required), shown on the case page, lifted; audited; another
organisation's case answers 404. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from hub.audit.models import AuditEvent
from hub.cases.models import Case
from tests.cases.world import World


async def actions_on(world: World, case_id: str) -> list[tuple[str, str | None]]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent).where(col(AuditEvent.object_id) == case_id).order_by(col(AuditEvent.seq))
        )
        return [(e.action, e.user_id) for e in rows.scalars() if e.action in ("case.hold", "case.release")]


async def test_place_show_and_lift_a_hold(world: World) -> None:
    case = await world.open_case()
    km = await world.hub.client_for(world.km_arnhem)
    page = await km.get(f"/dossiers/{case.id}")
    assert "Dossier op bewaren zetten" in page.text and "Inzage-export downloaden" in page.text

    refused = await km.post_form(f"/dossiers/{case.id}/bewaren", {"hold_reason": "   "})
    assert refused.status_code == 400 and "Geef een reden" in refused.text
    too_long = await km.post_form(f"/dossiers/{case.id}/bewaren", {"hold_reason": "x" * 501})
    assert too_long.status_code == 400 and "te lang" in too_long.text
    async with world.hub.db() as db:
        fresh = await db.get(Case, case.id)
        assert fresh is not None and fresh.legal_hold_at is None

    placed = await km.post_form(f"/dossiers/{case.id}/bewaren", {"hold_reason": "Bezwaarprocedure loopt"})
    assert placed.status_code == 303
    bv = await world.hub.client_for(world.bv_x)  # the other party sees it, with the reason
    shown = await bv.get(f"/dossiers/{case.id}")
    assert "Dit dossier staat op bewaren" in shown.text and "Bezwaarprocedure loopt" in shown.text
    async with world.hub.db() as db:
        stored = await db.get(Case, case.id)
        assert stored is not None and stored.legal_hold_by == world.km_arnhem.id
        assert stored.legal_hold_reason is not None and b"Bezwaar" not in stored.legal_hold_reason

    lifted = await bv.post_form(f"/dossiers/{case.id}/bewaren/opheffen")
    assert lifted.status_code == 303 and "gelukt=bewaren_opgeheven" in lifted.headers["location"]
    assert "Dit dossier staat op bewaren" not in (await bv.get(f"/dossiers/{case.id}")).text
    assert await actions_on(world, case.id) == [("case.hold", world.km_arnhem.id), ("case.release", world.bv_x.id)]


async def test_another_organisation_cannot_touch_the_hold(world: World) -> None:
    case = await world.open_case()
    stranger = await world.hub.client_for(world.km_berkel)
    assert (await stranger.get(f"/dossiers/{case.id}/bewaren")).status_code == 404
    assert (await stranger.post_form(f"/dossiers/{case.id}/bewaren", {"hold_reason": "x"})).status_code == 404
    assert (await stranger.post_form(f"/dossiers/{case.id}/bewaren/opheffen")).status_code == 404
    assert await actions_on(world, case.id) == []
