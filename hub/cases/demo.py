"""Demo paths: the sample cases of ``hub demo`` in every stage of the covenant's path, their milestones recorded
through the real service by the party whose step it is, with terms due today, tomorrow and late whatever day the
demo is made (the start dates are found backwards from the wanted due day, on the gemeente's calendar).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import col

from hub.accounts.models import User
from hub.accounts.roles import Role
from hub.cases.milestone_service import MilestoneInput, MilestoneService
from hub.cases.milestones import RULES, K, MilestoneKind
from hub.cases.models import Case
from hub.terms import (
    AMSTERDAM,
    WerkdagCalendar,
    aanmelding_schuldhulp_due,
    aanvraag_bijzondere_bijstand_due,
    add_months,
    contact_nieuwe_klant_due,
)


@dataclass(frozen=True)
class DemoStep:
    kind: MilestoneKind
    day: date
    choice: str = ""
    detail: date | None = None
    note: str = ""


@dataclass(frozen=True)
class DemoPath:
    """Where a demo case stands: its beschikking (None: the court has not decided) and the steps recorded."""

    beschikking: date | None
    steps: tuple[DemoStep, ...] = ()

    @property
    def needs_schulden(self) -> bool:
        """A path through schuldhulpverlening: not for a toestandenbewind."""
        return any(RULES[s.kind].schulden_only for s in self.steps)


def start_for_due(rule: Callable[[date], datetime], target: date) -> date:
    """The latest start day whose term ends on ``target`` (or, when none does, the first after it)."""
    candidates = [target - timedelta(days=n) for n in range(0, 420)]
    exact = [d for d in candidates if rule(d).date() == target]
    if exact:
        return max(exact)
    return min((d for d in candidates if rule(d).date() > target), default=target)


def demo_paths(today: date, calendar: WerkdagCalendar) -> list[DemoPath]:
    """The stages the demo shows, one per sample case in turn."""

    def bijstand(d: date) -> datetime:
        return aanvraag_bijzondere_bijstand_due(d, calendar=calendar)

    def schuldhulp(d: date) -> datetime:
        return aanmelding_schuldhulp_due(d, calendar=calendar)

    def contact(d: date) -> datetime:
        return contact_nieuwe_klant_due(datetime.combine(d, time(12), tzinfo=AMSTERDAM), calendar=calendar)

    ago = lambda n: today - timedelta(days=n)  # noqa: E731
    tomorrow = calendar.werkdag_on_or_after(today + timedelta(days=1))
    bijstand_today = start_for_due(bijstand, calendar.werkdag_on_or_after(today))
    bijstand_tomorrow = start_for_due(bijstand, tomorrow)
    referral = start_for_due(contact, calendar.werkdag_on_or_after(today))
    warned = add_months(today, -10) - timedelta(days=20)  # the 12 months end in about 5 weeks: a warning is out
    long_ago, regeling = add_months(today, -30), add_months(today, -25)
    return [
        # Aangemeld: the stukken went to the gemeente, its advice is awaited.
        DemoPath(None, (DemoStep(K.AANMELDING_VERZONDEN, ago(6)),)),
        # A referral by the FEW: contact due today.
        DemoPath(None, (DemoStep(K.VERWIJZING, referral, "few"),)),
        # Actief: the bijstand application due today, and one due tomorrow.
        DemoPath(bijstand_today),
        DemoPath(bijstand_tomorrow, (DemoStep(K.MELDING_WIJZIGING, ago(3), detail=ago(9), note="Nieuw adres"),)),
        # Actief: the bijstand application late; the schuldhulp term still running.
        DemoPath(ago(100)),
        # Bijstand granted; the 12 months of §2.3 nearing (a warning went out).
        DemoPath(warned, (
            DemoStep(K.AANVRAAG_BIJSTAND, warned + timedelta(days=30)),
            DemoStep(K.BESLUIT_BIJSTAND, warned + timedelta(days=50), "toegekend"),
        )),
        # The 12 months past without an aanmelding; for another case an extension agreed with BSHV.
        DemoPath(ago(400), (DemoStep(K.GEEN_AANVRAAG_BIJSTAND, ago(380), note="Voldoende inkomen"),)),
        DemoPath(ago(380), (
            DemoStep(K.AANVRAAG_BIJSTAND, ago(330)),
            DemoStep(K.UITSTEL_SCHULDHULP, ago(30), detail=today + timedelta(days=45)),
        )),
        # In schuldregeling for two years: the uitstroomverslag is due this quarter.
        DemoPath(long_ago, (
            DemoStep(K.AANVRAAG_BIJSTAND, long_ago + timedelta(days=40)),
            DemoStep(K.BESLUIT_BIJSTAND, long_ago + timedelta(days=60), "toegekend"),
            DemoStep(K.AANMELDING_SCHULDHULP, regeling - timedelta(days=60)),
            DemoStep(K.START_SCHULDREGELING, regeling, "minnelijk"),
        )),
        # Uitstroom, then the bewind ended with nazorg.
        DemoPath(add_months(today, -34), (
            DemoStep(K.AANMELDING_SCHULDHULP, add_months(today, -30)),
            DemoStep(K.START_SCHULDREGELING, add_months(today, -28), "wsnp"),
            DemoStep(K.UITSTROOMVERSLAG, add_months(today, -3), "budgetbeheer"),
        )),
        DemoPath(add_months(today, -40), (
            DemoStep(K.AANVRAAG_BIJSTAND, add_months(today, -39)),
            DemoStep(K.BESLUIT_BIJSTAND, add_months(today, -38), "toegekend"),
            DemoStep(K.AANMELDING_SCHULDHULP, add_months(today, -33)),
            DemoStep(K.START_SCHULDREGELING, add_months(today, -32), "minnelijk"),
            DemoStep(K.UITSTROOMVERSLAG, add_months(today, -7), "zelfstandig"),
            DemoStep(K.EINDE_BEWIND, ago(40), "uitstroom"),
            DemoStep(K.EINDE_BIJSTAND, ago(35)),
            DemoStep(K.NAZORG_AANGEBODEN, ago(30)),
            DemoStep(K.NAZORG_GEACCEPTEERD, ago(20)),
        )),
    ]  # fmt: skip


def _who(kind: MilestoneKind, people: list[User]) -> User:
    allowed = RULES[kind].roles
    for role in (Role.BEWINDVOERDER, Role.KLANTMANAGER, Role.CONSULENT):  # the case worker whose step it is
        if role in allowed:
            for person in people:
                if person.has_role(role):
                    return person
    raise LookupError(f"no demo user records {kind.value}")


# The documents an aanvraag bijzondere bijstand links (hub.cases.bijstand_evidence), uploaded on the case by its
# bewindvoerder: given by the composition layer, since cases imports no documents module.
ChecklistEvidence = Callable[[User, Case, date], Awaitable[dict[str, str]]]


async def record_demo_path(
    svc: MilestoneService, case: Case, path: DemoPath, people: list[User], evidence: ChecklistEvidence
) -> None:
    """Record the path's steps (after the beschikking the case was opened with), each on its own day."""
    skipped: set[MilestoneKind] = set()
    for step in path.steps:
        rule = RULES[step.kind]
        if (case.bewind_kind == "toestandenbewind" and rule.schulden_only) or skipped & set(rule.requires):
            skipped.add(step.kind)  # a toestandenbewind has no schuldregeling, nor what follows from one
            continue
        who = _who(step.kind, people)
        checklist = await evidence(who, case, step.day) if step.kind is K.AANVRAAG_BIJSTAND else {}
        data = MilestoneInput(
            kind=step.kind.value, milestone_date=step.day, choice=step.choice, detail_date=step.detail,
            note=step.note, checklist=checklist,
        )  # fmt: skip
        moment = datetime.combine(step.day, time(11), tzinfo=AMSTERDAM)  # recorded on the day it happened
        await svc.record(who, case.id, data, now=moment)
    # The terms were computed as of each step's day: let the worker compute them for today.
    await svc.db.execute(update(Case).where(col(Case.id) == case.id).values(terms_stale=True))
