"""Recording the milestones of a case: who may record which, the checks on every detail, corrections that keep the
history, and what follows in the same transaction (the case's status and dates, its running terms, the audit record).

Each method takes the case within the caller's reach (another organisation's case: NotFound) and refuses with
Forbidden when no role of the user records that kind (hub.cases.milestones names them), with ValidationError (Dutch
messages per form field) for bad input; nothing is written then.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_text, encrypt_field
from hub.accounts.authz import Action, require
from hub.accounts.models import User
from hub.audit import services as audit
from hub.calendars.services import CalendarSource
from hub.cases.bijstand_evidence import (
    BESCHERMD_WONEN_FIELD,
    CHECKLIST_FIELDS,
    EvidenceItem,
    check_checklist,
    has_checklist,
    store_links,
)
from hub.cases.case_terms import DEFAULT_WARN_MONTHS, case_milestones, lock_case, refresh_terms
from hub.cases.duplicates import find_duplicate
from hub.cases.milestones import (
    RULES,
    EvidenceLookup,
    K,
    MilestoneKind,
    dependants,
    effective,
    latest,
    needs_note,
    order_error,
    recordable,
    status_for,
)
from hub.cases.models import BewindKind, Case, CaseMilestone
from hub.cases.reading import CaseReading
from hub.cases.records import local_today
from hub.cases.timeline import schuldhulp_due
from hub.db import new_id, utcnow
from hub.errors import Forbidden, NotFound, ValidationError
from hub.fields import CASE_MILESTONE_NOTE
from hub.notifications.interfaces import TermNotifier
from hub.notifications.term_outbox import OutboxTermNotifier
from hub.terms import WerkdagCalendar, as_local_date
from hub.webhooks import events as webhooks
from hub.webhooks.events import EventType

NOTE_MAX = 2000
# Beschermingsbewind (titel 1.19 BW) exists since 1 januari 1982.
EARLIEST = date(1982, 1, 1)
FIELDS = (
    "kind", "milestone_date", "choice", "detail_date", "note", "evidence_document_id", BESCHERMD_WONEN_FIELD,
    *CHECKLIST_FIELDS,
)  # fmt: skip
OBJECT_TYPE = "case_milestone"

REOPEN_REFUSED = (
    "Er loopt al een nieuw dossier voor deze cliënt onder dit convenant: {reference}. Het einde van dit bewind kan "
    "daarom niet worden ingetrokken."
)
REOPEN_RACED = (
    "Er is zojuist een nieuw dossier voor deze cliënt onder dit convenant geopend. Het einde van dit bewind kan "
    "daarom niet worden ingetrokken."
)


@dataclass(frozen=True)
class MilestoneInput:
    """What a form (or the API) posts for one milestone. A date that is None counts as not filled in."""

    kind: str
    milestone_date: date | None
    choice: str = ""
    detail_date: date | None = None
    note: str = ""
    evidence_document_id: str = ""
    # The aanvraag bijzondere bijstand's checklist (hub.cases.bijstand_evidence): document ids by item value.
    beschermd_wonen: bool = False
    checklist: Mapping[str, str] = field(default_factory=dict)


def may_record(user: User, kind: MilestoneKind) -> bool:
    return not user.disabled and bool(user.role_set & RULES[kind].roles)


def apply_to_case(case: Case, milestones: list[CaseMilestone]) -> None:
    """The case's copies of its milestones: status, beschikking and bewind start, start of the schuldregeling."""
    got = latest(effective(milestones))
    beschikking, start = got.get(K.BESCHIKKING), got.get(K.START_SCHULDREGELING)
    case.status = status_for(milestones).value
    case.beschikking_date = beschikking.milestone_date if beschikking else None
    case.bewind_start_date = (beschikking.detail_date or beschikking.milestone_date) if beschikking else None
    case.schuldregeling_start_date = start.milestone_date if start else None


