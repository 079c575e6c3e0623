"""The monitoring figures of the handreiking (chapter 5) per gemeente and calendar year: the counting rules. Pure: no
database, no I/O. hub.monitoring.queries reads the milestones; this module turns each case's effective milestones into
its facts (:func:`case_facts`) and counts them for a year (:func:`count`).

Our precise reading (shared/DOMAIN.md "Monitoring"; the README's Monitoring section says the same for users). For
year Y, the window runs from 1 January to 31 December, or to today in the running year:

- I1: bijzondere bijstand for the bewind costs granted on or before the window's last day and not stopped before
  1 January (it stops with "einde bijzondere bijstand", or else with "einde bewind": without a bewind there are no
  costs); "waarvan nieuw": granted in the window.
- D1: of I1, no schuldregeling started on or before the window's last day.
- D2: the schuldenbewinds (not a toestandenbewind only) whose term (12 months from the start of the bewind, a setting)
  ends in the window and that had not ended before it: registered for schuldhulp on or before the term's last day;
  and not (later, or not yet). An agreed uitstel moves the reminder, not this count.
- U1: einde bijzondere bijstand dated in the window.
- U2: einde bewind dated in the window, by its reason.
- U3: nazorg offered in the window; of which accepted (on or before the window's last day).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol

from hub.cases.milestones import EINDE_REDENEN, Fact, K, effective, latest
from hub.cases.models import BewindKind
from hub.terms import add_months

DEFAULT_TERM_MONTHS = 12  # §2.3: aanmelding schuldhulp within twelve months of the start of the bewind
SMALL = 5  # counts below this show as "< 5" outside the organisation's own case lists
HIDDEN = "x"  # a count of 5 or more hidden so that a small one cannot be worked out (hub.monitoring.suppression)


def shown(count: int) -> str:
    """A count as the page and the exports show it: below 5 as "< 5", so that no inwoner can be singled out."""
    return f"< {SMALL}" if count < SMALL else str(count)


def is_suppressed(count: int) -> bool:
    return count < SMALL


# The kinds the figures read: the query fetches only these.
KINDS = (
    K.BESCHIKKING,
    K.BESLUIT_BIJSTAND,
    K.EINDE_BIJSTAND,
    K.AANMELDING_SCHULDHULP,
    K.START_SCHULDREGELING,
    K.EINDE_BEWIND,
    K.NAZORG_AANGEBODEN,
    K.NAZORG_GEACCEPTEERD,
)


class Row(Fact, Protocol):
    """A milestone as the figures read it (a query row or a :class:`CaseMilestone`)."""

    @property
    def outcome(self) -> str | None: ...
    @property
    def detail_date(self) -> date | None: ...


class MilestoneRow(NamedTuple):
    """A milestone's columns as the counting rules read them (:func:`case_facts`)."""

    id: str
    kind: str
    milestone_date: date
    recorded_at: datetime
    supersedes_id: str | None
    void: bool
    outcome: str | None
    detail_date: date | None


