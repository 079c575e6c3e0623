"""Inflating an archive upload is CPU work (up to the 1 GiB cap): it runs in a worker thread, never on the event
loop, while other kinds of file are checked on the loop (a few comparisons per piece)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from hub.documents import sniff
from tests.documents.conftest import Vault, docx_bytes, pdf_bytes


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(the sniffer's family, whether the piece was fed off the event loop's thread) for every piece fed."""
    seen: list[tuple[str, bool]] = []
    original = sniff.ContentSniffer.feed
    loop_thread = threading.get_ident()

    def spy(self: sniff.ContentSniffer, data: Any) -> None:
        original(self, data)
        seen.append((self._family or "", threading.get_ident() != loop_thread))

    monkeypatch.setattr(sniff.ContentSniffer, "feed", spy)
    return seen


async def test_an_archive_is_inflated_off_the_loop_and_a_pdf_is_not(vault_sqlite: Vault, feeds: list[Any]) -> None:
    client = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    big_docx = docx_bytes([("word/media/foto.bin", os.urandom(400_000))])
    await vault_sqlite.upload_ok(client, "brief.docx", big_docx)
    archive = [off_loop for family, off_loop in feeds if family == "zip"]
    assert len(archive) > 2 and all(archive[1:])  # the first piece decides the type on the loop, then threads
    feeds.clear()
    await vault_sqlite.upload_ok(client, "nota.pdf", pdf_bytes(400_000))
    assert feeds and not any(off_loop for _, off_loop in feeds)