class MilestoneService(CaseReading):
    def __init__(
        self,
        db: AsyncSession,
        keyring: Keyring,
        *,
        evidence: EvidenceLookup,
        calendars: CalendarSource,
        notifier: TermNotifier | None = None,
        warn_months: Sequence[int] = DEFAULT_WARN_MONTHS,
    ) -> None:
        super().__init__(db, keyring)
        self.evidence = evidence
        self.calendars = calendars
        self.notifier = notifier if notifier is not None else OutboxTermNotifier(db)
        self.warn_months = tuple(warn_months)

    def note_of(self, milestone: CaseMilestone) -> str:
        if milestone.note is None:
            return ""
        return decrypt_text(self.keyring, milestone.note, context=CASE_MILESTONE_NOTE.context(milestone.id))

    async def history(self, user: User, case: Case) -> list[CaseMilestone]:
        """Every record of the case's milestones, corrected and withdrawn ones too (the caller holds the case)."""
        require(user, Action.VIEW_CASES, case)
        return await case_milestones(self.db, case.id)

    # -- recording -------------------------------------------------------------------------------------------------

    async def record(
        self, user: User, case_id: str, data: MilestoneInput, *, now: datetime | None = None
    ) -> CaseMilestone:
        """A new milestone on the case."""
        case, rows, kind = await self._begin(user, case_id, data.kind)
        got = latest(effective(rows))
        ended = K.EINDE_BEWIND in got
        schulden = case.bewind_kind != BewindKind.TOESTANDENBEWIND.value
        if not recordable(kind, got, ended=ended, schulden=schulden):
            raise ValidationError({"kind": self._why_not(kind, got, ended=ended, schulden=schulden)})
        return await self._write(user, case, rows, kind, data, got, supersedes=None, now=now)

    async def correct(
        self, user: User, case_id: str, milestone_id: str, data: MilestoneInput, *, now: datetime | None = None
    ) -> CaseMilestone:
        """A new record of the same kind in place of a milestone in force (the old one stays in the history)."""
        case, rows, target = await self._target(user, case_id, milestone_id)
        kind = MilestoneKind(target.kind)
        got = latest([m for m in effective(rows) if m.id != target.id])  # as if the target were not there
        return await self._write(user, case, rows, kind, data, got, supersedes=target, now=now)

    async def withdraw(
        self, user: User, case_id: str, milestone_id: str, *, now: datetime | None = None
    ) -> CaseMilestone:
        """A record saying a milestone in force did not happen (refused while a later step builds on it)."""
        case, rows, target = await self._target(user, case_id, milestone_id)
        kind = MilestoneKind(target.kind)
        row = CaseMilestone(
            id=new_id(), case_id=case.id, kind=kind.value, milestone_date=target.milestone_date,
            recorded_by=user.id, recorded_by_org_id=user.organisation_id, recorded_at=now or utcnow(),
            supersedes_id=target.id, void=True,
        )  # fmt: skip
        remaining = latest(effective([*rows, row]))
        if kind not in remaining:  # nothing else of the kind stays in force
            waiting = dependants(kind, remaining)
            if waiting:
                raise ValidationError(
                    {"kind": f"Trek eerst {waiting[0].label.lower()} in: die stap bouwt hierop voort."}
                )
        if kind is K.EINDE_BEWIND and K.EINDE_BEWIND not in remaining:
            await self._refuse_reopening_over_a_successor(user, case)
            try:
                written = await self._commit(user, case, rows, row, "milestone.withdraw", now)
                await self.db.flush()  # the case runs again: the unique index judges it now, not at the commit
            except IntegrityError:  # a newer case was opened since the check (the caller's transaction rolls back)
                raise ValidationError({"kind": REOPEN_RACED}) from None
            return written
        return await self._commit(user, case, rows, row, "milestone.withdraw", now)

    async def _refuse_reopening_over_a_successor(self, user: User, case: Case) -> None:
        """Withdrawing the einde bewind makes the case run again: refused while a newer case for the same client runs
        on its convenant (the duplicate rule, hub.cases.duplicates; the unique index would refuse it too)."""
        successor = await find_duplicate(
            self.db, user, convenant_id=case.convenant_id, gemeente_id=case.gemeente_id, bsn_index=case.bsn_index,
            confirmed=True, exclude_case_id=case.id,
        )  # fmt: skip
        if successor is not None:
            raise ValidationError({"kind": REOPEN_REFUSED.format(reference=successor.case.reference)})

    # -- the steps in between -----------------------------------------------------------------------------------

    async def _begin(self, user: User, case_id: str, raw_kind: str) -> tuple[Case, list[CaseMilestone], MilestoneKind]:
        case = await self.get_case(user, case_id)  # NotFound for another organisation's case
        try:
            kind = MilestoneKind(raw_kind)
        except ValueError:
            raise ValidationError({"kind": "Kies de stap die u wilt vastleggen."}) from None
        if not may_record(user, kind):
            raise Forbidden(f"record {kind.value}")
        locked = await lock_case(self.db, case.id)
        assert locked is not None  # it was just read
        return locked, await case_milestones(self.db, case.id), kind

    async def _target(
        self, user: User, case_id: str, milestone_id: str
    ) -> tuple[Case, list[CaseMilestone], CaseMilestone]:
        case = await self.get_case(user, case_id)
        rows = await case_milestones(self.db, case.id)
        target = next((r for r in rows if r.id == milestone_id), None)
        if target is None:
            raise NotFound("CaseMilestone")
        case, rows, kind = await self._begin(user, case_id, target.kind)
        target = next(r for r in rows if r.id == milestone_id)
        if target not in effective(rows):
            raise ValidationError({"kind": "Deze vastlegging is al gecorrigeerd of ingetrokken."})
        ended = K.EINDE_BEWIND in latest(effective(rows))
        if ended and not (RULES[kind].after_end or kind is K.EINDE_BEWIND):
            raise ValidationError({"kind": "Het dossier is beëindigd: deze stap kan niet meer worden gewijzigd."})
        return case, rows, target

    def _why_not(
        self, kind: MilestoneKind, got: dict[MilestoneKind, CaseMilestone], *, ended: bool, schulden: bool
    ) -> str:
        rule = RULES[kind]
        if ended and not rule.after_end:
            return "Het dossier is beëindigd: alleen nazorg en het einde van de bijstand kunnen nog worden vastgelegd."
        if rule.schulden_only and not schulden:
            return "Deze stap hoort alleen bij schuldenbewind."
        if kind in got and not rule.repeatable:
            return "Deze stap is al vastgelegd. Corrigeer de vastlegging als die niet klopt."
        blocking = next((k for k in rule.until if k in got), None)
        if blocking is not None:
            return f"Dit kan niet meer: {blocking.label.lower()} is al vastgelegd."
        if kind is K.EINDE_BIJSTAND and K.BESLUIT_BIJSTAND in got:
            return "Alleen toegekende bijzondere bijstand kan stoppen."
        missing = next((k for k in rule.requires if k not in got), None)
        return f"Leg eerst vast: {missing.label.lower()}." if missing else "Deze stap kan nu niet worden vastgelegd."

    async def _write(
        self,
        user: User,
        case: Case,
        rows: list[CaseMilestone],
        kind: MilestoneKind,
        data: MilestoneInput,
        got: dict[MilestoneKind, CaseMilestone],
        *,
        supersedes: CaseMilestone | None,
        now: datetime | None,
    ) -> CaseMilestone:
        moment = now or utcnow()
        today = as_local_date(moment) if now is not None else local_today()
        calendar = await self.calendars.for_gemeente(self.db, case.gemeente_id)
        rule = RULES[kind]
        errors: dict[str, str] = {}
        day = data.milestone_date
        if day is None:
            errors["milestone_date"] = f"Vul de {rule.date_label.lower()} in."
        elif day > today:
            errors["milestone_date"] = "De datum kan niet in de toekomst liggen."
        elif day < EARLIEST:
            errors["milestone_date"] = "Controleer de datum: beschermingsbewind bestaat sinds 1 januari 1982."
        elif (problem := order_error(kind, day, got)) is not None:
            errors["milestone_date"] = problem

        choice = data.choice.strip()
        if rule.choices and choice not in dict(rule.choices):
            errors["choice"] = f"Kies: {rule.choice_label.lower()}."
        elif not rule.choices:
            choice = ""

        detail = data.detail_date if rule.detail_date_label else None
        if rule.detail_date_label:
            errors.update(self._check_detail_date(kind, detail, day, got, case, calendar, today))

        note = "\n".join(" ".join(line.split()) for line in data.note.strip().splitlines()).strip()
        if not rule.note_label:
            note = ""
        elif needs_note(kind, choice) and not note:
            errors["note"] = f"Vul in: {rule.note_label.lower()}."
        elif len(note) > NOTE_MAX:
            errors["note"] = f"De tekst is te lang: gebruik hoogstens {NOTE_MAX} tekens."
        elif any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in note):
            errors["note"] = "De tekst bevat een teken dat er niet in hoort."

        evidence_id = data.evidence_document_id.strip() or None
        if evidence_id is not None:
            doc_type = await self.evidence(self.db, case.id, evidence_id) if len(evidence_id) <= 32 else None
            if doc_type is None:
                errors["evidence_document_id"] = "Kies een document van dit dossier."
            elif rule.evidence_type and doc_type != rule.evidence_type:
                wanted = rule.evidence_type.replace("_", " ")
                errors["evidence_document_id"] = f"Kies een document van de soort {wanted}."
        checklist = has_checklist(kind)
        links: dict[EvidenceItem, str] = {}
        if checklist:
            links, problems = await check_checklist(
                self.db, self.evidence, case.id, data.checklist, beschermd_wonen=data.beschermd_wonen
            )
            errors.update(problems)
        if errors:
            raise ValidationError({k: errors[k] for k in FIELDS if k in errors})
        assert day is not None
        row_id = new_id()
        row = CaseMilestone(
            id=row_id, case_id=case.id, kind=kind.value, milestone_date=day, recorded_by=user.id,
            recorded_by_org_id=user.organisation_id, recorded_at=moment, evidence_document_id=evidence_id,
            outcome=choice or None, detail_date=detail,
            note=encrypt_field(self.keyring, note, context=CASE_MILESTONE_NOTE.context(row_id)) if note else None,
            supersedes_id=supersedes.id if supersedes is not None else None,
            beschermd_wonen=checklist and data.beschermd_wonen,
        )  # fmt: skip
        action = "milestone.correct" if supersedes is not None else "milestone.record"
        saved = await self._commit(user, case, rows, row, action, now)
        if checklist:
            store_links(self.db, saved.id, links)
            await self.db.flush()
        return saved

    def _check_detail_date(
        self,
        kind: MilestoneKind,
        detail: date | None,
        day: date | None,
        got: dict[MilestoneKind, CaseMilestone],
        case: Case,
        calendar: WerkdagCalendar,
        today: date,
    ) -> dict[str, str]:
        label = RULES[kind].detail_date_label
        if detail is None:
            return {"detail_date": f"Vul de {label[0].lower()}{label[1:]} in."}
        if detail < EARLIEST:
            return {"detail_date": "Controleer de datum: beschermingsbewind bestaat sinds 1 januari 1982."}
        if kind is K.UITSTEL_SCHULDHULP:
            beschikking = got[K.BESCHIKKING]
            current = as_local_date(
                schuldhulp_due(got, beschikking.detail_date or beschikking.milestone_date, calendar)
            )
            if detail <= current:
                return {"detail_date": f"De nieuwe datum moet na de huidige uiterste datum ({current:%d-%m-%Y})."}
            return {}
        if detail > today:
            return {"detail_date": "De datum kan niet in de toekomst liggen."}
        if kind is K.ADVIES and day is not None and detail < day:
            return {"detail_date": "Het advies kan niet vóór de datum van het advies zijn verzonden."}
        if kind is K.MELDING_WIJZIGING and day is not None and detail > day:
            return {"detail_date": "De wijziging kan niet na de melding liggen."}
        return {}

    async def _commit(
        self,
        user: User,
        case: Case,
        rows: list[CaseMilestone],
        row: CaseMilestone,
        action: str,
        now: datetime | None,
    ) -> CaseMilestone:
        """Write the record with its audit entry; the case's status, dates and running terms follow."""
        await audit.record(
            self.db, user_id=user.id, organisation_id=user.organisation_id, action=action,
            object_type=OBJECT_TYPE, object_id=row.id, at=now,
        )  # fmt: skip
        self.db.add(row)
        await self.db.flush()
        all_rows = [*rows, row]
        apply_to_case(case, all_rows)
        case.updated_at = now or utcnow()
        calendar = await self.calendars.for_gemeente(self.db, case.gemeente_id)
        today = as_local_date(now) if now is not None else local_today()
        await refresh_terms(self.db, case, all_rows, calendar, self.notifier, warn_months=self.warn_months, today=today)
        change = {"caseId": case.id, "milestoneId": row.id, "milestoneKind": row.kind, "change": action.split(".")[-1]}
        await webhooks.enqueue(
            self.db, EventType.MILESTONE_CHANGED, (case.gemeente_id, case.kantoor_id), change, now=now or utcnow()
        )
        return row
