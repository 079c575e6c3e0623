"""The central directory must name exactly the entries the streaming walk inflated: a bomb hidden inside another
entry's data, or behind a fake directory record, is never inflated by the walk but would be by a reader that trusts
the directory (Word, LibreOffice, unzip). Both are refused."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from hub.documents.sniff import DOCX, ContentSniffer, SniffError

BOMB_SIZE = 64 * 1024 * 1024  # zeros: about 64 KB deflated


def _local(name: bytes, method: int, crc: int, csize: int, usize: int) -> bytes:
    return struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, csize, usize, len(name), 0) + name


def _central(name: bytes, method: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return (
        struct.pack(
            "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, csize, usize, len(name), 0, 0, 0, 0, 0, offset
        )
        + name
    )


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _end(entries: int, cd: bytes, cd_offset: int) -> bytes:
    return struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, entries, entries, len(cd), cd_offset, 0)


class Archive:
    def __init__(self) -> None:
        self.data = bytearray()
        self.cd = bytearray()
        self.count = 0

    def add(self, name: bytes, content: bytes) -> None:
        offset, packed, crc = len(self.data), _deflate(content), zlib.crc32(content)
        self.data += _local(name, 8, crc, len(packed), len(content)) + packed
        self.cd += _central(name, 8, crc, len(packed), len(content), offset)
        self.count += 1

    def close(self) -> bytes:
        cd_offset = len(self.data)
        return bytes(self.data + self.cd + _end(self.count, bytes(self.cd), cd_offset))


def _sniff(data: bytes) -> object:
    sniffer = ContentSniffer(DOCX, "docx")
    for i in range(0, len(data), 64 * 1024):
        sniffer.feed(data[i : i + 64 * 1024])
    return sniffer.finish()


def _bomb_entry(name: bytes) -> tuple[bytes, int, int]:
    zeros = bytes(BOMB_SIZE)
    packed = _deflate(zeros)
    return _local(name, 8, zlib.crc32(zeros), len(packed), BOMB_SIZE) + packed, zlib.crc32(zeros), len(packed)


def test_a_bomb_hidden_inside_another_entrys_data_is_refused() -> None:
    archive = Archive()
    archive.add(b"[Content_Types].xml", b"<Types/>" * 10)
    archive.add(b"word/document.xml", b"<w:document/>" * 10)
    hidden, bomb_crc, bomb_csize = _bomb_entry(b"word/bomb.xml")
    pad_offset = len(archive.data)
    archive.data += _local(b"pad", 0, zlib.crc32(hidden), len(hidden), len(hidden)) + hidden  # stored: not inflated
    # The directory names the hidden entry (declaring the size the walk counted for "pad"), not "pad".
    archive.cd += _central(b"word/bomb.xml", 8, bomb_crc, bomb_csize, len(hidden), pad_offset + 30 + 3)
    archive.count += 1
    data = archive.close()
    # The entry the directory points at is a real deflate stream of 64 MiB, which the walk never inflated.
    start = pad_offset + 30 + 3 + 30 + len(b"word/bomb.xml")
    assert len(zlib.decompressobj(-15).decompress(data[start : start + bomb_csize])) == BOMB_SIZE
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # and a reader that trusts the directory lists it
        assert "word/bomb.xml" in z.namelist()
    with pytest.raises(SniffError):
        _sniff(data)


def test_a_bomb_behind_a_fake_directory_record_is_refused() -> None:
    archive = Archive()
    archive.add(b"[Content_Types].xml", b"<Types/>" * 10)
    archive.add(b"word/document.xml", b"<w:document/>" * 10)
    archive.data += b"PK\x01\x02" + bytes(42)  # looks like the directory starts: a walk that trusts it stops here
    hidden, bomb_crc, bomb_csize = _bomb_entry(b"word/bomb.xml")
    offset = len(archive.data)
    archive.data += hidden
    archive.cd += _central(b"word/bomb.xml", 8, bomb_crc, bomb_csize, BOMB_SIZE, offset)
    archive.count += 1
    with pytest.raises(SniffError):
        _sniff(archive.close())


def test_an_honest_archive_built_the_same_way_passes() -> None:
    archive = Archive()
    archive.add(b"[Content_Types].xml", b"<Types/>" * 10)
    archive.add(b"word/document.xml", b"<w:document/>" * 10)
    assert _sniff(archive.close()) is DOCX
