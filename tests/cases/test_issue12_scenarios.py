"""Issue 12 probed as its scenario tests would, on SQLite and PostgreSQL: the ended case read-only through every
POST (but nazorg and the stop of the bijstand), another organisation 404 / no CSRF 403 / the wrong role refused on
every new page and form, withdrawn documents, the BSN rules, and the walk through every milestone with its terms
checked against hub.terms and each reminder mailed once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.cases.milestones import K
from hub.cases.models import CASE_ENDED, CaseStatus
from hub.cases.records import local_today
from hub.documents.models import Document
from hub.errors import ValidationError
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


async def test_every_new_page_and_form_refuses_outsiders_forged_posts_and_the_wrong_role(world: World) -> None:
    path = await build_path(world)
    w = world
    case = await w.open_case(beschikking_date=None, bewind_start_date=None)
    milestone = await path.record(w.bv_x, case, K.AANMELDING_VERZONDEN, date(2025, 2, 3))
    doc = await path.document(w.bv_x, case, "overig", date(2025, 2, 3))
    day = (local_today() - timedelta(days=1)).isoformat()
    pages = [f"/dossiers/{case.id}", f"/dossiers/{case.id}/corrigeren", f"/documenten/{doc.id}/intrekken"]
    posts = {
        f"/dossiers/{case.id}/verloop": {"kind": "melding_wijziging", "milestone_date": day, "detail_date": day,
                                         "note": "Verhuisd"},
        f"/dossiers/{case.id}/verloop/{milestone.id}/intrekken": {},
        f"/dossiers/{case.id}/corrigeren": {"client_name": "Iemand Anders", "reason": "Typfout"},
        f"/documenten/{doc.id}/intrekken": {"reason": "Verkeerd document"},
        f"/dossiers/{case.id}/toewijzen": {"person_id": ""},
    }  # fmt: skip

    async def unchanged() -> None:
        fresh = await path.case(case)
        assert [r.id for r in await path.rows(case)] == [milestone.id]
        assert fresh.updated_at == case.updated_at or fresh.client_name == case.client_name
        async with w.hub.db() as db:
            assert (await db.get(Document, doc.id)).withdrawn_at is None  # type: ignore[union-attr]

    # Another kantoor under the same gemeente, another gemeente: 404 on every page and form, nothing changed.
    for outsider in (w.bv_y, w.km_berkel):
        client = await w.hub.client_for(outsider)
        for url in pages:
            assert (await client.get(url)).status_code == 404, (outsider.name, url)
        for url, data in posts.items():
            assert (await client.post_form(url, data)).status_code == 404, (outsider.name, url)
        await unchanged()
    # The other party of the case may not withdraw the kantoor's document: as if it did not exist.
    gemeente = await w.hub.client_for(w.km_arnhem)
    assert (await gemeente.get(f"/documenten/{doc.id}/intrekken")).status_code == 404
    assert (await gemeente.post_form(f"/documenten/{doc.id}/intrekken", {"reason": "x"})).status_code == 404

    # A forged POST (no CSRF token) by the kantoor itself: refused, nothing changed.
    kantoor = await w.hub.client_for(w.bv_x)
    for url, data in {**posts, "/dossiers/zoeken-op-naam": {"naam": "Johanna"}}.items():
        assert (await kantoor.post_form(url, data, csrf=False)).status_code == 403, url
        assert (await kantoor.post_form(url, {**data, "csrf_token": "x" * 43}, csrf=False)).status_code == 403, url
    await unchanged()

    # The wrong role: the gemeente's step by the kantoor, the kantoor's step by the gemeente, the lists by others.
    advies = {"kind": "advies", "milestone_date": day, "choice": "positief"}
    assert (await kantoor.post_form(f"/dossiers/{case.id}/verloop", advies)).status_code == 403
    assert (await gemeente.post_form(f"/dossiers/{case.id}/verloop/{milestone.id}/intrekken", {})).status_code == 403
    await unchanged()
    for user in (w.bv_x, w.km_arnhem, path.contractmanager, w.beheerder):
        client = await w.hub.client_for(user)
        assert (await client.get("/bijzondere-bijstand")).status_code == 403, user.name
    for user in (w.bv_x, w.km_arnhem, path.consulent, w.beheerder):
        client = await w.hub.client_for(user)
        assert (await client.get("/aanmelding-schuldhulp")).status_code == 403, user.name
    operator = await w.hub.client_for(w.beheerder)
    assert (await operator.post_form("/dossiers/zoeken-op-naam", {"naam": "Johanna"})).status_code == 403
    for url in pages:
        assert (await operator.get(url)).status_code in (403, 404), url
    for url, data in posts.items():
        assert (await operator.post_form(url, data)).status_code in (403, 404), url
    await unchanged()


async def test_an_ended_case_does_not_block_and_is_not_reopened_over_its_successor(world: World) -> None:
    path = await build_path(world)
    w = world
    first = await w.open_case()
    end = await path.record(w.bv_x, first, K.EINDE_BEWIND, date(2025, 6, 2), choice="verhuizing")
    second = await w.open_case(client_name="Johanna de Vries")  # the same BSN on the same convenant
    assert second.convenant_id == first.convenant_id and second.bsn_index == first.bsn_index
    # Withdrawing the first case's einde bewind would make two running cases for one client on one convenant.
    with pytest.raises(ValidationError) as caught:
        await path.withdraw(w.bv_x, first, end)
    assert second.reference in caught.value.errors["kind"]
    assert (await path.case(first)).status == CaseStatus.BEEINDIGD.value
    kantoor = await w.hub.client_for(w.bv_x)
    refused = await kantoor.post_form(f"/dossiers/{first.id}/verloop/{end.id}/intrekken", {})
    assert refused.status_code == 400 and second.reference in refused.text
    assert [r.void for r in await path.rows(first)] == [False, False]
