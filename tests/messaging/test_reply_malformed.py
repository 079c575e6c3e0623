"""A reply body python-multipart cannot parse is the client's mistake: 400 with the Dutch refusal page, no message,
no document, no blob; never a 500 (a boundary over 256 bytes used to escape as FormParserError)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.messaging.views.reply import BAD_FORM
from tests.messaging.test_reply_upload import BOUNDARY, _ask, assert_nothing_kept, minimal_pdf, multipart, reply_fields
from tests.messaging.world import World

LONG_BOUNDARY = "y" * 300  # python-multipart accepts at most 256 bytes


def malformed(fields: list[tuple[str, str]]) -> list[tuple[str, str, bytes]]:
    """(label, boundary for the content type, body) for each malformed body."""
    head, content, tail = multipart(fields, ("a.pdf", minimal_pdf()))
    long = (head + content + tail).replace(BOUNDARY.encode(), LONG_BOUNDARY.encode())
    return [
        ("long boundary", LONG_BOUNDARY, long),
        ("long boundary, no file", LONG_BOUNDARY, long[: long.index(b'name="file"')]),
        ("header without a colon", BOUNDARY, head.replace(b"Content-Type:", b"Content-Type") + content + tail),
        ("space in a header name", BOUNDARY, head.replace(b"Content-Type:", b"Content Type:") + content + tail),
        ("header too large", BOUNDARY, head.replace(b"Content-Type:", b"X-Pad: " + b"a" * 20_000 + b"\r\nCT:") + tail),
        ("too many headers", BOUNDARY, head.replace(b"Content-Type:", b"X-A: 1\r\n" * 200 + b"Content-Type:") + tail),
    ]


@pytest.mark.parametrize("streamed", [False, True])
async def test_malformed_reply_answers_400_and_keeps_nothing(world: World, streamed: bool) -> None:
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    for label, boundary, body in malformed(reply_fields(karim, "Zie bijlage")):

        async def pieces(body: bytes = body) -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = await karim.post(
            f"/berichten/{thread.id}/reageren",
            content=pieces() if streamed else body,
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 400, (label, response.status_code)
        assert "Ongeldig verzoek" in response.text, label
        assert BAD_FORM in response.text, label
    await assert_nothing_kept(world, thread)
