"""Issue 17 probed as an attacker would, the writing part: an Idempotency-Key used for another request, uploads
refused or broken off halfway (no row, no blob), odd file names, and the audit trail of an organisation token's
calls (the token's id on every record, no personal data). Helpers: tests/api/test_issue17_scenarios.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from hub.accounts.roles import Role
from hub.audit.models import AuditEvent
from hub.documents.components import blobs_of
from hub.documents.models import Document
from tests.api.conftest import Api
from tests.api.test_issue17_scenarios import NEW_CASE, assert_problem, writes
from tests.api.test_resources import actions_of, disposition
from tests.cases.world import BSN_3
from tests.documents.conftest import pdf_bytes
from tests.support.blobs import stored


async def test_an_idempotency_key_answers_its_own_request_only(api_sqlite: Api) -> None:
    """The same key again returns what it made; the key of one request used for another is a 422 and posts
    nothing (it was a 500 on another thread, and a new question answered with the thread the key had replied in)."""
    api, w = api_sqlite, api_sqlite.world
    case = await w.open_case()
    first, second = await api.thread(w.km_arnhem, case.id), await api.thread(w.km_arnhem, case.id, subject="Nog een")
    client = api.client(await api.token(w.bv_x))
    key = {"Idempotency-Key": "k" * 32}
    posted = await client.post(f"/api/v1/threads/{first}/messages", json={"body": "Hier is het."}, headers=key)
    again = await client.post(f"/api/v1/threads/{first}/messages", json={"body": "Hier is het."}, headers=key)
    assert posted.status_code == again.status_code == 201 and posted.json() == again.json()
    before = await writes(api)
    for url, body in (
        (f"/api/v1/threads/{second}/messages", {"body": "Hier is het."}),
        (f"/api/v1/threads/{first}/messages", {"body": "Hier is het.", "kind": "inhoudelijke_reactie"}),
        (f"/api/v1/cases/{case.id}/threads", {"subject": "Nieuwe vraag", "body": "Hallo"}),
    ):
        assert_problem(await client.post(url, json=body, headers=key), 422)
    assert await writes(api) == before
    started_key = {"Idempotency-Key": "s" * 32}
    started = await client.post(
        f"/api/v1/cases/{case.id}/threads", json={"subject": "V", "body": "H"}, headers=started_key
    )
    repeated = await client.post(
        f"/api/v1/cases/{case.id}/threads", json={"subject": "V", "body": "H"}, headers=started_key
    )
    assert started.status_code == repeated.status_code == 201 and started.json()["id"] == repeated.json()["id"]
    bad = await client.post(
        f"/api/v1/threads/{first}/messages", json={"body": "x"}, headers={"Idempotency-Key": "kort"}
    )
    assert assert_problem(bad, 400)["invalidParams"][0]["name"] == "Idempotency-Key"


# -- uploads ---------------------------------------------------------------------------------------------------


async def raw_upload(api: Api, token: str, case_id: str, pieces: list[bytes], length: int) -> tuple[int, int]:
    """An upload straight into the app with a hand-made receive(): the body's ``pieces``, then the client is gone.
    Returns the status sent (0: none) and how many pieces the app read."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode()),
               (b"content-type", b"application/pdf"), (b"content-length", str(length).encode()),
               (b"content-disposition", b"attachment; filename=nota.pdf")]  # fmt: skip
    path = f"/api/v1/cases/{case_id}/documents"
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "headers": headers,
        "query_string": b"documentType=overig&documentDate=2026-01-05", "client": ("127.0.0.1", 50002),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    read, status = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(pieces):
            read += 1
            return {"type": "http.request", "body": pieces[read - 1], "more_body": True}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await api.hub.app(scope, receive, send)
    return status, read


