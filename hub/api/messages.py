"""Threads and messages through the API: the inbox (in the pages' order), one thread, posting a message.

The same services as the pages (hub.messaging): the inbox's tabs and filters and its order (most urgent first, or
newest activity first on ``alle``), the thread with its messages, receipts and reaction terms, and a message of a
kind (bericht, procesafspraak with its agreed date, inhoudelijke reactie, ...) under the same clock rules. Audit as in
the pages: ``thread.list`` / ``thread.search``, ``thread.view``, ``message.post``.

Reading a thread with a person's token marks it read for that person, as the page does (the receipts show when the
organisation first read it). An organisation's token reads without marking: its stand-in is no stored person. A
``HEAD`` never marks: it shows no message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypeVar

from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.api.operations import ID_PATTERN, ApiModel, Call, Operation
from hub.api.paging import PageQuery, decode_cursor, encode_cursor
from hub.api.problems import ApiProblem
from hub.calendars.services import calendar_source
from hub.messaging.access import MessagingBase
from hub.messaging.form_tokens import FORM_TOKEN_RE, posted_with
from hub.messaging.inbox import InboxRow, InboxService
from hub.messaging.models import MessageKind, ThreadKind, ThreadStatus
from hub.messaging.reading import MessageView, ReadingService, ThreadView
from hub.messaging.threads import ThreadService

TAG = "Berichten"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_TEXT = "32 tot 64 tekens A-Z, a-z, 0-9, _ of -, per verzoek nieuw (bijvoorbeeld een UUID zonder streepjes)."


class ThreadSummary(ApiModel):
    id: str
    subject: str
    kind: ThreadKind
    status: ThreadStatus
    case_id: str | None
    case_reference: str | None
    partner_name: str
    assignee_name: str | None
    last_message_at: datetime
    due_at: datetime | None = Field(description="Het vroegste moment waarop een reactie verschuldigd is.")
    overdue: bool
    unread: bool
    waiting_on_us: bool
    waiting_on_partner: bool
    bijzondere_bijstand: bool


class Inbox(ApiModel):
    items: list[ThreadSummary]
    next: str | None


class InboxQuery(PageQuery):
    tab: Literal["te_beantwoorden", "wacht_op_ander", "alle"] = Field(
        default="te_beantwoorden", description="Zoals de tabbladen van Berichten."
    )
    case_id: str | None = Field(default=None, pattern=ID_PATTERN)
    kind: ThreadKind | None = None
    status: ThreadStatus | None = None
    assignee: str | None = Field(
        default=None, pattern="^(mij|niemand|[0-9a-f]{32})$", description="`mij`, `niemand` of het id van een collega."
    )


class Attachment(ApiModel):
    document_id: str
    file_name: str
    withdrawn: bool


class Receipt(ApiModel):
    organisation_name: str
    delivered_at: datetime
    first_read_at: datetime | None


class MessageOut(ApiModel):
    id: str
    kind: MessageKind
    body: str
    agreed_date: date | None
    author_name: str
    author_organisation: str
    sent_at: datetime
    mine: bool = Field(description="Verstuurd door de eigen organisatie.")
    attachments: list[Attachment]
    receipts: list[Receipt]


class ReactionTerm(ApiModel):
    kind: str
    label: str
    owed_by: str
    owed_by_us: bool
    running: bool
    due_at: datetime
    overdue: bool


class ThreadDetail(ApiModel):
    id: str
    subject: str
    kind: ThreadKind
    status: ThreadStatus
    case_id: str | None
    case_reference: str | None
    gemeente: str
    kantoor: str
    waiting_on_us: bool
    assignee_name: str | None
    messages: list[MessageOut]
    terms: list[ReactionTerm]


class NewMessage(ApiModel):
    body: str = Field(max_length=20_000)
    kind: MessageKind = MessageKind.BERICHT
    agreed_date: date | None = Field(default=None, description="Bij een procesafspraak: uiterlijk deze datum.")
    attachment_ids: list[str] = Field(default=[], max_length=20, description="Documenten van het dossier.")


S = TypeVar("S", bound=MessagingBase)


def messaging_service(call: Call, db: AsyncSession, kind: type[S]) -> S:
    """A messaging service with the process's calendars, as the pages make it."""
    settings = call.runtime.settings
    return kind(db, call.runtime.keyring, calendars=calendar_source(settings.decree_days_file))


def _summary(row: InboxRow) -> ThreadSummary:
    return ThreadSummary(
        id=row.thread_id, subject=row.subject, kind=row.kind, status=row.status,
        case_id=row.case_id, case_reference=row.case_reference, partner_name=row.partner_name,
        assignee_name=row.assignee_name, last_message_at=row.last_message_at, due_at=row.due_at,
        overdue=row.overdue, unread=row.unread, waiting_on_us=row.waiting_on_us,
        waiting_on_partner=row.waiting_on_partner, bijzondere_bijstand=row.bijzondere_bijstand,
    )  # fmt: skip


async def inbox(call: Call) -> Inbox:
    q = call.query_as(InboxQuery)
    offset = decode_cursor(q.cursor)
    user = call.principal.user
    async with call.runtime.transaction() as db:
        svc = messaging_service(call, db, InboxService)
        case = await svc.case_for(user, q.case_id) if q.case_id else None  # another organisation's case: 404
        page = await svc.inbox(
            user, tab=q.tab, case_id=case.id if case else None, kind=q.kind, status=q.status, assignee=q.assignee,
            limit=q.limit, offset=offset,
        )  # fmt: skip
    link = None
    if page.has_next:
        params = {k: v for k, v in call.request.query_params.items() if k != "cursor"}
        params["cursor"] = encode_cursor(offset + q.limit)
        link = str(call.request.url.replace_query_params(**params))
    return Inbox(items=[_summary(r) for r in page.rows], next=link)


