"""A thread's page, its assignment and status, and a new question."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from hub.accounts.authz import Action, may
from hub.accounts.models import Convenant, User
from hub.cases.models import Case
from hub.cases.queries import AmbiguousReference
from hub.cases.visits import is_new, last_visit
from hub.db import transaction, utcnow
from hub.documents.forms import FileRow, rows_for_page, upload_context
from hub.documents.sniff import ACCEPT_ATTRIBUTE
from hub.errors import NotFound, ValidationError
from hub.messaging.form_tokens import new_form_token
from hub.messaging.inbox import InboxService
from hub.messaging.models import MESSAGE_KIND_LABELS, ThreadKind, ThreadStatus
from hub.messaging.reading import ReadingService
from hub.messaging.threads import BODY_MAX, SUBJECT_MAX, ThreadService
from hub.messaging.views.common import (
    AMBIGUOUS_REFERENCE,
    NEW_FIELDS,
    THREAD_NOTICES,
    TYPE_OPTIONS,
    UNKNOWN_REFERENCE,
    notice_of,
    redirect,
    service,
    thread_path,
)
from hub.messaging.views.reply_form import reply_form
from hub.notes.views import NOTE_NOTICES, notes_context
from hub.web.forms import form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.templating import render

QUESTION_ROWS = 3  # file rows the new-question form shows (the script adds more, up to MAX_FILES)


async def thread_response(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    now = utcnow()
    async with transaction(runtime(request).sessions) as db:
        svc = service(request, db, ReadingService)
        # Read (audited) and, on a plain visit, marked read; a page shown again with errors marks nothing.
        view = await svc.thread_view(user, thread_id, now, mark_read=status == 200)
        documents = await svc.attachable_documents(user, view.thread)
        # Marked against the user's last visit of the case page (hub.cases.visits); the thread moves nothing.
        since = await last_visit(db, user.id, view.thread.case_id) if view.thread.case_id else None
        new_ids = frozenset(
            d.document_id for d in documents if is_new(d.uploaded_at or now, d.uploaded_by, user.id, since)
        )
        case = await db.get(Case, view.thread.case_id) if view.thread.case_id else None
        colleagues = await svc.using(InboxService).colleagues(user)
        # The kinds of reply for the user's side, each with what it would do to the terms now.
        calendar = await svc.calendars.for_gemeente(db, view.thread.gemeente_id)
        form = reply_form(view, user.organisation_id, now, calendar)
        notes = await notes_context(request, db, user, view.thread)
    may_post = may(user, Action.POST_MESSAGE)
    rt = runtime(request)
    return render(
        request,
        "messaging/thread.html",
        {
            "view": view,
            "title": view.subject,
            "documents": documents,
            "new_documents": new_ids,
            "colleagues": colleagues,
            "may_post": may_post,
            "may_close": may_post and view.status == ThreadStatus.OPEN and not any(c.running for c in view.clocks),
            "reply": form,
            "kind_labels": {k.value: v for k, v in MESSAGE_KIND_LABELS.items()},
            "body_max": BODY_MAX,
            "errors": errors or {},
            "values": values or {"kind": form.default, "attachments": []},
            # A form shown again after an error keeps its token: nothing was posted with it yet.
            "form_token": (values or {}).get("form_token") or new_form_token(),
            "notice": "" if errors else notice_of(request, {**THREAD_NOTICES, **NOTE_NOTICES}),
            # A file can go with a reply on a case's thread only (a document always belongs to a case), and not once
            # the case has ended (it is read-only).
            "may_upload_file": may_post and case is not None and not case.ended and may(user, Action.UPLOAD_DOCUMENT),
            "document_types": TYPE_OPTIONS,
            "accept_extensions": ACCEPT_ATTRIBUTE,
            "max_upload_mb": rt.settings.max_upload_bytes // (1024 * 1024),
            "scanning": rt.settings.scanning,  # the form promises a scan only when clamd is configured
            **notes,
        },
        status_code=status,
    )


@login_required(Action.VIEW_CASES)
async def thread_page(request: Request) -> Response:
    return await thread_response(request)


@login_required(Action.POST_MESSAGE)
async def thread_assign(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    form = await form_values(request)
    try:
        async with transaction(runtime(request).sessions) as db:
            await service(request, db, ThreadService).assign(user, thread_id, form.get("assignee_id") or None)
    except ValidationError as exc:
        return await thread_response(request, errors=exc.errors, status=400)
    return redirect(thread_path(request, thread_id, "toegewezen"))


@login_required(Action.POST_MESSAGE)
async def thread_close(request: Request) -> Response:
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    try:
        async with transaction(runtime(request).sessions) as db:
            await service(request, db, ThreadService).close(user, thread_id)
    except ValidationError as exc:
        return await thread_response(request, errors=exc.errors, status=400)
    return redirect(thread_path(request, thread_id, "afgerond"))


# -- a new question ----------------------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    *,
    case_id: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    rows: list[FileRow] | None = None,
) -> Response:
    """The new-question form; ``rows``: the file rows as sent (their type and date shown again)."""
    user = user_of(request).user
    rt = runtime(request)
    async with transaction(rt.sessions) as db:
        svc = service(request, db, InboxService)
        case = await svc.case_for(user, case_id) if case_id else None
        convenants = await svc.convenants_for(user)
    default_kind = ThreadKind.CASUISTIEK.value if case or convenants == [] else ""
    # Files can go with a question on a case (a document always belongs to one) that has not ended.
    may_attach = may(user, Action.UPLOAD_DOCUMENT) and not (case is not None and case.ended)
    return render(
        request,
        "messaging/new.html",
        {
            "case": case,
            "convenant_options": [(c.id, p.name) for c, p in convenants],
            "errors": errors or {},
            "values": values or {"soort": default_kind},
            "subject_max": SUBJECT_MAX,
            "form_token": (values or {}).get("form_token") or new_form_token(),
            **upload_context(rt.settings, may_upload=may_attach),
            "file_rows": rows_for_page(rows or [], shown=QUESTION_ROWS),
        },
        status_code=status,
    )


async def resolve_question(
    svc: InboxService, user: User, case_id: str, values: dict[str, str]
) -> tuple[dict[str, str], Case | None, Convenant | None]:
    """The new question's case or convenant from the form, and the problems with choosing it."""
    errors: dict[str, str] = {}
    case = convenant = None
    if values["soort"] == ThreadKind.CASUISTIEK.value:
        try:
            if case_id:
                case = await svc.case_for(user, case_id)
            elif values["dossiernummer"]:
                case = await svc.case_by_reference(user, values["dossiernummer"])
            else:
                errors["dossiernummer"] = "Vul het dossiernummer in, bijvoorbeeld 2026-483917."
        except NotFound:
            if case_id:
                raise
            errors["dossiernummer"] = UNKNOWN_REFERENCE
        except AmbiguousReference:
            errors["dossiernummer"] = AMBIGUOUS_REFERENCE
    elif values["soort"] == ThreadKind.ALGEMEEN.value:
        mine = {c.id: c for c, _ in await svc.convenants_for(user)}
        convenant = mine.get(values["convenant_id"])
        if convenant is None:
            errors["convenant_id"] = "Kies het convenant waarover uw vraag gaat."
    else:
        errors["soort"] = "Kies of uw vraag over een dossier gaat of een algemene vraag is."
    return errors, case, convenant


