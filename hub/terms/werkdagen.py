"""The werkdagen calendar and term arithmetic of the Algemene termijnenwet (Atw).

A werkdag is a day that is not a Saturday, not a Sunday, not an algemeen erkende feestdag (Atw art. 3 lid 1
and 2, see :mod:`hub.terms.feestdagen`), not a day declared equal to one by the Crown (art. 3 lid 3, the data
file ``gelijkgestelde_dagen.txt``) and, for a calendar that carries them, not a closing day of the gemeente.

Every moment is interpreted in Europe/Amsterdam. Every term ends at the end of a day: 23:59:59 (microsecond 0)
Europe/Amsterdam, timezone-aware. 23:59:59 is never inside a DST gap or fold, so it is always unambiguous.

Counting rules:

- "N werkdagen" (:meth:`WerkdagCalendar.add_werkdagen`): the day of receipt does not count, whatever the time
  of receipt; the term ends at the end of the Nth werkdag after the day of receipt.
- "N weken / N maanden" (:meth:`WerkdagCalendar.add_period`): the term ends on the same calendar date that
  many weeks or months later (the last day of the month when that date does not exist). A term that would end
  on a day that is not a werkdag ends on the next werkdag (Atw art. 1). A term of at least three days is
  extended so that it holds at least two werkdagen (Atw art. 2); with national days alone this never happens,
  only with long runs of gemeente closing days.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.terms.feestdagen import feestdagen

__all__ = [
    "AMSTERDAM",
    "DECREE_DAY_NAME",
    "GEMEENTE_CLOSED_NAME",
    "NaiveDatetimeError",
    "WerkdagCalendar",
    "add_months",
    "add_period",
    "add_werkdagen",
    "as_local_date",
    "default_calendar",
    "end_of_day",
    "is_werkdag",
    "load_decree_days",
    "next_werkdag",
    "require_aware",
    "werkdag_on_or_after",
    "werkdagen_between",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

DECREE_DAY_NAME = "bij besluit gelijkgestelde dag"
GEMEENTE_CLOSED_NAME = "sluitingsdag gemeente"

_DECREE_FILE = "gelijkgestelde_dagen.txt"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = timedelta(days=1)
_CACHE_LIMIT = 100_000


class NaiveDatetimeError(ValueError):
    """A datetime without timezone was given where a moment in time is needed."""


def require_aware(moment: datetime, what: str = "moment") -> datetime:
    """Return ``moment`` unchanged when it is timezone-aware, else raise :class:`NaiveDatetimeError`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{what} {moment.isoformat()} has no timezone; pass a timezone-aware datetime "
            "(e.g. datetime.now(AMSTERDAM) or a UTC timestamp) so the day of receipt is unambiguous"
        )
    return moment


def as_local_date(value: date) -> date:
    """The calendar day of ``value`` in Europe/Amsterdam.

    A ``date`` is returned as is; an aware ``datetime`` is converted to Europe/Amsterdam first; a naive
    ``datetime`` raises :class:`NaiveDatetimeError`.
    """
    if type(value) is date:
        return value
    if isinstance(value, datetime):
        return require_aware(value).astimezone(AMSTERDAM).date()
    if isinstance(value, date):  # a date subclass
        return date(value.year, value.month, value.day)
    raise TypeError(f"expected a date, got {type(value).__name__}")


def end_of_day(day: date) -> datetime:
    """23:59:59 Europe/Amsterdam on ``day`` (timezone-aware, microsecond 0): the moment a term ends."""
    d = as_local_date(day)
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=AMSTERDAM)


