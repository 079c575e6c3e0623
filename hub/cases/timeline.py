"""The case's path as a list of steps (the "Verloop" on the case page): each done, running to a term, late, still to
do without a term, or not applicable. One pure function, :func:`timeline`; the terms come from :mod:`hub.terms` on
the gemeente's calendar, so the page, the term sweep and the work lists agree on every due day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from hub.cases.milestones import RULES, K, MilestoneKind, Side, choice_label, effective, latest
from hub.cases.models import BewindKind, Case, CaseMilestone
from hub.terms import (
    AMSTERDAM,
    WerkdagCalendar,
    aanmelding_schuldhulp_due,
    aanvraag_bijzondere_bijstand_due,
    afspraak_nieuwe_klant_due,
    as_local_date,
    contact_nieuwe_klant_due,
    describe_due,
    end_of_day,
    format_datum,
    melding_wijziging_due,
    uitstroomverslag_window,
)


class StepState(StrEnum):
    DONE = "gedaan"
    DUE = "termijn_loopt"
    LATE = "te_laat"
    TODO = "te_doen"  # still to happen, without a term of the covenant
    NOT_APPLICABLE = "niet_van_toepassing"

    @property
    def label(self) -> str:
        return {
            "gedaan": "Gedaan",
            "termijn_loopt": "Termijn loopt",
            "te_laat": "Te laat",
            "te_doen": "Nog te doen",
            "niet_van_toepassing": "Niet van toepassing",
        }[self.value]


@dataclass(frozen=True)
class Step:
    """One step of the path. ``kind``: the milestone that completes it. ``due_at``: the end of its term (23:59:59 of
    the due day, Europe/Amsterdam) when the covenant sets one. ``note``: a short Dutch explanation (why not
    applicable, what is awaited, an agreed extension)."""

    kind: MilestoneKind
    owed_by: Side
    state: StepState
    done: CaseMilestone | None = None
    due_at: datetime | None = None
    opens_on: date | None = None  # the uitstroomverslag's window opens (the third year begins)
    in_time: bool | None = None  # a done step with a term: done on or before its due day
    note: str = ""

    @property
    def label(self) -> str:
        return RULES[self.kind].label

    @property
    def section(self) -> str:
        return RULES[self.kind].section

    @property
    def running(self) -> bool:
        """Owed and timed: what the term sweep reminds of and the work lists show."""
        return self.state in (StepState.DUE, StepState.LATE) and self.due_at is not None

    @property
    def choice_label(self) -> str:
        return choice_label(self.kind, self.done.outcome) if self.done is not None else ""

    def due_words(self, now: datetime, calendar: WerkdagCalendar) -> str:
        """The due moment in words, as in the inbox ("vandaag", "morgen", "3 werkdagen te laat")."""
        return describe_due(self.due_at, now, calendar) if self.due_at is not None else ""


def _noon(day: date) -> datetime:
    """A referral's moment of receipt: only its day counts for a term in werkdagen."""
    return datetime.combine(day, time(12), tzinfo=AMSTERDAM)


def _timed(
    kind: MilestoneKind,
    side: Side,
    done: CaseMilestone | None,
    due_at: datetime,
    today: date,
    *,
    opens_on: date | None = None,
    note: str = "",
) -> Step:
    """A step with a term: done (in time or not), or running to its due day, or past it."""
    due_day = as_local_date(due_at)
    if done is not None:
        in_time = done.milestone_date <= due_day
        return Step(kind, side, StepState.DONE, done, due_at, opens_on, in_time, note)
    state = StepState.LATE if today > due_day else StepState.DUE
    return Step(kind, side, state, None, due_at, opens_on, None, note)


def schuldhulp_due(
    by_kind: dict[MilestoneKind, CaseMilestone], bewind_start: date, calendar: WerkdagCalendar
) -> datetime:
    """12 maanden after the start of the bewind (§2.3), or the last extension agreed with BSHV (its new date, moved to
    a werkdag like any term)."""
    extension = by_kind.get(K.UITSTEL_SCHULDHULP)
    if extension is not None and extension.detail_date is not None:
        return end_of_day(calendar.werkdag_on_or_after(extension.detail_date))
    return aanmelding_schuldhulp_due(bewind_start, calendar=calendar)