async def test_uploads_refused_or_broken_off_leave_no_row_and_no_blob(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    token = await api.token(w.bv_x)
    client = api.client(token)
    url, params = f"/api/v1/cases/{case.id}/documents", {"documentType": "overig", "documentDate": "2026-01-05"}
    content = pdf_bytes(3_000_000)
    pieces = [content[i : i + 65536] for i in range(0, len(content) // 2, 65536)]
    status, read = await raw_upload(api, token, case.id, pieces, len(content))
    assert read == len(pieces) and status in (0, 400)  # the whole first half was read, then the client was gone
    # A Content-Length beyond the limit (or not a number) is refused before a byte is read.
    assert (await raw_upload(api, token, case.id, pieces, 10**12))[1] == 0
    for body, headers, status in (
        (b"", disposition("leeg.pdf"), 400),
        (b"MZ\x90\x00" + b"\x00" * 4000, disposition("nota.pdf"), 400),  # a program that calls itself a PDF
        (b"<html><script>alert(1)</script></html>", disposition("nota.pdf"), 400),
        (pdf_bytes(2000), {"content-disposition": "inline"}, 400),  # no file name
        (pdf_bytes(2000), {"content-disposition": "attachment; filename*=UTF-8''%2F"}, 400),
    ):
        response = await client.post(url, params=params, content=body, headers=headers)
        assert_problem(response, status)
    async with api.hub.db() as db:
        assert list((await db.execute(select(Document))).scalars()) == []
    assert await stored(blobs_of(api.hub.runtime)) == []
    assert await actions_of(api, "document.upload") == []

    # A name with a path, line breaks or a NUL keeps only what is a name (never a path, never a control character).
    names = {}
    for raw, expected in (
        ('attachment; filename="../../etc/passwd.pdf"', "passwd.pdf"),
        ('attachment; filename="C:\\\\Users\\\\a\\\\nota.pdf"', "nota.pdf"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%80%AE.pdf", None),
        ("attachment; filename*=UTF-8''a%0D%0AX-Evil%3A%201.pdf", None),
        ("attachment; filename*=UTF-8''a%00b.pdf", None),
    ):
        response = await client.post(url, params=params, content=pdf_bytes(2000), headers={"content-disposition": raw})
        assert response.status_code == 201, response.text
        name = response.json()["fileName"]
        names[raw] = name
        assert "/" not in name and "\\" not in name and not any(ord(c) < 32 or c == "\u202e" for c in name), name
        assert expected is None or name == expected
    download = await client.get(response.headers["location"])
    assert download.status_code == 200 and "\r" not in download.headers["content-disposition"]


# -- audit -----------------------------------------------------------------------------------------------------


async def test_every_call_is_audited_with_the_token_and_the_operations_own_records_hold_no_personal_data(
    api: Api,
) -> None:
    w = api.world
    token = await api.org_token(w.kb_x, Role.BEWINDVOERDER.value)
    token_id = token.split("_")[1]
    client = api.client(token)
    async with api.hub.db() as db:
        seq_before = len(list((await db.execute(select(AuditEvent))).scalars()))
    opened = await client.post("/api/v1/cases", json={**NEW_CASE, "convenantId": w.arnhem_xander.id})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    uploaded = await client.post(
        f"/api/v1/cases/{case_id}/documents", params={"documentType": "overig", "documentDate": "2026-01-05"},
        content=pdf_bytes(5000), headers=disposition("Beschikking Jan Jansen.pdf"),
    )  # fmt: skip
    started = await client.post(
        f"/api/v1/cases/{case_id}/threads", json={"subject": "Schuldhulp Jan Jansen", "body": "Geheime tekst"}
    )
    calls = [opened, uploaded, started, await client.get(f"/api/v1/cases/{case_id}"),
             await client.post("/api/v1/cases/search", json={"bsn": BSN_3}),
             await client.get(uploaded.headers["location"]), await client.get("/api/v1/cases/" + "0" * 32)]  # fmt: skip
    assert [c.status_code for c in calls] == [201, 201, 201, 200, 200, 200, 404]
    async with api.hub.db() as db:
        events = list((await db.execute(select(AuditEvent).order_by(col(AuditEvent.seq)))).scalars())[seq_before:]
    api_calls = [e for e in events if e.action == "api.call"]
    assert len(api_calls) == len(calls)
    assert {(e.object_type, e.object_id, e.user_id, e.organisation_id) for e in api_calls} == {
        ("api_token", token_id, token_id, w.xander.id)
    }
    own = {e.action for e in events if e.action != "api.call"}
    assert {"case.open", "document.upload", "message.post", "case.view", "case.search", "document.download"} <= own
    assert all(e.user_id == token_id for e in events)  # the integration actor: the token's id
    for event in events:
        text = " ".join(str(v) for v in event.model_dump().values())
        for secret in (BSN_3, "Jan Jansen", "Beschikking", "Schuldhulp", "Geheime"):
            assert secret not in text, (event.action, secret)
