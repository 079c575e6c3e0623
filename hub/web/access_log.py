"""One access-log line per request (logger ``hub.access``), and the request's origin for the layers below.

The line holds the method, the matched route's path *template* (``/dossiers/{case_id}``, never the path as sent),
the status, the duration and the user's id (or ``anon``). No raw path, no query string, no header: a BSN, name or
search term in the URL cannot reach the log. A request that matches no route is logged as ``-``. Requests to the
``quiet`` route templates (the health and readiness probes, every few seconds) are logged at debug level only.

The middleware also puts the client address and user agent in :data:`hub.origin.request_origin` (a context
variable), so code below it that is not handed the request (the session loader, every audit record) can record them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.origin import request_origin

log = logging.getLogger("hub.access")

UNMATCHED = "-"


def route_template(scope: Scope) -> str:
    """The path template of the route that handled (or would handle) this request; never the raw path."""
    route: Any = scope.get("route")
    if route is None:
        router = getattr(scope.get("app"), "router", None)
        probe = {**scope, "path_params": {}}
        for candidate in getattr(router, "routes", []):
            match, _ = candidate.matches(probe)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and route is None:
                route = candidate
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return path + "/{path}" if isinstance(route, Mount) else (path or "/")


def _user_id(scope: Scope) -> str:
    active = scope.get("state", {}).get("active")
    user = getattr(active, "user", None)
    user_id = getattr(user, "id", None)
    return str(user_id) if user_id else "anon"


class AccessLogMiddleware:
    """Pure ASGI: the body streams through untouched. Put it outermost, so the line has the status sent."""

    def __init__(self, app: ASGIApp, *, quiet: tuple[str, ...] = ()) -> None:
        self.app = app
        self.quiet = frozenset(quiet)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        client = scope.get("client")
        agent = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"user-agent"), "")
        reset = request_origin.set((client[0] if client else "unknown", agent))
        try:
            await self.app(scope, receive, recording_send)
        finally:
            request_origin.reset(reset)
            template = route_template(scope)
            log.log(
                logging.DEBUG if template in self.quiet else logging.INFO,
                "%s %s %d %.1fms %s",
                scope.get("method", "-"),
                template,
                status or 500,
                (time.perf_counter() - started) * 1000,
                _user_id(scope),
            )
