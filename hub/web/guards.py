"""Endpoint decorators: who may reach a page at all. Object-level decisions are hub.authz's."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.accounts.auth import ActiveSession
from hub.authz import Action, may
from hub.errors import Forbidden

Endpoint = Callable[[Request], Awaitable[Response]]


def safe_next(value: str | None) -> str:
    """Only a local path may be a redirect target (no //host, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def current(request: Request) -> ActiveSession | None:
    return getattr(request.state, "active", None)


def login_required(*actions: Action) -> Callable[[Endpoint], Endpoint]:
    """Require a full login (password + second factor) and, if given, permission for every action."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            active = current(request)
            if active is None:
                target = request.url.path if request.method == "GET" else "/"
                return RedirectResponse(f"/inloggen?volgende={quote(target)}", status_code=303)
            if not active.is_full:
                return RedirectResponse("/inloggen/vervolg", status_code=303)
            for action in actions:
                if not may(active.user, action):
                    raise Forbidden(action.value)
            return await endpoint(request)

        return wrapper

    return decorate


def user_of(request: Request) -> ActiveSession:
    active = current(request)
    assert active is not None and active.is_full, "use @login_required"
    return active
