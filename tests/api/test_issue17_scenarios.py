"""Issue 17 probed as an independent reviewer and an attacker would: credentials that must not work, scopes that must
not widen, bodies and queries that must be refused with nothing changed, cursors, paths, methods and HEAD, and the
problem shape of every error. Elsewhere: every operation with an id in its path from another organisation
(tests/api/test_cross_organisation.py); idempotency, uploads and the audit trail (test_issue17_writes.py); the rate
limit under concurrent calls (test_issue17_limits.py)."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from hub.accounts.api_tokens import ApiTokenService
from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.api.routes import operations
from hub.db import utcnow
from hub.messaging.models import MessageReceipt
from tests.api.conftest import ALL_SCOPES, Api
from tests.api.test_cross_organisation import BODIES, PARAMS, WRITES, objects
from tests.api.test_resources import actions_of, disposition
from tests.cases.world import BSN_1, BSN_2, BSN_3
from tests.documents.conftest import pdf_bytes

JSON = {"content-type": "application/json"}
NEW_CASE = {"bsn": BSN_3, "clientName": "Jan Jansen", "birthDate": "1970-01-01", "bewindKind": "schuldenbewind",
            "rechtbank": "Rechtbank Gelderland"}  # fmt: skip


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An error as RFC 9457 wants it, with the API-Version header."""
    assert response.status_code == status, (status, response.status_code, response.url, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["api-version"]
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


async def writes(api: Api) -> dict[str, int]:
    return {action: len(await actions_of(api, action)) for action in (*WRITES, "thread.start")}


def request_for(op: dict[str, Any], name: str, extra_bodies: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a valid call of the operation ``op`` (its body, query and headers)."""
    kwargs: dict[str, Any] = {"params": PARAMS.get(name, {})}
    media = set(op.get("requestBody", {}).get("content", {}))
    if media == {"application/json"}:
        kwargs["json"] = {**BODIES, **extra_bodies}[name]
    elif media:
        kwargs["content"], kwargs["headers"] = pdf_bytes(1000), disposition("b.pdf")
    return kwargs


# -- authentication --------------------------------------------------------------------------------------------


async def test_only_a_valid_bearer_token_in_the_header_authenticates(
    api_sqlite: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api, w = api_sqlite, api_sqlite.world
    caplog.set_level(logging.DEBUG)
    token = await api.token(w.km_arnhem)
    anonymous = api.client()
    refused = [
        b"", b"Bearer", b"Bearer ", b"Basic " + token.encode(), b"Token " + token.encode(),
        b"Bearer\t" + token.encode(),
        b"Bearer " + token.encode() + b" extra", b"Bearer " + token[:-1].encode() + "é".encode(),
        b"Bearer hub_" + "٠".encode() * 32 + b"_" + b"a" * 43, b"Bearer " + token.encode() + b"\x00",
    ]  # fmt: skip
    for header in refused:
        response = await anonymous.get("/api/v1/cases", headers={"authorization": header})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
    # Never from the query string or a form field, under any name.
    for name in ("access_token", "token", "api_key", "bearer"):
        assert_problem(await anonymous.get("/api/v1/cases", params={name: token}), 401)
    # The scheme is case-insensitive (RFC 9110), surrounding blanks are no part of the token.
    assert (await anonymous.get("/api/v1/cases", headers={"authorization": f"bearer  {token} "})).status_code == 200

    # The hub's own logs (not the test client's) never hold the token's secret.
    secret = token.split("_")[2]
    assert not [r for r in caplog.records if not r.name.startswith("httpx") and secret in r.getMessage()]
    # Code review, kept true: the stored digest is compared in constant time.
    assert "hmac.compare_digest(row.token_hash" in inspect.getsource(ApiTokenService.accept)


async def test_a_token_stops_with_its_user_and_never_outlives_a_role(api: Api) -> None:
    """Removed, blocked or role-less users, revoked and expired tokens: 401 or 403, and nothing of a case shown."""
    w = api.world
    case = await w.open_case()
    lost_role, removed = await api.token(w.km_arnhem), await api.token(w.bv_x2)
    async with api.hub.db() as db:
        await db.execute(update(User).where(col(User.id) == w.km_arnhem.id).values(roles=""))
        await db.execute(update(User).where(col(User.id) == w.bv_x2.id).values(removed_at=utcnow(), disabled=True))
    for path in ("/api/v1/cases", f"/api/v1/cases/{case.id}"):
        assert_problem(await api.client(lost_role).get(path), 403)
        assert_problem(await api.client(removed).get(path), 401)
    search = await api.client(lost_role).post("/api/v1/cases/search", json={"bsn": BSN_1})
    assert BSN_1 not in assert_problem(search, 403)["detail"]

    # An organisation token dies with its revocation, whoever still holds it.
    org_token = await api.org_token(w.kb_x, "bewindvoerder")
    assert (await api.client(org_token).get(f"/api/v1/cases/{case.id}")).status_code == 200
    async with api.hub.db() as db:
        await ApiTokenService(db).revoke(w.kb_x, org_token.split("_")[1])
    assert_problem(await api.client(org_token).get(f"/api/v1/cases/{case.id}"), 401)
    # A session cookie alone is no credential, also next to an invalid token.
    browser = await api.hub.client_for(w.bv_x)
    assert_problem(await browser.get(f"/api/v1/cases/{case.id}"), 401)
    assert_problem(await browser.get("/api/v1/cases", headers={"authorization": "Bearer nonsense"}), 401)


# -- scopes ----------------------------------------------------------------------------------------------------


async def test_every_operation_refuses_a_token_without_its_scope_and_writes_nothing(api_sqlite: Api) -> None:
    api, w = api_sqlite, api_sqlite.world
    doc = (await api.client().get("/api/v1/openapi.json")).json()
    own = await objects(api, w.bv_x, w.km_arnhem, w.arnhem_xander, BSN_1)
    extra = {"openCase": {**NEW_CASE, "convenantId": w.arnhem_xander.id}, "searchCasesByBsn": {"bsn": BSN_1}}
    scopes = {op.operation_id: op.scope for op in operations()}
    before = await writes(api)
    called = 0
    for path, ops in doc["paths"].items():
        url = "/api/v1" + path.format(**own.ids)
        for method, op in ops.items():
            scope = scopes[op["operationId"]]
            if scope is None:
                continue
            token = await api.token(w.bv_x, [s for s in ALL_SCOPES if s != scope])
            response = await api.client(token).request(method.upper(), url, **request_for(op, op["operationId"], extra))
            assert scope in assert_problem(response, 403)["detail"], op["operationId"]
            called += 1
    assert called >= 23
    assert await writes(api) == before


async def test_scopes_never_widen_what_the_role_allows(api_sqlite: Api) -> None:
    """A klantmanager's token with every scope still cannot open a case (a kantoor's act), nor record a milestone
    that is the kantoor's; an organisation token of the gemeente with every scope neither."""
    api, w = api_sqlite, api_sqlite.world
    case = await w.open_case()
    before = await writes(api)
    gemeentebeheerder = await api.hub.user(w.arnhem, Role.GEMEENTEBEHEERDER, name="Gea Beheer")
    for token in (await api.token(w.km_arnhem), await api.org_token(gemeentebeheerder, Role.KLANTMANAGER.value)):
        client = api.client(token)
        opened = await client.post("/api/v1/cases", json={**NEW_CASE, "convenantId": w.arnhem_xander.id})
        assert opened.status_code in (403, 404), opened.text
        assert_problem(opened, opened.status_code)
        milestone = await client.post(
            f"/api/v1/cases/{case.id}/milestones",
            json={"kind": "geen_aanvraag_bijstand", "milestoneDate": "2025-04-01"},
        )
        assert milestone.status_code in (400, 403), milestone.text
    assert await writes(api) == before


# -- input -----------------------------------------------------------------------------------------------------


async def test_bad_bodies_are_refused_clearly_and_change_nothing(api: Api) -> None:
    w = api.world
    case = await w.open_case()
    thread = await api.thread(w.km_arnhem, case.id)
    client = api.client(await api.token(w.bv_x))
    new_case = {**NEW_CASE, "convenantId": w.arnhem_xander.id}
    before = await writes(api)
    cases, threads = "/api/v1/cases", f"/api/v1/cases/{case.id}/threads"
    refused: list[tuple[str, dict[str, Any], int]] = [
        (cases, {"content": b"[" * 60_000, "headers": JSON}, 400),  # nesting: was a 500
        (cases, {"content": b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "headers": JSON}, 413),
        (cases, {"content": b'{"clientName":"' + b"x" * 70_000 + b'"}', "headers": JSON}, 413),
        (cases, {"content": b'{"clientName":"\xff\xfe"}', "headers": JSON}, 400),  # invalid UTF-8
        (cases, {"content": b'{"clientName":"Jan \\ud800"}', "headers": JSON}, 400),  # a lone surrogate
        (cases, {"content": b"", "headers": JSON}, 400),
        (cases, {"content": b"null", "headers": JSON}, 400),
        (cases, {"content": b'{"bsn": NaN}', "headers": JSON}, 400),
        (cases, {"json": [new_case]}, 400),
        (cases, {"json": {**new_case, "role": "admin"}}, 400),  # unknown fields are refused, not ignored
        (cases, {"json": {**new_case, "birthDate": 0}}, 400),  # a number is no date: was 1970-01-01
        (cases, {"json": {**new_case, "birthDate": "1970-01-01T00:00:00Z"}}, 400),
        (cases, {"json": {**new_case, "birthDate": "١٩٧٠-٠١-٠١"}}, 400),
        (cases, {"json": {**new_case, "birthDate": "1970-02-30"}}, 400),
        (cases, {"json": {**new_case, "confirmDuplicate": "true"}}, 400),
        (cases, {"json": {**new_case, "rechtbank": "Rechtbank\x00Gelderland"}}, 400),
        (cases, {"json": {**new_case, "bsn": "١٢٣٤٥٦٧٨٢"}}, 400),
        (cases, {"json": {**new_case, "bsn": "123456781"}}, 400),  # the elfproef
        (cases, {"content": b'{"bsn":"123456782"}', "headers": {"content-type": "text/plain"}}, 415),
        (cases, {"content": b'{"bsn":"123456782"}', "headers": {"content-type": "application/x-www-form-urlencoded"}},
         415),
        (cases, {"content": b'{"bsn":"123456782"}'}, 415),
        (threads, {"json": {"subject": "Vraag\x00", "body": "Hallo"}}, 400),  # NUL: was stored
        (threads, {"json": {"subject": "Vraag", "body": "Hallo\x1b[2J"}}, 400),
        (f"/api/v1/threads/{thread}/messages", {"json": {"body": "Hallo\x00"}}, 400),
        (f"/api/v1/threads/{thread}/messages", {"json": {"body": "Hallo", "kind": "bericht", "x": 1}}, 400),
    ]  # fmt: skip
    for url, kwargs, status in refused:
        response = await client.post(url, **kwargs)
        body = assert_problem(response, status)
        # A BSN is never echoed, valid or not (nor its last digits, which a message might quote).
        assert all(bsn not in response.text for bsn in (BSN_1, "123456781", "١٢٣٤٥٦٧٨٢", BSN_3)), response.text
        if status == 400 and "json" in kwargs:
            assert body["invalidParams"], body
    assert await writes(api) == before


async def test_bad_queries_are_400_and_a_bsn_is_never_taken_from_one(api_sqlite: Api) -> None:
    api, w = api_sqlite, api_sqlite.world
    for bsn in (BSN_1, BSN_2):
        await w.open_case(bsn=bsn)
    client = api.client(await api.token(w.bv_x))
    for params in (
        {"limit": "0"}, {"limit": "201"}, {"limit": "-1"}, {"limit": "²"}, {"limit": "١٠"}, {"limit": "1e1"},
        {"limit": ""}, {"cursor": "djE6LTE"}, {"cursor": "djE6wrI"}, {"cursor": "x" * 101}, {"cursor": "a/b"},
        {"cursor": "djE6MTAwMDAwMDAwMA"}, {"status": "\x00"}, {"reference": "' OR 1=1 --"}, {"bsn": BSN_1},
        {"q": BSN_1}, {"partnerId": "../" + "0" * 29},
    ):  # fmt: skip
        response = await client.get("/api/v1/cases", params=params)
        assert_problem(response, 400)
        assert BSN_1 not in response.text
    # A date parameter takes a date, not a date-time (was accepted when it was midnight).
    url = f"/api/v1/cases/{(await w.open_case(bsn=BSN_3)).id}/documents"
    for day in ("2026-01-05T00:00:00+01:00", "05-01-2026", "٢٠٢٦-٠١-٠٥", "2026-1-5"):
        params = {"documentType": "overig", "documentDate": day}
        response = await client.post(url, params=params, content=pdf_bytes(2000), headers=disposition("a.pdf"))
        assert assert_problem(response, 400)["invalidParams"][0]["name"] == "documentDate"
    assert (await client.get(url)).json()["items"] == []


async def test_a_cursor_is_a_position_in_the_callers_own_list_only(api_sqlite: Api) -> None:
    """Another organisation's next link, used by a kantoor, shows that kantoor's own cases only (the cursor carries no
    identity, so there is nothing to steal); a tampered one is a 400."""
    api, w = api_sqlite, api_sqlite.world
    for bsn in (BSN_1, BSN_2, BSN_3):
        await w.open_case(bsn=bsn)
    own = await w.open_case(w.bv_y, convenant_id=w.arnhem_ypsilon.id, bsn=BSN_1)
    xander, ypsilon = api.client(await api.token(w.bv_x)), api.client(await api.token(w.bv_y))
    first = (await xander.get("/api/v1/cases", params={"limit": "1"})).json()
    cursor = first["next"].split("cursor=")[1]
    assert (await ypsilon.get("/api/v1/cases", params={"cursor": cursor})).json()["items"] == []
    listed = (await ypsilon.get("/api/v1/cases", params={"limit": "1"})).json()
    assert [c["id"] for c in listed["items"]] == [own.id] and listed["next"] is None
    seen = [first["items"][0]["id"]]
    while first["next"]:
        first = (await xander.get(first["next"])).json()
        seen += [c["id"] for c in first["items"]]
    assert len(seen) == len(set(seen)) == 3 and own.id not in seen


# -- paths, methods, HEAD --------------------------------------------------------------------------------------


async def test_unknown_paths_methods_and_odd_ids_are_problems_with_the_version(api_sqlite: Api) -> None:
    api, w = api_sqlite, api_sqlite.world
    case = await w.open_case()
    client = api.client(await api.token(w.bv_x))
    for path in (
        "/api/v1", "/api/v1/", "/api/v1/cases/", f"/api/v1/cases/{case.id}/", "/api/v1/openapi.json/",
        "/api/v1/nothing", "/api/v1/cases/..%2f..%2fopenapi.json", f"/api/v1/cases/{case.id}/documents/%2e%2e",
        "/api/v1/CASES", "/api/v2/cases", f"/api/v1/cases/{case.id}%0a",
    ):  # fmt: skip
        response = await client.get(path)
        assert_problem(response, 404)
        assert case.reference not in response.text
    # A path parameter that is no id at all is a bad request naming the parameter, its value never echoed.
    for path, value in (
        ("/api/v1/cases/%2e%2e", ".."), ("/api/v1/cases/%00", "\u0000"), (f"/api/v1/cases/{case.id.upper()}", None),
        (f"/api/v1/cases/{case.id}%20", None),
    ):  # fmt: skip
        response = await client.get(path)
        problem = assert_problem(response, 400)
        assert [p["name"] for p in problem["invalidParams"]] == ["caseId"]
        assert case.reference not in response.text and case.id not in response.text.lower()
        assert value is None or value not in response.text
    for method, path, allow in (
        ("DELETE", f"/api/v1/cases/{case.id}", "GET, HEAD"), ("PUT", "/api/v1/cases", "GET, HEAD, POST"),
        ("PATCH", f"/api/v1/cases/{case.id}", "GET, HEAD"), ("GET", "/api/v1/routekaart/x", None),
        ("POST", "/api/v1/openapi.json", "GET, HEAD"), ("OPTIONS", "/api/v1/cases", "GET, HEAD, POST"),
    ):  # fmt: skip
        response = await client.request(method, path)
        assert_problem(response, 404 if allow is None else 405)
        assert response.headers.get("allow") == allow


async def test_head_answers_the_gets_headers_and_marks_nothing_read(api: Api) -> None:
    """Every GET route answers HEAD with the GET's status and headers and no body. A HEAD shows no message, so it
    never sets a read receipt (it did: the other organisation saw its question as read)."""
    w = api.world
    own = await objects(api, w.bv_x, w.km_arnhem, w.arnhem_xander, BSN_1)
    client = api.client(await api.token(w.bv_x))
    doc = (await client.get("/api/v1/openapi.json")).json()
    for path, ops in doc["paths"].items():
        if "get" not in ops:
            continue
        url = "/api/v1" + path.format(**own.ids)
        head = await client.head(url)
        assert head.content == b"" and head.headers["api-version"], path
        if path != "/threads/{threadId}":  # read below, after the receipts are checked
            get = await client.get(url)
            assert (head.status_code, head.headers["content-type"]) == (get.status_code, get.headers["content-type"])
            assert int(head.headers["content-length"]) == len(get.content), path
        else:
            assert head.status_code == 200
    async with api.hub.db() as db:
        receipts = list((await db.execute(select(MessageReceipt))).scalars())
    assert receipts and all(r.first_read_at is None for r in receipts if r.organisation_id == w.xander.id)
    assert (await client.get(f"/api/v1/threads/{own.ids['threadId']}")).status_code == 200
    async with api.hub.db() as db:
        receipts = list((await db.execute(select(MessageReceipt))).scalars())
    assert any(r.first_read_at is not None for r in receipts if r.organisation_id == w.xander.id)
