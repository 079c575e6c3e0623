"""The gemeente's calendar: the one loader of per-gemeente werkdag calendars, and its closing days.

Every part that counts werkdagen for a gemeente (the reaction clocks, the reminder sweep, the digests, later the
case terms) loads its calendar here: the base calendar (national feestdagen, decree days, an operator's own decree
day file) plus the gemeente's own closing days (:class:`GemeenteClosingDay`).

A closing day moves the due moments of terms that are already running. Those terms belong to other parts (the
reaction clocks of messaging), which this package does not import: whoever builds a :class:`ClosingDayService`
passes an ``on_change(change)`` callback (a :class:`ClosingDayChange`) that recomputes them and tells whom it
concerns, in the same transaction. Every change is audited (``calendar.closing_day_add`` / ``_remove``), and changes
of one gemeente's calendar take turns (its organisation row is locked), so a request sent twice at once adds the
day once and the second is refused as a duplicate.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.authz import Action, require
from hub.accounts.models import Organisation, User
from hub.accounts.roles import OrgKind
from hub.audit import services as audit
from hub.calendars.models import GemeenteClosingDay
from hub.db import is_id, new_id, utcnow
from hub.errors import NotFound, ValidationError
from hub.terms import WerkdagCalendar, as_local_date, default_calendar

CLOSING_DESCRIPTION_MAX = 200

CalendarFor = Callable[[str], WerkdagCalendar]
"""Per organisation id: its werkdag calendar (the base calendar for an organisation without closing days)."""

OBJECT_CLOSING_DAY = "gemeente_closing_day"  # the audit records' object type


@dataclass(frozen=True)
class ClosingDayChange:
    """One change of a gemeente's calendar: a closing day added or removed, by whom, when.

    ``change_id`` names this one change (the closing day's row id and which way), so that whatever follows from it
    (the mails about moved terms) happens once per change."""

    gemeente_id: str
    day: date
    added: bool
    closing_day_id: str
    user_id: str
    at: datetime

    @property
    def change_id(self) -> str:
        return f"{self.closing_day_id}:{'toegevoegd' if self.added else 'verwijderd'}"


ClosingDayChanged = Callable[[ClosingDayChange], Awaitable[object]]
"""Called after a closing day of a gemeente was added or removed, in the same transaction."""


class CalendarSource:
    """Werkdag calendars per gemeente: a base calendar (national days, decree days) plus its own closing days.

    Calendars are cached by their set of closing days, so the per-instance caches of :class:`WerkdagCalendar`
    survive from one request to the next; keep one source per process (:func:`calendar_source`).
    """

    def __init__(self, base: WerkdagCalendar | None = None) -> None:
        self.base = base if base is not None else default_calendar()
        self._cache: dict[frozenset[date], WerkdagCalendar] = {}

    def with_days(self, days: Iterable[date]) -> WerkdagCalendar:
        key = frozenset(days)
        if not key:
            return self.base
        calendar = self._cache.get(key)
        if calendar is None:
            if len(self._cache) > 1000:
                self._cache.clear()
            calendar = self.base.with_extra_closed(key)
            self._cache[key] = calendar
        return calendar

    async def for_gemeente(self, db: AsyncSession, gemeente_id: str) -> WerkdagCalendar:
        return (await self.for_gemeenten(db, [gemeente_id]))[gemeente_id]

    async def for_gemeenten(self, db: AsyncSession, gemeente_ids: Iterable[str]) -> dict[str, WerkdagCalendar]:
        ids = sorted(set(gemeente_ids))
        days: dict[str, set[date]] = {g: set() for g in ids}
        if ids:
            rows = await db.execute(
                select(col(GemeenteClosingDay.gemeente_id), col(GemeenteClosingDay.day)).where(
                    col(GemeenteClosingDay.gemeente_id).in_(ids)
                )
            )
            for gemeente_id, day in rows.all():
                days[gemeente_id].add(day)
        return {g: self.with_days(d) for g, d in days.items()}

    async def calendar_for(self, db: AsyncSession) -> CalendarFor:
        """Every gemeente's calendar at once (for a sweep over many organisations)."""
        days: dict[str, set[date]] = {}
        rows = await db.execute(select(col(GemeenteClosingDay.gemeente_id), col(GemeenteClosingDay.day)))
        for gemeente_id, day in rows.all():
            days.setdefault(gemeente_id, set()).add(day)
        by_org = {g: self.with_days(d) for g, d in days.items()}
        base = self.base
        return lambda org_id: by_org.get(org_id, base)


_sources: dict[Path | None, CalendarSource] = {}


def calendar_source(decree_days_file: Path | None = None) -> CalendarSource:
    """The process's calendar source for an operator's decree-day file (``HUB_DECREE_DAYS_FILE``), or none."""
    source = _sources.get(decree_days_file)
    if source is None:
        base = WerkdagCalendar.from_files(decree_days_file) if decree_days_file is not None else default_calendar()
        source = _sources[decree_days_file] = CalendarSource(base)
    return source


# -- closing days --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingDayView:
    day: GemeenteClosingDay
    past: bool


class ClosingDayService:
    """A gemeente's own closing days, kept by its contractmanager (``Action.MANAGE_CLOSING_DAYS``)."""

    def __init__(
        self,
        db: AsyncSession,
        *,
        on_change: ClosingDayChanged,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``on_change``: recomputes the running terms a closing day moves (see the module text). Required: a
        closing day that left running terms on their old due moments would make them wrong."""
        self.db = db
        self.on_change = on_change
        self.clock = clock

    def _now(self, now: datetime | None) -> datetime:
        moment = now if now is not None else self.clock()
        if moment.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware moment")
        return moment

    async def own_gemeente(self, user: User) -> Organisation:
        """The user's gemeente, if the user may keep its closing days (NotFound for another kind of organisation,
        Forbidden for another role)."""
        org = await self.db.get(Organisation, user.organisation_id)
        if org is None or org.org_kind != OrgKind.GEMEENTE:
            raise NotFound("Organisation")
        require(user, Action.MANAGE_CLOSING_DAYS, org)
        return org

    async def _begin_change(self, user: User, action: str, closing_day_id: str) -> Organisation:
        """The permission check, the audit record (first: it locks the chain head before anything else is locked),
        then the gemeente's row locked, so that changes of its calendar take turns."""
        org = await self.own_gemeente(user)
        await audit.record(
            self.db,
            user_id=user.id,
            organisation_id=org.id,
            action=action,
            object_type=OBJECT_CLOSING_DAY,
            object_id=closing_day_id,
        )
        await self.db.execute(select(col(Organisation.id)).where(col(Organisation.id) == org.id).with_for_update())
        return org

    async def days(self, user: User, now: datetime | None = None) -> list[ClosingDayView]:
        now = self._now(now)
        org = await self.own_gemeente(user)
        today = as_local_date(now)
        rows = await self.db.execute(
            select(GemeenteClosingDay)
            .where(col(GemeenteClosingDay.gemeente_id) == org.id)
            .order_by(col(GemeenteClosingDay.day))
        )
        return [ClosingDayView(day=d, past=d.day < today) for d in rows.scalars()]

    async def add(
        self, user: User, day: date | None, description: str, now: datetime | None = None
    ) -> GemeenteClosingDay:
        """Add a closing day (today or later). Running terms that span it get their due moment again."""
        now = self._now(now)
        row_id = new_id()
        org = await self._begin_change(user, "calendar.closing_day_add", row_id)
        errors: dict[str, str] = {}
        clean = " ".join(description.split())
        if day is None:
            errors["day"] = "Vul de datum van de sluitingsdag in."
        elif day < as_local_date(now):
            errors["day"] = "Een sluitingsdag in het verleden kan niet meer worden toegevoegd."
        elif day.weekday() >= 5:
            errors["day"] = "Deze datum valt in het weekend en is al geen werkdag."
        elif (
            await self.db.execute(
                select(col(GemeenteClosingDay.id)).where(
                    col(GemeenteClosingDay.gemeente_id) == org.id, col(GemeenteClosingDay.day) == day
                )
            )
        ).first() is not None:
            errors["day"] = "Deze dag staat al in de lijst."
        if len(clean) > CLOSING_DESCRIPTION_MAX:
            errors["description"] = f"De omschrijving is te lang: gebruik hoogstens {CLOSING_DESCRIPTION_MAX} tekens."
        if errors:
            raise ValidationError(errors)
        assert day is not None
        row = GemeenteClosingDay(
            id=row_id, gemeente_id=org.id, day=day, description=clean, created_by=user.id, created_at=now
        )
        self.db.add(row)
        await self.db.flush()
        await self.on_change(ClosingDayChange(org.id, day, True, row.id, user.id, now))
        return row

    async def remove(self, user: User, day_id: str, now: datetime | None = None) -> None:
        now = self._now(now)
        if not is_id(day_id):
            raise NotFound("GemeenteClosingDay")
        org = await self._begin_change(user, "calendar.closing_day_remove", day_id)
        # Read holding the lock: a second request to remove the same day finds it gone, and changes nothing.
        row = (
            await self.db.execute(
                select(GemeenteClosingDay)
                .where(col(GemeenteClosingDay.id) == day_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if row is None or row.gemeente_id != org.id:
            raise NotFound("GemeenteClosingDay")
        if row.day < as_local_date(now):
            raise ValidationError(
                {"day": "Een sluitingsdag in het verleden blijft bewaard: termijnen zijn ermee berekend."}
            )
        day = row.day
        await self.db.delete(row)
        await self.db.flush()
        await self.on_change(ClosingDayChange(org.id, day, False, row.id, user.id, now))
