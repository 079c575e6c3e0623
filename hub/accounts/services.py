"""Organisations, convenants and users: creating and managing them, always within what the caller may see."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts import passwords
from hub.accounts.auth import AuthService, normalise_email
from hub.accounts.models import NOTIFY_MODES, Convenant, Organisation, RecoveryCode, User
from hub.accounts.roles import ROLES_FOR_KIND, OrgKind, Role, format_roles
from hub.db import utcnow
from hub.errors import NotFound, ValidationError
from hub.terms import as_local_date, controle_contactgegevens_due

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[a-z]{2,}$", re.IGNORECASE)
# §1a.1: the contractmanager checks the contact details at least once a year.
CONVENANT_STATUSES = ("concept", "actief", "beeindigd")


def valid_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value)) and len(value) <= 254


def generate_initial_password() -> str:
    """A one-time password for a new account; the user must replace it at first login."""
    return secrets.token_urlsafe(15)


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
        return (await self.db.execute(select(Organisation).where(Organisation.name == name))).scalar_one_or_none()

    async def get(self, org_id: str) -> Organisation:
        org = await self.db.get(Organisation, org_id)
        if org is None:
            raise NotFound(org_id)
        return org

    async def all(self) -> list[Organisation]:
        return list(
            (await self.db.execute(select(Organisation).order_by(Organisation.kind, Organisation.name))).scalars()
        )

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(Organisation))).scalar_one())

    async def partners_of(self, org: Organisation) -> list[Organisation]:
        """The organisations that have a convenant with `org` (any status), sorted by name."""
        if org.org_kind == OrgKind.GEMEENTE:
            join_on, where = Convenant.kantoor_id, Convenant.gemeente_id == org.id
        elif org.org_kind == OrgKind.KANTOOR:
            join_on, where = Convenant.gemeente_id, Convenant.kantoor_id == org.id
        else:
            return []
        rows = await self.db.execute(
            select(Organisation)
            .join(Convenant, join_on == Organisation.id)
            .where(where)
            .distinct()
            .order_by(Organisation.name)
        )
        return list(rows.scalars())

    async def update_contacts(
        self, org: Organisation, *, person: str, email: str, phone: str, by: User, now: datetime | None = None
    ) -> None:
        """A partner confirms or corrects its own contact person and fixed address (§1a)."""
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
        now = now or utcnow()
        if org.contacts_confirmed_at is None:
            return PartnerContact(org, overdue=True, next_check=None)
        next_check = controle_contactgegevens_due(as_local_date(org.contacts_confirmed_at))
        return PartnerContact(org, overdue=next_check < now, next_check=next_check)

    async def routekaart(self, org: Organisation, now: datetime | None = None) -> list[PartnerContact]:
        """The partner directory a contractmanager keeps: the gemeente itself first, then every partner."""
        return [self.contact_status(o, now) for o in [org, *await self.partners_of(org)]]


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
                    Convenant.gemeente_id == gemeente_id,
                    Convenant.kantoor_id == kantoor_id,
                    Convenant.start_date == start,
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
            .join(gem, gem.id == Convenant.gemeente_id)
            .join(kan, kan.id == Convenant.kantoor_id)
            .order_by(gem.name, kan.name)
        )
        if org_id is not None:
            query = query.where(or_(Convenant.gemeente_id == org_id, Convenant.kantoor_id == org_id))
        return [(c, g, k) for c, g, k in (await self.db.execute(query)).all()]

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(Convenant))).scalar_one())


class UserService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def create(
        self,
        organisation: Organisation,
        *,
        name: str,
        email: str,
        roles: set[Role],
        password: str | None = None,
        must_change_password: bool = True,
    ) -> tuple[User, str]:
        """Create a user; returns the user and the (initial) password. Validation errors are Dutch."""
        email = normalise_email(email)
        errors: dict[str, str] = {}
        if not name.strip():
            errors["name"] = "Vul de naam in."
        elif len(name.strip()) > 200:
            errors["name"] = "De naam is te lang: gebruik hoogstens 200 tekens."
        if not valid_email(email):
            errors["email"] = "Vul een geldig e-mailadres in, bijvoorbeeld naam@organisatie.nl."
        elif (await self.db.execute(select(User.id).where(User.email == email))).first() is not None:
            errors["email"] = "Er bestaat al een gebruiker met dit e-mailadres."
        allowed = ROLES_FOR_KIND[organisation.org_kind]
        if not roles:
            errors["roles"] = "Kies ten minste één rol."
        elif not roles <= allowed:
            errors["roles"] = "Deze rol past niet bij het soort organisatie."
        if password is None:
            password = generate_initial_password()
        else:
            try:
                passwords.check_password_policy(password, email=email, name=name)
            except passwords.PasswordPolicyError as exc:
                errors["password"] = str(exc)
        if errors:
            raise ValidationError(errors)
        user = User(
            organisation_id=organisation.id,
            name=name.strip(),
            email=email,
            roles=format_roles(roles),
            password_hash=await passwords.hash_password(password),
            must_change_password=must_change_password,
        )
        self.db.add(user)
        await self.db.flush()
        return user, password

    async def by_email(self, email: str) -> User | None:
        return (await self.db.execute(select(User).where(User.email == normalise_email(email)))).scalar_one_or_none()

    async def in_organisation(self, org_id: str) -> list[User]:
        return list(
            (await self.db.execute(select(User).where(User.organisation_id == org_id).order_by(User.name))).scalars()
        )

    async def all(self) -> list[tuple[User, Organisation]]:
        rows = await self.db.execute(
            select(User, Organisation).join(Organisation).order_by(Organisation.name, User.name)
        )
        return [(u, o) for u, o in rows.all()]

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(User))).scalar_one())

    async def set_disabled(self, user: User, disabled: bool, auth: AuthService) -> None:
        user.disabled = disabled
        self.db.add(user)
        if disabled:
            await auth.end_all_sessions(user.id)
        await self.db.flush()

    async def reset_mfa(self, user: User, auth: AuthService) -> None:
        """The user enrols again at the next login; every session of theirs ends now."""
        user.totp_secret = None
        user.totp_last_step = None
        user.mfa_enrolled_at = None
        self.db.add(user)
        await self.db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        await auth.end_all_sessions(user.id)
        await self.db.flush()

    async def set_notify_mode(self, user: User, mode: str) -> None:
        """Direct mails for every event, or one daily digest on werkdagen (escalations go to the fixed address)."""
        if mode not in NOTIFY_MODES:
            raise ValidationError({"notify_mode": "Kies hoe u e-mail over nieuwe zaken wilt ontvangen."})
        user.notify_mode = mode
        self.db.add(user)
        await self.db.flush()

    async def reset_password(self, user: User, auth: AuthService) -> str:
        password = generate_initial_password()
        user.password_hash = await passwords.hash_password(password)
        user.must_change_password = True
        self.db.add(user)
        await auth.end_all_sessions(user.id)
        await self.db.flush()
        return password
