"""Encrypted document contents in S3-compatible object storage (``HUB_BLOBS=s3://bucket/prefix``).

The store only ever sees ciphertext, like :class:`~hub.documents.blobstore.FilesystemBlobStore`, and keeps the same
promises with the means object storage offers:

- names are generated here (128 random bits, hex) and checked on every call; an object's key is ``<prefix><name>``;
- a blob is written as a multipart upload to its final key: parts of :data:`PART_SIZE` go out while the next part
  is gathered (about three parts in memory per upload: the one gathered, the one on its way and the HTTP client's
  copy of it; never the whole file), and only ``commit`` completes the upload. Until then nothing is visible under
  the key; ``abort`` (and any failure) aborts the upload, which frees its parts;
- an upload left open by a killed process, and a completed blob that never got its database row, are removed by
  :meth:`S3BlobStore.cleanup_orphans` once older than the age threshold (another server may be uploading right
  now: nothing younger is touched).

The client is aiobotocore: it offers every call this needs (multipart create/part/complete/abort, listing open
multipart uploads for the sweep, ranged reads, creating the bucket for ``hub init``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Container, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiobotocore.session import AioSession, get_session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hub.config import ObjectStorage
from hub.documents.blobstore import BATCH_SIZE, NAME_RE, InvalidBlobName, new_blob_name, write_whole
from hub.errors import StorageUnavailable

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

__all__ = ["PART_SIZE", "S3BlobStore"]

log = logging.getLogger("hub.documents")

# Bytes per multipart part: S3's minimum for every part but the last. One part is gathered while the one before is
# sent, so an upload holds about two parts in memory; 10 000 parts (S3's maximum) allow 50 GiB, past HUB_MAX_UPLOAD_MB.
PART_SIZE = 5 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload"}
# Aborts started by a cancelled request run to their end in the background; kept here so they are not collected.
_BACKGROUND: set[asyncio.Task[None]] = set()


@functools.cache
def _session() -> AioSession:
    """One botocore session for the process: it loads the S3 service description once (0.3 s), not per client."""
    return get_session()


def _code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or "ClientError"
    return type(exc).__name__


def _missing(exc: ClientError) -> bool:
    return _code(exc) in _MISSING


# An unexpected failure of the store: an error answer (a full store answers InternalError), botocore's own errors
# (connection refused, time-outs, retries used up) and aiohttp's beneath them.
_FAILURES = (ClientError, BotoCoreError, aiohttp.ClientError, TimeoutError)


@contextlib.contextmanager
def _unavailable() -> Iterator[None]:
    """Raise such a failure as StorageUnavailable with its code only: the message may quote a key or a request."""
    try:
        yield
    except _FAILURES as exc:
        raise StorageUnavailable(_code(exc)) from None


class S3BlobStore:
    """Blobs as objects under ``location.prefix`` in ``location.bucket``. The client is opened on first use."""

    def __init__(self, location: ObjectStorage) -> None:
        self.location = location
        self.bucket = location.bucket
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None
        self._opening = asyncio.Lock()

    async def client(self) -> S3Client:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    loc = self.location
                    options: dict[str, Any] = {
                        "config": Config(
                            s3={"addressing_style": "path"} if loc.endpoint_url else {},
                            retries={"max_attempts": 3, "mode": "standard"},
                            connect_timeout=10,
                            read_timeout=60,
                        )
                    }
                    if loc.endpoint_url:
                        options["endpoint_url"] = loc.endpoint_url
                    if loc.region:
                        options["region_name"] = loc.region
                    if loc.access_key_id:  # otherwise botocore's own chain (web identity, instance role, ...)
                        options["aws_access_key_id"] = loc.access_key_id
                        options["aws_secret_access_key"] = loc.secret_access_key
                    self._client = await self._stack.enter_async_context(_session().create_client("s3", **options))
        return self._client

    async def close(self) -> None:
        self._client = None
        await self._stack.aclose()

    def key_of(self, name: str) -> str:
        """The object key of blob ``name``; InvalidBlobName for anything this store would not have generated."""
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise InvalidBlobName("not a blob name")
        return self.location.prefix + name

    # -- the bucket --------------------------------------------------------------------------------------

    async def ensure_bucket(self) -> bool:
        """Create the bucket if it is missing (``hub init``); True when it was created."""
        client = await self.client()
        try:
            await client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as exc:
            if not _missing(exc):
                raise
        region = self.location.region
        if region and region != "us-east-1":
            # Any: the stubs list AWS's own regions only, other providers have theirs (nl-ams, fr-par, ...).
            configuration: Any = {"LocationConstraint": region}
            await client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration=configuration)
        else:
            await client.create_bucket(Bucket=self.bucket)
        return True

    async def reachable(self) -> None:
        """Raise unless the bucket answers (for readiness checks and start-up)."""
        await (await self.client()).head_bucket(Bucket=self.bucket)

    # -- writing -----------------------------------------------------------------------------------------

    async def open_writer(self) -> S3BlobWriter:
        name = new_blob_name()
        key = self.key_of(name)
        client = await self.client()
        with _unavailable():
            upload = await client.create_multipart_upload(Bucket=self.bucket, Key=key)
        return S3BlobWriter(client, self.bucket, name, key, upload["UploadId"])

    async def put(self, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        return await write_whole(await self.open_writer(), chunks)

    # -- reading and deleting ----------------------------------------------------------------------------

    async def get(self, name: str, start: int = 0, length: int | None = None) -> AsyncGenerator[bytes, None]:
        key = self.key_of(name)
        if length == 0:
            return
        client = await self.client()
        extra: dict[str, Any] = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            extra["Range"] = f"bytes={start}-{end}"
        with _unavailable():
            try:
                response = await client.get_object(Bucket=self.bucket, Key=key, **extra)
            except ClientError as exc:
                if _missing(exc):
                    raise FileNotFoundError(f"blob {name} not found") from None
                if _code(exc) != "InvalidRange":
                    raise
                return  # a range past the end of a (damaged, shorter) blob: no bytes, as a file read would give
        body = response["Body"]
        try:
            with _unavailable():
                async for block in body.iter_chunks(BATCH_SIZE):
                    if block:
                        yield block
        finally:
            body.close()

    async def delete(self, name: str) -> None:
        key = self.key_of(name)
        with _unavailable():
            await (await self.client()).delete_object(Bucket=self.bucket, Key=key)

    async def exists(self, name: str) -> bool:
        key = self.key_of(name)
        with _unavailable():
            try:
                await (await self.client()).head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _missing(exc):
                    return False
                raise
        return True

    async def size(self, name: str) -> int:
        key = self.key_of(name)
        with _unavailable():
            head = await (await self.client()).head_object(Bucket=self.bucket, Key=key)
        return head["ContentLength"]

    async def objects(self) -> list[tuple[str, datetime]]:
        """Every complete blob under the prefix: (name, last modified)."""
        client = await self.client()
        found = []
        async for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.location.prefix
        ):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.location.prefix) :]
                if NAME_RE.fullmatch(name):
                    found.append((name, item["LastModified"]))
        return found

    async def names(self) -> list[str]:
        return sorted(name for name, _ in await self.objects())

    async def open_uploads(self) -> list[tuple[str, str, datetime]]:
        """Multipart uploads under the prefix not completed or aborted yet: (key, upload id, initiated)."""
        client = await self.client()
        found = []
        async for page in client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.location.prefix
        ):
            for upload in page.get("Uploads", []):
                found.append((upload["Key"], upload["UploadId"], upload["Initiated"]))
        return found

    # -- crash recovery ----------------------------------------------------------------------------------

    async def cleanup_orphans(
        self, known_names: Container[str], older_than: timedelta = timedelta(hours=1)
    ) -> tuple[int, int]:
        """Abort uploads never completed and delete blobs without a database row, started ``older_than`` ago.

        Younger ones are left alone: another server may be uploading them, or about to insert their row.
        Returns (uploads aborted, blobs removed)."""
        limit = datetime.now(UTC) - older_than
        client = await self.client()
        uploads = 0
        for key, upload_id, initiated in await self.open_uploads():
            if initiated < limit:
                with contextlib.suppress(ClientError):  # completed or aborted meanwhile
                    await client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                    uploads += 1
        blobs = 0
        for name, modified in await self.objects():
            if name not in known_names and modified < limit:
                await self.delete(name)
                blobs += 1
        return uploads, blobs


async def ensure_bucket(location: ObjectStorage) -> bool:
    """Create the bucket of ``location`` when it is missing (``hub init``); True when it was created."""
    store = S3BlobStore(location)
    try:
        return await store.ensure_bucket()
    finally:
        await store.close()


class S3BlobWriter:
    """One multipart upload: writes gathered into parts of :data:`PART_SIZE`, one part in flight at a time."""

    def __init__(self, client: S3Client, bucket: str, name: str, key: str, upload_id: str) -> None:
        self.name = name
        self._client = client
        self._bucket = bucket
        self._key = key
        self._upload_id = upload_id
        self._pending = bytearray()  # the part being gathered
        self._size = 0
        self._parts: list[CompletedPartTypeDef] = []
        self._sending: asyncio.Future[None] | None = None
        self._state = "open"  # open -> committed | aborted

    async def write(self, data: bytes) -> None:
        if self._state != "open":
            raise RuntimeError("the blob writer is closed")
        if not data:
            return
        self._pending += data
        if len(self._pending) >= PART_SIZE:
            with _unavailable():  # the part sent before this one failed
                await self._send_pending()

    async def _send_pending(self) -> None:
        await self._wait_sending()
        if not self._pending and self._parts:
            return
        # As bytes: the HTTP client copies a bytearray body twice, bytes once.
        part = bytes(self._pending)
        self._pending = bytearray()
        self._size += len(part)
        number = len(self._parts) + 1
        self._parts.append({"PartNumber": number})
        self._sending = asyncio.ensure_future(self._upload_part(number, part))

    async def _upload_part(self, number: int, body: bytes) -> None:
        answer = await self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
        )
        self._parts[number - 1]["ETag"] = answer["ETag"]

    async def _wait_sending(self) -> None:
        if self._sending is not None:
            # Shielded: a cancelled caller leaves the part's request running, and abort() waits for it.
            await asyncio.shield(self._sending)
            self._sending = None

    async def commit(self) -> int:
        if self._state != "open":
            raise RuntimeError("the blob writer is closed")
        try:
            with _unavailable():
                await self._send_pending()  # the last part (S3 allows it to be small)
                await self._wait_sending()
                await self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except BaseException:
            await self.abort()
            raise
        self._state = "committed"
        return self._size

    async def abort(self) -> None:
        if self._state == "aborted":
            return
        self._state = "aborted"
        self._pending = bytearray()
        sending, self._sending = self._sending, None
        # A task of its own: a request being cancelled (the client went away) must not cancel the abort with it.
        task = asyncio.ensure_future(self._abort_upload(sending))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)
        with contextlib.suppress(Exception):
            await asyncio.shield(task)

    async def _abort_upload(self, sending: asyncio.Future[None] | None) -> None:
        if sending is not None:
            with contextlib.suppress(BaseException):
                await sending  # the part in flight ends first, or S3 may keep it after the abort
        try:
            await self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
        except Exception:  # the orphan sweep aborts it later, once it is older than the threshold
            log.warning("multipart upload of blob %s not aborted; the orphan sweep will", self.name)
