"""Editing and removing a user, and handing their open work to a colleague (issue 15): within the own organisation
only (another's user is 404), the last administrator stays, a removed user cannot log in but keeps their name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlmodel import col

from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.user_admin import LAST_ADMIN
from hub.audit.models import AuditEvent
from hub.cases.models import Case, CaseStatus
from hub.messaging.models import Thread
from hub.messaging.threads import ThreadService
from hub.notifications.models import OutboxMail
from tests.messaging.world import insert_case
from tests.support.hubclient import PASSWORD, HubUnderTest, csrf_from


@dataclass
class Office:
    kantoor: Organisation
    gemeente: Organisation
    beheerder: User
    bea: User  # the departing bewindvoerder
    bob: User  # her colleague
    karim: User  # klantmanager of the gemeente
    other_admin: User  # another kantoor's kantoorbeheerder
    cases: list[Case]
    thread: Thread


@pytest.fixture
async def office(hub: HubUnderTest) -> Office:
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewind B.V.")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente Oost")
    elsewhere = await hub.org(OrgKind.KANTOOR, "Ander Bewind")
    convenant = await hub.convenant(gemeente, kantoor)
    beheerder = await hub.user(kantoor, Role.KANTOORBEHEERDER, name="Kees Beheer", email="kees@bewind.example.nl")
    bea = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bea Vertrek", email="bea@bewind.example.nl")
    bob = await hub.user(kantoor, Role.BEWINDVOERDER, name="Bob Blijft", email="bob@bewind.example.nl")
    karim = await hub.user(gemeente, Role.KLANTMANAGER, name="Karim Klant", email="karim@oost.example.nl")
    other_admin = await hub.user(elsewhere, Role.KANTOORBEHEERDER, email="admin@ander.example.nl")
    cases = [await insert_case(hub, convenant, bea, f"2026-10000{i}") for i in range(3)]
    async with hub.db() as db:
        for i, case in enumerate(cases):
            row = await db.get(Case, case.id)
            assert row is not None
            row.bewindvoerder_id = bea.id
            row.gemeente_contact_id = karim.id
            if i == 2:
                row.status = CaseStatus.BEEINDIGD.value  # an ended case is no open work
    async with hub.db() as db:
        thread = await ThreadService(db, hub.runtime.keyring).start_thread(
            bea, case=cases[0].id, subject="Stand", body="Hoe staat het?"
        )
        thread.kantoor_assignee_id = bea.id
    return Office(kantoor, gemeente, beheerder, bea, bob, karim, other_admin, cases, thread)


async def _actions(hub: HubUnderTest, action: str) -> list[AuditEvent]:
    async with hub.db() as db:
        return list((await db.execute(select(AuditEvent).where(col(AuditEvent.action) == action))).scalars())


async def test_edit_name_address_and_roles(hub: HubUnderTest, office: Office) -> None:
    admin = await hub.client_for(office.beheerder)
    page = await admin.get(f"/gebruikers/{office.bea.id}")
    assert page.status_code == 200 and "Bea Vertrek" in page.text and "Dossier 2026-100000" in page.text
    assert "Dossier 2026-100002" not in page.text  # ended

    response = await admin.post_form(
        f"/gebruikers/{office.bea.id}/bewerken",
        {
            "name": "Bea de Vries",
            "email": "Bea.deVries@bewind.example.nl",
            "roles": ["bewindvoerder", "kantoorbeheerder"],
        },
    )
    assert response.status_code == 303, response.text
    bea = await hub.reload(office.bea)
    assert (bea.name, bea.email) == ("Bea de Vries", "bea.devries@bewind.example.nl")
    assert bea.role_set == {Role.BEWINDVOERDER, Role.KANTOORBEHEERDER}
    async with hub.db() as db:
        mails = (await db.execute(select(OutboxMail).where(col(OutboxMail.recipient_user_id) == bea.id))).scalars()
        told = {(m.kind, m.recipient_address) for m in mails}
    assert ("account_gegevens", "bea@bewind.example.nl") in told  # the old address hears of it
    assert ("account_gegevens", "bea.devries@bewind.example.nl") in told
    assert ("account_rollen", "bea.devries@bewind.example.nl") in told
    assert [e.object_id for e in await _actions(hub, "user.details_changed")] == [bea.id]

    # Bad input: a clear error per field, nothing changed. An address of another organisation says nothing more.
    response = await admin.post_form(
        f"/gebruikers/{bea.id}/bewerken", {"name": "", "email": "admin@ander.example.nl", "roles": ["bewindvoerder"]}
    )
    assert response.status_code == 400
    assert "Vul de naam in." in response.text and "Dit e-mailadres kan niet worden gebruikt." in response.text
    response = await admin.post_form(
        f"/gebruikers/{bea.id}/bewerken", {"name": "X", "email": "geen-adres", "roles": ["contractmanager"]}
    )
    assert response.status_code == 400 and "Vul een geldig e-mailadres in" in response.text
    assert "Deze rol past niet bij het soort organisatie." in response.text
    assert (await hub.reload(bea)).name == "Bea de Vries"


async def test_another_organisation_and_the_operator_cannot_reach(hub: HubUnderTest, office: Office) -> None:
    other = await hub.client_for(office.other_admin)
    bea = office.bea.id
    assert (await other.get(f"/gebruikers/{bea}")).status_code == 404
    assert (await other.get(f"/gebruikers/{bea}/verwijderen")).status_code == 404
    form = {"name": "X", "email": "x@ander.example.nl", "roles": ["bewindvoerder"]}
    assert (await other.post_form(f"/gebruikers/{bea}/bewerken", form)).status_code == 404
    assert (await other.post_form(f"/gebruikers/{bea}/overdragen", {"successor_id": office.bob.id})).status_code == 404
    assert (await other.post_form(f"/gebruikers/{bea}/verwijderen")).status_code == 404
    # A colleague of another organisation is no successor either.
    admin = await hub.client_for(office.beheerder)
    response = await admin.post_form(f"/gebruikers/{bea}/overdragen", {"successor_id": office.other_admin.id})
    assert response.status_code == 400 and "Kies een actieve collega" in response.text
    # Without the CSRF token nothing happens.
    assert (await admin.post_form(f"/gebruikers/{bea}/verwijderen", csrf=False)).status_code == 403
    assert (await hub.reload(office.bea)).removed_at is None
    # A bewindvoerder is no administrator.
    bob = await hub.client_for(office.bob)
    assert (await bob.get(f"/gebruikers/{bea}")).status_code == 403


async def test_the_last_administrator_stays(hub: HubUnderTest, office: Office) -> None:
    admin = await hub.client_for(office.beheerder)
    me = office.beheerder.id
    demote = {"name": "Kees Beheer", "email": "kees@bewind.example.nl", "roles": ["bewindvoerder"]}
    response = await admin.post_form(f"/gebruikers/{me}/bewerken", demote)
    assert response.status_code == 400 and LAST_ADMIN in response.text
    response = await admin.post_form(f"/gebruikers/{me}/verwijderen")
    assert response.status_code == 400 and LAST_ADMIN in response.text
    assert (await hub.reload(office.beheerder)).role_set == {Role.KANTOORBEHEERDER}
    # With a second administrator the first may step down.
    promote = {"name": "Bob Blijft", "email": "bob@bewind.example.nl", "roles": ["bewindvoerder", "kantoorbeheerder"]}
    assert (await admin.post_form(f"/gebruikers/{office.bob.id}/bewerken", promote)).status_code == 303
    assert (await admin.post_form(f"/gebruikers/{me}/bewerken", demote)).status_code == 303


async def test_hand_over_all_open_work_in_one_step(hub: HubUnderTest, office: Office) -> None:
    admin = await hub.client_for(office.beheerder)
    # Cases go to a bewindvoerder only.
    response = await admin.post_form(f"/gebruikers/{office.bea.id}/overdragen", {"successor_id": office.beheerder.id})
    assert response.status_code == 400 and "alleen naar een bewindvoerder" in response.text
    response = await admin.post_form(f"/gebruikers/{office.bea.id}/overdragen", {"successor_id": office.bob.id})
    assert response.status_code == 303
    async with hub.db() as db:
        cases = {c.id: c for c in (await db.execute(select(Case))).scalars()}
        thread = await db.get(Thread, office.thread.id)
    assert [cases[c.id].bewindvoerder_id for c in office.cases] == [office.bob.id, office.bob.id, office.bea.id]
    assert all(cases[c.id].gemeente_contact_id == office.karim.id for c in office.cases)  # the other side's stays
    assert thread is not None and thread.kantoor_assignee_id == office.bob.id
    assert {e.object_id for e in await _actions(hub, "case.assign")} == {office.cases[0].id, office.cases[1].id}
    assert [e.object_id for e in await _actions(hub, "thread.assign")] == [office.thread.id]
    assert [e.object_id for e in await _actions(hub, "user.assignments_handed_over")] == [office.bea.id]
    page = await admin.get(f"/gebruikers/{office.bea.id}?gelukt=overgedragen")
    assert "De open dossiers en gesprekken zijn overgedragen." in page.text
    assert "geen open dossiers of gesprekken" in page.text


async def test_a_gemeentebeheerder_hands_over_a_klantmanagers_work(hub: HubUnderTest, office: Office) -> None:
    gb = await hub.user(office.gemeente, Role.GEMEENTEBEHEERDER, email="gb@oost.example.nl")
    colleague = await hub.user(office.gemeente, Role.CONSULENT, name="Cora", email="cora@oost.example.nl")
    client = await hub.client_for(gb)
    page = await client.get(f"/gebruikers/{office.karim.id}")
    assert "Dossier 2026-100000" in page.text
    assert (
        await client.post_form(f"/gebruikers/{office.karim.id}/overdragen", {"successor_id": colleague.id})
    ).status_code == 303
    async with hub.db() as db:
        rows = (await db.execute(select(Case).where(col(Case.id).in_([c.id for c in office.cases[:2]])))).scalars()
        assert {c.gemeente_contact_id for c in rows} == {colleague.id}


async def test_a_removed_user_cannot_log_in_and_keeps_their_name(hub: HubUnderTest, office: Office) -> None:
    bea_session = await hub.client_for(office.bea)
    admin = await hub.client_for(office.beheerder)
    confirm = await admin.get(f"/gebruikers/{office.bea.id}/verwijderen")
    assert confirm.status_code == 200 and "Bea Vertrek verwijderen?" in confirm.text
    assert "Dossier 2026-100001" in confirm.text and "Over dossier 2026-100000, met Gemeente Oost" in confirm.text
    response = await admin.post_form(f"/gebruikers/{office.bea.id}/verwijderen", {"successor_id": office.bob.id})
    assert response.status_code == 303 and response.headers["location"] == "/gebruikers?gelukt=verwijderd"

    bea = await hub.reload(office.bea)
    assert bea.disabled and bea.removed_at is not None
    assert (await bea_session.get("/")).status_code in (302, 303)  # the session ended
    login = hub.client()
    page = await login.get("/inloggen")
    response = await login.post(
        "/inloggen", data={"email": "bea@bewind.example.nl", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code != 303  # no second step: the login is refused
    async with hub.db() as db:
        handed = await db.get(Case, office.cases[0].id)
    assert handed is not None and handed.bewindvoerder_id == office.bob.id
    # The other side still reads her message under her name; she is nobody's to assign any more.
    karim = await hub.client_for(office.karim)
    assert "Bea Vertrek" in (await karim.get(f"/berichten/{office.thread.id}")).text
    bob = await hub.client_for(office.bob)
    case_page = await bob.get(f"/dossiers/{office.cases[0].id}")
    assert f'value="{bea.id}"' not in case_page.text
    users = await admin.get("/gebruikers?gelukt=verwijderd")
    assert "De gebruiker is verwijderd" in users.text and "Verwijderd</span>" in users.text
    assert [e.object_id for e in await _actions(hub, "user.removed")] == [bea.id]
    # A removed account is not changed again.
    form = {"name": "Bea", "email": "bea@bewind.example.nl", "roles": ["bewindvoerder"]}
    assert (await admin.post_form(f"/gebruikers/{bea.id}/bewerken", form)).status_code == 403
    assert (await admin.post_form(f"/gebruikers/{bea.id}/deblokkeren")).status_code == 403
    assert (await hub.reload(bea)).disabled


async def test_removal_without_a_successor_leaves_the_work_unassigned(hub: HubUnderTest, office: Office) -> None:
    admin = await hub.client_for(office.beheerder)
    assert (await admin.post_form(f"/gebruikers/{office.bea.id}/verwijderen", {"successor_id": ""})).status_code == 303
    async with hub.db() as db:
        case = await db.get(Case, office.cases[0].id)
        thread = await db.get(Thread, office.thread.id)
    assert case is not None and case.bewindvoerder_id is None
    assert thread is not None and thread.kantoor_assignee_id is None
