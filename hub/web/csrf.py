"""CSRF: every state-changing request carries the token of its session (or, before login, of the login cookie)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.web.cookies import CookiePolicy, read_cookie
from hub.web.session import LoadedSession

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1024 * 1024
CSRF_FIELD = "csrf_token"


class CSRFMiddleware:
    """URL-encoded forms are read here (small, bounded) and replayed to the endpoint. Multipart bodies are only
    allowed on the named streaming upload routes, whose parser checks the token as the first field before any file byte.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        cookies: CookiePolicy,
        upload_routes: Iterable[str] = (),
        exempt_prefix: str = "",
    ) -> None:
        """``upload_routes``: names of the streaming upload routes. ``exempt_prefix``: paths below it (the API's)
        are authenticated by a bearer token, which a browser never adds by itself, and load no session."""
        self.app = app
        self.exempt_prefix = f"{exempt_prefix.rstrip('/')}/" if exempt_prefix else ""
        self.cookies = cookies
        self.upload_route_names = tuple(upload_routes)
        self._upload_routes: list[BaseRoute] | None = None

    def upload_routes(self, scope: Scope) -> list[BaseRoute]:
        """The named upload routes of the app this request is for (looked up once; an unknown name is an error)."""
        if self._upload_routes is None:
            by_name = {getattr(r, "name", None): r for r in scope["app"].routes}
            missing = [n for n in self.upload_route_names if n not in by_name]
            if missing:
                raise LookupError(f"no route named {', '.join(missing)}")
            self._upload_routes = [by_name[n] for n in self.upload_route_names]
        return self._upload_routes

    def is_upload(self, scope: Scope) -> bool:
        """Does this request go to a streaming upload route (path and method)?"""
        return any(route.matches(scope)[0] == Match.FULL for route in self.upload_routes(scope))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exempt = bool(self.exempt_prefix) and scope.get("path", "").startswith(self.exempt_prefix)
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS or exempt:
            await self.app(scope, receive, send)
            return
        expected = expected_csrf_token(scope, self.cookies)
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data" and self.is_upload(scope):
            scope["state"]["csrf_expected"] = expected
            await self.app(scope, receive, send)
            return
        if content_type != "application/x-www-form-urlencoded" or not expected:
            await forbidden(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                await PlainTextResponse("Formulier te groot.", status_code=413)(scope, receive, send)
                return
        fields = parse_qs(body.decode("latin-1"), keep_blank_values=True)
        given = fields.get(CSRF_FIELD, [""])[0]
        if not csrf_matches(given, expected):
            await forbidden(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def expected_csrf_token(scope: Scope, cookies: CookiePolicy) -> str:
    active: LoadedSession | None = scope.get("state", {}).get("active")
    if active is not None:
        return active.session.csrf_token
    return read_cookie(scope, cookies.login_csrf_name)


def csrf_matches(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


async def forbidden(scope: Scope, receive: Receive, send: Send) -> None:
    from hub.web.templating import render_error

    await render_error(
        scope,
        403,
        "Verzoek geweigerd",
        "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina "
        "opnieuw en probeer het nog eens.",
    )(scope, receive, send)
