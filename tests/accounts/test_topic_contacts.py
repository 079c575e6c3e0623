"""The routekaart's contacts per topic: kept by each organisation on its contact page, confirmed with its fixed
contact, shown on the contractmanager's routekaart; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub.accounts.organisations import OrganisationService
from hub.accounts.roles import Role
from hub.accounts.topic_contacts import ContactTopic, contacts_of
from hub.errors import ValidationError
from tests.messaging.world import build_world
from tests.support.hubclient import HubUnderTest

FIXED = {"contact_person": "Vera Vast", "contact_email": "info@brug.example.nl", "contact_phone": ""}
EMPTY = {f"{t.value}_{part}": "" for t in ContactTopic for part in ("person", "email", "phone")}


async def test_topics_saved_replaced_and_checked(hub: HubUnderTest) -> None:
    world = await build_world(hub)
    beheerder = await hub.user(world.kantoor, Role.KANTOORBEHEERDER, name="Kim Beheer", email="kim@brug.example.nl")
    topics = {
        ContactTopic.SCHULDHULP: ("Sam Schuld", "Schuld@Brug.example.nl ", "024 123 45 67"),
        ContactTopic.BIJZONDERE_BIJSTAND: ("", "", ""),
        ContactTopic.UITSTROOM: ("Uma Uit", "uit@brug.example.nl", ""),
    }
    async with hub.db() as db:
        changed = await OrganisationService(db).confirm_own_contacts(
            beheerder, person="Vera Vast", email="info@brug.example.nl", phone="", topics=topics
        )
    assert changed
    async with hub.db() as db:
        named = (await contacts_of(db, [world.kantoor.id]))[world.kantoor.id]
    assert set(named) == {ContactTopic.SCHULDHULP, ContactTopic.UITSTROOM}
    assert (named[ContactTopic.SCHULDHULP].email, named[ContactTopic.SCHULDHULP].phone) == (
        "schuld@brug.example.nl", "024 123 45 67"
    )  # fmt: skip

    async with hub.db() as db:  # the same again: confirmed, nothing changed
        assert not await OrganisationService(db).confirm_own_contacts(
            beheerder, person="Vera Vast", email="info@brug.example.nl", phone="", topics=topics
        )
    bad = {**topics, ContactTopic.UITSTROOM: ("Uma Uit", "geen-adres", "")}
    async with hub.db() as db:
        with pytest.raises(ValidationError) as refused:
            await OrganisationService(db).confirm_own_contacts(
                beheerder, person="", email="info@brug.example.nl", phone="", topics=bad
            )
    assert set(refused.value.errors) == {"contact_person", "uitstroom_email"}
    async with hub.db() as db:
        assert (await contacts_of(db, [world.kantoor.id]))[world.kantoor.id][ContactTopic.UITSTROOM].email == (
            "uit@brug.example.nl"
        )


async def test_contact_page_and_routekaart(hub_sqlite: HubUnderTest) -> None:
    world = await build_world(hub_sqlite)
    beheerder = await hub_sqlite.user(world.kantoor, Role.KANTOORBEHEERDER, name="Kim Beheer",
                                      email="kim@brug.example.nl")  # fmt: skip
    client = await hub_sqlite.client_for(beheerder)
    page = await client.get("/organisatie/contactgegevens")
    assert "Schuldhulpverlening (§2.3)" in page.text
    refused = await client.post_form("/organisatie/contactgegevens",
                                     {**FIXED, **EMPTY, "schuldhulp_person": "Sam Schuld"})  # fmt: skip
    assert refused.status_code == 400
    assert "Vul een geldig e-mailadres voor Schuldhulpverlening (§2.3) in." in refused.text
    assert 'href="#schuldhulp_email"' in refused.text and 'value="Sam Schuld"' in refused.text
    done = await client.post_form(
        "/organisatie/contactgegevens",
        {**FIXED, **EMPTY, "schuldhulp_person": "Sam Schuld", "schuldhulp_email": "schuld@brug.example.nl"},
    )
    assert done.status_code == 303
    assert 'value="schuld@brug.example.nl"' in (await client.get("/organisatie/contactgegevens")).text

    routekaart = (await (await hub_sqlite.client_for(world.contractmanager)).get("/routekaart")).text
    assert "Aanspreekpunt per onderwerp" in routekaart
    assert "Sam Schuld" in routekaart and "mailto:schuld@brug.example.nl" in routekaart
    assert "Schuldhulpverlening (§2.3)" in routekaart and "Uitstroom en nazorg" not in routekaart
