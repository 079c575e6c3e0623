"""The filesystem blob store: generated names, paths inside the root, atomic renames, batches, orphan cleanup."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from hub.documents import blobstore
from hub.documents.blobstore import BATCH_SIZE, FilesystemBlobStore, InvalidBlobName


async def pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: FilesystemBlobStore, name: str) -> bytes:
    return b"".join([block async for block in store.get(name)])


async def test_put_get_delete(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    data = os.urandom(3 * BATCH_SIZE + 12345)
    name, size = await store.put(pieces(data))
    assert size == len(data)
    assert await store.exists(name)
    path = store.path_of(name)
    assert path.relative_to(store.root).parts == (name[:2], name[2:4], name)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert await read_all(store, name) == data
    assert store.temporary_files() == []
    await store.delete(name)
    await store.delete(name)  # already gone: no error
    assert not await store.exists(name)


async def test_names_are_random_and_paths_stay_inside(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    names = {(await store.put(pieces(b"x")))[0] for _ in range(20)}
    assert len(names) == 20 and all(len(n) == 32 for n in names)
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


async def test_nothing_visible_under_the_name_until_commit(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    writer = await store.open_writer()
    await writer.write(os.urandom(2 * BATCH_SIZE))
    assert not await store.exists(writer.name)
    assert len(store.temporary_files()) == 1
    await writer.commit()
    assert await store.exists(writer.name)
    assert store.temporary_files() == []


async def test_abort_and_failing_source_leave_nothing(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    writer = await store.open_writer()
    await writer.write(os.urandom(3 * BATCH_SIZE))
    await writer.abort()
    await writer.abort()

    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(2 * BATCH_SIZE)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(broken())
    assert await _emptied(store)  # a batch still being written is discarded when its thread is done


async def _emptied(store: FilesystemBlobStore, within: float = 5.0) -> bool:
    """Wait until the store holds no file (a thread may still be finishing its batch), at most ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while [p for p in store.root.rglob("*") if p.is_file()]:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_cancelled_upload_leaves_nothing(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")

    async def slow() -> AsyncIterator[bytes]:
        while True:
            yield os.urandom(BATCH_SIZE)
            await asyncio.sleep(0)

    task = asyncio.ensure_future(store.put(slow()))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _emptied(store)


async def test_cleanup_orphans(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    kept, _ = await store.put(pieces(b"known"))
    orphan, _ = await store.put(pieces(b"orphan"))
    young_orphan, _ = await store.put(pieces(b"young orphan"))
    stale = await store.open_writer()
    await stale.write(b"half")
    fresh = await store.open_writer()
    await fresh.write(b"in flight")
    old = time.time() - 7200
    for path in (store.path_of(kept), store.path_of(orphan), *store.temporary_files()):
        os.utime(path, (old, old))
    fresh_tmp = next(p for p in store.temporary_files() if fresh.name in p.name)
    os.utime(fresh_tmp, None)  # still being written: recent

    removed = await store.cleanup_orphans({kept}, timedelta(hours=1))
    assert removed == (1, 1)
    assert store.names() == sorted([kept, young_orphan])
    assert store.temporary_files() == [fresh_tmp]
    await fresh.abort()
    await stale.abort()
