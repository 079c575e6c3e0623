"""The API's download (``GET``/``HEAD /documents/{documentId}/content``) on SQLite and PostgreSQL: streamed and
verified chunk by chunk as the page's download, one Range as 206 (only its chunks decrypted) or 416, HEAD from the
row alone (no blob read, ``document.head`` instead of ``document.download``), and a blob damaged half-way breaks the
connection off before its announced length against a real server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from crypto import DEFAULT_CHUNK_SIZE, header_size
from hub.api.openapi import document as openapi_document
from hub.api.routes import operations
from hub.audit.models import AuditEvent
from hub.documents.blobstore import BATCH_SIZE
from hub.documents.components import blobs_of
from hub.documents.models import Document
from tests.api.conftest import Api
from tests.documents.conftest import pdf_bytes
from tests.support.blobs import read_blob, write_blob
from tests.support.browser import serve_in_thread

SEALED = DEFAULT_CHUNK_SIZE + 16  # a chunk in the blob: plaintext and tag


async def uploaded(api: Api, data: bytes) -> tuple[httpx.AsyncClient, Document]:
    case = await api.world.open_case()
    token = await api.token(api.world.bv_x)
    client = api.client(token)
    created = await client.post(
        f"/api/v1/cases/{case.id}/documents",
        params={"documentType": "overig", "documentDate": "2026-01-05"},
        content=data,
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote('Nota é.pdf')}",
                 "content-type": "application/pdf"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    async with api.hub.db() as db:
        document = await db.get(Document, created.json()["id"])
    assert document is not None
    return client, document


async def audit_count(api: Api, action: str, document: Document) -> int:
    async with api.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent).where(col(AuditEvent.action) == action, col(AuditEvent.object_id) == document.id)
        )
        return len(list(rows.scalars()))


def url(document: Document) -> str:
    return f"/api/v1/documents/{document.id}/content"


async def test_ranges_head_and_the_whole_document(api: Api) -> None:
    data = pdf_bytes(20 * DEFAULT_CHUNK_SIZE + 777)
    size, c = len(data), DEFAULT_CHUNK_SIZE
    client, document = await uploaded(api, data)

    whole = await client.get(url(document))
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-length"] == str(size) and whole.headers["accept-ranges"] == "bytes"
    part = await client.get(url(document), headers={"Range": f"bytes={c - 10}-{2 * c + 9}"})
    assert part.status_code == 206 and part.content == data[c - 10 : 2 * c + 10]
    assert part.headers["content-range"] == f"bytes {c - 10}-{2 * c + 9}/{size}"
    assert part.headers["content-length"] == str(c + 20)
    tail = await client.get(url(document), headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == data[-100:]
    beyond = await client.get(url(document), headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.headers["content-type"] == "application/problem+json"
    several = await client.get(url(document), headers={"Range": "bytes=0-1,5-6"})  # not served: the whole
    assert several.status_code == 200 and several.content == data
    assert await audit_count(api, "document.download", document) == 4

    # HEAD: the GET's status and headers, no body, no download record (its own, cheaper one), and no blob read:
    # it answers with the blob gone, where a GET cannot.
    await blobs_of(api.hub.runtime).delete(document.blob_name)
    head = await client.head(url(document))
    assert head.status_code == 200 and head.content == b""
    for name in ("content-length", "content-type", "content-disposition", "accept-ranges", "cache-control"):
        assert head.headers[name] == whole.headers[name], name
    ranged = await client.head(url(document), headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.headers["content-range"] == f"bytes 0-99/{size}"
    assert ranged.headers["content-length"] == "100"
    assert (await client.head(url(document), headers={"Range": f"bytes={size}-"})).status_code == 416
    assert await audit_count(api, "document.head", document) == 2
    assert await audit_count(api, "document.download", document) == 4
    gone = await client.get(url(document))
    assert gone.status_code == 500 and gone.headers["content-type"] == "application/problem+json"
    assert await audit_count(api, "document.download", document) == 4  # nothing handed out: nothing recorded


async def test_a_range_decrypts_only_its_chunks(api: Api) -> None:
    data = pdf_bytes(20 * DEFAULT_CHUNK_SIZE)
    c = DEFAULT_CHUNK_SIZE
    client, document = await uploaded(api, data)
    store = blobs_of(api.hub.runtime)
    blob = bytearray(await read_blob(store, document.blob_name))
    blob[header_size(document.id) + 10 * SEALED + 3] ^= 0x01  # damage chunk 10
    await write_blob(store, document.blob_name, bytes(blob))
    ok = await client.get(url(document), headers={"Range": f"bytes={2 * c}-{3 * c + 5}"})
    assert ok.status_code == 206 and ok.content == data[2 * c : 3 * c + 6]
    bad = await client.get(url(document), headers={"Range": f"bytes={10 * c + 5}-{10 * c + 9}"})
    assert bad.status_code == 500 and bad.headers["content-type"] == "application/problem+json"


def test_the_openapi_document_describes_range_206_and_416() -> None:
    doc: dict[str, Any] = openapi_document(
        operations(), base_url="https://hub.example", contact_email="security@hub.example"
    )
    op = doc["paths"]["/documents/{documentId}/content"]["get"]
    assert "Range" in {p["name"] for p in op["parameters"] if p["in"] == "header"}
    assert "Content-Range" in op["responses"]["206"]["headers"]
    assert "Content-Range" in op["responses"]["416"]["headers"]
    assert "application/problem+json" in op["responses"]["416"]["content"]


async def test_a_blob_damaged_half_way_breaks_the_download_off(api_sqlite: Api) -> None:
    """Against uvicorn, as an integration would fetch it: Content-Length first, then the body; the damaged chunk
    resets the connection and the client raises instead of taking a shorter body for the whole."""
    data = pdf_bytes(3 * BATCH_SIZE)
    client, document = await uploaded(api_sqlite, data)
    store = blobs_of(api_sqlite.hub.runtime)
    blob = bytearray(await read_blob(store, document.blob_name))
    blob[len(blob) // 2] ^= 0x01
    await write_blob(store, document.blob_name, bytes(blob))
    with serve_in_thread(api_sqlite.hub.settings) as base:
        async with httpx.AsyncClient(base_url=base, headers=dict(client.headers)) as real:
            head = await real.head(url(document))  # a real server sends the length and no body
            assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
            assert head.content == b""
            received = bytearray()
            with pytest.raises(httpx.RemoteProtocolError):
                async with real.stream("GET", url(document)) as response:
                    assert response.status_code == 200
                    assert response.headers["content-length"] == str(len(data))
                    async for piece in response.aiter_raw():
                        received += piece
    assert 0 < len(received) < len(data) and data.startswith(bytes(received))
