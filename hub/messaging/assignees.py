"""Who hears about a thread on one side, and what it is about: what messaging tells the Notifier (the notifications
part reads no thread or case)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.models import Case
from hub.documents.models import BIJZONDERE_BIJSTAND_TYPES, Document
from hub.messaging.models import Thread, ThreadKind
from hub.notifications.interfaces import Audience, MailKind, NotificationEvent, Topic


async def side_assignees(db: AsyncSession, thread: Thread, org_id: str) -> tuple[str, ...]:
    """The assignee of ``org_id``'s side of the thread, else that side's assignee of the thread's case; empty when
    nobody is assigned (the Notifier then tells the organisation's users of the recipient roles).

    ValueError when ``org_id`` is not a party to the thread: nobody else is ever told about it.
    """
    if org_id not in thread.party_ids():
        raise ValueError("the receiving organisation is not a party to this thread")
    if org_id == thread.gemeente_id and thread.gemeente_assignee_id:
        return (thread.gemeente_assignee_id,)
    if org_id == thread.kantoor_id and thread.kantoor_assignee_id:
        return (thread.kantoor_assignee_id,)
    if thread.case_id is not None:
        case = await db.get(Case, thread.case_id)
        if case is not None:
            assignee = case.gemeente_contact_id if org_id == case.gemeente_id else case.bewindvoerder_id
            if assignee:
                return (assignee,)
    return ()


def thread_topics(thread: Thread, documents: Iterable[Document] = ()) -> frozenset[Topic]:
    """What the thread (and the documents that come with a message in it) is about, for the Notifier: a general
    question under the convenant; bijzondere bijstand when the thread is marked so or an aanvraag comes with it."""
    topics: set[Topic] = set()
    if thread.kind == ThreadKind.ALGEMEEN.value:
        topics.add(Topic.ALGEMENE_VRAAG)
    if thread.bijzondere_bijstand or any(d.doc_type in BIJZONDERE_BIJSTAND_TYPES for d in documents):
        topics.add(Topic.BIJZONDERE_BIJSTAND)
    return frozenset(topics)


async def audience(db: AsyncSession, thread: Thread, org_id: str) -> Audience:
    """Who of ``org_id`` (a party) hears about the thread: its assignees, and what the thread is about."""
    return Audience(org_id, await side_assignees(db, thread, org_id), thread_topics(thread))


async def message_event(
    db: AsyncSession,
    thread: Thread,
    *,
    kind: MailKind,
    receiver: str,
    due_at: datetime | None,
    documents: Iterable[Document] = (),
) -> NotificationEvent:
    """The notice of a message in ``thread`` for the receiving party (ids only)."""
    return NotificationEvent(
        kind=kind,
        organisation_id=receiver,
        thread_id=thread.id,
        case_id=thread.case_id,
        assigned_user_ids=await side_assignees(db, thread, receiver),
        due_at=due_at,
        topics=thread_topics(thread, documents),
    )
