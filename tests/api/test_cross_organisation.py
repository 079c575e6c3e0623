"""Every cross-organisation probe of the pages, through the API, on SQLite and PostgreSQL: each operation with an id
in its path (taken from the OpenAPI document, so a new one is probed as soon as it exists) is called with the token
of another kantoor of the same gemeente, of another gemeente, of another organisation's system credential, and of
the case's kantoor's other gemeente. Every answer is a 404 (never a 403 that tells the object exists), names nothing
of the object, and nothing is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hub.accounts.models import Convenant, User
from hub.accounts.roles import Role
from tests.api.conftest import Api
from tests.api.test_resources import actions_of, disposition
from tests.documents.conftest import pdf_bytes

# A valid body for each operation that takes JSON: the 404 must come from the object, not from a refused body.
BODIES: dict[str, Any] = {
    "correctCase": {"clientName": "Jan Jansen"},
    "recordMilestone": {"kind": "geen_aanvraag_bijstand", "milestoneDate": "2025-04-01"},
    "correctMilestone": {"milestoneDate": "2025-04-02"},
    "postMessage": {"body": "Hallo"},
    "startThread": {"subject": "Vraag", "body": "Hallo"},
    "startGeneralQuestion": {"subject": "Vraag", "body": "Hallo"},
    "agreeProcesafspraak": {"agreedDate": "2027-01-05", "body": "Wij komen erop terug."},
}
PARAMS: dict[str, Any] = {"uploadCaseDocument": {"documentType": "overig", "documentDate": "2026-01-05"}}
WRITES = ("case.open", "case.correct", "milestone.record", "milestone.correct", "milestone.withdraw", "message.post",
          "document.upload")  # fmt: skip


@dataclass
class Objects:
    """A convenant's case with a thread, a document and a milestone: the ids the probes use."""

    ids: dict[str, str]
    reference: str


async def objects(api: Api, bewindvoerder: User, gemeente_user: User, convenant: Convenant, bsn: str) -> Objects:
    case = await api.world.open_case(bewindvoerder, convenant_id=convenant.id, bsn=bsn)
    owner = api.client(await api.token(bewindvoerder))
    uploaded = await owner.post(
        f"/api/v1/cases/{case.id}/documents", params=PARAMS["uploadCaseDocument"], content=pdf_bytes(20_000),
        headers=disposition("a.pdf"),
    )  # fmt: skip
    milestone = (await owner.get(f"/api/v1/cases/{case.id}/milestones")).json()["items"][0]
    ids = {
        "caseId": case.id, "documentId": uploaded.json()["id"], "milestoneId": milestone["id"],
        "threadId": await api.thread(gemeente_user, case.id), "convenantId": convenant.id,
    }  # fmt: skip
    return Objects(ids, case.reference)


