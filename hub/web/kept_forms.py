"""Never lose what the user typed: a form posted to a logged-in page after the session ended is kept (its text
fields, encrypted, for a short while) instead of refused; after logging in again the user lands on the same page with
the fields filled in and a notice. Nothing is submitted by itself.

This middleware sits between the session middleware and the CSRF middleware. It keeps a form only when the request
goes to an endpoint behind ``@login_required``, no full session came with it (or a full one, but the form carries an
earlier session's CSRF token: its page was loaded before the user logged in again, hub.web.stale_forms), and the
browser says the form came from this site (``Sec-Fetch-Site: same-origin``; a browser too old to send it is trusted
as before). CSRF tokens, one-time form tokens, passwords, codes and files are never kept. The storage is the app's
(a :class:`FormKeeper`): hub/web knows no table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import parse_qsl, quote

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.web.cookies import CookiePolicy, read_cookie
from hub.web.csrf import forbidden
from hub.web.guards import LOGIN_ROUTE, MEMBERS_ONLY, safe_next
from hub.web.multipart import BodyTooLarge, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.session import LoadedSession
from hub.web.stale_forms import PeekedBody, is_stale, sent_token

KEPT_NOTICE = (
    "Uw sessie was verlopen. Wat u had ingevuld is teruggezet; controleer het en verstuur opnieuw. Bijlagen moeten "
    "opnieuw worden gekozen."
)
KEPT_SECONDS = 30 * 60  # the cookie's life; the stored form lives as long (hub.accounts.kept_forms)
MAX_BODY_BYTES = 1024 * 1024  # as the CSRF middleware's form limit
MAX_FIELD_BYTES = 256 * 1024
MAX_PARTS = 40
MAX_QUERY_KEPT = 200  # a form's own query string comes back with it up to this length (ids, never text)
MAX_UPLOAD_DRAIN = 11 * 1024**3  # a file after the fields is read past (never kept) so the browser gets the answer
# Never kept: tokens (CSRF, one-time form tokens), anything that is a password or a second-factor code.
NEVER_KEPT = re.compile(r"token|password|wachtwoord|totp|^code$|codes", re.IGNORECASE)


class RestoredForm(Protocol):
    """What a page gets back: the fields of its form that posts to ``form_path``."""

    @property
    def form_path(self) -> str: ...

    @property
    def fields(self) -> list[tuple[str, str]]: ...


class FormKeeper(Protocol):
    async def keep(
        self,
        *,
        reference: str,
        user_id: str | None,
        return_path: str,
        form_path: str,
        fields: list[tuple[str, str]],
        user_hint: str = "",
    ) -> bool:
        """``user_hint``: the browser's signed "who logged in last" cookie, for when ``user_id`` is not known."""
        ...

    async def take(self, *, reference: str, user_id: str, path: str) -> RestoredForm | None: ...


def keepable(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The fields worth keeping: named, not secret, not empty."""
    return [(n, v) for n, v in fields if n and not NEVER_KEPT.search(n) and v.strip()]


def _endpoint_members_only(scope: Scope) -> bool:
    for route in scope["app"].routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return bool(getattr(getattr(route, "endpoint", None), MEMBERS_ONLY, False))
    return False


def page_of(scope: Scope, path: str) -> str:
    """The page a form posted to ``path`` is on: ``path`` itself or the nearest parent path with a page (GET)."""
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        candidate = "/".join(parts) or "/"
        probe: Scope = {"type": "http", "method": "GET", "path": candidate, "root_path": "", "app": scope["app"]}
        if any(route.matches(probe)[0] == Match.FULL for route in scope["app"].routes):
            return safe_next(candidate)
        parts.pop()
    return "/"


def return_page(scope: Scope) -> str:
    """Where the user comes back to: the form's page; with the form's query string when the form posts to its own
    page (a new question opened from a case posts to ``/berichten/nieuw?dossier=<id>`` and returns there)."""
    page = page_of(scope, scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    if page == scope["path"] and query and len(query) <= MAX_QUERY_KEPT:
        return safe_next(f"{page}?{query}")
    return page  # a longer query is dropped rather than the form (a kept path has at most 500 characters)


def current_page(scope: Scope) -> str:
    """The path and query string of a GET, to compare with a kept form's return page."""
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope['path']}?{query}" if query else str(scope["path"])


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def read_text_fields(scope: Scope, receive: Receive) -> list[tuple[str, str]] | None:
    """The text fields of the posted form (URL-encoded, or multipart up to the first file), or None when the body
    is not a form or too large."""
    headers = Headers(scope=scope)
    kind, options = parse_options_header(headers.get("content-type", ""))
    if kind == b"application/x-www-form-urlencoded":
        body = bytearray()
        async for chunk in _body(receive):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return None
        return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    if kind == b"multipart/form-data" and b"boundary" in options:
        upload = MultipartUpload(_body(receive), options[b"boundary"], "", MAX_UPLOAD_DRAIN, verify_csrf=False)
        try:
            fields, _ = await upload.read_fields(max_parts=MAX_PARTS, default_limit=MAX_FIELD_BYTES)
        except (UploadIncomplete, MalformedUpload, BodyTooLarge):
            return None
        finally:
            await upload.drain()
        return [(name, value) for name, values in fields.items() for value in values]
    return None


