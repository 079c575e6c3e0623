"""Memory stays bounded while a large file streams through; orphans of a crash are removed at start."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from typing import Any

from crypto import decrypt_field
from hub.documents.blobstore import FilesystemBlobStore
from hub.documents.s3store import PART_SIZE
from hub.documents.services import cleanup_orphan_blobs
from hub.fields import DOCUMENT_SHA256
from tests.documents.conftest import BOUNDARY, Vault, asgi_post, multipart_parts, pdf_bytes, upload_fields, upload_url
from tests.support.hubclient import running_hub

MIB = 1024 * 1024


async def test_64_mib_upload_uses_little_memory(vault_sqlite: Vault) -> None:
    vault = vault_sqlite
    bea = await vault.hub.client_for(vault.bewindvoerder)
    size = 64 * MIB
    block = os.urandom(MIB)  # the body is generated piece by piece: never held whole, here or in the app
    head, _, tail = multipart_parts(upload_fields(bea.csrf_token), ("file", "groot.pdf", b""))
    first = b"%PDF-1.7\n"
    digest = hashlib.sha256(first)
    pieces_total = size // (64 * 1024)
    state = {"i": -1}

    async def receive() -> dict[str, Any]:
        i = state["i"] = state["i"] + 1
        if i == 0:
            return {"type": "http.request", "body": head + first, "more_body": True}
        if i <= pieces_total:
            offset = ((i - 1) * 64 * 1024) % MIB
            piece = block[offset : offset + 64 * 1024]
            digest.update(piece)
            return {"type": "http.request", "body": piece, "more_body": True}
        return {"type": "http.request", "body": tail, "more_body": False}

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        response = await asgi_post(
            vault.hub,
            bea,
            upload_url(vault.case.id),
            f"multipart/form-data; boundary={BOUNDARY}",
            receive,
            content_length=len(head) + len(first) + size + len(tail),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 303, bytes(response.body)
    growth = peak - baseline
    # The folder store writes batches of 1 MiB; the S3 store sends parts of 5 MiB (S3's smallest), one gathered while
    # the one before is on its way, and the HTTP client copies the part it sends.
    bound = 12 * MIB if isinstance(vault.store, FilesystemBlobStore) else 4 * PART_SIZE
    assert growth < bound, f"peak {growth / MIB:.1f} MiB above the start for a 64 MiB upload"

    (document,) = await vault.documents()
    assert document.size == size + len(first)
    keyring = vault.hub.runtime.keyring
    assert decrypt_field(keyring, document.sha256, context=DOCUMENT_SHA256.context(document.id)) == digest.digest()


async def test_orphans_of_a_crash_are_removed_at_start(sqlite_url: str, tmp_path: Any) -> None:
    data_dir = tmp_path / "data"
    async with running_hub(data_dir, sqlite_url) as hub:
        from tests.documents.conftest import build_vault

        vault = await build_vault(hub)
        bea = await hub.client_for(vault.bewindvoerder)
        document = await vault.upload_ok(bea, "a.pdf", pdf_bytes())
        settings = hub.settings
        # What a crash leaves: a half-written temporary file, and a blob whose row never committed.
        store = FilesystemBlobStore(settings.blob_dir)
        writer = await store.open_writer()
        await writer.write(os.urandom(100))
        orphan, _ = await store.put(_one(os.urandom(300)))
        old = time.time() - 3 * 3600
        for path in [*store.temporary_files(), store.path_of(orphan), store.path_of(document.blob_name)]:
            os.utime(path, (old, old))

        removed = await cleanup_orphan_blobs(hub.runtime.sessions, store)
        assert removed == (1, 1)
        assert store.names() == [document.blob_name]
        assert store.temporary_files() == []
        assert (await bea.get(f"/documenten/{document.id}/downloaden")).status_code == 200


async def _one(data: bytes) -> Any:
    yield data


async def test_start_up_runs_the_cleanup(sqlite_url: str, tmp_path: Any) -> None:
    data_dir = tmp_path / "data"
    store = FilesystemBlobStore(data_dir / "blobs")
    orphan, _ = await store.put(_one(b"left by a crash"))
    old = time.time() - 3 * 3600
    os.utime(store.path_of(orphan), (old, old))
    async with running_hub(data_dir, sqlite_url):
        assert store.names() == []
