"""The consulent bijzondere bijstand's list of applications (§2.2): the aanvragen of the gemeente's cases, new
(submitted, no decision yet: oldest first) and decided (toegekend / afgewezen: newest decision first), each with its
case reference, kantoor, the submitted date, the term (3 months after the beschikking) and whether it was kept, and
the evidence linked. Only the milestones in force count (not corrected, not withdrawn). Scoped to the user's own
gemeente; no client name, the reference only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.calendars.services import CalendarSource
from hub.cases.bijstand_evidence import required_items
from hub.cases.case_terms import in_force
from hub.cases.milestones import K, choice_label
from hub.cases.models import Case, CaseMilestone, CaseMilestoneEvidence
from hub.terms import aanvraag_bijzondere_bijstand_due, as_local_date

KINDS = (K.AANVRAAG_BIJSTAND.value, K.BESLUIT_BIJSTAND.value, K.EINDE_BIJSTAND.value)
DECIDED_SHOWN = 200  # the newest decisions; older ones are on the cases themselves


@dataclass(frozen=True)
class Application:
    case_id: str
    reference: str
    kantoor: str
    submitted_on: date
    due_at: datetime | None  # the end of the 3 months after the beschikking
    in_time: bool | None
    evidence_linked: int
    evidence_complete: bool  # False: recorded before the hub kept the checklist
    decision: str = ""  # "toegekend" / "afgewezen"; "" while new
    decided_on: date | None = None
    stopped_on: date | None = None  # the bijstand for the bewind costs stopped

    @property
    def decision_label(self) -> str:
        return choice_label(K.BESLUIT_BIJSTAND, self.decision)


@dataclass(frozen=True)
class Applications:
    new: list[Application]
    decided: list[Application]
    more_decided: bool


async def applications_for(db: AsyncSession, user: User, calendars: CalendarSource) -> Applications:
    require(user, Action.VIEW_BIJSTAND_APPLICATIONS)
    kantoor = aliased(Organisation)
    rows = (
        await db.execute(
            select(CaseMilestone, Case, col(kantoor.name))
            .join(Case, col(Case.id) == col(CaseMilestone.case_id))
            .join(kantoor, col(kantoor.id) == col(Case.kantoor_id))
            .where(
                col(Case.gemeente_id) == user.organisation_id,
                col(CaseMilestone.kind).in_(
                    [K.AANVRAAG_BIJSTAND.value, K.BESLUIT_BIJSTAND.value, K.EINDE_BIJSTAND.value]
                ),
                col(CaseMilestone.void).is_(False),
                in_force(),
            )
        )
    ).all()
    aanvragen: dict[str, tuple[CaseMilestone, Case, str]] = {}
    later: dict[tuple[str, str], CaseMilestone] = {}
    for milestone, case, kantoor_name in rows:
        if milestone.kind == K.AANVRAAG_BIJSTAND.value:
            aanvragen[case.id] = (milestone, case, kantoor_name)
        else:
            later[(case.id, milestone.kind)] = milestone
    linked = await _linked_counts(db, [m.id for m, _, _ in aanvragen.values()])
    calendar = await calendars.for_gemeente(db, user.organisation_id)
    found: list[Application] = []
    for milestone, case, kantoor_name in aanvragen.values():
        due = (
            aanvraag_bijzondere_bijstand_due(case.beschikking_date, calendar=calendar)
            if case.beschikking_date
            else None
        )
        besluit = later.get((case.id, K.BESLUIT_BIJSTAND.value))
        einde = later.get((case.id, K.EINDE_BIJSTAND.value))
        count = linked.get(milestone.id, 0)
        found.append(
            Application(
                case.id, case.reference, kantoor_name, milestone.milestone_date, due,
                None if due is None else milestone.milestone_date <= as_local_date(due), count,
                count >= len(required_items(milestone.beschermd_wonen)),
                decision=(besluit.outcome or "") if besluit else "",
                decided_on=besluit.milestone_date if besluit else None,
                stopped_on=einde.milestone_date if einde else None,
            )
        )  # fmt: skip
    new = sorted((a for a in found if not a.decision), key=lambda a: (a.submitted_on, a.reference))
    decided = sorted((a for a in found if a.decision), key=lambda a: (a.decided_on, a.reference), reverse=True)
    return Applications(new, decided[:DECIDED_SHOWN], len(decided) > DECIDED_SHOWN)


async def _linked_counts(db: AsyncSession, milestone_ids: list[str]) -> dict[str, int]:
    if not milestone_ids:
        return {}
    rows = await db.execute(
        select(col(CaseMilestoneEvidence.milestone_id), func.count())
        .where(col(CaseMilestoneEvidence.milestone_id).in_(milestone_ids))
        .group_by(col(CaseMilestoneEvidence.milestone_id))
    )
    return {milestone_id: count for milestone_id, count in rows.all()}