async def probe(api: Api, token: str, target: Objects, doc: dict[str, Any]) -> set[str]:
    """Call every operation with a path id on ``target`` with ``token``; the operations called."""
    client = api.client(token)
    called = set()
    for path, ops in doc["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        url = "/api/v1" + path.format(**{n: target.ids[n] for n in names})
        for method, op in ops.items():
            name = op["operationId"]
            kwargs: dict[str, Any] = {"params": PARAMS.get(name, {})}
            media = set(op.get("requestBody", {}).get("content", {}))
            if media == {"application/json"}:
                kwargs["json"] = BODIES[name]  # a new operation with a body: add a valid one above
            elif media:
                kwargs["content"], kwargs["headers"] = pdf_bytes(1000), disposition("b.pdf")
            response = await client.request(method.upper(), url, **kwargs)
            assert response.status_code == 404, (name, response.status_code, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert target.reference not in response.text and target.ids["caseId"] not in response.text
            called.add(name)
    return called


async def test_another_organisations_objects_are_404_on_every_operation(api: Api) -> None:
    w = api.world
    doc = (await api.client().get("/api/v1/openapi.json")).json()
    with_path_ids = {op["operationId"] for path, ops in doc["paths"].items() if "{" in path for op in ops.values()}
    arnhem_case = await objects(api, w.bv_x, w.km_arnhem, w.arnhem_xander, "123456782")
    berkel_case = await objects(api, w.bv_x, w.km_berkel, w.berkel_xander, "111222333")
    before = {action: len(await actions_of(api, action)) for action in WRITES}
    kb_y = await api.hub.user(w.ypsilon, Role.KANTOORBEHEERDER, name="Karel Ypsilon")
    probes = [
        (await api.token(w.bv_y), arnhem_case),  # another kantoor of the same gemeente
        (await api.token(w.km_berkel), arnhem_case),  # another gemeente (of the same kantoor)
        (await api.org_token(kb_y, Role.BEWINDVOERDER.value), arnhem_case),  # another kantoor's system credential
        (await api.token(w.km_arnhem), berkel_case),  # the kantoor's partner, but not on this case's convenant
    ]
    for token, target in probes:
        assert await probe(api, token, target, doc) == with_path_ids
    assert len(with_path_ids) >= 17
    assert {action: len(await actions_of(api, action)) for action in WRITES} == before  # nothing written

    # Ids in a body or a query: another kantoor's convenant, another organisation's case as an inbox filter.
    ypsilon = api.client(await api.token(w.bv_y))
    opened = await ypsilon.post("/api/v1/cases", json={
        "convenantId": w.arnhem_xander.id, "clientName": "Jan Jansen", "bsn": "999999990", "birthDate": "1970-01-01",
        "bewindKind": "schuldenbewind", "rechtbank": "Rechtbank Gelderland",
    })  # fmt: skip
    assert opened.status_code == 404, opened.text
    assert (await ypsilon.get("/api/v1/threads", params={"caseId": arnhem_case.ids["caseId"]})).status_code == 404


async def test_ids_of_another_organisation_in_a_body_or_query_find_nothing(api: Api) -> None:
    """Another kantoor's document, colleague or case named in a body or a query of the caller's own objects: refused
    as an unknown one would be (the same words), nothing written, nothing of it shown."""
    w = api.world
    xander = await objects(api, w.bv_x, w.km_arnhem, w.arnhem_xander, "123456782")
    own = await objects(api, w.bv_y, w.km_arnhem, w.arnhem_ypsilon, "111222333")
    ypsilon = api.client(await api.token(w.bv_y))
    before = {action: len(await actions_of(api, action)) for action in WRITES}
    case_url = f"/api/v1/cases/{own.ids['caseId']}"

    attach = await ypsilon.post(
        f"/api/v1/threads/{own.ids['threadId']}/messages",
        json={"body": "Zie bijlage", "attachmentIds": [xander.ids["documentId"]]},
    )
    unknown = await ypsilon.post(
        f"/api/v1/threads/{own.ids['threadId']}/messages", json={"body": "Zie bijlage", "attachmentIds": ["0" * 32]}
    )
    assert attach.status_code == unknown.status_code == 400 and attach.json() == unknown.json()
    evidence = {"kind": "aanvraag_bijzondere_bijstand", "milestoneDate": "2025-04-01"}
    theirs = await ypsilon.post(
        f"{case_url}/milestones", json={**evidence, "evidenceBenoemingsbeschikking": xander.ids["documentId"]}
    )
    nobody = await ypsilon.post(f"{case_url}/milestones", json={**evidence, "evidenceBenoemingsbeschikking": "0" * 32})
    assert theirs.status_code == nobody.status_code == 400 and theirs.json() == nobody.json()
    colleague = await ypsilon.post("/api/v1/cases", json={
        "convenantId": w.arnhem_ypsilon.id, "clientName": "Jan Jansen", "bsn": "999999990", "birthDate": "1970-01-01",
        "bewindKind": "schuldenbewind", "rechtbank": "Rechtbank Gelderland", "bewindvoerderId": w.bv_x.id,
    })  # fmt: skip
    assert colleague.status_code == 400 and colleague.json()["invalidParams"][0]["name"] == "bewindvoerderId"
    assert {action: len(await actions_of(api, action)) for action in WRITES} == before

    # Filters naming another organisation's people or partners find nothing of theirs.
    assigned = (await ypsilon.get("/api/v1/threads", params={"tab": "alle", "assignee": w.bv_x.id})).json()
    assert assigned["items"] == []
    partner = (await ypsilon.get("/api/v1/cases", params={"partnerId": w.berkel.id})).json()
    assert partner["items"] == []
    listed = (await ypsilon.get("/api/v1/cases")).json()["items"]
    assert [c["id"] for c in listed] == [own.ids["caseId"]]
