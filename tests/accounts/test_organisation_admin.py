"""The functioneel beheerder changes and ends organisations and convenants, and finds a user among many (issue 15)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.user_directory import PAGE_SIZE
from hub.accounts.users import UserService
from hub.audit.models import AuditEvent
from hub.db import utcnow
from hub.errors import ValidationError
from hub.messaging.threads import ThreadService
from hub.terms import as_local_date
from tests.support.hubclient import HubUnderTest


async def _operator(hub: HubUnderTest) -> User:
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    return await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER, email="fb@beheer.example.nl")


async def _actions(hub: HubUnderTest, action: str) -> list[str]:
    async with hub.db() as db:
        rows = await db.execute(select(col(AuditEvent.object_id)).where(col(AuditEvent.action) == action))
        return list(rows.scalars())


async def test_change_and_end_an_organisation_and_its_convenants(hub: HubUnderTest) -> None:
    operator = await hub.client_for(await _operator(hub))
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Noord")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor Zuid")
    await hub.org(OrgKind.KANTOOR, "Kantoor West")
    convenant = await hub.convenant(gemeente, kantoor)
    bea = await hub.user(kantoor, Role.BEWINDVOERDER, email="bea@zuid.example.nl")

    page = await operator.get(f"/beheer/organisaties/{kantoor.id}")
    assert page.status_code == 200 and "Kantoor Zuid" in page.text
    form = {"name": "Kantoor West", "contact_person": "", "contact_email": "geen", "contact_phone": ""}
    response = await operator.post_form(f"/beheer/organisaties/{kantoor.id}", form)
    assert response.status_code == 400
    assert (
        "Er bestaat al een organisatie met deze naam." in response.text
        and "Vul een geldig e-mailadres" in response.text
    )
    form = {
        "name": "Kantoor Zuid en Co",
        "contact_person": "Zoë",
        "contact_email": "Vast@Zuid.example.nl",
        "contact_phone": "",
    }
    assert (await operator.post_form(f"/beheer/organisaties/{kantoor.id}", form)).status_code == 303
    async with hub.db() as db:
        changed = await db.get(Organisation, kantoor.id)
    assert changed is not None and (changed.name, changed.contact_email) == (
        "Kantoor Zuid en Co",
        "vast@zuid.example.nl",
    )

    # Ended yesterday: the convenant ends with it, and no new general question starts under it.
    yesterday = as_local_date(utcnow()) - timedelta(days=1)
    response = await operator.post_form(f"/beheer/organisaties/{kantoor.id}/beeindigen", {"end_on": "31-02-2026"})
    assert response.status_code == 400 and "Vul een geldige einddatum in" in response.text
    response = await operator.post_form(
        f"/beheer/organisaties/{kantoor.id}/beeindigen", {"end_on": yesterday.isoformat()}
    )
    assert response.status_code == 303
    async with hub.db() as db:
        ended = await db.get(Convenant, convenant.id)
        assert ended is not None and ended.end_date == yesterday
        with pytest.raises(ValidationError) as refused:
            await ThreadService(db, hub.runtime.keyring).start_thread(
                bea, convenant=convenant.id, subject="Vraag", body="Nog een vraag"
            )
    assert "niet actief" in refused.value.errors["convenant_id"]
    assert await _actions(hub, "organisation.ended") == [kantoor.id]
    assert await _actions(hub, "convenant.ended") == [convenant.id]
    assert await _actions(hub, "organisation.changed") == [kantoor.id]

    # Only the operator; an organisation's own administrator gets 403, an unknown id 404.
    kb = await hub.client_for(await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@zuid.example.nl"))
    assert (await kb.get(f"/beheer/organisaties/{kantoor.id}")).status_code == 403
    assert (
        await kb.post_form(f"/beheer/convenanten/{convenant.id}/beeindigen", {"end_on": "2026-01-01"})
    ).status_code == 403
    assert (await operator.get(f"/beheer/organisaties/{'0' * 32}")).status_code == 404


async def test_change_and_end_a_convenant(hub: HubUnderTest) -> None:
    operator = await hub.client_for(await _operator(hub))
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Noord")
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor Zuid")
    convenant = await hub.convenant(gemeente, kantoor)
    url = f"/beheer/convenanten/{convenant.id}"
    assert "Convenant Gemeente Noord en Kantoor Zuid" in (await operator.get(url)).text
    bad = {"start_date": "2026-03-01", "end_date": "2026-02-01", "status": "actief"}
    response = await operator.post_form(url, bad)
    assert response.status_code == 400 and "De einddatum ligt voor de begindatum." in response.text
    good = {"start_date": "01-02-2025", "end_date": "", "status": "actief"}
    assert (await operator.post_form(url, good)).status_code == 303
    response = await operator.post_form(f"{url}/beeindigen", {"end_on": "2024-12-31"})
    assert response.status_code == 400 and "voor de begindatum" in response.text
    assert (await operator.post_form(f"{url}/beeindigen", {"end_on": "2026-06-30"})).status_code == 303
    async with hub.db() as db:
        row = await db.get(Convenant, convenant.id)
    assert row is not None and (row.start_date, row.end_date) == (date(2025, 2, 1), date(2026, 6, 30))
    assert not row.is_active_on(date(2026, 7, 1)) and row.is_active_on(date(2026, 6, 30))
    assert await _actions(hub, "convenant.changed") == [convenant.id]


async def test_find_a_user_among_many(hub: HubUnderTest) -> None:
    operator = await hub.client_for(await _operator(hub))
    kantoor = await hub.org(OrgKind.KANTOOR, "Groot Kantoor")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Groot")
    async with hub.db() as db:
        users = UserService(db)
        for i in range(PAGE_SIZE + 20):
            await users.create(
                kantoor, name=f"Medewerker {i:03d}", email=f"m{i:03d}@groot.example.nl", roles={Role.BEWINDVOERDER}
            )
        await users.create(
            gemeente,
            name="Annelies de Vries-Ünal",
            email="a.devries@groot-gemeente.example.nl",
            roles={Role.KLANTMANAGER},
        )
        await users.create(gemeente, name="Bert 100%", email="bert@groot-gemeente.example.nl", roles={Role.CONSULENT})

    page = await operator.get("/beheer/gebruikers")
    assert page.status_code == 200 and f"{PAGE_SIZE + 23} gebruikers gevonden; pagina 1 van 2." in page.text
    by_name = await operator.post_form("/beheer/gebruikers", {"zoek": "ünal"})
    assert "1 gebruiker gevonden" in by_name.text and "Annelies de Vries-Ünal" in by_name.text
    by_address = await operator.post_form("/beheer/gebruikers", {"zoek": "M042@GROOT"})
    assert "1 gebruiker gevonden" in by_address.text and "Medewerker 042" in by_address.text
    percent = await operator.post_form("/beheer/gebruikers", {"zoek": "0%"})
    assert "1 gebruiker gevonden" in percent.text and "Bert 100%" in percent.text  # % is a character, no wildcard
    filtered = await operator.get(f"/beheer/gebruikers?organisatie={gemeente.id}&rol=consulent_bijzondere_bijstand")
    assert "1 gebruiker gevonden" in filtered.text and "Bert 100%" in filtered.text
    second = await operator.post_form(
        "/beheer/gebruikers", {"zoek": "medewerker", "organisatie": kantoor.id, "rol": "", "pagina": "2"}
    )
    assert f"{PAGE_SIZE + 20} gebruikers gevonden; pagina 2 van 2." in second.text
    assert "Medewerker 069" in second.text and "Medewerker 000" not in second.text
    assert 'name="zoek" value="medewerker"' in second.text  # the paging posts the text again, never in a URL
    # Only the operator.
    kb = await hub.client_for(await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@groot.example.nl"))
    assert (await kb.get("/beheer/gebruikers")).status_code == 403


async def test_the_operator_reads_a_case_workers_page_but_changes_nothing(hub: HubUnderTest) -> None:
    operator = await hub.client_for(await _operator(hub))
    kantoor = await hub.org(OrgKind.KANTOOR, "Kantoor Zuid")
    bea = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bea", email="bea@zuid.example.nl")
    page = await operator.get(f"/gebruikers/{bea.id}")
    assert page.status_code == 200 and "Bea" in page.text and "Gegevens wijzigen" not in page.text
    form = {"name": "Andere naam", "email": "bea@zuid.example.nl", "roles": ["bewindvoerder"]}
    assert (await operator.post_form(f"/gebruikers/{bea.id}/bewerken", form)).status_code == 403
    assert (await operator.post_form(f"/gebruikers/{bea.id}/verwijderen")).status_code == 403
    assert (await hub.reload(bea)).name == "Bea"
