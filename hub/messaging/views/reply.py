"""The reply form. It is multipart, because it may carry a file: the body is parsed with the streaming parser
(:class:`hub.web.multipart.MultipartUpload`; ``request.form()`` would spool the plaintext file to disk). The CSRF
middleware lets multipart through on this route only (:data:`hub.messaging.views.REPLY_UPLOAD_ROUTE`),
``csrf_token`` must be the first part, the text fields come next and the file part last. The form is checked before
the file streams in; the file then goes through the vault's one pipeline (size limit, type sniffing, virus scan,
encryption) into the thread's case, and the new document and the message are committed in one transaction, or
neither is kept (nor the blob). A URL-encoded reply (without a file) is still accepted.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import Response

from hub.accounts.authz import Action
from hub.db import commit_or_unknown, transaction
from hub.documents.components import blobs_of, scanner_of
from hub.documents.errors import UploadRefused
from hub.documents.forms import INCOMPLETE, parse_document_date, refusal_of, too_large_message
from hub.documents.models import FIELD_DATE, FIELD_TYPE, parse_doc_type
from hub.documents.services import DocumentService
from hub.errors import ValidationError
from hub.messaging.attachments import is_attached
from hub.messaging.models import MessageKind
from hub.messaging.threads import BODY_MAX, FIELD_UPLOAD, ThreadService
from hub.messaging.views.common import REPLY_FIELDS, redirect, service, thread_path
from hub.messaging.views.threads import thread_response
from hub.web.forms import date_field, form_lists, form_values, in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render_error

log = logging.getLogger("hub.messaging.views")

# The reply's text fields besides the file: the message itself (up to BODY_MAX characters of UTF-8), attachment ids.
BODY_FIELD_BYTES = BODY_MAX * 4 + 64
REPLY_MAX_PARTS = 300
REPLY_OVERHEAD = BODY_FIELD_BYTES + 256 * 1024
MAX_ATTACHMENTS = 50
FILE_NOT_KEPT = "Het bestand is niet opgeslagen. Kies het opnieuw als u het wilt meesturen."
BAD_FORM = "Gebruik het formulier op de pagina van het gesprek."


def _reply_values(
    form: dict[str, str], attachment_ids: list[str]
) -> tuple[dict[str, Any], date | None, dict[str, str]]:
    """The reply form's values as the page shows them again, the agreed date, and the problems found so far."""
    values: dict[str, Any] = {
        "body": form.get("body", ""),
        "kind": form.get("kind", ""),  # none chosen: the service asks to choose (no kind is assumed)
        "agreed_date": form.get("agreed_date", ""),
        "attachments": attachment_ids[:MAX_ATTACHMENTS],
        "form_token": form.get("form_token", ""),
        FIELD_TYPE: form.get(FIELD_TYPE, ""),
        FIELD_DATE: form.get(FIELD_DATE, ""),
    }
    errors: dict[str, str] = {}
    agreed: date | None = None
    if values["kind"] == MessageKind.PROCESAFSPRAAK.value:
        agreed = date_field(
            values["agreed_date"], "agreed_date", errors, missing="Vul de datum in waarop het antwoord uiterlijk komt."
        )
    return values, agreed, errors


async def _post_reply(
    request: Request, values: dict[str, Any], agreed: date | None, errors: dict[str, str]
) -> Response:
    """Post a reply without a file (the form's problems so far in ``errors``)."""
    user = user_of(request).user
    thread_id = request.path_params["thread_id"]
    suggested: dict[str, str] = {}
    try:
        async with transaction(runtime(request).sessions) as db:
            svc = service(request, db, ThreadService)
            try:
                # The service checks the party first: another organisation's thread is a 404, whatever the form holds.
                message = await svc.post_message(
                    user,
                    thread_id,
                    values["body"],
                    kind=values["kind"],
                    agreed_date=agreed,
                    attachment_ids=values["attachments"],
                    form_token=values["form_token"],
                )
            except ValidationError as exc:
                errors = {**exc.errors, **errors}  # a date that could not be read says so, not "fill in a date"
                suggested = exc.suggestions
            if errors:
                raise ValidationError(errors, suggestions=suggested)  # rolls back anything written
    except ValidationError as exc:
        return await _form_again(request, exc, values)
    return redirect(thread_path(request, thread_id, "verstuurd", f"bericht-{message.id}"))


