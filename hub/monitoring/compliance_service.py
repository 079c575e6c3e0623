"""Term compliance for a user: the contractmanager sees it per kantoor of their gemeente, the kantoorbeheerder per
gemeente of their kantoor (about itself and the gemeente). Checks the caller's rights itself; a partner that has no
convenant with the caller's organisation does not exist for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.accounts.organisations import ConvenantService
from hub.calendars.services import CalendarSource
from hub.errors import NotFound
from hub.monitoring.compliance import LateItem, PartnerRow, Period, late_items, per_partner
from hub.monitoring.compliance_facts import calendars_for_clocks, clock_facts, deadline_facts


@dataclass(frozen=True)
class ComplianceReport:
    own: Organisation
    period: Period
    rows: list[tuple[Organisation, PartnerRow]]  # every partner with a convenant, by name


@dataclass(frozen=True)
class LateReport:
    own: Organisation
    partner: Organisation
    period: Period
    items: list[LateItem]


class ComplianceService:
    def __init__(self, db: AsyncSession, calendars: CalendarSource) -> None:
        self.db = db
        self.calendars = calendars

    async def _partners(self, user: User) -> tuple[Organisation, dict[str, Organisation]]:
        require(user, Action.VIEW_TERM_COMPLIANCE)
        own = await self.db.get(Organisation, user.organisation_id)
        if own is None:
            raise NotFound("Organisation")
        partners: dict[str, Organisation] = {}
        for _conv, gemeente, kantoor in await ConvenantService(self.db).for_organisation(own.id):
            partner = kantoor if gemeente.id == own.id else gemeente
            partners[partner.id] = partner
        return own, partners

    async def report(self, user: User, period: Period, today: date) -> ComplianceReport:
        own, partners = await self._partners(user)
        deadlines, calendar_for = await deadline_facts(self.db, own.id, period, today, self.calendars)
        clocks = await clock_facts(self.db, own.id, period)
        calendar_for = await calendars_for_clocks(self.db, clocks, calendar_for, self.calendars)
        rows = per_partner(own.id, clocks, deadlines, period, today, calendar_for)
        ordered = sorted(partners.values(), key=lambda o: o.name)
        return ComplianceReport(own, period, [(p, rows.get(p.id) or PartnerRow.empty(p.id)) for p in ordered])

    async def late(self, user: User, partner_id: str, period: Period, today: date) -> LateReport:
        own, partners = await self._partners(user)
        partner = partners.get(partner_id)
        if partner is None:
            raise NotFound("Organisation")
        deadlines, _ = await deadline_facts(self.db, own.id, period, today, self.calendars)
        clocks = await clock_facts(self.db, own.id, period)
        return LateReport(own, partner, period, late_items(partner.id, own.id, clocks, deadlines, period, today))
