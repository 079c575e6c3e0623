"""The first question on a case carries files: they stream into the case's vault (scanned by a real clamd, encrypted)
and are attached to the first message, committed with the thread or not at all. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.documents.models import Document
from hub.messaging.models import Message, MessageAttachment, Thread
from tests.messaging.world import World
from tests.support.clamd import eicar
from tests.support.hubclient import HubClient

BOUNDARY = "----hubquestionboundary81f3"
Row = tuple[str, str, str, bytes]  # doc_type, document_date, file name, content


def pdf(size: int = 50_000) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size) + b"\n%%EOF\n"


def question_body(client: HubClient, fields: dict[str, str], rows: list[Row]) -> bytes:
    """As a browser sends the form: csrf_token, the question's fields, then each row's type, date and file."""
    parts: list[tuple[str, str]] = [("csrf_token", client.csrf_token), ("form_token", os.urandom(8).hex())]
    parts += list(fields.items())
    body = bytearray()
    for name, value in parts:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for doc_type, day, filename, content in rows:
        for name, value in (("doc_type", doc_type), ("document_date", day)):
            body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        body += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return bytes(body + f"--{BOUNDARY}--\r\n".encode())


async def ask(client: HubClient, fields: dict[str, str], rows: list[Row]) -> httpx.Response:
    return await client.post(
        "/berichten/nieuw",
        content=question_body(client, fields, rows),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def on_case(world: World, **extra: str) -> dict[str, str]:
    fields = {"case_id": world.case.id, "subject": "Nota's van mei", "body": "Zie de bijgevoegde nota's."}
    return {**fields, **extra}


async def stored(world: World) -> tuple[list[Any], list[Any], list[Any]]:
    async with world.hub.db() as db:
        threads = list((await db.execute(select(Thread))).scalars())
        documents = list((await db.execute(select(Document))).scalars())
        attached = list((await db.execute(select(MessageAttachment))).scalars())
    return threads, documents, attached


def blobs(world: World) -> list[Any]:
    return [p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()]


@pytest.mark.clamd
async def test_a_question_on_a_case_with_two_files_attaches_both(world_clamd: World) -> None:
    world = world_clamd
    bea = await world.hub.client_for(world.bewindvoerder)
    rows = [
        ("cak_nota", "2026-05-02", "cak-nota.pdf", pdf()),
        ("", "", "", b""),
        ("overig", "2026-05-03", "b.pdf", pdf()),
    ]
    response = await ask(bea, on_case(world), rows)
    assert response.status_code == 303, response.text
    threads, documents, attached = await stored(world)
    assert len(threads) == 1 and response.headers["location"].startswith(f"/berichten/{threads[0].id}?gelukt=gestart")
    assert sorted(d.doc_type for d in documents) == ["cak_nota", "overig"]
    assert all(d.case_id == world.case.id for d in documents)
    async with world.hub.db() as db:
        first = (await db.execute(select(Message).where(Message.thread_id == threads[0].id))).scalar_one()
    assert sorted(a.document_id for a in attached if a.message_id == first.id) == sorted(d.id for d in documents)
    page = await bea.get(response.headers["location"])
    assert "cak-nota.pdf" in page.text


@pytest.mark.clamd
async def test_an_infected_file_keeps_neither_the_question_nor_any_file(world_clamd: World) -> None:
    world = world_clamd
    bea = await world.hub.client_for(world.bewindvoerder)
    infected = b"%PDF-1.7\n" + os.urandom(1000) + eicar() + os.urandom(1000)
    rows = [("overig", "2026-05-02", "schoon.pdf", pdf()), ("overig", "2026-05-02", "nota.pdf", infected)]
    response = await ask(bea, on_case(world), rows)
    assert response.status_code == 400
    assert "Bestand 2 (nota.pdf): Dit bestand is geweigerd: het bevat een virus" in response.text
    assert "Nota&#39;s van mei" in response.text  # what the user typed is kept
    assert await stored(world) == ([], [], [])
    assert blobs(world) == []


async def test_a_question_without_a_subject_keeps_no_file(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    response = await ask(bea, on_case(world, subject=""), [("overig", "2026-05-02", "a.pdf", pdf())])
    assert response.status_code == 400
    assert "Vul een onderwerp in." in response.text
    assert "De bestanden zijn niet opgeslagen. Kies ze opnieuw als u ze wilt meesturen." in response.text
    assert await stored(world) == ([], [], [])
    assert blobs(world) == []


async def test_an_algemene_vraag_cannot_carry_files(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    fields = {"soort": "algemeen", "convenant_id": world.convenant.id, "subject": "Tarieven", "body": "Vraag."}
    response = await ask(bea, fields, [("overig", "2026-05-02", "a.pdf", pdf())])
    assert response.status_code == 400
    assert "Bij een algemene vraag kunt u geen bestanden meesturen" in response.text
    assert await stored(world) == ([], [], [])
    # Without a file it is sent as before, multipart or not.
    response = await ask(bea, fields, [("", "", "", b"")])
    assert response.status_code == 303, response.text


async def test_another_organisations_case_is_404_and_stores_nothing(world: World) -> None:
    otto = await world.hub.client_for(world.outsider)
    response = await ask(otto, on_case(world), [("overig", "2026-05-02", "a.pdf", pdf())])
    assert response.status_code == 404
    assert await stored(world) == ([], [], [])
    assert blobs(world) == []


async def test_the_form_offers_file_rows_on_a_case(world_sqlite: World) -> None:
    bea = await world_sqlite.hub.client_for(world_sqlite.bewindvoerder)
    page = (await bea.get(f"/berichten/nieuw?dossier={world_sqlite.case.id}")).text
    assert 'enctype="multipart/form-data"' in page
    assert page.count('name="file" type="file"') == 3
    assert "<legend>Bestand 1 (niet verplicht)</legend>" in page
    # The question's fields come before the files: the streaming parser reads them first.
    assert page.index('name="body"') < page.index('name="doc_type"') < page.index('name="file"')