def _message(view: MessageView) -> MessageOut:
    return MessageOut(
        id=view.message.id, kind=view.kind, body=view.body, agreed_date=view.message.agreed_date,
        author_name=view.author_name, author_organisation=view.author_org_name, sent_at=view.message.sent_at,
        mine=view.mine,
        attachments=[Attachment(document_id=a.document_id, file_name=a.filename, withdrawn=a.withdrawn)
                     for a in view.attachments],
        receipts=[Receipt(organisation_name=r.organisation_name, delivered_at=r.delivered_at,
                          first_read_at=r.first_read_at) for r in view.receipts],
    )  # fmt: skip


async def read_thread(call: Call) -> ThreadDetail:
    async with call.runtime.transaction() as db:
        svc = messaging_service(call, db, ReadingService)
        # A HEAD shows nobody the messages: it must not make the receipts say the organisation read them.
        read = call.request.method != "HEAD"
        view = await svc.thread_view(call.principal.user, call.path("threadId"), mark_read=read)
    return thread_detail(view)


def thread_detail(view: ThreadView) -> ThreadDetail:
    """The thread as ``GET /threads/{threadId}`` shows it."""
    return ThreadDetail(
        id=view.thread.id, subject=view.subject, kind=view.kind, status=view.status,
        case_id=view.thread.case_id, case_reference=view.case_reference, gemeente=view.gemeente_name,
        kantoor=view.kantoor_name, waiting_on_us=view.waiting_on_us, assignee_name=view.assignee_name,
        messages=[_message(m) for m in view.messages],
        terms=[
            ReactionTerm(kind=c.kind.value, label=c.kind.label, owed_by=c.owed_by_name, owed_by_us=c.owed_by_us,
                         running=c.running, due_at=c.clock.due_at, overdue=c.overdue)
            for c in view.clocks
        ],
    )  # fmt: skip


class PostedMessage(ApiModel):
    id: str
    thread_id: str
    kind: MessageKind
    sent_at: datetime


def idempotency_key(call: Call) -> str | None:
    """The optional Idempotency-Key: the same key again answers what the first call made (the pages' form token)."""
    key = call.request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not FORM_TOKEN_RE.fullmatch(key):
        raise ApiProblem(400, "De Idempotency-Key is ongeldig.", invalid={IDEMPOTENCY_HEADER: IDEMPOTENCY_TEXT})
    return key


IDEMPOTENCY = {IDEMPOTENCY_HEADER: (IDEMPOTENCY_TEXT, f"^{FORM_TOKEN_RE.pattern}$")}
KEY_REUSED = "Deze Idempotency-Key is al gebruikt voor een ander verzoek."


async def check_key_reuse(db: AsyncSession, call: Call, key: str | None, thread_id: str, kind: MessageKind) -> None:
    """A key that already posted a message elsewhere (another thread, or a message of another kind) is a 422: the
    retry of one request must not answer another's result, nor post a second message under the stored key (that
    was a 500 from the unique index)."""
    earlier = await posted_with(db, call.principal.user, key)
    if earlier is not None and (earlier.thread_id, earlier.kind) != (thread_id, kind.value):
        raise ApiProblem(422, KEY_REUSED)


async def post_message(call: Call) -> PostedMessage:
    body = call.body_as(NewMessage)
    user = call.principal.user
    key = idempotency_key(call)
    async with call.runtime.transaction() as db:
        svc = messaging_service(call, db, ThreadService)
        thread = await svc.get_thread(user, call.path("threadId"))  # another organisation's thread: 404 first
        await check_key_reuse(db, call, key, thread.id, MessageKind(body.kind))
        # The same key again (a retry after a lost answer) returns the message it posted; nothing is posted twice.
        message = await svc.post_message(
            user, thread, body.body, kind=body.kind, agreed_date=body.agreed_date, attachment_ids=body.attachment_ids,
            form_token=key,
        )  # fmt: skip
    return PostedMessage(id=message.id, thread_id=thread.id, kind=MessageKind(message.kind), sent_at=message.sent_at)


OPERATIONS = [
    Operation(
        "GET",
        "/threads",
        "listThreads",
        "Berichten: de inbox van de eigen organisatie",
        inbox,
        TAG,
        scope="messages:read",
        query=InboxQuery,
        response=Inbox,
        extra_statuses=(404,),  # a caseId of another organisation
        description="Dezelfde tabbladen, filters en volgorde als de pagina Berichten (meest urgent eerst).",
    ),
    Operation(
        "GET",
        "/threads/{threadId}",
        "readThread",
        "Eén gesprek met zijn berichten en termijnen",
        read_thread,
        TAG,
        scope="messages:read",
        response=ThreadDetail,
    ),
    Operation(
        "POST",
        "/threads/{threadId}/messages",
        "postMessage",
        "Een bericht versturen",
        post_message,
        TAG,
        scope="messages:write",
        body=NewMessage,
        response=PostedMessage,
        status=201,
        optional_headers=IDEMPOTENCY,
        extra_statuses=(422,),
        description="Met een soort (bericht, procesafspraak met datum, inhoudelijke reactie, ...): dezelfde "
        "termijnregels als in de pagina's. 422: de Idempotency-Key is al gebruikt voor een ander verzoek.",
    ),
]
