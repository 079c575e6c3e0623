"""The content decides the type: magic bytes, the name's extension, and the zip directory read from a bounded tail."""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from hub.documents.sniff import (
    DOCX,
    JPEG,
    NOT_ALLOWED,
    ODT,
    PDF,
    PNG,
    TIFF,
    ContentSniffer,
    FileKind,
    SniffError,
    clean_filename,
    extension_of,
    inspect_zip_tail,
    kind_for_filename,
)
from tests.documents.conftest import docx_bytes, executable_bytes, odt_bytes, pdf_bytes, png_bytes, zip_bomb_docx


def sniff(data: bytes, filename: str, *, piece: int = 4096, tail_size: int | None = None) -> FileKind:
    expected = kind_for_filename(filename)
    sniffer = (
        ContentSniffer(expected, extension_of(filename))
        if tail_size is None
        else ContentSniffer(expected, extension_of(filename), tail_size=tail_size)
    )
    for start in range(0, len(data), piece):
        sniffer.feed(data[start : start + piece])
    return sniffer.finish()


def refused(data: bytes, filename: str, **kw: int) -> SniffError:
    with pytest.raises(SniffError) as info:
        sniff(data, filename, **kw)
    return info.value


# -- allowed types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (pdf_bytes(3000), "a.pdf", PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2000), "foto.JPG", JPEG),
        (b"\xff\xd8\xff\xe1" + bytes(100), "foto.jpeg", JPEG),
        (png_bytes(), "scan.png", PNG),
        (b"II*\x00" + bytes(600), "scan.tif", TIFF),
        (b"MM\x00*" + bytes(600), "scan.tiff", TIFF),
        (docx_bytes(), "brief.docx", DOCX),
        (odt_bytes(), "brief.odt", ODT),
        (b"%PDF-1.4", "tiny.pdf", PDF),  # smaller than the head
    ],
)
@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_allowed_types_by_content(data: bytes, name: str, kind: FileKind, piece: int) -> None:
    if piece == 1 and len(data) > 10_000:
        pytest.skip("byte-by-byte only for the small samples")
    assert sniff(data, name, piece=piece) is kind


def test_docx_with_many_parts_and_a_comment() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for i in range(500):
            zf.writestr(f"word/media/part{i}.xml", f"<x>{i}</x>" * 20)
        zf.comment = b"made by a test" * 100
    assert sniff(buffer.getvalue(), "groot.docx") is DOCX


# -- refused types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        executable_bytes(),  # Windows PE
        b"\x7fELF\x02\x01\x01" + bytes(1000),  # Linux ELF
        b"#!/bin/sh\nrm -rf /\n",
        b"<html><script>alert(1)</script></html>",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000),  # OLE2: .doc, or a password-protected .docx
        b" %PDF-1.4 leading space",
        b"GIF89a" + bytes(100),
    ],
)
def test_other_content_is_refused_even_when_named_pdf(data: bytes) -> None:
    error = refused(data, "rapport.pdf")
    assert error.reason == "type"
    assert error.message == NOT_ALLOWED == "Alleen PDF, JPEG, PNG, TIFF, DOCX en ODT zijn toegestaan."


def test_executable_is_refused_at_the_head_without_reading_further() -> None:
    sniffer = ContentSniffer(PDF, ".pdf")
    with pytest.raises(SniffError):
        sniffer.feed(executable_bytes())  # the first piece already decides
    assert sniffer.size < 10_000


@pytest.mark.parametrize("name", ["virus.exe", "geen-extensie", "brief.doc", "a.pdf.exe", "script.js", ".pdf"])
def test_names_with_other_extensions_are_refused(name: str) -> None:
    with pytest.raises(SniffError) as info:
        kind_for_filename(clean_filename(name))
    assert info.value.message == NOT_ALLOWED


@pytest.mark.parametrize(
    ("data", "name", "detected"),
    [
        (png_bytes(), "scan.pdf", "PNG"),
        (pdf_bytes(1000), "scan.png", "PDF"),
        (docx_bytes(), "brief.pdf", "DOCX"),
        (odt_bytes(), "brief.docx", "ODT"),
        (b"II*\x00" + bytes(600), "scan.jpg", "TIFF"),
    ],
)
def test_extension_must_match_the_content(data: bytes, name: str, detected: str) -> None:
    error = refused(data, name)
    assert error.reason == "extension"
    assert f"maar de inhoud is {detected}" in error.message


def test_a_zip_that_is_no_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("setup.exe", b"MZ" + bytes(100))
    assert refused(buffer.getvalue(), "brief.docx").message == NOT_ALLOWED
    assert refused(buffer.getvalue(), "brief.odt").message == NOT_ALLOWED


def test_odt_needs_the_mimetype_entry_first_and_stored() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")  # compressed: not ODF
        zf.writestr("content.xml", "<x/>")
    assert refused(buffer.getvalue(), "brief.odt").reason == "type"
    spreadsheet = odt_bytes().replace(b"opendocument.text", b"opendocument.sheet")
    assert refused(spreadsheet, "brief.odt").reason == "type"


def test_empty_file_is_refused() -> None:
    assert refused(b"", "leeg.pdf").message == "Het bestand is leeg."


