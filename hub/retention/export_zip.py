"""The client's export as one ZIP, streamed: ``index.html`` (a readable overview, rendered by the caller), then every
document decrypted segment by segment from the blob store. Nothing in plain form is written to disk: the ZIP is built
in memory a piece at a time and each piece is handed on as soon as it is complete.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator

from crypto import StreamDecryptor
from hub.documents.blobstore import BlobStore
from hub.retention.subject_export import ExportDocument

INDEX_NAME = "index.html"


class _Pieces:
    """A write-only, unseekable file for :class:`zipfile.ZipFile` (which then writes data descriptors): keeps what
    was written until :meth:`take` hands it on."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes, /) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        piece = bytes(self.buffer)
        self.buffer.clear()
        return piece


async def _document(
    zf: zipfile.ZipFile, pieces: _Pieces, blobs: BlobStore, document: ExportDocument
) -> AsyncIterator[bytes]:
    decryptor = StreamDecryptor(document.data_key, document.id, document.revision)
    with zf.open(document.zip_name, "w", force_zip64=True) as entry:
        async for block in blobs.get(document.blob_name):
            entry.write(decryptor.update(block))
            if piece := pieces.take():
                yield piece
        entry.write(decryptor.finalize())
    if piece := pieces.take():
        yield piece


async def export_zip(index_html: str, documents: tuple[ExportDocument, ...], blobs: BlobStore) -> AsyncIterator[bytes]:
    """The ZIP's bytes. A document whose blob fails to decrypt ends the stream with the error (the browser shows a
    failed download): never a ZIP with damaged content that looks complete."""
    pieces = _Pieces()
    with zipfile.ZipFile(pieces, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(INDEX_NAME, index_html.encode("utf-8"))
        yield pieces.take()
        for document in documents:
            async for piece in _document(zf, pieces, blobs, document):
                yield piece
    yield pieces.take()
