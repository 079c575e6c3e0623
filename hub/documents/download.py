"""Handing a document back: its plaintext decrypted and authenticated chunk by chunk while it streams, whole or
as one byte range.

One pass over the blob, so a download costs one read and one decryption, and its first byte goes out as soon as the
header and the first chunks are verified, whatever the size. The price of streaming: the status line and headers
(``Content-Length`` among them) leave before the later chunks are checked. A chunk that fails authentication, a blob
cut short or one longer than its row says raises :class:`DocumentBroken` inside the body, never a piece of the bad
chunk; the web server then resets the connection short of the announced length, which every HTTP client reports as
a failed download, so no one can take a damaged or truncated file for a whole one. What fails before the first byte
(a missing blob, a wrong key, a damaged header or first chunk) still gets an error page: :meth:`PlaintextStream.start`
reads that far before the response begins.

A range decrypts only the chunks it touches: the header (to verify the key and learn the chunk size), then the
ciphertext of those chunks, each checked against its position and, for the last chunk of the document, against the
end of the stream (:meth:`crypto.StreamDecryptor.start_at`).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from crypto import DecryptionError, StreamDecryptor, header_size
from crypto.stream import TAG_SIZE
from hub.documents.blobstore import BlobStore, InvalidBlobName
from hub.documents.models import Document
from hub.errors import StorageUnavailable

log = logging.getLogger("hub.documents")

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


UNAVAILABLE = (
    "Dit document kan niet worden geopend: de opgeslagen versie is beschadigd of onvolledig. Er is niets "
    "gedownload. Neem contact op met de beheerder van de beveiligde omgeving."
)


class DocumentUnavailable(Exception):
    """A stored document cannot be handed back (damaged, truncated, swapped, key missing). Nothing was sent."""

    message = UNAVAILABLE


class DocumentBroken(Exception):
    """A chunk failed authentication (or the blob ended early or ran long) after the response began: the body
    stops here and the connection is reset, so the client sees a failed download."""


class RangeNotSatisfiable(Exception):
    """A Range the document cannot serve (416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in HTTP

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """One ``bytes=`` range of RFC 9110 (first-last, first-, -suffix) within ``size``; None to send the whole
    document (no header, another unit, several ranges, or a syntax it does not follow: a server may ignore a Range
    it does not serve). RangeNotSatisfiable when the range starts at or past the end."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last != "" and int(last) < start:
        return None  # invalid: ignored, the whole document
    if start >= size:
        raise RangeNotSatisfiable()
    return ByteRange(start, size - 1 if last == "" else min(int(last), size - 1))


class PlaintextStream:
    """The plaintext of ``document`` (or of ``byte_range`` of it); ``await start()``, then iterate ``body()``."""

    def __init__(
        self, blobs: BlobStore, document: Document, data_key: bytes, byte_range: ByteRange | None = None
    ) -> None:
        self.blobs = blobs
        self.document = document
        self.range = byte_range
        self._decryptor = StreamDecryptor(data_key, document.id, document.revision)
        self._pieces: AsyncGenerator[bytes, None] | None = None
        self._first = b""

    @property
    def length(self) -> int:
        return self.range.length if self.range is not None else self.document.size

    async def start(self) -> None:
        """Read and verify up to the first plaintext; DocumentUnavailable when that fails (nothing is sent yet)."""
        self._pieces = self._ranged() if self.range is not None else self._whole()
        try:
            self._first = await anext(self._pieces, b"")
        except (DecryptionError, InvalidBlobName, OSError) as exc:
            await self._pieces.aclose()
            log.error("document %s cannot be opened: %s", self.document.id, type(exc).__name__)
            raise DocumentUnavailable(self.document.id) from None

    async def close(self) -> None:
        """Release the blob read of a stream that will not be sent after all."""
        if self._pieces is not None:
            await self._pieces.aclose()

    async def body(self) -> AsyncIterator[bytes]:
        """The verified plaintext; DocumentBroken (after the last good chunk) when the blob turns out damaged."""
        assert self._pieces is not None, "start() first"
        async with contextlib.aclosing(self._pieces) as pieces:
            if self._first:
                yield self._first
            self._first = b""
            try:
                async for piece in pieces:
                    yield piece
            except (DecryptionError, OSError, StorageUnavailable) as exc:
                why = exc.code if isinstance(exc, StorageUnavailable) else type(exc).__name__
                log.error("document %s broken off mid-download: %s", self.document.id, why)
                raise DocumentBroken(self.document.id) from None

    async def _whole(self) -> AsyncGenerator[bytes, None]:
        size = self.document.size
        sent = 0
        decryptor = self._decryptor
        async with contextlib.aclosing(self.blobs.get(self.document.blob_name)) as blocks:
            async for block in blocks:
                out = decryptor.update(block)
                if out:
                    sent += len(out)
                    if sent > size:
                        raise DecryptionError("decryption failed: longer than the document's recorded size")
                    yield out
        last = decryptor.finalize()
        if sent + len(last) != size:
            raise DecryptionError("decryption failed: size differs from the document's recorded size")
        if last:
            yield last

    async def _ranged(self) -> AsyncGenerator[bytes, None]:
        assert self.range is not None
        document, decryptor = self.document, self._decryptor
        head_size = header_size(document.id)
        head = b"".join([b async for b in self.blobs.get(document.blob_name, 0, head_size)])
        decryptor.update(head)
        if decryptor.header_info is None:
            raise DecryptionError("decryption failed: stream truncated inside the header")
        chunk = decryptor.header_info.chunk_size
        unit = chunk + TAG_SIZE
        chunks = max(1, -(-document.size // chunk))
        first, last = self.range.start // chunk, self.range.end // chunk
        final = last == chunks - 1
        length = (last - first) * unit + (document.size - last * chunk + TAG_SIZE if final else unit)
        decryptor.start_at(first)
        skip, left = self.range.start - first * chunk, self.range.length
        offset = head_size + first * unit
        async with contextlib.aclosing(self.blobs.get(document.blob_name, offset, length)) as blocks:
            async for block in blocks:
                out = decryptor.update(block)
                if out:
                    piece, skip, left = _trim(out, skip, left)
                    if piece:
                        yield piece
        out = decryptor.finalize() if final else decryptor.finalize_range()
        piece, skip, left = _trim(out, skip, left)
        if left:
            raise DecryptionError("decryption failed: range shorter than the document's recorded size")
        if piece:
            yield piece


def _trim(out: bytes, skip: int, left: int) -> tuple[bytes, int, int]:
    """Drop the first ``skip`` bytes and keep at most ``left``; return the piece and the new skip and left."""
    if skip:
        dropped = min(skip, len(out))
        out, skip = out[dropped:], skip - dropped
    piece = out[:left]
    return piece, skip, left - len(piece)
