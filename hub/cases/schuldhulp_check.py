"""The contractmanager's monthly check of §2.3: per kantoor, the gemeente's cases whose 12 months (or the extension
agreed with BSHV) for the aanmelding schuldhulpverlening are approaching (within the warning months,
``HUB_SCHULDHULP_WARN_MONTHS``) or past, without an aanmelding. Read from the running terms (``case_term``), which
the milestones keep: one rule for the due day, the extension included. Scoped to the user's own gemeente; the
reference only, never a client name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, Organisation, User
from hub.cases.case_terms import in_force
from hub.cases.milestones import K
from hub.cases.models import Case, CaseMilestone, CaseTerm
from hub.terms import add_months, as_local_date, end_of_day

STEP = K.AANMELDING_SCHULDHULP.value


@dataclass(frozen=True)
class CheckedCase:
    case_id: str
    reference: str
    bewind_start: date | None
    due_on: date
    extended: bool  # the due day is an extension agreed with BSHV


@dataclass
class KantoorCheck:
    kantoor: str
    approaching: list[CheckedCase] = field(default_factory=list)
    past: list[CheckedCase] = field(default_factory=list)


@dataclass(frozen=True)
class SchuldhulpCheck:
    today: date
    horizon: date  # approaching: due on or before this day
    kantoren: list[KantoorCheck]
    recomputing: int  # cases whose terms the worker has yet to compute (new or changed): not in the lists yet

    @property
    def approaching(self) -> int:
        return sum(len(k.approaching) for k in self.kantoren)

    @property
    def past(self) -> int:
        return sum(len(k.past) for k in self.kantoren)


async def schuldhulp_check(db: AsyncSession, user: User, *, warn_months: Sequence[int], today: date) -> SchuldhulpCheck:
    require(user, Action.VIEW_SCHULDHULP_CHECK)
    gemeente_id = user.organisation_id
    horizon = add_months(today, max(warn_months, default=0))
    kantoor = aliased(Organisation)
    rows = (
        await db.execute(
            select(CaseTerm, col(Case.reference), col(Case.bewind_start_date), col(kantoor.id), col(kantoor.name))
            .join(Case, col(Case.id) == col(CaseTerm.case_id))
            .join(kantoor, col(kantoor.id) == col(Case.kantoor_id))
            .where(
                col(CaseTerm.gemeente_id) == gemeente_id,
                col(Case.gemeente_id) == gemeente_id,
                col(CaseTerm.step) == STEP,
                col(CaseTerm.due_at) <= end_of_day(horizon),
            )
            .order_by(col(CaseTerm.due_at), col(Case.reference))
        )
    ).all()
    extended = await _extended(db, [term.case_id for term, *_ in rows])
    by_kantoor = await _partners(db, gemeente_id)
    for term, reference, start, kantoor_id, kantoor_name in rows:
        check = by_kantoor.setdefault(kantoor_id, KantoorCheck(kantoor_name))
        due_on = as_local_date(term.due_at)
        item = CheckedCase(term.case_id, reference, start, due_on, term.case_id in extended)
        (check.past if due_on < today else check.approaching).append(item)
    recomputing = await db.scalar(
        select(func.count())
        .select_from(Case)
        .where(col(Case.gemeente_id) == gemeente_id, col(Case.terms_stale).is_(True))
    )
    kantoren = sorted(by_kantoor.values(), key=lambda k: (-len(k.past), -len(k.approaching), k.kantoor))
    return SchuldhulpCheck(today, horizon, kantoren, int(recomputing or 0))


async def _partners(db: AsyncSession, gemeente_id: str) -> dict[str, KantoorCheck]:
    """Every kantoor with a convenant with the gemeente, also those with nothing to report."""
    rows = await db.execute(
        select(col(Organisation.id), col(Organisation.name))
        .join(Convenant, col(Convenant.kantoor_id) == col(Organisation.id))
        .where(col(Convenant.gemeente_id) == gemeente_id)
        .distinct()
    )
    return {org_id: KantoorCheck(name) for org_id, name in rows.all()}


async def _extended(db: AsyncSession, case_ids: list[str]) -> set[str]:
    if not case_ids:
        return set()
    rows = await db.execute(
        select(col(CaseMilestone.case_id)).where(
            col(CaseMilestone.case_id).in_(case_ids),
            col(CaseMilestone.kind) == K.UITSTEL_SCHULDHULP.value,
            col(CaseMilestone.void).is_(False),
            in_force(),
        )
    )
    return set(rows.scalars())
