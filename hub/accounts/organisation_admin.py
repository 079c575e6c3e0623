"""The functioneel beheerder changes and ends organisations and convenants.

- *Change an organisation*: its name and its contact details (the kind stays: users and convenants depend on it).
  Changing the contact details here does not count as the organisation's own yearly confirmation (§1a.1).
- *End an organisation* on a day: :attr:`Organisation.ended_on`; every convenant of it that runs past that day ends
  on it (one that had not started by then is marked *beëindigd*). From the day after, no new case or general
  question starts under them (:meth:`Convenant.is_active_on`, the one rule); everything that exists stays readable
  and the users keep their accounts (their administrator removes them: hub.accounts.user_admin).
- *Change a convenant*: its start and end date and its status; *end* it: an end date (today or another day). An
  ended convenant starts nothing new; its cases and threads stay as they are.

Audited: ``organisation.changed``, ``organisation.ended``, ``convenant.changed``, ``convenant.ended`` (ids only).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.email_rule import valid_email
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.organisations import CONVENANT_STATUSES, OrganisationService, audit_change
from hub.errors import NotFound, ValidationError

ENDED = "beeindigd"


class OrganisationAdmin:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def organisation(self, actor: User, org_id: str) -> Organisation:
        require(actor, Action.MANAGE_ORGANISATIONS)
        org = await self.db.get(Organisation, org_id) if len(org_id) <= 32 else None
        if org is None:
            raise NotFound("Organisation")
        return org

    async def convenant(self, actor: User, convenant_id: str) -> Convenant:
        require(actor, Action.MANAGE_ORGANISATIONS)
        convenant = await self.db.get(Convenant, convenant_id) if len(convenant_id) <= 32 else None
        if convenant is None:
            raise NotFound("Convenant")
        return convenant

    async def convenants_of(self, org: Organisation) -> list[Convenant]:
        rows = await self.db.execute(
            select(Convenant)
            .where(or_(col(Convenant.gemeente_id) == org.id, col(Convenant.kantoor_id) == org.id))
            .order_by(col(Convenant.start_date))
        )
        return list(rows.scalars())

    async def party_names(self, convenants: list[Convenant]) -> dict[str, str]:
        """The names of the convenants' gemeenten and kantoren, by id."""
        ids = {c.gemeente_id for c in convenants} | {c.kantoor_id for c in convenants}
        rows = await self.db.execute(select(Organisation).where(col(Organisation.id).in_(ids)))
        return {o.id: o.name for o in rows.scalars()}

    async def update_organisation(
        self, actor: User, org_id: str, *, name: str, contact_person: str, contact_email: str, contact_phone: str
    ) -> Organisation:
        org = await self.organisation(actor, org_id)
        name, email = name.strip(), contact_email.strip().lower()
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = "Vul de naam van de organisatie in."
        elif len(name) > 200:
            errors["name"] = "De naam is te lang: gebruik hoogstens 200 tekens."
        elif name != org.name and await OrganisationService(self.db).by_name(name) is not None:
            errors["name"] = "Er bestaat al een organisatie met deze naam."
        if len(contact_person.strip()) > 200:
            errors["contact_person"] = "Deze naam is te lang: gebruik hoogstens 200 tekens."
        if email and not valid_email(email):
            errors["contact_email"] = "Vul een geldig e-mailadres in, bijvoorbeeld info@gemeente.nl."
        if len(contact_phone.strip()) > 40:
            errors["contact_phone"] = "Het telefoonnummer is te lang."
        if errors:
            raise ValidationError(errors)
        org.name, org.contact_person, org.contact_email = name, contact_person.strip(), email
        org.contact_phone = contact_phone.strip()
        self.db.add(org)
        await self.db.flush()
        await audit_change(self.db, actor, "organisation.changed", "organisation", org.id)
        return org

    async def end_organisation(self, actor: User, org_id: str, ended_on: date) -> list[Convenant]:
        """End the organisation on ``ended_on``; returns the convenants that ended with it."""
        org = await self.organisation(actor, org_id)
        org.ended_on = ended_on
        self.db.add(org)
        ended: list[Convenant] = []
        for convenant in await self.convenants_of(org):
            if convenant.end_date is not None and convenant.end_date <= ended_on:
                continue
            if convenant.start_date > ended_on:
                convenant.status = ENDED  # it never started
            else:
                convenant.end_date = ended_on
            self.db.add(convenant)
            ended.append(convenant)
        await self.db.flush()
        await audit_change(self.db, actor, "organisation.ended", "organisation", org.id)
        for convenant in ended:
            await audit_change(self.db, actor, "convenant.ended", "convenant", convenant.id)
        return ended

    async def update_convenant(
        self, actor: User, convenant_id: str, *, start: date, end: date | None, status: str
    ) -> Convenant:
        convenant = await self.convenant(actor, convenant_id)
        errors: dict[str, str] = {}
        if end is not None and end < start:
            errors["end_date"] = "De einddatum ligt voor de begindatum."
        if status not in CONVENANT_STATUSES:
            errors["status"] = "Kies een geldige status."
        if start != convenant.start_date:
            clash = await self.db.execute(
                select(col(Convenant.id)).where(
                    col(Convenant.gemeente_id) == convenant.gemeente_id,
                    col(Convenant.kantoor_id) == convenant.kantoor_id,
                    col(Convenant.start_date) == start,
                )
            )
            if clash.first() is not None:
                errors["start_date"] = "Deze gemeente en dit kantoor hebben al een convenant met deze begindatum."
        if errors:
            raise ValidationError(errors)
        convenant.start_date, convenant.end_date, convenant.status = start, end, status
        self.db.add(convenant)
        await self.db.flush()
        await audit_change(self.db, actor, "convenant.changed", "convenant", convenant.id)
        return convenant

    async def end_convenant(self, actor: User, convenant_id: str, end: date) -> Convenant:
        convenant = await self.convenant(actor, convenant_id)
        if end < convenant.start_date:
            raise ValidationError({"end_on": "De einddatum ligt voor de begindatum van het convenant."})
        convenant.end_date = end
        self.db.add(convenant)
        await self.db.flush()
        await audit_change(self.db, actor, "convenant.ended", "convenant", convenant.id)
        return convenant