# -- zip bombs and malformed archives ----------------------------------------------------------------------------


def test_zip_bomb_by_ratio_is_refused() -> None:
    error = refused(zip_bomb_docx(20), "bom.docx")
    assert error.reason == "compression ratio too high"
    assert "zip-bom" in error.message


def test_small_entries_may_compress_well() -> None:
    assert sniff(docx_bytes([("word/styles.xml", b"<s/>" * 5000)]), "ok.docx") is DOCX


def _craft_zip(entries: list[tuple[str, int, int]], *, comment: bytes = b"") -> bytes:
    """A zip whose central directory declares the given (name, compressed, uncompressed) sizes; the local data is
    random bytes of the compressed size (the sniffer reads only the directory)."""
    out = bytearray()
    central = bytearray()
    for name, csize, usize in entries:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, csize, usize, len(raw), 0) + raw
        out += bytes(csize)
        central += struct.pack(
            "<4s6H3I5HII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, 0, csize, usize, len(raw), 0, 0, 0, 0, 0, offset
        )
        central += raw
    cd_offset = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), cd_offset,
                       len(comment)) + comment  # fmt: skip
    return bytes(out)


def test_declared_total_over_one_gib_is_refused() -> None:
    # Each entry inflates "only" 99 times, but together they would make 1.2 GiB: refused on the directory alone.
    entries = [("[Content_Types].xml", 100, 200), *((f"word/p{i}.xml", 4_000_000, 396_000_000) for i in range(3))]
    data = _craft_zip(entries)
    with pytest.raises(SniffError) as info:
        inspect_zip_tail(data, len(data))
    assert info.value.reason == "too much uncompressed data"
    fine = [("[Content_Types].xml", 100, 200), ("word/document.xml", 4_000_000, 396_000_000)]
    data = _craft_zip(fine)
    assert inspect_zip_tail(data, len(data)).total_uncompressed == 396_000_200
    # The directory is not the last word: these entries hold no deflate data, which the inflating check finds.
    assert refused(data, "groot.docx").reason == "damaged deflate data"


def test_more_than_ten_thousand_entries_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for i in range(10_000):
            zf.writestr(f"word/{i}", b"")
    assert refused(buffer.getvalue(), "veel.docx").reason == "too many entries"


def test_central_directory_must_fit_in_the_tail() -> None:
    data = docx_bytes([(f"word/part{i}.xml", b"x") for i in range(50)])
    assert sniff(data, "a.docx") is DOCX
    assert refused(data, "a.docx", tail_size=512).reason == "central directory does not fit in the tail"


def test_the_tail_stays_bounded() -> None:
    sniffer = ContentSniffer(DOCX, ".docx", tail_size=1024)
    data = docx_bytes([("word/media/big.bin", os.urandom(1_000_000))])
    for start in range(0, len(data), 100):
        sniffer.feed(data[start : start + 100])
        assert len(sniffer._tail) <= 2 * 1024 + 100
    assert sniffer.finish() is DOCX


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d + b"trailing junk", "no end-of-central-directory record at the end"),
        (lambda d: d[:-5], "no end-of-central-directory record at the end"),
        (lambda d: d.replace(b"PK\x01\x02", b"PK\x01\x03", 1), "bad central directory entry"),
    ],
)
def test_malformed_archives_are_refused(mutate: object, reason: str) -> None:
    assert callable(mutate)
    assert refused(mutate(docx_bytes()), "x.docx").reason == reason


def test_encrypted_and_exotic_entries_are_refused() -> None:
    data = bytearray(docx_bytes())
    at = data.find(b"PK\x01\x02")
    encrypted = bytearray(data)
    encrypted[at + 8] |= 0x01  # general purpose flag: encrypted
    assert refused(bytes(encrypted), "x.docx").reason == "encrypted entry"
    bzip2 = bytearray(data)
    bzip2[at + 10 : at + 12] = (12).to_bytes(2, "little")
    assert refused(bytes(bzip2), "x.docx").reason == "unusual compression method"


def test_zip64_records_and_extra_fields_are_understood(monkeypatch: pytest.MonkeyPatch) -> None:
    # Make the stdlib write zip64 end records and zip64 size fields for small files.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 16)
    data = docx_bytes([("word/media/a.bin", os.urandom(2560))])
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    summary = inspect_zip_tail(data, len(data))
    assert summary.entries == 4 and summary.has_content_types and summary.has_word_part
    assert summary.total_uncompressed == sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())


def test_offsets_are_absolute_when_only_the_tail_is_kept() -> None:
    data = docx_bytes([("word/media/big.bin", os.urandom(2_000_000))])  # 2 MB in front of the directory
    tail = data[-4096:]
    summary = inspect_zip_tail(tail, len(data))
    assert summary.first_entry == b"[Content_Types].xml"


# -- names -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\bea\\Documenten\\beschikking.pdf", "beschikking.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("nota\u202egnp.pdf", "notagnp.pdf"),  # a right-to-left override cannot disguise the extension
        ("naam\r\nmet regels.pdf", "naammet regels.pdf"),
        ("  café-rekening  .pdf ", "café-rekening  .pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),
        ("...", ""),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = clean_filename("x" * 500 + ".docx")
    assert len(name) == 200 and name.endswith(".docx")
