"""The milestones of a case's path under the covenant (bijlage 2, §2): their kinds, who records which, what details
each carries, which must come first, and the status they give the case. Pure: no database, no I/O.

A milestone is a fact with the day it happened. Facts are never changed: a correction is a new record that
supersedes the old one (``void`` when the fact did not happen at all); :func:`effective` gives the facts in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.roles import Role
from hub.cases.models import CaseMilestone, CaseStatus


class Side(StrEnum):
    KANTOOR = "kantoor"
    GEMEENTE = "gemeente"

    @property
    def label(self) -> str:
        return {"kantoor": "Bewindvoerder", "gemeente": "Gemeente"}[self.value]


class MilestoneKind(StrEnum):
    AANMELDING_VERZONDEN = "aanmelding_verzonden"
    ADVIES = "advies"
    BESCHIKKING = "beschikking"
    VERWIJZING = "verwijzing"
    CONTACT_NIEUWE_KLANT = "contact_nieuwe_klant"
    AFSPRAAK_NIEUWE_KLANT = "afspraak_nieuwe_klant"
    AANVRAAG_BIJSTAND = "aanvraag_bijzondere_bijstand"
    GEEN_AANVRAAG_BIJSTAND = "geen_aanvraag_bijstand"
    BESLUIT_BIJSTAND = "besluit_bijzondere_bijstand"
    EINDE_BIJSTAND = "einde_bijzondere_bijstand"
    AANMELDING_SCHULDHULP = "aanmelding_schuldhulp"
    UITSTEL_SCHULDHULP = "uitstel_schuldhulp"
    START_SCHULDREGELING = "start_schuldregeling"
    UITSTROOMVERSLAG = "uitstroomverslag"
    MELDING_WIJZIGING = "melding_wijziging"
    EINDE_BEWIND = "einde_bewind"
    NAZORG_AANGEBODEN = "nazorg_aangeboden"
    NAZORG_GEACCEPTEERD = "nazorg_geaccepteerd"
    NAZORG_BEEINDIGD = "nazorg_beeindigd"

    @property
    def rule(self) -> KindRule:
        return RULES[self]

    @property
    def label(self) -> str:
        return RULES[self].label


K = MilestoneKind
KANTOOR_ROLES = frozenset({Role.BEWINDVOERDER, Role.KANTOORBEHEERDER})
BSHV = frozenset({Role.KLANTMANAGER})  # Bureau Schuldhulpverlening (and the FEW): the klantmanagers
CONSULENT = frozenset({Role.CONSULENT})
CASE_WORKERS = KANTOOR_ROLES | frozenset({Role.KLANTMANAGER, Role.CONSULENT, Role.CONTRACTMANAGER})

ADVIES_CHOICES = (("positief", "Positief"), ("negatief", "Negatief"))
BESLUIT_CHOICES = (("toegekend", "Toegekend"), ("afgewezen", "Afgewezen"))
SCHULDREGELING_CHOICES = (("minnelijk", "Minnelijke schuldregeling"), ("wsnp", "Wettelijke schuldsanering (Wsnp)"))
VERWIJZER_CHOICES = (
    ("few", "Financieel Expert in de wijk (FEW)"),
    ("bshv", "F!X of Bureau Schuldhulpverlening"),
    ("anders", "Andere verwijzer"),
)
UITSTROOM_CHOICES = (
    ("zelfstandig", "Stroomt uit: regelt de financiën weer zelf"),
    ("budgetbeheer", "Stroomt uit naar budgetbeheer met budgetcoaching"),
    ("blijft", "Blijft in beschermingsbewind"),
)
EINDE_REDENEN = (
    ("uitstroom", "Uitstroom (financieel zelfredzaam)"),
    ("schulden_opgelost", "Schulden opgelost"),
    ("grondslag_toestand", "Wijziging grondslag naar toestandenbewind"),
    ("overlijden", "Overlijden"),
    ("verhuizing", "Verhuizing naar een andere gemeente"),
    ("anders", "Anders"),
)
UITSTROOM_LEAVES = frozenset({"zelfstandig", "budgetbeheer"})


@dataclass(frozen=True)
class KindRule:
    """What one kind of milestone is and who records it.

    ``requires``: kinds that must be in force first (and not after this one's date). ``after``: kinds whose date this
    one may not precede when they are in force. ``until``: kinds after which this one can no longer be recorded.
    ``note_for``: the choices that need the free text (``"*"``: always). ``after_end``: may be recorded on an ended
    case.
    """

    label: str
    section: str
    roles: frozenset[Role]
    date_label: str = "Datum"
    choices: tuple[tuple[str, str], ...] = ()
    choice_label: str = ""
    detail_date_label: str = ""
    note_label: str = ""
    note_for: frozenset[str] = frozenset()
    evidence_type: str | None = None  # hub.documents.models.DocumentType value the evidence must have
    requires: tuple[MilestoneKind, ...] = ()
    after: tuple[MilestoneKind, ...] = ()
    until: tuple[MilestoneKind, ...] = ()
    repeatable: bool = False
    after_end: bool = False
    schulden_only: bool = False  # not for a toestandenbewind

    @property
    def sides(self) -> frozenset[Side]:
        sides = set()
        if self.roles & KANTOOR_ROLES:
            sides.add(Side.KANTOOR)
        if self.roles - KANTOOR_ROLES:
            sides.add(Side.GEMEENTE)
        return frozenset(sides)


RULES: dict[MilestoneKind, KindRule] = {
    K.AANMELDING_VERZONDEN: KindRule(
        "Aanmelding bij de gemeente (stukken verzonden)", "§2.1", KANTOOR_ROLES, "Datum verzonden",
        until=(K.BESCHIKKING,),
    ),
    K.ADVIES: KindRule(
        "Advies aan de rechtbank", "§2.1", BSHV, "Datum advies", ADVIES_CHOICES, "Advies",
        detail_date_label="Datum verzonden aan de rechtbank", note_label="Reden van het negatieve advies",
        note_for=frozenset({"negatief"}), after=(K.AANMELDING_VERZONDEN,),
    ),
    K.BESCHIKKING: KindRule(
        "Beschikking ontvangen", "§2.1", KANTOOR_ROLES, "Datum benoemingsbeschikking",
        detail_date_label="Ingangsdatum bewind", evidence_type="benoemingsbeschikking",
        after=(K.AANMELDING_VERZONDEN,),
    ),
    K.VERWIJZING: KindRule(
        "Verwijzing nieuwe klant", "§2.1a–c", BSHV, "Datum verwijzing", VERWIJZER_CHOICES, "Verwezen door",
    ),
    K.CONTACT_NIEUWE_KLANT: KindRule(
        "Contact met de nieuwe klant", "§2.1b", KANTOOR_ROLES, "Datum contact",
        requires=(K.VERWIJZING,),
    ),
    K.AFSPRAAK_NIEUWE_KLANT: KindRule(
        "Afspraak met de nieuwe klant", "§2.1b", KANTOOR_ROLES, "Datum afspraak",
        requires=(K.VERWIJZING,), after=(K.CONTACT_NIEUWE_KLANT,),
    ),
    K.AANVRAAG_BIJSTAND: KindRule(
        "Aanvraag bijzondere bijstand ingediend", "§2.2", KANTOOR_ROLES, "Datum aanvraag",
        evidence_type="aanvraag_bijzondere_bijstand", requires=(K.BESCHIKKING,), until=(K.GEEN_AANVRAAG_BIJSTAND,),
    ),
    K.GEEN_AANVRAAG_BIJSTAND: KindRule(
        "Geen aanvraag bijzondere bijstand nodig", "§2.2", KANTOOR_ROLES, "Datum besluit",
        note_label="Toelichting", requires=(K.BESCHIKKING,), until=(K.AANVRAAG_BIJSTAND,),
    ),
    K.BESLUIT_BIJSTAND: KindRule(
        "Besluit bijzondere bijstand", "§2.2", CONSULENT, "Datum besluit", BESLUIT_CHOICES, "Besluit",
        requires=(K.AANVRAAG_BIJSTAND,),
    ),
    K.EINDE_BIJSTAND: KindRule(
        "Bijzondere bijstand voor de bewindskosten gestopt", "§2.2, §2.4", CONSULENT, "Datum einde bijstand",
        requires=(K.BESLUIT_BIJSTAND,), after_end=True,
    ),
    K.AANMELDING_SCHULDHULP: KindRule(
        "Aanmelding schuldhulpverlening", "§2.3", KANTOOR_ROLES | BSHV, "Datum aanmelding",
        requires=(K.BESCHIKKING,), schulden_only=True,
    ),
    K.UITSTEL_SCHULDHULP: KindRule(
        "Uitstel aanmelding schuldhulpverlening (afgesproken met BSHV)", "§2.3", BSHV, "Datum afspraak",
        detail_date_label="Nieuwe uiterste datum aanmelding", requires=(K.BESCHIKKING,),
        until=(K.AANMELDING_SCHULDHULP,), repeatable=True, schulden_only=True,
    ),
    K.START_SCHULDREGELING: KindRule(
        "Start schuldregeling", "§2.3", BSHV, "Startdatum schuldregeling", SCHULDREGELING_CHOICES,
        "Soort schuldregeling", requires=(K.AANMELDING_SCHULDHULP,), schulden_only=True,
    ),
    K.UITSTROOMVERSLAG: KindRule(
        "Uitstroomverslag", "§2.5", KANTOOR_ROLES, "Datum verslag", UITSTROOM_CHOICES, "Uitkomst van de screening",
        evidence_type="uitstroomverslag", requires=(K.START_SCHULDREGELING,),
    ),
    K.MELDING_WIJZIGING: KindRule(
        "Melding wijziging", "§1a.3", CASE_WORKERS, "Datum melding", detail_date_label="Datum van de wijziging",
        note_label="Wat is er gewijzigd", note_for=frozenset({"*"}), repeatable=True,
    ),
    K.EINDE_BEWIND: KindRule(
        "Einde bewind", "§2.4, §2.5", KANTOOR_ROLES, "Datum einde bewind", EINDE_REDENEN, "Reden",
        note_label="Toelichting bij de reden", note_for=frozenset({"anders"}),
        after=(K.AANMELDING_VERZONDEN, K.BESCHIKKING),
    ),
    K.NAZORG_AANGEBODEN: KindRule(
        "Nazorg aangeboden", "§2.6", KANTOOR_ROLES | BSHV, "Datum aanbod", after_end=True,
    ),
    K.NAZORG_GEACCEPTEERD: KindRule(
        "Nazorg geaccepteerd", "§2.6", KANTOOR_ROLES | BSHV, "Datum acceptatie",
        requires=(K.NAZORG_AANGEBODEN,), after_end=True,
    ),
    K.NAZORG_BEEINDIGD: KindRule(
        "Nazorg beëindigd", "§2.6", BSHV, "Datum einde nazorg", requires=(K.NAZORG_GEACCEPTEERD,), after_end=True,
    ),
}  # fmt: skip


def choice_label(kind: MilestoneKind, value: str | None) -> str:
    return dict(RULES[kind].choices).get(value or "", "")


def needs_note(kind: MilestoneKind, choice: str | None) -> bool:
    wanted = RULES[kind].note_for
    return "*" in wanted or (choice or "") in wanted


class EvidenceLookup(Protocol):
    """The document type of one of the case's own documents, or None when the case has no such document. Given by the
    composition layer (the documents package answers it): cases imports no documents module."""

    async def __call__(self, db: AsyncSession, case_id: str, document_id: str) -> str | None: ...


# -- the facts in force ----------------------------------------------------------------------------------------------


class Fact(Protocol):
    """What :func:`effective` and :func:`latest` read of a milestone: a :class:`CaseMilestone`, or a lighter row of
    the same columns (the monitoring reads thousands of them at once)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def milestone_date(self) -> date: ...
    @property
    def recorded_at(self) -> datetime: ...
    @property
    def supersedes_id(self) -> str | None: ...
    @property
    def void(self) -> bool: ...


M = TypeVar("M", bound=Fact)


def effective(milestones: Iterable[M]) -> list[M]:
    """The milestones in force: not superseded by a later record, not a withdrawal; by date, then recording."""
    rows = list(milestones)
    superseded = {m.supersedes_id for m in rows if m.supersedes_id}
    return sorted(
        (m for m in rows if m.id not in superseded and not m.void),
        key=lambda m: (m.milestone_date, m.recorded_at),
    )


def latest(milestones: Sequence[M]) -> dict[MilestoneKind, M]:
    """Per kind the last effective milestone (of :func:`effective`'s list)."""
    found: dict[MilestoneKind, M] = {}
    for m in milestones:
        try:
            found[MilestoneKind(m.kind)] = m
        except ValueError:
            continue
    return found


def status_for(milestones: Iterable[CaseMilestone]) -> CaseStatus:
    """The case status that the milestones in force give:
    aangemeld → actief (beschikking) → in schuldregeling (start) → uitstroom (a verslag that says so) → beëindigd."""
    by_kind = latest(effective(milestones))
    if K.EINDE_BEWIND in by_kind:
        return CaseStatus.BEEINDIGD
    verslag = by_kind.get(K.UITSTROOMVERSLAG)
    if verslag is not None and verslag.outcome in UITSTROOM_LEAVES:
        return CaseStatus.UITSTROOM
    if K.START_SCHULDREGELING in by_kind:
        return CaseStatus.IN_SCHULDREGELING
    if K.BESCHIKKING in by_kind:
        return CaseStatus.ACTIEF
    return CaseStatus.AANGEMELD


def recordable(
    kind: MilestoneKind, by_kind: dict[MilestoneKind, CaseMilestone], *, ended: bool, schulden: bool
) -> bool:
    """Whether a new milestone of ``kind`` may be recorded now (not a correction): its order rules and the case's
    state allow it."""
    rule = RULES[kind]
    if ended and not rule.after_end:
        return False
    if rule.schulden_only and not schulden:
        return False
    if not rule.repeatable and kind in by_kind:
        return False
    if any(k in by_kind for k in rule.until):
        return False
    besluit = by_kind.get(K.BESLUIT_BIJSTAND)
    if kind is K.EINDE_BIJSTAND and (besluit is None or besluit.outcome != "toegekend"):
        return False  # only a granted bijstand can stop
    return all(k in by_kind for k in rule.requires)


def order_error(kind: MilestoneKind, day: date, by_kind: dict[MilestoneKind, CaseMilestone]) -> str | None:
    """The Dutch message when ``day`` lies before a milestone this one cannot precede; None when the order is fine."""
    rule = RULES[kind]
    for earlier in (*rule.requires, *rule.after):
        before = by_kind.get(earlier)
        if before is not None and day < before.milestone_date:
            return f"De datum kan niet vóór {earlier.label.lower()} liggen ({before.milestone_date:%d-%m-%Y})."
    return None


def dependants(kind: MilestoneKind, by_kind: dict[MilestoneKind, CaseMilestone]) -> list[MilestoneKind]:
    """The kinds in force that need ``kind`` first (a withdrawal of ``kind`` would leave them hanging)."""
    return [k for k in by_kind if kind in RULES[k].requires]
