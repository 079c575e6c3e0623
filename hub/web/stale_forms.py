"""A form from before the user logged in again: its page was loaded under a session that has since ended, and it is
sent under the new one (a second tab, or the first after logging in from the second). Its CSRF token is the old
session's, so the CSRF check would refuse it and the text would be lost. The kept-forms middleware
(hub.web.kept_forms) looks at the token first, without consuming the body: a form whose token does not match the
session is kept for the logged-in user and put back into its page, as after a login; any other request goes on
with its body untouched.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope

from hub.web.csrf import CSRF_FIELD, csrf_matches

PEEK_BYTES = 64 * 1024  # the first part of a multipart form (the token) is far smaller; a URL-encoded form may be 1 MB
MAX_URLENCODED = 1024 * 1024


class PeekedBody:
    """The request body's first messages, read once, and a ``receive`` that replays them before the rest."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.messages: list[Message] = []
        self.data = bytearray()
        self.complete = False

    async def read_until(self, enough: int, *, marker: bytes = b"") -> None:
        """Read until ``enough`` bytes, the ``marker`` after the start, or the end of the body."""
        while not self.complete and len(self.data) < enough and not (marker and self.data.find(marker, 1) > 0):
            message = await self._receive()
            self.messages.append(message)
            if message["type"] != "http.request":
                self.complete = True
                break
            self.data += message.get("body", b"")
            self.complete = not message.get("more_body", False)

    def replay(self) -> Receive:
        pending = list(self.messages)

        async def receive() -> Message:
            if pending:
                return pending.pop(0)
            return await self._receive()

        return receive


async def sent_token(scope: Scope, body: PeekedBody) -> str | None:
    """The CSRF token the form carries (the first multipart part, or the URL-encoded field); None when it cannot be
    told without reading more than a form's first part (the normal checks then decide)."""
    kind, options = parse_options_header(Headers(scope=scope).get("content-type", ""))
    if kind == b"application/x-www-form-urlencoded":
        await body.read_until(MAX_URLENCODED + 1)
        if not body.complete:
            return None
        return dict(parse_qsl(body.data.decode("latin-1"), keep_blank_values=True)).get(CSRF_FIELD, "")
    boundary = options.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not boundary:
        return None
    delimiter = b"--" + boundary
    await body.read_until(PEEK_BYTES, marker=b"\r\n" + delimiter)
    start = body.data.find(delimiter)
    end = body.data.find(b"\r\n" + delimiter, start + len(delimiter))
    if start != 0 or end < 0:
        return None
    head, _, value = bytes(body.data[len(delimiter) : end]).partition(b"\r\n\r\n")
    if f'name="{CSRF_FIELD}"'.encode() not in head:
        return ""
    return value.decode("latin-1")


def is_stale(token: str | None, expected: str) -> bool:
    """A form that carries a token, but not this session's."""
    return bool(token) and not csrf_matches(token or "", expected)
