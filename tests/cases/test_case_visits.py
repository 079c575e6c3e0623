"""Documents new since the user's last visit of a case (hub.cases.visits), on SQLite and PostgreSQL: marked on the case
page and in a milestone's evidence choice, with type and date so two files of the same name can be told apart; the
mark goes at the next visit; a visit is per user, never moves back, and a stranger's visit is refused and not kept."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from hub.cases.models import CaseVisit
from hub.cases.visits import is_new, last_visit, record_visit
from hub.db import utcnow
from hub.documents.models import choice_label
from tests.cases.path import build_path
from tests.cases.world import World

EARLY, LATE = date(2026, 1, 15), date(2026, 2, 3)


def _new_rows(html: str) -> list[str]:
    """The document ids of the case's document table marked "Nieuw"."""
    return re.findall(r'<span class="tag neutral">Nieuw</span> <a href="/documenten/(\w+)/downloaden"', html)


async def test_documents_of_others_since_the_last_visit_are_marked_new(world: World) -> None:
    path = await build_path(world)
    case = await world.open_case()
    # Two files called cak_nota.pdf: one from the gemeente, one from the kantoor itself.
    theirs = await path.document(world.km_arnhem, case, "cak_nota", EARLY)
    own = await path.document(world.bv_x, case, "cak_nota", LATE)
    kantoor = await world.hub.client_for(world.bv_x)

    first = (await kantoor.get(f"/dossiers/{case.id}")).text
    assert _new_rows(first) == [theirs.id]  # never visited: everything of someone else is new; one's own never
    # The evidence choice of the bijstand application names both with type and date, the gemeente's marked new.
    assert f'<option value="{theirs.id}">{choice_label("cak_nota.pdf", "CAK-nota", EARLY, new=True)}</option>' in first
    assert f'<option value="{own.id}">{choice_label("cak_nota.pdf", "CAK-nota", LATE)}</option>' in first
    assert "cak_nota.pdf (CAK-nota, donderdag 15 januari 2026) — nieuw" in first

    again = (await kantoor.get(f"/dossiers/{case.id}")).text
    assert _new_rows(again) == [] and "— nieuw" not in again

    later = await path.document(world.km_arnhem, case, "nota_periodieke_kosten", LATE)
    shown = (await kantoor.get(f"/dossiers/{case.id}")).text
    assert _new_rows(shown) == [later.id]
    # The gemeente's own visit is its own: the kantoor's upload is new to it, its own uploads are not.
    gemeente = await world.hub.client_for(world.km_arnhem)
    assert _new_rows((await gemeente.get(f"/dossiers/{case.id}")).text) == [own.id]

    # A user of another kantoor gets 404, and no visit of theirs is kept.
    stranger = await world.hub.client_for(world.bv_y)
    assert (await stranger.get(f"/dossiers/{case.id}")).status_code == 404
    async with world.hub.db() as db:
        visitors = set((await db.execute(select(CaseVisit.user_id).where(CaseVisit.case_id == case.id))).scalars())
    assert visitors == {world.bv_x.id, world.km_arnhem.id}


async def test_a_visit_never_moves_back_in_time(world: World) -> None:
    case = await world.open_case()
    now = utcnow()
    async with world.hub.db() as db:
        assert await record_visit(db, world.bv_x.id, case.id, now) is None
        assert await record_visit(db, world.bv_x.id, case.id, now - timedelta(hours=1)) == now
        assert await last_visit(db, world.bv_x.id, case.id) == now
        assert await last_visit(db, world.bv_x2.id, case.id) is None


def test_the_rule_for_new() -> None:
    seen = utcnow()
    assert is_new(seen + timedelta(seconds=1), "other", "me", seen)
    assert not is_new(seen, "other", "me", seen)  # at the visit itself: seen
    assert not is_new(seen + timedelta(days=1), "me", "me", seen)  # one's own upload
    assert is_new(seen, "other", "me", None) and not is_new(seen, "me", "me", None)
