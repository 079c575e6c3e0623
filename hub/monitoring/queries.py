"""The monitoring report of a gemeente: who may read it, and the two queries it takes (every milestone of the counted
kinds of the gemeente's cases, and the names of its kantoren). The counting itself is hub.monitoring.figures.

One query reads the facts of all the gemeente's cases at once (no query per case): the database keeps the milestones
in force and aggregates them to one row per case (:func:`gemeente_facts`), so 50 000 cases and their milestones take
well under a second (bench/monitoring_bench.py). Reading every milestone row into Python and applying ``effective``
per case took 2-8 s; reading only the corrected cases' rows that way was slower than the anti-join. The report reads
only the cases that can count from the earlier year on, and counts both years in one pass (``count_years``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as sql_case
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Convenant, Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.cases.in_force import in_force
from hub.cases.milestones import K
from hub.cases.models import BewindKind, Case, CaseMilestone
from hub.errors import NotFound
from hub.monitoring.figures import KINDS, CaseFacts, Window, YearFigures, count_years

FIRST_YEAR = 2000  # the earliest year the page accepts


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


def _last(kind: K, value: Any = None, *, outcome: str | None = None) -> Any:
    """Per case, the milestone of ``kind``: its date (or ``value``), when its outcome is ``outcome``."""
    m = CaseMilestone
    when = col(m.kind) == kind.value
    if outcome is not None:
        when = and_(when, col(m.outcome) == outcome)
    return func.max(sql_case((when, value if value is not None else col(m.milestone_date))))


async def gemeente_facts(db: AsyncSession, gemeente_id: str, since: date | None = None) -> list[CaseFacts]:
    """Every case of the gemeente that has a milestone of a counted kind, as its facts: one query, aggregated per
    case in the database over the milestones in force (:func:`hub.cases.in_force.in_force`, the twin of
    ``effective``). :func:`hub.monitoring.figures.case_facts` gives the same facts from a case's rows (a test checks
    that they agree).

    With ``since`` (the first day of the earliest window counted), the cases that cannot count in any window from
    that day on stay in the database: a bewind ended before ``since`` with no milestone on or after it. Every figure
    needs a date in the window (U1-U3, I1 "stopped" on or after its first day) or a bewind that had not ended before
    a term ending in the window (D2)."""
    m = CaseMilestone
    connection = await db.connection()
    # On SQLite, not the index's kind column: SQLite then reads each case's few milestones in one index range instead
    # of seeking once per counted kind per case (about a third less time on 50 000 cases).
    sqlite = connection.dialect.name == "sqlite"
    kind = col(m.kind).concat("") if sqlite else col(m.kind)
    ended = _last(K.EINDE_BEWIND)
    query = (
        select(
            col(Case.kantoor_id), col(Case.bewind_kind),
            _last(K.BESCHIKKING, func.coalesce(col(m.detail_date), col(m.milestone_date))),
            _last(K.BESLUIT_BIJSTAND, outcome="toegekend"),
            _last(K.EINDE_BIJSTAND), _last(K.AANMELDING_SCHULDHULP), _last(K.START_SCHULDREGELING),
            ended, _last(K.EINDE_BEWIND, col(m.outcome)),
            _last(K.NAZORG_AANGEBODEN), _last(K.NAZORG_GEACCEPTEERD),
        )
        .join(Case, col(Case.id) == col(m.case_id))
        .where(col(Case.gemeente_id) == gemeente_id, kind.in_([k.value for k in KINDS]), in_force())
        .group_by(col(Case.id), col(Case.kantoor_id), col(Case.bewind_kind))
    )  # fmt: skip
    if since is not None:
        query = query.having(or_(ended.is_(None), func.max(col(m.milestone_date)) >= since))
    toestand = BewindKind.TOESTANDENBEWIND.value
    return [
        CaseFacts(kantoor, kind != toestand, start, granted, stopped, registered, regeling, ended, reason, offered,
                  accepted)
        for kantoor, kind, start, granted, stopped, registered, regeling, ended, reason, offered, accepted
        in (await connection.execute(query)).all()  # Core rows, fetched at once: no ORM loading for 50 000 tuples
    ]  # fmt: skip


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
    windows = [Window.of(year, today), Window.of(year - 1, today)]
    facts = await gemeente_facts(db, gemeente.id, since=windows[1].first)
    current, previous = count_years(facts, windows, term_months)
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
