"""The Auditlog of a functionaris gegevensbescherming (FG) and the list of who accessed a case.

The FG (hub.accounts.roles.Role.FG) reads the records about their own organisation (hub.oversight.records), filtered
by case, user, action and period, newest first; every page they see is itself recorded (``audit.view``), and so is
every export (``audit.export``). The FG has no case role: a case is named by its dossiernummer, never opened.

Both parties' case workers see, per case, which users of their *own* organisation accessed it; the other party's
accesses are that party's to see. Reading this list is not recorded: it shows no client data, only colleagues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import actions
from hub.audit import services as audit
from hub.audit.export import in_period
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.queries import case_by_typed_reference
from hub.db import is_id
from hub.errors import NotFound
from hub.oversight.records import AuditRow, about_case, about_organisation, describe

PAGE_MAX = 200


@dataclass(frozen=True)
class AuditQuery:
    """The FG's filters; each None means "any". ``until`` is exclusive."""

    case_id: str | None = None
    user_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def filtered(self) -> bool:
        return any((self.case_id, self.user_id, self.action, self.since, self.until))


@dataclass(frozen=True)
class RecordPage:
    rows: list[AuditRow]
    has_next: bool


class OversightService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # -- the FG's Auditlog -------------------------------------------------------------------------------------

    def condition(self, fg: User, query: AuditQuery) -> ColumnElement[bool]:
        """The records the FG may see that match the filters (Forbidden for anyone but an FG)."""
        require(fg, Action.VIEW_AUDIT_LOG)
        conditions = [about_organisation(fg.organisation_id)]
        if query.case_id:
            conditions.append(about_case(query.case_id))
        if query.user_id:
            conditions.append(col(AuditEvent.user_id) == query.user_id)
        if query.action:
            conditions.append(col(AuditEvent.action) == query.action)
        if (period := in_period(query.since, query.until)) is not None:
            conditions.append(period)
        return and_(*conditions)

    async def case_by_reference(self, fg: User, typed: str) -> Case:
        """The FG's organisation's case a typed dossiernummer finds (the case list's rule): NotFound when none of the
        organisation's cases fits (another organisation's never does), AmbiguousReference when several do."""
        require(fg, Action.VIEW_AUDIT_LOG)
        return await case_by_typed_reference(self.db, fg, typed)

    async def colleagues(self, fg: User) -> list[User]:
        """The users of the FG's organisation, blocked ones too (their past accesses count)."""
        require(fg, Action.VIEW_AUDIT_LOG)
        rows = await self.db.execute(
            select(User).where(col(User.organisation_id) == fg.organisation_id).order_by(col(User.name))
        )
        return list(rows.scalars())

    async def page(self, fg: User, query: AuditQuery, *, limit: int = 50, offset: int = 0) -> RecordPage:
        """One page of the FG's records, newest first; recorded as ``audit.view``."""
        where = self.condition(fg, query)
        limit = max(1, min(limit, PAGE_MAX))
        await self._record(fg, actions.AUDIT_VIEW)
        events = list(
            (
                await self.db.execute(
                    select(AuditEvent)
                    .where(where)
                    .order_by(col(AuditEvent.seq).desc())
                    .limit(limit + 1)
                    .offset(max(0, offset))
                )
            ).scalars()
        )
        rows = await describe(self.db, fg.organisation_id, events[:limit])
        return RecordPage(rows, len(events) > limit)

    async def record_export(self, fg: User) -> None:
        """The FG's export of their records (before the first line is sent)."""
        require(fg, Action.VIEW_AUDIT_LOG)
        await self._record(fg, actions.AUDIT_EXPORT)

    async def _record(self, fg: User, action: str) -> None:
        await audit.record(
            self.db,
            user_id=fg.id,
            organisation_id=fg.organisation_id,
            action=action,
            object_type=actions.AUDIT_LOG_OBJECT,
            object_id="-",
        )

    # -- who of my organisation accessed this case ---------------------------------------------------------------

    async def case_for_accesses(self, user: User, case_id: str) -> Case:
        """The case, for a case worker of one of its parties (NotFound for anyone else)."""
        case = await self.db.get(Case, case_id) if is_id(case_id) else None
        if case is None:
            raise NotFound("Case")
        require(user, Action.VIEW_CASES, case)
        return case

    async def case_accesses(self, user: User, case: Case, *, limit: int = 50, offset: int = 0) -> RecordPage:
        """Accesses to the case (its threads, messages, documents) by users of the caller's own organisation, newest
        first."""
        require(user, Action.VIEW_CASES, case)
        limit = max(1, min(limit, PAGE_MAX))
        events = list(
            (
                await self.db.execute(
                    select(AuditEvent)
                    .where(col(AuditEvent.organisation_id) == user.organisation_id, about_case(case.id))
                    .order_by(col(AuditEvent.seq).desc())
                    .limit(limit + 1)
                    .offset(max(0, offset))
                )
            ).scalars()
        )
        return RecordPage(await describe(self.db, user.organisation_id, events[:limit]), len(events) > limit)