def add_months(day: date, months: int) -> date:
    """The same calendar date ``months`` later (or earlier), clamped to the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _parse_decree_lines(text: str, source: str) -> frozenset[date]:
    days: set[date] = set()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        if not _ISO_DATE.fullmatch(content):
            raise ValueError(f"{source}, line {lineno}: expected one ISO date (YYYY-MM-DD), got {raw.strip()!r}")
        try:
            day = date.fromisoformat(content)
        except ValueError as exc:
            raise ValueError(f"{source}, line {lineno}: invalid date {content!r}: {exc}") from None
        if day.weekday() >= 5:
            raise ValueError(
                f"{source}, line {lineno}: {content} is a {'Saturday' if day.weekday() == 5 else 'Sunday'}; "
                "a gelijkgestelde dag on a weekend has no effect (typo?)"
            )
        days.add(day)
    return frozenset(days)


def load_decree_days(path: Path | None = None) -> frozenset[date]:
    """Read days declared equal to a feestdag (Atw art. 3 lid 3) from a data file.

    The format is one ISO date per line; ``#`` starts a comment; blank lines are ignored. A line that is not a
    valid date, or a date on a weekend, raises ``ValueError`` naming the file and the line number. Without
    ``path`` the packaged ``hub/terms/gelijkgestelde_dagen.txt`` is read (once per process: restart after
    editing it).
    """
    if path is None:
        return _packaged_decree_days()
    path = Path(path)
    return _parse_decree_lines(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def _packaged_decree_days() -> frozenset[date]:
    resource = resources.files(__package__ or "hub.terms").joinpath(_DECREE_FILE)
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the packaged {_DECREE_FILE} is missing from hub.terms; "
            "it must be installed as package data (werkdagen would otherwise be wrong)"
        ) from None
    return _parse_decree_lines(text, f"{_DECREE_FILE} (packaged)")


def _by_year(days: frozenset[date]) -> dict[int, frozenset[date]]:
    grouped: dict[int, set[date]] = {}
    for day in days:
        grouped.setdefault(day.year, set()).add(day)
    return {year: frozenset(group) for year, group in grouped.items()}


def _weekdays_up_to(ordinal: int) -> int:
    """How many Mondays..Fridays have a proleptic ordinal in 1..ordinal (ordinal 1 is a Monday)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True, eq=False, slots=True)
