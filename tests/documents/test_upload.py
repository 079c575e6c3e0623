"""Uploading through the app: stored encrypted, refused with a clear Dutch message, and nothing left behind."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from sqlalchemy import select
from starlette.requests import Request

from crypto import decrypt_field, decrypt_text
from hub.documents.services import DocumentService
from hub.errors import NotFound
from hub.fields import DOCUMENT_FILENAME, DOCUMENT_SHA256
from hub.notifications.models import OutboxMail
from tests.documents.conftest import (
    BOUNDARY,
    Vault,
    asgi_post,
    docx_bytes,
    executable_bytes,
    multipart_parts,
    odt_bytes,
    pdf_bytes,
    png_bytes,
    post_upload,
    upload_fields,
    upload_url,
    zip_bomb_docx,
)
from tests.support.clamd import STREAM_MAX_MB, Clamd, eicar
from tests.support.postgres import free_port

NOT_ALLOWED = "Alleen PDF, JPEG, PNG, TIFF, DOCX en ODT zijn toegestaan."


@pytest.fixture(autouse=True)
def never_spool_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    """request.form() spools uploaded files to disk in plain text: the upload path must never call it."""

    def refuse(self: Request, *args: Any, **kwargs: Any) -> Any:
        if self.url.path.endswith("/documenten"):
            raise AssertionError("request.form() used on the upload path")
        return original(self, *args, **kwargs)

    original = Request.form
    monkeypatch.setattr(Request, "form", refuse)


# -- the happy path --------------------------------------------------------------------------------------------


async def test_upload_list_and_download(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    data = pdf_bytes(300_000)
    document = await vault.upload_ok(bea, "Benoemingsbeschikking 2025 — Jansen.pdf", data)

    assert document.case_id == vault.case.id
    assert (document.gemeente_id, document.kantoor_id) == (vault.case.gemeente_id, vault.case.kantoor_id)
    assert document.size == len(data)
    assert document.content_type == "application/pdf"
    assert document.doc_type == "benoemingsbeschikking"
    assert str(document.document_date) == "2026-01-15"
    keyring = vault.hub.runtime.keyring
    assert (
        decrypt_text(keyring, document.filename, context=DOCUMENT_FILENAME.context(document.id))
        == "Benoemingsbeschikking 2025 — Jansen.pdf"
    )
    assert (
        decrypt_field(keyring, document.sha256, context=DOCUMENT_SHA256.context(document.id))
        == hashlib.sha256(data).digest()
    )
    assert b"Jansen" not in document.filename
    assert await vault.stored() == [document.blob_name]

    # The gemeente, the other party, sees it in the list and downloads it.
    karim = await vault.hub.client_for(vault.klantmanager)
    async with vault.hub.db() as db:
        rows = await DocumentService(db, keyring).list_for_case(vault.klantmanager, vault.case)
    assert [(r.filename, r.type_label, r.size_label, r.uploaded_by) for r in rows] == [
        ("Benoemingsbeschikking 2025 — Jansen.pdf", "Benoemingsbeschikking", "293 kB", "Bea Bewind")
    ]
    response = await karim.get(vault.hub.app.url_path_for("documents.download", document_id=rows[0].id))
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Benoemingsbeschikking 2025 _ Jansen.pdf"; '
        "filename*=UTF-8''Benoemingsbeschikking%202025%20%E2%80%94%20Jansen.pdf"
    )
    actions = await vault.audit_actions()
    assert ("document.upload", document.id) in actions
    assert ("document.download", document.id) in actions

    # The other party hears *that* there is a new document (the outbox row carries ids only).
    async with vault.hub.db() as db:
        mails = list((await db.execute(select(OutboxMail).where(OutboxMail.kind == "nieuw_document"))).scalars())
    assert {m.organisation_id for m in mails} == {vault.gemeente.id}
    assert all(m.link_path == f"/dossiers/{vault.case.id}" for m in mails)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.png", png_bytes(), "image/png"),
        ("foto.JPG", b"\xff\xd8\xff\xe0" + os.urandom(3000), "image/jpeg"),
        ("scan.tiff", b"II*\x00" + os.urandom(3000), "image/tiff"),
        ("brief.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("brief.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
    ],
)
async def test_other_allowed_types(vault_sqlite: Vault, name: str, content: bytes, content_type: str) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    document = await vault_sqlite.upload_ok(bea, name, content)
    assert document.content_type == content_type
    response = await bea.get(f"/documenten/{document.id}/downloaden")
    assert response.content == content and response.headers["content-type"] == content_type


async def test_blob_on_disk_holds_no_run_of_the_plaintext(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    # Random content (so any 64-byte run is unique) with a readable, repetitive part in the middle.
    data = pdf_bytes(150_000)[:75_000] + b"BSN 111222333 Jan Jansen " * 400 + os.urandom(75_000)
    document = await vault_sqlite.upload_ok(bea, "jansen-bsn-111222333.pdf", data)
    blob = await vault_sqlite.read_blob(document)
    windows = {blob[i : i + 64] for i in range(len(blob) - 63)}
    leaked = [i for i in range(len(data) - 63) if data[i : i + 64] in windows]
    assert leaked == []
    assert b"111222333" not in blob and b"jansen" not in blob.lower()
    # Nothing else in the store holds it either: the blob only, no unfinished upload.
    assert await vault_sqlite.stored() == [document.blob_name]


# -- refused uploads --------------------------------------------------------------------------------------------


async def _refused(
    vault: Vault, filename: str, content: bytes, status: int, message: str, client: Any = None, **kw: Any
) -> None:
    bea = client or await vault.hub.client_for(vault.bewindvoerder)
    response = await post_upload(bea, vault.case.id, filename, content, **kw)
    assert response.status_code == status, response.text
    assert message in response.text
    assert "Document niet opgeslagen" in response.text
    assert 'enctype="multipart/form-data"' in response.text  # the form is there to try again
    await vault.assert_nothing_kept()


async def test_executable_renamed_pdf_is_refused(vault: Vault) -> None:
    await _refused(vault, "factuur.pdf", executable_bytes() + os.urandom(500_000), 400, NOT_ALLOWED)


async def test_name_must_match_content(vault_sqlite: Vault) -> None:
    await _refused(vault_sqlite, "scan.pdf", png_bytes(), 400, "maar de inhoud is PNG")


async def test_zip_bomb_docx_is_refused(vault_sqlite: Vault) -> None:
    await _refused(vault_sqlite, "brief.docx", zip_bomb_docx(30), 400, "mogelijk een zip-bom")


async def test_not_allowed_extension_and_empty_and_missing_file(vault_sqlite: Vault) -> None:
    await _refused(vault_sqlite, "setup.exe", executable_bytes(), 400, NOT_ALLOWED)
    await _refused(vault_sqlite, "leeg.pdf", b"", 400, "Het bestand is leeg.")
    await _refused(vault_sqlite, "", b"", 400, "Kies een bestand om te uploaden.")


async def test_bad_type_and_date_are_refused_before_the_file(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    fields = upload_fields(bea.csrf_token, doc_type="paspoort")
    await _refused(vault_sqlite, "a.pdf", pdf_bytes(), 400, "Kies het soort document.", bea, fields=fields)
    fields = upload_fields(bea.csrf_token, day="31-02-2026")
    await _refused(vault_sqlite, "a.pdf", pdf_bytes(), 400, "Vul de datum van het document in", bea, fields=fields)


async def test_over_size_file_is_refused(make_vault: Any) -> None:
    async with make_vault(HUB_MAX_UPLOAD_MB="1") as vault:
        big = pdf_bytes(1024 * 1024 + 10)
        # Streamed without a length: refused while streaming, once the file passes 1 MB.
        await _refused(vault, "groot.pdf", big, 413, "Het bestand is groter dan 1 MB.")
        # With a Content-Length that says so: refused before a byte is read.
        await _refused(vault, "groot.pdf", big, 413, "Het bestand is groter dan 1 MB.", content_length=True)
        # Just under the limit is fine.
        bea = await vault.hub.client_for(vault.bewindvoerder)
        await vault.upload_ok(bea, "net.pdf", pdf_bytes(1024 * 1024 - 100))


async def test_eicar_is_refused_by_clamd(make_vault: Any, clamd: Clamd) -> None:
    async with make_vault(HUB_CLAMD=clamd.address) as vault:
        await _refused(vault, "eicar.pdf", eicar(), 400, "Dit bestand is geweigerd: het bevat een virus (Test.EICAR")
        # The same test string inside a PDF that passes every type check.
        infected_pdf = b"%PDF-1.7\n" + os.urandom(200_000) + eicar() + os.urandom(200_000)
        await _refused(vault, "nota.pdf", infected_pdf, 400, "het bevat een virus (Test.EICAR.NDB")
        # A clean file passes the same scanner.
        bea = await vault.hub.client_for(vault.bewindvoerder)
        await vault.upload_ok(bea, "schoon.pdf", pdf_bytes(500_000))


async def test_file_larger_than_clamd_accepts_is_refused(make_vault: Any, clamd: Clamd) -> None:
    async with make_vault(HUB_CLAMD=clamd.address) as vault:
        big = pdf_bytes((STREAM_MAX_MB + 1) * 1024 * 1024)
        await _refused(vault, "groot.pdf", big, 413, "De virusscanner kan een bestand van deze grootte niet")


async def test_unreachable_scanner_refuses_uploads(make_vault: Any) -> None:
    async with make_vault(HUB_CLAMD=f"127.0.0.1:{free_port()}") as vault:
        await _refused(
            vault, "a.pdf", pdf_bytes(), 503, "De virusscanner is niet bereikbaar; probeer het later opnieuw."
        )


# -- CSRF --------------------------------------------------------------------------------------------------------


async def test_csrf_token_must_come_first_and_match(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    cases = [
        upload_fields(None),  # missing
        upload_fields("not-the-token"),  # wrong
        [("doc_type", "overig"), ("csrf_token", bea.csrf_token), ("document_date", "2026-01-15")],  # not first
    ]
    for fields in cases:
        response = await post_upload(bea, vault.case.id, "a.pdf", pdf_bytes(), fields=fields)
        assert response.status_code == 403
        assert "Verzoek geweigerd" in response.text
    # After the file is too late: the file part itself is refused.
    head, content, _ = multipart_parts([], ("file", "a.pdf", pdf_bytes()))
    late = head + content + f"\r\n--{BOUNDARY}\r\n".encode()
    late += f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{bea.csrf_token}\r\n--{BOUNDARY}--\r\n'.encode()
    response = await bea.post(
        upload_url(vault.case.id), content=late, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert response.status_code == 403
    await vault.assert_nothing_kept()


async def test_multipart_elsewhere_is_refused_by_the_middleware(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    head, content, tail = multipart_parts(upload_fields(bea.csrf_token), ("file", "a.pdf", pdf_bytes()))
    response = await bea.post(
        f"/dossiers/{vault_sqlite.case.id}/toewijzen",
        content=head + content + tail,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 403


# -- who may upload and download ----------------------------------------------------------------------------------


async def test_other_organisations_get_404(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "a.pdf", pdf_bytes())
    for outsider in (vault.outsider_kantoor, vault.outsider_gemeente):
        client = await vault.hub.client_for(outsider)
        assert (await client.get(f"/documenten/{document.id}/downloaden")).status_code == 404
        response = await post_upload(client, vault.case.id, "b.pdf", pdf_bytes())
        assert response.status_code == 404
        async with vault.hub.db() as db:
            with pytest.raises(NotFound):
                await DocumentService(db, vault.hub.runtime.keyring).list_for_case(outsider, vault.case)
    assert [d.id for d in await vault.documents()] == [document.id]
    assert await vault.stored() == [document.blob_name]
    # Unknown ids look the same as other organisations' ids.
    assert (await bea.get("/documenten/" + "0" * 32 + "/downloaden")).status_code == 404
    assert (await bea.get("/documenten/../../etc/passwd/downloaden")).status_code == 404
    assert (await post_upload(bea, "0" * 32, "c.pdf", pdf_bytes())).status_code == 404
    # The functioneel beheerder reads no case content and uploads nothing.
    operator = await vault.hub.client_for(vault.beheerder)
    assert (await operator.get(f"/documenten/{document.id}/downloaden")).status_code == 403
    assert (await post_upload(operator, vault.case.id, "d.pdf", pdf_bytes())).status_code == 403
    assert len(await vault.documents()) == 1


# -- broken-off uploads --------------------------------------------------------------------------------------------


async def test_upload_cut_off_halfway_leaves_nothing(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    head, content, tail = multipart_parts(upload_fields(bea.csrf_token), ("file", "a.pdf", pdf_bytes(3_000_000)))
    body = head + content + tail
    half = len(body) // 2
    pieces = [body[i : min(i + 65536, half)] for i in range(0, half, 65536)]
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent < len(pieces):
            sent += 1
            return {"type": "http.request", "body": pieces[sent - 1], "more_body": True}
        return {"type": "http.disconnect"}

    await asgi_post(
        vault.hub,
        bea,
        upload_url(vault.case.id),
        f"multipart/form-data; boundary={BOUNDARY}",
        receive,
        content_length=len(body),
    )
    assert sent == len(pieces)  # the whole first half was read (and encrypted) before the disconnect
    await vault.assert_nothing_kept()


async def test_body_ending_before_the_file_does_leaves_nothing(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    head, content, _ = multipart_parts(upload_fields(bea.csrf_token), ("file", "a.pdf", pdf_bytes(500_000)))
    response = await bea.post(
        upload_url(vault_sqlite.case.id),
        content=head + content[:300_000],  # no closing boundary: the file never ends
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 400
    assert "Het uploaden is afgebroken" in response.text and "er is niets opgeslagen" in response.text
    await vault_sqlite.assert_nothing_kept()


async def test_a_part_after_the_file_is_refused_and_leaves_nothing(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    head, content, tail = multipart_parts(upload_fields(bea.csrf_token), ("file", "a.pdf", pdf_bytes(50_000)))
    extra = f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\novertig'.encode()
    response = await bea.post(
        upload_url(vault_sqlite.case.id),
        content=head + content + extra + tail,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 400
    await vault_sqlite.assert_nothing_kept()


async def test_the_form_offers_every_document_type_with_its_label(vault_sqlite: Vault) -> None:
    import re

    from hub.documents.models import DOCUMENT_TYPE_LABELS

    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    page = (await bea.get(f"/dossiers/{vault_sqlite.case.id}")).text
    start = page.index('<select id="doc_type-1"')
    select = page[start : page.index("</select>", start)]
    offered = re.findall(r'<option value="([a-z_]+)">([^<]+)</option>', select)
    assert offered == [(t.value, label) for t, label in DOCUMENT_TYPE_LABELS.items()]


def test_the_form_template_writes_out_no_types_and_puts_the_token_first() -> None:
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates/documents"
    template = (templates / "_case_documents.html").read_text()
    rows = (templates / "_file_rows.html").read_text()
    assert "benoemingsbeschikking" not in (template + rows).lower()  # rendered from DOCUMENT_TYPE_LABELS
    # The CSRF token is the form's first field: the streaming parser refuses anything else first.
    form = template[template.index("<form") :]
    assert form.index("csrf(csrf_token)") < form.index('include "documents/_file_rows.html"')
    # Each row: its type and date before its file (the parser pairs a file with the fields just before it).
    assert rows.index("<select") < rows.index('name="document_date"') < rows.index('type="file"')


async def test_case_page_lists_documents_and_offers_the_form(vault_sqlite: Vault) -> None:
    bea = await vault_sqlite.hub.client_for(vault_sqlite.bewindvoerder)
    await vault_sqlite.upload_ok(bea, "beschikking <script>.pdf", pdf_bytes())
    page = await bea.get(f"/dossiers/{vault_sqlite.case.id}?gelukt=document")
    assert page.status_code == 200
    assert "Het document is opgeslagen." in page.text
    assert "beschikking &lt;script&gt;.pdf" in page.text
    assert f'action="/dossiers/{vault_sqlite.case.id}/documenten"' in page.text
    form = page.text[page.text.index('enctype="multipart/form-data"') :]
    assert form.index('name="csrf_token"') < form.index('name="doc_type"') < form.index('name="file"')
