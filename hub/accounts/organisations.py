"""Organisations and convenants.

The methods that take an `actor` act for a user and check that user's rights themselves (hub.accounts.authz):
the pages and the API call those. The others (create, get, all, partners_of, ...) are the building blocks they
use, and the operator's CLI and the demo call them directly (no user acts there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts import topic_contacts
from hub.accounts.authz import Action, require
from hub.accounts.email_rule import valid_email
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind
from hub.accounts.topic_contacts import ContactTopic
from hub.audit import services as audit
from hub.db import utcnow
from hub.errors import NotFound, ValidationError
from hub.terms import as_local_date, controle_contactgegevens_due, is_overdue

CONVENANT_STATUSES = ("concept", "actief", "beeindigd")


@dataclass(frozen=True)
class OwnContacts:
    """An organisation's own contact details as its kantoorbeheerder or contractmanager sees them."""

    organisation: Organisation
    status: PartnerContact
    confirmed_by: str | None  # a colleague's name, or None


@dataclass(frozen=True)
class PartnerContact:
    organisation: Organisation
    overdue: bool
    next_check: datetime | None


class OrganisationService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(
        self, kind: OrgKind, name: str, *, contact_person: str = "", contact_email: str = "", contact_phone: str = ""
    ) -> Organisation:
        name = name.strip()
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = "Vul de naam van de organisatie in."
        elif len(name) > 200:
            errors["name"] = "De naam is te lang: gebruik hoogstens 200 tekens."
        elif await self.by_name(name) is not None:
            errors["name"] = "Er bestaat al een organisatie met deze naam."
        if len(contact_person.strip()) > 200:
            errors["contact_person"] = "Deze naam is te lang: gebruik hoogstens 200 tekens."
        if contact_email and not valid_email(contact_email.strip()):
            errors["contact_email"] = "Vul een geldig e-mailadres in, bijvoorbeeld info@gemeente.nl."
        if len(contact_phone.strip()) > 40:
            errors["contact_phone"] = "Het telefoonnummer is te lang."
        if errors:
            raise ValidationError(errors)
        org = Organisation(
            kind=kind.value,
            name=name,
            contact_person=contact_person.strip(),
            contact_email=contact_email.strip().lower(),
            contact_phone=contact_phone.strip(),
        )
        self.db.add(org)
        await self.db.flush()
        return org

    async def by_name(self, name: str) -> Organisation | None:
        return (await self.db.execute(select(Organisation).where(col(Organisation.name) == name))).scalar_one_or_none()

    async def get(self, org_id: str) -> Organisation:
        org = await self.db.get(Organisation, org_id)
        if org is None:
            raise NotFound(org_id)
        return org

    async def all(self) -> list[Organisation]:
        return list(
            (
                await self.db.execute(select(Organisation).order_by(col(Organisation.kind), col(Organisation.name)))
            ).scalars()
        )

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(Organisation))).scalar_one())

    async def partners_of(self, org: Organisation) -> list[Organisation]:
        """The organisations that have a convenant with `org` (any status), sorted by name."""
        if org.org_kind == OrgKind.GEMEENTE:
            join_on, where = col(Convenant.kantoor_id), col(Convenant.gemeente_id) == org.id
        elif org.org_kind == OrgKind.KANTOOR:
            join_on, where = col(Convenant.gemeente_id), col(Convenant.kantoor_id) == org.id
        else:
            return []
        rows = await self.db.execute(
            select(Organisation)
            .join(Convenant, join_on == col(Organisation.id))
            .where(where)
            .distinct()
            .order_by(col(Organisation.name))
        )
        return list(rows.scalars())

    async def update_contacts(
        self, org: Organisation, *, person: str, email: str, phone: str, by: User, now: datetime | None = None
    ) -> None:
        """Write the contact details and who confirmed them (no rights check: see confirm_own_contacts)."""
        errors: dict[str, str] = {}
        if not person.strip():
            errors["contact_person"] = "Vul de naam van de contactpersoon in."
        elif len(person.strip()) > 200:
            errors["contact_person"] = "Deze naam is te lang: gebruik hoogstens 200 tekens."
        if not valid_email(email.strip()):
            errors["contact_email"] = "Vul een geldig vast e-mailadres in, bijvoorbeeld bewind@kantoor.nl."
        if len(phone.strip()) > 40:
            errors["contact_phone"] = "Het telefoonnummer is te lang."
        if errors:
            raise ValidationError(errors)
        org.contact_person = person.strip()
        org.contact_email = email.strip().lower()
        org.contact_phone = phone.strip()
        org.contacts_confirmed_at = now or utcnow()
        org.contacts_confirmed_by = by.id
        self.db.add(org)
        await self.db.flush()

    def contact_status(self, org: Organisation, now: datetime | None = None) -> PartnerContact:
        """The yearly check (§1a.1) is due one year after the Amsterdam date of the last confirmation, by the terms
        rule (:func:`hub.terms.controle_contactgegevens_due`: the same date a year on, 29 February to 28 February,
        moved to a werkdag), and overdue only once that day is over."""
        now = now or utcnow()
        if org.contacts_confirmed_at is None:
            return PartnerContact(org, overdue=True, next_check=None)
        next_check = controle_contactgegevens_due(as_local_date(org.contacts_confirmed_at))
        return PartnerContact(org, overdue=is_overdue(next_check, now), next_check=next_check)

    async def routekaart(self, org: Organisation, now: datetime | None = None) -> list[PartnerContact]:
        """The partner directory a contractmanager keeps: the gemeente itself first, then every partner."""
        return [self.contact_status(o, now) for o in [org, *await self.partners_of(org)]]

    # -- acting for a user ---------------------------------------------------------------------------------

    async def add(
        self,
        actor: User,
        kind: OrgKind,
        name: str,
        *,
        contact_person: str = "",
        contact_email: str = "",
        contact_phone: str = "",
    ) -> Organisation:
        require(actor, Action.MANAGE_ORGANISATIONS)
        org = await self.create(
            kind, name, contact_person=contact_person, contact_email=contact_email, contact_phone=contact_phone
        )
        await audit_change(self.db, actor, "organisation.create", "organisation", org.id)
        return org

    async def overview(self, actor: User, now: datetime | None = None) -> list[PartnerContact]:
        """Every organisation with the state of its contact details (the functioneel beheerder's list)."""
        require(actor, Action.MANAGE_ORGANISATIONS)
        return [self.contact_status(o, now) for o in await self.all()]

    async def own(self, actor: User) -> Organisation:
        return await self.get(actor.organisation_id)

    async def routekaart_for(
        self, actor: User, now: datetime | None = None
    ) -> tuple[Organisation, list[PartnerContact]]:
        """The contractmanager's routekaart: their gemeente first, then every partner."""
        own = await self.own(actor)
        require(actor, Action.VIEW_ROUTEKAART, own)
        return own, await self.routekaart(own, now)

    async def own_contacts(self, actor: User, now: datetime | None = None) -> OwnContacts:
        own = await self.own(actor)
        require(actor, Action.CONFIRM_OWN_CONTACTS, own)
        confirmed_by = None
        if own.contacts_confirmed_by:
            by = await self.db.get(User, own.contacts_confirmed_by)
            # Only a colleague's name: the confirming user belongs to the same organisation.
            confirmed_by = by.name if by is not None and by.organisation_id == own.id else None
        return OwnContacts(own, self.contact_status(own, now), confirmed_by)

    async def confirm_own_contacts(
        self,
        actor: User,
        *,
        person: str,
        email: str,
        phone: str,
        topics: Mapping[ContactTopic, topic_contacts.Entry] | None = None,
        now: datetime | None = None,
    ) -> bool:
        """A partner confirms or corrects its own contact person and fixed address (§1a), and with ``topics`` its
        contacts per topic of the routekaart (a topic left empty has none of its own); True when anything changed."""
        own = await self.own(actor)
        require(actor, Action.CONFIRM_OWN_CONTACTS, own)
        topic_errors = topic_contacts.check(topics or {})
        before = (own.contact_person, own.contact_email, own.contact_phone)
        try:
            await self.update_contacts(own, person=person, email=email, phone=phone, by=actor, now=now)
        except ValidationError as exc:
            raise ValidationError({**exc.errors, **topic_errors}) from None
        if topic_errors:
            raise ValidationError(topic_errors)
        changed = before != (own.contact_person, own.contact_email, own.contact_phone)
        if topics is not None:
            changed = await topic_contacts.replace(self.db, own.id, topics) or changed
        action = "organisation.contacts_changed" if changed else "organisation.contacts_confirmed"
        await audit_change(self.db, actor, action, "organisation", own.id)
        return changed