class WerkdagCalendar:
    """An immutable werkdagen calendar: national feestdagen, decree days, and optional extra closing days.

    ``extra_closed``: closing days of a gemeente (named "sluitingsdag gemeente"); callers load them.
    ``decree_days``: days declared equal to a feestdag (Atw art. 3 lid 3); ``None`` means the packaged list.

    Calendars compare and hash by their effective closed days. Results are cached per instance, so keep one
    calendar per gemeente around instead of building a new one for every call.
    """

    extra_closed: frozenset[date] = frozenset()
    decree_days: frozenset[date] | None = None
    _decree: frozenset[date] = field(init=False, repr=False)
    _extra_by_year: dict[int, frozenset[date]] = field(init=False, repr=False)
    _decree_by_year: dict[int, frozenset[date]] = field(init=False, repr=False)
    _closed_cache: dict[int, frozenset[date]] = field(init=False, repr=False)
    _due_cache: dict[tuple[date, int], datetime] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        extra = self._checked_days(self.extra_closed, "extra_closed")
        decree = load_decree_days() if self.decree_days is None else self._checked_days(self.decree_days, "decree_days")
        object.__setattr__(self, "extra_closed", extra)
        object.__setattr__(self, "_decree", decree)
        object.__setattr__(self, "_extra_by_year", _by_year(extra))
        object.__setattr__(self, "_decree_by_year", _by_year(decree))
        object.__setattr__(self, "_closed_cache", {})
        object.__setattr__(self, "_due_cache", {})

    @staticmethod
    def _checked_days(days: Iterable[date], what: str) -> frozenset[date]:
        checked = frozenset(days)
        for day in checked:
            if type(day) is not date:
                raise TypeError(f"{what} must hold plain dates, got {day!r}")
        return checked

    @classmethod
    def from_files(
        cls, extra_decree_file: Path | None = None, *, extra_closed: Iterable[date] = frozenset()
    ) -> WerkdagCalendar:
        """The packaged decree days plus those in ``extra_decree_file`` (an operator's own list)."""
        decree = load_decree_days()
        if extra_decree_file is not None:
            decree |= load_decree_days(extra_decree_file)
        return cls(extra_closed=frozenset(extra_closed), decree_days=decree)

    def with_extra_closed(self, days: Iterable[date]) -> WerkdagCalendar:
        """A calendar with the same decree days and ``days`` added to the extra closing days."""
        return WerkdagCalendar(extra_closed=self.extra_closed | frozenset(days), decree_days=self._decree)

    @property
    def effective_decree_days(self) -> frozenset[date]:
        """The decree days in force (the packaged list when ``decree_days`` was ``None``)."""
        return self._decree

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WerkdagCalendar):
            return NotImplemented
        return self.extra_closed == other.extra_closed and self._decree == other._decree

    def __hash__(self) -> int:
        return hash((self.extra_closed, self._decree))

    # -- closed days ---------------------------------------------------------------------------------------

    def closed_days(self, year: int) -> frozenset[date]:
        """Every day of ``year`` that is closed besides Saturday and Sunday (may include weekend days)."""
        closed = self._closed_cache.get(year)
        if closed is None:
            empty: frozenset[date] = frozenset()
            closed = (
                frozenset(feestdagen(year))
                | self._decree_by_year.get(year, empty)
                | self._extra_by_year.get(year, empty)
            )
            self._closed_cache[year] = closed
        return closed

    def _werkdag(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closed_days(day.year)

    def is_werkdag(self, day: date) -> bool:
        """Whether ``day`` is a werkdag (an aware datetime counts as its day in Europe/Amsterdam)."""
        return self._werkdag(as_local_date(day))

    def feestdag_name(self, day: date) -> str | None:
        """The Dutch name of the reason ``day`` is closed, or ``None`` (also for an ordinary weekend day).

        National feestdagen give their own name ("Koningsdag", "Goede Vrijdag", ...), decree days "bij besluit
        gelijkgestelde dag", extra closing days "sluitingsdag gemeente", in that order of precedence.
        """
        d = as_local_date(day)
        name = feestdagen(d.year).get(d)
        if name is not None:
            return name
        if d in self._decree:
            return DECREE_DAY_NAME
        if d in self.extra_closed:
            return GEMEENTE_CLOSED_NAME
        return None

    # -- stepping ------------------------------------------------------------------------------------------

    def next_werkdag(self, day: date) -> date:
        """The first werkdag strictly after ``day``."""
        d = as_local_date(day) + _ONE_DAY
        while not self._werkdag(d):
            d += _ONE_DAY
        return d

    def werkdag_on_or_after(self, day: date) -> date:
        """``day`` itself when it is a werkdag, otherwise the next werkdag (Atw art. 1)."""
        d = as_local_date(day)
        while not self._werkdag(d):
            d += _ONE_DAY
        return d

    def nth_werkdag_after(self, day: date, n: int) -> date:
        """The ``n``-th werkdag after ``day`` (``day`` itself never counts); ``day`` itself for n == 0."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = as_local_date(day)
        while n:
            d += _ONE_DAY
            if self._werkdag(d):
                n -= 1
        return d

    def werkdagen_between(self, start: date, end: date) -> int:
        """Werkdagen after ``start`` up to and including ``end``; negative when ``end`` is before ``start``.

        ``werkdagen_between(due, today)`` is how many werkdagen a term is overdue ("2 werkdagen te laat").
        """
        s, e = as_local_date(start), as_local_date(end)
        if e < s:
            return -self.werkdagen_between(e, s)
        count = _weekdays_up_to(e.toordinal()) - _weekdays_up_to(s.toordinal())
        for year in range(s.year, e.year + 1):
            for closed in self.closed_days(year):
                if s < closed <= e and closed.weekday() < 5:
                    count -= 1
        return count

    # -- terms ---------------------------------------------------------------------------------------------

    def add_werkdagen(self, moment: datetime, n: int) -> datetime:
        """The end of a term of ``n`` werkdagen that starts with receipt at ``moment``.

        The moment is converted to Europe/Amsterdam to find the day of receipt, which does not count, whatever
        the time. The term ends at 23:59:59 Europe/Amsterdam on the ``n``-th werkdag after it. For ``n == 0``
        the term ends at the end of the day of receipt itself (even when that is not a werkdag). A naive
        ``moment`` raises :class:`NaiveDatetimeError`, a negative ``n`` ``ValueError``.

        Example: received Friday 24 April 2026 16:00 → Monday 27 April is Koningsdag → due Wednesday 29 April
        2026 23:59:59+02:00.
        """
        if not isinstance(moment, datetime):
            raise TypeError(f"moment must be a datetime, got {type(moment).__name__}")
        if type(n) is not int:
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"a term cannot have a negative number of werkdagen (n={n})")
        receipt = require_aware(moment).astimezone(AMSTERDAM).date()
        key = (receipt, n)
        due = self._due_cache.get(key)
        if due is None:
            due = end_of_day(self.nth_werkdag_after(receipt, n))
            if len(self._due_cache) >= _CACHE_LIMIT:
                self._due_cache.clear()
            self._due_cache[key] = due
        return due

    def add_period(self, day: date, *, weeks: int = 0, months: int = 0) -> datetime:
        """The end of a term of ``months`` months plus ``weeks`` weeks that starts on ``day``.

        The plain end is the same calendar date that many months (clamped to the month's last day, so 31
        January + 1 month is 28 or 29 February) and then weeks later. When that day is not a werkdag, the term
        ends on the next werkdag (Atw art. 1); a term of at least three days holds at least two werkdagen (Atw
        art. 2). Returns 23:59:59 Europe/Amsterdam of the final day. ``day`` may be an aware datetime (its
        Amsterdam day).
        """
        if weeks < 0 or months < 0:
            raise ValueError(f"a term cannot be negative (weeks={weeks}, months={months})")
        start = as_local_date(day)
        plain = add_months(start, months) + timedelta(weeks=weeks)
        end = self.werkdag_on_or_after(plain)
        if (plain - start).days >= 3 and self.werkdagen_between(start, end) < 2:
            end = self.nth_werkdag_after(start, 2)
        return end_of_day(end)


_default: WerkdagCalendar | None = None


def default_calendar() -> WerkdagCalendar:
    """The shared calendar with the national feestdagen and the packaged decree days (no gemeente days)."""
    global _default
    if _default is None:
        _default = WerkdagCalendar()
    return _default


def is_werkdag(day: date) -> bool:
    """Whether ``day`` is a werkdag on the default calendar."""
    return default_calendar().is_werkdag(day)


def add_werkdagen(moment: datetime, n: int) -> datetime:
    """End of a term of ``n`` werkdagen after receipt at ``moment`` (default calendar); see
    :meth:`WerkdagCalendar.add_werkdagen`."""
    return default_calendar().add_werkdagen(moment, n)


def add_period(day: date, *, weeks: int = 0, months: int = 0) -> datetime:
    """End of a weeks/months term from ``day`` (default calendar); see :meth:`WerkdagCalendar.add_period`."""
    return default_calendar().add_period(day, weeks=weeks, months=months)


def next_werkdag(day: date) -> date:
    """The first werkdag strictly after ``day`` (default calendar)."""
    return default_calendar().next_werkdag(day)


def werkdag_on_or_after(day: date) -> date:
    """``day`` when it is a werkdag, else the next werkdag (default calendar)."""
    return default_calendar().werkdag_on_or_after(day)


def werkdagen_between(start: date, end: date) -> int:
    """Werkdagen after ``start`` up to and including ``end``, negative if ``end`` < ``start`` (default)."""
    return default_calendar().werkdagen_between(start, end)