@dataclass(frozen=True)
class Window:
    """The counted days of calendar year ``year``: all of it, or up to ``today`` in the running year."""

    year: int
    first: date
    last: date

    @classmethod
    def of(cls, year: int, today: date) -> Window:
        return cls(year, date(year, 1, 1), min(date(year, 12, 31), today))

    def holds(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last


@dataclass(frozen=True)
class CaseFacts:
    """One case's facts that the figures count, from its effective milestones."""

    kantoor_id: str
    schulden: bool  # a schuldenbewind (or both): the schuldhulp term of §2.3 applies
    bewind_start: date | None = None
    bijstand_granted: date | None = None
    bijstand_stopped: date | None = None
    schuldhulp_registered: date | None = None
    schuldregeling_started: date | None = None
    bewind_ended: date | None = None
    einde_reason: str | None = None
    nazorg_offered: date | None = None
    nazorg_accepted: date | None = None


def case_facts(kantoor_id: str, bewind_kind: str, milestones: Iterable[Row]) -> CaseFacts:
    by_kind = latest(effective(milestones))

    def day(kind: K) -> date | None:
        found = by_kind.get(kind)
        return found.milestone_date if found is not None else None

    beschikking = by_kind.get(K.BESCHIKKING)
    besluit = by_kind.get(K.BESLUIT_BIJSTAND)
    einde = by_kind.get(K.EINDE_BEWIND)
    return CaseFacts(
        kantoor_id=kantoor_id,
        schulden=bewind_kind != BewindKind.TOESTANDENBEWIND.value,
        # The start of the bewind is the beschikking's "ingangsdatum"; the beschikking's date when none was given.
        bewind_start=(beschikking.detail_date or beschikking.milestone_date) if beschikking is not None else None,
        bijstand_granted=besluit.milestone_date if besluit is not None and besluit.outcome == "toegekend" else None,
        bijstand_stopped=day(K.EINDE_BIJSTAND),
        schuldhulp_registered=day(K.AANMELDING_SCHULDHULP),
        schuldregeling_started=day(K.START_SCHULDREGELING),
        bewind_ended=einde.milestone_date if einde is not None else None,
        einde_reason=einde.outcome if einde is not None else None,
        nazorg_offered=day(K.NAZORG_AANGEBODEN),
        nazorg_accepted=day(K.NAZORG_GEACCEPTEERD),
    )


@dataclass
class Figures:
    """The figures of one year for one gemeente, or one kantoor within it."""

    i1: int = 0
    i1_new: int = 0
    d1: int = 0
    d2_within: int = 0
    d2_not: int = 0
    u1: int = 0
    u2: int = 0
    u2_reasons: Counter[str] = field(default_factory=Counter)
    u3_offered: int = 0
    u3_accepted: int = 0

    @property
    def d2(self) -> int:
        return self.d2_within + self.d2_not

    def merge(self, other: Figures) -> None:
        """Add another part's figures to these (a kantoor's to the gemeente's)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.u2_reasons.update(other.u2_reasons)

    def add(self, facts: CaseFacts, window: Window, term_end: date | None) -> None:
        """Count one case into these figures; ``term_end`` is the last day of its D2 term (None: no term applies).

        The window's days are compared inline (not through :meth:`Window.holds`): this runs for every case twice."""
        first, last = window.first, window.last
        stopped = facts.bijstand_stopped or facts.bewind_ended
        granted = facts.bijstand_granted
        if granted is not None and granted <= last and (stopped is None or stopped >= first):
            self.i1 += 1
            self.i1_new += first <= granted
            started = facts.schuldregeling_started
            self.d1 += started is None or started > last
        if term_end is not None and first <= term_end <= last:
            ended = facts.bewind_ended
            if ended is None or ended >= term_end:
                registered = facts.schuldhulp_registered
                within = registered is not None and registered <= term_end
                self.d2_within += within
                self.d2_not += not within
        day = facts.bijstand_stopped
        self.u1 += day is not None and first <= day <= last
        day = facts.bewind_ended
        if day is not None and first <= day <= last:
            self.u2 += 1
            self.u2_reasons[facts.einde_reason or "anders"] += 1
        day = facts.nazorg_offered
        if day is not None and first <= day <= last:
            self.u3_offered += 1
            accepted = facts.nazorg_accepted
            self.u3_accepted += accepted is not None and accepted <= last


COUNTS = ("i1", "i1_new", "d1", "d2_within", "d2_not", "u1", "u2", "u3_offered", "u3_accepted")


@dataclass
class YearFigures:
    """A gemeente's figures of one year, and per kantoor within it."""

    window: Window
    total: Figures
    per_kantoor: dict[str, Figures]


def count(facts: Iterable[CaseFacts], window: Window, term_months: int = DEFAULT_TERM_MONTHS) -> YearFigures:
    """Each case counted once, into its kantoor's figures; the gemeente's are their sum."""
    return count_years(facts, [window], term_months)[0]


def count_years(facts: Iterable[CaseFacts], windows: Sequence[Window], term_months: int) -> list[YearFigures]:
    """:func:`count` for several windows in one pass over the facts (the report counts a year and the year before):
    each case's D2 term is worked out once, and once per distinct start date."""
    per_kantoor: list[dict[str, Figures]] = [{} for _ in windows]
    term_ends: dict[date, date] = {}
    pairs = list(zip(windows, per_kantoor, strict=True))
    for one in facts:
        term_end = None
        if one.schulden and one.bewind_start is not None:
            term_end = term_ends.get(one.bewind_start)
            if term_end is None:
                term_end = term_ends[one.bewind_start] = add_months(one.bewind_start, term_months)
        for window, figures_of in pairs:
            figures = figures_of.get(one.kantoor_id)
            if figures is None:
                figures = figures_of[one.kantoor_id] = Figures()
            figures.add(one, window, term_end)
    years = []
    for window, figures_of in pairs:
        total = Figures()
        for figures in figures_of.values():
            total.merge(figures)
        years.append(YearFigures(window, total, figures_of))
    return years


# -- the figures as the handreiking names them ---------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One figure of the report: its code, the handreiking's words, a short name for the charts, and its count."""

    code: str
    group: str  # Instroom, Doorstroom, Uitstroom
    label: str
    short: str
    value: int
    part: bool = False  # a "waarvan" line under the figure before it
    secondary: bool = False  # hidden because, with the numbers shown, it would give a small count away

    @property
    def hidden(self) -> bool:
        return self.secondary or is_suppressed(self.value)

    @property
    def text(self) -> str:
        """The count as the page and the exports show it: "x" when hidden by hub.monitoring.suppression."""
        return HIDDEN if self.secondary else shown(self.value)


GROUPS = ("Instroom", "Doorstroom", "Uitstroom")


def lines(figures: Figures, year: int, term_months: int) -> list[Line]:
    """The figures in the handreiking's order and words (chapter 5), with the "waarvan" lines under their figure."""
    term = "twaalf maanden" if term_months == 12 else f"{term_months} maanden"
    bijstand = "de kosten van beschermingsbewind vergoed krijgt uit de bijzondere bijstand"
    return [
        Line("I1", "Instroom", f"Aantal inwoners dat {bijstand}", "I1 bewindskosten uit bijzondere bijstand",
             figures.i1),
        Line("I1", "Instroom", f"waarvan nieuw in {year}", "I1 waarvan nieuw", figures.i1_new, part=True),
        Line("D1", "Doorstroom", f"Aantal inwoners dat {bijstand} en nog niet in een schuldregelingstraject bij "
             "de gemeente zit", "D1 nog niet in een schuldregeling", figures.d1),
        Line("D2", "Doorstroom", f"Aantal inwoners van wie de termijn van {term} na de instelling van het "
             f"beschermingsbewind in {year} afliep", "D2 termijn afgelopen", figures.d2),
        Line("D2", "Doorstroom", f"waarvan binnen {term} aangemeld voor een schuldregelingstraject bij de gemeente",
             "D2 waarvan binnen de termijn aangemeld", figures.d2_within, part=True),
        Line("D2", "Doorstroom", "waarvan niet binnen die termijn aangemeld (later of nog niet)",
             "D2 waarvan niet binnen de termijn", figures.d2_not, part=True),
        Line("U1", "Uitstroom", "Aantal inwoners waarvoor de vergoeding van de kosten van beschermingsbewind uit de "
             "bijzondere bijstand is gestopt", "U1 bijzondere bijstand gestopt", figures.u1),
        Line("U2", "Uitstroom", "Aantal inwoners dat bij de rechtbank geregistreerd staat waarvan het "
             "beschermingsbewind is gestopt", "U2 beschermingsbewind gestopt", figures.u2),
        *(Line("U2", "Uitstroom", f"waarvan reden: {label}", f"U2 {label}", figures.u2_reasons[value], part=True)
          for value, label in EINDE_REDENEN),
        Line("U3", "Uitstroom", "Aantal inwoners dat stopt met beschermingsbewind aan wie nazorg en begeleiding is "
             "aangeboden", "U3 nazorg aangeboden", figures.u3_offered),
        Line("U3", "Uitstroom", "waarvan nazorg geaccepteerd", "U3 waarvan geaccepteerd", figures.u3_accepted,
             part=True),
    ]  # fmt: skip
