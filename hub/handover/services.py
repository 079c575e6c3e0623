"""A user's open assignments, handing them to a colleague in one step, and removing the user.

*Open assignments* are what the organisation assigned to the person on its own side: the running cases (not ended)
where they are the bewindvoerder (kantoor) or the contact person (gemeente), and the open threads where they are
the side's assignee. The list names cases by dossiernummer and threads by their case or partner only: an
administrator without a case role (a gemeentebeheerder) reads no case content here.

*Hand over* moves all of them to one colleague of the same organisation (not blocked or removed; a bewindvoerder for
a kantoor's cases, a klantmanager, consulent or contractmanager for a gemeente's; any case worker for threads), in
one transaction. Each case and thread is audited as an ordinary assignment (``case.assign``, ``thread.assign``, by
the administrator), a bewindvoerder change also in the case's correction history (as a change made on the case page
is), and the whole step as ``user.assignments_handed_over`` on the departing user. Another organisation's user is
NotFound; the operator hands nothing over (Forbidden).

*Remove* first hands the open work to the chosen colleague, or, with none chosen, leaves it unassigned (the
organisation's users of the right role then hear about it, as for any unassigned case), and then removes the user
(:meth:`hub.accounts.user_admin.UserAdmin.remove`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case as sa_case
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring
from hub.accounts.auth import AuthService
from hub.accounts.authz import CASE_WORKERS, Action, may, require
from hub.accounts.enrolment import AccountEvent, AccountMailer, record_event
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind, Role
from hub.accounts.user_admin import UserAdmin
from hub.audit import actions
from hub.audit import services as audit
from hub.audit.auth_events import NO_ORIGIN, Origin
from hub.cases.models import Case, CaseStatus
from hub.cases.services import GEMEENTE_CASE_ROLES, CaseService
from hub.db import utcnow
from hub.errors import Forbidden, ValidationError
from hub.messaging.access import OBJECT_THREAD
from hub.messaging.models import Thread, ThreadStatus


@dataclass(frozen=True)
class OpenThread:
    thread_id: str
    case_reference: str | None  # None: a general question under the convenant
    partner_name: str


@dataclass(frozen=True)
class Assignments:
    user: User
    organisation: Organisation
    cases: list[Case]
    threads: list[OpenThread]

    @property
    def empty(self) -> bool:
        return not self.cases and not self.threads


class HandOverService:
    def __init__(
        self, db: AsyncSession, keyring: Keyring, mailer: AccountMailer | None = None, *, origin: Origin = NO_ORIGIN
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.mailer = mailer
        self.origin = origin
        self.admin = UserAdmin(db, mailer, origin=origin)

    async def _departing(self, actor: User, user_id: str) -> tuple[User, Organisation]:
        require(actor, Action.MANAGE_OWN_USERS)
        target, organisation = await self.admin.target(actor, user_id)
        if may(actor, Action.MANAGE_ALL_USERS):
            raise Forbidden("the organisation hands over its own users' work")
        return target, organisation

    async def open_assignments(self, actor: User, user_id: str) -> Assignments:
        target, organisation = await self._departing(actor, user_id)
        return Assignments(target, organisation, await self._cases(target, organisation), await self._threads(target))

    async def _cases(self, target: User, organisation: Organisation) -> list[Case]:
        if organisation.org_kind is OrgKind.KANTOOR:
            mine = (col(Case.kantoor_id) == organisation.id, col(Case.bewindvoerder_id) == target.id)
        else:
            mine = (col(Case.gemeente_id) == organisation.id, col(Case.gemeente_contact_id) == target.id)
        rows = await self.db.execute(
            select(Case).where(*mine, col(Case.status) != CaseStatus.BEEINDIGD.value).order_by(col(Case.reference))
        )
        return list(rows.scalars())

    async def _threads(self, target: User) -> list[OpenThread]:
        partner = aliased(Organisation)
        other_side = sa_case(
            (col(Thread.kantoor_id) == target.organisation_id, col(Thread.gemeente_id)), else_=col(Thread.kantoor_id)
        )
        rows = await self.db.execute(
            select(Thread, col(Case.reference), col(partner.name))
            .outerjoin(Case, col(Case.id) == col(Thread.case_id))
            .join(partner, col(partner.id) == other_side)
            .where(
                col(Thread.status) == ThreadStatus.OPEN.value,
                (col(Thread.kantoor_assignee_id) == target.id) | (col(Thread.gemeente_assignee_id) == target.id),
            )
            .order_by(col(Thread.last_message_at).desc())
        )
        return [OpenThread(t.id, ref, name) for t, ref, name in rows.all()]

    async def successors(self, actor: User, user_id: str) -> list[User]:
        """The colleagues the work may go to: same organisation, active, with a case role."""
        target, _ = await self._departing(actor, user_id)
        return [
            u
            for u in await self.admin.users.in_organisation(target.organisation_id)
            if u.id != target.id and not u.disabled and u.role_set & CASE_WORKERS
        ]

    async def hand_over(self, actor: User, user_id: str, successor_id: str) -> Assignments:
        """Every open case and thread of the user to ``successor_id``; returns what was moved."""
        work = await self.open_assignments(actor, user_id)
        successor = next((u for u in await self.successors(actor, user_id) if u.id == successor_id), None)
        if successor is None:
            raise ValidationError({"successor_id": "Kies een actieve collega van dezelfde organisatie."})
        case_roles = (Role.BEWINDVOERDER,) if work.organisation.org_kind is OrgKind.KANTOOR else GEMEENTE_CASE_ROLES
        if work.cases and not successor.has_role(*case_roles):
            need = (
                "een bewindvoerder"
                if work.organisation.org_kind is OrgKind.KANTOOR
                else "een klantmanager, consulent of contractmanager"
            )
            raise ValidationError({"successor_id": f"Dossiers kunnen alleen naar {need} worden overgedragen."})
        await self._move(actor, work, successor)
        return work

    async def _move(self, actor: User, work: Assignments, successor: User | None) -> None:
        """Assign the work to ``successor`` (None: to nobody), each as an audited assignment."""
        now = utcnow()
        new_id = successor.id if successor is not None else None
        cases = CaseService(self.db, self.keyring)
        for case in work.cases:
            await self._audit(
                actor, actions.CASE_ASSIGN, "dossier", case.id
            )  # the record first: see hub.messaging.access
            if work.organisation.org_kind is OrgKind.KANTOOR:
                new_name = successor.name if successor is not None else ""
                await cases.record_correction(actor, case, "bewindvoerder_id", work.user.name, new_name, "", now)
                case.bewindvoerder_id = new_id
            else:
                case.gemeente_contact_id = new_id
            case.updated_at = now
            self.db.add(case)
        for entry in work.threads:
            await self._audit(actor, actions.THREAD_ASSIGN, OBJECT_THREAD, entry.thread_id)
            thread = await self.db.get(Thread, entry.thread_id)
            assert thread is not None  # just read
            if thread.kantoor_assignee_id == work.user.id:
                thread.kantoor_assignee_id = new_id
            if thread.gemeente_assignee_id == work.user.id:
                thread.gemeente_assignee_id = new_id
            self.db.add(thread)
        await self.db.flush()
        if not work.empty:
            await record_event(self.db, self.mailer, actor, work.user, AccountEvent.HANDED_OVER, origin=self.origin)

    async def remove_user(self, actor: User, user_id: str, successor_id: str, auth: AuthService) -> Assignments:
        """Hand the open work to ``successor_id`` (or, with "", to nobody), then remove the user."""
        if successor_id:
            work = await self.hand_over(actor, user_id, successor_id)
        else:
            work = await self.open_assignments(actor, user_id)
            self.admin.check_may_change(actor, work.user)
            await self._move(actor, work, None)
        await self.admin.remove(actor, work.user, work.organisation, auth)
        return work

    async def _audit(self, actor: User, action: str, object_type: str, object_id: str) -> None:
        await audit.record(
            self.db,
            user_id=actor.id,
            organisation_id=actor.organisation_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
        )
