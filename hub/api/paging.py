"""Cursor paging: ``limit`` and an opaque ``cursor``; a list answers its items and the URL of the next page.

The cursor is the position after the page, encoded so that clients treat it as a token, not a number they may
compute with (its form may change). A cursor that does not decode is a 400 on the ``cursor`` parameter.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from pydantic import Field
from starlette.requests import Request

from hub.api.operations import ApiModel
from hub.api.problems import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_MAX_OFFSET = 1_000_000


class PageQuery(ApiModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1-200).")
    cursor: str | None = Field(
        default=None, max_length=100, pattern="^[A-Za-z0-9_-]+$", description="The next page, from a `next` link."
    )


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        label, _, number = raw.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        label, number, offset = "", "", -1
    if label != "v1" or not 0 < offset <= _MAX_OFFSET or not (number.isascii() and number.isdigit()):
        raise ApiProblem(400, "De cursor is ongeldig.", invalid={"cursor": "Gebruik de cursor uit een next-link."})
    return offset


def next_link(request: Request, *, offset: int, limit: int, fetched: int) -> str | None:
    """The URL of the next page when this page was full (``fetched`` is one more than ``limit`` when there is more),
    keeping every other query parameter."""
    if fetched <= limit:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    params["cursor"] = encode_cursor(offset + limit)
    return f"{request.url.replace(query='')}?{urlencode(params)}"
