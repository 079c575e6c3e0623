"""Where encrypted document contents live: a small blob-store interface and the filesystem store.

The store only ever sees ciphertext (the documents service encrypts before writing), but it is still careful:

- names are generated here (128 random bits, hex), never taken from user input, and every path is resolved and
  checked to stay inside the store's root;
- a blob is written under a temporary name inside the store and renamed into place (``os.replace``) only when it is
  complete and fsynced, so a reader or a crash never sees half a blob under a real name;
- file I/O runs in worker threads (``asyncio.to_thread``), one call per batch of about 1 MiB, never per small
  chunk; while one batch is written the caller goes on producing the next;
- :meth:`FilesystemBlobStore.cleanup_orphans` removes temporary files and blobs that no database row names, left
  behind by a crash between the rename and the insert of the row, once older than an age threshold (at start-up
  and hourly in the worker; an upload in flight in another process is younger). :mod:`hub.documents.s3store` is
  the same for S3-compatible object storage.

Layout under the root::

    tmp/<name>.<random>.part      blobs being written
    ab/cd/abcdef0123...           complete blobs, fanned out over two directory levels
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import time
from collections.abc import AsyncGenerator, AsyncIterator, Container
from datetime import timedelta
from pathlib import Path
from typing import Protocol

__all__ = [
    "BATCH_SIZE",
    "BlobStore",
    "BlobWriter",
    "FilesystemBlobStore",
    "InvalidBlobName",
    "new_blob_name",
]

BATCH_SIZE = 1024 * 1024  # bytes gathered before one write (and read) call in a worker thread
NAME_RE = re.compile(r"[0-9a-f]{32}")
_TMP_DIR = "tmp"
_TMP_SUFFIX = ".part"
_FAN_DIR = re.compile(r"[0-9a-f]{2}")


class InvalidBlobName(ValueError):
    """A blob name that this store never generates (or a path that would leave the store)."""


def new_blob_name() -> str:
    return secrets.token_hex(16)


class BlobWriter(Protocol):
    """One blob being written. ``write`` as often as needed, then exactly one of ``commit`` or ``abort``."""

    name: str

    async def write(self, data: bytes) -> None: ...

    async def commit(self) -> int:
        """Make the blob durable under its name; return its size in bytes."""
        ...

    async def abort(self) -> None:
        """Forget everything written; safe to call more than once and after a failed write."""
        ...


class BlobStore(Protocol):
    async def open_writer(self) -> BlobWriter: ...

    async def put(self, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        """Store a whole stream; return (name, size). Nothing is left behind if ``chunks`` raises."""
        ...

    def get(self, name: str, start: int = 0, length: int | None = None) -> AsyncGenerator[bytes, None]:
        """The blob's bytes from ``start`` (``length`` of them, or to the end) in pieces of up to
        :data:`BATCH_SIZE`; fewer when the blob is shorter. FileNotFoundError when there is no such blob."""
        ...

    async def delete(self, name: str) -> None:
        """Remove a blob; no error if it is already gone."""
        ...

    async def exists(self, name: str) -> bool: ...

    async def cleanup_orphans(self, known_names: Container[str], older_than: timedelta) -> tuple[int, int]:
        """Remove unfinished uploads and blobs whose name is not in ``known_names``, if older than ``older_than``;
        return (unfinished uploads removed, blobs removed)."""
        ...

    async def reachable(self) -> None:
        """Raise unless the store answers (for a readiness check)."""
        ...

    async def close(self) -> None: ...


async def write_whole(writer: BlobWriter, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
    """Every chunk through ``writer``, committed (its name and size), or aborted on any failure: each store's put."""
    try:
        async for chunk in chunks:
            await writer.write(chunk)
        return writer.name, await writer.commit()
    except BaseException:
        await writer.abort()
        raise


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FilesystemBlobStore:
    """Blobs as files under ``root`` (created 0700 if missing)."""

    def __init__(self, root: Path | str) -> None:
        root = Path(root)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root = root.resolve()
        (self.root / _TMP_DIR).mkdir(mode=0o700, exist_ok=True)

    # -- paths -------------------------------------------------------------------------------------------

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root) or resolved == self.root:
            raise InvalidBlobName("path leaves the blob store")
        return resolved

    def path_of(self, name: str) -> Path:
        """The file of blob ``name``; InvalidBlobName for anything this store would not have generated."""
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise InvalidBlobName("not a blob name")
        return self._inside(self.root / name[:2] / name[2:4] / name)

    def _tmp_path(self, name: str) -> Path:
        return self._inside(self.root / _TMP_DIR / f"{name}.{secrets.token_hex(4)}{_TMP_SUFFIX}")

    # -- writing -----------------------------------------------------------------------------------------

    async def open_writer(self) -> FilesystemBlobWriter:
        name = new_blob_name()
        final = self.path_of(name)
        tmp = self._tmp_path(name)
        fd = await asyncio.to_thread(os.open, tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        return FilesystemBlobWriter(self, name, fd, tmp, final)

    async def put(self, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        return await write_whole(await self.open_writer(), chunks)

    # -- reading and deleting ----------------------------------------------------------------------------

    async def get(self, name: str, start: int = 0, length: int | None = None) -> AsyncGenerator[bytes, None]:
        path = self.path_of(name)
        fh = await asyncio.to_thread(open, path, "rb", buffering=0)
        try:
            if start:
                fh.seek(start)
            left = -1 if length is None else length
            while left:
                block = await asyncio.to_thread(fh.read, BATCH_SIZE if left < 0 else min(left, BATCH_SIZE))
                if not block:
                    return
                left = left - len(block) if left > 0 else left
                yield block
        finally:
            fh.close()

    async def reachable(self) -> None:
        """Raise unless the folder for unfinished blobs is there and writable."""
        tmp = self.root / _TMP_DIR
        if not await asyncio.to_thread(os.access, tmp, os.W_OK | os.X_OK):
            raise OSError(f"blob store folder {tmp} is not writable")

    async def close(self) -> None:
        """Nothing to release (the S3 store closes its client)."""

    async def delete(self, name: str) -> None:
        path = self.path_of(name)
        await asyncio.to_thread(self._unlink, path)

    @staticmethod
    def _unlink(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    async def exists(self, name: str) -> bool:
        return await asyncio.to_thread(self.path_of(name).is_file)

    async def size(self, name: str) -> int:
        return (await asyncio.to_thread(self.path_of(name).stat)).st_size

    def names(self) -> list[str]:
        """Every complete blob's name (synchronous: for tests and maintenance)."""
        found = []
        for first in self.root.iterdir():
            if not (first.is_dir() and _FAN_DIR.fullmatch(first.name)):
                continue
            for second in first.iterdir():
                if not (second.is_dir() and _FAN_DIR.fullmatch(second.name)):
                    continue
                found += [p.name for p in second.iterdir() if NAME_RE.fullmatch(p.name)]
        return sorted(found)

    def temporary_files(self) -> list[Path]:
        return sorted((self.root / _TMP_DIR).iterdir())

    # -- crash recovery ----------------------------------------------------------------------------------

    async def cleanup_orphans(
        self, known_names: Container[str], older_than: timedelta = timedelta(hours=1)
    ) -> tuple[int, int]:
        """Remove temporary files and blobs without a database row, not modified for ``older_than``.

        The age guard protects uploads in flight in other processes (a temporary file is modified while it is
        written; a fresh blob waits milliseconds for its row). Returns (temporary files removed, blobs removed).
        """
        return await asyncio.to_thread(self._cleanup, known_names, older_than.total_seconds())

    def _cleanup(self, known: Container[str], min_age: float) -> tuple[int, int]:
        limit = time.time() - min_age

        def old(path: Path) -> bool:
            try:
                return path.lstat().st_mtime < limit
            except FileNotFoundError:
                return False

        temps = 0
        for path in self.temporary_files():
            if path.name.endswith(_TMP_SUFFIX) and old(path):
                self._unlink(path)
                temps += 1
        blobs = 0
        for name in self.names():
            if name not in known:
                path = self.path_of(name)
                if old(path):
                    self._unlink(path)
                    blobs += 1
        return temps, blobs


class FilesystemBlobWriter:
    """Gathers writes into batches of about :data:`BATCH_SIZE` and writes each in a worker thread.

    At most one batch is being written while the next is gathered, so disk time overlaps with the caller's work
    and memory stays at about two batches.
    """

    def __init__(self, store: FilesystemBlobStore, name: str, fd: int, tmp: Path, final: Path) -> None:
        self.name = name
        self._store = store
        self._fd = fd
        self._tmp = tmp
        self._final = final
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._size = 0
        self._flush: asyncio.Future[None] | None = None
        self._state = "open"  # open -> committed | aborted

    async def write(self, data: bytes) -> None:
        if self._state != "open":
            raise RuntimeError("the blob writer is closed")
        if not data:
            return
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= BATCH_SIZE:
            await self._start_flush()

    async def _start_flush(self) -> None:
        await self._wait_flush()
        if not self._pending:
            return
        batch = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        self._size += self._pending_size
        self._pending_size = 0
        self._flush = asyncio.ensure_future(asyncio.to_thread(_write_all, self._fd, batch, self._tmp))

    async def _wait_flush(self) -> None:
        if self._flush is not None:
            # Shielded: if the caller is cancelled here, the thread's future stays pending and abort() waits for it.
            await asyncio.shield(self._flush)
            self._flush = None

    async def commit(self) -> int:
        if self._state != "open":
            raise RuntimeError("the blob writer is closed")
        try:
            await self._start_flush()
            await self._wait_flush()
            # Tracked like a batch, so that an abort while it runs waits for the thread before closing the file.
            self._flush = asyncio.ensure_future(asyncio.to_thread(self._finish))
            await self._wait_flush()
        except BaseException:
            await self.abort()
            raise
        self._state = "committed"
        return self._size

    def _finish(self) -> None:
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        parent = self._final.parent
        created = []
        for directory in (parent.parent, parent):
            try:
                directory.mkdir(mode=0o700)
                created.append(directory)
            except FileExistsError:
                pass
        for directory in created:  # make new fan-out directories durable before the name inside them
            _fsync_dir(directory.parent)
        os.replace(self._tmp, self._final)
        _fsync_dir(parent)

    async def abort(self) -> None:
        if self._state == "aborted":
            return
        self._state = "aborted"
        self._pending = []
        flush, self._flush = self._flush, None
        if flush is not None and not flush.done():
            # The worker thread still uses the descriptor: close and unlink when it is done, never under it.
            flush.add_done_callback(self._discard_after)
            return
        self._discard()

    def _discard_after(self, flush: asyncio.Future[None]) -> None:
        if not flush.cancelled():
            flush.exception()  # retrieved, so asyncio does not log it: the upload failed anyway
        self._discard()

    def _discard(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        FilesystemBlobStore._unlink(self._tmp)


def _write_all(fd: int, data: bytes, path: Path) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError as exc:  # name the file, so that "storage full" can say where (a path of random names)
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        view = view[written:]
