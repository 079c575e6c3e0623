"""A damaged blob gives an error page, never damaged or partial content."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto import DEFAULT_CHUNK_SIZE, header_size
from hub.documents.models import Document
from hub.documents.services import DocumentUnavailable
from hub.documents.views import content_disposition
from tests.documents.conftest import Vault, pdf_bytes

UNAVAILABLE = "Dit document kan niet worden geopend: de opgeslagen versie is beschadigd of onvolledig."
CHUNK = DEFAULT_CHUNK_SIZE + 16  # a sealed chunk: plaintext and tag


def flip(offset_of: Callable[[Document, int], int]) -> Callable[[Path, Document], None]:
    def damage(path: Path, document: Document) -> None:
        data = bytearray(path.read_bytes())
        data[offset_of(document, len(data))] ^= 0x01
        path.write_bytes(bytes(data))

    return damage


def cut(keep: Callable[[Document, int], int]) -> Callable[[Path, Document], None]:
    def damage(path: Path, document: Document) -> None:
        data = path.read_bytes()
        path.write_bytes(data[: keep(document, len(data))])

    return damage


def append(path: Path, document: Document) -> None:
    with path.open("ab") as fh:
        fh.write(os.urandom(CHUNK))


DAMAGE = {
    "flip a byte in the header": flip(lambda d, n: 10),
    "flip a byte in the key commitment": flip(lambda d, n: header_size(d.id) - 5),
    "flip a byte in the middle": flip(lambda d, n: n // 2),
    "flip a byte in the last tag": flip(lambda d, n: n - 1),
    "truncate by one byte": cut(lambda d, n: n - 1),
    "truncate at a chunk boundary": cut(lambda d, n: header_size(d.id) + 3 * CHUNK),
    "truncate to the header": cut(lambda d, n: header_size(d.id)),
    "empty file": cut(lambda d, n: 0),
    "extend by a chunk": append,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_damaged_blob_gives_an_error_page(vault_sqlite: Vault, damage: str) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    data = pdf_bytes(6 * DEFAULT_CHUNK_SIZE + 1000)
    document = await vault_sqlite.upload_ok(bea, "a.pdf", data)
    DAMAGE[damage](vault_sqlite.blob_path(document), document)

    response = await bea.get(f"/documenten/{document.id}/downloaden")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in response.headers
    assert UNAVAILABLE in response.text
    assert data[20:84] not in response.content  # not a byte of the document
    # Nothing was handed out, so no download is recorded.
    assert ("document.download", document.id) not in await vault_sqlite.audit_actions()


async def test_swapped_blobs_do_not_decrypt(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    first = await vault_sqlite.upload_ok(bea, "een.pdf", pdf_bytes(200_000))
    second = await vault_sqlite.upload_ok(bea, "twee.pdf", pdf_bytes(200_000))
    a, b = vault_sqlite.blob_path(first), vault_sqlite.blob_path(second)
    tmp = a.with_name("swap")
    shutil.move(a, tmp)
    shutil.move(b, a)
    shutil.move(tmp, b)
    for document in (first, second):
        response = await bea.get(f"/documenten/{document.id}/downloaden")
        assert response.status_code == 500 and UNAVAILABLE in response.text


async def test_missing_blob_and_unreadable_key(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    gone = await vault_sqlite.upload_ok(bea, "weg.pdf", pdf_bytes())
    vault_sqlite.blob_path(gone).unlink()
    assert (await bea.get(f"/documenten/{gone.id}/downloaden")).status_code == 500
    moved = await vault_sqlite.upload_ok(bea, "sleutel.pdf", pdf_bytes())
    async with vault_sqlite.hub.db() as db:
        row = await db.get(Document, moved.id)
        assert row is not None
        row.wrapped_key = gone.wrapped_key  # another document's data key does not unwrap for this one
        db.add(row)
    response = await bea.get(f"/documenten/{moved.id}/downloaden")
    assert response.status_code == 500 and UNAVAILABLE in response.text


async def test_a_change_after_verification_never_yields_a_forged_byte(vault_sqlite: Vault) -> None:
    """The second pass authenticates every chunk again: a blob changed between the passes stops the stream."""
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    data = pdf_bytes(40 * DEFAULT_CHUNK_SIZE)
    document = await vault_sqlite.upload_ok(bea, "a.pdf", data)
    async with vault_sqlite.hub.db() as db:
        service = await vault_sqlite.service(db)
        prepared = await service.prepare_download(vault_sqlite.bewindvoerder, document.id)
        await service.verify(prepared)
    flip(lambda d, n: header_size(d.id) + 30 * CHUNK + 7)(vault_sqlite.blob_path(document), document)
    received = bytearray()
    with pytest.raises(Exception, match="decryption failed"):
        async for piece in service.plaintext(prepared):
            received += piece
    assert data.startswith(bytes(received))
    assert len(received) < 31 * DEFAULT_CHUNK_SIZE
    with pytest.raises(DocumentUnavailable):
        await service.verify(prepared)


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("nota.pdf", "attachment; filename=\"nota.pdf\"; filename*=UTF-8''nota.pdf"),
        ("Café Noël.pdf", "attachment; filename=\"Cafe Noel.pdf\"; filename*=UTF-8''Caf%C3%A9%20No%C3%ABl.pdf"),
        ('a"b\\c;d.pdf', "attachment; filename=\"a_b_c_d.pdf\"; filename*=UTF-8''a%22b%5Cc%3Bd.pdf"),
        ("проект.docx", "attachment; filename=\"document.docx\"; filename*=UTF-8''"
         "%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82.docx"),
        ("x\r\nSet-Cookie: a=b.pdf", "attachment; filename=\"x__Set-Cookie_ a_b.pdf\"; "
         "filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db.pdf"),
    ],
)  # fmt: skip
def test_content_disposition(name: str, header: str) -> None:
    value = content_disposition(name, ".docx" if name.endswith(".docx") else ".pdf")
    assert value == header
    assert "\r" not in value and "\n" not in value
    assert value.isascii()
