"""The case page's "Verloop": the steps of the case's path in words, and the forms for the steps the user's side
records (a new milestone, a correction, a withdrawal). POST only, CSRF-protected by the site; errors come back on
the case page in Dutch, with the form opened and its values kept.

Every field id carries its form's prefix (``m-<kind>-`` or ``c-<milestone id>-``): the page holds many forms, and
the error summary links to the field by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from hub.accounts.models import Organisation, User
from hub.calendars.services import calendar_source
from hub.cases.bijstand_evidence import (
    BESCHERMD_WONEN_FIELD,
    BESCHERMD_WONEN_LABEL,
    EvidenceItem,
    has_checklist,
    links_of,
)
from hub.cases.milestone_service import FIELDS, MilestoneInput, MilestoneService, may_record
from hub.cases.milestones import RULES, K, KindRule, MilestoneKind, effective, latest, recordable
from hub.cases.models import BewindKind, Case, CaseMilestone
from hub.cases.timeline import Step, StepState, timeline
from hub.db import utcnow
from hub.documents.evidence import case_document_type
from hub.documents.models import choice_label
from hub.documents.services import DocumentRow
from hub.terms import WerkdagCalendar, as_local_date, format_datum
from hub.web.forms import date_field, form_values, runtime

DATE_FIELDS = ("milestone_date", "detail_date")


def milestone_service(request: Request, db: AsyncSession) -> MilestoneService:
    settings = runtime(request).settings
    return MilestoneService(
        db,
        runtime(request).keyring,
        evidence=case_document_type,
        calendars=calendar_source(settings.decree_days_file),
        warn_months=settings.schuldhulp_warn_months,
    )


@dataclass
class MilestoneForm:
    """One form of the Verloop section: a new milestone of ``kind``, or a correction of ``supersedes``."""

    kind: MilestoneKind
    prefix: str
    action: str
    documents: list[tuple[str, str]]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # by field name (the template prefixes the ids)
    supersedes: str = ""
    open: bool = False
    # The aanvraag bijzondere bijstand's checklist: per item the case's documents of its type (id, words).
    checklist: list[tuple[EvidenceItem, list[tuple[str, str]]]] = field(default_factory=list)
    beschermd_wonen_label: str = BESCHERMD_WONEN_LABEL

    @property
    def rule(self) -> KindRule:
        return RULES[self.kind]

    def choice_options(self) -> list[tuple[str, str]]:
        return list(self.rule.choices)

    @property
    def title(self) -> str:
        return ("Corrigeren: " if self.supersedes else "") + RULES[self.kind].label


@dataclass
class StepView:
    step: Step
    text: str
    facts: list[str] = field(default_factory=list)  # what was recorded, in words
    correction: MilestoneForm | None = None
    withdraw_action: str = ""

    @property
    def state_tag(self) -> str:
        return {
            StepState.DONE: "ok", StepState.LATE: "late", StepState.DUE: "soon"
        }.get(self.step.state, "neutral")  # fmt: skip


@dataclass
class PathView:
    steps: list[StepView]
    forms: list[MilestoneForm]
    history: list[tuple[CaseMilestone, str, str, str]]  # (record, its step, who, what it did)
    errors: dict[str, str]  # for the page's error summary, by prefixed field id


def _step_text(step: Step, now: datetime, calendar: WerkdagCalendar) -> str:
    if step.state is StepState.DONE and step.done is not None:
        text = f"Gedaan op {format_datum(step.done.milestone_date)}"
        if step.in_time is not None and step.due_at is not None:
            text += ", op tijd" if step.in_time else f", te laat (termijn tot {format_datum(step.due_at)})"
        return text + "."
    if step.state in (StepState.DUE, StepState.LATE) and step.due_at is not None:
        words = step.due_words(now, calendar)
        if step.state is StepState.LATE:
            return f"Termijn verlopen op {format_datum(step.due_at)} ({words})."
        window = (
            f"vanaf {format_datum(step.opens_on)}, " if step.opens_on and step.opens_on > as_local_date(now) else ""
        )
        far = words.startswith("op ")  # named by its date already
        return f"Uiterlijk {window}{format_datum(step.due_at)}" + ("." if far else f" ({words}).")
    return step.note


def _values_of(milestone: CaseMilestone, note: str, links: dict[EvidenceItem, str]) -> dict[str, str]:
    return {
        "milestone_date": milestone.milestone_date.isoformat(),
        "choice": milestone.outcome or "",
        "detail_date": milestone.detail_date.isoformat() if milestone.detail_date else "",
        "note": note,
        "evidence_document_id": milestone.evidence_document_id or "",
        BESCHERMD_WONEN_FIELD: "ja" if milestone.beschermd_wonen else "",
        **{item.field: document_id for item, document_id in links.items()},
    }


async def path_view(
    request: Request,
    svc: MilestoneService,
    user: User,
    case: Case,
    documents: list[DocumentRow],
    *,
    failed: MilestoneForm | None = None,
    new_ids: frozenset[str] = frozenset(),
) -> PathView:
    """Everything the Verloop section shows to ``user``; ``failed``: the form that came back with errors."""
    db = svc.db
    rows = await svc.history(user, case)
    calendar = await svc.calendars.for_gemeente(db, case.gemeente_id)
    now = utcnow()
    steps = timeline(case, rows, calendar, as_local_date(now))
    names = await _names(db, rows)
    in_force = effective(rows)
    got = latest(in_force)
    ended = K.EINDE_BEWIND in got
    url = request.app.url_path_for
    links = await links_of(db, (r.id for r in in_force if has_checklist(MilestoneKind(r.kind))))
    usable = [d for d in documents if d.withdrawn_at is None]

    def docs_of_type(wanted: str | None) -> list[tuple[str, str]]:
        return [
            (d.id, choice_label(d.filename, d.type_label, d.document_date, new=d.id in new_ids))
            for d in usable
            if wanted is None or d.doc_type == wanted
        ]

    def docs_for(kind: MilestoneKind) -> list[tuple[str, str]]:
        return docs_of_type(RULES[kind].evidence_type)

    def form(kind: MilestoneKind, supersedes: CaseMilestone | None = None) -> MilestoneForm:
        prefix = f"c-{supersedes.id[:8]}-" if supersedes else f"m-{kind.value}-"
        made = MilestoneForm(
            kind, prefix, str(url("cases.milestone", case_id=case.id)), docs_for(kind),
            values=_values_of(supersedes, svc.note_of(supersedes), links.get(supersedes.id, {})) if supersedes else {},
            supersedes=supersedes.id if supersedes else "",
        )  # fmt: skip
        if has_checklist(kind):
            made.checklist = [(item, docs_of_type(item.value)) for item in EvidenceItem]
        if failed is not None and failed.prefix == prefix:
            made.values, made.errors, made.open = failed.values, failed.errors, True
            shown.append(made)
        return made

    shown: list[MilestoneForm] = []  # the form that came back, once it is on the page again
    views: list[StepView] = []
    for step in steps:
        view = StepView(step, _step_text(step, now, calendar))
        done = step.done
        if done is not None:
            kind = MilestoneKind(done.kind)
            view.facts = _facts(done, names, svc.note_of(done), documents, links.get(done.id, {}))
            changeable = not ended or RULES[kind].after_end or kind is K.EINDE_BEWIND
            if may_record(user, kind) and changeable:
                view.correction = form(kind, done)
                view.withdraw_action = str(url("cases.milestone_withdraw", case_id=case.id, milestone_id=done.id))
        views.append(view)

    schulden = case.bewind_kind != BewindKind.TOESTANDENBEWIND.value
    forms = [
        form(kind)
        for kind in MilestoneKind
        if may_record(user, kind) and recordable(kind, got, ended=ended, schulden=schulden)
    ]
    history = [
        (r, MilestoneKind(r.kind).label, names.get(r.recorded_by, ""), _history_word(r))
        for r in reversed(rows)
        if r.kind in {k.value for k in MilestoneKind}
    ]
    errors: dict[str, str] = {}
    if failed is not None and shown:
        errors = {f"{failed.prefix}{k}": v for k, v in failed.errors.items()}
    elif failed is not None:  # its form is gone meanwhile (the step was recorded by a colleague): say why
        errors = {"verloop": next(iter(failed.errors.values()), "De stap kan niet worden vastgelegd.")}
    return PathView(views, forms, history, errors)


def _facts(
    done: CaseMilestone,
    names: dict[str, str],
    note: str,
    documents: list[DocumentRow],
    links: dict[EvidenceItem, str],
) -> list[str]:
    rule = RULES[MilestoneKind(done.kind)]
    facts = []
    if done.outcome and rule.choices:
        facts.append(f"{rule.choice_label}: {dict(rule.choices).get(done.outcome, done.outcome)}")
    if done.detail_date and rule.detail_date_label:
        facts.append(f"{rule.detail_date_label}: {format_datum(done.detail_date)}")
    if note:
        facts.append(f"{rule.note_label}: {note}")
    proof = [f"{d.type_label}: {d.filename}" for d in documents if d.id == done.evidence_document_id]
    if proof:
        facts.append(f"Bewijsstuk: {proof[0]}")
    if has_checklist(MilestoneKind(done.kind)):
        facts.append(f"{BESCHERMD_WONEN_LABEL}: {'ja' if done.beschermd_wonen else 'nee'}")
        files = {d.id: d.filename + (" (ingetrokken)" if d.withdrawn_at else "") for d in documents}
        facts.extend(f"{item.label}: {files.get(doc_id, 'onbekend')}" for item, doc_id in links.items())
    facts.append(f"Vastgelegd door {names.get(done.recorded_by, 'onbekend')}")
    return facts


def _history_word(row: CaseMilestone) -> str:
    if row.void:
        return "ingetrokken"
    return "gecorrigeerd" if row.supersedes_id else "vastgelegd"


async def _names(db: AsyncSession, rows: list[CaseMilestone]) -> dict[str, str]:
    found: dict[str, str] = {}
    for user_id, org_id in {(r.recorded_by, r.recorded_by_org_id) for r in rows}:
        person, org = await db.get(User, user_id), await db.get(Organisation, org_id)
        found[user_id] = f"{person.name if person else 'onbekend'} ({org.name if org else 'onbekend'})"
    return found


# -- posting --------------------------------------------------------------------------------------------------------


async def read_milestone_form(request: Request) -> tuple[dict[str, str], MilestoneInput, dict[str, str]]:
    """The posted form: its values (shown again on an error), the service's input, and the dates it could not read."""
    form = await form_values(request)
    values = {k: form.get(k, "")[:4000] for k in (*FIELDS, "supersedes")}
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {f: date_field(values[f], f, errors) for f in DATE_FIELDS}
    data = MilestoneInput(
        kind=values["kind"], milestone_date=days["milestone_date"], choice=values["choice"],
        detail_date=days["detail_date"], note=values["note"], evidence_document_id=values["evidence_document_id"],
        beschermd_wonen=values[BESCHERMD_WONEN_FIELD] == "ja",
        checklist={item.value: values[item.field] for item in EvidenceItem},
    )  # fmt: skip
    return values, data, errors


def failed_form(values: dict[str, str], errors: dict[str, str]) -> MilestoneForm | None:
    """The form that came back, to open again with its values and errors (None for a kind that does not exist)."""
    if values["kind"] not in {k.value for k in MilestoneKind}:
        return None
    kind, supersedes = MilestoneKind(values["kind"]), values["supersedes"]
    prefix = f"c-{supersedes[:8]}-" if supersedes else f"m-{kind.value}-"
    return MilestoneForm(kind, prefix, "", [], values=values, errors=errors, supersedes=supersedes)
