"""The API's contract: the OpenAPI document and the routes agree, nothing but the document itself answers without
a valid token, every error is a problem (RFC 9457) with the API-Version header, no trailing slashes."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Mount, Route

from hub.api import API_PREFIX, API_VERSION
from tests.api.conftest import Api

ID = "0" * 32


def api_routes(app: Any) -> dict[str, set[str]]:
    """Every Starlette route below /api/v1, with its methods (HEAD, which Starlette adds to GET, left out)."""
    mounts = [r for r in app.routes if isinstance(r, Mount) and r.path == API_PREFIX]
    assert len(mounts) == 1
    found: dict[str, set[str]] = {}
    for route in mounts[0].routes:
        assert isinstance(route, Route)
        found[route.path] = set(route.methods or ()) - {"HEAD"}
    return found


def documented(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {path: {m.upper() for m in ops} for path, ops in doc["paths"].items()}


def concrete(path: str) -> str:
    return re.sub(r"{[^}]+}", ID, path)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["api-version"] == API_VERSION
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


async def test_the_document_and_the_routes_agree(api_sqlite: Api) -> None:
    response = await api_sqlite.client().get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200 and response.headers["api-version"] == API_VERSION
    doc = response.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["version"] == API_VERSION
    assert doc["servers"] == [{"url": api_sqlite.hub.settings.base_url + API_PREFIX}]
    assert documented(doc) == api_routes(api_sqlite.hub.app)
    for path, ops in doc["paths"].items():
        # Lower-case segments (plural nouns) and camelCase parameters; no trailing slash.
        assert re.fullmatch(r"(/([a-z0-9.-]+|{[a-z]+[A-Za-z]*}))+", path), path
        for op in ops.values():
            for status, answer in op["responses"].items():
                assert "API-Version" in answer["headers"], (path, status)
                if int(status) >= 400:
                    assert "application/problem+json" in answer["content"]
            # Never a BSN in a URL: no parameter of a path or query may carry one.
            assert all("bsn" not in p["name"].lower() for p in op["parameters"]), path
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', response.text))
    assert refs and refs <= set(doc["components"]["schemas"])


async def test_nothing_but_the_document_answers_without_a_valid_token(api_sqlite: Api) -> None:
    doc = (await api_sqlite.client().get("/api/v1/openapi.json")).json()
    anonymous, forged = api_sqlite.client(), api_sqlite.client("hub_" + ID + "_" + "x" * 43)
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op["security"] == []:
                continue
            for client in (anonymous, forged):
                response = await client.request(method.upper(), API_PREFIX + concrete(path), json={})
                assert_problem(response, 401)
                checked += 1
    assert checked == 2 * (sum(len(ops) for ops in doc["paths"].values()) - 1)


async def test_errors_are_problems_without_trailing_slashes_or_redirects(api_sqlite: Api) -> None:
    token = await api_sqlite.token(api_sqlite.world.bv_x)
    client = api_sqlite.client(token)
    assert_problem(await client.get("/api/v1/cases/"), 404)
    assert_problem(await client.get("/api/v1/nergens"), 404)
    assert_problem(await client.get("/api/v1/documents/%0A/content"), 404)  # a path no API route can match
    assert_problem(await client.get("/api/v1"), 404)
    assert_problem(await client.get(f"/api/v1/cases/{ID}"), 404)
    # A path parameter that is no id is a 400 naming it (API Design Rules: invalid input), its value not echoed.
    malformed = assert_problem(await client.get("/api/v1/threads/123456782"), 400)
    assert malformed["invalidParams"][0]["name"] == "threadId" and "123456782" not in str(malformed)
    not_allowed = assert_problem(await client.delete("/api/v1/cases"), 405)
    assert not_allowed["title"]
    bad = assert_problem(await client.get("/api/v1/cases", params={"limit": "0", "status": "weg"}), 400)
    assert {p["name"] for p in bad["invalidParams"]} == {"limit", "status"}
    assert all(p["reason"] for p in bad["invalidParams"])
    body = assert_problem(await client.post("/api/v1/cases/search", json={"bsn": "123"}), 400)
    assert [p["name"] for p in body["invalidParams"]] == ["bsn"]
    assert "123" not in str(body)  # the value given is not echoed
    assert_problem(
        await client.post("/api/v1/cases/search", content=b"{", headers={"content-type": "application/json"}), 400
    )
    assert_problem(await client.post("/api/v1/cases/search", data={"bsn": "123456782"}), 415)
    extra = assert_problem(await client.post("/api/v1/cases/search", json={"bsn": "123456782", "x": 1}), 400)
    assert [p["name"] for p in extra["invalidParams"]] == ["x"]
