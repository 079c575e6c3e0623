"""The API's resources on SQLite and PostgreSQL: cases (filters, cursor paging, the BSN look-up), documents (upload,
list, download), threads and messages (another organisation's objects: tests/api/test_cross_organisation.py)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlmodel import col

from hub.audit.models import AuditEvent
from tests.api.conftest import Api
from tests.cases.world import BSN_2
from tests.documents.conftest import pdf_bytes


def disposition(name: str) -> dict[str, str]:
    from urllib.parse import quote

    return {"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}", "content-type": "application/pdf"}


async def actions_of(api: Api, action: str) -> list[AuditEvent]:
    async with api.hub.db() as db:
        rows = await db.execute(select(AuditEvent).where(col(AuditEvent.action) == action))
        return list(rows.scalars())


async def test_cases_are_listed_with_filters_and_an_opaque_cursor(api: Api) -> None:
    w = api.world
    opened = [await w.open_case(bsn=bsn) for bsn in ("123456782", BSN_2, "999999990")]
    await w.open_case(w.bv_y, convenant_id=w.arnhem_ypsilon.id)  # Ypsilon's: never in Xander's list
    client = api.client(await api.token(w.bv_x))
    first = await client.get("/api/v1/cases", params={"limit": 2, "sort": "oudste"})
    assert first.status_code == 200
    page = first.json()
    assert [c["id"] for c in page["items"]] == [c.id for c in opened[:2]]
    assert page["items"][0]["partner"]["name"] == "Gemeente Arnhem"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", page["items"][0]["createdAt"])
    assert "limit=2" in page["next"] and "sort=oudste" in page["next"]
    assert page["next"].split("cursor=")[1] not in ("2", "3")  # opaque: not the offset itself
    second = (await client.get(page["next"])).json()
    assert [c["id"] for c in second["items"]] == [opened[2].id] and second["next"] is None
    forged = await client.get("/api/v1/cases", params={"cursor": "bm9wZQ"})
    assert forged.json()["invalidParams"][0]["name"] == "cursor"

    # The pages' filters: a reference (or its last digits), the status, the partner.
    reference = opened[1].reference
    found = (await client.get("/api/v1/cases", params={"reference": reference[-6:]})).json()["items"]
    assert [c["id"] for c in found] == [opened[1].id]
    assert (await client.get("/api/v1/cases", params={"status": "beeindigd"})).json()["items"] == []
    other = (await client.get("/api/v1/cases", params={"partnerId": w.berkel.id})).json()["items"]
    assert other == []
    refused = await client.get("/api/v1/cases", params={"reference": "123456782"})  # a BSN is no reference
    assert refused.status_code == 400 and "123456782" not in refused.text
    # The reference, status and partner filters were recorded; the refused look-up searched nothing.
    assert len(await actions_of(api, "case.search")) == 3


async def test_a_bsn_is_looked_up_by_post_only_within_the_organisation(api: Api) -> None:
    w = api.world
    mine = await w.open_case()
    await w.open_case(w.bv_y, convenant_id=w.arnhem_ypsilon.id)  # the same client at another kantoor
    client = api.client(await api.token(w.bv_x))
    found = await client.post("/api/v1/cases/search", json={"bsn": "1234 56 782"})
    assert found.status_code == 200 and [c["id"] for c in found.json()["items"]] == [mine.id]
    # No GET: it would put the BSN in a URL ("search" is then a malformed case id).
    assert (await client.get("/api/v1/cases/search")).status_code == 400
    searches = await actions_of(api, "case.search")
    assert [(e.object_type, e.object_id) for e in searches] == [("search", "bsn")]


async def test_documents_stream_in_and_out_through_the_vault(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    client = api.client(await api.token(w.bv_x))
    data = pdf_bytes(300_000)
    created = await client.post(
        f"/api/v1/cases/{case.id}/documents",
        params={"documentType": "benoemingsbeschikking", "documentDate": "2026-01-05"},
        content=data,
        headers=disposition("Beschikking J. de Vriës.pdf"),
    )
    assert created.status_code == 201, created.text
    document = created.json()
    assert document["fileName"] == "Beschikking J. de Vriës.pdf" and document["size"] == len(data)
    assert created.headers["location"].endswith(f"/api/v1/documents/{document['id']}/content")
    listed = (await client.get(f"/api/v1/cases/{case.id}/documents")).json()
    assert [d["id"] for d in listed["items"]] == [document["id"]] and listed["next"] is None
    # The gemeente reads it with its own token.
    gemeente = api.client(await api.token(w.km_arnhem))
    download = await gemeente.get(f"/api/v1/documents/{document['id']}/content")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Beschikking" in download.headers["content-disposition"]
    assert len(await actions_of(api, "document.upload")) == 1
    assert len(await actions_of(api, "document.download")) == 1

    # The same refusals as the pages, as problems naming the field.
    wrong = await client.post(
        f"/api/v1/cases/{case.id}/documents", params={"documentType": "overig", "documentDate": "2026-01-05"},
        content=b"MZ\x90\x00 not a document", headers=disposition("x.exe"),
    )  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["invalidParams"][0]["name"] == "body"
    future = await client.post(
        f"/api/v1/cases/{case.id}/documents", params={"documentType": "overig", "documentDate": "2999-01-01"},
        content=data, headers=disposition("a.pdf"),
    )  # fmt: skip
    assert future.status_code == 400 and future.json()["invalidParams"][0]["name"] == "documentDate"
    nameless = await client.post(
        f"/api/v1/cases/{case.id}/documents", params={"documentType": "overig", "documentDate": "2026-01-05"},
        content=data,
    )  # fmt: skip
    assert nameless.status_code == 400
    assert len((await client.get(f"/api/v1/cases/{case.id}/documents")).json()["items"]) == 1  # nothing added


async def test_the_inbox_a_thread_and_a_reply_of_a_kind(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    thread_id = await api.thread(w.km_arnhem, case.id)
    kantoor = api.client(await api.token(w.bv_x))
    inbox = (await kantoor.get("/api/v1/threads")).json()  # te_beantwoorden: Xander owes the reaction
    assert [t["id"] for t in inbox["items"]] == [thread_id]
    assert inbox["items"][0]["waitingOnUs"] and inbox["items"][0]["unread"] and inbox["items"][0]["dueAt"]
    thread = (await kantoor.get(f"/api/v1/threads/{thread_id}")).json()
    assert thread["subject"] == "Vraag over de beschikking" and thread["caseId"] == case.id
    assert [m["body"] for m in thread["messages"]] == ["Wanneer komt de beschikking?"]
    assert [t["running"] for t in thread["terms"]] == [True] and thread["terms"][0]["owedByUs"]
    assert not (await kantoor.get("/api/v1/threads")).json()["items"][0]["unread"]  # read by this person now

    bad = await kantoor.post(f"/api/v1/threads/{thread_id}/messages", json={"body": "x", "kind": "procesafspraak"})
    assert bad.status_code == 400 and "agreedDate" in {p["name"] for p in bad.json()["invalidParams"]}
    posted = await kantoor.post(
        f"/api/v1/threads/{thread_id}/messages", json={"body": "De beschikking is er.", "kind": "inhoudelijke_reactie"}
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["kind"] == "inhoudelijke_reactie" and posted.json()["threadId"] == thread_id
    after = (await kantoor.get(f"/api/v1/threads/{thread_id}")).json()
    assert [m["kind"] for m in after["messages"]] == ["bericht", "inhoudelijke_reactie"]
    assert [t["running"] for t in after["terms"]] == [False]
    assert (await kantoor.get("/api/v1/threads")).json()["items"] == []  # nothing owed any more
    waiting = (await api.client(await api.token(w.km_arnhem)).get("/api/v1/threads", params={"tab": "alle"})).json()
    assert [t["id"] for t in waiting["items"]] == [thread_id]
    # A retry with the same Idempotency-Key (the answer was lost) posts nothing new and answers the same message.
    key = {"Idempotency-Key": "k" * 40}
    note = {"body": "Dank u wel.", "kind": "geen_reactie_nodig"}
    once = await kantoor.post(f"/api/v1/threads/{thread_id}/messages", json=note, headers=key)
    again = await kantoor.post(f"/api/v1/threads/{thread_id}/messages", json=note, headers=key)
    assert once.status_code == again.status_code == 201 and once.json()["id"] == again.json()["id"]
    assert len((await kantoor.get(f"/api/v1/threads/{thread_id}")).json()["messages"]) == 3
    bad_key = await kantoor.post(f"/api/v1/threads/{thread_id}/messages", json=note, headers={"Idempotency-Key": "x"})
    assert bad_key.status_code == 400 and bad_key.json()["invalidParams"][0]["name"] == "Idempotency-Key"
    # The question, the answer, the note and its retry (the attempt is recorded); the refused posts left none.
    assert len(await actions_of(api, "message.post")) == 4
