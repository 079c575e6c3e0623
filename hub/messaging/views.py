"""The inbox, a thread and a new question.

URLs carry no personal data: tabs and filters are fixed words, opaque ids or a case reference number, and redirects
after a POST carry a fixed key (``?gelukt=...``). Another organisation's thread does not exist for the user (404), for
reading and posting alike.

The reply form is multipart, because it may carry a file. Its body is parsed with the documents part's streaming
parser (:class:`hub.web.multipart.MultipartUpload`; ``request.form()`` would spool the plaintext file to disk): the
CSRF middleware lets multipart through on :data:`REPLY_UPLOAD_PATH` only, ``csrf_token`` must be the first part, the
text fields come next and the file part last. The form is checked before the file streams in; the file then goes
through the vault's one pipeline (size limit, type sniffing, virus scan, encryption) into the thread's case, and the
new document and the message are committed in one transaction, or neither is kept (nor the blob). A URL-encoded
reply (without a file) is still accepted.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from python_multipart.multipart import parse_options_header
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.authz import Action, may
from hub.calendars.services import calendar_source
from hub.db import transaction
from hub.documents.services import (
    FIELD_DATE,
    FIELD_TYPE,
    INCOMPLETE,
    DocumentRefused,
    DocumentService,
    parse_doc_type,
    parse_document_date,
    too_large_message,
)
from hub.documents.sniff import ACCEPT_ATTRIBUTE
from hub.documents.views import TYPE_OPTIONS
from hub.errors import NotFound, ValidationError
from hub.messaging.models import MESSAGE_KIND_LABELS, MessageKind, ThreadKind, ThreadStatus
from hub.messaging.services import (
    ASSIGNEE_MINE,
    ASSIGNEE_NOBODY,
    BODY_MAX,
    FIELD_UPLOAD,
    INBOX_TABS,
    SUBJECT_MAX,
    InboxPage,
    MessagingService,
)
from hub.web.forms import form_lists, form_values, runtime
from hub.web.guards import login_required, user_of
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render, render_error

log = logging.getLogger("hub.messaging.views")

PAGE_SIZE = 50
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REFERENCE_MAX = 40  # the inbox's dossiernummer filter

# For hub.app.UPLOAD_PATHS: the reply form, whose multipart body is parsed here by a streaming parser that checks the
# CSRF token (the first part) before it accepts anything else.
REPLY_UPLOAD_PATH = r"/berichten/[^/]+/reageren"
# The reply's text fields besides the file: the message itself (up to BODY_MAX characters of UTF-8), attachment ids.
BODY_FIELD_BYTES = BODY_MAX * 4 + 64
REPLY_MAX_PARTS = 300
REPLY_OVERHEAD = BODY_FIELD_BYTES + 256 * 1024
MAX_ATTACHMENTS = 50
FILE_NOT_KEPT = "Het bestand is niet opgeslagen. Kies het opnieuw als u het wilt meesturen."
BAD_FORM = "Gebruik het formulier op de pagina van het gesprek."

TAB_LABELS = {"te_beantwoorden": "Te beantwoorden", "wacht_op_ander": "Wacht op de ander", "alle": "Alle gesprekken"}
KIND_OPTIONS = [("", "Alle soorten"), *((k.value, k.label) for k in ThreadKind)]
STATUS_OPTIONS = [("", "Open en afgerond"), *((s.value, s.label) for s in ThreadStatus)]
REPLY_KINDS = [
    (MessageKind.BERICHT.value, "Gewone reactie", "Een vraag, aanvulling of herinnering. Loopt er geen "
     "reactietermijn, dan start er een voor de andere partij. Bij een algemene vraag is dit ook de eerste reactie."),
    (MessageKind.GEEN_REACTIE_NODIG.value, "Bericht zonder vraag (geen reactie nodig)", "Bijvoorbeeld een bedankje "
     "of een bevestiging. Er start geen reactietermijn en een lopende termijn loopt gewoon door."),
    (MessageKind.INHOUDELIJKE_REACTIE.value, "Inhoudelijke reactie", "Beantwoordt de vraag. Hiermee stopt de "
     "reactietermijn van uw organisatie."),
    (MessageKind.PROCESAFSPRAAK.value, "Procesafspraak", "U spreekt een datum af waarop het antwoord uiterlijk komt. "
     "Die datum wordt de nieuwe termijn."),
    (MessageKind.VRAAG_OM_INFORMATIE.value, "Vraag om informatie", "U heeft informatie van de andere partij nodig. "
     "De termijn gaat over naar de andere partij."),
]  # fmt: skip

THREAD_NOTICES = {
    "verstuurd": "Uw bericht is verstuurd.",
    "gestart": "Uw vraag is verstuurd.",
    "toegewezen": "De toewijzing is opgeslagen.",
    "afgerond": "Het gesprek is afgerond.",
}
REPLY_FIELDS = ("body", "kind", "agreed_date", "attachments", FIELD_TYPE, FIELD_DATE, FIELD_UPLOAD)
NEW_FIELDS = ("soort", "dossiernummer", "convenant_id", "subject", "body")
UNKNOWN_REFERENCE = "Uw organisatie heeft geen dossier met dit nummer."


def case_url(case_id: str) -> str:
    return f"/dossiers/{case_id}"


def document_url(document_id: str) -> str:
    """The vault's download route: the documents part checks the party and writes the audit record."""
    return f"/documenten/{document_id}/downloaden"


