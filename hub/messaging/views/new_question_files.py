"""A new question on a case with files. The new-question form is multipart when the user may add documents: it is
read by the streaming parser like the case's upload form (``csrf_token`` first, then the question's fields, then the
file rows of :mod:`hub.documents.batch_views`), so the CSRF middleware lets multipart through on this route only
(:data:`NEW_UPLOAD_ROUTE`). A URL-encoded question (without files) still goes to
:func:`hub.messaging.views.threads.new_submit`.

Order of work: which case the question is on is settled first (nothing is stored for a question that has none, or an
algemene vraag, but its rows are still checked); the files then stream into the vault with no database connection
held; the documents, the thread and its first message (with the documents attached) are committed in one
transaction, or none of them is kept, nor any blob.
"""

from __future__ import annotations

import logging

from python_multipart.multipart import parse_options_header
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from hub.accounts.authz import Action, may
from hub.cases.models import CASE_ENDED
from hub.db import commit_or_unknown
from hub.documents.batch_views import FIELDS_PER_FILE, FileBatch, receive_files
from hub.documents.components import blobs_of, scanner_of
from hub.documents.errors import FileTooLarge, UploadBrokenOff
from hub.documents.forms import MAX_FILES, row_key, too_large_message
from hub.documents.models import FIELD_FILE
from hub.documents.services import DocumentService
from hub.errors import ValidationError
from hub.messaging.inbox import InboxService
from hub.messaging.threads import BODY_MAX, ThreadService
from hub.messaging.views.common import NEW_FIELDS, redirect, service, thread_path
from hub.messaging.views.threads import _new_page, new_submit, question_values, resolve_question
from hub.web.forms import in_form_order, runtime
from hub.web.guards import login_required, user_of
from hub.web.multipart import BodyTooLarge, CSRFRejected, MalformedUpload, MultipartUpload, UploadIncomplete
from hub.web.templating import render_error

log = logging.getLogger("hub.messaging.views")

NEW_UPLOAD_ROUTE = "messaging.new_submit"

BODY_FIELD_BYTES = BODY_MAX * 4 + 64  # the question's text in UTF-8
MAX_PARTS = 2 + len(NEW_FIELDS) + 2 + MAX_FILES * FIELDS_PER_FILE  # token, form_token, case_id, fields, rows
OVERHEAD = BODY_FIELD_BYTES + 64 * 1024
NO_FILES_WITHOUT_CASE = "Bij een algemene vraag kunt u geen bestanden meesturen: een document hoort bij een dossier."
FILES_NOT_KEPT = "De bestanden zijn niet opgeslagen. Kies ze opnieuw als u ze wilt meesturen."
BAD_FORM = "Gebruik het formulier voor een nieuwe vraag."
EXPIRED = (
    "Dit formulier is verlopen of niet afkomstig van deze site. Ga terug, laad de pagina opnieuw en probeer het nog "
    "eens."
)


@login_required(Action.POST_MESSAGE)
async def new_submit_any(request: Request) -> Response:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"multipart/form-data":
        return await _new_with_files(request, options.get(b"boundary", b""))
    return await new_submit(request)