def question_values(form: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The case id (when the form was opened from a case) and the question's fields as typed."""
    case_id = form.get("case_id", "")[:32]
    values = {k: form.get(k, "") for k in (*NEW_FIELDS, "form_token")}
    if case_id:
        values["soort"] = ThreadKind.CASUISTIEK.value
    return case_id, values


@login_required(Action.POST_MESSAGE)
async def new_page(request: Request) -> Response:
    return await _new_page(request, case_id=request.query_params.get("dossier", "")[:32])


@login_required(Action.POST_MESSAGE)
async def new_submit(request: Request) -> Response:
    user = user_of(request).user
    case_id, values = question_values(await form_values(request))
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = service(request, db, InboxService)
            errors, case, convenant = await resolve_question(svc, user, case_id, values)
            try:
                thread = await svc.using(ThreadService).start_thread(
                    user,
                    case=case,
                    convenant=convenant,
                    subject=values["subject"],
                    body=values["body"],
                    form_token=values["form_token"],
                    bijzondere_bijstand=values["bijzondere_bijstand"] == "ja",
                )
            except ValidationError as exc:
                # The subject and body problems too; "kies een dossier" only when no field says it already.
                errors.update({k: v for k, v in exc.errors.items() if k != "soort" or not errors})
            if errors:
                raise ValidationError(errors)
    except ValidationError as exc:
        return await _new_page(
            request, case_id=case_id, errors=in_form_order(exc.errors, NEW_FIELDS), values=values, status=400
        )
    except IntegrityError:
        # The same form sent twice at once: the other request stored the question first. Show that one.
        async with transaction(runtime(request).sessions) as db:
            first = await service(request, db, ThreadService).posted_with(user, values["form_token"])
        if first is None:
            raise
        return redirect(thread_path(request, first.thread_id, "gestart"))
    return redirect(thread_path(request, thread.id, "gestart"))
