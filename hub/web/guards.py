"""Endpoint decorators: who may reach a page at all. Object-level decisions are the services'.

The actions are opaque here: ``@login_required(action)`` asks the permission check the app wired in
(:class:`hub.web.site.Site`), so this module knows no roles.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hub.errors import Forbidden
from hub.web.session import LoadedSession
from hub.web.site import site_of

Endpoint = Callable[[Request], Awaitable[Response]]
# The login pages, by route name (the accounts part names them; the web layer imports no domain package).
LOGIN_ROUTE = "accounts.login"
LOGIN_CONTINUE_ROUTE = "accounts.login_continue"
# Marks an endpoint behind @login_required: a form posted to it after the session ended is kept, not refused.
MEMBERS_ONLY = "hub_members_only"


def safe_next(value: str | None) -> str:
    """Only a local path may be a redirect target (no //host, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def current(request: Request) -> Any:
    """The loaded session (a :class:`LoadedSession`) or None. Typed Any: the app's own session class."""
    return getattr(request.state, "active", None)


def login_required(*actions: Any) -> Callable[[Endpoint], Endpoint]:
    """Require a full login (password + second factor) and, if given, permission for every action."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            active: LoadedSession | None = current(request)
            if active is None:
                target = request.url.path if request.method == "GET" else "/"
                login = request.app.url_path_for(LOGIN_ROUTE)
                return RedirectResponse(f"{login}?volgende={quote(target)}", status_code=303)
            if not active.is_full:
                return RedirectResponse(request.app.url_path_for(LOGIN_CONTINUE_ROUTE), status_code=303)
            may = site_of(request).may
            for action in actions:
                if not may(active.user, action):
                    raise Forbidden(getattr(action, "value", str(action)))
            return await endpoint(request)

        setattr(wrapper, MEMBERS_ONLY, True)  # read by the kept-forms check (hub.web.kept_forms)
        return wrapper

    return decorate


def user_of(request: Request) -> Any:
    """The full session of a @login_required endpoint (the app's session class)."""
    active: LoadedSession | None = current(request)
    assert active is not None and active.is_full, "use @login_required"
    return active
