"""The add-user form tells an organisation's administrator nothing about other organisations' accounts: an address
in use in another organisation gets one answer whichever organisation holds it (same status, same page), distinct
only from an address in use in the administrator's own organisation, whose users they see anyway. The refusal is
audited for the functioneel beheerder, by id, never with the address (issue 10)."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from hub.accounts.addresses import ADDRESS_REFUSED, ADDRESS_TAKEN, ADDRESS_UNUSABLE
from hub.accounts.models import User
from hub.accounts.roles import OrgKind, Role
from hub.audit.models import AuditEvent
from tests.support.hubclient import HubUnderTest

ADDRESS = "192.0.2.7"


async def _users(hub: HubUnderTest) -> int:
    async with hub.db() as db:
        return int((await db.execute(select(func.count()).select_from(User))).scalar_one())


async def test_an_address_in_another_organisation_gets_one_answer_for_every_organisation(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    kantoor_a = await hub.org(OrgKind.KANTOOR, "Kantoor A")
    kantoor_b = await hub.org(OrgKind.KANTOOR, "Kantoor B")
    gemeente = await hub.org(OrgKind.GEMEENTE, "Gemeente C")
    admin = await hub.user(kantoor_a, Role.KANTOORBEHEERDER, email="beheer@a.example.nl")
    await hub.user(kantoor_a, Role.BEWINDVOERDER, email="collega@a.example.nl")
    in_b = await hub.user(kantoor_b, Role.BEWINDVOERDER, email="jan@b.example.nl")
    in_c = await hub.user(gemeente, Role.KLANTMANAGER, email="kim@c.example.nl")
    client = await hub.client_for(admin)
    client.headers["user-agent"] = "Probe/1.0"
    before = await _users(hub)

    async def add(email: str) -> tuple[int, str]:
        response = await client.post_form(
            "/gebruikers", {"name": "Nieuwe Collega", "email": email, "roles": ["bewindvoerder"]}
        )
        # The session's seconds left (the idle warning's data-seconds) tick between two posts on a busy machine.
        page = re.sub(r'data-seconds="\d+"', 'data-seconds="N"', response.text)
        return response.status_code, page.replace(email, "ADRES")

    answers = [await add(email) for email in ("jan@b.example.nl", "KIM@c.example.nl", "collega@a.example.nl")]
    (b_status, b_page), (c_status, c_page), (own_status, own_page) = answers
    assert b_status == c_status == own_status == 400  # the same status for every clash
    assert ADDRESS_UNUSABLE in b_page and ADDRESS_TAKEN not in b_page
    assert b_page == c_page  # the same page, whichever organisation holds the address
    assert ADDRESS_TAKEN in own_page and ADDRESS_UNUSABLE not in own_page  # a colleague the admin sees listed
    assert await _users(hub) == before

    async with hub.db() as db:
        records = list(
            (await db.execute(select(AuditEvent).where(AuditEvent.action == ADDRESS_REFUSED))).scalars()  # type: ignore[arg-type]
        )
    assert [(r.user_id, r.organisation_id, r.object_type, r.object_id) for r in records] == [
        (admin.id, kantoor_a.id, "user", in_b.id),
        (admin.id, kantoor_a.id, "user", in_c.id),
    ]
    assert {r.user_agent for r in records} == {"Probe/1.0"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged.count(ADDRESS_REFUSED) == 2
    for email in ("jan@b.example.nl", "kim@c.example.nl", "collega@a.example.nl"):
        assert email not in logged.lower()
        assert all(email not in f"{r.object_id} {r.user_agent}" for r in records)


async def test_the_operator_sees_every_account_and_is_told_plainly(hub: HubUnderTest) -> None:
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    kantoor_b = await hub.org(OrgKind.KANTOOR, "Kantoor B")
    empty = await hub.org(OrgKind.KANTOOR, "Kantoor Leeg")
    operator = await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER)
    await hub.user(kantoor_b, Role.BEWINDVOERDER, email="jan@b.example.nl")
    client = await hub.client_for(operator)
    response = await client.post_form(
        "/gebruikers",
        {"organisation_id": empty.id, "name": "Eerste", "email": "jan@b.example.nl", "roles": ["kantoorbeheerder"]},
    )
    assert response.status_code == 400
    assert ADDRESS_TAKEN in response.text and ADDRESS_UNUSABLE not in response.text
