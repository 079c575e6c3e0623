"""Downloads stream in one pass, each chunk authenticated before it is released (on both blob stores):

- damage that shows before the first byte (header, key commitment, first chunk, a blob cut to its header, missing,
  swapped, a key that does not unwrap) gives an error page and no download record;
- damage further on breaks the body off before the bad chunk: never a forged byte, and a real HTTP client (against
  uvicorn) sees a failed download, not a complete body;
- one byte range is served as 206 with Content-Range (416 when it cannot be), decrypting only the chunks it touches.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx
import pytest

from crypto import DEFAULT_CHUNK_SIZE, header_size
from hub.documents.blobstore import BATCH_SIZE
from hub.documents.download import ByteRange, DocumentBroken, RangeNotSatisfiable, parse_range
from hub.documents.models import Document
from hub.documents.views import content_disposition
from tests.documents.conftest import Vault, pdf_bytes
from tests.support.browser import serve_in_thread

UNAVAILABLE = "Dit document kan niet worden geopend: de opgeslagen versie is beschadigd of onvolledig."
CHUNK = DEFAULT_CHUNK_SIZE + 16  # a sealed chunk: plaintext and tag
Damage = Callable[[bytes, Document], bytes]


def flip(offset_of: Callable[[Document, int], int]) -> Damage:
    def damage(blob: bytes, document: Document) -> bytes:
        data = bytearray(blob)
        data[offset_of(document, len(data))] ^= 0x01
        return bytes(data)

    return damage


def cut(keep: Callable[[Document, int], int]) -> Damage:
    return lambda blob, document: blob[: keep(document, len(blob))]


AT_THE_START: dict[str, Damage] = {
    "flip a byte in the header": flip(lambda d, n: 10),
    "flip a byte in the key commitment": flip(lambda d, n: header_size(d.id) - 5),
    "flip a byte in the first chunk": flip(lambda d, n: header_size(d.id) + 100),
    "truncate to the header": cut(lambda d, n: header_size(d.id)),
    "empty blob": cut(lambda d, n: 0),
}
FURTHER_ON: dict[str, Damage] = {  # on a document of several blocks of the store, so the first ones go out
    "flip a byte in the middle": flip(lambda d, n: n // 2),
    "flip a byte in the last tag": flip(lambda d, n: n - 1),
    "truncate by one byte": cut(lambda d, n: n - 1),
    "truncate at a chunk boundary": cut(lambda d, n: header_size(d.id) + 40 * CHUNK),
    "extend by a chunk": lambda blob, d: blob + os.urandom(CHUNK),
}


async def _upload(vault: Vault, data: bytes, name: str = "a.pdf") -> tuple[httpx.AsyncClient, Document]:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    return bea, await vault.upload_ok(bea, name, data)


def _url(document: Document) -> str:
    return f"/documenten/{document.id}/downloaden"


async def test_a_whole_download_has_its_length_and_every_byte(vault_sqlite: Vault) -> None:
    data = pdf_bytes(3 * BATCH_SIZE + 12345)
    bea, document = await _upload(vault_sqlite, data)
    response = await bea.get(_url(document))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == data
    assert ("document.download", document.id) in await vault_sqlite.audit_actions()


@pytest.mark.parametrize("damage", list(AT_THE_START))
async def test_damage_at_the_start_gives_an_error_page(vault_sqlite: Vault, damage: str) -> None:
    data = pdf_bytes(6 * DEFAULT_CHUNK_SIZE + 1000)
    bea, document = await _upload(vault_sqlite, data)
    await vault_sqlite.write_blob(document, AT_THE_START[damage](await vault_sqlite.read_blob(document), document))

    response = await bea.get(_url(document))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in response.headers
    assert UNAVAILABLE in response.text
    assert data[20:84] not in response.content  # not a byte of the document
    # Nothing was handed out, so no download is recorded.
    assert ("document.download", document.id) not in await vault_sqlite.audit_actions()


@pytest.mark.parametrize("damage", list(FURTHER_ON))
async def test_damage_further_on_breaks_the_stream_off_before_the_bad_chunk(vault_sqlite: Vault, damage: str) -> None:
    data = pdf_bytes(3 * BATCH_SIZE)
    _, document = await _upload(vault_sqlite, data)
    await vault_sqlite.write_blob(document, FURTHER_ON[damage](await vault_sqlite.read_blob(document), document))
    async with vault_sqlite.hub.db() as db:
        service = await vault_sqlite.service(db)
        stream = service.stream(await service.prepare_download(vault_sqlite.bewindvoerder, document.id))
    await stream.start()
    received = bytearray()
    with pytest.raises(DocumentBroken):
        async for piece in stream.body():
            received += piece
    assert data.startswith(bytes(received))  # authentic bytes only ...
    assert len(received) < len(data)  # ... and never all of them: the client cannot take it for whole


async def test_swapped_missing_and_unreadable_blobs_give_an_error_page(vault_sqlite: Vault) -> None:
    bea, first = await _upload(vault_sqlite, pdf_bytes(200_000), "een.pdf")
    _, second = await _upload(vault_sqlite, pdf_bytes(200_000), "twee.pdf")
    one, two = await vault_sqlite.read_blob(first), await vault_sqlite.read_blob(second)
    await vault_sqlite.write_blob(first, two)
    await vault_sqlite.write_blob(second, one)
    for document in (first, second):
        response = await bea.get(_url(document))
        assert response.status_code == 500 and UNAVAILABLE in response.text
    _, gone = await _upload(vault_sqlite, pdf_bytes(), "weg.pdf")
    await vault_sqlite.store.delete(gone.blob_name)
    assert (await bea.get(_url(gone))).status_code == 500
    assert (await bea.get(_url(gone), headers={"Range": "bytes=10-20"})).status_code == 500
    _, moved = await _upload(vault_sqlite, pdf_bytes(), "sleutel.pdf")
    async with vault_sqlite.hub.db() as db:
        row = await db.get(Document, moved.id)
        assert row is not None
        row.wrapped_key = gone.wrapped_key  # another document's data key does not unwrap for this one
        db.add(row)
    response = await bea.get(_url(moved))
    assert response.status_code == 500 and UNAVAILABLE in response.text


# -- ranges --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-10", ByteRange(990, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("bytes=5-4", None),  # invalid: ignored
        ("bytes=0-1,5-6", None),  # several ranges: the whole document
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


async def test_ranges_are_served_as_206_and_decrypt_only_the_chunks_they_touch(vault_sqlite: Vault) -> None:
    data = pdf_bytes(20 * DEFAULT_CHUNK_SIZE + 755)  # 21 chunks, the last one of 777 bytes
    size = len(data)
    assert size % DEFAULT_CHUNK_SIZE == 777
    bea, document = await _upload(vault_sqlite, data)
    c = DEFAULT_CHUNK_SIZE
    for start, end in [(0, 0), (5, 70_000), (c - 1, c), (3 * c, 4 * c - 1), (size - 777, size - 1), (c + 3, size - 1)]:
        response = await bea.get(_url(document), headers={"Range": f"bytes={start}-{end}"})
        assert response.status_code == 206, (start, end)
        assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert response.headers["content-length"] == str(end - start + 1)
        assert response.content == data[start : end + 1]
    response = await bea.get(_url(document), headers={"Range": "bytes=-100"})
    assert response.status_code == 206 and response.content == data[-100:]
    response = await bea.get(_url(document), headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}" and response.content == b""

    # Damage chunk 10: ranges elsewhere are still served (only their chunks are read); one over it is refused.
    await vault_sqlite.write_blob(document, flip(lambda d, n: header_size(d.id) + 10 * CHUNK + 3)(
        await vault_sqlite.read_blob(document), document
    ))  # fmt: skip
    ok = await bea.get(_url(document), headers={"Range": f"bytes={2 * c}-{3 * c + 5}"})
    assert ok.status_code == 206 and ok.content == data[2 * c : 3 * c + 6]
    ok = await bea.get(_url(document), headers={"Range": f"bytes={15 * c}-"})
    assert ok.status_code == 206 and ok.content == data[15 * c :]
    bad = await bea.get(_url(document), headers={"Range": f"bytes={10 * c + 5}-{10 * c + 9}"})
    assert bad.status_code == 500 and UNAVAILABLE in bad.text


async def test_a_real_client_sees_a_tampered_download_fail(vault_sqlite: Vault) -> None:
    """Against uvicorn, as a browser or curl would fetch it: Content-Length first, then the body; a chunk that fails
    half-way resets the connection, and the client raises instead of returning a shorter body as complete."""
    data = pdf_bytes(3 * BATCH_SIZE)
    bea, document = await _upload(vault_sqlite, data)
    good = await vault_sqlite.upload_ok(bea, "goed.pdf", data)
    blob = await vault_sqlite.read_blob(document)
    await vault_sqlite.write_blob(document, flip(lambda d, n: n // 2)(blob, document))
    cookie_name = vault_sqlite.hub.app.state.site.cookies.session_name
    cookies = {cookie_name: bea.cookies.get(cookie_name) or ""}
    with serve_in_thread(vault_sqlite.hub.settings) as base:
        async with httpx.AsyncClient(base_url=base, cookies=cookies) as client:
            whole = await client.get(_url(good))
            assert whole.status_code == 200 and whole.content == data
            assert whole.headers["content-length"] == str(len(data))
            received = bytearray()
            with pytest.raises(httpx.RemoteProtocolError):
                async with client.stream("GET", _url(document)) as response:
                    assert response.status_code == 200
                    assert response.headers["content-length"] == str(len(data))
                    async for piece in response.aiter_raw():
                        received += piece
            assert 0 < len(received) < len(data) and data.startswith(bytes(received))


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