def messaging(request: Request, db: AsyncSession) -> MessagingService:
    settings = runtime(request).settings
    return MessagingService(db, runtime(request).keyring, calendars=calendar_source(settings.decree_days_file))


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("gelukt", ""), "")


def _ordered(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    ordered = {k: errors[k] for k in fields if k in errors}
    ordered.update({k: v for k, v in errors.items() if k not in ordered})
    return ordered


def parse_day(raw: str, field: str, errors: dict[str, str], missing: str) -> date | None:
    if not raw:
        errors[field] = missing
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "Vul een geldige datum in, bijvoorbeeld 2026-03-13 (jaar-maand-dag)."
        return None


# -- the inbox ---------------------------------------------------------------------------------------------------


def _query(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v and not (k == "pagina" and v == "1")}
    return "/berichten" + (f"?{urlencode(kept)}" if kept else "")


@login_required(Action.VIEW_CASES)
async def inbox_page(request: Request) -> Response:
    user = user_of(request).user
    q = request.query_params
    tab = q.get("tab", "") if q.get("tab", "") in INBOX_TABS else INBOX_TABS[0]
    kind = q.get("soort", "") if q.get("soort", "") in {k.value for k in ThreadKind} else ""
    status = q.get("status", "") if q.get("status", "") in {s.value for s in ThreadStatus} else ""
    assignee = q.get("toegewezen", "")[:32]
    dossier = q.get("dossier", "")[:32]
    reference = " ".join(q.get("dossiernummer", "").split())[:REFERENCE_MAX]
    filter_errors: dict[str, str] = {}
    try:
        page_number = max(1, min(int(q.get("pagina", "1")), 10_000))
    except ValueError:
        page_number = 1
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        case = None
        if reference:
            # A typed number: unknown, or another organisation's case, is a message at the field (never a 404).
            try:
                case = await svc.case_by_reference(user, reference)
            except NotFound:
                filter_errors["filter-dossiernummer"] = UNKNOWN_REFERENCE
        elif dossier:
            case = await svc.case_for(user, dossier)  # an id from a link: another organisation's case is a 404
        colleagues = await svc.colleagues(user)
        if assignee not in (ASSIGNEE_MINE, ASSIGNEE_NOBODY) and assignee not in {c.id for c in colleagues}:
            assignee = ""
        if filter_errors:
            # No case of this number: no threads either, rather than every thread as if no filter were asked for.
            page = InboxPage(tab, [], 0, PAGE_SIZE, False, await svc.inbox_counts(user))
        else:
            page = await svc.inbox(
                user,
                tab=tab,
                case_id=case.id if case else None,
                kind=kind or None,
                status=status or None,
                assignee=assignee or None,
                limit=PAGE_SIZE,
                offset=(page_number - 1) * PAGE_SIZE,
            )
    # Links (tabs, pages) carry the case's opaque id once a number is resolved.
    params = {
        "tab": tab,
        "soort": kind,
        "status": status,
        "toegewezen": assignee,
        "dossier": case.id if case else "",
        "dossiernummer": reference if filter_errors else "",
    }
    counts = {"te_beantwoorden": page.counts["te_beantwoorden"], "wacht_op_ander": page.counts["wacht_op_ander"]}
    tabs = [
        (name, label, _query(params, tab=name, pagina="1"), counts.get(name), name == tab)
        for name, label in TAB_LABELS.items()
    ]
    assignee_options = [
        ("", "Iedereen"),
        (ASSIGNEE_MINE, "Aan mij"),
        (ASSIGNEE_NOBODY, "Aan niemand"),
        *((c.id, c.name) for c in colleagues if c.id != user.id),
    ]
    return render(
        request,
        "messaging/inbox.html",
        {
            "page": page,
            "tab": tab,
            "tab_label": TAB_LABELS[tab],
            "tabs": tabs,
            "late": page.counts["te_laat"],
            "filters": params,
            "filter_errors": filter_errors,
            "reference": case.reference if case else reference,
            "case": case,
            "kind_options": KIND_OPTIONS,
            "status_options": STATUS_OPTIONS,
            "assignee_options": assignee_options,
            "page_number": page_number,
            "previous_url": _query(params, pagina=str(page_number - 1)) if page_number > 1 else "",
            "next_url": _query(params, pagina=str(page_number + 1)) if page.has_next else "",
            "clear_url": _query({"tab": tab}),
            "case_url": case_url,
            "may_start": may(user, Action.POST_MESSAGE),
            "may_closing_days": may(user, Action.MANAGE_CLOSING_DAYS),
        },
    )


# -- a thread ----------------------------------------------------------------------------------------------------


async def _thread_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        # Read (audited) and, on a plain visit, marked read; a page shown again with errors marks nothing.
        view = await svc.thread_view(user, thread_id, mark_read=status == 200)
        documents = await svc.attachable_documents(user, view.thread)
        colleagues = await svc.colleagues(user)
    may_post = may(user, Action.POST_MESSAGE)
    rt = runtime(request)
    return render(
        request,
        "messaging/thread.html",
        {
            "view": view,
            "title": view.subject,
            "documents": documents,
            "colleagues": colleagues,
            "may_post": may_post,
            "may_close": may_post and view.status == ThreadStatus.OPEN and not any(c.running for c in view.clocks),
            "reply_kinds": REPLY_KINDS,
            "kind_labels": {k.value: v for k, v in MESSAGE_KIND_LABELS.items()},
            "body_max": BODY_MAX,
            "errors": errors or {},
            "values": values or {"kind": MessageKind.BERICHT.value, "attachments": []},
            "notice": "" if errors else _notice(request, THREAD_NOTICES),
            "case_url": case_url,
            "document_url": document_url,
            # A file can go with a reply on a case's thread only: a document always belongs to a case.
            "may_upload_file": may_post and view.thread.case_id is not None and may(user, Action.UPLOAD_DOCUMENT),
            "document_types": TYPE_OPTIONS,
            "accept_extensions": ACCEPT_ATTRIBUTE,
            "max_upload_mb": rt.settings.max_upload_bytes // (1024 * 1024),
        },
        status_code=status,
    )


@login_required(Action.VIEW_CASES)
async def thread_page(request: Request) -> Response:
    return await _thread_page(request)


def _reply_values(
    form: dict[str, str], attachment_ids: list[str]
) -> tuple[dict[str, Any], date | None, dict[str, str]]:
    """The reply form's values as the page shows them again, the agreed date, and the problems found so far."""
    values: dict[str, Any] = {
        "body": form.get("body", ""),
        "kind": form.get("kind", MessageKind.BERICHT.value),
        "agreed_date": form.get("agreed_date", ""),
        "attachments": attachment_ids[:MAX_ATTACHMENTS],
        FIELD_TYPE: form.get(FIELD_TYPE, ""),
        FIELD_DATE: form.get(FIELD_DATE, ""),
    }
    errors: dict[str, str] = {}
    agreed: date | None = None
    if values["kind"] == MessageKind.PROCESAFSPRAAK.value:
        agreed = parse_day(
            values["agreed_date"], "agreed_date", errors, "Vul de datum in waarop het antwoord uiterlijk komt."
        )
    return values, agreed, errors


async def _post_reply(
    request: Request, values: dict[str, Any], agreed: date | None, errors: dict[str, str]
) -> Response:
    """Post a reply without a file (the form's problems so far in ``errors``)."""
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = messaging(request, db)
            try:
                # The service checks the party first: another organisation's thread is a 404, whatever the form holds.
                message = await svc.post_message(
                    user,
                    thread_id,
                    values["body"],
                    kind=values["kind"],
                    agreed_date=agreed,
                    attachment_ids=values["attachments"],
                )
            except ValidationError as exc:
                errors = {**exc.errors, **errors}  # a date that could not be read says so, not "fill in a date"
            if errors:
                raise ValidationError(errors)  # rolls back anything written
    except ValidationError as exc:
        return await _thread_page(request, errors=_ordered(exc.errors, REPLY_FIELDS), values=values, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=verstuurd#bericht-{message.id}")


@login_required(Action.POST_MESSAGE)
async def thread_reply(request: Request) -> Response:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"multipart/form-data":
        return await _reply_multipart(request, options.get(b"boundary", b""))
    form = await form_values(request)
    values, agreed, errors = _reply_values(form, await form_lists(request, "attachments"))
    return await _post_reply(request, values, agreed, errors)


def _too_large_page(request: Request, max_bytes: int) -> Response:
    message = f"{too_large_message(max_bytes)} Ga terug naar het gesprek en kies een kleiner bestand."
    return render_error(request.scope, 413, "Bestand te groot", message)


async def _reply_multipart(request: Request, boundary: bytes) -> Response:
    """A reply from the (multipart) form, possibly with a file to store in the thread's case and attach."""
    user = user_of(request).user
    rt = runtime(request)
    thread_id = request.path_params["thread_id"]
    max_bytes = rt.settings.max_upload_bytes
    body_limit = max_bytes + REPLY_OVERHEAD

    # Who may post here is decided before a byte of the body is read: another organisation's thread is a 404.
    async with transaction(rt.sessions) as db:
        await messaging(request, db).get_thread(user, thread_id, Action.POST_MESSAGE)
    if not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", BAD_FORM)
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > body_limit):
        # Refused up front: nothing is read (a browser may show this page or a reset connection). The CSRF token is
        # unread too, so the answer shows (and audits) nothing of the thread.
        return _too_large_page(request, max_bytes)

    upload = MultipartUpload(request.stream(), boundary, getattr(request.state, "csrf_expected", ""), body_limit)
    values: dict[str, Any] = {}
    with_file = False
    try:
        fields, filename = await upload.read_fields(max_parts=REPLY_MAX_PARTS, field_limits={"body": BODY_FIELD_BYTES})
        values, agreed, errors = _reply_values({k: v[0] for k, v in fields.items()}, fields.get("attachments", []))
        with_file = bool(filename)  # a browser sends an empty, nameless file part when no file was chosen
        if not with_file:
            if filename is not None:  # an empty file part: read past it to the end of the body
                await upload.skip_file()
                await upload.expect_end()
            return await _post_reply(request, values, agreed, errors)
        assert filename is not None
        return await _reply_with_file(request, upload, filename, values, agreed, errors, max_bytes)
    except CSRFRejected:
        await upload.drain()
        return render_error(
            request.scope,
            403,
            "Verzoek geweigerd",
            "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina opnieuw en probeer "
            "het nog eens.",
        )
    except BodyTooLarge:
        if not upload.csrf_ok:
            return _too_large_page(request, max_bytes)
        errors = {FIELD_UPLOAD: too_large_message(max_bytes)}
        return await _thread_page(request, errors=errors, values=values or None, status=413)
    except DocumentRefused as exc:
        await upload.drain()
        return await _thread_page(request, errors={exc.field: exc.message}, values=values, status=exc.status)
    except ValidationError as exc:
        await upload.drain()
        errors = dict(exc.errors)
        if with_file:
            errors.setdefault(FIELD_UPLOAD, FILE_NOT_KEPT)
        return await _thread_page(request, errors=_ordered(errors, REPLY_FIELDS), values=values, status=400)
    except UploadIncomplete:
        log.info("reply to thread %s broken off by the client", thread_id)
        # Usually nobody is listening any more; a client whose body merely ended early reads why.
        if not upload.csrf_ok:
            return render_error(request.scope, 400, "Niet verzonden", INCOMPLETE)
        return await _thread_page(request, errors={FIELD_UPLOAD: INCOMPLETE}, values=values or None, status=400)
    except MalformedUpload:
        await upload.drain()
        return render_error(request.scope, 400, "Ongeldig verzoek", BAD_FORM)


async def _reply_with_file(
    request: Request,
    upload: MultipartUpload,
    filename: str,
    values: dict[str, Any],
    agreed: date | None,
    errors: dict[str, str],
    max_bytes: int,
) -> Response:
    """Check the form, stream the file into the vault, post the message with it attached, commit both at once.

    Raises ValidationError (the form), DocumentRefused (the file) and the upload's exceptions; whatever fails,
    neither the message nor the document is kept, nor the blob.
    """
    user = user_of(request).user
    rt = runtime(request)
    thread_id = request.path_params["thread_id"]
    doc_type = document_date = None
    try:
        doc_type = parse_doc_type(values[FIELD_TYPE])
    except DocumentRefused as exc:
        errors[exc.field] = exc.message
    try:
        document_date = parse_document_date(values[FIELD_DATE])
    except DocumentRefused as exc:
        errors[exc.field] = exc.message
    async with rt.sessions() as db:
        svc = messaging(request, db)
        documents = DocumentService(db, rt.keyring, rt.blobs, rt.scanner, notifications=False)
        thread = await svc.get_thread(user, thread_id, Action.POST_MESSAGE)
        try:
            await svc.check_reply(
                user,
                thread,
                values["body"],
                kind=values["kind"],
                agreed_date=agreed,
                attachment_ids=values["attachments"],
                with_upload=True,
            )
        except ValidationError as exc:
            errors = {**exc.errors, **errors}
        if errors:
            raise ValidationError(errors)
        assert thread.case_id is not None and doc_type is not None  # check_reply refuses a file without a case
        case = await documents.case_for_upload(user, thread.case_id)
        await db.commit()  # no connection is held while the file streams in
        # One new document in the thread's case (its own audit record; the message's notice says enough).
        document = await documents.store(
            user,
            case,
            doc_type=doc_type,
            document_date=document_date,
            filename=filename,
            chunks=upload.file_chunks(),
            max_bytes=max_bytes,
        )
        try:
            await upload.expect_end()
            message = await svc.post_message(
                user,
                thread_id,
                values["body"],
                kind=values["kind"],
                agreed_date=agreed,
                attachment_ids=[*values["attachments"], document.id],
            )
            await db.commit()
        except BaseException:
            await db.rollback()
            await documents.forget_blob(document)
            raise
    return _redirect(f"/berichten/{thread_id}?gelukt=verstuurd#bericht-{message.id}")


@login_required(Action.POST_MESSAGE)
async def thread_assign(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    form = await form_values(request)
    try:
        async with transaction(runtime(request).sessions) as db:
            await messaging(request, db).assign(user, thread_id, form.get("assignee_id") or None)
    except ValidationError as exc:
        return await _thread_page(request, errors=exc.errors, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=toegewezen")


@login_required(Action.POST_MESSAGE)
async def thread_close(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await messaging(request, db).close(user, thread_id)
    except ValidationError as exc:
        return await _thread_page(request, errors=exc.errors, status=400)
    return _redirect(f"/berichten/{thread_id}?gelukt=afgerond")


# -- a new question ----------------------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    *,
    case_id: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    async with transaction(runtime(request).sessions) as db:
        svc = messaging(request, db)
        case = await svc.case_for(user, case_id) if case_id else None
        convenants = await svc.convenants_for(user)
    default_kind = ThreadKind.CASUISTIEK.value if case or convenants == [] else ""
    return render(
        request,
        "messaging/new.html",
        {
            "case": case,
            "convenant_options": [(c.id, p.name) for c, p in convenants],
            "errors": errors or {},
            "values": values or {"soort": default_kind},
            "subject_max": SUBJECT_MAX,
            "case_url": case_url,
        },
        status_code=status,
    )


@login_required(Action.POST_MESSAGE)
async def new_page(request: Request) -> Response:
    return await _new_page(request, case_id=request.query_params.get("dossier", "")[:32])


@login_required(Action.POST_MESSAGE)
async def new_submit(request: Request) -> Response:
    user = user_of(request).user
    form = await form_values(request)
    case_id = form.get("case_id", "")[:32]
    values = {k: form.get(k, "") for k in NEW_FIELDS}
    if case_id:
        values["soort"] = ThreadKind.CASUISTIEK.value
    errors: dict[str, str] = {}
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = messaging(request, db)
            case = convenant = None
            if values["soort"] == ThreadKind.CASUISTIEK.value:
                try:
                    if case_id:
                        case = await svc.case_for(user, case_id)
                    elif values["dossiernummer"]:
                        case = await svc.case_by_reference(user, values["dossiernummer"])
                    else:
                        errors["dossiernummer"] = "Vul het dossiernummer in, bijvoorbeeld 2026-000123."
                except NotFound:
                    if case_id:
                        raise
                    errors["dossiernummer"] = "Uw organisatie heeft geen dossier met dit nummer."
            elif values["soort"] == ThreadKind.ALGEMEEN.value:
                mine = {c.id: c for c, _ in await svc.convenants_for(user)}
                convenant = mine.get(values["convenant_id"])
                if convenant is None:
                    errors["convenant_id"] = "Kies het convenant waarover uw vraag gaat."
            else:
                errors["soort"] = "Kies of uw vraag over een dossier gaat of een algemene vraag is."
            try:
                thread = await svc.start_thread(
                    user,
                    case=case,
                    convenant=convenant,
                    subject=values["subject"],
                    body=values["body"],
                )
            except ValidationError as exc:
                # The subject and body problems too; "kies een dossier" only when no field says it already.
                errors.update({k: v for k, v in exc.errors.items() if k != "soort" or not errors})
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        return await _new_page(
            request, case_id=case_id, errors=_ordered(exc.errors, NEW_FIELDS), values=values, status=400
        )
    return _redirect(f"/berichten/{thread.id}?gelukt=gestart")


routes = [
    Route("/berichten", inbox_page, methods=["GET"]),
    Route("/berichten/nieuw", new_page, methods=["GET"]),
    Route("/berichten/nieuw", new_submit, methods=["POST"]),
    Route("/berichten/{thread_id}", thread_page, methods=["GET"]),
    Route("/berichten/{thread_id}/reageren", thread_reply, methods=["POST"]),
    Route("/berichten/{thread_id}/toewijzen", thread_assign, methods=["POST"]),
    Route("/berichten/{thread_id}/afronden", thread_close, methods=["POST"]),
]
