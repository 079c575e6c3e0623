"""Looking into either blob store from a test: what it holds, and reading or replacing a blob's bytes."""

from __future__ import annotations

from hub.documents.blobstore import BlobStore, FilesystemBlobStore
from hub.documents.s3store import S3BlobStore

UNFINISHED = "unfinished:"


async def stored(store: BlobStore) -> list[str]:
    """Every complete blob's name, then every unfinished upload as ``unfinished:<where>``."""
    if isinstance(store, FilesystemBlobStore):
        return store.names() + [UNFINISHED + p.name for p in store.temporary_files()]
    assert isinstance(store, S3BlobStore)
    return await store.names() + sorted(UNFINISHED + key for key, _, _ in await store.open_uploads())


async def read_blob(store: BlobStore, name: str) -> bytes:
    return b"".join([block async for block in store.get(name)])


async def write_blob(store: BlobStore, name: str, data: bytes) -> None:
    """Replace a blob's bytes in place (to damage it, or to swap two blobs)."""
    if isinstance(store, FilesystemBlobStore):
        store.path_of(name).write_bytes(data)
        return
    assert isinstance(store, S3BlobStore)
    await (await store.client()).put_object(Bucket=store.bucket, Key=store.key_of(name), Body=data)
