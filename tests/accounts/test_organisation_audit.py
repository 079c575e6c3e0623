"""Organisations and convenants created, and an organisation's contact details confirmed or changed, are in the
audit log: who (user and organisation), what, which object — ids only, never the names or addresses."""

from __future__ import annotations

from datetime import date

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
