"""Storing one upload: a single pass over the plaintext as it streams in, piece by piece::

    size limit ─ sniff (magic bytes; zip tail) ─ SHA-256 ─ clamd INSTREAM ─ StreamEncryptor ─ blob writer

No plaintext byte is written anywhere: the blob store gets ciphertext only, in batches of about 1 MiB. Only when the
whole file has passed every check (size, type, zip-bomb limits, virus scan) is the blob renamed into place and the
``document`` row made, with the per-document data key wrapped by the keyring's primary KEK (the document id bound
as associated data) and the file name and digest field-encrypted. Any failure (too large, wrong type, infected,
scanner down, client gone, an exception) removes the blob and adds nothing; a refusal raises one of the
exceptions of :mod:`hub.documents.errors`.

Who may upload, the audit record and the notification are the service's (:meth:`DocumentService.store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from crypto import Keyring, StreamEncryptor, encrypt_field, generate_data_key
from hub.accounts.models import User
from hub.cases.models import Case
from hub.db import new_id, utcnow
from hub.documents.blobstore import BlobStore
from hub.documents.errors import (
    FileInfected,
    FileTooLarge,
    FileTypeRefused,
    NoFile,
    ScannerLimitExceeded,
    ScannerTimedOut,
    ScannerUnavailable,
)
from hub.documents.models import Document
from hub.documents.scanner import Scanner, ScanSession, ScanTimedOut, ScanTooLarge, ScanUnavailable
from hub.documents.sniff import ContentSniffer, SniffError, clean_filename, extension_of, kind_for_filename
from hub.fields import DOCUMENT_FILENAME, DOCUMENT_KEY, DOCUMENT_SHA256

log = logging.getLogger("hub.documents")

REVISION = 1


@dataclass
class Vault:
    """Where an upload goes: the keyring (its data key and encrypted fields), the blob store and the scanner."""

    keyring: Keyring
    blobs: BlobStore
    scanner: Scanner
    scanned: bool = False  # set by stream_into_vault: a scanner checked the upload it stored


@dataclass(frozen=True)
class Placement:
    """Where a new document belongs: a case with its two parties, or (``case_id`` None) an organisation document of
    hub.orgdocs, whose owner that package records."""

    case_id: str | None
    gemeente_id: str | None
    kantoor_id: str

    @classmethod
    def of_case(cls, case: Case) -> Placement:
        return cls(case.id, case.gemeente_id, case.kantoor_id)


async def stream_into_vault(
    vault: Vault,
    user: User,
    place: Placement,
    *,
    doc_type: StrEnum,
    document_date: date,
    filename: str,
    chunks: AsyncIterator[bytes],
    max_bytes: int,
) -> Document:
    """Stream one upload into the vault; return its Document row, not yet added to the session (the caller adds
    it, or removes the blob: several files of one upload are added together when all are in). ``doc_type`` is a
    checked kind: a DocumentType for a case, hub.orgdocs' OrgDocKind for an organisation document.

    The name is checked before the first byte of ``chunks`` is read. Raises an UploadRefused for anything the
    uploader can fix or should know; anything else is a server error. In every failing case nothing stays behind.
    """
    name = clean_filename(filename)
    if not name:
        raise NoFile()
    try:
        expected = kind_for_filename(name)
    except SniffError as exc:
        raise FileTypeRefused(exc.reason, exc.message) from None
    blobs = vault.blobs
    try:
        scan: ScanSession = await vault.scanner.session()
    except ScanTimedOut:
        raise ScannerTimedOut() from None
    except ScanUnavailable:
        raise ScannerUnavailable("scanner unreachable") from None

    document_id = new_id()
    data_key = generate_data_key()
    encryptor = StreamEncryptor(data_key, document_id, REVISION)
    sniffer = ContentSniffer(expected, extension_of(name))
    digest = hashlib.sha256()
    writer = None
    committed = False
    try:
        writer = await blobs.open_writer()
        await writer.write(encryptor.header())
        size = 0
        async for piece in chunks:
            if not piece:
                continue
            size += len(piece)
            if size > max_bytes:
                raise FileTooLarge(max_bytes)
            if sniffer.inflating:  # an archive: up to a few ms of inflating per piece, in a thread
                await asyncio.to_thread(sniffer.feed, piece)
            else:
                sniffer.feed(piece)
            # Sent first: clamd (another process) reads this piece while we hash, encrypt and write it.
            await scan.feed(piece)
            digest.update(piece)
            sealed = encryptor.update(piece)
            if sealed:
                await writer.write(sealed)
        # The scanner's verdict comes before the type's: a small infected file is reported as infected.
        verdict = await scan.verdict()
        if not verdict.clean:
            log.warning("upload to case %s by user %s refused: %s", place.case_id or "-", user.id, verdict.signature)
            raise FileInfected(verdict.signature)
        vault.scanned = verdict.scanned
        kind = sniffer.finish()
        await writer.write(encryptor.finalize())
        await writer.commit()
        committed = True
        keyring = vault.keyring
        document = Document(
            id=document_id,
            case_id=place.case_id,
            gemeente_id=place.gemeente_id,
            kantoor_id=place.kantoor_id,
            revision=REVISION,
            doc_type=str(doc_type),
            document_date=document_date,
            uploaded_by=user.id,
            uploaded_at=utcnow(),
            size=size,
            content_type=kind.content_type,
            filename=encrypt_field(keyring, name, context=DOCUMENT_FILENAME.context(document_id)),
            sha256=encrypt_field(keyring, digest.digest(), context=DOCUMENT_SHA256.context(document_id)),
            wrapped_key=keyring.wrap(data_key, associated_data=DOCUMENT_KEY.associated_data(document_id)),
            blob_name=writer.name,
        )
        return document
    except BaseException as exc:
        await scan.abort()
        if writer is not None:
            await writer.abort()
            if committed:
                with contextlib.suppress(Exception):
                    await blobs.delete(writer.name)
        if isinstance(exc, SniffError):
            raise FileTypeRefused(exc.reason, exc.message) from None
        if isinstance(exc, ScanTooLarge):
            raise ScannerLimitExceeded() from None
        if isinstance(exc, ScanTimedOut):
            raise ScannerTimedOut() from None
        if isinstance(exc, ScanUnavailable):
            raise ScannerUnavailable("scanner failed") from None
        raise
