"""Organisations and convenants created, and an organisation's contact details confirmed or changed, are in the
audit log: who (user and organisation), what, which object — ids only, never the names or addresses."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import select

from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService
from hub.audit.models import AuditEvent
from tests.support.hubclient import HubUnderTest


async def _events(hub: HubUnderTest) -> list[tuple[str | None, str, str, str]]:
    async with hub.db() as db:
        rows = (await db.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars()  # type: ignore[arg-type]
        return [(e.user_id, e.action, e.object_type, e.object_id) for e in rows if e.action.split(".")[0] in
                ("organisation", "convenant")]  # fmt: skip


async def test_organisation_and_convenant_changes_are_audited(hub: HubUnderTest) -> None:
    beheer = await hub.org(OrgKind.BEHEER, "Beheer")
    operator = await hub.user(beheer, Role.FUNCTIONEEL_BEHEERDER)
    async with hub.db() as db:
        orgs = OrganisationService(db)
        gemeente = await orgs.add(operator, OrgKind.GEMEENTE, "Gemeente Nijmegen", contact_email="c@nijmegen.nl")
        kantoor = await orgs.add(operator, OrgKind.KANTOOR, "Bewind & Zo")
        convenant = await ConvenantService(db).add(operator, gemeente.id, kantoor.id, date(2026, 3, 12))
    kb = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@zo.example.nl")
    for phone in ("010 1234567", "010 1234567", "010 7654321"):  # confirmed, confirmed again unchanged, changed
        async with hub.db() as db:
            await OrganisationService(db).confirm_own_contacts(
                kb, person="Karin", email="vast@zo.example.nl", phone=phone
            )
    assert await _events(hub) == [
        (operator.id, "organisation.create", "organisation", gemeente.id),
        (operator.id, "organisation.create", "organisation", kantoor.id),
        (operator.id, "convenant.create", "convenant", convenant.id),
        (kb.id, "organisation.contacts_changed", "organisation", kantoor.id),
        (kb.id, "organisation.contacts_confirmed", "organisation", kantoor.id),
        (kb.id, "organisation.contacts_changed", "organisation", kantoor.id),
    ]


async def test_account_changes_made_in_the_pages_record_where_the_request_came_from(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    kantoor = await hub.org(OrgKind.KANTOOR, "Bewind & Zo")
    admin = await hub.user(kantoor, Role.KANTOORBEHEERDER, email="kb@zo.example.nl")
    bea = await hub.user(kantoor, Role.BEWINDVOERDER, email="bea@zo.example.nl")
    client = hub.client(address="198.51.100.7", headers={"user-agent": "Testbrowser/1.0"})
    await hub.login_via_pages("kb@zo.example.nl", user=admin, client=client)
    with caplog.at_level(logging.INFO, logger="hub.auth"):
        response = await client.post_form(f"/gebruikers/{bea.id}/blokkeren", {"bevestigd": "ja"})
    assert response.status_code == 303
    async with hub.db() as db:
        (blocked,) = (
            await db.execute(select(AuditEvent).where(AuditEvent.action == "user.blocked"))  # type: ignore[arg-type]
        ).scalars()
    assert (blocked.user_id, blocked.object_id) == (admin.id, bea.id)
    assert (blocked.client_address, blocked.user_agent) == ("198.51.100.7", "Testbrowser/1.0")
    assert any("user.blocked" in r.getMessage() for r in caplog.records)
    assert "bea@zo.example.nl" not in caplog.text
