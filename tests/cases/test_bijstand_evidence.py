"""The aanvraag bijzondere bijstand's evidence checklist (§2.2), on SQLite and PostgreSQL: refused while an item is
missing (nothing stored), each item a document of the case itself, of its type, not withdrawn; the CAK-nota only
when the client lives in a beschermde woonvorm or Wlz-instelling; the links stored with the milestone; the form."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hub.cases.milestones import K
from hub.cases.models import CaseMilestoneEvidence
from hub.cases.records import local_today
from hub.documents.models import choice_label
from hub.documents.withdrawal import DocumentWithdrawal
from hub.errors import ValidationError
from tests.cases.path import Path, build_path
from tests.cases.world import World

DAY = date(2025, 4, 1)


async def _links(path: Path) -> list[tuple[str, str, str]]:
    async with path.world.hub.db() as db:
        rows = (await db.execute(select(CaseMilestoneEvidence))).scalars()
        return sorted((r.milestone_id, r.item, r.document_id) for r in rows)


async def test_missing_evidence_is_refused_and_nothing_is_stored(world: World) -> None:
    path = await build_path(world)
    bv = world.bv_x
    case = await world.open_case()
    with pytest.raises(ValidationError) as caught:
        await path.record(bv, case, K.AANVRAAG_BIJSTAND, DAY)
    assert caught.value.errors == {
        "evidence_benoemingsbeschikking": "Het bewijs is niet compleet: de benoemingsbeschikking ontbreekt.",
        "evidence_nota_periodieke_kosten": "Het bewijs is niet compleet: de nota periodieke kosten ontbreekt.",
    }

    checklist = await path.checklist(bv, case, DAY)
    # Living in a beschermde woonvorm: the CAK-nota is needed too.
    with pytest.raises(ValidationError) as caught:
        await path.record(bv, case, K.AANVRAAG_BIJSTAND, DAY, checklist=checklist, beschermd_wonen=True)
    assert set(caught.value.errors) == {"evidence_cak_nota"}
    assert "de cak-nota ontbreekt" in caught.value.errors["evidence_cak_nota"]

    # Each item must be a document of its own type, of this case, not withdrawn.
    other = await world.open_case(bsn="111222333")
    elsewhere = await path.document(bv, other, "benoemingsbeschikking", DAY)
    withdrawn = await path.document(bv, case, "cak_nota", DAY)
    async with world.hub.db() as db:
        await DocumentWithdrawal(db, world.hub.runtime.keyring).withdraw(bv, withdrawn.id, "Verkeerde nota")
        await db.commit()
    wrong = {
        "benoemingsbeschikking": checklist["nota_periodieke_kosten"],
        "nota_periodieke_kosten": elsewhere.id,
        "cak_nota": withdrawn.id,
    }
    with pytest.raises(ValidationError) as caught:
        await path.record(bv, case, K.AANVRAAG_BIJSTAND, DAY, checklist=wrong, beschermd_wonen=True)
    assert caught.value.errors == {
        "evidence_benoemingsbeschikking": "Kies een document van de soort benoemingsbeschikking.",
        "evidence_nota_periodieke_kosten": "Kies een document van dit dossier dat niet is ingetrokken.",
        "evidence_cak_nota": "Kies een document van dit dossier dat niet is ingetrokken.",
    }
    assert [r.kind for r in await path.rows(case)] == ["beschikking"] and await _links(path) == []


async def test_complete_evidence_is_linked_to_the_milestone(world: World) -> None:
    path = await build_path(world)
    bv = world.bv_x
    case = await world.open_case()
    checklist = await path.checklist(bv, case, DAY)
    cak = await path.document(bv, case, "cak_nota", DAY)
    recorded = await path.record(
        bv, case, K.AANVRAAG_BIJSTAND, DAY, checklist={**checklist, "cak_nota": cak.id}, beschermd_wonen=True
    )
    assert recorded.beschermd_wonen
    assert await _links(path) == sorted(
        [
            (recorded.id, "benoemingsbeschikking", checklist["benoemingsbeschikking"]),
            (recorded.id, "nota_periodieke_kosten", checklist["nota_periodieke_kosten"]),
            (recorded.id, "cak_nota", cak.id),
        ]
    )
    assert "aanvraag_bijzondere_bijstand" not in await path.terms(case)

    # A correction passes the same checklist and keeps its own links; the old record keeps its links.
    with pytest.raises(ValidationError):
        await path.correct(bv, case, recorded, DAY + timedelta(days=1), beschermd_wonen=True, checklist=checklist)
    fixed = await path.correct(bv, case, recorded, DAY + timedelta(days=1), checklist=checklist)
    assert not fixed.beschermd_wonen
    links = await _links(path)
    assert len([x for x in links if x[0] == recorded.id]) == 3
    assert sorted(x[1] for x in links if x[0] == fixed.id) == ["benoemingsbeschikking", "nota_periodieke_kosten"]


async def test_the_form_shows_the_checklist_and_refuses_without_evidence(world: World) -> None:
    path = await build_path(world)
    case = await world.open_case()
    kantoor = await world.hub.client_for(world.bv_x)
    beschikking = await path.document(world.bv_x, case, "benoemingsbeschikking", DAY)
    text = (await kantoor.get(f"/dossiers/{case.id}")).text
    assert "Bewijsstukken bij de aanvraag (verplicht)" in text
    assert "Cliënt woont in een beschermde woonvorm of Wlz-instelling" in text
    assert 'id="m-aanvraag_bijzondere_bijstand-evidence_cak_nota"' in text
    assert "Er staat nog geen nota periodieke kosten in dit dossier." in text
    # Each document with its type and date (the uploader's own: not marked new).
    label = choice_label("benoemingsbeschikking.pdf", "Benoemingsbeschikking", DAY)
    assert f'<option value="{beschikking.id}">{label}</option>' in text

    url = f"/dossiers/{case.id}/verloop"
    day = (local_today() - timedelta(days=1)).isoformat()
    form = {"kind": "aanvraag_bijzondere_bijstand", "milestone_date": day,
            "evidence_benoemingsbeschikking": beschikking.id, "beschermd_wonen": "ja"}  # fmt: skip
    refused = await kantoor.post_form(url, form)
    assert refused.status_code == 400
    assert "de nota periodieke kosten ontbreekt" in refused.text and "de cak-nota ontbreekt" in refused.text
    assert 'href="#m-aanvraag_bijzondere_bijstand-evidence_nota_periodieke_kosten"' in refused.text
    assert [r.kind for r in await path.rows(case)] == ["beschikking"]

    nota = await path.document(world.bv_x, case, "nota_periodieke_kosten", DAY)
    form.pop("beschermd_wonen")
    done = await kantoor.post_form(url, {**form, "evidence_nota_periodieke_kosten": nota.id})
    assert done.status_code == 303
    page = (await kantoor.get(done.headers["location"])).text
    assert "Cliënt woont in een beschermde woonvorm of Wlz-instelling: nee" in page
    assert "Nota periodieke kosten: nota_periodieke_kosten.pdf" in page
