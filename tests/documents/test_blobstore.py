"""Both blob stores (the folder and S3 object storage on SeaweedFS): nothing visible before commit, nothing left by
an abort, a failing source or a cancelled upload, ranged reads, and the orphan sweep's age rule. Then what only the
folder store has: paths inside the root, atomic renames, batches in worker threads."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.config import Settings
from hub.documents import blobstore
from hub.documents.blobstore import BATCH_SIZE, BlobStore, FilesystemBlobStore, InvalidBlobName
from hub.documents.s3store import PART_SIZE, S3BlobStore
from tests.support.blobs import UNFINISHED, stored
from tests.support.seaweed import SeaweedS3


async def pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: BlobStore, name: str, start: int = 0, length: int | None = None) -> bytes:
    return b"".join([block async for block in store.get(name, start, length)])


@pytest.fixture(params=["folder", pytest.param("s3", marks=pytest.mark.s3)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    """The folder store and the S3 store (a fresh prefix in the test server's bucket) in turn."""
    made: BlobStore
    if request.param == "folder":
        made = FilesystemBlobStore(tmp_path / "blobs")
    else:
        server: SeaweedS3 = request.getfixturevalue("s3_server")
        location = Settings.for_data_dir(tmp_path, **server.settings()).object_storage
        assert location is not None
        made = S3BlobStore(location)
    try:
        yield made
    finally:
        await made.close()


async def _emptied(store: BlobStore, within: float = 5.0) -> bool:
    """Wait until the store holds nothing, finished or not (a part may still be on its way), at most ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while await stored(store):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# -- both stores -------------------------------------------------------------------------------------------------


async def test_put_get_ranges_delete(store: BlobStore) -> None:
    await store.reachable()
    data = os.urandom(3 * BATCH_SIZE + 12345)
    name, size = await store.put(pieces(data))
    assert size == len(data)
    assert await store.exists(name)
    assert await read_all(store, name) == data
    assert await read_all(store, name, 5, 10) == data[5:15]
    assert await read_all(store, name, 2 * BATCH_SIZE + 7) == data[2 * BATCH_SIZE + 7 :]
    assert await read_all(store, name, len(data) - 3, 100) == data[-3:]  # a range past the end: what there is
    assert await read_all(store, name, 7, 0) == b""
    assert await stored(store) == [name]
    await store.delete(name)
    await store.delete(name)  # already gone: no error
    assert not await store.exists(name)
    with pytest.raises(FileNotFoundError):
        await read_all(store, name)
    for bad in ("../../etc/passwd", "A" * 32, "", "0" * 31 + "/"):
        with pytest.raises(InvalidBlobName):
            await store.delete(bad)


async def test_names_are_random(store: BlobStore) -> None:
    names = {(await store.put(pieces(b"x")))[0] for _ in range(10)}
    assert len(names) == 10 and all(len(n) == 32 for n in names)


async def test_nothing_visible_under_the_name_until_commit(store: BlobStore) -> None:
    data = os.urandom(2 * BATCH_SIZE + (PART_SIZE if isinstance(store, S3BlobStore) else 0))
    writer = await store.open_writer()
    await writer.write(data)
    await asyncio.sleep(0.05)
    assert not await store.exists(writer.name)
    (unfinished,) = await stored(store)
    assert unfinished.startswith(UNFINISHED)
    assert await writer.commit() == len(data)
    assert await store.exists(writer.name)
    assert await stored(store) == [writer.name]
    assert await read_all(store, writer.name) == data


async def test_abort_and_failing_source_leave_nothing(store: BlobStore) -> None:
    writer = await store.open_writer()
    await writer.write(os.urandom(3 * BATCH_SIZE))
    await writer.abort()
    await writer.abort()

    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(9 * BATCH_SIZE)  # more than a part of the S3 store: one is on its way when this fails
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(broken())
    assert await _emptied(store)  # a batch or part still being written is discarded when it is done


async def test_cancelled_upload_leaves_nothing(store: BlobStore) -> None:
    async def slow() -> AsyncIterator[bytes]:
        while True:
            yield os.urandom(BATCH_SIZE)
            await asyncio.sleep(0)

    task = asyncio.ensure_future(store.put(slow()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _emptied(store)


async def test_the_orphan_sweep_removes_only_what_is_older_than_the_threshold(store: BlobStore) -> None:
    """Blobs without a row and unfinished uploads go once old; young ones (another server's upload in flight, a
    row about to be inserted) and every known blob stay. Ages are real: S3 keeps the server's own times."""
    kept, _ = await store.put(pieces(b"known"))
    orphan, _ = await store.put(pieces(b"orphan"))
    stale = await store.open_writer()
    await stale.write(b"half")
    if isinstance(store, FilesystemBlobStore):  # the folder store counts from the last write: age it by hand
        old = time.time() - 7200
        for path in (store.path_of(kept), store.path_of(orphan), *store.temporary_files()):
            os.utime(path, (old, old))
    else:
        await asyncio.sleep(2.2)  # S3 times have whole seconds
    young_orphan, _ = await store.put(pieces(b"young orphan"))
    fresh = await store.open_writer()
    await fresh.write(b"in flight")
    threshold = timedelta(hours=1) if isinstance(store, FilesystemBlobStore) else timedelta(seconds=1.5)

    assert await store.cleanup_orphans({kept}, threshold) == (1, 1)
    left = await stored(store)
    assert [n for n in left if not n.startswith(UNFINISHED)] == sorted([kept, young_orphan])
    assert len([n for n in left if n.startswith(UNFINISHED)]) == 1  # the fresh upload only
    await fresh.write(b" and done")
    assert await fresh.commit() == len(b"in flight and done")
    await stale.abort()
    assert await read_all(store, kept) == b"known"


# -- the folder store --------------------------------------------------------------------------------------------


async def test_blob_files_are_fanned_out_and_private(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    name, _ = await store.put(pieces(b"data"))
    path = store.path_of(name)
    assert path.relative_to(store.root).parts == (name[:2], name[2:4], name)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


async def test_a_folder_that_cannot_be_written_is_not_reachable(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    await store.reachable()
    (store.root / "tmp").rmdir()
    with pytest.raises(OSError, match="not writable"):
        await store.reachable()


async def test_paths_stay_inside(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    for bad in ("../../etc/passwd", "/etc/passwd", "ab", "A" * 32, "..%2f" * 8, "g" * 32, "", "0" * 31 + "/"):
        with pytest.raises(InvalidBlobName):
            store.path_of(bad)
    with pytest.raises(InvalidBlobName):
        await store.delete("../../../x")


async def test_a_symlinked_fan_out_directory_cannot_lead_outside(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "ab").symlink_to(outside)
    with pytest.raises(InvalidBlobName):
        store.path_of("ab" + "0" * 30)


async def test_writes_are_batched_off_the_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, bool]] = []
    original = blobstore._write_all
    loop_thread = threading.get_ident()

    def spy(fd: int, data: bytes, path: Path) -> None:
        calls.append((len(data), threading.get_ident() != loop_thread))
        original(fd, data, path)

    monkeypatch.setattr(blobstore, "_write_all", spy)
    store = FilesystemBlobStore(tmp_path / "blobs")
    data = os.urandom(5 * BATCH_SIZE + 100)
    name, _ = await store.put(pieces(data, 64 * 1024))
    assert await read_all(store, name) == data
    assert all(in_thread for _, in_thread in calls)
    assert len(calls) == 6  # five full batches of 1 MiB and the rest: not one call per 64 KiB piece
    assert all(size == BATCH_SIZE for size, _ in calls[:-1])


# -- the S3 store ------------------------------------------------------------------------------------------------


@pytest.mark.s3
async def test_s3_uploads_in_parts_with_one_in_flight(s3_server: SeaweedS3, tmp_path: Path) -> None:
    """A large blob goes up in parts of PART_SIZE (never the whole file in memory) and reads back whole."""
    location = Settings.for_data_dir(tmp_path, **s3_server.settings()).object_storage
    assert location is not None
    store = S3BlobStore(location)
    try:
        data = os.urandom(2 * PART_SIZE + 1000)
        writer = await store.open_writer()
        for start in range(0, len(data), 64 * 1024):
            await writer.write(data[start : start + 64 * 1024])
        client = await store.client()
        (upload,) = await store.open_uploads()
        sizes: list[int] = []
        for _ in range(100):  # the second part may still be on its way
            parts = await client.list_parts(Bucket=store.bucket, Key=upload[0], UploadId=upload[1])
            sizes = [p["Size"] for p in parts.get("Parts", [])]
            if len(sizes) == 2:
                break
            await asyncio.sleep(0.05)
        assert sizes == [PART_SIZE, PART_SIZE]
        assert await writer.commit() == len(data)
        assert await read_all(store, writer.name) == data
        assert await store.open_uploads() == []
        assert store.key_of(writer.name) == location.prefix + writer.name
        with pytest.raises(InvalidBlobName):
            store.key_of("../" + writer.name[3:])
    finally:
        await store.close()
