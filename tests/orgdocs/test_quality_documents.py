"""The quality documents of §3 per kantoor: uploaded by the kantoor with their dates, shown to the contractmanager of
each gemeente the kantoor has a convenant with, "due again" by the one rule and marked when overdue; the monitoring
page lists kantoren with a missing or overdue document. Nobody else sees them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import User
from hub.cases.records import local_today
from hub.documents.models import Document
from hub.orgdocs.models import OrganisationDocument
from tests.orgdocs.world import OrgWorld, audit_actions, build_org_world, pdf_bytes, post_multipart
from tests.support.hubclient import HubUnderTest

URL = "/kwaliteitsdocumenten"


def fields(kind: str, day: date, valid_until: date | None = None) -> list[tuple[str, str]]:
    return [
        ("doc_type", kind),
        ("document_date", day.isoformat()),
        ("valid_until", valid_until.isoformat() if valid_until else ""),
    ]


async def quality_ids(hub: HubUnderTest, kantoor_id: str) -> list[str]:
    async with hub.db() as db:
        rows = await db.execute(
            select(col(Document.id))
            .join(OrganisationDocument, col(OrganisationDocument.document_id) == col(Document.id))
            .where(col(Document.kantoor_id) == kantoor_id, col(OrganisationDocument.convenant_id).is_(None))
            .order_by(col(Document.uploaded_at))
        )
        return list(rows.scalars())


async def upload(
    world: OrgWorld, kind: str, day: date, valid_until: date | None = None, *, by: User | None = None
) -> str:
    client = await world.hub.client_for(by or world.base.bewindvoerder)
    response = await post_multipart(client, URL, fields(kind, day, valid_until), f"{kind}.pdf", pdf_bytes(2500))
    assert response.status_code == 303, response.text
    return (await quality_ids(world.hub, world.base.kantoor.id))[-1]


async def test_the_gemeente_sees_its_partners_documents_with_due_dates(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    today = local_today()
    verklaring = await upload(world, "kwaliteitsverklaring", today - timedelta(days=30), today + timedelta(days=300))
    old_decharge = await upload(world, "decharge", today - timedelta(days=800), by=world.kantoorbeheerder)

    carla = await hub.client_for(world.base.contractmanager)
    page = (await carla.get(URL)).text
    assert "Bewindvoering De Brug" in page and "Ander Kantoor" not in page
    assert "kwaliteitsverklaring.pdf" in page and "decharge.pdf" in page
    assert "Verlopen" in page and "In orde" in page
    assert (await carla.get(f"/organisatiedocumenten/{verklaring}/downloaden")).status_code == 200
    monitoring = (await carla.get("/monitoring")).text
    assert "Kwaliteitsdocumenten (§3)" in monitoring and "Bewindvoering De Brug" in monitoring
    assert "Verlopen</span> sinds" in monitoring

    # A newer decharge replaces the overdue one: the kantoor is in order, and leaves the monitoring list.
    await upload(world, "decharge", today - timedelta(days=10))
    monitoring = (await carla.get("/monitoring")).text
    assert "Elk kantoor met een lopend convenant heeft" in monitoring
    assert await audit_actions(hub, old_decharge) == ["orgdocument.upload"]
    assert await audit_actions(hub, verklaring) == ["orgdocument.upload", "orgdocument.download"]

    # The kantoor withdraws its kwaliteitsverklaring: now it is missing.
    kantoor = await hub.client_for(world.kantoorbeheerder)
    done = await kantoor.post_form(f"/organisatiedocumenten/{verklaring}/intrekken", {"reason": "Verkeerd jaar"})
    assert done.status_code == 303 and done.headers["location"] == f"{URL}?gelukt=document-ingetrokken"
    monitoring = (await carla.get("/monitoring")).text
    assert "Ontbreekt" in monitoring
    assert (await carla.get(f"/organisatiedocumenten/{verklaring}/downloaden")).status_code == 410


async def test_nobody_without_a_convenant_with_the_kantoor_sees_them(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    today = local_today()
    document_id = await upload(world, "decharge", today - timedelta(days=5))
    for stranger in (world.other_contractmanager, world.other_kantoorbeheerder, world.base.outsider):
        client = await hub.client_for(stranger)
        assert (await client.get(f"/organisatiedocumenten/{document_id}/downloaden")).status_code == 404
        assert (await client.get(f"/organisatiedocumenten/{document_id}/intrekken")).status_code == 404
        page = (await client.get(URL)).text
        assert "Bewindvoering De Brug" not in page and "decharge.pdf" not in page
    wendy = await hub.client_for(world.other_contractmanager)
    assert "Bewindvoering De Brug" not in (await wendy.get("/monitoring")).text
    # The partner gemeente's klantmanager is party to the convenant but has no right to these documents.
    klantmanager = await hub.client_for(world.base.klantmanager)
    assert (await klantmanager.get(f"/organisatiedocumenten/{document_id}/downloaden")).status_code == 403
    assert (await klantmanager.get(URL)).status_code == 403
    # The contractmanager reads them but may not withdraw them: the kantoor's, not the gemeente's.
    carla = await hub.client_for(world.base.contractmanager)
    refused = await carla.post_form(f"/organisatiedocumenten/{document_id}/intrekken", {"reason": "weg"})
    assert refused.status_code == 404


async def test_uploads_refused(hub: HubUnderTest) -> None:
    world = await build_org_world(hub)
    today = local_today()
    for role in (world.base.contractmanager, world.base.klantmanager):  # a gemeente never adds them
        client = await hub.client_for(role)
        response = await post_multipart(client, URL, fields("decharge", today), "d.pdf", pdf_bytes())
        assert response.status_code == 403
    bea = await hub.client_for(world.base.bewindvoerder)
    missing_end = await post_multipart(bea, URL, fields("kwaliteitsverklaring", today), "k.pdf", pdf_bytes())
    assert missing_end.status_code == 400 and "tot wanneer de kwaliteitsverklaring geldig is" in missing_end.text
    before = await post_multipart(
        bea, URL, fields("kwaliteitsverklaring", today, today - timedelta(days=1)), "k.pdf", pdf_bytes()
    )
    assert before.status_code == 400 and "kan niet eindigen voor de datum" in before.text
    wrong_kind = await post_multipart(bea, URL, fields("convenant", today), "k.pdf", pdf_bytes())
    assert wrong_kind.status_code == 400 and "Kies het soort document" in wrong_kind.text
    no_csrf = await post_multipart(bea, URL, fields("decharge", today), "d.pdf", pdf_bytes(), csrf=None)
    assert no_csrf.status_code == 403
    assert await quality_ids(hub, world.base.kantoor.id) == []
    ok = await post_multipart(bea, URL, fields("decharge", today), "d.pdf", pdf_bytes())
    assert ok.status_code == 303
    page = (await bea.get(URL + "?gelukt=document")).text
    assert "Het document is opgeslagen" in page and "Kwaliteitsdocument toevoegen" in page
