"""Who is in a steekproef's population, and in which stratum (convenant §2.2).

The population of a gemeente and a period: its cases with, in force (hub.cases.milestones.effective), an "aanvraag
bijzondere bijstand ingediend" dated in the period, or a "besluit bijzondere bijstand" with outcome toegekend dated
in the period. Its stratum: ``deelnemer`` when the case's kantoor has a convenant with the gemeente with status
actief whose dates overlap the period; otherwise ``buiten_convenant`` (the convenant ended, was only a concept, or
does not cover the period). Every case in the hub lives under a convenant, so today that stratum holds only cases
whose convenant has stopped; it is drawn at its own, higher, rate all the same.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Convenant
from hub.cases.milestones import K, effective
from hub.cases.models import Case, CaseMilestone
from hub.monitoring.compliance import Period
from hub.monitoring.steekproef import Stratum, canonical

BIJSTAND_KINDS = (K.AANVRAAG_BIJSTAND.value, K.BESLUIT_BIJSTAND.value)


def in_population(milestones: list[CaseMilestone], period: Period) -> bool:
    """Whether a case's bijstand milestones put it in the period's population."""
    for m in effective(milestones):
        if m.milestone_date not in period:
            continue
        if m.kind == K.AANVRAAG_BIJSTAND.value or (m.kind == K.BESLUIT_BIJSTAND.value and m.outcome == "toegekend"):
            return True
    return False


async def participants(db: AsyncSession, gemeente_id: str, period: Period) -> set[str]:
    """The kantoren with a convenant in force with the gemeente during (part of) the period."""
    rows = await db.execute(
        select(col(Convenant.kantoor_id)).where(
            col(Convenant.gemeente_id) == gemeente_id,
            col(Convenant.status) == "actief",
            col(Convenant.start_date) <= period.end,
            (col(Convenant.end_date).is_(None)) | (col(Convenant.end_date) >= period.start),
        )
    )
    return set(rows.scalars())


async def population(db: AsyncSession, gemeente_id: str, period: Period) -> list[tuple[str, str]]:
    """The period's population of the gemeente's bijstand cases, (case id, stratum), in canonical order."""
    rows = await db.execute(
        select(CaseMilestone, col(Case.kantoor_id))
        .join(Case, col(Case.id) == col(CaseMilestone.case_id))
        .where(col(Case.gemeente_id) == gemeente_id, col(CaseMilestone.kind).in_(BIJSTAND_KINDS))
    )
    by_case: dict[str, list[CaseMilestone]] = {}
    kantoor_of: dict[str, str] = {}
    for milestone, kantoor_id in rows.all():
        by_case.setdefault(milestone.case_id, []).append(milestone)
        kantoor_of[milestone.case_id] = kantoor_id
    inside = await participants(db, gemeente_id, period)
    return canonical(
        (case_id, (Stratum.DEELNEMER if kantoor_of[case_id] in inside else Stratum.BUITEN_CONVENANT).value)
        for case_id, milestones in by_case.items()
        if in_population(milestones, period)
    )
