"""When the answer to a COMMIT is lost, the hub cannot know whether the document was stored: it says so, and it
never deletes a blob whose row may have been committed. A TCP proxy between the hub and PostgreSQL passes the
COMMIT on and then cuts the connection before the answer comes back."""

from __future__ import annotations

from typing import Any

import pytest

from hub.documents.components import blobs_of
from hub.documents.services import DocumentService, cleanup_orphan_blobs
from tests.documents.conftest import Vault, build_vault, pdf_bytes, post_upload
from tests.support.cutting_proxy import CuttingProxy
from tests.support.hubclient import HubUnderTest

pytestmark = pytest.mark.postgres


@pytest.fixture
async def proxied(proxied_hub: tuple[HubUnderTest, CuttingProxy]) -> tuple[Vault, CuttingProxy]:
    hub, proxy = proxied_hub
    return await build_vault(hub), proxy


async def test_a_document_whose_commit_answer_is_lost_is_kept_and_the_user_is_told_the_truth(
    proxied: tuple[Vault, CuttingProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, proxy = proxied
    keep = DocumentService.keep  # the upload's last step before its COMMIT

    async def keep_then_lose_the_commit_answer(self: DocumentService, *args: Any, **kwargs: Any) -> Any:
        await keep(self, *args, **kwargs)
        proxy.armed = True  # the next COMMIT is this upload's

    monkeypatch.setattr(DocumentService, "keep", keep_then_lose_the_commit_answer)
    client = await vault.hub.client_for(vault.bewindvoerder)
    content = pdf_bytes(300_000)
    response = await post_upload(client, vault.case.id, "beschikking.pdf", content)
    assert proxy.cuts == 1
    # It was committed: the row is there, and so is its blob, whole (the hub used to delete it here).
    (document,) = await vault.documents()
    download = await client.get(f"/documenten/{document.id}/downloaden")
    assert download.status_code == 200 and download.content == content
    # The user is told the truth: it may have been stored, check before trying again.
    assert response.status_code == 500
    assert "niet zeker" in response.text and "Er is niets opgeslagen" not in response.text
    # The orphan sweep, which checks the database, keeps it too.
    assert await cleanup_orphan_blobs(
        vault.hub.runtime.sessions, blobs_of(vault.hub.runtime), older_than=__import__("datetime").timedelta(0)
    ) == (0, 0)
