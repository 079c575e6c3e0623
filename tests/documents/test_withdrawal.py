"""Withdrawing a document, on SQLite and PostgreSQL: by the uploader's organisation with a reason, listed as
Ingetrokken, no longer downloadable (410) or attachable, the blob kept; another organisation gets 404."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crypto import decrypt_text
from hub.accounts.roles import Role
from hub.documents.models import Document
from hub.documents.withdrawal import DocumentWithdrawal
from hub.errors import NotFound, ValidationError
from hub.fields import DOCUMENT_WITHDRAWAL_REASON
from hub.messaging.threads import ThreadService
from tests.documents.conftest import Vault, pdf_bytes


async def withdraw(vault: Vault, user: Any, document: Document, reason: str) -> Document:
    async with vault.hub.db() as db:
        return await DocumentWithdrawal(db, vault.hub.runtime.keyring).withdraw(user, document.id, reason)


async def stored(vault: Vault, document: Document) -> Document:
    async with vault.hub.db() as db:
        fresh = await db.get(Document, document.id)
    assert fresh is not None
    return fresh


async def test_the_uploaders_organisation_withdraws_with_a_reason(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "beschikking-verkeerd.pdf", pdf_bytes(5000))
    colleague = await vault.hub.user(vault.kantoor, Role.KANTOORBEHEERDER, name="Collega Brug")
    await withdraw(vault, colleague, document, "  Verkeerd dossier: hoort bij een andere cliënt. ")
    fresh = await stored(vault, document)
    assert fresh.withdrawn_at is not None and fresh.withdrawn_by == colleague.id
    assert fresh.withdrawal_reason is not None and b"Verkeerd" not in fresh.withdrawal_reason
    reason = decrypt_text(
        vault.hub.runtime.keyring, fresh.withdrawal_reason, context=DOCUMENT_WITHDRAWAL_REASON.context(document.id)
    )
    assert reason == "Verkeerd dossier: hoort bij een andere cliënt."
    assert await vault.store.exists(document.blob_name)  # kept for the retention step
    assert ("document.withdraw", document.id) in await vault.audit_actions()
    with pytest.raises(ValidationError) as caught:
        await withdraw(vault, vault.bewindvoerder, document, "Nog eens")
    assert caught.value.errors == {"reason": "Dit document is al ingetrokken."}


async def test_the_other_party_and_outsiders_cannot_withdraw(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "nota.pdf", pdf_bytes(5000))
    for user in (vault.klantmanager, vault.outsider_kantoor, vault.outsider_gemeente):
        with pytest.raises(NotFound):
            await withdraw(vault, user, document, "Weg ermee")
    for bad, words in (("", "Vul de reden in"), ("x" * 1001, "te lang"), ("a\x00b", "teken")):
        with pytest.raises(ValidationError) as caught:
            await withdraw(vault, vault.bewindvoerder, document, bad)
        assert words in caught.value.errors["reason"]
    assert (await stored(vault, document)).withdrawn_at is None
    assert not any(a == "document.withdraw" for a, _ in await vault.audit_actions())


async def test_a_withdrawn_document_is_listed_not_downloadable_not_attachable(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "cak-nota-2025.pdf", pdf_bytes(5000))
    keep = await vault.upload_ok(bea, "plan.pdf", pdf_bytes(5000))
    karim = await vault.hub.client_for(vault.klantmanager)
    case_page = await karim.get(f"/dossiers/{vault.case.id}")
    assert f'href="/documenten/{document.id}/intrekken"' not in case_page.text  # the gemeente did not upload it
    assert (await karim.get(f"/documenten/{document.id}/intrekken")).status_code == 404
    assert (await karim.post_form(f"/documenten/{document.id}/intrekken", {"reason": "x"})).status_code == 404
    # A thread on the case, with the document attached to its first message.
    async with vault.hub.db() as db:
        threads = ThreadService(db, vault.hub.runtime.keyring)
        thread = await threads.start_thread(vault.bewindvoerder, subject="Stukken", body="Vraag", case=vault.case)
        await threads.post_message(vault.bewindvoerder, thread, "Zie bijlage", attachment_ids=[document.id])

    page = await bea.get(f"/dossiers/{vault.case.id}")
    assert f'href="/documenten/{document.id}/intrekken"' in page.text
    form = await bea.get(f"/documenten/{document.id}/intrekken")
    assert form.status_code == 200 and "cak-nota-2025.pdf" in form.text and "Reden van intrekken" in form.text
    empty = await bea.post_form(f"/documenten/{document.id}/intrekken", {"reason": " "})
    assert empty.status_code == 400 and "Vul de reden in waarom u het document intrekt." in empty.text
    done = await bea.post_form(f"/documenten/{document.id}/intrekken", {"reason": "Verkeerde versie"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/dossiers/{vault.case.id}?gelukt=document-ingetrokken#documents-title"

    for client in (bea, karim):
        listed = await client.get(f"/dossiers/{vault.case.id}")
        documents = listed.text.split('id="documents-title"', 1)[1]  # the Verloop names documents too
        row = documents.split("cak-nota-2025.pdf", 1)[1].split("</tr>", 1)[0]
        assert "Ingetrokken" in row and "Verkeerde versie" in row
        assert f'href="/documenten/{document.id}/downloaden"' not in listed.text
        assert f'href="/documenten/{keep.id}/downloaden"' in listed.text
        gone = await client.get(f"/documenten/{document.id}/downloaden")
        assert gone.status_code == 410 and "Dit document is ingetrokken" in gone.text
        assert "%PDF" not in gone.text
        # The thread still names it, without a link; the reply form no longer offers it.
        shown = await client.get(f"/berichten/{thread.id}")
        assert "cak-nota-2025.pdf" in shown.text and f"/documenten/{document.id}/downloaden" not in shown.text
        assert f'value="{document.id}"' not in shown.text and f'value="{keep.id}"' in shown.text
    # A crafted reply that attaches it anyway is refused, and nothing is posted.
    reply = await karim.post_form(
        f"/berichten/{thread.id}/reageren",
        {"body": "Dank", "kind": "inhoudelijke_reactie", "attachments": document.id, "form_token": "t1"},
    )
    assert reply.status_code == 400 and "Een ingetrokken document kunt u niet meer bijvoegen." in reply.text
    async with vault.hub.db() as db:
        from hub.messaging.models import Message

        assert len(list((await db.execute(select(Message).where(Message.thread_id == thread.id))).scalars())) == 2
    # Another organisation never learns it exists.
    otto = await vault.hub.client_for(vault.outsider_kantoor)
    assert (await otto.get(f"/documenten/{document.id}/downloaden")).status_code == 404
    assert (await otto.get(f"/documenten/{document.id}/intrekken")).status_code == 404
