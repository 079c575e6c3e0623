"""Archive checks inflate the entries under hard caps: a zip whose headers and central directory lie about the
uncompressed sizes (a bomb that looks harmless on paper) is refused, on its own and through the upload form."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from typing import Any

import pytest

from hub.documents import sniff
from hub.documents.sniff import DOCX, ODT, ContentSniffer, SniffError, inspect_zip_tail
from tests.documents.conftest import Vault, docx_bytes, odt_bytes, post_upload

_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5HII")


def forge_sizes(data: bytes, uncompressed: dict[str, int]) -> bytes:
    """Rewrite the declared uncompressed size of the named entries, in the local headers AND the central
    directory, so that the declared sizes agree with each other and only the data tells the truth."""
    out = bytearray(data)
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        if info.filename not in uncompressed:
            continue
        struct.pack_into("<I", out, info.header_offset + 22, uncompressed[info.filename])  # local: usize
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        fields = _CENTRAL.unpack_from(out, pos)
        name = bytes(out[pos + _CENTRAL.size : pos + _CENTRAL.size + fields[10]]).decode()
        if name in uncompressed:
            struct.pack_into("<I", out, pos + 24, uncompressed[name])  # central: usize
        pos = out.find(b"PK\x01\x02", pos + _CENTRAL.size)
    return bytes(out)


def forged_bomb(mib: int = 64) -> bytes:
    """A DOCX-like zip holding ``mib`` MiB of zeros (about 1000:1), whose headers and directory declare only twice
    the compressed size: on paper an ordinary document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        with zf.open("word/document.xml", "w") as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(mib):
                entry.write(block)
    data = buffer.getvalue()
    compressed = zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").compress_size
    return forge_sizes(data, {"word/document.xml": compressed * 2})


def sniff_all(data: bytes, name: str = "brief.docx", piece: int = 64 * 1024) -> Any:
    sniffer = ContentSniffer(DOCX if name.endswith(".docx") else ODT, "." + name.rsplit(".", 1)[1])
    for start in range(0, len(data), piece):
        sniffer.feed(data[start : start + piece])
    return sniffer.finish()


def test_the_forged_bomb_passes_the_directory_check_alone() -> None:
    """What the hub trusted before: the declared sizes say "harmless"."""
    data = forged_bomb()
    summary = inspect_zip_tail(data, len(data))
    assert summary.total_uncompressed < len(data) * 3


def test_a_bomb_with_forged_sizes_is_refused_while_it_streams() -> None:
    data = forged_bomb()
    sniffer = ContentSniffer(DOCX, ".docx")
    with pytest.raises(SniffError) as info:
        for start in range(0, len(data), 4096):
            sniffer.feed(data[start : start + 4096])
        sniffer.finish()
    assert info.value.reason == "compression ratio too high"
    assert "zip-bom" in info.value.message
    assert sniffer.size < len(data)  # refused before the end of the file


def test_the_total_output_has_a_hard_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry that stays under the ratio (about 4:1) but inflates past the cap (lowered here to 1 MiB), with its
    size forged small: refused while it inflates, before its end."""
    monkeypatch.setattr(sniff, "MAX_TOTAL_UNCOMPRESSED", 1024 * 1024)
    letters = bytes(b"ACGT"[i & 3] for i in range(256))
    parts = [("word/big.xml", os.urandom(3 * 1024 * 1024).translate(letters))]
    data = forge_sizes(docx_bytes(parts), {"word/big.xml": 10})
    with pytest.raises(SniffError) as info:
        sniff_all(data)
    assert info.value.reason == "too much uncompressed data"


def test_sizes_that_do_not_match_the_data_are_refused() -> None:
    """No bomb, just a lie: the declared size differs from what the entry inflates to."""
    data = forge_sizes(docx_bytes(), {"word/document.xml": 5})
    with pytest.raises(SniffError) as info:
        sniff_all(data)
    assert info.value.reason == "declared sizes do not match the data"


def test_a_directory_that_under_declares_is_refused() -> None:
    """Local headers honest, only the central directory lies."""
    data = bytearray(docx_bytes([("word/media/a.bin", os.urandom(100_000))]))
    pos = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, pos + 24, 1000)
    with pytest.raises(SniffError) as info:
        sniff_all(bytes(data))
    assert info.value.reason == "declared sizes do not match the data"


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += b
        return len(b)


def test_entries_with_data_descriptors_are_inflated_and_accepted() -> None:
    """A zip written as a stream (sizes in a data descriptor after each entry), as some office suites do."""
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in (
            ("[Content_Types].xml", b"<Types/>" * 100),
            ("word/document.xml", b"<w:p>Hallo</w:p>" * 3000),
            ("word/media/a.bin", os.urandom(300_000)),
        ):
            with zf.open(name, "w") as entry:
                entry.write(content)
    data = bytes(sink.data)
    assert b"PK\x07\x08" in data
    for piece in (1, 1000, 1 << 20):
        assert sniff_all(data, piece=piece) is DOCX
    assert sniff_all(odt_bytes(), "brief.odt") is ODT


async def test_the_upload_form_refuses_the_forged_bomb(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    response = await post_upload(bea, vault_sqlite.case.id, "brief.docx", forged_bomb())
    assert response.status_code == 400, response.text
    assert "mogelijk een zip-bom" in response.text
    assert "Document niet opgeslagen" in response.text
    await vault_sqlite.assert_nothing_kept()
