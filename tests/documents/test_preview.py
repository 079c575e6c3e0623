"""A preview of PDF and image documents next to the download: served inline with the exact sniffed type, sandboxed and
never sniffed by the browser, for the case's parties only and audited as its own action. On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.documents.conftest import Vault, docx_bytes, pdf_bytes, png_bytes


async def test_pdf_and_png_are_shown_inline_sandboxed_with_their_sniffed_type(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    karim = await vault.hub.client_for(vault.klantmanager)
    for name, content, content_type in (
        ("beschikking.pdf", pdf_bytes(150_000), "application/pdf"),
        ("scan van brief.png", png_bytes(8000), "image/png"),
    ):
        document = await vault.upload_ok(bea, name, content)
        response = await karim.get(f"/documenten/{document.id}/bekijken")
        assert response.status_code == 200
        assert response.content == content
        headers = response.headers
        assert headers["content-type"] == content_type
        assert headers["content-disposition"].startswith("inline; ")
        assert headers["content-security-policy"].split("; ")[0] == "sandbox"
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert ("document.preview", document.id) in await vault.audit_actions()
        assert ("document.download", document.id) not in await vault.audit_actions()
    page = await karim.get(f"/dossiers/{vault.case.id}")
    assert 'Bekijken<span class="visually-hidden"> van beschikking.pdf in de browser</span>' in page.text


async def test_a_type_the_browser_may_not_show_has_no_preview(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "plan.docx", docx_bytes())
    response = await bea.get(f"/documenten/{document.id}/bekijken")
    assert response.status_code == 404
    assert "Van dit soort bestand kan de browser geen voorbeeld tonen." in response.text
    assert ("document.preview", document.id) not in await vault.audit_actions()
    page = await bea.get(f"/dossiers/{vault.case.id}")
    assert f"/documenten/{document.id}/bekijken" not in page.text
    assert f"/documenten/{document.id}/downloaden" in page.text


async def test_other_organisations_get_404_and_nothing_is_audited(vault: Vault) -> None:
    bea = await vault.hub.client_for(vault.bewindvoerder)
    document = await vault.upload_ok(bea, "a.pdf", pdf_bytes())
    for outsider in (vault.outsider_kantoor, vault.outsider_gemeente):
        client = await vault.hub.client_for(outsider)
        response = await client.get(f"/documenten/{document.id}/bekijken")
        assert response.status_code == 404
        assert b"%PDF" not in response.content
    assert (await bea.get("/documenten/" + "0" * 32 + "/bekijken")).status_code == 404
    operator = await vault.hub.client_for(vault.beheerder)  # the functioneel beheerder reads no case content
    assert (await operator.get(f"/documenten/{document.id}/bekijken")).status_code == 403
    assert not [a for a, _ in await vault.audit_actions() if a == "document.preview"]
