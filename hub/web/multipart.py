"""Streaming multipart/form-data for uploads: python-multipart's parser behind a pull interface.

``request.form()`` is never used for an upload, because it spools the plaintext file to a temporary file on disk.
Here the body is parsed as it arrives: the small fields first (the CSRF token must be the very first part, and is
checked before anything else is accepted), then the file's bytes as an async iterator, at most one received chunk
ahead. The CSRF middleware lets multipart bodies through only on the routes in ``hub.app.UPLOAD_ROUTES`` and leaves
the expected token in ``scope["state"]["csrf_expected"]``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Mapping

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from hub.web.csrf import CSRF_FIELD, csrf_matches

MAX_FIELD_BYTES = 1024  # a small form field (a type, a date, a token)


class CSRFRejected(Exception):
    """The first part is not a matching csrf_token."""


class UploadIncomplete(Exception):
    """The body ended (or the client went away) before the file was complete."""


class MalformedUpload(Exception):
    """Not the form this endpoint serves."""


class BodyTooLarge(Exception):
    pass


class MultipartUpload:
    """Feeds ``body`` to python-multipart's MultipartParser and turns its callbacks into a pull interface:
    :meth:`read_fields` up to the file part, then :meth:`file_chunks` for the file's data.

    The parser calls back synchronously from ``write()``; the callbacks only queue small events (file data is a
    slice of the received chunk, without a copy when the chunk is all file data), and the async side consumes
    them. At most one received chunk is parsed ahead.
    """

    def __init__(
        self,
        body: AsyncIterator[bytes],
        boundary: bytes,
        csrf_expected: str,
        body_limit: int,
        *,
        verify_csrf: bool = True,
    ) -> None:
        """``verify_csrf=False`` only for a form that is kept, never acted on (hub.web.kept_forms)."""
        self._body = body
        self._csrf_expected = csrf_expected
        self._verify_csrf = verify_csrf
        self._body_limit = body_limit
        self.csrf_ok = False  # the first part was the session's CSRF token: until then, answer nothing of the user's
        self.received = 0
        self.in_file = False  # read_fields returned a file part whose end has not been read yet
        self._parts = 0  # small fields read so far (the CSRF token first), over every call of read_fields
        self._finished = False  # the body iterator is exhausted
        self._events: deque[tuple[str, bytes]] = deque()
        # python-multipart refuses some boundaries outright (over 256 bytes): such a body is malformed, and says so
        # on the first read, so that the caller's refusal path (drain, then the 400 page) applies as to any other.
        self._parser: MultipartParser | None = None
        try:
            self._parser = self._make_parser(boundary)
        except FormParserError:
            pass

    def _make_parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": lambda: self._events.append(("begin", b"")),
                "on_header_field": lambda d, s, e: self._events.append(("hfield", d[s:e])),
                "on_header_value": lambda d, s, e: self._events.append(("hvalue", d[s:e])),
                "on_header_end": lambda: self._events.append(("hend", b"")),
                "on_headers_finished": lambda: self._events.append(("hdone", b"")),
                "on_part_data": lambda d, s, e: self._events.append(("data", d[s:e])),
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_end": lambda: self._events.append(("done", b"")),
            },
        )

    async def _next(self) -> tuple[str, bytes]:
        if self._parser is None:
            raise MalformedUpload("boundary refused by the parser")
        while not self._events:
            if self._finished:
                raise UploadIncomplete("body ended early")
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._finished = True
                continue
            except ClientDisconnect:
                self._finished = True
                raise UploadIncomplete("client disconnected") from None
            self.received += len(chunk)
            if self.received > self._body_limit:
                raise BodyTooLarge()
            try:
                self._parser.write(chunk)
            except FormParserError:  # any error of the parser (syntax, header size or count, ...) is the client's
                raise MalformedUpload("multipart syntax") from None
        return self._events.popleft()

    async def read_fields(
        self, *, max_parts: int = 8, field_limits: Mapping[str, int] | None = None, default_limit: int = MAX_FIELD_BYTES
    ) -> tuple[dict[str, list[str]], str | None]:
        """The fields before the next file (each name with its stripped values in order), and the file part's name:
        None when the body ends without another file part, "" when a browser sent an empty one because no file was
        chosen. Called again after a file's :meth:`file_chunks` (or :meth:`skip_file`), it reads the fields up to the
        next file: a form with several files, each after its own fields.

        A field may hold ``field_limits[name]`` bytes (default :data:`MAX_FIELD_BYTES`); more than ``max_parts``
        fields in the whole body is refused. Raises CSRFRejected unless the very first part is ``csrf_token`` with
        the session's token.
        """
        limits = field_limits or {}
        if not self._verify_csrf:
            self.csrf_ok = True
        fields: dict[str, list[str]] = {}
        headers: dict[str, str] = {}
        header_name = b""
        header_value = b""
        name = ""
        value = bytearray()
        while True:
            kind, data = await self._next()
            if kind == "begin":
                headers, header_name, header_value, value = {}, b"", b"", bytearray()
            elif kind == "hfield":
                header_name += data
            elif kind == "hvalue":
                header_value += data
            elif kind == "hend":
                headers[header_name.decode("latin-1").strip().lower()] = header_value.decode("latin-1")
                header_name, header_value = b"", b""
            elif kind == "hdone":
                disposition, options = parse_options_header(headers.get("content-disposition", ""))
                if disposition != b"form-data" or b"name" not in options:
                    raise MalformedUpload("part without a name")
                name = options[b"name"].decode("utf-8", "replace")
                if self._parts == 0 and name != CSRF_FIELD and self._verify_csrf:
                    raise CSRFRejected()
                if b"filename" in options:
                    if not self.csrf_ok:
                        raise CSRFRejected()
                    self.in_file = True
                    return fields, options[b"filename"].decode("utf-8", "replace")
            elif kind == "data":
                value += data
                if len(value) > limits.get(name, default_limit):
                    raise MalformedUpload("field too long")
            elif kind == "end":
                text = value.decode("utf-8", "replace")
                if self._parts == 0 and self._verify_csrf:
                    if not csrf_matches(text, self._csrf_expected):
                        raise CSRFRejected()
                    self.csrf_ok = True
                else:
                    fields.setdefault(name, []).append(text.strip())
                self._parts += 1
                if self._parts > max_parts:
                    raise MalformedUpload("too many fields")
            elif kind == "done":
                if not self.csrf_ok:
                    raise CSRFRejected()
                return fields, None

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The file part's bytes as they arrive; ends at the part's closing boundary, UploadIncomplete before it."""
        while True:
            kind, data = await self._next()
            if kind == "data":
                yield data
            elif kind == "end":
                self.in_file = False
                return
            else:
                raise MalformedUpload(f"unexpected {kind} inside the file")

    async def skip_file(self) -> None:
        """Read past (the rest of) a file part that is not kept: an empty one (no file was chosen), or one refused
        half-way. Nothing when the part's end was read already."""
        if not self.in_file:
            return
        async for _ in self.file_chunks():
            pass

    async def expect_end(self) -> None:
        """After the file part, only the closing boundary may come."""
        kind, _ = await self._next()
        if kind != "done":
            raise MalformedUpload(f"{kind} after the file")

    async def drain(self) -> None:
        """Read and discard the rest of the body (up to the body limit), so that a browser still sending the
        file receives the refusal page instead of a reset connection. Nothing is parsed or kept."""
        while not self._finished and self.received <= self._body_limit:
            try:
                chunk = await self._body.__anext__()
            except (StopAsyncIteration, ClientDisconnect):
                self._finished = True
                return
            self.received += len(chunk)
