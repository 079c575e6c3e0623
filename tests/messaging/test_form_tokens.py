"""Posting is idempotent: each message form carries a one-time token, and a retried submission of the same form
(its answer was lost, the user pressed again, the browser resent it) finds the first message and shows it instead
of posting it twice, for a reply, a reply with a file and a new question."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.documents.models import Document
from hub.documents.services import DocumentService
from hub.messaging.form_tokens import new_form_token
from hub.messaging.models import Message, MessageAttachment, Thread
from hub.messaging.threads import ThreadService
from tests.messaging.test_reply_upload import minimal_pdf, post_reply, reply_fields
from tests.messaging.world import World, build_world
from tests.support.cutting_proxy import CuttingProxy
from tests.support.hubclient import HubUnderTest

TOKEN_FIELD = re.compile(r'name="form_token" value="([A-Za-z0-9_-]+)"')


async def count(world: World, model: type, *where: object) -> int:
    async with world.hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one())  # type: ignore[arg-type]


async def test_the_same_form_posts_one_reply(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    karim = await world.hub.client_for(world.klantmanager)
    page = await karim.get(f"/berichten/{thread.id}")
    (token,) = TOKEN_FIELD.findall(page.text)
    form = {"body": "Het antwoord.", "kind": "inhoudelijke_reactie", "form_token": token}
    first = await karim.post_form(f"/berichten/{thread.id}/reageren", form)
    again = await karim.post_form(f"/berichten/{thread.id}/reageren", form)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]  # shows the first one
    assert await count(world, Message, Message.thread_id == thread.id) == 2  # the question and one answer
    # A new page, a new token: a second answer of the same text is a second message.
    (fresh,) = TOKEN_FIELD.findall((await karim.get(f"/berichten/{thread.id}")).text)
    assert fresh != token
    await karim.post_form(f"/berichten/{thread.id}/reageren", {**form, "form_token": fresh, "kind": "bericht"})
    assert await count(world, Message, Message.thread_id == thread.id) == 3


async def test_the_same_form_with_a_file_posts_one_reply_and_stores_one_document(world: World) -> None:
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    karim = await world.hub.client_for(world.klantmanager)
    fields = reply_fields(karim, "Zie het besluit.", form_token=new_form_token())
    first = await post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf()))
    again = await post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf()))
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count(world, Message, Message.thread_id == thread.id) == 2
    assert await count(world, Document) == 1
    assert len([p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()]) == 1


async def _documents_without_a_message(world: World) -> int:
    """Documents of the world's case that no message carries: a reply's file left behind."""
    referenced = select(MessageAttachment.document_id)
    return await count(world, Document, Document.id.not_in(referenced))  # type: ignore[attr-defined]


async def test_the_same_form_with_a_file_sent_twice_at_once_keeps_one_document(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click on a reply with a file: both requests pass the check for an earlier message before either
    posts, both stream the file into the vault. One message is posted; the other upload's document, its row and its
    blob are not kept, and both answers show the one message."""
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    karim = await world.hub.client_for(world.klantmanager)
    both_checked = asyncio.Barrier(2)
    store = DocumentService.store

    async def store_once_both_are_checked(self: DocumentService, *args: Any, **kwargs: Any) -> Any:
        await both_checked.wait()  # each request has found no earlier message and committed its check
        return await store(self, *args, **kwargs)

    monkeypatch.setattr(DocumentService, "store", store_once_both_are_checked)
    fields = reply_fields(karim, "Zie het besluit.", form_token=new_form_token())
    first, second = await asyncio.gather(
        post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf())),
        post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf())),
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count(world, Message, Message.thread_id == thread.id) == 2  # the question and one reply
    assert await count(world, Document) == 1
    assert await _documents_without_a_message(world) == 0
    assert len([p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()]) == 1


