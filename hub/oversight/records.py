"""Which audit records concern an organisation or a case, and what a reader is shown of them.

An organisation's records (the Auditlog of its functionaris gegevensbescherming) are those whose actor is one of its
users, and those whose object is one of its cases, threads, messages or documents, whoever the actor. A case's
records are those whose object is the case, one of its threads, their messages, or one of its documents. Both are
conditions on the audit table (EXISTS / IN on indexed ids), so a page reads only as many records as it shows.

What a reader sees of a record: the moment, the action (hub.audit.actions), the object (its kind, its id, and the
dossiernummer of the case it belongs to: never a client name), and the actor: by name for a user of the reader's own
organisation, with client address and browser; for another organisation's user only that organisation's name and
the user's id (that organisation's own FG sees the rest).

This package reads cases, messaging and documents; none of them imports it (only views and the app do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.models import Organisation, User
from hub.audit import actions
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.reading import OBJECT_TYPE as OBJECT_CASE
from hub.documents.models import Document
from hub.documents.services import OBJECT_TYPE as OBJECT_DOCUMENT
from hub.messaging.access import OBJECT_MESSAGE, OBJECT_THREAD
from hub.messaging.models import Message, Thread

OBJECT_LABELS = {
    OBJECT_CASE: "Dossier",
    OBJECT_THREAD: "Gesprek",
    OBJECT_MESSAGE: "Bericht",
    OBJECT_DOCUMENT: "Document",
    actions.SEARCH_OBJECT: "Zoekopdracht",
    actions.AUDIT_LOG_OBJECT: "Auditlog",
    "user": "Gebruiker",
    "account": "Account",
    "address": "Adres",
    "organisation": "Organisatie",
    "convenant": "Convenant",
    "reaction_clock": "Termijn",
    "closing_day": "Sluitingsdag",
    "keyring": "Sleutelbos",
    "internal_note": "Interne notitie",
    "retention": "Bewaartermijnen",  # hub.retention.run.RUN_OBJECT
    "api_token": "API-sleutel",  # hub.accounts.api_tokens.OBJECT_TYPE
    "webhook": "Webhook",  # hub.webhooks.endpoints.OBJECT_TYPE
}

GENERAL_QUESTION = "algemene vraag"  # a thread about a convenant, not a case


def _of_org(gemeente: Mapped[str] | Mapped[str | None], kantoor: Mapped[str], org_id: str) -> ColumnElement[bool]:
    return or_(gemeente == org_id, kantoor == org_id)


def about_organisation(org_id: str) -> ColumnElement[bool]:
    """Records by the organisation's users, or about its cases, threads, messages and documents."""
    event_object = col(AuditEvent.object_id)
    case = exists().where(col(Case.id) == event_object, _of_org(col(Case.gemeente_id), col(Case.kantoor_id), org_id))
    thread = exists().where(
        col(Thread.id) == event_object, _of_org(col(Thread.gemeente_id), col(Thread.kantoor_id), org_id)
    )
    message = exists().where(
        col(Message.id) == event_object,
        col(Thread.id) == col(Message.thread_id),
        _of_org(col(Thread.gemeente_id), col(Thread.kantoor_id), org_id),
    )
    document = exists().where(
        col(Document.id) == event_object, _of_org(col(Document.gemeente_id), col(Document.kantoor_id), org_id)
    )
    kind = col(AuditEvent.object_type)
    return or_(
        col(AuditEvent.organisation_id) == org_id,
        and_(kind == OBJECT_CASE, case),
        and_(kind == OBJECT_THREAD, thread),
        and_(kind == OBJECT_MESSAGE, message),
        and_(kind == OBJECT_DOCUMENT, document),
    )


def about_case(case_id: str) -> ColumnElement[bool]:
    """Records about the case, its threads, their messages, or its documents (a case has tens of these ids)."""
    threads = select(col(Thread.id)).where(col(Thread.case_id) == case_id)
    messages = select(col(Message.id)).where(col(Message.thread_id).in_(threads))
    documents = select(col(Document.id)).where(col(Document.case_id) == case_id)
    event_object, kind = col(AuditEvent.object_id), col(AuditEvent.object_type)
    return or_(
        and_(kind == OBJECT_CASE, event_object == case_id),
        and_(kind == OBJECT_THREAD, event_object.in_(threads)),
        and_(kind == OBJECT_MESSAGE, event_object.in_(messages)),
        and_(kind == OBJECT_DOCUMENT, event_object.in_(documents)),
    )


