"""Users: creating and managing accounts.

The methods that take an `actor` act for a user and check that user's rights themselves; a user outside the actor's
reach does not exist for them (NotFound). The others are building blocks, also called by the operator's CLI and the
demo.

- An organisation's own administrator (kantoorbeheerder, gemeentebeheerder) adds, blocks and resets the users of
  their own organisation; a one-time password is shown to them once and expires after 72 hours.
- The functioneel beheerder (the operator) creates only an organisation's *first* administrator (while it has no
  active one), and blocks or resets only accounts without a case role (Forbidden otherwise). The operator never sees
  a password: a new or reset account gets a single-use enrolment link at its own address (hub.accounts.enrolment).
- Every change is mailed to the user (through the AccountMailer passed in) and audited, ids only.
- What the form may say about an address already in use: hub.accounts.addresses (nothing about other
  organisations' accounts).

Hashing a password (argon2id, off the event loop) happens before the method's first database statement, so it never
holds SQLite's write lock (every transaction there begins IMMEDIATE).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts import passwords
from hub.accounts.addresses import AddressRefused, address_problem
from hub.accounts.auth import AuthService, normalise_email
from hub.accounts.authz import CASE_WORKERS, Action, may, require
from hub.accounts.enrolment import (
    ONE_TIME_PASSWORD_VALID,
    AccountEvent,
    AccountMailer,
    awaits_enrolment,
    record_event,
    withdraw_tokens,
)
from hub.accounts.models import NOTIFY_MODES, Organisation, RecoveryCode, User, people
from hub.accounts.roles import ADMIN_ROLE, ROLES_FOR_KIND, OrgKind, Role, format_roles
from hub.audit.auth_events import NO_ORIGIN, Origin
from hub.db import utcnow
from hub.errors import Forbidden, NotFound, ValidationError


def generate_initial_password() -> str:
    """A one-time password for a new account; the user must replace it at first login."""
    return secrets.token_urlsafe(15)


class OwnAccount(Exception):
    """An administrator may not block or reset their own account: another administrator does that."""


@dataclass(frozen=True)
class ManagedUsers:
    """The users an administrator manages, grouped by organisation, and where they may add one. For the operator
    (manage_all): every user, but only organisations without an active administrator to add one to."""

    manage_all: bool
    own: Organisation
    organisations: list[Organisation]
    groups: list[tuple[Organisation, list[User]]]


def has_case_role(user: User) -> bool:
    return bool(user.role_set & CASE_WORKERS)


def is_org_admin(user: User) -> bool:
    """An organisation's own administrator (not the operator): the operator does not block or unblock one."""
    return bool(user.role_set & (set(ADMIN_ROLE.values()) - {Role.FUNCTIONEEL_BEHEERDER}))


