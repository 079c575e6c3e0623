"""What the hub holds about one case's client, for a request for access (AVG art. 15): gathered, decrypted, for a
case worker of either party, and audited once (``case.export``).

Exactly that case: its client data, the corrections (old and new values), every milestone record (corrected and
withdrawn ones too: they are held), its documents (withdrawn ones too, while the hub still holds them), the messages
of its threads, and the audit records about the case and everything on it. Names of staff: the exporting
organisation's own people by name, the other party's by organisation only (the rule of the Auditlog page).

The document contents are not read here: :class:`ExportDocument` carries the unwrapped data key, used only while
the ZIP is streamed (hub.retention.export_zip), as a download does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from crypto import Keyring, decrypt_text
from hub.accounts.models import Organisation, User
from hub.audit import actions
from hub.audit import services as audit
from hub.audit.models import AuditEvent
from hub.cases.case_terms import case_milestones
from hub.cases.corrections import HistoryEntry
from hub.cases.milestones import RULES, MilestoneKind, choice_label, effective
from hub.cases.models import BewindKind, Case, CaseCorrection, CaseMilestone, CaseStatus
from hub.cases.reading import OBJECT_TYPE as CASE_OBJECT
from hub.cases.services import CaseService
from hub.documents.models import Document, DocumentType
from hub.fields import CASE_MILESTONE_NOTE, DOCUMENT_FILENAME, MESSAGE_BODY, THREAD_SUBJECT
from hub.messaging.models import Message, MessageAttachment, Thread

OTHER_PARTY = "medewerker"  # how a user of the other party is named


@dataclass(frozen=True)
class ExportMilestone:
    label: str
    day: date
    choice: str
    detail_date: date | None
    note: str
    recorded_at: datetime
    recorded_by: str
    in_force: bool  # False: corrected by a later record, or a withdrawal


@dataclass(frozen=True)
class ExportDocument:
    id: str
    number: int
    filename: str
    type_label: str
    document_date: date | None
    uploaded_at: datetime
    size: int
    withdrawn_at: datetime | None
    blob_name: str
    revision: int
    data_key: bytes

    @property
    def zip_name(self) -> str:
        """A path inside the ZIP: numbered, so two equal names never collide; no directory from the name."""
        safe = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in self.filename).strip(" .")
        return f"documenten/{self.number:03d}-{safe or 'document'}"


@dataclass(frozen=True)
class ExportMessage:
    sent_at: datetime
    author: str
    body: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportThread:
    subject: str
    created_at: datetime
    messages: tuple[ExportMessage, ...]


@dataclass(frozen=True)
class ExportAccess:
    at: datetime
    who: str
    action: str
    object_type: str


@dataclass(frozen=True)
class SubjectExport:
    made_at: datetime
    made_by: str
    reference: str
    client_name: str
    bsn: str
    birth_date: date
    bewind_kind: str
    beschikking_date: date | None
    bewind_start_date: date | None
    rechtbank: str
    status: str
    gemeente: str
    kantoor: str
    opened_at: datetime
    corrections: tuple[HistoryEntry, ...]
    milestones: tuple[ExportMilestone, ...]
    documents: tuple[ExportDocument, ...]
    threads: tuple[ExportThread, ...]
    accesses: tuple[ExportAccess, ...]


class _Names:
    """Staff as the export names them: the own organisation's by name, the other party's as a role word."""

    def __init__(self, db: AsyncSession, reader: User, organisations: dict[str, str]) -> None:
        self.db, self.reader, self.organisations = db, reader, organisations
        self.cache: dict[str, str] = {}

    async def __call__(self, user_id: str | None, organisation_id: str | None) -> str:
        org = self.organisations.get(organisation_id or "", "")
        if user_id is None:
            return org or "het systeem"
        if organisation_id != self.reader.organisation_id:
            return f"{OTHER_PARTY}, {org}" if org else OTHER_PARTY
        if user_id not in self.cache:
            user = await self.db.get(User, user_id)
            self.cache[user_id] = user.name if user else OTHER_PARTY
        return f"{self.cache[user_id]}, {org}"

    async def correction(self, entry: HistoryEntry) -> HistoryEntry:
        """The history entry with its author named by the rule above (the page of the case names everybody)."""
        author = await self.db.get(User, entry.by_id)
        if author is not None and author.organisation_id == self.reader.organisation_id:
            return entry
        return replace(entry, by=OTHER_PARTY)


async def gather(db: AsyncSession, keyring: Keyring, user: User, case_id: str, now: datetime) -> SubjectExport:
    """Everything about the case's client; NotFound for another organisation's case. Writes ``case.export``."""
    cases = CaseService(db, keyring)
    case = await cases.get_case(user, case_id)
    await audit.record(
        db, user_id=user.id, organisation_id=user.organisation_id, action=actions.CASE_EXPORT,
        object_type=CASE_OBJECT, object_id=case.id,
    )  # fmt: skip
    identity = cases.identity(case)
    organisations = {
        org.id: org.name
        for org in (await db.execute(select(Organisation).where(col(Organisation.id).in_(case.party_ids())))).scalars()
    }
    names = _Names(db, user, organisations)
    documents = await _documents(db, keyring, case)
    threads, object_ids = await _threads(db, keyring, case, names, {d.id: d.filename for d in documents})
    return SubjectExport(
        made_at=now,
        made_by=await names(user.id, user.organisation_id),
        reference=case.reference,
        client_name=identity.name,
        bsn=identity.bsn,
        birth_date=identity.birth_date,
        bewind_kind=BewindKind(case.bewind_kind).label,
        beschikking_date=case.beschikking_date,
        bewind_start_date=case.bewind_start_date,
        rechtbank=case.rechtbank,
        status=CaseStatus(case.status).label,
        gemeente=organisations.get(case.gemeente_id, ""),
        kantoor=organisations.get(case.kantoor_id, ""),
        opened_at=case.created_at,
        corrections=tuple([await names.correction(entry) for entry in await cases.history(user, case)]),
        milestones=await _milestones(db, keyring, case, names),
        documents=documents,
        threads=threads,
        accesses=await _accesses(
            db, names, [case.id, *object_ids, *(d.id for d in documents), *await _record_ids(db, case)]
        ),
    )


async def _milestones(db: AsyncSession, keyring: Keyring, case: Case, names: _Names) -> tuple[ExportMilestone, ...]:
    rows = await case_milestones(db, case.id)
    in_force = {m.id for m in effective(rows)}
    out = []
    for m in sorted(rows, key=lambda m: (m.milestone_date, m.recorded_at)):
        kind = MilestoneKind(m.kind)
        note = decrypt_text(keyring, m.note, context=CASE_MILESTONE_NOTE.context(m.id)) if m.note else ""
        label = RULES[kind].label + (" (ingetrokken)" if m.void else "")
        out.append(
            ExportMilestone(
                label=label, day=m.milestone_date, choice=choice_label(kind, m.outcome), detail_date=m.detail_date,
                note=note, recorded_at=m.recorded_at, recorded_by=await names(m.recorded_by, m.recorded_by_org_id),
                in_force=m.id in in_force,
            )
        )  # fmt: skip
    return tuple(out)


async def _documents(db: AsyncSession, keyring: Keyring, case: Case) -> tuple[ExportDocument, ...]:
    rows = await db.execute(
        select(Document).where(col(Document.case_id) == case.id).order_by(col(Document.uploaded_at), col(Document.id))
    )
    out = []
    for number, d in enumerate(rows.scalars(), start=1):
        out.append(
            ExportDocument(
                id=d.id, number=number,
                filename=decrypt_text(keyring, d.filename, context=DOCUMENT_FILENAME.context(d.id)),
                type_label=DocumentType(d.doc_type).label, document_date=d.document_date, uploaded_at=d.uploaded_at,
                size=d.size, withdrawn_at=d.withdrawn_at, blob_name=d.blob_name, revision=d.revision,
                data_key=keyring.unwrap(d.wrapped_key, associated_data=d.id.encode("utf-8")),
            )
        )  # fmt: skip
    return tuple(out)


async def _threads(
    db: AsyncSession, keyring: Keyring, case: Case, names: _Names, filenames: dict[str, str]
) -> tuple[tuple[ExportThread, ...], list[str]]:
    """The case's threads with their messages, and the ids of both (for the access records)."""
    threads = (
        (await db.execute(select(Thread).where(col(Thread.case_id) == case.id).order_by(col(Thread.created_at))))
        .scalars()
        .all()
    )
    ids: list[str] = []
    out = []
    for thread in threads:
        ids.append(thread.id)
        messages = (
            (
                await db.execute(
                    select(Message).where(col(Message.thread_id) == thread.id).order_by(col(Message.sent_at))
                )
            )
            .scalars()
            .all()
        )
        shown = []
        for message in messages:
            ids.append(message.id)
            attached = (
                await db.execute(
                    select(col(MessageAttachment.document_id)).where(col(MessageAttachment.message_id) == message.id)
                )
            ).scalars()
            shown.append(
                ExportMessage(
                    sent_at=message.sent_at,
                    author=await names(message.author_id, message.author_org_id),
                    body=decrypt_text(keyring, message.body, context=MESSAGE_BODY.context(message.id)),
                    attachments=tuple(filenames.get(doc_id, "") for doc_id in attached),
                )
            )
        subject = decrypt_text(keyring, thread.subject, context=THREAD_SUBJECT.context(thread.id))
        out.append(ExportThread(subject=subject, created_at=thread.created_at, messages=tuple(shown)))
    return tuple(out), ids


async def _record_ids(db: AsyncSession, case: Case) -> list[str]:
    """The ids of the case's milestone and correction rows: their audit records name them, not the case."""
    milestones = await db.execute(select(col(CaseMilestone.id)).where(col(CaseMilestone.case_id) == case.id))
    corrections = await db.execute(select(col(CaseCorrection.id)).where(col(CaseCorrection.case_id) == case.id))
    return [*milestones.scalars(), *corrections.scalars()]


async def _accesses(db: AsyncSession, names: _Names, object_ids: list[str]) -> tuple[ExportAccess, ...]:
    """Who did what with the case and everything on it: the audit records naming one of them (ids, no content)."""
    rows = await db.execute(
        select(AuditEvent)
        .where(or_(*(col(AuditEvent.object_id).in_(object_ids[i : i + 500]) for i in range(0, len(object_ids), 500))))
        .order_by(col(AuditEvent.seq))
    )
    return tuple(
        [
            ExportAccess(
                at=e.at,
                who=await names(e.user_id, e.organisation_id),
                action=actions.label(e.action),
                object_type=e.object_type,
            )
            for e in rows.scalars()
        ]
    )
