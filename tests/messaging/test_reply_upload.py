"""A file uploaded with a reply: through the vault's streaming, scanned, encrypted path, into the thread's case, and
committed together with the message or not at all. Scanned by a real clamd, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.requests import Request

from crypto import decrypt_text
from hub.audit.models import AuditEvent
from hub.documents.models import Document
from hub.fields import DOCUMENT_FILENAME
from hub.messaging.models import Clock, Message, MessageAttachment, Thread
from hub.messaging.threads import NO_UPLOAD_WITHOUT_CASE
from hub.notifications.models import OutboxMail
from tests.messaging.conftest import UPLOAD_MB
from tests.messaging.world import World
from tests.support.clamd import eicar
from tests.support.hubclient import HubClient

BOUNDARY = "----hubreplyboundary5d2c9e"
NOT_ALLOWED = "Alleen PDF, JPEG, PNG, TIFF, DOCX en ODT zijn toegestaan."


@pytest.fixture(autouse=True)
def never_spool_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    """request.form() spools uploaded files to disk in plain text: a multipart reply must never go through it."""

    def refuse(self: Request, *args: Any, **kwargs: Any) -> Any:
        if self.headers.get("content-type", "").startswith("multipart/"):
            raise AssertionError("request.form() used on a multipart body")
        return original(self, *args, **kwargs)

    original = Request.form
    monkeypatch.setattr(Request, "form", refuse)


def minimal_pdf() -> bytes:
    """A small but complete PDF: catalog, page tree, one empty A4 page, cross-reference table and trailer."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def executable() -> bytes:
    """The start of a Windows executable (MZ header, PE signature), padded."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 44 + b"PE\0\0" + os.urandom(4000)


def reply_fields(client: HubClient, body: str, **extra: str) -> list[tuple[str, str]]:
    """The reply form's fields in the order a browser sends them: csrf_token first."""
    fields = {"body": body, "kind": "bericht", "agreed_date": "", "doc_type": "overig", "document_date": "2026-03-02"}
    fields.update(extra)
    return [("csrf_token", client.csrf_token), *fields.items()]


def multipart(fields: list[tuple[str, str]], file: tuple[str, bytes] | None) -> tuple[bytes, bytes, bytes]:
    """(everything before the file's content, the content, the rest). ``file`` None: no file part at all."""
    head = bytearray()
    for name, value in fields:
        head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    if file is None:
        return bytes(head), b"", f"--{BOUNDARY}--\r\n".encode()
    filename, content = file
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return bytes(head), content, f"\r\n--{BOUNDARY}--\r\n".encode()


async def post_reply(
    client: HubClient,
    thread_id: str,
    fields: list[tuple[str, str]],
    file: tuple[str, bytes] | None,
    *,
    streamed: bool = False,
) -> httpx.Response:
    """POST the reply form as multipart: in one piece (with a Content-Length) or streamed in pieces (chunked)."""
    head, content, tail = multipart(fields, file)
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    url = f"/berichten/{thread_id}/reageren"
    if not streamed:
        return await client.post(url, content=head + content + tail, headers=headers)

    async def pieces() -> AsyncIterator[bytes]:
        yield head
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]
        yield tail

    return await client.post(url, content=pieces(), headers=headers)


async def count(world: World, model: Any, *where: Any) -> int:
    async with world.hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def assert_nothing_kept(world: World, thread: Thread) -> None:
    """Only the opening question: no second message, no document row, no blob, no upload record."""
    assert await count(world, Message, Message.thread_id == thread.id) == 1
    assert await count(world, Document) == 0
    assert await count(world, MessageAttachment) == 0
    assert await count(world, AuditEvent, AuditEvent.action == "document.upload") == 0
    assert sorted(p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()) == []
    clocks = await count(world, Clock, Clock.thread_id == thread.id)
    assert clocks == 1


async def _ask(world: World, **kwargs: Any) -> Thread:
    where = kwargs or {"case": world.case}
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Stukken", body="Vraag", **where)
    return thread