def timeline(case: Case, milestones: list[CaseMilestone], calendar: WerkdagCalendar, today: date) -> list[Step]:
    """The steps of the case's path in the covenant's order, then each melding wijziging. Reads the milestones in
    force only (the case's own date columns are a copy of them); ``calendar``: the gemeente's."""
    in_force = effective(milestones)
    got = latest(in_force)
    ended = K.EINDE_BEWIND in got
    schulden = case.bewind_kind != BewindKind.TOESTANDENBEWIND.value
    beschikking = got.get(K.BESCHIKKING)
    bewind_start = (beschikking.detail_date or beschikking.milestone_date) if beschikking is not None else None
    steps: list[Step] = []
    KANTOOR, GEMEENTE = Side.KANTOOR, Side.GEMEENTE
    NA, TODO = StepState.NOT_APPLICABLE, StepState.TODO

    def simple(kind: MilestoneKind, side: Side, *, todo: bool, why_not: str, todo_note: str = "") -> None:
        if kind in got:
            steps.append(Step(kind, side, StepState.DONE, got[kind]))
        elif todo and not ended:
            steps.append(Step(kind, side, TODO, note=todo_note))
        else:
            steps.append(Step(kind, side, NA, note="Het bewind is beëindigd." if ended and todo else why_not))

    # §2.1: the adviesrecht, before the court decides.
    before_court = "Niet vastgelegd: de beschikking is er al."
    simple(K.AANMELDING_VERZONDEN, KANTOOR, todo=beschikking is None, why_not=before_court)
    simple(K.ADVIES, GEMEENTE, todo=beschikking is None, why_not=before_court, todo_note="Na de aanmelding.")

    # §2.1a–c: a referral by the FEW or BSHV starts two terms for the kantoor.
    referral = got.get(K.VERWIJZING)
    simple(K.VERWIJZING, GEMEENTE, todo=False, why_not="Alleen bij een verwijzing door de FEW of BSHV.")
    for kind, rule in (
        (K.CONTACT_NIEUWE_KLANT, contact_nieuwe_klant_due),
        (K.AFSPRAAK_NIEUWE_KLANT, afspraak_nieuwe_klant_due),
    ):
        if referral is None:
            steps.append(Step(kind, KANTOOR, NA, note="Geen verwijzing vastgelegd."))
        elif ended and kind not in got:
            steps.append(Step(kind, KANTOOR, NA, note="Het bewind is beëindigd."))
        else:
            due = rule(_noon(referral.milestone_date), calendar=calendar)
            steps.append(_timed(kind, KANTOOR, got.get(kind), due, today))

    simple(K.BESCHIKKING, KANTOOR, todo=True, why_not="", todo_note="Nog geen beschikking van de rechtbank.")

    # §2.2: bijzondere bijstand for the costs of the bewind.
    if K.GEEN_AANVRAAG_BIJSTAND in got:
        none_needed = got[K.GEEN_AANVRAAG_BIJSTAND]
        steps.append(Step(K.AANVRAAG_BIJSTAND, KANTOOR, NA, none_needed, note="Geen aanvraag nodig."))
    elif beschikking is None:
        steps.append(Step(K.AANVRAAG_BIJSTAND, KANTOOR, NA, note="Pas na de beschikking."))
    elif ended and K.AANVRAAG_BIJSTAND not in got:
        steps.append(Step(K.AANVRAAG_BIJSTAND, KANTOOR, NA, note="Het bewind is beëindigd."))
    else:
        due = aanvraag_bijzondere_bijstand_due(beschikking.milestone_date, calendar=calendar)
        steps.append(_timed(K.AANVRAAG_BIJSTAND, KANTOOR, got.get(K.AANVRAAG_BIJSTAND), due, today))
    simple(K.BESLUIT_BIJSTAND, GEMEENTE, todo=K.AANVRAAG_BIJSTAND in got, why_not="Pas na de aanvraag.",
           todo_note="Wacht op het besluit van de consulent.")  # fmt: skip
    granted = got.get(K.BESLUIT_BIJSTAND) is not None and got[K.BESLUIT_BIJSTAND].outcome == "toegekend"
    if K.EINDE_BIJSTAND in got:
        steps.append(Step(K.EINDE_BIJSTAND, GEMEENTE, StepState.DONE, got[K.EINDE_BIJSTAND]))
    elif granted and ended:
        steps.append(Step(K.EINDE_BIJSTAND, GEMEENTE, TODO, note="Het bewind is beëindigd; de bijstand loopt nog."))
    else:
        why = "De bijzondere bijstand loopt." if granted else "Alleen als bijzondere bijstand is toegekend."
        steps.append(Step(K.EINDE_BIJSTAND, GEMEENTE, NA, note=why))

    # §2.3: doorstroom to schuldhulpverlening within 12 months (or an agreed extension).
    if not schulden:
        for kind, side in ((K.AANMELDING_SCHULDHULP, KANTOOR), (K.START_SCHULDREGELING, GEMEENTE)):
            steps.append(Step(kind, side, NA, got.get(kind), note="Geen schuldenbewind."))
    else:
        aanmelding = got.get(K.AANMELDING_SCHULDHULP)
        if bewind_start is None:
            steps.append(Step(K.AANMELDING_SCHULDHULP, KANTOOR, NA, note="Pas na de beschikking."))
        elif ended and aanmelding is None:
            steps.append(Step(K.AANMELDING_SCHULDHULP, KANTOOR, NA, note="Het bewind is beëindigd."))
        else:
            extension = got.get(K.UITSTEL_SCHULDHULP)
            note = (
                f"Uitgesteld tot {format_datum(extension.detail_date)}, afgesproken met BSHV."
                if extension is not None and extension.detail_date is not None
                else ""
            )
            due = schuldhulp_due(got, bewind_start, calendar)
            steps.append(_timed(K.AANMELDING_SCHULDHULP, KANTOOR, aanmelding, due, today, note=note))
        simple(K.START_SCHULDREGELING, GEMEENTE, todo=aanmelding is not None, why_not="Pas na de aanmelding.")

    # §2.5: the uitstroomverslag in the first quarter of the third year of the schuldregeling.
    start = got.get(K.START_SCHULDREGELING)
    verslag = got.get(K.UITSTROOMVERSLAG)
    if start is None:
        steps.append(Step(K.UITSTROOMVERSLAG, KANTOOR, NA, verslag, note="Nog geen schuldregeling."))
    elif ended and verslag is None:
        steps.append(Step(K.UITSTROOMVERSLAG, KANTOOR, NA, note="Het bewind is beëindigd."))
    else:
        opens, due = uitstroomverslag_window(start.milestone_date, calendar=calendar)
        steps.append(_timed(K.UITSTROOMVERSLAG, KANTOOR, verslag, due, today, opens_on=opens))

    leaving = verslag is not None and got[K.UITSTROOMVERSLAG].outcome in ("zelfstandig", "budgetbeheer")
    simple(K.EINDE_BEWIND, KANTOOR, todo=leaving, why_not="Het bewind loopt.",
           todo_note="Het uitstroomverslag adviseert uitstroom.")  # fmt: skip

    # §2.6: nazorg after a schuldhulpverleningstraject, offered in all cases.
    offered, accepted = got.get(K.NAZORG_AANGEBODEN), got.get(K.NAZORG_GEACCEPTEERD)
    nazorg_time = ended or leaving or start is not None
    for kind, side, todo, why in (
        (K.NAZORG_AANGEBODEN, KANTOOR, nazorg_time, "Na een schuldhulpverleningstraject of het einde van het bewind."),
        (K.NAZORG_GEACCEPTEERD, KANTOOR, offered is not None, "Pas na het aanbod."),
        (K.NAZORG_BEEINDIGD, GEMEENTE, accepted is not None, "Alleen als de nazorg is geaccepteerd."),
    ):
        if kind in got:
            steps.append(Step(kind, side, StepState.DONE, got[kind]))
        else:
            steps.append(Step(kind, side, TODO if todo else NA, note="" if todo else why))

    # §1a.3: every change reported, within 2 weken of the change.
    for melding in (m for m in in_force if m.kind == K.MELDING_WIJZIGING.value):
        side = KANTOOR if melding.recorded_by_org_id == case.kantoor_id else GEMEENTE
        due = melding_wijziging_due(melding.detail_date or melding.milestone_date, calendar=calendar)
        steps.append(_timed(K.MELDING_WIJZIGING, side, melding, due, today))
    return steps
