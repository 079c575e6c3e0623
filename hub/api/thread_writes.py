"""Starting a thread (on a case, or a general question on a convenant), the procesafspraak of a thread, and the
receipts of its messages, through the API.

The same services as the pages (hub.messaging): :meth:`ThreadService.start_thread` (a thread with its first message,
audit ``message.post``), a procesafspraak is a message of that kind with its agreed date
(:meth:`ThreadService.post_message`, the same date rules: a werkdag of the gemeente, within the maximum; the running
term moves to it), and the receipts are the thread page's: when each message was delivered to the other organisation
and when that organisation first read it (who read it is named to that organisation only). Reading them is
``thread.view``, as the page; it does not mark the thread read.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import JSONResponse

from hub.accounts.authz import is_party
from hub.accounts.models import Convenant
from hub.api import API_PREFIX
from hub.api.messages import (
    IDEMPOTENCY,
    KEY_REUSED,
    TAG,
    PostedMessage,
    ThreadDetail,
    check_key_reuse,
    idempotency_key,
    messaging_service,
    thread_detail,
)
from hub.api.operations import ApiModel, Call, Operation, dump
from hub.api.problems import ApiProblem
from hub.cases.models import Case
from hub.cases.reading import CaseReading
from hub.errors import NotFound, ValidationError
from hub.messaging.form_tokens import opened_its_thread, posted_with
from hub.messaging.models import MessageKind, ThreadKind
from hub.messaging.reading import ReadingService, ThreadView
from hub.messaging.threads import SUBJECT_MAX, ThreadService


class NewThread(ApiModel):
    subject: str = Field(max_length=SUBJECT_MAX)
    body: str = Field(max_length=20_000)
    kind: ThreadKind | None = Field(default=None, description="Op een dossier casuistiek, anders algemeen.")
    bijzondere_bijstand: bool = Field(default=False, description="Over bijzondere bijstand: ook de consulenten.")


class Agreement(ApiModel):
    message_id: str
    agreed_date: date = Field(description="Uiterlijk deze datum komt het antwoord.")
    body: str
    author_organisation: str
    mine: bool = Field(description="Gemaakt door de eigen organisatie.")
    sent_at: datetime


class MovedTerm(ApiModel):
    kind: str
    label: str
    owed_by: str
    running: bool
    due_at: datetime = Field(description="Het moment dat nu geldt.")
    original_due_at: datetime | None
    rescheduled_at: datetime | None
    rescheduled_late: bool = Field(description="De afspraak kwam toen de termijn al verstreken was.")


class Procesafspraak(ApiModel):
    current: Agreement | None = Field(description="De laatste procesafspraak; null als er geen is.")
    items: list[Agreement] = Field(description="Alle procesafspraken van het gesprek, oudste eerst.")
    terms: list[MovedTerm] = Field(description="De reactietermijnen die een procesafspraak verschoof.")


class NewAgreement(ApiModel):
    agreed_date: date = Field(description="Een werkdag van de gemeente, niet in het verleden, binnen het maximum.")
    body: str = Field(max_length=20_000, description="De toelichting: wat er nog nodig is en waarom.")


class ReadReceipt(ApiModel):
    organisation_name: str
    delivered_at: datetime
    first_read_at: datetime | None
    first_read_by: str | None = Field(description="Alleen voor de eigen organisatie: wie het het eerst opende.")


class MessageReceipts(ApiModel):
    message_id: str
    mine: bool
    sent_at: datetime
    receipts: list[ReadReceipt] = Field(description="Per ontvangende organisatie: afgeleverd en gelezen.")


class ReceiptList(ApiModel):
    items: list[MessageReceipts]


async def start_thread(call: Call) -> JSONResponse:
    async with call.runtime.transaction() as db:
        case = await CaseReading(db, call.runtime.keyring).get_case(call.principal.user, call.path("caseId"))  # 404
        return await _start(call, db, case=case)


async def start_general_question(call: Call) -> JSONResponse:
    async with call.runtime.transaction() as db:
        convenant = await db.get(Convenant, call.path("convenantId"))
        if convenant is None or not is_party(call.principal.user, convenant):
            raise NotFound("Convenant")
        return await _start(call, db, convenant=convenant)


async def _start(
    call: Call, db: AsyncSession, *, case: Case | None = None, convenant: Convenant | None = None
) -> JSONResponse:
    """Start the thread in the caller's transaction, once the case or convenant was found (else 404 first)."""
    body = call.body_as(NewThread)
    user = call.principal.user
    key = idempotency_key(call)
    svc = messaging_service(call, db, ThreadService)
    convenant_id = convenant.id if convenant else None
    earlier = await posted_with(db, user, key)
    if earlier is not None and not await opened_its_thread(db, earlier):  # the key posted a reply, started nothing
        raise ApiProblem(422, KEY_REUSED)
    try:
        thread = await svc.start_thread(
            user, subject=body.subject, body=body.body, case=case, convenant=convenant, kind=body.kind,
            form_token=key, bijzondere_bijstand=body.bijzondere_bijstand,
        )  # fmt: skip
    except ValidationError as exc:  # the service's "soort" is the API's kind
        raise ValidationError({"kind" if k == "soort" else k: v for k, v in exc.errors.items()}) from None
    if (thread.case_id, thread.convenant_id) != ((case.id, case.convenant_id) if case else (None, convenant_id)):
        # The key's first use started another thread (the service answers that one): never pass it off as this one.
        raise ApiProblem(422, KEY_REUSED)
    detail: ThreadDetail = thread_detail(await svc.using(ReadingService).thread_view(user, thread))
    location = f"{call.runtime.settings.base_url}{API_PREFIX}/threads/{thread.id}"
    return JSONResponse(dump(detail), status_code=201, headers={"Location": location})