async def _form_again(request: Request, exc: ValidationError, values: dict[str, Any]) -> Response:
    """The thread page with the reply form again: the problems, what the user typed, and the values the service
    offers instead (a procesafspraak's next werkdag), which the error asks the user to confirm by sending again."""
    values = {**values, **exc.suggestions}
    return await thread_response(request, errors=in_form_order(exc.errors, REPLY_FIELDS), values=values, status=400)


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
        await service(request, db, ThreadService).get_thread(user, thread_id, Action.POST_MESSAGE)
    if not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", BAD_FORM)
    length = request.headers.get("content-length", "")
    if length and (not (length.isascii() and length.isdigit()) or int(length) > body_limit):
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
        return await thread_response(request, errors=errors, values=values or None, status=413)
    except UploadRefused as exc:
        await upload.drain()
        refusal = refusal_of(exc)
        return await thread_response(
            request, errors={refusal.field: refusal.message}, values=values, status=refusal.status
        )
    except ValidationError as exc:
        await upload.drain()
        if with_file:
            exc.errors.setdefault(FIELD_UPLOAD, FILE_NOT_KEPT)
        return await _form_again(request, exc, values)
    except UploadIncomplete:
        log.info("reply to thread %s broken off by the client", thread_id)
        # Usually nobody is listening any more; a client whose body merely ended early reads why.
        if not upload.csrf_ok:
            return render_error(request.scope, 400, "Niet verzonden", INCOMPLETE)
        return await thread_response(request, errors={FIELD_UPLOAD: INCOMPLETE}, values=values or None, status=400)
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

    Raises ValidationError (the form), UploadRefused (the file) and the upload's exceptions; whatever fails,
    neither the message nor the document is kept, nor the blob.
    """
    user = user_of(request).user
    rt = runtime(request)
    thread_id = request.path_params["thread_id"]
    doc_type = document_date = None
    suggested: dict[str, str] = {}
    try:
        doc_type = parse_doc_type(values[FIELD_TYPE])
    except UploadRefused as exc:
        errors[refusal_of(exc).field] = refusal_of(exc).message
    try:
        document_date = parse_document_date(values[FIELD_DATE])
    except UploadRefused as exc:
        errors[refusal_of(exc).field] = refusal_of(exc).message
    async with rt.sessions() as db:
        svc = service(request, db, ThreadService)
        documents = DocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt), notifications=False)
        thread = await svc.get_thread(user, thread_id, Action.POST_MESSAGE)
        already = await svc.posted_with(user, values["form_token"])
        if already is not None and already.thread_id == thread.id:
            await upload.drain()  # the same form sent again: its message and its file are there already
            return redirect(thread_path(request, thread_id, "verstuurd", f"bericht-{already.id}"))
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
            suggested = exc.suggestions
        if errors:
            raise ValidationError(errors, suggestions=suggested)
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
                form_token=values["form_token"],
            )
            # The same form sent twice at once: both passed the check above, and the other one's message was
            # posted first (post_message found it under the thread's lock and returned it). This upload is a copy
            # of the file already on that message: it is not kept.
            message_id = message.id
            replayed = not await is_attached(db, message_id, document.id)
        except BaseException:
            await db.rollback()
            await documents.forget_blob(document)  # not committed: neither message nor document nor blob is kept
            raise
        if replayed:
            await db.rollback()
            await documents.forget_blob(document)
            return redirect(thread_path(request, thread_id, "verstuurd", f"bericht-{message_id}"))
        # A failed commit may have taken effect (its answer lost): the blob stays, the orphan sweep decides.
        await commit_or_unknown(db, "bericht")
    return redirect(thread_path(request, thread_id, "verstuurd", f"bericht-{message_id}"))
