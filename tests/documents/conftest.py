"""Fixtures for the document vault tests: a small world (two conventants, their users, a case each), helpers that
post the streaming multipart form exactly as a browser does (csrf_token first), and a raw ASGI driver for uploads
that a test client cannot make (a body cut off half-way, a 64 MiB body generated on the fly)."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.services import CaseService
from hub.documents.blobstore import BlobStore
from hub.documents.components import blobs_of, scanner_of
from hub.documents.models import Document
from hub.documents.services import DocumentService
from tests.support.blobs import read_blob, stored, write_blob
from tests.support.clamd import clamd  # noqa: F401  (the session fixture)
from tests.support.hubclient import HubClient, HubUnderTest, running_hub

BOUNDARY = "----hubtestboundary7MA4YWxkTrZu0gW"


# -- sample files ----------------------------------------------------------------------------------------------


def pdf_bytes(size: int = 200_000, *, seed: bytes | None = None) -> bytes:
    """A file the sniffer takes for a PDF: the magic, random (incompressible) content, an end marker."""
    body = os.urandom(size) if seed is None else (seed * (size // len(seed) + 1))[:size]
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + b"\n%%EOF\n"


def png_bytes(size: int = 5000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size)


def docx_bytes(extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document>Hallo</w:document>')
        for name, data in extra:
            zf.writestr(name, data)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        zf.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>')
    return buffer.getvalue()


def zip_bomb_docx(mib: int = 50) -> bytes:
    """A .docx that is valid on the outside and holds ``mib`` MiB of zeros (ratio about 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w") as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(mib):
                entry.write(block)
    return buffer.getvalue()


def executable_bytes() -> bytes:
    """The start of a Windows executable (MZ header, PE signature), padded."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 44 + b"PE\0\0" + os.urandom(4000)


# -- multipart as a browser sends it ---------------------------------------------------------------------------


def multipart_parts(
    fields: list[tuple[str, str]], file: tuple[str, str, bytes] | None, *, boundary: str = BOUNDARY
) -> tuple[bytes, bytes, bytes]:
    """(everything before the file's content, the content, everything after it)."""
    head = bytearray()
    for name, value in fields:
        head += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    content = b""
    if file is not None:
        field_name, filename, content = file
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
    else:
        tail = f"--{boundary}--\r\n".encode()
    return bytes(head), content, tail


def upload_fields(csrf: str | None, doc_type: str = "benoemingsbeschikking", day: str = "2026-01-15") -> list[Any]:
    fields = [] if csrf is None else [("csrf_token", csrf)]
    return [*fields, ("doc_type", doc_type), ("document_date", day)]


def upload_url(case_id: str) -> str:
    return f"/dossiers/{case_id}/documenten"


async def post_upload(
    client: HubClient,
    case_id: str,
    filename: str,
    content: bytes,
    *,
    csrf: str | None = "",
    fields: list[tuple[str, str]] | None = None,
    piece: int = 64 * 1024,
    content_length: bool = False,
) -> httpx.Response:
    """POST the upload form, streamed in pieces (chunked unless ``content_length``); csrf_token first."""
    token = client.csrf_token if csrf == "" else csrf
    head, body, tail = multipart_parts(
        fields if fields is not None else upload_fields(token), ("file", filename, content)
    )

    async def stream() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(body), piece):
            yield body[start : start + piece]
        yield tail

    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if content_length:
        headers["content-length"] = str(len(head) + len(body) + len(tail))
    return await client.post(upload_url(case_id), content=stream(), headers=headers)


# -- raw ASGI ----------------------------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


async def asgi_post(
    hub: HubUnderTest,
    client: HubClient,
    path: str,
    content_type: str,
    receive_body: Callable[[], Awaitable[dict[str, Any]]],
    *,
    content_length: int | None = None,
) -> RawResponse:
    """Call the app directly with a hand-made receive(): for bodies an HTTP client cannot produce."""
    cookie = f"{hub.app.state.site.cookies.session_name}={client.cookies.get(hub.app.state.site.cookies.session_name)}"
    headers = [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie.encode()), (b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50001),
        "server": ("127.0.0.1", 8000),
    }
    response = RawResponse()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    await hub.app(scope, receive_body, send)
    return response


# -- the world ---------------------------------------------------------------------------------------------------


