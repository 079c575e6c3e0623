"""Editing and removing a user: what an organisation's own administrator does for a colleague.

- *Edit*: name, e-mail address and roles. The address follows the add form's rules (:mod:`hub.accounts.addresses`:
  a valid address, unique in the hub, and nothing learnt about other organisations' accounts); a changed address is
  told to the old address and the new one, so that an address changed behind the user's back does not go unnoticed.
- *Remove*: the user can no longer log in (``disabled``, for good: :attr:`User.removed_at`), every session ends and
  every enrolment link stops working. The row stays: the audit log, messages and notes keep naming the person. Open
  cases and threads are handed over first (:mod:`hub.handover`), which calls :meth:`UserAdmin.remove`.
- *The last administrator*: no change may leave an organisation without an active administrator (its
  kantoorbeheerder or gemeentebeheerder): the last one can neither remove nor demote themselves, and nobody else can
  do it for them.

The functioneel beheerder (the operator) edits only accounts without a case role (as for every other action:
hub.accounts.users) and removes none: leaving an organisation is the organisation's own business.
Every change is mailed to the user and audited (``user.details_changed``, ``user.roles_changed``, ``user.removed``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.addresses import AddressRefused, address_problem
from hub.accounts.auth import AuthService, normalise_email
from hub.accounts.authz import CASE_WORKERS, Action, may
from hub.accounts.enrolment import AccountEvent, AccountMailer, record_event, withdraw_tokens
from hub.accounts.models import Organisation, User, people
from hub.accounts.roles import ADMIN_ROLE, ROLES_FOR_KIND, Role, format_roles
from hub.accounts.users import UserService, has_case_role
from hub.audit.auth_events import NO_ORIGIN, Origin
from hub.db import utcnow
from hub.errors import Forbidden, NotFound, ValidationError

LAST_ADMIN = (
    "Dit is de laatste beheerder van de organisatie. Maak eerst een collega beheerder; daarna kan deze "
    "beheerder worden verwijderd of een andere rol krijgen."
)


class UserAdmin:
    def __init__(self, db: AsyncSession, mailer: AccountMailer | None = None, *, origin: Origin = NO_ORIGIN) -> None:
        self.db = db
        self.mailer = mailer
        self.origin = origin
        self.users = UserService(db, mailer, origin=origin)

    async def target(self, actor: User, user_id: str) -> tuple[User, Organisation]:
        """The user to edit or remove, with their organisation. Another organisation's user is NotFound for an
        organisation's own administrator; the operator may look at anyone but act on no case-role account (see
        :meth:`check_may_change`)."""
        target = await self.users.managed(actor, user_id)
        organisation = await self.db.get(Organisation, target.organisation_id)
        if organisation is None:
            raise NotFound("Organisation")
        return target, organisation

    def check_may_change(self, actor: User, target: User) -> None:
        """Forbidden for the operator on an account with a case role, and for anyone on a removed account."""
        if target.removed_at is not None:
            raise Forbidden("a removed account is not changed")
        if may(actor, Action.MANAGE_ALL_USERS) and has_case_role(target):
            raise Forbidden("the organisation's own administrator manages its case-role accounts")

    async def _keeps_an_admin(self, organisation: Organisation, target: User, roles_after: frozenset[Role]) -> bool:
        """Would the organisation still have an active administrator if ``target`` had ``roles_after`` (an empty
        set: removed)?"""
        admin = ADMIN_ROLE[organisation.org_kind]
        if admin in roles_after and not target.disabled:
            return True
        # Two administrators stepping down (or removing each other) at once: the organisation's row lock makes the
        # second wait for the first, and its colleagues are read afresh (not from this session's identity map, where
        # the actor was loaded before the other change committed).
        await self.db.execute(
            select(col(Organisation.id)).where(col(Organisation.id) == organisation.id).with_for_update()
        )
        others = (
            await self.db.execute(
                select(User)
                .where(col(User.organisation_id) == organisation.id, col(User.id) != target.id, people())
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return any(admin in u.role_set and not u.disabled for u in others)

    async def edit(self, actor: User, user_id: str, *, name: str, email: str, roles: set[Role]) -> User:
        """Change the user's name, address and roles (the actor's own account too, within the last-administrator
        rule). Validation errors are Dutch, per field; nothing is changed then."""
        target, organisation = await self.target(actor, user_id)
        self.check_may_change(actor, target)
        operator = may(actor, Action.MANAGE_ALL_USERS)
        email = normalise_email(email)
        errors: dict[str, str] = {}
        holder_elsewhere = ""
        name = name.strip()
        if not name:
            errors["name"] = "Vul de naam in."
        elif len(name) > 200:
            errors["name"] = "De naam is te lang: gebruik hoogstens 200 tekens."
        if email != target.email:
            problem, holder_elsewhere = await address_problem(self.db, email, organisation.id, sees_all_users=operator)
            if problem:
                errors["email"] = problem
        if not roles:
            errors["roles"] = "Kies ten minste één rol."
        elif not roles <= ROLES_FOR_KIND[organisation.org_kind]:
            errors["roles"] = "Deze rol past niet bij het soort organisatie."
        elif operator and roles & CASE_WORKERS:
            raise Forbidden("the organisation's own administrator grants case roles")
        elif not await self._keeps_an_admin(organisation, target, frozenset(roles)):
            errors["roles"] = LAST_ADMIN
        if holder_elsewhere:
            raise AddressRefused(errors, holder_elsewhere)
        if errors:
            raise ValidationError(errors)
        details_changed = (name, email) != (target.name, target.email)
        roles_changed = frozenset(roles) != target.role_set
        if details_changed and email != target.email and self.mailer is not None:
            # The old address hears of it too (the event's own mail goes to the new one).
            await self.mailer.account_event(target, AccountEvent.DETAILS_CHANGED, now=utcnow())
        target.name, target.email, target.roles = name, email, format_roles(roles)
        self.db.add(target)
        await self.db.flush()
        if details_changed:
            await record_event(self.db, self.mailer, actor, target, AccountEvent.DETAILS_CHANGED, origin=self.origin)
        if roles_changed:
            await record_event(self.db, self.mailer, actor, target, AccountEvent.ROLES_CHANGED, origin=self.origin)
        return target

    async def remove(self, actor: User, target: User, organisation: Organisation, auth: AuthService) -> User:
        """Remove ``target`` (found with :meth:`target`; the hand-over decided what happens to their work)."""
        if may(actor, Action.MANAGE_ALL_USERS):
            raise Forbidden("the organisation removes its own users")
        self.check_may_change(actor, target)
        if not await self._keeps_an_admin(organisation, target, frozenset()):
            raise ValidationError({"remove": LAST_ADMIN})
        target.disabled = True
        target.removed_at = utcnow()
        self.db.add(target)
        await withdraw_tokens(self.db, target.id)
        await auth.end_all_sessions(target.id)
        await self.db.flush()
        await record_event(self.db, self.mailer, actor, target, AccountEvent.REMOVED, origin=self.origin)
        return target
