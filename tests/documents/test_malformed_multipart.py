"""Bodies python-multipart cannot parse are the client's mistake: the upload answers 400 with the Dutch refusal
page, keeps nothing and never answers 500 (a boundary over 256 bytes used to escape as FormParserError)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.documents.conftest import BOUNDARY, Vault, multipart_parts, pdf_bytes, upload_fields, upload_url

REFUSAL = "Gebruik het uploadformulier op de dossierpagina."


def long_boundary() -> str:
    return "x" * 300  # python-multipart accepts at most 256 bytes


def bodies(token: str) -> list[tuple[str, bytes]]:
    """(boundary for the content type, body) for each malformed body."""
    head, content, tail = multipart_parts(upload_fields(token), ("file", "a.pdf", pdf_bytes(2000)))
    long = long_boundary()
    long_head, long_content, long_tail = multipart_parts(
        upload_fields(token), ("file", "a.pdf", pdf_bytes(2000)), boundary=long
    )
    bad_header_line = head.replace(b"Content-Type: application/octet-stream", b"Content-Type application/octet")
    bad_header_name = head.replace(b"Content-Type:", b"Content Type:")
    huge_header = head.replace(b"Content-Type: application/octet-stream", b"X-Pad: " + b"a" * 20_000)
    many_headers = head.replace(b"Content-Type:", b"X-A: 1\r\n" * 200 + b"Content-Type:")
    return [
        ("long boundary", long_head + long_content + long_tail),
        ("header without a colon", bad_header_line + content + tail),
        ("space in a header name", bad_header_name + content + tail),
        ("header too large", huge_header + content + tail),
        ("too many headers", many_headers + content + tail),
        ("garbage after the boundary", head.replace(f"--{BOUNDARY}\r\n".encode(), f"--{BOUNDARY}zz".encode(), 1)),
    ]


@pytest.mark.parametrize("streamed", [False, True])
async def test_malformed_multipart_answers_400_and_keeps_nothing(vault: Vault, streamed: bool) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    for label, body in bodies(bea.csrf_token):
        boundary = long_boundary() if label == "long boundary" else BOUNDARY

        async def pieces(body: bytes = body) -> AsyncIterator[bytes]:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = await bea.post(
            upload_url(vault.case.id),
            content=pieces() if streamed else body,
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert response.status_code == 400, (label, response.status_code)
        assert "Ongeldig verzoek" in response.text, label
        assert REFUSAL in response.text, label
    await vault.assert_nothing_kept()
