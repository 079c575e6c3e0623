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
    linked = (
        select(col(CaseMilestoneEvidence.milestone_id), func.count().label("n"))
        .group_by(col(CaseMilestoneEvidence.milestone_id))
        .subquery()
    )
    rows = (
        await db.execute(
            select(
                col(CaseMilestone.kind),
                col(CaseMilestone.milestone_date),
                col(CaseMilestone.outcome),
                col(CaseMilestone.beschermd_wonen),
                col(Case.id),
                col(Case.reference),
                col(Case.beschikking_date),
                col(kantoor.name),
                linked.c.n,
            )
            .join(Case, col(Case.id) == col(CaseMilestone.case_id))
            .join(kantoor, col(kantoor.id) == col(Case.kantoor_id))
            .outerjoin(linked, linked.c.milestone_id == col(CaseMilestone.id))
            .where(
                col(Case.gemeente_id) == user.organisation_id,
                col(CaseMilestone.kind).in_(KINDS),
                col(CaseMilestone.void).is_(False),
                in_force(),
            )
        )
    ).all()
    later: dict[tuple[str, str], tuple[date, str | None]] = {
        (case_id, kind): (day, outcome)
        for kind, day, outcome, _, case_id, *_ in rows
        if kind != K.AANVRAAG_BIJSTAND.value
    }
    calendar = await calendars.for_gemeente(db, user.organisation_id)
    dues: dict[date, datetime] = {}  # many cases share a beschikking day
    found: list[Application] = []
    for kind, day, _, beschermd_wonen, case_id, reference, beschikking, kantoor_name, count in rows:
        if kind != K.AANVRAAG_BIJSTAND.value:
            continue
        due = None
        if beschikking is not None:
            due = dues.get(beschikking) or dues.setdefault(
                beschikking, aanvraag_bijzondere_bijstand_due(beschikking, calendar=calendar)
            )
        besluit = later.get((case_id, K.BESLUIT_BIJSTAND.value))
        einde = later.get((case_id, K.EINDE_BIJSTAND.value))
        found.append(
            Application(
                case_id, reference, kantoor_name, day, due, None if due is None else day <= as_local_date(due),
                count or 0, (count or 0) >= len(required_items(beschermd_wonen)),
                decision=(besluit[1] or "") if besluit else "",
                decided_on=besluit[0] if besluit else None,
                stopped_on=einde[0] if einde else None,
            )
        )  # fmt: skip
    new = sorted((a for a in found if not a.decision), key=lambda a: (a.submitted_on, a.reference))
    decided = sorted((a for a in found if a.decision), key=lambda a: (a.decided_on, a.reference), reverse=True)
    return Applications(new, decided[:DECIDED_SHOWN], len(decided) > DECIDED_SHOWN)
