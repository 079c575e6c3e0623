"""The case pages on SQLite and PostgreSQL: the new-case form, the case page, the list and the BSN search."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from crypto import encrypt_field, field_context
from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.cases.models import Case
from hub.cases.services import local_today
from hub.db import new_id
from hub.documents.models import Document
from tests.cases.world import BSN_1, BSN_2, BSN_3, World

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def form(world: World, **changes: str) -> dict[str, str]:
    values = {
        "convenant_id": world.arnhem_xander.id,
        "client_name": "Hendrika Mulder-Smit",
        "bsn": "1234 56 782",
        "birth_date": "1959-11-02",
        "beschikking_date": "2025-09-15",
        "bewind_start_date": "2025-09-15",
        "bewind_kind": "beide",
        "rechtbank": "Rechtbank Gelderland",
        "bewindvoerder_id": world.bv_x.id,
    }
    values.update(changes)
    return values


async def count_cases(world: World) -> int:
    async with world.hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(Case))).scalar_one())


async def audit_actions(world: World) -> list[tuple[str, str, str | None]]:
    async with world.hub.db() as db:
        rows = await db.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id).order_by(AuditEvent.seq)
        )
        return [(a, o, u) for a, o, u in rows.all()]


def title_of(html: str) -> str:
    match = TITLE.search(html)
    assert match
    return match.group(1)


async def test_open_a_case_through_the_form(world: World) -> None:
    client = await world.hub.client_for(world.bv_x)
    page = await client.get("/dossiers/nieuw")
    assert page.status_code == 200
    assert "Gemeente Arnhem" in page.text and "Gemeente Berkel" in page.text
    # Dates are text fields in the Dutch format, with that format in the hint (a date picker shows its own).
    assert 'type="date"' not in page.text and 'type="radio"' in page.text
    assert "Typ de datum als dag-maand-jaar, bijvoorbeeld 13-03-2026." in page.text
    assert "Rechtbank Zeeland-West-Brabant" in page.text
    assert "Kantoor Ypsilon" not in page.text and "Yara Ypsilon" not in page.text
    response = await client.post_form("/dossiers/nieuw", form(world))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    case_id = location.split("/")[2].split("?")[0]
    assert location == f"/dossiers/{case_id}?gelukt=geopend"

    shown = await client.get(location)
    assert shown.status_code == 200
    async with world.hub.db() as db:
        stored = await db.get(Case, case_id)
        assert stored is not None
    reference = stored.reference
    assert re.fullmatch(rf"{local_today().year}-[1-9]\d{{5}}", reference)
    assert title_of(shown.text).startswith(f"Dossier {reference}")
    assert "Mulder" not in title_of(shown.text)
    assert "Hendrika Mulder-Smit" in shown.text
    assert "••••••782" in shown.text
    assert "2 november 1959" in shown.text
    assert "Schulden- en toestandenbewind" in shown.text
    assert "Bas Bewindvoerder" in shown.text
    assert "Het dossier is aangemaakt" in shown.text
    assert shown.headers["cache-control"] == "no-store"

    listing = await client.get("/dossiers")
    assert listing.status_code == 200
    assert reference in listing.text and "Hendrika Mulder-Smit" in listing.text
    assert 'href="/dossiers/nieuw"' in listing.text
    assert '<th scope="col">' in listing.text and "<caption>" in listing.text

    async with world.hub.db() as db:
        case = await db.get(Case, case_id)
        assert case is not None and case.bewind_kind == "beide" and case.kantoor_id == world.xander.id
        assert (await verify(db)).ok
    actions = await audit_actions(world)
    assert ("case.open", case_id, world.bv_x.id) in actions
    assert ("case.view", case_id, world.bv_x.id) in actions
    assert ("case.list", "-", world.bv_x.id) in actions


async def test_validation_errors_in_dutch_keep_values_and_create_nothing(world: World) -> None:
    client = await world.hub.client_for(world.bv_x)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    cases: list[tuple[dict[str, str], str]] = [
        ({"bsn": "123456789"}, "voldoet niet aan de elfproef"),
        ({"beschikking_date": tomorrow}, "kan niet in de toekomst liggen"),
        ({"client_name": ""}, "Vul de naam van de cliënt in."),
        ({"birth_date": "31-02-1970"}, "Vul een geldige datum in"),
        ({"bewind_kind": ""}, "Kies de soort bewind."),
    ]
    for changes, message in cases:
        response = await client.post_form("/dossiers/nieuw", form(world, **changes))
        assert response.status_code == 400, changes
        assert "Er is een probleem" in response.text
        assert message in response.text, (changes, response.text)
        assert title_of(response.text).startswith("Fout: Nieuw dossier")
        if "client_name" not in changes:
            assert 'value="Hendrika Mulder-Smit"' in response.text  # values kept
        assert 'aria-invalid="true"' in response.text
    # Several problems at once, listed in the order of the form.
    response = await client.post_form(
        "/dossiers/nieuw", form(world, client_name="", bsn="123456789", rechtbank="Rechtbank Utrecht")
    )
    summary = response.text.split('class="error-summary"')[1].split("</ul>")[0]
    assert summary.index("#client_name") < summary.index("#bsn") < summary.index("#rechtbank")
    assert await count_cases(world) == 0
    assert await audit_actions(world) == []


async def test_dutch_typed_date_is_accepted(world: World) -> None:
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form("/dossiers/nieuw", form(world, birth_date="2-11-1959"))
    assert response.status_code == 303


async def test_a_convenant_of_another_kantoor_is_not_found(world: World) -> None:
    client = await world.hub.client_for(world.bv_x)
    response = await client.post_form("/dossiers/nieuw", form(world, convenant_id=world.arnhem_ypsilon.id))
    assert response.status_code == 404
    assert await count_cases(world) == 0


async def test_gemeente_and_beheer_may_not_open_cases(world: World) -> None:
    for user in (world.km_arnhem, world.beheerder):
        client = await world.hub.client_for(user)
        assert (await client.get("/dossiers/nieuw")).status_code == 403
        assert (await client.post_form("/dossiers/nieuw", form(world))).status_code == 403
    klant = await world.hub.client_for(world.km_arnhem)
    assert 'href="/dossiers/nieuw"' not in (await klant.get("/dossiers")).text
    assert await count_cases(world) == 0


async def test_other_organisations_get_404_like_a_missing_case(world: World) -> None:
    case = await world.open_case()
    y_client = await world.hub.client_for(world.bv_y)
    missing = await y_client.get("/dossiers/" + "0" * 32)
    assert missing.status_code == 404
    for outsider in (world.bv_y, world.km_berkel):
        client = await world.hub.client_for(outsider)
        response = await client.get(f"/dossiers/{case.id}")
        assert response.status_code == 404
        assert "Johanna" not in response.text and case.reference not in response.text
        assert "Pagina niet gevonden" in response.text
        listing = await client.get("/dossiers")
        assert case.reference not in listing.text
        assign = await client.post_form(f"/dossiers/{case.id}/toewijzen", {"person_id": outsider.id})
        assert assign.status_code == 404
    # For an outsider, another organisation's case and a case that does not exist are the same page.
    other = await y_client.get(f"/dossiers/{case.id}")
    assert other.text.replace(case.id, "X") == missing.text.replace("0" * 32, "X")
    beheer = await world.hub.client_for(world.beheerder)
    assert (await beheer.get(f"/dossiers/{case.id}")).status_code in (403, 404)
    assert (await beheer.get("/dossiers")).status_code == 403
    assert not [a for a in await audit_actions(world) if a[0] == "case.view"]


async def test_the_gemeente_of_the_convenant_sees_the_case(world: World) -> None:
    case = await world.open_case()
    client = await world.hub.client_for(world.km_arnhem)
    listing = await client.get("/dossiers")
    assert case.reference in listing.text and "Johanna de Vries" in listing.text
    assert "Kantoor Xander" in listing.text and "Bewindvoerderskantoor" in listing.text
    page = await client.get(f"/dossiers/{case.id}")
    assert page.status_code == 200 and "Johanna de Vries" in page.text
    assert "Contactpersoon gemeente wijzigen" in page.text
    # The gemeente assigns its own contact person.
    response = await client.post_form(f"/dossiers/{case.id}/toewijzen", {"person_id": world.km_arnhem.id})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "De toewijzing is opgeslagen." in page.text and "Karin Klantmanager" in page.text
    refused = await client.post_form(f"/dossiers/{case.id}/toewijzen", {"person_id": world.bv_x.id})
    assert refused.status_code == 400 and "Kies een collega van uw eigen organisatie." in refused.text


async def test_bsn_search_posts_and_stays_within_the_organisation(world: World) -> None:
    mine = await world.open_case(bsn=BSN_1)
    theirs = await world.open_case(world.bv_y, convenant_id=world.arnhem_ypsilon.id, bsn=BSN_3)
    client = await world.hub.client_for(world.bv_x)
    listing = await client.get("/dossiers")
    assert 'action="/dossiers/zoeken"' in listing.text and 'method="post"' in listing.text
    found = await client.post_form("/dossiers/zoeken", {"bsn": "123.456.782"})
    assert found.status_code == 200 and mine.reference in found.text
    assert "location" not in found.headers
    assert BSN_1 not in found.text  # the number is not echoed back
    none = await client.post_form("/dossiers/zoeken", {"bsn": BSN_3})
    assert none.status_code == 200 and theirs.reference not in none.text
    assert "Uw organisatie heeft geen dossier met dit BSN." in none.text
    bad = await client.post_form("/dossiers/zoeken", {"bsn": "123456789"})
    assert bad.status_code == 400 and "elfproef" in bad.text
    gemeente = await world.hub.client_for(world.km_arnhem)
    both = await gemeente.post_form("/dossiers/zoeken", {"bsn": BSN_3})
    assert theirs.reference in both.text
    # Never in a URL: a GET with a BSN is not a search.
    assert (await client.get(f"/dossiers/zoeken?bsn={BSN_1}")).status_code in (404, 405)
    searches = [a for a in await audit_actions(world) if a[0] == "case.search"]
    assert len(searches) == 3 and {o for _, o, _ in searches} == {"bsn"}


async def test_list_filters_and_sort_by_query(world: World) -> None:
    await world.open_case(client_name="Zeger Zonderland", bsn=BSN_1, bewind_kind="toestandenbewind")
    ank = await world.open_case(
        client_name="Ank van Abeelen", bsn=BSN_2, convenant_id=world.berkel_xander.id, bewind_kind="schuldenbewind"
    )
    await world.open_case(client_name="Mies Molenaar", bsn=BSN_3, bewind_kind="beide")
    client = await world.hub.client_for(world.bv_x)

    def names(html: str) -> list[str]:
        body = html.split("<tbody>")[1].split("</tbody>")[0]
        return re.findall(r"<td data-label=\"[^\"]*\">([A-Z][a-z]+ [^<]+)</td>", body)

    def names_only(html: str) -> list[str]:
        return [n for n in names(html) if not n.startswith(("Gemeente", "Schulden", "Toestand"))]

    by_name = await client.get("/dossiers?sorteer=naam")
    assert names_only(by_name.text) == ["Ank van Abeelen", "Mies Molenaar", "Zeger Zonderland"]
    newest = await client.get("/dossiers")
    assert names_only(newest.text) == ["Mies Molenaar", "Ank van Abeelen", "Zeger Zonderland"]
    kind = await client.get("/dossiers?soort=toestandenbewind")
    assert names_only(kind.text) == ["Zeger Zonderland"]
    partner = await client.get(f"/dossiers?partner={world.berkel.id}")
    assert names_only(partner.text) == ["Ank van Abeelen"]
    status = await client.get("/dossiers?status=beeindigd")
    assert names_only(status.text) == [] and "Er zijn geen dossiers die bij deze filters passen." in status.text
    reference = await client.get(f"/dossiers?referentie={ank.reference}")
    assert names_only(reference.text) == ["Ank van Abeelen"]
    bad: Any = await client.get("/dossiers?referentie=Jansen&sorteer=onzin&partner=x&pagina=-3")
    assert bad.status_code == 200 and "Vul een dossiernummer in" in bad.text
    assert len(names_only(bad.text)) == 3
    # A BSN typed into the reference field by mistake is refused and not shown again.
    mistaken = await client.get(f"/dossiers?referentie={BSN_1}")
    assert "Zoeken op BSN" in mistaken.text and BSN_1 not in mistaken.text
    assert len(names_only(mistaken.text)) == 3
    assert 'pattern="' in mistaken.text


async def test_case_page_lists_the_documents_of_the_case(world: World) -> None:
    case = await world.open_case()
    doc_id = new_id()
    keyring = world.hub.runtime.keyring
    async with world.hub.db() as db:
        db.add(
            Document(
                id=doc_id,
                case_id=case.id,
                gemeente_id=case.gemeente_id,
                kantoor_id=case.kantoor_id,
                doc_type="benoemingsbeschikking",
                uploaded_by=world.bv_x.id,
                size=10,
                content_type="application/pdf",
                filename=encrypt_field(
                    keyring, "beschikking-vries.pdf", context=field_context("document", "filename", doc_id)
                ),
                sha256=encrypt_field(keyring, b"\0" * 32, context=field_context("document", "sha256", doc_id)),
                wrapped_key=b"not-a-real-key",
                blob_name=doc_id,
            )
        )
    for user in (world.bv_x, world.km_arnhem):
        page = await (await world.hub.client_for(user)).get(f"/dossiers/{case.id}")
        assert page.status_code == 200
        assert "beschikking-vries.pdf" in page.text and "Benoemingsbeschikking" in page.text