class ConvenantService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(
        self, gemeente_id: str, kantoor_id: str, start: date, end: date | None = None, status: str = "actief"
    ) -> Convenant:
        errors: dict[str, str] = {}
        gemeente = await self.db.get(Organisation, gemeente_id)
        kantoor = await self.db.get(Organisation, kantoor_id)
        if gemeente is None or gemeente.org_kind != OrgKind.GEMEENTE:
            errors["gemeente_id"] = "Kies een gemeente."
        if kantoor is None or kantoor.org_kind != OrgKind.KANTOOR:
            errors["kantoor_id"] = "Kies een bewindvoerderskantoor."
        if end is not None and end < start:
            errors["end_date"] = "De einddatum ligt voor de begindatum."
        if status not in CONVENANT_STATUSES:
            errors["status"] = "Kies een geldige status."
        if not errors:
            clash = await self.db.execute(
                select(Convenant).where(
                    col(Convenant.gemeente_id) == gemeente_id,
                    col(Convenant.kantoor_id) == kantoor_id,
                    col(Convenant.start_date) == start,
                )
            )
            if clash.first() is not None:
                errors["start_date"] = "Deze gemeente en dit kantoor hebben al een convenant met deze begindatum."
        if errors:
            raise ValidationError(errors)
        conv = Convenant(gemeente_id=gemeente_id, kantoor_id=kantoor_id, start_date=start, end_date=end, status=status)
        self.db.add(conv)
        await self.db.flush()
        return conv

    async def for_organisation(self, org_id: str | None = None) -> list[tuple[Convenant, Organisation, Organisation]]:
        """Convenants with their gemeente and kantoor; all of them, or those `org_id` is party to."""
        gem, kan = aliased(Organisation), aliased(Organisation)
        query = (
            select(Convenant, gem, kan)
            .join(gem, col(Convenant.gemeente_id) == gem.id)
            .join(kan, col(Convenant.kantoor_id) == kan.id)
            .order_by(gem.name, kan.name)
        )
        if org_id is not None:
            query = query.where(or_(col(Convenant.gemeente_id) == org_id, col(Convenant.kantoor_id) == org_id))
        return [(c, g, k) for c, g, k in (await self.db.execute(query)).all()]

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(Convenant))).scalar_one())

    # -- acting for a user ---------------------------------------------------------------------------------

    async def add(
        self,
        actor: User,
        gemeente_id: str,
        kantoor_id: str,
        start: date,
        end: date | None = None,
        status: str = "actief",
    ) -> Convenant:
        require(actor, Action.MANAGE_ORGANISATIONS)
        convenant = await self.create(gemeente_id, kantoor_id, start, end, status)
        await audit_change(self.db, actor, "convenant.create", "convenant", convenant.id)
        return convenant

    async def overview(self, actor: User) -> list[tuple[Convenant, Organisation, Organisation]]:
        require(actor, Action.MANAGE_ORGANISATIONS)
        return await self.for_organisation(None)

    async def own_convenants(self, actor: User) -> list[tuple[Convenant, Organisation, Organisation]]:
        """The convenants the actor's own organisation is party to (the contractmanager reads them)."""
        require(actor, Action.READ_CONVENANTS)
        return await self.for_organisation(actor.organisation_id)


async def audit_change(db: AsyncSession, actor: User, action: str, object_type: str, object_id: str) -> None:
    """Organisations and convenants made or changed by a user: who, which organisation, what (ids only)."""
    await audit.record(
        db,
        user_id=actor.id,
        organisation_id=actor.organisation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
    )