class KeptFormMiddleware:
    def __init__(self, app: ASGIApp, *, cookies: CookiePolicy, keeper: FormKeeper) -> None:
        self.app = app
        self.cookies = cookies
        self.keeper = keeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        active: LoadedSession | None = scope.get("state", {}).get("active")
        full = active is not None and active.is_full
        if scope["method"] == "POST" and _same_site(scope) and _endpoint_members_only(scope):
            if not full or active is None:
                await self._keep(scope, receive, send)
                return
            body = PeekedBody(receive)
            # Only for a browser that says where the form came from: a wrong token from anything else stays a 403.
            stated = Headers(scope=scope).get("sec-fetch-site") == "same-origin"
            if stated and is_stale(await sent_token(scope, body), active.session.csrf_token):
                await self._keep_stale(scope, body.replay(), send, active.user.id)
                return
            receive = body.replay()
        reference = read_cookie(scope, self.cookies.kept_form_name)
        if scope["method"] == "GET" and full and reference and active is not None:
            restored = await self.keeper.take(reference=reference, user_id=active.user.id, path=current_page(scope))
            if restored is not None:
                scope["state"]["kept_form"] = restored
                await self.app(scope, receive, self._clearing_cookie(send))
                return
        await self.app(scope, receive, send)

    async def _keep(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Keep what can be kept and send the browser to the login page, which returns to the form's page."""
        fields = keepable(await read_text_fields(scope, receive) or [])
        page = return_page(scope)
        login = scope["app"].url_path_for(LOGIN_ROUTE)
        target = f"{login}?volgende={quote(page)}"
        reference = secrets.token_urlsafe(32)
        kept = bool(fields) and await self.keeper.keep(
            reference=reference,
            user_id=scope["state"].get("ended_user_id"),
            return_path=page,
            form_path=scope["path"],
            fields=fields,
            user_hint=read_cookie(scope, self.cookies.user_hint_name),
        )
        response: Response = RedirectResponse(target + ("&bewaard=1" if kept else "&verlopen=1"), status_code=303)
        if kept:
            self.cookies.set_kept_form(response, reference, KEPT_SECONDS)
        await response(scope, receive, send)

    async def _keep_stale(self, scope: Scope, receive: Receive, send: Send, user_id: str) -> None:
        """A form loaded under an earlier session, sent under this one: kept for this user and put back into its
        page at once (nothing to log in for); with nothing to keep, refused as the CSRF check refuses it."""
        fields = keepable(await read_text_fields(scope, receive) or [])
        page = return_page(scope)
        reference = secrets.token_urlsafe(32)
        kept = bool(fields) and await self.keeper.keep(
            reference=reference, user_id=user_id, return_path=page, form_path=scope["path"], fields=fields
        )
        if not kept:
            await forbidden(scope, receive, send)
            return
        response = RedirectResponse(page, status_code=303)
        self.cookies.set_kept_form(response, reference, KEPT_SECONDS)
        await response(scope, receive, send)

    def _clearing_cookie(self, send: Send) -> Send:
        cleared = Response()
        self.cookies.clear_kept_form(cleared)
        cookie_headers = [(k, v) for k, v in cleared.raw_headers if k == b"set-cookie"]

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for _, value in cookie_headers:
                    headers.append("set-cookie", value.decode("latin-1"))
            await send(message)

        return send_clearing


def _same_site(scope: Scope) -> bool:
    """The browser says the form came from this site; a browser that does not say is trusted (as CSRF did)."""
    return Headers(scope=scope).get("sec-fetch-site", "same-origin") == "same-origin"