class UserService:
    def __init__(self, db: AsyncSession, mailer: AccountMailer | None = None, *, origin: Origin = NO_ORIGIN) -> None:
        """``origin``: where the request of the user acting came from, for the audit record of each change."""
        self.db = db
        self.mailer = mailer
        self.origin = origin

    async def _tell(self, actor: User | None, target: User, event: AccountEvent) -> None:
        """Mail the user about what happened to their account, and audit it."""
        if self.mailer is None:
            raise RuntimeError("an account change needs a mailer: the user must be told")
        await record_event(self.db, self.mailer, actor, target, event, origin=self.origin)

    async def has_active_admin(self, organisation: Organisation) -> bool:
        admin = ADMIN_ROLE[organisation.org_kind]
        return any(admin in u.role_set and not u.disabled for u in await self.in_organisation(organisation.id))

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
        chosen = password is not None
        password = password if password is not None else generate_initial_password()
        password_hash = await passwords.hash_password(password)
        return await self._insert(
            organisation,
            name=name,
            email=email,
            roles=roles,
            password=password,
            password_hash=password_hash,
            must_change_password=must_change_password,
            check_policy=chosen,
        )

    async def _insert(
        self,
        organisation: Organisation,
        *,
        name: str,
        email: str,
        roles: set[Role],
        password: str,
        password_hash: str,
        must_change_password: bool,
        check_policy: bool,
        sees_all_users: bool = True,
    ) -> tuple[User, str]:
        """``sees_all_users``: the caller may know every account of the hub (the operator, the command line), which
        an organisation's administrator may not (hub.accounts.addresses)."""
        email = normalise_email(email)
        errors: dict[str, str] = {}
        if not name.strip():
            errors["name"] = "Vul de naam in."
        elif len(name.strip()) > 200:
            errors["name"] = "De naam is te lang: gebruik hoogstens 200 tekens."
        problem, holder_elsewhere = await address_problem(
            self.db, email, organisation.id, sees_all_users=sees_all_users
        )
        if problem:
            errors["email"] = problem
        allowed = ROLES_FOR_KIND[organisation.org_kind]
        if not roles:
            errors["roles"] = "Kies ten minste één rol."
        elif not roles <= allowed:
            errors["roles"] = "Deze rol past niet bij het soort organisatie."
        if check_policy:
            try:
                passwords.check_password_policy(password, email=email, name=name)
            except passwords.PasswordPolicyError as exc:
                errors["password"] = str(exc)
        if holder_elsewhere:
            raise AddressRefused(errors, holder_elsewhere)
        if errors:
            raise ValidationError(errors)
        user = User(
            organisation_id=organisation.id,
            name=name.strip(),
            email=email,
            roles=format_roles(roles),
            password_hash=password_hash,
            must_change_password=must_change_password,
        )
        self.db.add(user)
        await self.db.flush()
        return user, password

    async def by_email(self, email: str) -> User | None:
        return (
            await self.db.execute(select(User).where(col(User.email) == normalise_email(email)))
        ).scalar_one_or_none()

    async def in_organisation(self, org_id: str) -> list[User]:
        return list(
            (
                await self.db.execute(
                    select(User).where(col(User.organisation_id) == org_id, people()).order_by(col(User.name))
                )
            ).scalars()
        )

    async def all(self) -> list[tuple[User, Organisation]]:
        rows = await self.db.execute(
            select(User, Organisation)
            .join(Organisation)
            .where(people())
            .order_by(col(Organisation.name), col(User.name))
        )
        return [(u, o) for u, o in rows.all()]

    async def count(self) -> int:
        return int((await self.db.execute(select(func.count()).select_from(User).where(people()))).scalar_one())

    async def set_disabled(self, user: User, disabled: bool, auth: AuthService) -> None:
        if not disabled and user.removed_at is not None:
            raise Forbidden("a removed account stays blocked (hub.accounts.user_admin)")
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
        await self.db.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
        await auth.end_all_sessions(user.id)
        await self.db.flush()

    async def set_notify_mode(self, user: User, mode: str) -> None:
        """Direct mails for every event, or one daily digest on werkdagen (escalations go to the fixed address)."""
        if mode not in NOTIFY_MODES:
            raise ValidationError({"notify_mode": "Kies hoe u e-mail over nieuwe zaken wilt ontvangen."})
        user.notify_mode = mode
        self.db.add(user)
        await self.db.flush()

    async def reset_password(
        self, user: User, auth: AuthService, *, password: str = "", password_hash: str = ""
    ) -> str:
        """A new one-time password (made here, or made and hashed by the caller before its transaction began)."""
        if not password:
            password = generate_initial_password()
            password_hash = await passwords.hash_password(password)
        user.password_hash = password_hash
        user.must_change_password = True
        user.password_expires_at = utcnow() + ONE_TIME_PASSWORD_VALID
        self.db.add(user)
        await withdraw_tokens(self.db, user.id)
        await auth.end_all_sessions(user.id)
        await self.db.flush()
        return password

    # -- acting for a user ---------------------------------------------------------------------------------

    async def manageable(self, actor: User) -> ManagedUsers:
        """Every user for a functioneel beheerder; a kantoorbeheerder's own organisation's users."""
        require(actor, Action.MANAGE_OWN_USERS)
        own = await self.db.get(Organisation, actor.organisation_id)
        if own is None:
            raise NotFound("Organisation")
        if not may(actor, Action.MANAGE_ALL_USERS):
            return ManagedUsers(False, own, [own], [(own, await self.in_organisation(own.id))])
        organisations = list(
            (
                await self.db.execute(select(Organisation).order_by(col(Organisation.kind), col(Organisation.name)))
            ).scalars()
        )
        by_org: dict[str, list[User]] = {o.id: [] for o in organisations}
        for u, o in await self.all():
            by_org.setdefault(o.id, []).append(u)
        groups = [(o, by_org[o.id]) for o in sorted(organisations, key=lambda o: o.name.lower())]
        admin_less = [
            o
            for o in organisations
            if o.org_kind is OrgKind.BEHEER  # the operator adds fellow functioneel beheerders
            or not any(ADMIN_ROLE[o.org_kind] in u.role_set and not u.disabled for u in by_org.get(o.id, []))
        ]
        return ManagedUsers(True, own, admin_less, groups)

    async def add(
        self, actor: User, organisation_id: str, *, name: str, email: str, roles: set[Role]
    ) -> tuple[User, str, Organisation]:
        """A new user in an organisation the actor manages. The organisation's own administrator gets a one-time
        password (returned, shown once, expiring); the operator may add only the first administrator, who gets an
        enrolment link by mail (the password returned is then "")."""
        require(actor, Action.MANAGE_OWN_USERS)
        password = generate_initial_password()
        password_hash = await passwords.hash_password(password)
        organisation = await self.db.get(Organisation, organisation_id) if organisation_id else None
        if organisation is None:
            raise ValidationError({"organisation_id": "Kies een organisatie."})
        operator = may(actor, Action.MANAGE_ALL_USERS)
        if not operator:
            require(actor, Action.MANAGE_OWN_USERS, organisation)
        elif (
            roles and roles <= ROLES_FOR_KIND[organisation.org_kind] and ADMIN_ROLE[organisation.org_kind] not in roles
        ):
            raise Forbidden("operator may add an organisation's administrator only")
        elif organisation.org_kind is not OrgKind.BEHEER and await self.has_active_admin(organisation):
            raise Forbidden("operator may add an organisation's first administrator only")
        user, password = await self._insert(
            organisation,
            name=name,
            email=email,
            roles=roles,
            password=password,
            password_hash=password_hash,
            must_change_password=True,
            check_policy=False,
            sees_all_users=operator,
        )
        now = utcnow()
        if operator:  # the password made above is never shown: it cannot log in
            user.password_expires_at = now
            await self._tell(actor, user, AccountEvent.CREATED_ENROL)
            return user, "", organisation
        user.password_expires_at = now + ONE_TIME_PASSWORD_VALID
        await self._tell(actor, user, AccountEvent.CREATED)
        return user, password, organisation

    async def managed(self, actor: User, user_id: str) -> User:
        """The user to act on. A kantoorbeheerder's view ends at their own organisation: others are NotFound."""
        target = await self.db.get(User, user_id)
        if target is None or not target.is_person:  # an integration actor is managed through its token only
            raise NotFound("User")
        if not may(actor, Action.MANAGE_ALL_USERS):
            require(actor, Action.MANAGE_OWN_USERS, target)
        return target

    async def _other(self, actor: User, user_id: str, *, blocking: bool = False) -> User:
        """The user an administrator acts on: not themselves; for the operator never a case-role account, and no
        organisation's administrator to block or unblock (a blocked one would let the operator add a "first"
        administrator again)."""
        target = await self.managed(actor, user_id)
        if target.id == actor.id:
            raise OwnAccount(user_id)
        if may(actor, Action.MANAGE_ALL_USERS):
            if has_case_role(target):
                raise Forbidden("the organisation's own administrator manages its case-role accounts")
            if blocking and is_org_admin(target):
                raise Forbidden("the operator does not block an organisation's administrator")
        return target

    async def acting_on(self, actor: User, user_id: str, *, blocking: bool = False) -> User:
        """The user an administrator is about to act on (the confirm page): the same checks as the action."""
        return await self._other(actor, user_id, blocking=blocking)

    async def block(self, actor: User, user_id: str, auth: AuthService) -> User:
        """The user can no longer log in; every session of theirs ends now."""
        target = await self._other(actor, user_id, blocking=True)
        await self.set_disabled(target, True, auth)
        await self._tell(actor, target, AccountEvent.BLOCKED)
        return target

    async def unblock(self, actor: User, user_id: str, auth: AuthService) -> User:
        target = await self._other(actor, user_id, blocking=True)
        await self.set_disabled(target, False, auth)
        await self._tell(actor, target, AccountEvent.UNBLOCKED)
        return target

    async def reset_mfa_for(self, actor: User, user_id: str, auth: AuthService) -> User:
        target = await self._other(actor, user_id)
        await self.reset_mfa(target, auth)
        await self._tell(actor, target, AccountEvent.MFA_RESET)
        return target

    async def reset_password_for(self, actor: User, user_id: str, auth: AuthService) -> tuple[User, str]:
        """A new one-time password for the user (shown once to the organisation's own administrator, expiring);
        every session of theirs ends. For the operator the password returned is "": the user gets an enrolment
        link, and the old password stops working."""
        password = generate_initial_password()
        password_hash = await passwords.hash_password(password)
        target = await self._other(actor, user_id)
        await self.reset_password(target, auth, password=password, password_hash=password_hash)
        now = utcnow()
        if may(actor, Action.MANAGE_ALL_USERS):
            target.password_expires_at = now
            await self._tell(actor, target, AccountEvent.PASSWORD_RESET_ENROL)
            return target, ""
        target.password_expires_at = now + ONE_TIME_PASSWORD_VALID
        await self._tell(actor, target, AccountEvent.PASSWORD_RESET)
        return target, password

    async def resend_enrolment(self, actor: User, user_id: str, auth: AuthService) -> User:
        """The operator's rescue of an organisation whose administrator never enrolled: a new enrolment link to the
        administrator's own address; earlier links, and any one-time password, stop working. Forbidden for anyone
        but the operator, and for an account that is no organisation's administrator, is blocked or has enrolled
        (chose a password or set up a second factor): that one is the organisation's own to manage."""
        require(actor, Action.MANAGE_ALL_USERS)
        target = await self.managed(actor, user_id)
        if target.id == actor.id:
            raise OwnAccount(user_id)
        if not is_org_admin(target) or target.disabled or not awaits_enrolment(target):
            raise Forbidden("a new enrolment link only for an administrator who never enrolled")
        target.password_expires_at = utcnow()  # a one-time password, had there been one, no longer logs in
        self.db.add(target)
        await withdraw_tokens(self.db, target.id)
        await auth.end_all_sessions(target.id)
        await self.db.flush()
        await self._tell(actor, target, AccountEvent.ENROLMENT_REISSUED)
        return target

    async def change_roles(self, actor: User, user_id: str, roles: set[Role]) -> User:
        """Another user's roles, within their organisation's kind; the user is told and it is audited. The operator
        grants no case role (and manages no case-role account at all)."""
        target = await self._other(actor, user_id, blocking=True)
        organisation = await self.db.get(Organisation, target.organisation_id)
        if organisation is None:
            raise NotFound("Organisation")
        if not roles:
            raise ValidationError({"roles": "Kies ten minste één rol."})
        if not roles <= ROLES_FOR_KIND[organisation.org_kind]:
            raise ValidationError({"roles": "Deze rol past niet bij het soort organisatie."})
        if may(actor, Action.MANAGE_ALL_USERS) and roles & CASE_WORKERS:
            raise Forbidden("the organisation's own administrator grants case roles")
        if roles == set(target.role_set):
            return target
        target.roles = format_roles(roles)
        self.db.add(target)
        await self.db.flush()
        await self._tell(actor, target, AccountEvent.ROLES_CHANGED)
        return target
