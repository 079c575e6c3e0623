"""The session middleware and what the web layer needs of a loaded session.

hub/web knows no accounts package: app.py hands the middleware a *loader* (token -> loaded session or None), and
everything here relies only on the :class:`LoadedSession` protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.web.cookies import CookiePolicy, read_cookie


class SessionRecord(Protocol):
    """The stored session: the web layer reads only its CSRF token."""

    @property
    def csrf_token(self) -> str: ...


class LoadedSession(Protocol):
    """A session loaded from its cookie: who it is, and whether the second factor was passed."""

    @property
    def is_full(self) -> bool: ...

    @property
    def user(self) -> Any: ...

    @property
    def session(self) -> SessionRecord: ...


@dataclass(frozen=True)
class EndedSession:
    """What a loader returns for a session that has just ended (idle or absolute limit): whose it was, so that a
    form that arrives with it can be kept for that user (:mod:`hub.web.kept_forms`)."""

    user_id: str


SessionLoader = Callable[[str], Awaitable[LoadedSession | EndedSession | None]]


class SessionMiddleware:
    """Loads the server-side session named by the cookie into scope["state"]["active"] (or None)."""

    def __init__(self, app: ASGIApp, *, cookies: CookiePolicy, loader: SessionLoader, skip_prefix: str = "") -> None:
        """``skip_prefix``: paths below it (the API's) never load a session, whatever cookie comes along."""
        self.app = app
        self.skip_prefix = f"{skip_prefix.rstrip('/')}/" if skip_prefix else ""
        self.cookies = cookies
        self.loader = loader

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        active: LoadedSession | None = None
        token = read_cookie(scope, self.cookies.session_name)
        skipped = scope["path"].startswith("/static/") or (
            self.skip_prefix and scope["path"].startswith(self.skip_prefix)
        )
        if token and not skipped:
            found = await self.loader(token)
            if isinstance(found, EndedSession):
                state["ended_user_id"] = found.user_id
            else:
                active = found
        state["active"] = active
        state["session_token"] = token if active else ""
        await self.app(scope, receive, send)
