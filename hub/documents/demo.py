"""Demo documents: a few small, obviously fictional files on the demo cases, stored through DocumentService.store,
so they are sniffed, encrypted and audited exactly like an upload from the browser.

The files are made here (a one-page PDF, a small PNG "scan") instead of shipped, so the repository holds no binary
samples and every demo gets fresh blobs under fresh keys.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts.models import User
from hub.cases.models import Case
from hub.cases.records import local_today
from hub.documents.blobstore import BlobStore
from hub.documents.models import DOCUMENT_TYPE_LABELS, Document, DocumentType
from hub.documents.services import DocumentService

DEMO_MAX_BYTES = 1024 * 1024


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF showing ``title`` and ``lines`` (ASCII only; Helvetica)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = ["BT /F1 16 Tf 56 780 Td (" + escape(title) + ") Tj ET"]
    for i, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {748 - 16 * i} Td (" + escape(line) + ") Tj ET")
    stream = "\n".join(text).encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def demo_png(width: int = 120, height: int = 80) -> bytes:
    """A small greyscale PNG: a pale page with darker "lines of text", like a scanned nota."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        ink = y % 10 in (3, 4) and 8 <= y < height - 8
        rows += bytes(90 if ink and 10 <= x < width - 10 - (y * 7) % 40 else 235 for x in range(width))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _samples(case: Case, index: int) -> list[tuple[DocumentType, date, str, bytes]]:
    """What a bewindvoerder typically sends on a case: the beschikking always, kosten and a CAK-nota on some; before the
    court decided (a case still aangemeld), the verzoekschrift sent to the gemeente for its advice (§2.1). A document
    is never dated after today (a case whose bewind started last week has this week's nota)."""
    today = local_today()
    label = DOCUMENT_TYPE_LABELS[DocumentType.BENOEMINGSBESCHIKKING]
    fictional = "Voorbeelddocument van de demo - fictieve gegevens"
    if case.beschikking_date is None or case.bewind_start_date is None:
        return [
            (
                DocumentType.OVERIG,
                case.created_at.date(),
                f"verzoekschrift-{case.reference}.pdf",
                demo_pdf("Verzoekschrift onderbewindstelling", [fictional, f"Dossier {case.reference}"]),
            )
        ]
    samples = [
        (
            DocumentType.BENOEMINGSBESCHIKKING,
            case.beschikking_date,
            f"benoemingsbeschikking-{case.reference}.pdf",
            demo_pdf(label, [fictional, f"Dossier {case.reference}", f"Datum beschikking {case.beschikking_date}"]),
        )
    ]
    if index % 2 == 0:
        samples.append(
            (
                DocumentType.NOTA_PERIODIEKE_KOSTEN,
                min(case.bewind_start_date + timedelta(days=30), today),
                "nota-periodieke-kosten.pdf",
                demo_pdf("Nota periodieke kosten", [fictional, "Beloning bewindvoerder volgens het Besluit"]),
            )
        )
    if index % 3 == 0:
        cak_date = min(case.bewind_start_date + timedelta(days=45), today)
        samples.append((DocumentType.CAK_NOTA, cak_date, "cak-nota.png", demo_png()))
    return samples


async def bijstand_evidence(
    db: AsyncSession, keyring: Keyring, blobs: BlobStore, user: User, case: Case, day: date
) -> dict[str, str]:
    """The evidence of a demo aanvraag bijzondere bijstand (benoemingsbeschikking, nota periodieke kosten), uploaded
    on the case by ``user`` and dated no later than ``day``; document ids by checklist item."""
    service = DocumentService(db, keyring, blobs)
    fictional = "Voorbeelddocument van de demo - fictieve gegevens"
    found: dict[str, str] = {}
    for doc_type, filename in (
        (DocumentType.BENOEMINGSBESCHIKKING, f"benoemingsbeschikking-{case.reference}.pdf"),
        (DocumentType.NOTA_PERIODIEKE_KOSTEN, "nota-periodieke-kosten.pdf"),
    ):
        content = demo_pdf(DOCUMENT_TYPE_LABELS[doc_type], [fictional, f"Dossier {case.reference}"])
        document = await service.store(
            user, case, doc_type=doc_type.value, document_date=min(case.beschikking_date or day, day),
            filename=filename, chunks=_once(content), max_bytes=DEMO_MAX_BYTES,
        )  # fmt: skip
        found[doc_type.value] = document.id
    return found


async def seed_documents(db: AsyncSession, keyring: Keyring, blobs: BlobStore) -> int:
    """Upload the sample documents on every running demo case as its bewindvoerder (a type the case has already, as
    the evidence of its bijstand application, is not uploaded again); returns how many were stored."""
    service = DocumentService(db, keyring, blobs)
    cases = list((await db.execute(select(Case).order_by(col(Case.created_at), col(Case.reference)))).scalars())
    stored = 0
    for index, case in enumerate(cases):
        uploader = await db.get(User, case.bewindvoerder_id) if case.bewindvoerder_id else None
        if uploader is None or case.ended:  # an ended case is read-only (it keeps its evidence from before the end)
            continue
        types = await db.execute(select(col(Document.doc_type)).where(col(Document.case_id) == case.id))
        present = set(types.scalars())
        for doc_type, document_date, filename, content in _samples(case, index):
            if doc_type.value in present:
                continue
            await service.store(
                uploader,
                case,
                doc_type=doc_type,
                document_date=document_date,
                filename=filename,
                chunks=_once(content),
                max_bytes=DEMO_MAX_BYTES,
            )
            stored += 1
    return stored
