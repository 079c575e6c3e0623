"""The web layer on its own: one module per middleware, wired with plain callables, importing no domain package."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hub.web.cookies import CookiePolicy
from hub.web.csrf import CSRFMiddleware
from hub.web.session import LoadedSession, SessionMiddleware

HUB = Path(__file__).resolve().parents[2] / "hub"
DOMAIN = (
    "hub.accounts",
    "hub.cases",
    "hub.documents",
    "hub.messaging",
    "hub.notifications",
    "hub.accounts.authz",
    "hub.audit",
)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_web_layer_imports_no_domain_package() -> None:
    offending = {
        f"{path.name}: {module}"
        for path in (HUB / "web").glob("*.py")
        for module in imported_modules(path)
        if module.startswith(DOMAIN)
    }
    assert offending == set()


def test_the_runtime_is_a_leaf() -> None:
    hub_imports = {m for m in imported_modules(HUB / "runtime.py") if m.startswith("hub")}
    assert hub_imports <= {"hub.config", "hub.db", "hub.keys"}


@dataclass
class FakeRecord:
    csrf_token: str


@dataclass
class FakeSession:
    user: Any
    session: FakeRecord
    is_full: bool = True


COOKIES = CookiePolicy(https=False)


def make_app(loaded: list[str], **csrf: Any) -> Starlette:
    async def loader(token: str) -> LoadedSession | None:
        loaded.append(token)
        return FakeSession(user="u", session=FakeRecord("tok")) if token == "good" else None

    async def upload(request: Request) -> Response:
        return PlainTextResponse(f"upload {request.scope['state'].get('csrf_expected', '')}")

    async def form(request: Request) -> Response:
        return PlainTextResponse(f"form {(await request.form()).get('x')} {request.state.active is not None}")

    return Starlette(
        routes=[
            Route("/up/{item}", upload, methods=["POST"], name="things.upload"),
            Route("/form", form, methods=["POST"], name="things.form"),
            Route("/static/x", form, methods=["GET"]),
        ],
        middleware=[
            Middleware(SessionMiddleware, cookies=COOKIES, loader=loader),
            Middleware(CSRFMiddleware, cookies=COOKIES, **csrf),
        ],
    )


def client(app: Starlette, token: str = "good") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test", cookies={COOKIES.session_name: token}
    )


MULTIPART = {"content-type": "multipart/form-data; boundary=b"}


async def test_the_session_loader_gets_the_cookie_token_except_for_static_files() -> None:
    loaded: list[str] = []
    async with client(make_app(loaded)) as c:
        response = await c.post("/form", data={"x": "1", "csrf_token": "tok"})
        assert response.text == "form 1 True"
        await c.get("/static/x")
    assert loaded == ["good"]


async def test_multipart_passes_only_on_a_named_upload_route() -> None:
    app = make_app([], upload_routes=["things.upload"])
    async with client(app) as c:
        passed = await c.post("/up/7", content=b"--b--", headers=MULTIPART)
        assert passed.status_code == 200 and passed.text == "upload tok"  # the parser gets the token to check
        assert (await c.post("/form", content=b"--b--", headers=MULTIPART)).status_code == 403
        assert (await c.post("/up/7/more", content=b"--b--", headers=MULTIPART)).status_code == 403
        # A form post still needs its token, also on an upload route.
        assert (await c.post("/form", data={"x": "1"})).status_code == 403
        assert (await c.post("/form", data={"x": "1", "csrf_token": "tok"})).status_code == 200


async def test_an_unknown_upload_route_name_is_an_error_not_a_hole() -> None:
    app = make_app([], upload_routes=["things.nothing"])
    async with client(app) as c:
        with pytest.raises(LookupError):
            await c.post("/up/7", content=b"--b--", headers=MULTIPART)


def test_the_app_refuses_to_start_with_an_unknown_upload_route_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hub import app as app_module
    from hub.config import load_settings

    settings = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert app_module.create_app(settings) is not None  # every named upload route exists
    monkeypatch.setattr(app_module, "UPLOAD_ROUTES", [*app_module.UPLOAD_ROUTES, "documents.uplaod"])
    with pytest.raises(LookupError, match=r"documents\.uplaod"):
        app_module.create_app(settings)
