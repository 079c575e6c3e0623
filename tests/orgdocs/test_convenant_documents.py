"""The signed convenant in the vault: uploaded by the contractmanager of its gemeente, read by both parties, a new
version replacing the one shown; 404 for every other organisation, 403 for a party without the role; never part of
a case (its list, its download route, its retention)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from hub.documents.models import Document
from hub.documents.services import DocumentService
from hub.orgdocs.models import OrganisationDocument
from hub.retention.due import due_withdrawn_documents
from hub.retention.policy import RetentionPolicy
from tests.orgdocs.world import OrgWorld, audit_actions, build_org_world, pdf_bytes, post_multipart
from tests.support.hubclient import HubUnderTest


async def signed_copies(hub: HubUnderTest, convenant_id: str) -> list[Document]:
    async with hub.db() as db:
        rows = await db.execute(
            select(Document)
            .join(OrganisationDocument, col(OrganisationDocument.document_id) == col(Document.id))
            .where(col(OrganisationDocument.convenant_id) == convenant_id)
            .order_by(col(Document.uploaded_at))
        )
        return list(rows.scalars())


async def upload_signed(world: OrgWorld, content: bytes, name: str = "convenant-getekend.pdf") -> str:
    client = await world.hub.client_for(world.base.contractmanager)
    url = f"/convenanten/{world.base.convenant.id}/documenten"
    response = await post_multipart(client, url, [("document_date", "2026-01-15")], name, content)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/convenanten?gelukt=document")
    return (await signed_copies(world.hub, world.base.convenant.id))[-1].id


async def test_both_parties_read_the_signed_convenant_and_a_new_version_replaces_it(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    first_content, second_content = pdf_bytes(3000), pdf_bytes(4000)
    first = await upload_signed(world, first_content, "convenant-2025.pdf")
    second = await upload_signed(world, second_content, "convenant-2026.pdf")

    gemeente_page = (await (await hub.client_for(world.base.contractmanager)).get("/convenanten")).text
    assert "convenant-2026.pdf" in gemeente_page and "Datum van ondertekening" in gemeente_page
    assert "Eerdere versies" in gemeente_page and "convenant-2025.pdf" in gemeente_page
    assert "Nieuwe versie toevoegen" in gemeente_page

    kantoor = await hub.client_for(world.kantoorbeheerder)
    kantoor_page = await kantoor.get("/convenanten")
    assert kantoor_page.status_code == 200
    assert "Convenanten van uw kantoor" in kantoor_page.text and "convenant-2026.pdf" in kantoor_page.text
    assert "Convenant uploaden" not in kantoor_page.text  # the kantoor reads, the gemeente uploads
    download = await kantoor.get(f"/organisatiedocumenten/{second}/downloaden")
    assert download.status_code == 200 and download.content == second_content
    assert download.headers["content-type"] == "application/pdf"
    old = await (await hub.client_for(world.base.contractmanager)).get(f"/organisatiedocumenten/{first}/downloaden")
    assert old.status_code == 200 and old.content == first_content  # the earlier version stays readable

    assert await audit_actions(hub, first) == ["orgdocument.upload", "orgdocument.download"]
    assert await audit_actions(hub, second) == ["orgdocument.upload", "orgdocument.download"]


async def test_nobody_else_reads_or_uploads_it(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    document_id = await upload_signed(world, pdf_bytes(2000))
    path = f"/organisatiedocumenten/{document_id}/downloaden"
    for stranger in (world.other_contractmanager, world.other_kantoorbeheerder, world.base.outsider):
        client = await hub.client_for(stranger)
        assert (await client.get(path)).status_code == 404
        assert (await client.get(f"/organisatiedocumenten/{document_id}/intrekken")).status_code == 404
        page = await client.get("/convenanten")
        assert document_id not in page.text and "Bewindvoering De Brug" not in page.text.replace("Ander", "")
    # A party without the role: the klantmanager and the bewindvoerder of the two parties.
    for party in (world.base.klantmanager, world.base.bewindvoerder):
        assert (await (await hub.client_for(party)).get(path)).status_code == 403
    # Never through a case's routes, not even for the parties of the convenant.
    for party in (world.base.contractmanager, world.kantoorbeheerder):
        client = await hub.client_for(party)
        assert (await client.get(f"/documenten/{document_id}/downloaden")).status_code == 404
        assert (await client.get(f"/documenten/{document_id}/intrekken")).status_code == 404

    url = f"/convenanten/{world.base.convenant.id}/documenten"
    kantoor = await hub.client_for(world.kantoorbeheerder)
    assert (
        await post_multipart(kantoor, url, [("document_date", "2026-01-15")], "c.pdf", pdf_bytes())
    ).status_code == 403
    other = await hub.client_for(world.other_contractmanager)
    assert (
        await post_multipart(other, url, [("document_date", "2026-01-15")], "c.pdf", pdf_bytes())
    ).status_code == 404
    own = await hub.client_for(world.base.contractmanager)
    no_csrf = await post_multipart(own, url, [("document_date", "2026-01-15")], "c.pdf", pdf_bytes(), csrf=None)
    assert no_csrf.status_code == 403
    not_pdf = await post_multipart(
        own, url, [("document_date", "2026-01-15")], "c.png", b"\x89PNG\r\n\x1a\n" + b"x" * 99
    )
    assert not_pdf.status_code == 400 and "moet een PDF-bestand zijn" in not_pdf.text
    future = await post_multipart(own, url, [("document_date", "2099-01-01")], "c.pdf", pdf_bytes())
    assert future.status_code == 400 and "niet in de toekomst" in future.text
    assert len(await signed_copies(hub, world.base.convenant.id)) == 1  # nothing more was stored


async def test_withdrawn_by_its_gemeente_and_never_part_of_a_case(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    document_id = await upload_signed(world, pdf_bytes(2000))
    kantoor = await hub.client_for(world.kantoorbeheerder)
    refused = await kantoor.post_form(f"/organisatiedocumenten/{document_id}/intrekken", {"reason": "fout"})
    assert refused.status_code == 404  # the other party may read it, not withdraw it
    own = await hub.client_for(world.base.contractmanager)
    empty = await own.post_form(f"/organisatiedocumenten/{document_id}/intrekken", {"reason": " "})
    assert empty.status_code == 400 and "Vul de reden in" in empty.text
    done = await own.post_form(f"/organisatiedocumenten/{document_id}/intrekken", {"reason": "Verkeerde versie"})
    assert done.status_code == 303 and done.headers["location"] == "/convenanten?gelukt=document-ingetrokken"
    assert (await kantoor.get(f"/organisatiedocumenten/{document_id}/downloaden")).status_code == 410
    page = (await kantoor.get("/convenanten")).text
    assert "Ingetrokken" in page and "Verkeerde versie" in page and "nog niet toegevoegd" in page
    assert await audit_actions(hub, document_id) == ["orgdocument.upload", "orgdocument.withdraw"]

    async with hub.db() as db:  # the case's list and the case retention never see it
        listed = await DocumentService(db, hub.runtime.keyring).list_for_case(world.base.bewindvoerder, world.base.case)
        due = await due_withdrawn_documents(db, RetentionPolicy(), datetime.now(UTC) + timedelta(days=3650))
    assert document_id not in {row.id for row in listed} and document_id not in due
