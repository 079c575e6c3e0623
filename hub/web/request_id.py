"""A request id for every request: taken from a valid incoming ``X-Request-ID`` (set by a proxy or load balancer, so
one id follows the request through every hop) or made here, returned in the ``X-Request-ID`` response header and
kept in :data:`hub.origin.request_id` so that every log line written while the request is handled carries it
(hub.logs). An incoming id is accepted only when it is 16 to 64 letters, digits, ``-``, ``_`` and ``.``: a client
cannot put spaces, quotes or a line break into the log through it, nor a short number such as a BSN.
"""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.origin import request_id

HEADER = b"x-request-id"
# At least 16 characters: a UUID, nginx's $request_id (32 hex) and the like pass; a BSN, a phone number or a
# postcode a client might put there do not (the id is on every log line).
VALID_ID = re.compile(r"[A-Za-z0-9._-]{16,64}")


def incoming_id(scope: Scope) -> str | None:
    """The request's own ``X-Request-ID`` when there is exactly one and it is valid."""
    values = [v for k, v in scope.get("headers", []) if k == HEADER]
    if len(values) != 1:
        return None
    value = values[0].decode("latin-1")
    return value if VALID_ID.fullmatch(value) else None


def new_request_id() -> str:
    return secrets.token_hex(16)


class RequestIdMiddleware:
    """Pure ASGI, outermost: the id is set before anything below logs, and added to the response's headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or new_request_id()
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, rid.encode("ascii"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