@dataclass
class Vault:
    hub: HubUnderTest
    gemeente: Organisation
    kantoor: Organisation
    case: Case
    other_case: Case
    bewindvoerder: User
    klantmanager: User
    outsider_kantoor: User  # a bewindvoerder of another kantoor
    outsider_gemeente: User  # a klantmanager of another gemeente
    beheerder: User  # the functioneel beheerder: sees no case content

    @property
    def blob_dir(self) -> Path:
        return self.hub.settings.blob_dir

    @property
    def store(self) -> BlobStore:
        return blobs_of(self.hub.runtime)

    async def stored(self) -> list[str]:
        """What the blob store holds: complete blobs by name, then unfinished uploads (tests.support.blobs)."""
        return await stored(self.store)

    async def read_blob(self, document: Document) -> bytes:
        return await read_blob(self.store, document.blob_name)

    async def write_blob(self, document: Document, data: bytes) -> None:
        await write_blob(self.store, document.blob_name, data)

    async def documents(self) -> list[Document]:
        async with self.hub.db() as db:
            return list((await db.execute(select(Document).order_by(Document.uploaded_at))).scalars())

    async def audit_actions(self) -> list[tuple[str, str]]:
        async with self.hub.db() as db:
            rows = await db.execute(select(AuditEvent.action, AuditEvent.object_id).order_by(AuditEvent.seq))
            return [(a, o) for a, o in rows.all()]

    async def assert_nothing_kept(self) -> None:
        assert await self.documents() == []
        # An aborted write whose last batch is still in a worker thread removes its .part file when that batch is done
        # (never under the thread): allow it that moment, no more.
        for _ in range(40):
            if not await self.stored():
                break
            await asyncio.sleep(0.05)
        assert await self.stored() == []
        assert not any(a.startswith("document.upload") for a, _ in await self.audit_actions())

    async def upload_ok(self, client: HubClient, filename: str, content: bytes, **kw: Any) -> Document:
        before = {d.id for d in await self.documents()}
        response = await post_upload(client, self.case.id, filename, content, **kw)
        assert response.status_code == 303, response.text
        # The notice key says whether the virus scanner checked the file: only a hub with clamd may claim a scan.
        key = "document-gescand" if self.hub.settings.scanning else "document"
        assert response.headers["location"] == f"/dossiers/{self.case.id}?gelukt={key}"
        new = [d for d in await self.documents() if d.id not in before]
        assert len(new) == 1
        return new[0]

    async def service(self, db: Any) -> DocumentService:
        return DocumentService(db, self.hub.runtime.keyring, blobs_of(self.hub.runtime), scanner_of(self.hub.runtime))


async def open_case_for(hub: HubUnderTest, bewindvoerder: User, convenant_id: str, name: str) -> Case:
    async with hub.db() as db:
        return await CaseService(db, hub.runtime.keyring).open_case(
            bewindvoerder,
            convenant_id=convenant_id,
            client_name=name,
            bsn="111222333",
            birth_date=date(1970, 3, 1),
            bewind_kind="schuldenbewind",
            beschikking_date=date(2025, 6, 1),
            bewind_start_date=date(2025, 6, 1),
            rechtbank="Rechtbank Gelderland",
        )


async def build_vault(hub: HubUnderTest) -> Vault:
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Nijmegen")
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewindvoering De Brug")
    other_gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Wijchen")
    other_kantoor = await hub.org(OrgKind.KANTOOR, "Ander Kantoor")
    operator_org = await hub.org(OrgKind.BEHEER, "Beheer")
    convenant = await hub.convenant(gemeente, kantoor)
    other_convenant = await hub.convenant(other_gemeente, other_kantoor)
    bewindvoerder = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bea Bewind")
    klantmanager = await hub.user(gemeente, Role.KLANTMANAGER, name="Karim Klant")
    outsider_kantoor = await hub.user(other_kantoor, Role.BEWINDVOERDER, name="Otto Ander")
    outsider_gemeente = await hub.user(other_gemeente, Role.KLANTMANAGER, name="Wim Wijchen")
    beheerder = await hub.user(operator_org, Role.FUNCTIONEEL_BEHEERDER, name="Fien Beheer")
    case = await open_case_for(hub, bewindvoerder, convenant.id, "Jan Jansen")
    other_case = await open_case_for(hub, outsider_kantoor, other_convenant.id, "Piet Pieters")
    return Vault(
        hub=hub,
        gemeente=gemeente,
        kantoor=kantoor,
        case=case,
        other_case=other_case,
        bewindvoerder=bewindvoerder,
        klantmanager=klantmanager,
        outsider_kantoor=outsider_kantoor,
        outsider_gemeente=outsider_gemeente,
        beheerder=beheerder,
    )


# Every document test runs on both blob stores: the folder in the data dir and S3 object storage (SeaweedFS).


@pytest.fixture
async def hub(database_url: str, tmp_path: Path, blob_settings: dict[str, str]) -> AsyncIterator[HubUnderTest]:
    """A running hub on SQLite and PostgreSQL, each with either blob store."""
    async with running_hub(tmp_path / "data", database_url, **blob_settings) as running:
        yield running


@pytest.fixture
async def hub_sqlite(sqlite_url: str, tmp_path: Path, blob_settings: dict[str, str]) -> AsyncIterator[HubUnderTest]:
    async with running_hub(tmp_path / "data", sqlite_url, **blob_settings) as running:
        yield running


@pytest.fixture
async def vault(hub: HubUnderTest) -> Vault:
    """The world on SQLite and on PostgreSQL in turn, with either blob store."""
    return await build_vault(hub)


@pytest.fixture
async def vault_sqlite(hub_sqlite: HubUnderTest) -> Vault:
    return await build_vault(hub_sqlite)


@pytest.fixture
async def vault_folder(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Vault]:
    """The world with the blob folder only: for what only a file system can do (fill up, permissions)."""
    async with running_hub(tmp_path / "data", sqlite_url) as running:
        yield await build_vault(running)


@pytest.fixture
def make_vault(sqlite_url: str, tmp_path: Path, blob_settings: dict[str, str]) -> Callable[..., Any]:
    """A world on a hub with extra settings (HUB_CLAMD, HUB_MAX_UPLOAD_MB, ...), on SQLite, with either blob store."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(**settings: str) -> AsyncIterator[Vault]:
        path = tmp_path / f"data-{secrets.token_hex(3)}"
        async with running_hub(path, sqlite_url, **{**blob_settings, **settings}) as hub:
            yield await build_vault(hub)

    return make
