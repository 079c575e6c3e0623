"""Opening and correcting cases, the convenants and the milestones through the API, on SQLite and PostgreSQL: the
pages' services with their rights, checks, duplicate rule and audit; a refused call changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.accounts.organisations import ConvenantService
from hub.accounts.roles import Role
from tests.api.conftest import Api
from tests.api.test_resources import actions_of, disposition
from tests.cases.world import BSN_1, BSN_2
from tests.documents.conftest import pdf_bytes


def new_case(convenant_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "convenantId": convenant_id, "clientName": "Johanna de Vries", "bsn": BSN_1, "birthDate": "1968-05-17",
        "bewindKind": "schuldenbewind", "beschikkingDate": "2025-03-04", "bewindStartDate": "2025-03-04",
        "rechtbank": "Rechtbank Gelderland",
    }  # fmt: skip
    return {**body, **overrides}


async def test_a_case_is_opened_under_an_active_convenant_with_the_duplicate_rule(api: Api) -> None:
    w = api.world
    async with api.hub.db() as db:  # a second convenant of Xander with Arnhem: the duplicate warning's case
        second = await ConvenantService(db).create(w.arnhem.id, w.xander.id, date(2024, 1, 1))
    client = api.client(await api.token(w.bv_x))
    convenants = (await client.get("/api/v1/convenants")).json()["items"]
    assert {(c["gemeente"]["name"], c["kantoor"]["name"], c["active"]) for c in convenants} == {
        ("Gemeente Arnhem", "Kantoor Xander", True),
        ("Gemeente Berkel", "Kantoor Xander", True),
    }  # fmt: skip  (never Ypsilon's convenant)
    assert len(convenants) == 3

    opened = await client.post("/api/v1/cases", json=new_case(w.arnhem_xander.id))
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["client"] == {"name": "Johanna de Vries", "bsn": BSN_1, "birthDate": "1968-05-17"}
    assert case["status"] == "actief" and case["kantoor"]["id"] == w.xander.id
    assert opened.headers["location"].endswith(f"/api/v1/cases/{case['id']}")
    assert (await client.get(f"/api/v1/cases/{case['id']}")).json()["reference"] == case["reference"]

    # The same client on the same convenant: refused, naming the case (400 on bsn).
    again = await client.post("/api/v1/cases", json=new_case(w.arnhem_xander.id))
    assert again.status_code == 400 and [p["name"] for p in again.json()["invalidParams"]] == ["bsn"]
    assert case["reference"] in again.text
    # On Xander's other convenant with Arnhem: a 409 until confirmed.
    warned = await client.post("/api/v1/cases", json=new_case(second.id))
    assert warned.status_code == 409 and warned.headers["content-type"] == "application/problem+json"
    assert "confirmDuplicate" in warned.json()["detail"] and case["reference"] in warned.json()["detail"]
    confirmed = await client.post("/api/v1/cases", json=new_case(second.id, confirmDuplicate=True))
    assert confirmed.status_code == 201
    # Kantoor Ypsilon opens a case for the same client: told nothing about Xander's cases.
    ypsilon = api.client(await api.token(w.bv_y))
    assert (await ypsilon.post("/api/v1/cases", json=new_case(w.arnhem_ypsilon.id))).status_code == 201

    # Field problems as invalidParams, in camelCase; a future date, a bad BSN; nothing opened.
    bad = await client.post(
        "/api/v1/cases", json=new_case(w.berkel_xander.id, bsn="123456789", beschikkingDate="2999-01-01")
    )
    assert bad.status_code == 400
    assert {p["name"] for p in bad.json()["invalidParams"]} == {"bsn", "beschikkingDate"}
    assert "123456789" not in bad.text
    gemeente = api.client(await api.token(w.km_arnhem))
    assert (await gemeente.post("/api/v1/cases", json=new_case(w.arnhem_xander.id, bsn=BSN_2))).status_code == 403
    read_only = api.client(await api.token(w.bv_x, scopes=["cases:read"]))
    assert (await read_only.post("/api/v1/cases", json=new_case(w.berkel_xander.id, bsn=BSN_2))).status_code == 403
    # The kantoor's system opens a case through its integration actor, who is its opener, never its bewindvoerder.
    system = api.client(await api.org_token(w.kb_x, Role.BEWINDVOERDER.value))
    by_system = await system.post("/api/v1/cases", json=new_case(w.berkel_xander.id, bsn=BSN_2))
    assert by_system.status_code == 201
    assert by_system.json()["bewindvoerder"] is None
    assert len(await actions_of(api, "case.open")) == 4


async def test_a_correction_is_recorded_with_its_history_and_each_sides_fields(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    other = await w.open_case(bsn=BSN_2, convenant_id=w.berkel_xander.id)
    kantoor = api.client(await api.token(w.bv_x))
    url = f"/api/v1/cases/{case.id}/corrections"
    made = await kantoor.post(url, json={"clientName": "Johanna de Vriës", "bewindKind": "toestandenbewind",
                                         "reason": "Typefout"})  # fmt: skip
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["correctedBy"] == "Bas Bewindvoerder" and entry["reason"] == "Typefout"
    assert {(c["field"], c["oldValue"], c["newValue"]) for c in entry["changes"]} == {
        ("clientName", "Johanna de Vries", "Johanna de Vriës"), ("bewindKind", "schuldenbewind", "toestandenbewind"),
    }  # fmt: skip
    detail = (await kantoor.get(f"/api/v1/cases/{case.id}")).json()
    assert detail["client"]["name"] == "Johanna de Vriës" and detail["bewindKind"] == "toestandenbewind"

    # The gemeente corrects the identity only; the bewind data is the kantoor's.
    gemeente = api.client(await api.token(w.km_arnhem))
    assert (await gemeente.post(url, json={"rechtbank": "Rechtbank Den Haag"})).status_code == 403
    born = await gemeente.post(url, json={"birthDate": "1968-05-18"})
    assert born.status_code == 201 and born.json()["changes"][0]["newValue"] == "1968-05-18"
    # Nothing changed, a bad BSN: 400 with the field named, nothing written.
    same = await kantoor.post(url, json={"clientName": "Johanna de Vriës"})
    assert same.status_code == 400 and same.json()["invalidParams"][0]["name"] == "body"
    bad = await kantoor.post(url, json={"bsn": "123456789", "clientName": "X Y"})
    assert bad.status_code == 400 and [p["name"] for p in bad.json()["invalidParams"]] == ["bsn"]
    history = (await kantoor.get(url)).json()["items"]
    assert [len(e["changes"]) for e in history] == [1, 2]  # newest first: the gemeente's, then the kantoor's
    # Xander's other case (Berkel) for another BSN: on another gemeente, no duplicate; on Arnhem it would be.
    moved = await kantoor.post(f"/api/v1/cases/{other.id}/corrections", json={"bsn": BSN_1})
    assert moved.status_code == 201
    assert len(await actions_of(api, "case.correct")) == 4
    system = api.client(await api.org_token(w.kb_x, Role.BEWINDVOERDER.value))
    assert (await system.post(url, json={"clientName": "Jo de Vries"})).status_code == 201


async def test_milestones_are_listed_recorded_corrected_and_withdrawn_by_the_role_rules(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    kantoor = api.client(await api.token(w.bv_x))
    url = f"/api/v1/cases/{case.id}/milestones"
    listed = (await kantoor.get(url)).json()["items"]
    assert [(m["kind"], m["inForce"]) for m in listed] == [("beschikking", True)]
    assert listed[0]["recordedByOrganisation"] == "Kantoor Xander"

    step = {"kind": "geen_aanvraag_bijstand", "milestoneDate": "2025-04-01", "note": "Inkomen te hoog"}
    gemeente = api.client(await api.token(w.km_arnhem))
    assert (await gemeente.post(url, json=step)).status_code == 403  # the kantoor records this step
    future = await kantoor.post(url, json={**step, "milestoneDate": "2999-01-01"})
    assert future.status_code == 400 and future.json()["invalidParams"][0]["name"] == "milestoneDate"
    recorded = await kantoor.post(url, json=step)
    assert recorded.status_code == 201, recorded.text
    first = recorded.json()
    assert first["note"] == "Inkomen te hoog" and first["inForce"] and first["recordedBy"] == "Bas Bewindvoerder"
    twice = await kantoor.post(url, json=step)
    assert twice.status_code == 400 and twice.json()["invalidParams"][0]["name"] == "kind"

    corrected = await kantoor.post(f"{url}/{first['id']}/corrections", json={"milestoneDate": "2025-04-02"})
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["supersedesId"] == first["id"] and corrected.json()["milestoneDate"] == "2025-04-02"
    withdrawn = await kantoor.post(f"{url}/{corrected.json()['id']}/withdrawal")
    assert withdrawn.status_code == 201 and withdrawn.json()["withdrawn"]
    kinds = [(m["kind"], m["inForce"], m["withdrawn"]) for m in (await kantoor.get(url)).json()["items"]]
    assert kinds == [
        ("beschikking", True, False), ("geen_aanvraag_bijstand", False, False),
        ("geen_aanvraag_bijstand", False, False), ("geen_aanvraag_bijstand", False, True),
    ]  # fmt: skip
    stale = await kantoor.post(f"{url}/{first['id']}/withdrawal")  # corrected already
    assert stale.status_code == 409 and "al gecorrigeerd" in stale.json()["detail"]
    # The bewind ends: the case's status follows, and its data can no longer be corrected (409).
    ended = await kantoor.post(
        url, json={"kind": "einde_bewind", "milestoneDate": "2025-06-02", "choice": "verhuizing"}
    )
    assert ended.status_code == 201, ended.text
    assert (await kantoor.get(f"/api/v1/cases/{case.id}")).json()["status"] == "beeindigd"
    late = await kantoor.post(f"/api/v1/cases/{case.id}/corrections", json={"clientName": "Jo de Vries"})
    assert late.status_code == 409 and late.json()["title"] == "Conflict"
    assert [len(await actions_of(api, a)) for a in ("milestone.record", "milestone.correct", "milestone.withdraw")] == [
        2, 1, 1,
    ]  # fmt: skip


async def test_an_aanvraag_bijzondere_bijstand_names_its_evidence_per_item(api_sqlite: Api) -> None:
    w = api_sqlite.world
    case = await w.open_case()
    kantoor = api_sqlite.client(await api_sqlite.token(w.bv_x))
    ids = {}
    for doc_type in ("benoemingsbeschikking", "nota_periodieke_kosten"):
        uploaded = await kantoor.post(
            f"/api/v1/cases/{case.id}/documents", params={"documentType": doc_type, "documentDate": "2025-03-10"},
            content=pdf_bytes(5_000), headers=disposition(f"{doc_type}.pdf"),
        )  # fmt: skip
        ids[doc_type] = uploaded.json()["id"]
    url = f"/api/v1/cases/{case.id}/milestones"
    aanvraag = {"kind": "aanvraag_bijzondere_bijstand", "milestoneDate": "2025-04-01"}
    wrong = await kantoor.post(url, json={**aanvraag, "evidenceBenoemingsbeschikking": ids["nota_periodieke_kosten"]})
    assert wrong.status_code == 400
    assert {p["name"] for p in wrong.json()["invalidParams"]} == {
        "evidenceBenoemingsbeschikking", "evidenceNotaPeriodiekeKosten",
    }  # fmt: skip
    made = await kantoor.post(url, json={
        **aanvraag, "evidenceBenoemingsbeschikking": ids["benoemingsbeschikking"],
        "evidenceNotaPeriodiekeKosten": ids["nota_periodieke_kosten"],
    })  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["evidence"] == ids and made.json()["beschermdWonen"] is False