@pytest.mark.clamd
async def test_reply_with_a_pdf(world_clamd: World) -> None:
    world = world_clamd
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    assert 'enctype="multipart/form-data"' in page.text
    assert '<label for="document_file">Bestand</label>' in page.text
    form = page.text[page.text.index('action="/berichten/') :]
    assert form.index('name="csrf_token"') < form.index('name="body"') < form.index('name="file"')

    pdf = minimal_pdf()
    fields = reply_fields(karim, "Hierbij de beschikking.\nMet groet.", kind="inhoudelijke_reactie")
    response = await post_reply(karim, thread.id, fields, ("beschikking-jansen.pdf", pdf))
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/berichten/{thread.id}?gelukt=verstuurd#bericht-")
    message_id = response.headers["location"].rsplit("#bericht-", 1)[1]

    async with world.hub.db() as db:
        [document] = list((await db.execute(select(Document))).scalars())
        [link] = list((await db.execute(select(MessageAttachment))).scalars())
    assert (link.message_id, link.document_id) == (message_id, document.id)
    assert document.case_id == world.case.id  # the thread's case
    assert (document.gemeente_id, document.kantoor_id) == (world.gemeente.id, world.kantoor.id)
    assert document.doc_type == "overig" and str(document.document_date) == "2026-03-02"
    assert document.content_type == "application/pdf" and document.size == len(pdf)
    keyring = world.keyring
    assert (
        decrypt_text(keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
        == "beschikking-jansen.pdf"
    )
    assert b"jansen" not in document.filename
    [blob] = [p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()]
    assert pdf not in blob.read_bytes()  # ciphertext only

    # The answer stopped the clock, as without a file.
    [clock] = await world.call("clocks", world.klantmanager, thread.id)
    assert clock.stop_kind == "reactie" and clock.in_time is True
    # Both records; and one notice for the kantoor (the message's), not a second one for the document.
    actions = {(a, o) for a, o in await audit_pairs(world)}
    assert ("document.upload", document.id) in actions and ("message.post", message_id) in actions
    async with world.hub.db() as db:
        query = select(OutboxMail.kind).where(OutboxMail.organisation_id == world.kantoor.id)
        mails = list((await db.execute(query)).scalars())
    assert mails == ["nieuw_bericht"]

    # The kantoor sees the attachment with the message and downloads it; it is also in the case's documents.
    bea = await world.hub.client_for(world.bewindvoerder)
    page = await bea.get(f"/berichten/{thread.id}")
    assert f'<a href="/documenten/{document.id}/downloaden">beschikking-jansen.pdf</a> (Overig)' in page.text
    download = await bea.get(f"/documenten/{document.id}/downloaden")
    assert download.status_code == 200 and download.content == pdf
    assert "beschikking-jansen.pdf" in (await bea.get(f"/dossiers/{world.case.id}")).text

    # Another organisation: the download does not exist for it, nor does the thread.
    for outsider in (world.outsider, world.outsider_gemeente):
        client = await world.hub.client_for(outsider)
        response = await client.get(f"/documenten/{document.id}/downloaden")
        assert response.status_code == 404
        assert pdf not in response.content
        assert (await client.get(f"/berichten/{thread.id}")).status_code == 404


async def audit_pairs(world: World) -> list[tuple[str, str]]:
    async with world.hub.db() as db:
        rows = await db.execute(select(AuditEvent.action, AuditEvent.object_id).order_by(AuditEvent.seq))
        return [(a, o) for a, o in rows.all()]


@pytest.mark.clamd
async def test_a_refused_file_leaves_no_message_no_document_and_no_blob(world_clamd: World) -> None:
    world = world_clamd
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    body = "Zie de bijlage <b>graag</b>."
    refusals: list[tuple[tuple[str, bytes], bool, int, str]] = [
        (("eicar.pdf", eicar()), False, 400, "Dit bestand is geweigerd: het bevat een virus (Test.EICAR"),
        # The test string inside a PDF that passes every type check, streamed in pieces.
        (("nota.pdf", minimal_pdf() + os.urandom(100_000) + eicar()), True, 400, "het bevat een virus"),
        (("factuur.pdf", executable()), False, 400, NOT_ALLOWED),
        (("setup.exe", executable()), True, 400, NOT_ALLOWED),
        (("leeg.pdf", b""), False, 400, "Het bestand is leeg."),
        # Too large: streamed, refused once the file passes the limit; with a Content-Length beyond what the form
        # may hold, before a byte is read.
        (("groot.pdf", minimal_pdf() + os.urandom(UPLOAD_MB * 1024 * 1024)), True, 413, "groter dan 1 MB"),
        (("groot.pdf", minimal_pdf() + os.urandom(UPLOAD_MB * 1024 * 1024)), False, 413, "groter dan 1 MB"),
        (("groot.pdf", minimal_pdf() + os.urandom(2 * UPLOAD_MB * 1024 * 1024)), False, 413, "groter dan 1 MB"),
    ]
    for file, streamed, status, message in refusals:
        audited = await audit_pairs(world)
        response = await post_reply(karim, thread.id, reply_fields(karim, body), file, streamed=streamed)
        assert response.status_code == status, (file[0], response.text[:2000])
        assert message in response.text, file[0]
        if not streamed and len(file[1]) > 2 * UPLOAD_MB * 1024 * 1024:  # its Content-Length is over the limit
            # Refused before a byte was read, the CSRF token too: a plain page that shows (and audits) no thread.
            assert "Bestand te groot" in response.text and "<h1>Stukken</h1>" not in response.text
            assert await audit_pairs(world) == audited
        else:
            # The thread page again, with the reason at the file field.
            assert "<h1>Stukken</h1>" in response.text
            assert 'id="document_file-error"' in response.text
        if status == 400:  # the form's text comes back (not when the body was refused before it was read)
            assert "Zie de bijlage &lt;b&gt;graag&lt;/b&gt;.</textarea>" in response.text
        await assert_nothing_kept(world, thread)
    # The same reply with a clean file goes through on the same scanner.
    response = await post_reply(karim, thread.id, reply_fields(karim, body), ("schoon.pdf", minimal_pdf()))
    assert response.status_code == 303


@pytest.mark.clamd
async def test_form_mistakes_are_found_before_the_file_is_stored(world_clamd: World) -> None:
    world = world_clamd
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    pdf = minimal_pdf()
    cases = [
        (reply_fields(karim, ""), "Schrijf een bericht."),
        (reply_fields(karim, "Tekst", doc_type=""), "Kies het soort document."),
        (reply_fields(karim, "Tekst", document_date="31-2-2026"), "Vul de datum van het document in"),
        (reply_fields(karim, "Tekst", kind="procesafspraak", agreed_date=""), "Vul de datum in waarop het antwoord"),
    ]
    for fields, message in cases:
        response = await post_reply(karim, thread.id, fields, ("a.pdf", pdf))
        assert response.status_code == 400
        assert message in response.text
        assert "Het bestand is niet opgeslagen. Kies het opnieuw" in response.text
        await assert_nothing_kept(world, thread)
    # A form without a csrf_token first is refused before anything is read.
    fields = [f for f in reply_fields(karim, "Tekst") if f[0] != "csrf_token"]
    response = await post_reply(karim, thread.id, [*fields, ("csrf_token", karim.csrf_token)], ("a.pdf", pdf))
    assert response.status_code == 403
    await assert_nothing_kept(world, thread)
    # Multipart is let through on the reply path only: the thread's other forms stay URL-encoded.
    head, content, tail = multipart(reply_fields(karim, "Tekst"), ("a.pdf", pdf))
    response = await karim.post(
        f"/berichten/{thread.id}/toewijzen",
        content=head + content + tail,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 403
    # Another organisation: 404, whatever the body holds.
    otto = await world.hub.client_for(world.outsider)
    response = await post_reply(otto, thread.id, reply_fields(otto, "Hallo"), ("a.pdf", pdf))
    assert response.status_code == 404
    await assert_nothing_kept(world, thread)


async def test_multipart_reply_without_a_file(world: World) -> None:
    """What a browser sends when no file is chosen: an empty, nameless file part (or none at all)."""
    thread = await _ask(world)
    karim = await world.hub.client_for(world.klantmanager)
    fields = reply_fields(karim, "Regel 1\nRegel 2", kind="geen_reactie_nodig", doc_type="", document_date="")
    response = await post_reply(karim, thread.id, fields, ("", b""))
    assert response.status_code == 303, response.text
    response = await post_reply(karim, thread.id, reply_fields(karim, "Nog iets"), None)
    assert response.status_code == 303, response.text
    messages = await world.call("messages", world.klantmanager, thread.id)
    assert [body for _, body in messages] == ["Vraag", "Regel 1\nRegel 2", "Nog iets"]
    assert await count(world, Document) == 0
    # A long message fits (the documents form's small field limit does not apply to the message).
    long_body = "é" * 19_000
    response = await post_reply(karim, thread.id, reply_fields(karim, long_body), ("", b""))
    assert response.status_code == 303


async def test_no_file_on_a_general_question(world: World) -> None:
    """A document always belongs to a case (document.case_id is required): a general question takes no file."""
    thread = await _ask(world, convenant=world.convenant)
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    assert 'name="file"' not in page.text
    assert "Bij een algemene vraag kunt u geen bestand meesturen" in page.text
    response = await post_reply(karim, thread.id, reply_fields(karim, "Zie bijlage"), ("a.pdf", minimal_pdf()))
    assert response.status_code == 400
    assert NO_UPLOAD_WITHOUT_CASE in response.text
    assert await count(world, Message, Message.thread_id == thread.id) == 1
    assert await count(world, Document) == 0
    assert [p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()] == []
