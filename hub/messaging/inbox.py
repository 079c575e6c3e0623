"""The inbox: what waits for the user's organisation, what it waits for, and the lookups the inbox and the new
question form need (a case by id or number, the organisation's active convenants, colleagues).

The first page is one indexed query (the thread carries who owes a reaction, who waits for it and the earliest due
moment); only that page's subjects are decrypted. An inbox page without a filter that shows a subject is audited
as ``thread.list``; one with a filter as ``thread.search`` with the kind of search (hub.audit.actions), whatever it
found, and never the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from crypto import decrypt_text
from hub.accounts.authz import Action, require
from hub.accounts.models import CONVENANT_ACTIVE, Convenant, Organisation, User, people
from hub.accounts.roles import OrgKind
from hub.audit import actions
from hub.cases.models import Case
from hub.cases.queries import case_by_typed_reference
from hub.errors import NotFound
from hub.fields import THREAD_SUBJECT
from hub.messaging.access import OBJECT_THREAD, MessagingBase
from hub.messaging.models import Thread, ThreadKind, ThreadRead, ThreadStatus
from hub.terms import as_local_date, describe_due, is_overdue, passed_before

INBOX_TABS = ("te_beantwoorden", "wacht_op_ander", "alle")
ASSIGNEE_MINE = "mij"
ASSIGNEE_NOBODY = "niemand"


@dataclass(frozen=True)
class InboxRow:
    thread_id: str
    subject: str
    kind: ThreadKind
    status: ThreadStatus
    case_id: str | None
    case_reference: str | None
    partner_name: str
    assignee_name: str | None
    last_message_at: datetime
    due_at: datetime | None
    due_words: str  # "" when no clock runs
    overdue: bool
    unread: bool
    waiting_on_us: bool
    waiting_on_partner: bool
    bijzondere_bijstand: bool = False  # marked as about bijzondere bijstand: shown as a tag


@dataclass(frozen=True)
class InboxPage:
    tab: str
    rows: list[InboxRow]
    offset: int
    limit: int
    has_next: bool
    counts: dict[str, int]  # te_beantwoorden, te_laat (of those), wacht_op_ander


class InboxService(MessagingBase):
    async def inbox(
        self,
        user: User,
        *,
        tab: str = "te_beantwoorden",
        case_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        limit: int = 50,
        offset: int = 0,
        now: datetime | None = None,
        search: str | None = None,
    ) -> InboxPage:
        """One page of the user's inbox: one indexed query, then only that page's subjects are decrypted.

        ``tab``: te_beantwoorden (my organisation owes a reaction; most urgent first), wacht_op_ander (the other
        party owes one; most urgent first) or alle (newest activity first). Filters: ``case_id``, ``kind``
        (casuistiek | algemeen), ``status`` (open | afgerond), ``assignee`` ("mij", "niemand" or a colleague's id).
        ``search``: the kind of search the case filter came from (a typed dossiernummer: ``reference``), for the
        audit record; any other filter is recorded as ``filter``.
        """
        now = self._now(now)
        require(user, Action.VIEW_CASES)
        if tab not in INBOX_TABS:
            tab = INBOX_TABS[0]
        limit = max(1, min(limit, 200))
        offset = max(0, offset)
        me = user.organisation_id
        own_org = await self.db.get(Organisation, me)
        if own_org is None or own_org.org_kind not in (OrgKind.GEMEENTE, OrgKind.KANTOOR):
            return InboxPage(tab, [], offset, limit, False, {"te_beantwoorden": 0, "te_laat": 0, "wacht_op_ander": 0})
        is_gemeente = own_org.org_kind == OrgKind.GEMEENTE
        side = col(Thread.gemeente_id) if is_gemeente else col(Thread.kantoor_id)
        partner_col = col(Thread.kantoor_id) if is_gemeente else col(Thread.gemeente_id)
        assignee_col = col(Thread.gemeente_assignee_id) if is_gemeente else col(Thread.kantoor_assignee_id)
        partner, assigned = aliased(Organisation), aliased(User)
        query = (
            select(
                col(Thread.id),
                col(Thread.subject),
                col(Thread.kind),
                col(Thread.status),
                col(Thread.case_id),
                col(Case.reference),
                col(partner.name),
                col(assigned.name),
                col(Thread.last_message_at),
                col(Thread.current_due_at),
                col(Thread.waiting_on_org_id),
                col(Thread.gemeente_id),
                side,
                col(ThreadRead.last_read_at),
                col(Thread.bijzondere_bijstand),
            )
            .select_from(Thread)
            # Outer joins keep the thread table the driving one, so its index gives the order and the limit.
            .outerjoin(Case, col(Case.id) == col(Thread.case_id))
            .outerjoin(partner, col(partner.id) == partner_col)
            .outerjoin(assigned, col(assigned.id) == assignee_col)
            .outerjoin(
                ThreadRead, and_(col(ThreadRead.thread_id) == col(Thread.id), col(ThreadRead.user_id) == user.id)
            )
        )
        if tab == "te_beantwoorden":
            query = query.where(col(Thread.waiting_on_org_id) == me).order_by(
                col(Thread.current_due_at), col(Thread.id)
            )
        elif tab == "wacht_op_ander":
            query = query.where(col(Thread.awaited_by_org_id) == me).order_by(
                col(Thread.current_due_at), col(Thread.id)
            )
        else:
            query = query.where(side == me).order_by(col(Thread.last_message_at).desc(), col(Thread.id).desc())
        if case_id:
            query = query.where(col(Thread.case_id) == case_id)
        if kind in (ThreadKind.CASUISTIEK.value, ThreadKind.ALGEMEEN.value):
            query = query.where(col(Thread.kind) == kind)
        if status in (ThreadStatus.OPEN.value, ThreadStatus.AFGEROND.value):
            query = query.where(col(Thread.status) == status)
        if assignee == ASSIGNEE_MINE:
            query = query.where(side == me, assignee_col == user.id)
        elif assignee == ASSIGNEE_NOBODY:
            query = query.where(side == me, assignee_col.is_(None))
        elif assignee:
            query = query.where(side == me, assignee_col == assignee)
        rows = (await self.db.execute(query.limit(limit + 1).offset(offset))).all()
        has_next = len(rows) > limit
        # Defence in depth: the tab conditions imply the party check; a row that fails it is never shown.
        rows = [r for r in rows[:limit] if r[12] == me]
        calendars = await self.calendars.for_gemeenten(self.db, {r[11] for r in rows if r[9] is not None})
        page: list[InboxRow] = []
        for (
            thread_id,
            subject,
            t_kind,
            t_status,
            t_case,
            reference,
            partner_name,
            assignee_name,
            last_at,
            due_at,
            waiting_on,
            gemeente_id,
            _side,
            last_read,
            bijstand,
        ) in rows:
            page.append(
                InboxRow(
                    thread_id=thread_id,
                    subject=decrypt_text(self.keyring, subject, context=THREAD_SUBJECT.context(thread_id)),
                    kind=ThreadKind(t_kind),
                    status=ThreadStatus(t_status),
                    case_id=t_case,
                    case_reference=reference,
                    partner_name=partner_name or "",
                    assignee_name=assignee_name,
                    last_message_at=last_at,
                    due_at=due_at,
                    due_words=describe_due(due_at, now, calendars[gemeente_id]) if due_at is not None else "",
                    overdue=due_at is not None and is_overdue(due_at, now),
                    unread=last_read is None or last_read < last_at,
                    waiting_on_us=waiting_on == me,
                    waiting_on_partner=waiting_on is not None and waiting_on != me,
                    bijzondere_bijstand=bool(bijstand),
                )
            )
        if search or case_id or kind or status or assignee:
            await self.note_search(user, search or actions.SEARCH_FILTER)
        elif page:
            # Subjects were decrypted: audited like a case list (which threads is not recorded, only that).
            await self._audit(user, actions.THREAD_LIST, OBJECT_THREAD, "-")
        return InboxPage(tab, page, offset, limit, has_next, await self.inbox_counts(user, now))

    async def note_search(self, user: User, kind: str) -> None:
        """The audit record of an inbox search: that it happened and its kind, never what was typed."""
        await self._audit(user, actions.THREAD_SEARCH, actions.SEARCH_OBJECT, kind)

    async def inbox_counts(self, user: User, now: datetime | None = None) -> dict[str, int]:
        """How many threads wait for the user's organisation (and how many of those are late), and for others."""
        now = self._now(now)
        me = user.organisation_id
        late = col(Thread.current_due_at) < passed_before(now)  # is_overdue, as a query
        waiting = (
            await self.db.execute(
                select(func.count(), func.count(col(Thread.current_due_at)).filter(late))
                .select_from(Thread)
                .where(col(Thread.waiting_on_org_id) == me)
            )
        ).one()
        awaited = (
            await self.db.execute(select(func.count()).select_from(Thread).where(col(Thread.awaited_by_org_id) == me))
        ).scalar_one()
        return {"te_beantwoorden": int(waiting[0]), "te_laat": int(waiting[1]), "wacht_op_ander": int(awaited)}

    # -- lookups for the inbox and the new question ------------------------------------------------------------

    async def case_for(self, user: User, case_id: str) -> Case:
        case = await self.db.get(Case, case_id)
        if case is None:
            raise NotFound("Case")
        require(user, Action.VIEW_CASES, case)
        return case

    async def case_by_reference(self, user: User, reference: str) -> Case:
        """The case a typed dossiernummer finds, by the case list's rule (hub.cases.queries): NotFound, or
        AmbiguousReference when it fits several of the organisation's cases."""
        case = await case_by_typed_reference(self.db, user, reference)
        require(user, Action.VIEW_CASES, case)
        return case

    async def convenants_for(self, user: User, now: datetime | None = None) -> list[tuple[Convenant, Organisation]]:
        """The active convenants of the user's organisation, each with the partner organisation, by name."""
        own = await self.db.get(Organisation, user.organisation_id)
        if own is None or own.org_kind not in (OrgKind.GEMEENTE, OrgKind.KANTOOR):
            return []
        partner = aliased(Organisation)
        if own.org_kind == OrgKind.GEMEENTE:
            join_on, where = col(Convenant.kantoor_id), col(Convenant.gemeente_id) == own.id
        else:
            join_on, where = col(Convenant.gemeente_id), col(Convenant.kantoor_id) == own.id
        rows = await self.db.execute(
            select(Convenant, partner)
            .join(partner, col(partner.id) == join_on)
            .where(where, col(Convenant.status) == CONVENANT_ACTIVE)
            .order_by(col(partner.name), col(Convenant.start_date))
        )
        today = as_local_date(self._now(now))
        return [(c, p) for c, p in rows.all() if c.is_active_on(today)]

    async def colleagues(self, user: User) -> list[User]:
        rows = await self.db.execute(
            select(User)
            .where(col(User.organisation_id) == user.organisation_id, col(User.disabled).is_(False), people())
            .order_by(col(User.name))
        )
        return list(rows.scalars())
