"""The monitoring report of a gemeente: who may read it, and the two queries it takes (every milestone of the counted
kinds of the gemeente's cases, and the names of its kantoren). The counting itself is hub.monitoring.figures.

One query reads the milestones of all the gemeente's cases at once, with each case's kantoor and kind of bewind (no
query per case); the rows are light tuples, not ORM objects, so 50 000 cases and their milestones take well under a
second (bench/monitoring_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.cases.models import Case, CaseMilestone
from hub.errors import NotFound
from hub.monitoring.figures import KINDS, CaseFacts, Window, YearFigures, case_facts, count

FIRST_YEAR = 2000  # the earliest year the page accepts


class MilestoneRow(NamedTuple):
    id: str
    kind: str
    milestone_date: date
    recorded_at: datetime
    supersedes_id: str | None
    void: bool
    outcome: str | None
    detail_date: date | None


@dataclass(frozen=True)
class Report:
    """A gemeente's monitoring of a year, with the year before it for comparison."""

    gemeente: Organisation
    current: YearFigures
    previous: YearFigures
    kantoren: list[tuple[str, str]]  # (id, name), by name: every kantoor with a convenant or a case
    term_months: int

    @property
    def year(self) -> int:
        return self.current.window.year


async def monitoring_gemeente(db: AsyncSession, user: User) -> Organisation:
    """The user's gemeente, if the user may read its monitoring (NotFound for another kind of organisation,
    Forbidden for another role)."""
    org = await db.get(Organisation, user.organisation_id)
    if org is None or org.kind != OrgKind.GEMEENTE:
        raise NotFound("Organisation")
    require(user, Action.VIEW_MONITORING, org)
    return org


async def gemeente_facts(db: AsyncSession, gemeente_id: str) -> list[CaseFacts]:
    """Every case of the gemeente that has a milestone of a counted kind, as its facts."""
    m = CaseMilestone
    query = (
        select(
            col(m.case_id), col(Case.kantoor_id), col(Case.bewind_kind), col(m.id), col(m.kind),
            col(m.milestone_date), col(m.recorded_at), col(m.supersedes_id), col(m.void), col(m.outcome),
            col(m.detail_date),
        )
        .join(Case, col(Case.id) == col(m.case_id))
        .where(col(Case.gemeente_id) == gemeente_id, col(m.kind).in_([k.value for k in KINDS]))
    )  # fmt: skip
    rows = await db.execute(query)
    per_case: dict[str, tuple[str, str, list[MilestoneRow]]] = {}
    for case_id, kantoor_id, bewind_kind, *milestone in rows:
        entry = per_case.get(case_id)
        if entry is None:
            entry = per_case[case_id] = (kantoor_id, bewind_kind, [])
        entry[2].append(MilestoneRow._make(milestone))
    return [case_facts(kantoor_id, kind, found) for kantoor_id, kind, found in per_case.values()]


async def kantoren_of(db: AsyncSession, gemeente_id: str, also: set[str]) -> list[tuple[str, str]]:
    """The kantoren of the gemeente's convenants and of ``also`` (kantoren with cases), as (id, name) by name."""
    convenanted = select(col(Convenant.kantoor_id)).where(col(Convenant.gemeente_id) == gemeente_id)
    rows = await db.execute(
        select(col(Organisation.id), col(Organisation.name)).where(
            col(Organisation.id).in_(convenanted) | col(Organisation.id).in_(sorted(also))
        )
    )
    return sorted(((i, n) for i, n in rows), key=lambda row: row[1].casefold())


async def report(db: AsyncSession, user: User, year: int, today: date, term_months: int) -> Report:
    """The monitoring of ``year`` (and the year before) for the user's gemeente."""
    gemeente = await monitoring_gemeente(db, user)
    facts = await gemeente_facts(db, gemeente.id)
    current = count(facts, Window.of(year, today), term_months)
    previous = count(facts, Window.of(year - 1, today), term_months)
    kantoren = await kantoren_of(db, gemeente.id, set(current.per_kantoor) | set(previous.per_kantoor))
    return Report(gemeente, current, previous, kantoren, term_months)


async def record_export(db: AsyncSession, user: User, gemeente: Organisation, year: int, fmt: str) -> None:
    """The audit record of an export (the figures leave the hub)."""
    await audit.record(
        db,
        user_id=user.id,
        organisation_id=gemeente.id,
        action="monitoring.export",
        object_type="monitoring",
        object_id=f"{year}-{fmt}",
    )
