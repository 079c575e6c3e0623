"""The client's export (AVG art. 15): one ZIP with a readable index.html and the decrypted documents, holding exactly
that client's data; audited once; POST with CSRF; 404 for another organisation. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select
from sqlmodel import col

from hub.audit.models import AuditEvent
from tests.cases.world import BSN_1, BSN_2, World
from tests.retention.scene import build_scene


async def test_the_export_holds_exactly_that_clients_data(world: World) -> None:
    scene = await build_scene(world)
    case, document = await scene.full_case(BSN_1, "Johanna de Vries")
    other, _ = await scene.full_case(BSN_2, "Pieter Bakker", ended=False)
    client = await world.hub.client_for(world.km_arnhem)

    response = await client.post_form(f"/dossiers/{case.id}/inzage-export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="inzage-{case.reference}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names == ["index.html", "documenten/001-benoemingsbeschikking.pdf"]
    assert archive.read(names[1]).startswith(b"%PDF-1.7") and len(archive.read(names[1])) == document.size
    index = archive.read("index.html").decode("utf-8")
    for expected in (
        "Johanna de Vries Jr",  # the corrected name
        "typefout",  # the correction's reason, with the old value
        BSN_1,
        "Vraag over Johanna de Vries",
        "Antwoord over Johanna de Vries",
        "Einde bewind",
        "Inzage-export van cliënt gemaakt",  # the audit records, this export included
        "Stap in het verloop vastgelegd",  # ... and those naming its milestones and corrections
        "Dossiergegevens gecorrigeerd",
        "Karin Klantmanager",  # the exporting organisation's own staff by name
        'lang="nl"',
    ):
        assert expected in index, expected
    for foreign in ("Pieter Bakker", BSN_2, other.reference, "Bas Bewindvoerder"):
        assert foreign not in index, foreign  # another client; the other party's staff by organisation only
    async with world.hub.db() as db:
        events = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "case.export"))).scalars()
        assert [(e.object_id, e.user_id) for e in events] == [(case.id, world.km_arnhem.id)]


async def test_another_organisation_gets_404_and_a_get_or_missing_token_gets_nothing(world: World) -> None:
    scene = await build_scene(world)
    case, _ = await scene.full_case(BSN_1, "Johanna de Vries", ended=False)
    stranger = await world.hub.client_for(world.km_berkel)
    assert (await stranger.post_form(f"/dossiers/{case.id}/inzage-export")).status_code == 404
    own = await world.hub.client_for(world.bv_x)
    assert (await own.get(f"/dossiers/{case.id}/inzage-export")).status_code == 405
    assert (await own.post_form(f"/dossiers/{case.id}/inzage-export", csrf=False)).status_code == 403
    async with world.hub.db() as db:
        events = (await db.execute(select(AuditEvent).where(col(AuditEvent.action) == "case.export"))).scalars()
        assert list(events) == []
