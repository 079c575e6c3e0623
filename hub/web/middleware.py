"""Pure ASGI middleware (no BaseHTTPMiddleware: uploads and downloads must stream untouched).

Order, outermost first: security headers -> session loading -> CSRF -> routes.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.accounts.auth import ActiveSession, AuthService
from hub.db import transaction
from hub.web.cookies import CookiePolicy

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1024 * 1024
CSRF_FIELD = "csrf_token"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)


def read_cookie(scope: Scope, name: str) -> str:
    raw = Headers(scope=scope).get("cookie", "")
    if not raw:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is treated as no cookie
        return ""
    morsel = jar.get(name)
    return morsel.value if morsel else ""


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if self.https:
                    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
                state = scope.get("state", {})
                if state.get("active") is not None or "cache-control" not in headers:
                    # Authenticated pages never enter a shared or browser cache; static files set their own.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionMiddleware:
    """Loads the server-side session named by the cookie into scope["state"]["active"] (or None)."""

    def __init__(self, app: ASGIApp, *, cookies: CookiePolicy) -> None:
        self.app = app
        self.cookies = cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        active: ActiveSession | None = None
        token = read_cookie(scope, self.cookies.session_name)
        if token and not scope["path"].startswith("/static/"):
            hub = scope["app"].state.hub
            async with transaction(hub.sessions) as db:
                active = await AuthService(db, hub.keyring).load_session(token)
        state["active"] = active
        state["session_token"] = token if active else ""
        await self.app(scope, receive, send)


class CSRFMiddleware:
    """Every state-changing request carries the token of its session (or, before login, of the login cookie).

    URL-encoded forms are read here (small, bounded) and replayed to the endpoint. Multipart bodies are only
    allowed on streaming upload paths, whose parser checks the token as the first field before any file byte.
    """

    def __init__(self, app: ASGIApp, *, cookies: CookiePolicy, upload_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.cookies = cookies
        self.upload_paths = [re.compile(p) for p in upload_paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = expected_csrf_token(scope, self.cookies)
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data" and any(p.fullmatch(scope["path"]) for p in self.upload_paths):
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
    active: ActiveSession | None = scope.get("state", {}).get("active")
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


class ErrorShieldMiddleware:
    """Turns an unhandled exception into the Dutch 500 page and a log line without the exception's text.

    Exception messages can carry personal data (a value that failed to parse, an SQL parameter), so neither the
    message nor the traceback's locals are logged; only the type and where it was raised.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            from starlette.requests import Request

            from hub.web.errors import server_error

            response = await server_error(Request(scope), exc)
            if not started:
                await response(scope, receive, send)