async def _new_with_files(request: Request, boundary: bytes) -> Response:
    user = user_of(request).user
    rt = runtime(request)
    max_bytes = rt.settings.max_upload_bytes
    body_limit = MAX_FILES * (max_bytes + OVERHEAD)
    if not boundary:
        return render_error(request.scope, 400, "Ongeldig verzoek", BAD_FORM)
    length = request.headers.get("content-length", "")
    if length and (not (length.isascii() and length.isdigit()) or int(length) > body_limit):
        return render_error(request.scope, 413, "Bestand te groot", too_large_message(max_bytes))

    upload = MultipartUpload(request.stream(), boundary, getattr(request.state, "csrf_expected", ""), body_limit)
    batch = FileBatch()
    case_id, values = "", {k: "" for k in (*NEW_FIELDS, "form_token")}
    limits = {"body": BODY_FIELD_BYTES}
    async with rt.sessions() as db:
        documents = DocumentService(db, rt.keyring, blobs_of(rt), scanner_of(rt), notifications=False)
        try:
            fields, filename = await upload.read_fields(max_parts=MAX_PARTS, field_limits=limits)
            case_id, values = question_values({k: v[0] for k, v in fields.items()})
            svc = service(request, db, InboxService)
            errors, case, convenant = await resolve_question(svc, user, case_id, values)
            threads = svc.using(ThreadService)
            already = await threads.posted_with(user, values["form_token"])
            if already is not None:  # the same form sent again: its question and files are there already
                await upload.drain()
                return redirect(thread_path(request, already.thread_id, "gestart"))
            target = case if case is not None and not errors and may(user, Action.UPLOAD_DOCUMENT) else None
            if target is not None and target.ended:
                errors[row_key(FIELD_FILE, 1)] = CASE_ENDED
                target = None
            await db.commit()  # no connection is held while the files stream in
            await receive_files(
                upload, batch, fields, filename, service=documents, user=user, case=target, max_bytes=max_bytes,
                max_parts=MAX_PARTS, field_limits=limits, required=False,
            )  # fmt: skip
            chosen = [r for r in batch.rows if r.filename]
            if chosen and case is None and not errors and convenant is not None:
                errors[row_key(FIELD_FILE, chosen[0].number)] = NO_FILES_WITHOUT_CASE
            errors.update(batch.errors)
            try:
                if case is not None:
                    await documents.keep(user, case, batch.documents)
                thread = await threads.start_thread(
                    user,
                    case=case,
                    convenant=convenant,
                    subject=values["subject"],
                    body=values["body"],
                    form_token=values["form_token"],
                    bijzondere_bijstand=values["bijzondere_bijstand"] == "ja",
                    documents=batch.documents,
                )
            except ValidationError as exc:
                # The subject and body problems too; "kies een dossier" only when no field says it already.
                errors.update({k: v for k, v in exc.errors.items() if k != "soort" or not errors})
            if errors:
                raise ValidationError(errors)
        except ValidationError as exc:
            await db.rollback()
            await batch.discard(documents)
            problems = in_form_order(exc.errors, NEW_FIELDS)
            if any(r.filename for r in batch.rows) and not any(k.startswith(FIELD_FILE) for k in problems):
                problems[row_key(FIELD_FILE, 1)] = FILES_NOT_KEPT
            return await _new_page(
                request, case_id=case_id, errors=problems, values=values, status=400, rows=batch.rows
            )
        except IntegrityError:
            # The same form sent twice at once: the other request stored the question (and its files) first.
            await db.rollback()
            await batch.discard(documents)
            async with rt.sessions() as again:
                first = await service(request, again, ThreadService).posted_with(user, values["form_token"])
            if first is None:
                raise
            return redirect(thread_path(request, first.thread_id, "gestart"))
        except CSRFRejected:
            await upload.drain()
            return render_error(request.scope, 403, "Verzoek geweigerd", EXPIRED)
        except BodyTooLarge:
            if not upload.csrf_ok:
                return render_error(request.scope, 413, "Bestand te groot", too_large_message(max_bytes))
            batch.refuse(batch.current, FileTooLarge(max_bytes))
            return await _new_page(
                request, case_id=case_id, errors=batch.errors, values=values, status=413, rows=batch.rows
            )
        except UploadIncomplete:
            log.info("new question broken off by the client")
            batch.refuse(batch.current, UploadBrokenOff())
            return await _new_page(
                request, case_id=case_id, errors=batch.errors, values=values, status=400, rows=batch.rows
            )
        except MalformedUpload:
            await upload.drain()
            return render_error(request.scope, 400, "Ongeldig verzoek", BAD_FORM)
        except BaseException:
            await batch.discard(documents)
            raise
        # A failed commit may have taken effect (its answer lost): the blobs stay, the orphan sweep decides.
        await commit_or_unknown(db, "vraag")
    return redirect(thread_path(request, thread.id, "gestart"))