@dataclass(frozen=True)
class AuditRow:
    """One record as a reader sees it (see the module text)."""

    event: AuditEvent
    action_label: str
    object_label: str
    case_reference: str | None  # the dossiernummer of the case the object belongs to, when it is the reader's
    own_actor: bool  # the actor is a user of the reader's organisation
    actor_name: str | None  # only for the reader's own organisation's users
    actor_organisation: str  # the actor's organisation's name ("" for the command line and the worker)

    @property
    def at(self) -> datetime:
        return self.event.at


async def describe(db: AsyncSession, org_id: str, events: list[AuditEvent]) -> list[AuditRow]:
    """The rows for a page of records, with a few batched look-ups (names, organisations, dossiernummers)."""
    user_ids = {e.user_id for e in events if e.user_id}
    org_ids = {e.organisation_id for e in events if e.organisation_id}
    names: dict[str, str] = {}
    if user_ids:
        rows = await db.execute(
            select(col(User.id), col(User.name)).where(col(User.id).in_(user_ids), col(User.organisation_id) == org_id)
        )
        names = {i: n for i, n in rows.all()}
    organisations: dict[str, str] = {}
    if org_ids:
        query = select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.id).in_(org_ids))
        organisations = {i: n for i, n in (await db.execute(query)).all()}
    references = await _references(db, org_id, events)
    result = []
    for event in events:
        own = event.organisation_id == org_id
        object_label = OBJECT_LABELS.get(event.object_type, event.object_type)
        if event.object_type == actions.SEARCH_OBJECT:
            object_label = f"{object_label} {actions.search_label(event.object_id)}"
        result.append(
            AuditRow(
                event=event,
                action_label=actions.label(event.action),
                object_label=object_label,
                case_reference=references.get((event.object_type, event.object_id)),
                own_actor=own,
                actor_name=names.get(event.user_id or "") if own else None,
                actor_organisation=organisations.get(event.organisation_id or "", ""),
            )
        )
    return result


async def _references(db: AsyncSession, org_id: str, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """(object type, object id) -> the dossiernummer of the organisation's case it belongs to (or "algemene vraag")."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        wanted.setdefault(event.object_type, set()).add(event.object_id)
    own_case = _of_org(col(Case.gemeente_id), col(Case.kantoor_id), org_id)
    found: dict[tuple[str, str], str] = {}
    if ids := wanted.get(OBJECT_CASE):
        rows = await db.execute(select(col(Case.id), col(Case.reference)).where(col(Case.id).in_(ids), own_case))
        found.update(((OBJECT_CASE, i), ref) for i, ref in rows.all())
    if ids := wanted.get(OBJECT_DOCUMENT):
        rows = await db.execute(
            select(col(Document.id), col(Case.reference))
            .join(Case, col(Case.id) == col(Document.case_id))
            .where(col(Document.id).in_(ids), own_case)
        )
        found.update(((OBJECT_DOCUMENT, i), ref) for i, ref in rows.all())
    own_thread = _of_org(col(Thread.gemeente_id), col(Thread.kantoor_id), org_id)
    for kind, id_column, join in (
        (OBJECT_THREAD, col(Thread.id), None),
        (OBJECT_MESSAGE, col(Message.id), col(Thread.id) == col(Message.thread_id)),
    ):
        if ids := wanted.get(kind):
            query = select(id_column, col(Case.reference)).select_from(Thread)
            if join is not None:
                query = query.join(Message, join)
            query = query.outerjoin(Case, col(Case.id) == col(Thread.case_id)).where(id_column.in_(ids), own_thread)
            rows = await db.execute(query)
            found.update(((kind, i), ref or GENERAL_QUESTION) for i, ref in rows.all())
    return found