async def _view(call: Call) -> ThreadView:
    async with call.runtime.transaction() as db:
        return await messaging_service(call, db, ReadingService).thread_view(call.principal.user, call.path("threadId"))


async def read_procesafspraak(call: Call) -> Procesafspraak:
    view = await _view(call)
    items = [
        Agreement(message_id=m.message.id, agreed_date=m.message.agreed_date, body=m.body,
                  author_organisation=m.author_org_name, mine=m.mine, sent_at=m.message.sent_at)
        for m in view.messages
        if m.kind is MessageKind.PROCESAFSPRAAK and m.message.agreed_date is not None
    ]  # fmt: skip
    terms = [
        MovedTerm(kind=c.kind.value, label=c.kind.label, owed_by=c.owed_by_name, running=c.running,
                  due_at=c.clock.due_at, original_due_at=c.clock.original_due_at,
                  rescheduled_at=c.clock.rescheduled_at, rescheduled_late=c.clock.rescheduled_late)
        for c in view.clocks
        if c.clock.rescheduled_by_message_id is not None
    ]  # fmt: skip
    return Procesafspraak(current=items[-1] if items else None, items=items, terms=terms)


async def agree(call: Call) -> PostedMessage:
    body = call.body_as(NewAgreement)
    user = call.principal.user
    key = idempotency_key(call)
    async with call.runtime.transaction() as db:
        svc = messaging_service(call, db, ThreadService)
        thread = await svc.get_thread(user, call.path("threadId"))  # another organisation's thread: 404 first
        await check_key_reuse(db, call, key, thread.id, MessageKind.PROCESAFSPRAAK)
        try:
            message = await svc.post_message(
                user, thread, body.body, kind=MessageKind.PROCESAFSPRAAK, agreed_date=body.agreed_date, form_token=key
            )
        except ValidationError as exc:
            raise _agreement_refusal(exc) from None
    return PostedMessage(id=message.id, thread_id=thread.id, kind=MessageKind(message.kind), sent_at=message.sent_at)


def _agreement_refusal(exc: ValidationError) -> Exception:
    """No procesafspraak now (the thread's state: the caller's side owes no reaction) is a 409; a date that is no
    werkdag names the next one, which the client sends if it agrees (the page fills it in instead)."""
    if "kind" in exc.errors:
        return ApiProblem(409, exc.errors["kind"])
    errors = dict(exc.errors)
    if "agreed_date" in exc.suggestions and "agreed_date" in errors:
        head = errors["agreed_date"].split(". De eerstvolgende werkdag")[0]
        errors["agreed_date"] = f"{head}. De eerstvolgende werkdag is {exc.suggestions['agreed_date']}."
    return ValidationError(errors)


async def list_receipts(call: Call) -> ReceiptList:
    view = await _view(call)
    return ReceiptList(
        items=[
            MessageReceipts(
                message_id=m.message.id,
                mine=m.mine,
                sent_at=m.message.sent_at,
                receipts=[
                    ReadReceipt(
                        organisation_name=r.organisation_name,
                        delivered_at=r.delivered_at,
                        first_read_at=r.first_read_at,
                        first_read_by=r.first_read_by_name,
                    )
                    for r in m.receipts
                ],
            )
            for m in view.messages
        ]
    )


OPERATIONS = [
    Operation(
        "POST", "/cases/{caseId}/threads", "startThread", "Een vraag over een dossier stellen", start_thread, TAG,
        scope="messages:write", body=NewThread, response=ThreadDetail, status=201, optional_headers=IDEMPOTENCY,
        extra_statuses=(422,),
        description="Een gesprek (casuïstiek) met het eerste bericht; de reactietermijn gaat lopen. Antwoordt met "
        "Location; dezelfde Idempotency-Key opnieuw geeft hetzelfde gesprek (422 als die een ander gesprek begon).",
    ),
    Operation(
        "POST", "/convenants/{convenantId}/threads", "startGeneralQuestion", "Een algemene vraag over het convenant",
        start_general_question, TAG, scope="messages:write", body=NewThread, response=ThreadDetail, status=201,
        optional_headers=IDEMPOTENCY, extra_statuses=(422,),
        description="Een gesprek zonder dossier (algemene vraag) onder een actief convenant van de eigen organisatie: "
        "binnen 2 werkdagen een eerste reactie, binnen 2 weken het antwoord.",
    ),
    Operation(
        "GET", "/threads/{threadId}/procesafspraak", "readProcesafspraak", "De procesafspraak van een gesprek",
        read_procesafspraak, TAG, scope="messages:read", response=Procesafspraak,
        description="De afgesproken datum (de laatste afspraak geldt) en de termijnen die ze verschoof.",
    ),
    Operation(
        "POST", "/threads/{threadId}/procesafspraak", "agreeProcesafspraak", "Een procesafspraak maken of wijzigen",
        agree, TAG, scope="messages:write", body=NewAgreement, response=PostedMessage, status=201,
        optional_headers=IDEMPOTENCY, extra_statuses=(409, 422),
        description="Een bericht van de soort procesafspraak: dezelfde regels als de pagina (wie het mag, een "
        "werkdag, het maximum); de lopende termijn schuift naar die datum. 409: uw organisatie is nu geen reactie "
        "verschuldigd. 422: de Idempotency-Key is al gebruikt voor een ander verzoek.",
    ),
    Operation(
        "GET", "/threads/{threadId}/receipts", "listReceipts", "Afgeleverd en gelezen, per bericht", list_receipts,
        TAG, scope="messages:read", response=ReceiptList,
    ),
]  # fmt: skip