async def test_a_replayed_form_with_a_file_leaves_no_document_behind(world: World) -> None:
    """The same form sent again after the first was stored: the replay stores nothing (no row, no blob)."""
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    karim = await world.hub.client_for(world.klantmanager)
    fields = reply_fields(karim, "Zie het besluit.", form_token=new_form_token())
    for _ in range(3):
        response = await post_reply(karim, thread.id, fields, ("besluit.pdf", minimal_pdf()))
        assert response.status_code == 303
    assert await count(world, Document) == 1
    assert await _documents_without_a_message(world) == 0
    assert len([p for p in world.hub.settings.blob_dir.rglob("*") if p.is_file()]) == 1


async def test_the_same_new_question_form_opens_one_thread(world: World) -> None:
    bea = await world.hub.client_for(world.bewindvoerder)
    (token,) = TOKEN_FIELD.findall((await bea.get(f"/berichten/nieuw?dossier={world.case.id}")).text)
    form = {"case_id": world.case.id, "soort": "casuistiek", "subject": "Stukken", "body": "Vraag", "form_token": token}
    first = await bea.post_form("/berichten/nieuw", form)
    again = await bea.post_form("/berichten/nieuw", form)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await count(world, Thread) == 1


async def test_a_token_is_bound_to_its_author(world: World) -> None:
    """Someone else's token (copied from their page) neither finds nor blocks their message."""
    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    token = new_form_token()
    await world.call("post_message", world.klantmanager, thread.id, "Eerste.", form_token=token)
    await world.call("post_message", world.collega, thread.id, "Tweede.", form_token=token)
    assert await count(world, Message, Message.thread_id == thread.id) == 3


@pytest.fixture
async def proxied_world(proxied_hub: tuple[HubUnderTest, CuttingProxy]) -> tuple[World, CuttingProxy]:
    hub, proxy = proxied_hub
    return await build_world(hub), proxy


@pytest.mark.postgres
async def test_a_reply_whose_commit_answer_was_lost_is_not_posted_twice_when_retried(
    proxied_world: tuple[World, CuttingProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, proxy = proxied_world
    post_message = ThreadService.post_message

    async def post_then_lose_the_commit_answer(self: ThreadService, *args: Any, **kwargs: Any) -> Any:
        message = await post_message(self, *args, **kwargs)
        proxy.armed = proxy.cuts == 0  # the next COMMIT is this reply's (only the first time)
        return message

    thread: Thread = await world.call("start_thread", world.bewindvoerder, subject="Vraag", body="?", case=world.case)
    karim = await world.hub.client_for(world.klantmanager)
    (token,) = TOKEN_FIELD.findall((await karim.get(f"/berichten/{thread.id}")).text)
    form = {"body": "Het antwoord.", "kind": "inhoudelijke_reactie", "form_token": token}
    monkeypatch.setattr(ThreadService, "post_message", post_then_lose_the_commit_answer)
    lost = await karim.post_form(f"/berichten/{thread.id}/reageren", form)
    assert proxy.cuts == 1 and lost.status_code == 500
    assert "Misschien" in lost.text and "niets opgeslagen" not in lost.text
    assert await count(world, Message, Message.thread_id == thread.id) == 2  # it was committed after all
    retried = await karim.post_form(f"/berichten/{thread.id}/reageren", form)
    assert retried.status_code == 303
    assert await count(world, Message, Message.thread_id == thread.id) == 2  # not posted twice: shown instead


async def test_the_same_new_question_sent_twice_at_once_opens_one_thread(world: World) -> None:
    """A double click: both requests arrive together. One stores the question, the other shows it (never a 500)."""
    bea = await world.hub.client_for(world.bewindvoerder)
    (token,) = TOKEN_FIELD.findall((await bea.get(f"/berichten/nieuw?dossier={world.case.id}")).text)
    form = {"case_id": world.case.id, "soort": "casuistiek", "subject": "Stukken", "body": "Vraag", "form_token": token}
    first, second = await asyncio.gather(
        bea.post_form("/berichten/nieuw", form), bea.post_form("/berichten/nieuw", form)
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await count(world, Thread) == 1
